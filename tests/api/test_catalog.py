"""GET /api/surfaces, /api/optimizers and the surface grid."""

import math

import pytest

from app.engine.optimizers import OPTIMIZERS
from app.engine.run.schedules import SCHEDULES
from app.engine.surfaces import SURFACES
from tests.engine.optimizer_cases import CASES


def engine_defaults(optimizer):
    """The engine's torch defaults (checked against torch in tests/engine), JSON-shaped."""
    return {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in optimizer.validate({}).items()
    }


def test_surfaces_list_the_1d_and_2d_landscapes(client):
    surfaces = {s["id"]: s for s in client.get("/api/surfaces").json()}
    # every landscape of the catalog, in its order, with its dimension
    assert [(k, s["dim"]) for k, s in surfaces.items()] == [(k, s.dim) for k, s in SURFACES.items()]
    assert {1, 2} == {s["dim"] for s in surfaces.values()}
    demo = surfaces["roll_downhill"]
    assert demo["formula"] == "f(x) = 0.12·x² + sin(2.4x) + 0.3·cos(5x)"
    assert demo["dim"] == 1 and len(demo["domain"]) == 1
    kinds = [m["kind"] for m in demo["minima"]]
    assert kinds.count("global") == 1 and kinds.count("local") >= 2
    for s in surfaces.values():
        assert len(s["domain"]) == len(s["start"]) == s["dim"]
        for (lo, hi), v in zip(s["domain"], s["start"], strict=True):
            assert lo <= v <= hi
        for m in s["minima"]:
            assert all(lo < v < hi for (lo, hi), v in zip(s["domain"], m["position"], strict=True))
    assert surfaces["saddle"]["minima"] == []  # it falls away without bound
    himmelblau = surfaces["himmelblau"]["minima"]
    assert len(himmelblau) == 4 and {m["kind"] for m in himmelblau} == {"global"}


def test_global_minimum_of_the_demo_is_where_the_course_says(client):
    demo = next(s for s in client.get("/api/surfaces").json() if s["id"] == "roll_downhill")
    best = next(m for m in demo["minima"] if m["kind"] == "global")
    x = best["position"][0]
    assert x == pytest.approx(-0.6283, abs=1e-3)
    assert best["value"] == pytest.approx(0.12 * x * x + math.sin(2.4 * x) + 0.3 * math.cos(5 * x))


def test_optimizers_carry_torch_names_and_defaults(client):
    optimizers = {o["id"]: o for o in client.get("/api/optimizers").json()}
    assert list(optimizers) == list(OPTIMIZERS)  # every one, in the catalog's order
    for oid, optimizer in OPTIMIZERS.items():
        defaults = engine_defaults(optimizer)
        hps = {h["name"]: h for h in optimizers[oid]["hyperparameters"]}
        assert {n: h["default"] for n, h in hps.items()} == defaults
        for h in hps.values():
            assert h["scale"] in {"log", "linear", "bool", "choice"}
            assert h["label"] and h["help"]
            if h["scale"] in ("log", "linear"):
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


def test_2d_grid_samples_rows_along_y(client):
    grid = client.get("/api/surfaces/booth/grid", params={"points": 5}).json()
    assert grid["x"] == [-10, -5, 0, 5, 10] and grid["y"] == [-10, -5, 0, 5, 10]
    assert len(grid["f"]) == 5 and all(len(row) == 5 for row in grid["f"])
    x, y = grid["x"][3], grid["y"][1]  # f[j][i] is f(x[i], y[j])
    assert grid["f"][1][3] == pytest.approx((x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2)


def test_default_2d_grid_is_fine_enough_to_draw(client):
    grid = client.get("/api/surfaces/himmelblau/grid").json()
    assert len(grid["x"]) == len(grid["y"]) == 121


@pytest.mark.parametrize(
    ("sid", "scale"), [("rosenbrock", "log"), ("beale", "log"), ("rastrigin", "linear")]
)
def test_grid_says_when_colours_need_a_log_scale(client, sid, scale):
    assert client.get(f"/api/surfaces/{sid}/grid").json()["colour_scale"] == scale


def test_grid_takes_surface_parameters_from_the_query(client):
    mild = client.get("/api/surfaces/ravine/grid", params={"points": 3, "kappa": 1}).json()
    steep = client.get("/api/surfaces/ravine/grid", params={"points": 3, "kappa": 100}).json()
    ((lo, hi), (ylo, yhi)) = next(
        s["domain"] for s in client.get("/api/surfaces").json() if s["id"] == "ravine"
    )
    assert mild["f"][0][1] == pytest.approx(0.5 * (((lo + hi) / 2) ** 2 + ylo**2))
    assert steep["f"][0][1] == pytest.approx(0.5 * (((lo + hi) / 2) ** 2 + 100 * ylo**2))


@pytest.mark.parametrize(
    ("path", "params", "field", "words"),
    [
        ("ravine", {"kappa": "steep"}, "kappa", "must be a number"),
        ("ravine", {"kappa": 0}, "kappa", "Invalid condition number"),
        ("ravine", {"kapa": 3}, "kapa", "kappa"),
        ("booth", {"kappa": 3}, "kappa", "Booth"),
        ("booth", {"points": 401}, "points", "at most 400"),
        ("booth", {"points": 1}, "points", "greater than or equal to 2"),
    ],
)
def test_bad_grid_queries_name_the_parameter(client, path, params, field, words):
    response = client.get(f"/api/surfaces/{path}/grid", params=params)
    assert response.status_code == 422
    errors = {e["field"]: e["reason"] for e in response.json()["errors"]}
    assert words in errors[field], errors


def test_surfaces_list_their_parameters(client):
    surfaces = {s["id"]: s for s in client.get("/api/surfaces").json()}
    (kappa,) = surfaces["ravine"]["parameters"]
    assert kappa["name"] == "kappa" and kappa["min"] == 1 and kappa["max"] == 1000
    assert surfaces["rosenbrock"]["parameters"] == []


def test_optimizers_say_how_weight_decay_acts(client):
    kinds = {o["id"]: o["weight_decay"] for o in client.get("/api/optimizers").json()}
    for oid in ("sgd", "adagrad", "rmsprop", "adam"):
        assert kinds[oid] == "l2"  # torch adds weight_decay·x to the gradient


def test_optimizers_are_grouped_for_the_picker(client):
    groups = {o["id"]: o["group"] for o in client.get("/api/optimizers").json()}
    assert groups == {oid: case.group for oid, case in CASES.items()}
    assert groups["sgd"] == "classic" and groups["sgld"] == "stochastic"


def test_optimizers_and_schedules_name_every_symbol_of_their_formulas(client):
    # The engine's lists, served in order as {symbol, meaning} (their completeness against
    # the formulas is tests/engine/test_symbols.py's).
    optimizers = {o["id"]: o for o in client.get("/api/optimizers").json()}
    for oid, o in optimizers.items():
        assert o["symbols"] == [{"symbol": s, "meaning": m} for s, m in OPTIMIZERS[oid].symbols], (
            oid
        )
    sgd = {s["symbol"]: s["meaning"] for s in optimizers["sgd"]["symbols"]}
    assert "τ" in optimizers["sgd"]["formula"] and "dampening" in sgd["τ"]
    assert "`momentum` setting" in sgd["μ"]
    adam = {s["symbol"]: s["meaning"] for s in optimizers["adam"]["symbols"]}
    assert adam["β₁ᵗ"].startswith("β₁ raised to the power t, the step number")

    schedules = {s["id"]: s for s in client.get("/api/options").json()["schedules"]}
    for sid, s in schedules.items():
        assert s["symbols"] == [{"symbol": y, "meaning": m} for y, m in SCHEDULES[sid].symbols]
    cosine = {s["symbol"]: s["meaning"] for s in schedules["cosine"]["symbols"]}
    assert {"lr_t", "lr", "η_min", "t", "T_max", "cos", "π"} == set(cosine)
    assert "`eta_min` setting" in cosine["η_min"]
