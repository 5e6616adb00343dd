"""A model on data as a run's surface: POST /api/surfaces/model shows it; runs, the stream,
resumed runs, maps, the update rule and the CSV take it; real mini-batches stream as they
run in bulk and resume exactly; every refusal names its field."""

from __future__ import annotations

import csv
import io

import httpx
import numpy as np
import pytest

from app.api.catalog import GRID_POINTS
from app.engine.surfaces.models import DATASETS, MAX_POINTS
from tests.stream.test_stream import merged, records, stream

OUTLIER = {"model": "linear", "loss": "mse", "data": "outlier"}
POINTS = {"x": [-2.0, -1.0, 0.0, 1.0, 2.5], "y": [-3.1, -1.6, -0.9, 0.6, 1.8]}
BATCHED = {
    "surface": {"model": "linear", "data": "noisy_line"},
    "optimizer": "sgd",
    "hyperparameters": {"lr": 0.05, "momentum": 0.9},
    "options": {"batch_size": 6, "seed": 7},
    "start": [-3.0, 3.0],
    "steps": 90,
}


def errors_of(response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {e["field"]: e["reason"] for e in response.json()["errors"]}


def least_squares(x, y) -> np.ndarray:
    x, y = np.asarray(x), np.asarray(y)
    return np.linalg.lstsq(np.stack([x, np.ones_like(x)], axis=1), y, rcond=None)[0]


# --- the catalog ---------------------------------------------------------------------------


def test_models_and_datasets_are_listed(client) -> None:
    models = {m["id"]: m for m in client.get("/api/models").json()}
    assert [loss["id"] for loss in models["linear"]["losses"]] == ["mse", "mae"]
    assert models["logistic"]["losses"][0]["id"] == "bce"
    assert models["tanh_net"]["weights"] == ["w₁", "w₂"] and models["tanh_net"]["fixed"] == 1.0
    sets = {d["id"]: d for d in client.get("/api/datasets").json()}
    assert set(sets) == set(DATASETS) >= {"noisy_line", "outlier", "overlap", "separable"}
    assert {sets[k]["kind"] for k in ("overlap", "separable")} == {"classes"}
    assert set(sets["separable"]["y"]) == {0.0, 1.0}


def test_a_model_landscape_marks_the_least_squares_minimum(client) -> None:
    r = client.post("/api/surfaces/model", json=OUTLIER)
    assert r.status_code == 200, r.text
    body = r.json()
    data = DATASETS["outlier"]
    (minimum,) = body["minima"]
    np.testing.assert_allclose(minimum["position"], least_squares(data.x, data.y), atol=1e-12)
    assert body["id"].startswith("model-") and body["dim"] == 2
    assert body["data"]["x"] == data.x.tolist() and body["data"]["id"] == "outlier"
    assert body["request"] == {**OUTLIER, "dim": 2}
    assert body["model"]["prediction"] == "ŷ = w·x + b" and body["loss"]["id"] == "mse"
    assert len(body["grid"]["x"]) == len(body["grid"]["y"]) == GRID_POINTS[2]
    assert body["no_minimum"] == "" and body["suggested_lr"]["sgd"] > 0


def test_the_loss_is_filled_in_and_one_weight_is_1d(client) -> None:
    body = client.post(
        "/api/surfaces/model", json={"model": "logistic", "data": "separable", "dim": 1}
    ).json()
    assert body["request"]["loss"] == "bce" and body["dim"] == 1
    assert body["minima"] == [] and "no minimum" in body["no_minimum"]


def test_points_of_ones_own_make_their_landscape(client) -> None:
    body = client.post("/api/surfaces/model", json={"model": "linear", "data": POINTS}).json()
    (minimum,) = body["minima"]
    np.testing.assert_allclose(minimum["position"], least_squares(POINTS["x"], POINTS["y"]))
    assert body["data"]["id"] == "" and body["data"]["y"] == POINTS["y"]
    moved = {"x": POINTS["x"], "y": [*POINTS["y"][:-1], -3.0]}  # drag the last point down
    again = client.post("/api/surfaces/model", json={"model": "linear", "data": moved}).json()
    assert again["id"] != body["id"] and again["minima"][0]["position"][0] < minimum["position"][0]


@pytest.mark.parametrize(
    ("surface", "field"),
    [
        ({"model": "quadratic", "data": "outlier"}, "model"),
        ({"model": "linear", "loss": "bce", "data": "outlier"}, "loss"),
        ({"model": "linear", "data": "no_such_set"}, "data"),
        ({"model": "logistic", "data": {"x": [1, 2], "y": [0, 0.5]}}, "data.y.1"),
        ({"model": "linear", "data": {"x": [1, 1], "y": [0, 2]}}, "data.x"),
        ({"model": "linear", "data": {"x": [1, 2], "y": [0]}}, "data.y"),
        ({"model": "linear", "data": {"x": [1, 500], "y": [0, 1]}}, "data.x.1"),
        ({"model": "linear", "data": {"x": [], "y": []}}, "data.x"),
        ({"model": "linear", "data": "outlier", "dim": 3}, "dim"),
        (
            {
                "model": "linear",
                "data": {"x": [0.0] * (MAX_POINTS + 1), "y": [0.0] * (MAX_POINTS + 1)},
            },
            "data.x",
        ),
        ({"model": "linear", "data": "outlier", "extra": 1}, "extra"),
    ],
)
def test_refusals_name_the_field(client, surface, field) -> None:
    errors = errors_of(client.post("/api/surfaces/model", json=surface))
    assert field in errors, errors
    # the same surface in a run is refused the same way, under `surface.`
    run = {"surface": surface, "optimizer": "sgd", "steps": 5}
    assert f"runs.0.surface.{field}" in errors_of(client.post("/api/runs", json={"runs": [run]}))


def test_a_model_takes_no_surface_parameters(client) -> None:
    run = {"surface": OUTLIER, "surface_parameters": {"kappa": 3}, "optimizer": "sgd", "steps": 5}
    errors = errors_of(client.post("/api/runs", json={"runs": [run]}))
    assert "model has no parameters" in errors["runs.0.surface_parameters"]


# --- runs ------------------------------------------------------------------------------------


def test_full_batch_descent_ends_at_the_least_squares_minimum(client) -> None:
    run = {"surface": OUTLIER, "optimizer": "sgd", "hyperparameters": {"lr": 0.1}, "steps": 500}
    (result,) = client.post("/api/runs", json={"runs": [run]}).json()["runs"]
    assert result["outcome"] == "global_minimum"
    data = DATASETS["outlier"]
    np.testing.assert_allclose(result["positions"][-1], least_squares(data.x, data.y), atol=1e-5)
    assert result["epochs"] is None and result["batch_points"] is None  # the whole data set


def test_mini_batches_cover_the_data_once_per_epoch(client) -> None:
    (result,) = client.post("/api/runs", json={"runs": [BATCHED]}).json()["runs"]
    n = len(DATASETS["noisy_line"].x)
    per_epoch = -(-n // 6)
    assert result["epochs"][:1] == [None] and result["batch_points"][0] is None
    for epoch in (1, 2, 3):
        steps = [i for i, e in enumerate(result["epochs"]) if e == epoch]
        assert len(steps) == per_epoch
        assert [result["batches"][i] for i in steps] == list(range(1, per_epoch + 1))
        assert sorted(p for i in steps for p in result["batch_points"][i]) == list(range(n))
    # the gradient given is the batch's, not the whole data set's
    assert result["applied_gradients"][1] != result["gradients"][0]


def test_a_batched_run_resumes_exactly(client) -> None:
    (whole,) = client.post("/api/runs", json={"runs": [BATCHED]}).json()["runs"]
    first = {**BATCHED, "steps": 37}
    (part,) = client.post("/api/runs", json={"runs": [first]}).json()["runs"]
    rest = {**BATCHED, "steps": 53, "resume": part["state"]}
    del rest["start"]
    (resumed,) = client.post("/api/runs", json={"runs": [rest]}).json()["runs"]
    assert resumed["positions"][-1] == whole["positions"][-1]
    assert resumed["batch_points"][1:] == whole["batch_points"][38:]


def test_another_seed_draws_other_batches(client) -> None:
    other = {**BATCHED, "options": {**BATCHED["options"], "seed": 8}}
    a, b = client.post("/api/runs", json={"runs": [BATCHED, other]}).json()["runs"]
    assert a["batch_points"][1] != b["batch_points"][1]
    assert a["positions"][-1] != b["positions"][-1]


def test_a_state_names_its_model_and_is_refused_elsewhere(client) -> None:
    (result,) = client.post("/api/runs", json={"runs": [BATCHED]}).json()["runs"]
    assert result["state"]["surface"].startswith("model-")
    wrong = {**BATCHED, "surface": OUTLIER, "resume": result["state"]}
    del wrong["start"]
    assert "runs.0.resume.surface" in errors_of(client.post("/api/runs", json={"runs": [wrong]}))


def test_the_update_rule_names_the_mini_batch(client) -> None:
    body = {**BATCHED, "steps": 0}  # the first step
    r = client.post("/api/runs/explain", json=body)
    assert r.status_code == 200, r.text
    given = next(q for q in r.json()["quantities"] if q["symbol"] == "g")
    assert (
        "mini-batch 1 of epoch 1" in given["meaning"]
        and "6 of the 20 data points" in given["meaning"]
    )


def test_the_csv_lists_each_batch_in_one_cell(client) -> None:
    run = {**BATCHED, "steps": 4}
    r = client.post("/api/runs/export?format=csv", json={"runs": [run]})
    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows[0]["batch_points"] == "" and rows[1]["epochs"] == "1"
    assert len(rows[1]["batch_points"].split()) == 6


def test_maps_run_on_a_model(client) -> None:
    body = {
        "surface": {"model": "tanh_net", "data": "tanh_curve"},
        "optimizer": "sgd",
        "hyperparameters": {"lr": 0.3},
        "resolution": [24, 24],
        "steps": 200,
    }
    r = client.post("/api/maps/basins", json=body)
    assert r.status_code == 200, r.text
    counts = {(e["outcome"], e["minimum"]) for e in r.json()["summary"]}
    # the two mirror-image minima each draw starts
    assert {m for _, m in counts if m is not None} == {0, 1}


# --- the stream --------------------------------------------------------------------------------


def test_mini_batches_stream_as_they_run_in_bulk(server) -> None:
    classes = {"model": "logistic", "data": POINTS | {"y": [0, 0, 1, 0, 1]}}
    runs = [BATCHED, {**BATCHED, "surface": classes, "options": {"batch_size": 2}}]
    events = stream(server, runs, speed=0)
    bulk = httpx.post(f"{server.url}/api/runs", json={"runs": runs}).json()["runs"]
    for i in range(2):
        got = merged(events, i)
        assert got["batch_points"] is not None
        for key in got:
            assert got[key] == bulk[i][key], key
    mid = next(r for r in records(events) if r["steps"][-1] >= 40)
    rest = {**BATCHED, "steps": 90 - mid["state"]["step"], "resume": mid["state"]}
    del rest["start"]
    (resumed,) = httpx.post(f"{server.url}/api/runs", json={"runs": [rest]}).json()["runs"]
    assert resumed["positions"][-1] == bulk[0]["positions"][-1]
