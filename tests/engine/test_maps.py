"""Maps: crowds of one setting, each ball ending as it would alone."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.engine.backend import SCALAR
from app.engine.maps import Axis, Cancelled, Setting, basins, roll, sweep, trainability
from app.engine.maps.crowd import groups, roll_cells, with_value
from app.engine.maps.sweep import log_rates
from app.engine.optimizers import OPTIMIZERS
from app.engine.run import run, start_state
from app.engine.run.outcome import NO_MINIMUM, OUTCOMES
from app.engine.surfaces import SURFACES

SGD, ADAM = OPTIMIZERS["sgd"], OPTIMIZERS["adam"]


def _setting(sid: str, optimizer=SGD, steps: int = 500, **given) -> Setting:
    return Setting(SURFACES[sid], optimizer, optimizer.validate(given), steps=steps)


def _barrier(sid: str, lo: float, hi: float) -> float:
    """Where f′ = 0 between two minima: the top of the hill between their basins."""
    grad = SURFACES[sid].grad
    for _ in range(80):
        mid = (lo + hi) / 2
        if (grad(SCALAR, lo)[0] > 0) == (grad(SCALAR, mid)[0] > 0):
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def test_double_well_basins_split_at_the_hilltop() -> None:
    m = basins(_setting("double_well", lr=0.01, steps=3000), (401,))
    minima = SURFACES["double_well"].minima
    top = _barrier("double_well", minima[0].position[0] + 0.05, minima[1].position[0] - 0.05)
    assert 0.05 < top < 0.1
    left = m.x < top - 1e-9
    assert (m.ends.minimum[left] == 0).all()
    assert (m.ends.minimum[m.x > top + 1e-9] == 1).all()
    assert {OUTCOMES[k] for k in m.ends.outcome[left]} == {"global_minimum"}


def test_himmelblau_basins_are_its_four_quadrants_for_small_lr_descent() -> None:
    m = basins(_setting("himmelblau", lr=0.005, steps=2000), (48, 40))
    assert m.ends.outcome.shape == (40, 48)  # [j][i]: y rows, x columns
    x, y = np.meshgrid(m.x, m.y)
    minima = SURFACES["himmelblau"].minima
    quadrant = [(np.sign(p[0]), np.sign(p[1])) for p in (mm.position for mm in minima)]
    expected = np.full(x.shape, -1)
    for index, (sx, sy) in enumerate(quadrant):
        expected[(np.sign(x) == sx) & (np.sign(y) == sy)] = index
    away = (abs(x) >= 1.5) & (abs(y) >= 1.5)  # the basins' borders bend near the centre
    assert (m.ends.minimum[away] == expected[away]).all()
    assert (m.ends.minimum == expected).mean() > 0.95


@pytest.mark.parametrize(
    ("sid", "optimizer", "given", "steps", "resolution"),
    [
        ("roll_downhill", SGD, {"lr": 0.1}, 300, (64,)),
        ("roll_downhill", SGD, {"lr": 0.5}, 200, (64,)),  # bounces
        ("himmelblau", ADAM, {"lr": 0.1}, 300, (9, 7)),
        ("rastrigin", SGD, {"lr": 0.01, "momentum": 0.9}, 300, (8, 8)),
        ("saddle", SGD, {"lr": 0.1}, 200, (6, 6)),  # runs away
        ("roll_downhill", OPTIMIZERS["lbfgs"], {}, 20, (16,)),
    ],
)
def test_a_basin_map_cell_ends_as_a_single_run_from_its_start(
    sid, optimizer, given, steps, resolution
) -> None:
    setting = _setting(sid, optimizer, steps, **given)
    m = basins(setting, resolution)
    surface, hp = setting.surface, setting.hyperparameters
    for index in np.ndindex(m.ends.outcome.shape):
        start = [m.x[index[-1]]] if m.y is None else [m.x[index[1]], m.y[index[0]]]
        _, alone = run(surface, optimizer, hp, start_state(surface, optimizer, start), steps)
        outcome = alone.outcome()
        minimum = NO_MINIMUM if outcome.minimum is None else outcome.minimum
        assert (OUTCOMES[m.ends.outcome[index]], m.ends.minimum[index]) == (
            outcome.kind,
            minimum,
        )
        assert m.ends.steps[index] == alone.step
        np.testing.assert_allclose(m.ends.position[index], alone.position, rtol=0, atol=1e-12)


def test_the_sweep_settles_below_two_over_the_sharpness_and_never_above() -> None:
    # Roll Downhill under plain descent, from its start: every minimum's f″ is near 13.4,
    # so rates below 2/f″ ≈ 0.148 settle at a minimum and rates above never do.
    setting = _setting("roll_downhill", lr=0.1, steps=3000)
    limits = [s.descent_limit for s in sweep(setting, (3.5,), np.array([0.1]), 4).stability]
    assert all(s.limit == s.descent_limit for s in sweep(setting, (3.5,), [0.1], 1).stability)
    assert 0.14 < min(limits) <= max(limits) < 0.16
    lrs = log_rates(0.01, 1.2, 120)
    m = sweep(setting, (3.5,), lrs, keep=16)
    kinds = [OUTCOMES[k] for k in m.ends.outcome]
    settled = {"global_minimum", "local_minimum"}
    below, above = lrs < 0.97 * min(limits), lrs > 1.03 * max(limits)
    assert all(k in settled for k, b in zip(kinds, below, strict=True) if b)
    assert not any(k in settled for k, a in zip(kinds, above, strict=True) if a)
    # Settled rates keep one position; a bouncing rate keeps several (the diagram's branches).
    assert m.ends.last.shape == (16, 120, 1)
    spread = np.ptp(m.ends.last[..., 0], axis=0)
    assert (spread[below] < 1e-6).all()
    assert (spread[above & (m.ends.outcome == OUTCOMES.index("bouncing"))] > 0.01).all()


def test_momentum_stretches_the_limit_as_theory_says() -> None:
    setting = _setting("parabola", lr=0.1, momentum=0.5, steps=2000)
    (s,) = sweep(setting, (1.0,), [0.1], 1).stability
    assert s.sharpness == 2.0 and s.descent_limit == 1.0
    assert (s.limit, s.limit_rule) == (1.5, "heavy_ball")
    m = sweep(setting, (1.0,), np.array([1.4, 1.6]), 1)
    assert [OUTCOMES[k] for k in m.ends.outcome] == ["global_minimum", "diverged"]
    nesterov = _setting("parabola", lr=0.1, momentum=0.5, nesterov=True)
    (n,) = sweep(nesterov, (1.0,), [0.1], 1).stability
    assert n.limit == pytest.approx(2 * 1.5 / (2 * 2.0)) and n.limit_rule == "nesterov"
    assert sweep(_setting("parabola", ADAM), (1.0,), [0.1], 1).stability[0].limit is None


BATCHED = [(o.id, name) for o in OPTIMIZERS.values() for name in sorted(o.batched)]


def _values(optimizer, name: str, count: int) -> np.ndarray:
    key, _, entry = name.partition(".")
    h = next(h for h in optimizer.hyperparameters if h.name == key)
    default = h.default[int(entry)] if entry else h.default
    return np.asarray(default, float) * np.linspace(0.5, 1.0, count) + (
        np.linspace(0.0, 0.05, count) if default == 0 else 0.0
    )


@pytest.mark.parametrize(("oid", "name"), BATCHED)
def test_a_batched_hyperparameter_runs_as_each_value_alone(oid: str, name: str) -> None:
    # Optimizer.batched promises the rule takes these as arrays: one crowd over all the
    # values must give what one crowd per value gives, bit for bit.
    optimizer = OPTIMIZERS[oid]
    setting = _setting("himmelblau", optimizer, 60)
    values = _values(optimizer, name, 5)
    starts = np.tile([[1.0, -2.0], [-3.0, 0.5]], (5, 1, 1)).transpose(1, 0, 2)  # (2, 5, 2)
    together = roll_cells(setting, starts, {name: np.broadcast_to(values, (2, 5))})
    assert len(groups(setting, {name: values})) == 1
    for i, v in enumerate(values):
        alone = roll(setting, starts[:, i], with_value(setting.hyperparameters, name, float(v)))
        np.testing.assert_array_equal(together.position[:, i], alone.position)
        np.testing.assert_array_equal(together.outcome[:, i], alone.outcome)


def test_an_unbatched_hyperparameter_runs_one_crowd_per_value() -> None:
    # SGD branches on momentum (no buffer at 0): a momentum axis is run a value at a time.
    setting = _setting("parabola", lr=0.1, steps=200)
    m = trainability(
        setting, (1.0,), Axis("lr", 0.1, 1.9, "linear", 10), Axis("momentum", 0.0, 0.9, "linear", 4)
    )
    assert "momentum" not in SGD.batched
    for j, mu in enumerate(m.y):
        for i, lr in enumerate(m.x):
            hp = SGD.validate({"lr": float(lr), "momentum": float(mu)})
            _, alone = run(setting.surface, SGD, hp, start_state(setting.surface, SGD, [1.0]), 200)
            assert OUTCOMES[m.ends.outcome[j, i]] == alone.outcome().kind
            assert m.ends.steps[j, i] == alone.step
    # The edge follows 2(1 + μ)/f″ = 1 + μ.
    converged = m.ends.outcome == OUTCOMES.index("global_minimum")
    edge = np.array([m.x[row].max() for row in converged])
    assert (edge < 1 + m.y + 1e-9).all() and (edge > 1 + m.y - 0.2 - 1e-9).all()


def test_a_log_axis_is_log_spaced() -> None:
    values = Axis("lr", 1e-3, 1.0, "log", 4).values()
    np.testing.assert_allclose(values, [1e-3, 1e-2, 1e-1, 1.0])


def test_cancelling_stops_the_work_at_the_next_chunk() -> None:
    done: list[int] = []

    def progress(n: int) -> None:
        done.append(n)
        if len(done) == 3:
            raise Cancelled

    setting = _setting("himmelblau", ADAM, 2000, lr=1e-3)
    with pytest.raises(Cancelled):
        basins(setting, (128, 128), progress)
    assert len(done) == 3
    assert sum(done) < 0.05 * 128 * 128 * 2000


def test_progress_adds_up_to_the_work_done() -> None:
    done: list[int] = []
    setting = _setting("himmelblau", ADAM, 300, lr=1e-3)  # nobody converges in 300 steps
    basins(setting, (64, 64), done.append)
    assert sum(done) == 64 * 64 * 300 and len(done) > 2


def test_a_crowd_that_stops_early_keeps_its_place_in_the_last_positions() -> None:
    setting = _setting("parabola", lr=0.5, steps=100)  # lands on 0 at the first step
    ends = roll(setting, np.array([[1.0], [2.0]]), keep=8)
    assert ends.last.shape == (8, 2, 1)
    assert (ends.last == 0).all() and (ends.steps == 2).all()
    assert math.isfinite(ends.last_loss.sum())


def test_a_sweep_under_a_schedule_scales_each_rate_as_a_single_run_does() -> None:
    from app.engine.run.schedules import bind_schedule

    surface, schedule = SURFACES["roll_downhill"], bind_schedule("cosine", {"T_max": 50})
    setting = Setting(surface, SGD, SGD.validate({}), schedule=schedule, steps=100)
    m = sweep(setting, (1.0,), np.array([0.1, 0.5]), 1)
    for lr, position in zip([0.1, 0.5], m.ends.position, strict=True):
        hp = SGD.validate({"lr": lr})
        _, alone = run(surface, SGD, hp, start_state(surface, SGD, [1.0]), 100, schedule=schedule)
        np.testing.assert_allclose(position, alone.position, rtol=0, atol=1e-12)
    assert abs(m.ends.position[0, 0] - m.ends.position[1, 0]) > 1  # different minima


@pytest.mark.parametrize("oid", ["adam", "lbfgs", "rprop"])
def test_setting_finished_balls_aside_changes_nothing(oid: str, monkeypatch) -> None:
    # Balls that settle early are set aside (Run.take) and the rest run on as a smaller
    # crowd: bit for bit what the whole crowd, masks and all, gives.
    from app.engine.maps import crowd

    optimizer = OPTIMIZERS[oid]
    setting = _setting("himmelblau", optimizer, 600, lr=0.05)
    if oid != "adam":
        setting = _setting("himmelblau", optimizer, 300 if oid != "lbfgs" else 15)
    starts = np.stack(np.meshgrid(np.linspace(-5, 5, 12), np.linspace(-5, 5, 9)), axis=-1)
    split = roll(setting, starts)
    monkeypatch.setattr(crowd, "SPLIT", 0.0)
    whole = roll(setting, starts)
    if oid == "adam":  # some settle, some roll on: the crowd was split
        assert 0.5 < (split.status == 1).mean() < 1
    for name in ("outcome", "minimum", "status", "steps", "loss", "position"):
        np.testing.assert_array_equal(getattr(split, name), getattr(whole, name), name)
