"""POST /api/runs/explain: the next step of a run, explained from what the page holds."""

from __future__ import annotations

import json

import pytest

from app.api.schemas.explain import ExplainOut

ADAM = {"surface": "himmelblau", "optimizer": "adam", "hyperparameters": {"lr": 0.1}}


def explain(client, body):
    response = client.post("/api/runs/explain", json=body)
    assert response.status_code == 200, response.text
    return ExplainOut.model_validate_json(response.content, strict=True)


def test_explains_the_step_after_the_steps_taken(client):
    e = explain(client, {**ADAM, "start": [0.5, -1.0], "steps": 4})
    (run,) = client.post(
        "/api/runs", json={"runs": [{**ADAM, "start": [0.5, -1.0], "steps": 5}]}
    ).json()["runs"]
    assert e.step == 5 and e.status == "running" and e.optimizer == "adam"
    assert e.position_before == run["positions"][4]
    assert e.position_after == run["positions"][5]
    assert e.gradient == run["gradients"][4]
    assert e.buffers_after == run["state"]["buffers"]
    assert {"m̂", "v̂", "1 − β₁ᵗ", "1 − β₂ᵗ"} <= {q.symbol for q in e.quantities}
    assert any(line.startswith("m̂ = m/(1 − β₁ᵗ) = [") for line in e.substituted)


def test_from_a_resume_state_plus_steps_as_the_page_sends_it(client):
    """The page holds the resume state of its last stream event and how many steps past it
    the ball it shows is: the explanation is the same as from the start."""
    (first,) = client.post(
        "/api/runs", json={"runs": [{**ADAM, "start": [0.5, -1.0], "steps": 10}]}
    ).json()["runs"]
    resumed = explain(client, {**ADAM, "resume": first["state"], "steps": 3})
    whole = explain(client, {**ADAM, "start": [0.5, -1.0], "steps": 13})
    assert resumed == whole and resumed.step == 14


def test_steps_zero_explains_the_first_step(client):
    body = {
        "surface": "roll_downhill",
        "optimizer": "sgd",
        "hyperparameters": {"lr": 0.1},
        "start": [1.0],
        "steps": 0,
    }
    e = explain(client, body)
    assert e.step == 1 and e.buffers_before == {"momentum_buffer": None}
    assert e.position_after[0] == pytest.approx(1.0 - 0.1 * e.gradient[0], rel=1e-15)
    assert e.effective_lr == [pytest.approx(0.1)]


def test_a_stopped_run_says_so_and_explains_its_next_step(client):
    gd = {"surface": "roll_downhill", "optimizer": "sgd", "start": [1.0]}
    converged = explain(client, {**gd, "hyperparameters": {"lr": 0.1}, "steps": 3000})
    assert converged.status == "converged" and converged.step < 3000
    assert abs(converged.delta[0]) < 1e-6
    diverged = explain(client, {**gd, "hyperparameters": {"lr": 50.0}, "steps": 100})
    assert diverged.status == "diverged"
    text = client.post(
        "/api/runs/explain", json={**gd, "hyperparameters": {"lr": 50.0}, "steps": 100}
    ).text
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON {c}"))


def test_bad_input_is_the_one_error_shape_naming_the_field(client, settings):
    response = client.post(
        "/api/runs/explain",
        json={**ADAM, "hyperparameters": {"lr": -1}, "steps": settings.max_steps + 1},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["ok"] is False and body["status"] == 422
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"steps", "hyperparameters.lr"}
    wrong = client.post(
        "/api/runs/explain",
        json={
            **ADAM,
            "resume": {
                "surface": "himmelblau",
                "optimizer": "sgd",
                "step": 1,
                "position": [0, 0],
                "buffers": {},
            },
        },
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "resume.optimizer"


def test_documented(client):
    document = client.get("/openapi.json").json()
    operation = document["paths"]["/api/runs/explain"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RunRequest"
    }
    assert set(operation["responses"]) == {"200", "413", "422"}


def test_a_run_ended_early_says_decided(client):
    """A page's run asks to end at its outcome (end_early): explained past that step, the
    answer says the run was decided there (it was refused by the schema before)."""
    bouncing = {"surface": "roll_downhill", "optimizer": "sgd", "start": [3.5], "end_early": True}
    e = explain(client, {**bouncing, "hyperparameters": {"lr": 1.2}, "steps": 1000})
    assert e.status == "decided" and e.step < 1000
