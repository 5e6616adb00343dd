"""Every network lesson's promise, checked by the engine that decides it: each racer ends in
its expected outcome after one press of Play, and what each lesson's text claims holds."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from app.engine.networks.model import layers_of
from app.engine.networks.outcome import NetOutcome
from app.engine.networks.scenario import build
from app.engine.networks.train import NetTrace
from app.lessons.network_lessons import NETWORK_LESSONS, NetworkLesson, load


@cache
def played(lesson_id: str) -> tuple[tuple[NetOutcome, NetTrace, np.ndarray], ...]:
    """Each racer's outcome, trace and final weights after one press of Play."""
    lesson = NETWORK_LESSONS[lesson_id]
    scenario = build(lesson.scenario())
    out = []
    for i in range(len(scenario.racers)):
        run = scenario.start(i)
        trace = run.advance(lesson.steps)
        out.append((run.outcome(), trace, run.theta))
    return tuple(out)


def test_there_are_lessons_for_every_topic_of_the_issue():
    assert len(NETWORK_LESSONS) >= 8
    predict = [lesson for lesson in NETWORK_LESSONS.values() if lesson.predict]
    assert len(predict) >= 3


@pytest.mark.parametrize("lesson_id", list(NETWORK_LESSONS))
def test_every_racer_ends_as_the_lesson_promises(lesson_id):
    lesson = NETWORK_LESSONS[lesson_id]
    for racer, (outcome, _, _) in zip(lesson.racers, played(lesson_id), strict=True):
        assert outcome.code in racer.expected, (racer.label, outcome)


def _final(lesson_id, racer=0):
    return played(lesson_id)[racer]


def test_no_hidden_layer_stays_at_a_coin_toss_on_xor():
    outcome, trace, _ = _final("xor_needs_a_hidden_layer")
    assert trace.train_loss[-1] > 0.6 and outcome.train_accuracy < 0.7


def test_one_hidden_layer_learns_xor():
    outcome, _, _ = _final("xor_hidden_layer")
    assert outcome.train_accuracy > 0.95 and outcome.test_accuracy > 0.9


def test_the_product_feature_splits_xor_without_a_hidden_layer():
    outcome, _, _ = _final("xor_feature")
    assert outcome.train_accuracy > 0.95 and outcome.test_accuracy > 0.95


def test_a_zero_start_keeps_every_hidden_unit_identical():
    outcome, _, theta = _final("zero_init_symmetry")
    assert outcome.symmetric_layers == (0,)
    contrast = NETWORK_LESSONS["zero_init_symmetry"].scenario()
    contrast["model"]["init"] = "xavier"
    scenario = build(contrast)
    run = scenario.start(0)
    run.advance(300)
    assert run.outcome().code != "symmetric" and run.outcome().train_accuracy > 0.9


def test_the_large_learning_rate_diverges_within_a_handful_of_steps():
    outcome, trace, _ = _final("lr_diverges", 1)
    assert outcome.step < 20
    assert trace.train_loss[-1] > 10 * trace.train_loss[0]  # "leaps upwards"
    fit, _, _ = _final("lr_diverges", 0)
    assert played("lr_diverges")[0][1].train_loss[-1] < 0.1 and fit.code != "diverged"


def test_a_large_learning_rate_kills_most_relu_units_and_a_small_one_none():
    killed, _, _ = _final("relu_dies", 1)
    alive, _, _ = _final("relu_dies", 0)
    assert killed.dead_units >= 8 and alive.dead_units == 0
    tanh = NETWORK_LESSONS["relu_dies"].scenario()
    tanh["model"]["activation"] = "tanh"
    run = build(tanh).start(1)
    run.advance(200)
    assert run.outcome().dead_units == 0  # try_this: nothing dies with tanh


def test_overfitting_has_its_early_stopping_step_where_the_test_loss_was_lowest():
    outcome, trace, _ = _final("overfitting_early_stop")
    best = int(np.argmin(trace.test_loss))
    assert outcome.early_stop_step == trace.step[best] < 200
    assert trace.test_loss[-1] > 1.5 * trace.test_loss[best]
    assert trace.train_loss[-1] < 0.1 * trace.train_loss[best]  # memorised the training points


def test_l2_keeps_the_test_loss_lower_and_the_weights_smaller():
    with_l2, trace, theta = _final("l2_smooths")
    _, plain_trace, plain_theta = _final("overfitting_early_stop")
    assert with_l2.code != "overfitting"
    assert trace.test_loss[-1] < 0.8 * plain_trace.test_loss[-1]
    assert np.linalg.norm(theta) < 0.7 * np.linalg.norm(plain_theta)


def test_l2_draws_a_smoother_boundary():
    """Smoother: the predicted probability changes less from one grid cell to the next."""
    lesson, plain = NETWORK_LESSONS["l2_smooths"], NETWORK_LESSONS["overfitting_early_stop"]
    roughness = []
    for one in (lesson, plain):
        scenario = build(one.scenario())
        run = scenario.start(0)
        run.advance(one.steps)
        from app.engine.networks.scenario import grid_of

        p = np.array(grid_of(scenario.setup, run.theta, 48)["values"])
        roughness.append(np.abs(np.diff(p, axis=0)).mean() + np.abs(np.diff(p, axis=1)).mean())
    assert roughness[0] < 0.8 * roughness[1]


def test_adam_untangles_the_spiral_and_gradient_descent_does_not_yet():
    adam, _, _ = _final("adam_vs_sgd_spiral", 0)
    sgd, _, _ = _final("adam_vs_sgd_spiral", 1)
    assert adam.train_accuracy > 0.95 and sgd.train_accuracy < 0.75


def test_mini_batches_jitter_the_training_loss_and_epochs_are_fourteen_steps():
    _, trace, _ = _final("minibatch_noise")
    rises = sum(b > a for a, b in zip(trace.train_loss, trace.train_loss[1:], strict=False))
    assert rises > 20
    assert trace.train_loss[-1] < 0.5 * trace.train_loss[0]
    assert trace.epoch[14] == 1 and trace.epoch[15] == 2
    full = NETWORK_LESSONS["minibatch_noise"].scenario()
    full["options"] = {}
    run = build(full).start(0)
    smooth = run.advance(300).train_loss
    assert sum(b > a for a, b in zip(smooth, smooth[1:], strict=False)) == 0


def test_three_classes_are_learned_with_softmax_and_cross_entropy():
    scenario = build(NETWORK_LESSONS["three_classes_softmax"].scenario())
    assert scenario.setup.spec.head == "ce" and scenario.setup.spec.outputs == 3
    outcome, _, theta = _final("three_classes_softmax")
    assert outcome.train_accuracy > 0.95
    assert np.shape(layers_of(scenario.setup.spec, theta)[-1]["weight"]) == (3, 6)


def test_a_lesson_that_gives_the_answer_away_or_is_too_slow_is_refused(tmp_path):
    lesson = NETWORK_LESSONS["zero_init_symmetry"]
    table = lesson.model_dump()
    bad = NetworkLesson.model_validate({**table, "choices": ["converged", "overfitting"]})
    with pytest.raises(ValueError, match="among the choices"):
        bad.check()
    slow = NetworkLesson.model_validate({**table, "steps": 6000})
    with pytest.raises(ValueError, match="one Play takes"):
        slow.check()
    path = tmp_path / "lessons.toml"
    path.write_text('[[lesson]]\nid = "x"\n', encoding="utf-8")
    with pytest.raises(ValueError):
        load(path)
