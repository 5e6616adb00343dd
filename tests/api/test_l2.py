"""POST /api/surfaces/l2: the engine's lowest point of f + (λ/2)·‖x‖², for any surface a run
takes (built-in with its parameters, typed formula, model on data); bad λ refused by name."""

from __future__ import annotations

import pytest

from app.engine.surfaces import SURFACES
from app.engine.surfaces.models import ModelSpec, model_surface
from app.engine.surfaces.regularized import l2_lowest


def lowest(client, **body):
    r = client.post("/api/surfaces/l2", json=body)
    assert r.status_code == 200, r.text
    return r.json()["lowest"]


def test_the_answer_is_the_engines_lowest_point(client) -> None:
    answer = lowest(client, surface="roll_downhill", weight_decay=10)
    engine = l2_lowest(SURFACES["roll_downhill"], 10.0)
    assert engine is not None
    assert answer == {"position": list(engine.position), "value": engine.value, "kind": "global"}
    # f' + 10x = 0 pulls the minimum at -0.628 toward 0
    assert -0.5 < answer["position"][0] < -0.1


def test_surface_parameters_are_read_as_a_runs(client) -> None:
    # the ravine, at any condition number, is lowest at 0, where the penalty is 0 too
    ravine = lowest(client, surface="ravine", surface_parameters={"kappa": 100}, weight_decay=1)
    assert ravine == {"position": [0.0, 0.0], "value": 0.0, "kind": "global"}


def test_a_typed_formula_and_a_model_on_data_are_answered(client) -> None:
    typed = {"expression": "(x - 2)^2 + y^2", "domain": [[-3, 3], [-3, 3]]}
    # (x - 2)² + x² is lowest at x = 1
    assert lowest(client, surface=typed, weight_decay=2)["position"] == pytest.approx([1.0, 0.0])
    model = {"model": "linear", "loss": "mse", "data": "noisy_line", "dim": 2}
    engine = l2_lowest(model_surface(ModelSpec("linear", "mse", "noisy_line")), 0.5)
    assert engine is not None
    assert lowest(client, surface=model, weight_decay=0.5)["position"] == list(engine.position)


@pytest.mark.parametrize(
    ("weight_decay", "reason"),
    [
        (0, "greater than 0"),
        (-1, "greater than 0"),
        (1e9, "less than or equal to 10"),
        ("1", "number"),
    ],
)
def test_a_bad_weight_decay_is_refused_by_name(client, weight_decay, reason) -> None:
    r = client.post("/api/surfaces/l2", json={"surface": "parabola", "weight_decay": weight_decay})
    assert r.status_code == 422
    body = r.json()
    assert body["ok"] is False and body["status"] == 422
    assert [e["field"] for e in body["errors"]] == ["weight_decay"]
    assert reason in body["errors"][0]["reason"]


def test_a_non_finite_weight_decay_is_refused_by_name(client) -> None:
    r = client.post(
        "/api/surfaces/l2",
        content=b'{"surface": "parabola", "weight_decay": NaN}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["weight_decay"]


def test_a_bad_surface_or_parameter_is_refused_by_name(client) -> None:
    r = client.post("/api/surfaces/l2", json={"surface": "nope", "weight_decay": 1})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "surface"
    r = client.post(
        "/api/surfaces/l2",
        json={"surface": "ravine", "surface_parameters": {"kappa": -5}, "weight_decay": 1},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "surface_parameters.kappa"


def test_no_verifiable_minimum_is_null_not_an_error(client) -> None:
    # mean absolute error: the penalized minimum sits on a kink, where ∇f is not 0
    model = {"model": "linear", "loss": "mae", "data": "noisy_line", "dim": 2}
    assert lowest(client, surface=model, weight_decay=1) is None
