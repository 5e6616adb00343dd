"""Run options (noise, clipping, float16), schedules, and the second-order and Langevin
optimizers through POST /api/runs: what a page sends and what it gets back."""

import math

import pytest

from app.engine.run.options import OPTIONS
from app.engine.run.schedules import SCHEDULES


def post(client, *runs):
    return client.post("/api/runs", json={"runs": list(runs)})


def one(client, run):
    response = post(client, run)
    assert response.status_code == 200, response.text
    return response.json()["runs"][0]


def errors(response):
    assert response.status_code == 422, response.text
    return {e["field"]: e["reason"] for e in response.json()["errors"]}


DEMO = {"surface": "roll_downhill", "optimizer": "sgd", "hyperparameters": {"lr": 0.05}}


def test_options_catalog_lists_every_option_and_schedule(client):
    catalog = client.get("/api/options").json()
    assert [o["name"] for o in catalog["options"]] == [h.name for h in OPTIONS]
    assert [s["id"] for s in catalog["schedules"]] == list(SCHEDULES)
    precision = next(o for o in catalog["options"] if o["name"] == "precision")
    assert precision["scale"] == "choice" and precision["choices"] == ["float64", "float16"]
    seed = next(o for o in catalog["options"] if o["name"] == "seed")
    assert seed["integer"] is True
    for schedule in catalog["schedules"]:
        assert schedule["name"] and schedule["formula"] and schedule["help"]
    cosine = next(s for s in catalog["schedules"] if s["id"] == "cosine")
    assert {p["name"] for p in cosine["parameters"]} == {"T_max", "eta_min"}


def test_a_plain_run_sends_what_carries_nothing_once_as_null(client):
    # No schedule, no noise/float16/clipping, one evaluation per step: the rate is the run's
    # lr, the gradient applied is the exact one, nothing underflows, one evaluation a step.
    plain = one(client, {**DEMO, "steps": 5})
    assert len(plain["steps"]) == 6
    assert plain["lrs"] is plain["applied_gradients"] is None
    assert plain["underflows"] is plain["evaluations"] is None
    noisy = one(client, {**DEMO, "steps": 5, "options": {"noise": 0.5}})
    assert noisy["applied_gradients"][0] is None and len(noisy["applied_gradients"]) == 6
    assert noisy["applied_gradients"][1:] != noisy["gradients"][:-1]
    assert noisy["lrs"] is noisy["underflows"] is noisy["evaluations"] is None
    half = one(client, {**DEMO, "steps": 5, "options": {"precision": "float16"}})
    assert half["underflows"] == [0] * 6
    lbfgs = one(client, {**DEMO, "optimizer": "lbfgs", "hyperparameters": {}, "steps": 2})
    assert lbfgs["evaluations"][0] == 0 and lbfgs["evaluations"][1] > 1


def test_every_step_says_its_learning_rate_under_a_schedule(client):
    stepped = one(
        client,
        {**DEMO, "steps": 7, "schedule": {"name": "step", "parameters": {"step_size": 3}}},
    )
    assert stepped["lrs"][1:] == pytest.approx([0.05] * 3 + [0.005] * 3 + [0.0005])


def test_a_schedule_continues_across_a_resume(client):
    run = {**DEMO, "schedule": {"name": "cosine", "parameters": {"T_max": 20}}}
    whole = one(client, {**run, "steps": 30})
    first = one(client, {**run, "steps": 12})
    rest = one(client, {**run, "steps": 18, "resume": first["state"]})
    assert first["lrs"] + rest["lrs"][1:] == whole["lrs"]
    assert first["positions"] + rest["positions"][1:] == whole["positions"]
    assert min(whole["lrs"][1:]) == pytest.approx(0.0, abs=1e-15)  # step 21: epoch T_max


def test_the_same_seed_gives_the_same_noisy_run(client):
    noisy = {**DEMO, "steps": 40, "options": {"noise": 1.0, "seed": 5}}
    a, b = one(client, noisy), one(client, noisy)
    assert a == b
    other = one(client, {**noisy, "options": {"noise": 1.0, "seed": 6}})
    assert other["positions"] != a["positions"]
    first = one(client, {**noisy, "steps": 17})
    rest = one(client, {**noisy, "steps": 23, "resume": first["state"]})
    assert first["positions"] + rest["positions"][1:] == a["positions"]


def test_a_bigger_batch_means_less_noise(client):
    def spread(batch):
        run = one(client, {**DEMO, "steps": 200, "options": {"noise": 1.0, "batch_size": batch}})
        diffs = [
            a[0] - g[0]
            for a, g in zip(run["applied_gradients"][1:], run["gradients"][:-1], strict=True)
        ]
        return math.sqrt(sum(d * d for d in diffs) / len(diffs))

    assert spread(1) == pytest.approx(1.0, rel=0.2)
    assert spread(64) == pytest.approx(1 / 8, rel=0.2)


def test_clipping_caps_the_gradient_the_optimizer_sees(client):
    by_norm = one(client, {**DEMO, "start": [4.0], "steps": 5, "options": {"clip_grad_norm": 0.1}})
    assert all(abs(g[0]) <= 0.1 for g in by_norm["applied_gradients"][1:])
    by_value = one(client, {**DEMO, "steps": 5, "options": {"clip_grad_value": 0.2}})
    assert all(abs(g[0]) <= 0.2 for g in by_value["applied_gradients"][1:])


PLATEAU = {
    "surface": "plateau",
    "optimizer": "adam",
    "hyperparameters": {"lr": 0.05},
    "start": [4.6, 4.4],
    "steps": 30,
}


def test_float16_underflow_and_loss_scaling(client):
    exact = one(client, PLATEAU)
    half = one(client, {**PLATEAU, "options": {"precision": "float16"}})
    scaled = one(client, {**PLATEAU, "options": {"precision": "float16", "loss_scale": 1024}})
    assert 0 < abs(exact["gradients"][0][0]) < 1e-8  # far out, the slope is ~1e-9
    assert half["underflows"][1:] == [2]  # both components round to zero ...
    assert half["applied_gradients"][1] == [0.0, 0.0]
    assert half["positions"] == [PLATEAU["start"]] * 2  # ... and the ball cannot move
    assert half["status"] == "converged"  # (by the runner's test: flat, and not moving)
    assert scaled["underflows"][1:] == [0] * 30  # 1024× lifts them into float16's range
    assert scaled["positions"][-1] == pytest.approx(exact["positions"][-1], rel=1e-2)


def test_a_float16_overflow_is_sent_as_text_and_its_state_resumes(client):
    # 65536·f'(3.5) ≈ 69,300 is past float16's largest value (65504): the gradient given to
    # the optimizer is inf.  Lion only takes its sign and goes on, its momentum infinite.
    run = {
        "surface": "roll_downhill",
        "optimizer": "lion",
        "steps": 3,
        "options": {"precision": "float16", "loss_scale": 65536},
    }
    result = one(client, run)  # checked against RunsResponse, as every response is
    assert result["applied_gradients"][1:] == [[None]] * 3
    assert result["positions"][-1][0] < 3.5
    assert result["state"]["buffers"] == {"exp_avg": ["Infinity"]}  # JSON has no inf
    resumed = post(client, {**run, "resume": result["state"]})
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["runs"][0]["positions"][-1][0] < result["positions"][-1][0]


def test_lbfgs_reports_its_function_evaluations(client):
    run = one(
        client,
        {
            "surface": "himmelblau",
            "optimizer": "lbfgs",
            "hyperparameters": {"line_search_fn": "strong_wolfe"},
            "steps": 5,
        },
    )
    # One outer step (up to 20 iterations) finds the minimum at (3.584428, −1.848126);
    # then torch's tolerance_change test ends each step after its first evaluation.
    assert run["positions"][1] == pytest.approx([3.584428, -1.848126], abs=1e-5)
    assert run["evaluations"][1] > 5 and run["evaluations"][2:] == [1] * 4
    assert run["state"]["buffers"]["func_evals"] == sum(run["evaluations"])


def test_newton_lands_on_a_bowls_minimum_in_one_step(client):
    run = one(client, {"surface": "booth", "optimizer": "newton", "steps": 3})
    assert run["positions"][1] == pytest.approx([1.0, 3.0], abs=1e-12)
    assert run["status"] == "converged"


def test_sgld_keeps_moving_at_a_temperature(client):
    run = one(
        client,
        {
            "surface": "roll_downhill",
            "optimizer": "sgld",
            "hyperparameters": {"lr": 0.01, "temperature": 0.5},
            "steps": 300,
            "options": {"seed": 2},
        },
    )
    assert run["status"] == "max_steps"
    xs = [p[0] for p in run["positions"][100:]]
    assert max(xs) - min(xs) > 0.3


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ({"options": {"noise": -1}}, "runs.0.options.noise", "between"),
        ({"options": {"precision": "float8"}}, "runs.0.options.precision", "float16"),
        ({"options": {"seed": 1.5}}, "runs.0.options.seed", "whole number"),
        ({"options": {"batch": 4}}, "runs.0.options.batch", "batch_size"),
        ({"schedule": {"name": "warmup"}}, "runs.0.schedule.name", "cosine"),
        (
            {"schedule": {"name": "cosine", "parameters": {"T_max": 0}}},
            "runs.0.schedule.parameters.T_max",
            "T_max",
        ),
        (
            {"optimizer": "adagrad", "schedule": {"name": "onecycle"}},
            "runs.0.schedule.parameters.cycle_momentum",
            "momentum",
        ),
        ({"optimizer": "lbfgs", "hyperparameters": {"max_iter": 2.5}}, None, "whole number"),
        (
            {"optimizer": "lbfgs", "hyperparameters": {"line_search_fn": "armijo"}},
            "runs.0.hyperparameters.line_search_fn",
            "strong_wolfe",
        ),
    ],
)
def test_bad_training_input_is_a_422_naming_the_field(client, extra, field, words):
    found = errors(post(client, {**DEMO, **extra}))
    field = field or "runs.0.hyperparameters.max_iter"
    assert words in found[field], found


def test_a_broken_lbfgs_state_is_refused_by_name(client):
    run = {"surface": "rosenbrock", "optimizer": "lbfgs", "steps": 2}
    state = one(client, run)["state"]
    state["buffers"]["old_dirs"] = [[1.0]]  # a 2D run's history holds 2D vectors
    found = errors(post(client, {**run, "resume": state}))
    assert any(f.startswith("runs.0.resume.buffers.old_dirs") for f in found), found
