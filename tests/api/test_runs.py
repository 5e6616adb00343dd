"""POST /api/runs: shapes, statuses, resume, limits, and bad input."""

import json

import pytest


def post(client, *runs):
    return client.post("/api/runs", json={"runs": list(runs)})


def strict_json(text):
    """Parse JSON the way a browser does: NaN and Infinity are not JSON."""

    def reject(token):
        raise AssertionError(f"non-standard JSON constant {token}")

    return json.loads(text, parse_constant=reject)


DEMO = {"surface": "roll_downhill", "optimizer": "sgd", "hyperparameters": {"lr": 0.05}}


def test_a_run_returns_every_step_from_the_start(client):
    response = post(client, {**DEMO, "start": [3.5], "steps": 10})
    assert response.status_code == 200
    (run,) = strict_json(response.text)["runs"]
    assert run["steps"] == list(range(11))
    assert run["positions"][0] == [3.5]
    assert len(run["positions"]) == len(run["losses"]) == len(run["gradients"]) == 11
    assert run["status"] == "max_steps"
    assert run["state"]["step"] == 10 and run["state"]["position"] == run["positions"][-1]
    # gradient descent: x1 = x0 - lr·f'(x0)
    assert run["positions"][1][0] == pytest.approx(3.5 - 0.05 * run["gradients"][0][0], rel=1e-15)


def test_small_learning_rate_settles_in_the_nearest_local_minimum(client):
    (run,) = post(client, {**DEMO, "start": [3.5], "steps": 2000}).json()["runs"]
    assert run["status"] == "converged"
    assert run["positions"][-1][0] == pytest.approx(1.8848, abs=1e-4)


def test_hyperparameters_left_out_take_torch_defaults(client):
    explicit = post(
        client,
        {
            "surface": "parabola",
            "optimizer": "adam",
            "steps": 20,
            "hyperparameters": {"lr": 0.001, "betas": [0.9, 0.999], "eps": 1e-8},
        },
    ).json()
    implicit = post(client, {"surface": "parabola", "optimizer": "adam", "steps": 20}).json()
    assert explicit == implicit


def test_resuming_a_state_continues_exactly(client):
    run = {
        "surface": "double_well",
        "optimizer": "rmsprop",
        "hyperparameters": {"lr": 0.005, "momentum": 0.5, "centered": True},
    }
    (whole,) = post(client, {**run, "steps": 60}).json()["runs"]
    assert whole["status"] == "max_steps"
    (first,) = post(client, {**run, "steps": 25}).json()["runs"]
    (rest,) = post(client, {**run, "steps": 35, "resume": first["state"]}).json()["runs"]
    assert rest["steps"][0] == 25 and rest["steps"][-1] == 60
    assert first["positions"] + rest["positions"][1:] == whole["positions"]
    assert rest["state"] == whole["state"]


def test_a_state_with_an_overflowed_buffer_resumes_exactly(client):
    # float16 overflows the gradient to +inf; Lion steps by its sign and keeps +inf in its
    # momentum: the state sends it as "Infinity" and takes it back.
    run = {
        "surface": "roll_downhill",
        "optimizer": "lion",
        "hyperparameters": {"lr": 0.0001},
        "options": {"precision": "float16", "loss_scale": 65536},
    }
    (whole,) = strict_json(post(client, {**run, "steps": 40}).text)["runs"]
    (first,) = strict_json(post(client, {**run, "steps": 15}).text)["runs"]
    assert first["state"]["buffers"]["exp_avg"] == ["Infinity"]
    response = post(client, {**run, "steps": 25, "resume": first["state"]})
    assert response.status_code == 200, response.text
    (rest,) = strict_json(response.text)["runs"]
    assert first["positions"] + rest["positions"][1:] == whole["positions"]
    assert rest["state"] == whole["state"]


def test_the_wire_names_the_engines_non_finite_texts():
    from typing import get_args

    from app.api.schemas.runs import NonFinite
    from app.engine.run.state import NON_FINITE

    assert set(get_args(NonFinite)) == set(NON_FINITE)


def test_momentum_keeps_its_velocity_when_the_learning_rate_changes(client):
    run = {"surface": "roll_downhill", "optimizer": "sgd", "start": [3.5]}
    (first,) = post(
        client, {**run, "hyperparameters": {"lr": 0.05, "momentum": 0.9}, "steps": 5}
    ).json()["runs"]
    velocity = first["state"]["buffers"]["momentum_buffer"][0]
    assert velocity != 0
    (rest,) = post(
        client,
        {
            **run,
            "hyperparameters": {"lr": 0.2, "momentum": 0.9},
            "steps": 1,
            "resume": first["state"],
        },
    ).json()["runs"]
    g = first["gradients"][-1][0]
    x = first["positions"][-1][0]
    assert rest["positions"][1][0] == pytest.approx(x - 0.2 * (0.9 * velocity + g), rel=1e-14)


def test_diverging_runs_stop_with_finite_json(client):
    response = post(
        client,
        {"surface": "parabola", "optimizer": "sgd", "hyperparameters": {"lr": 1.15}, "steps": 5000},
    )
    (run,) = strict_json(response.text)["runs"]
    assert run["status"] == "diverged"
    assert len(run["steps"]) < 100
    assert abs(run["positions"][-1][0]) <= 30  # stopped at the runaway bound, 10x the domain


def test_several_runs_in_one_request(client):
    runs = post(client, {**DEMO, "steps": 3}, {**DEMO, "optimizer": "adam", "steps": 4}).json()
    assert [len(r["steps"]) for r in runs["runs"]] == [4, 5]


@pytest.mark.parametrize(
    ("run", "field", "words"),
    [
        ({"surface": "nope"}, "runs.0.surface", "unknown surface"),
        ({"optimizer": "sgdx"}, "runs.0.optimizer", "unknown optimizer"),
        ({"hyperparameters": {"lr": -0.1}}, "runs.0.hyperparameters.lr", "Invalid learning rate"),
        ({"hyperparameters": {"lr": "fast"}}, "runs.0.hyperparameters.lr", "must be a number"),
        ({"hyperparameters": {"lr": 1e300}}, "runs.0.hyperparameters.lr", "between"),
        (
            {"hyperparameters": {"momentm": 0.9}},
            "runs.0.hyperparameters.momentm",
            "no hyperparameter",
        ),
        ({"hyperparameters": {"nesterov": True}}, "runs.0.hyperparameters.nesterov", "Nesterov"),
        (
            {"optimizer": "adam", "hyperparameters": {"betas": [0.9, 1.0]}},
            "runs.0.hyperparameters.betas",
            "Invalid beta parameter at index 1",
        ),
        ({"start": [1.0, 2.0]}, "runs.0.start", "1D"),
        ({"start": [50.0]}, "runs.0.start.0", "outside the domain"),
        ({"steps": -1}, "runs.0.steps", "greater than or equal to 0"),
        ({"steps": 10**6}, "runs.0.steps", "at most"),
        (
            {
                "resume": {
                    "surface": "parabola",
                    "optimizer": "sgd",
                    "step": 3,
                    "position": [1.0],
                    "buffers": {},
                }
            },
            "runs.0.resume.surface",
            "parabola",
        ),
        (
            {
                "resume": {
                    "surface": "roll_downhill",
                    "optimizer": "sgd",
                    "step": 3,
                    "position": [1.0, 2.0],
                    "buffers": {},
                }
            },
            "runs.0.resume.position",
            "coordinate",
        ),
        (
            {
                "resume": {
                    "surface": "roll_downhill",
                    "optimizer": "sgd",
                    "step": 3,
                    "position": [1e300],
                    "buffers": {},
                }
            },
            "runs.0.resume.position",
            "outside",
        ),
        ({"colour": "red"}, "runs.0.colour", "Extra inputs"),
        (
            {"surface_parameters": {"kappa": 5}},
            "runs.0.surface_parameters.kappa",
            "Roll Downhill",
        ),
        (
            {"surface": "ravine", "start": [1.0, 1.0], "surface_parameters": {"kappa": 0}},
            "runs.0.surface_parameters.kappa",
            "Invalid condition number",
        ),
        (
            {"surface": "ravine", "start": [1.0, 1.0], "surface_parameters": {"kappa": "big"}},
            "runs.0.surface_parameters.kappa",
            "must be a number",
        ),
        (
            {"surface": "ravine", "start": [1.0, 1.0], "surface_parameters": {"k": 5}},
            "runs.0.surface_parameters.k",
            "kappa",
        ),
        # JSON types as the document states them: no true for 1, no "5" for 5
        ({"steps": False}, "runs.0.steps", "valid integer"),
        ({"steps": "5"}, "runs.0.steps", "valid integer"),
        ({"start": ["1.5"]}, "runs.0.start.0", "valid number"),
        ({"surface": "rosenbrock", "start": [1.0]}, "runs.0.start", "2D"),
        ({"surface": "rosenbrock", "start": [1.0, 30.0]}, "runs.0.start.1", "outside the domain"),
    ],
)
def test_bad_input_names_the_field_and_the_reason(client, run, field, words):
    response = post(client, {**DEMO, **run})
    assert response.status_code == 422
    body = response.json()
    assert body["ok"] is False and body["status"] == 422
    fields = {e["field"]: e["reason"] for e in body["errors"]}
    assert field in fields, body
    assert words in fields[field]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"runs": [',
        b'{"runs": [{"surface": "parabola", "optimizer": "sgd", "hyperparameters": {"lr": NaN}}]}',
        b'{"runs": [{"surface": "parabola", "optimizer": "sgd", "start": [Infinity]}]}',
        b"[]",
        b'{"runs": []}',
    ],
)
def test_malformed_bodies_are_422_not_500(client, raw):
    response = client.post("/api/runs", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["errors"]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"runs": "\xff"}', "malformed JSON: cannot be decoded as utf-8"),
        (b"[" * 100_000, "malformed JSON: nested too deeply"),
    ],
)
def test_unreadable_json_is_malformed_json_not_a_bare_400(client, raw, reason):
    response = client.post("/api/runs", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422
    ((field, said),) = [(e["field"], e["reason"]) for e in response.json()["errors"]]
    assert field == "body" and said.startswith(reason)


def test_a_stream_refuses_bad_runs_with_422_not_500(client):
    too_deep = client.get("/api/stream", params={"runs": "[" * 5000, "speed": 0})
    assert too_deep.status_code == 422
    assert too_deep.json()["errors"][0]["field"] == "runs"
    loose = client.get("/api/stream", params={"runs": json.dumps([{**DEMO, "steps": True}])})
    assert loose.status_code == 422
    assert loose.json()["errors"][0]["field"] == "runs.0.steps"


def test_too_many_runs_is_refused(client, settings):
    response = post(client, *[DEMO] * (settings.max_runs + 1))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "runs"


def test_limits_come_from_settings(client, settings):
    settings.max_steps = 50
    response = post(client, {**DEMO, "steps": 51})
    assert response.json()["errors"] == [
        {"field": "runs.0.steps", "reason": "at most 50 steps per run, got 51"}
    ]


def test_one_error_shape_for_every_4xx(client):
    shapes = [
        client.get("/no/such/page"),
        client.delete("/api/runs"),
        post(client, {"surface": "nope", "optimizer": "sgd"}),
        client.get("/api/stream", params={"runs": "[", "speed": 1}),
    ]
    assert [r.status_code for r in shapes] == [404, 405, 422, 422]
    for r in shapes:
        body = r.json()
        assert set(body) == {"ok", "status", "error", "errors"}
        assert body["ok"] is False and body["status"] == r.status_code
        assert all(set(e) == {"field", "reason"} for e in body["errors"])


def test_2d_runs_report_two_coordinates_per_step(client):
    run = {"surface": "rosenbrock", "optimizer": "adam", "hyperparameters": {"lr": 0.05}}
    (result,) = post(client, {**run, "start": [-1.5, 2.5], "steps": 50}).json()["runs"]
    assert result["positions"][0] == [-1.5, 2.5]
    assert {len(p) for p in result["positions"]} == {len(g) for g in result["gradients"]} == {2}
    assert result["losses"][-1] < result["losses"][0]
    assert len(result["state"]["buffers"]["exp_avg"]) == 2


def test_surface_parameters_reshape_the_landscape_and_resume_keeps_going(client):
    ravine = {"surface": "ravine", "optimizer": "sgd", "hyperparameters": {"lr": 0.01}}
    start = {"start": [-2.0, 1.0], "steps": 1}
    (mild,) = post(client, {**ravine, **start, "surface_parameters": {"kappa": 2}}).json()["runs"]
    steep_run = {**ravine, **start, "surface_parameters": {"kappa": 200}}
    (steep,) = post(client, steep_run).json()["runs"]
    assert mild["losses"][0] == pytest.approx(0.5 * (4 + 2 * 1))
    assert steep["losses"][0] == pytest.approx(0.5 * (4 + 200 * 1))
    assert steep["gradients"][0] == pytest.approx([-2.0, 200.0])
    # A resumed run may take a new kappa: the ball stays where it was.
    (more,) = post(
        client,
        {**ravine, "steps": 1, "resume": mild["state"], "surface_parameters": {"kappa": 200}},
    ).json()["runs"]
    assert more["positions"][0] == mild["positions"][-1]
    assert more["steps"] == [1, 2]
