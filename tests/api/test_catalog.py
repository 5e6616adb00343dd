"""GET /api/surfaces, /api/optimizers and the surface grid."""

import math

import pytest

from app.engine.optimizers import OPTIMIZERS


def engine_defaults(optimizer):
    """The engine's torch defaults (checked against torch in tests/engine), JSON-shaped."""
    return {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in optimizer.validate({}).items()
    }


def test_surfaces_list_the_four_1d_landscapes(client):
    surfaces = {s["id"]: s for s in client.get("/api/surfaces").json()}
    assert {"roll_downhill", "parabola", "double_well", "plateau_wall"} <= set(surfaces)
    demo = surfaces["roll_downhill"]
    assert demo["formula"] == "f(x) = 0.12·x² + sin(2.4x) + 0.3·cos(5x)"
    assert demo["dim"] == 1 and len(demo["domain"]) == 1
    kinds = [m["kind"] for m in demo["minima"]]
    assert kinds.count("global") == 1 and kinds.count("local") >= 2
    for s in surfaces.values():
        ((lo, hi),) = s["domain"]
        assert lo <= s["start"][0] <= hi
        for m in s["minima"]:
            assert lo < m["position"][0] < hi


def test_global_minimum_of_the_demo_is_where_the_course_says(client):
    demo = next(s for s in client.get("/api/surfaces").json() if s["id"] == "roll_downhill")
    best = next(m for m in demo["minima"] if m["kind"] == "global")
    x = best["position"][0]
    assert x == pytest.approx(-0.6283, abs=1e-3)
    assert best["value"] == pytest.approx(0.12 * x * x + math.sin(2.4 * x) + 0.3 * math.cos(5 * x))


def test_optimizers_carry_torch_names_and_defaults(client):
    optimizers = {o["id"]: o for o in client.get("/api/optimizers").json()}
    assert set(optimizers) == {"sgd", "adagrad", "rmsprop", "adam"} == set(OPTIMIZERS)
    for oid, optimizer in OPTIMIZERS.items():
        defaults = engine_defaults(optimizer)
        hps = {h["name"]: h for h in optimizers[oid]["hyperparameters"]}
        assert {n: h["default"] for n, h in hps.items()} == defaults
        for h in hps.values():
            assert h["scale"] in {"log", "linear", "bool", "choice"}
            assert h["label"] and h["help"]
            if h["scale"] != "bool":
                assert (
                    h["min"]
                    <= min(h["default"] if isinstance(h["default"], list) else [h["default"]])
                    <= h["max"]
                )


def test_sgd_presets_are_gradient_descent_momentum_and_nesterov(client):
    sgd = next(o for o in client.get("/api/optimizers").json() if o["id"] == "sgd")
    presets = {p["name"]: p["hyperparameters"] for p in sgd["presets"]}
    assert presets["Gradient descent"]["momentum"] == 0
    assert presets["Momentum"]["momentum"] == 0.9
    assert presets["Nesterov"]["nesterov"] is True


def test_grid_samples_the_curve(client):
    grid = client.get("/api/surfaces/roll_downhill/grid", params={"points": 11}).json()
    assert grid["x"][0] == -5 and grid["x"][-1] == 5 and len(grid["f"]) == 11
    assert grid["f"][5] == pytest.approx(0.3)  # f(0) = 0.3·cos 0


def test_grid_of_an_unknown_surface_is_a_404(client):
    response = client.get("/api/surfaces/nope/grid")
    assert response.status_code == 404
    assert response.json()["ok"] is False
