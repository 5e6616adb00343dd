"""POST /api/maps/*: basin maps, learning-rate sweeps and trainability maps over HTTP."""

from __future__ import annotations

import json

import pytest

from app.settings import Settings

SGD_WELL = {"surface": "roll_downhill", "optimizer": "sgd", "hyperparameters": {"lr": 0.05}}


def errors_of(response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["ok"] is False and body["status"] == 422
    return {e["field"]: e["reason"] for e in body["errors"]}


def test_a_1d_basin_map_lists_one_outcome_per_start(client):
    r = client.post("/api/maps/basins", json={**SGD_WELL, "resolution": 101, "steps": 400})
    assert r.status_code == 200
    m = r.json()
    assert len(m["x"]) == len(m["outcome"]) == len(m["minimum"]) == len(m["steps"]) == 101
    assert m["y"] is None and m["x"][0] == -5.0 and m["x"][-1] == 5.0
    assert sum(s["count"] for s in m["summary"]) == 101
    assert sum(s["fraction"] for s in m["summary"]) == pytest.approx(1)
    assert m["summary"] == sorted(m["summary"], key=lambda s: -s["count"])
    # Each cell is what a single run from that start gives.
    for i in range(0, 101, 10):
        run = {**SGD_WELL, "start": [m["x"][i]], "steps": 400}
        (alone,) = client.post("/api/runs", json={"runs": [run]}).json()["runs"]
        assert (m["outcome"][i], m["minimum"][i]) == (alone["outcome"], alone["minimum"])
        assert m["steps"][i] == alone["state"]["step"]


def test_a_2d_basin_map_nests_rows_of_y_as_the_grid_endpoint_does(client):
    body = {"surface": "himmelblau", "optimizer": "adam", "hyperparameters": {"lr": 0.1}}
    r = client.post("/api/maps/basins", json={**body, "resolution": [7, 5], "steps": 300})
    m = r.json()
    assert len(m["x"]) == 7 and len(m["y"]) == 5
    assert len(m["outcome"]) == 5 and all(len(row) == 7 for row in m["outcome"])
    j, i = 4, 6  # the top-right corner, (5, 5): Himmelblau's minimum at (3, 2)
    assert (m["x"][i], m["y"][j]) == (5.0, 5.0)
    assert m["minima"][m["minimum"][j][i]]["position"] == pytest.approx([3, 2], abs=1e-9)
    grid = client.get("/api/surfaces/himmelblau/grid").json()
    assert len(grid["f"]) == len(grid["y"])  # the same [j][i] nesting


def test_the_sweep_marks_two_over_the_sharpness_at_each_minimum(client):
    body = {**SGD_WELL, "start": [3.5], "lr_min": 0.01, "lr_max": 1.2, "count": 60}
    m = client.post("/api/maps/sweep", json={**body, "keep": 8, "steps": 500}).json()
    assert len(m["lr"]) == len(m["last"]) == len(m["last_loss"]) == len(m["outcome"]) == 60
    assert len(m["last"][0]) == 8 and len(m["last"][0][0]) == 1
    limits = [s["descent_limit"] for s in m["stability"]]
    assert len(limits) == len(m["minima"]) == 4
    assert all(0.14 < lim < 0.16 for lim in limits)  # "about 0.15"
    assert all(
        s["limit_rule"] == "descent" and s["limit"] == s["descent_limit"] for s in m["stability"]
    )
    settled = [o in ("global_minimum", "local_minimum") for o in m["outcome"]]
    assert all(s for s, lr in zip(settled, m["lr"], strict=True) if lr < 0.14)
    assert not any(s for s, lr in zip(settled, m["lr"], strict=True) if lr > 0.16)


def test_a_trainability_map_says_how_long_each_cell_took_to_converge(client):
    body = {
        "surface": "parabola",
        "optimizer": "sgd",
        "start": [1.0],
        "x_axis": {"name": "lr", "min": 0.05, "max": 2.5, "scale": "log"},
        "y_axis": {"name": "momentum", "min": 0.0, "max": 0.9},
        "resolution": [24, 4],
        "steps": 400,
    }
    m = client.post("/api/maps/trainability", json=body).json()
    assert (m["x_name"], m["y_name"]) == ("lr", "momentum")
    assert len(m["outcome"]) == 4 and len(m["outcome"][0]) == 24
    for row_outcome, row_steps in zip(m["outcome"], m["steps"], strict=True):
        for outcome, steps in zip(row_outcome, row_steps, strict=True):
            if outcome == "global_minimum":
                assert isinstance(steps, int) and 0 < steps <= 400
            if outcome in ("diverged", "bouncing"):
                assert steps is None
    # lr 0.05 without momentum crawls in; the edge lr = 2(1 + μ)/f″ = 1 + μ moves with μ.
    assert m["outcome"][0][0] == "global_minimum" and m["outcome"][0][-1] == "diverged"
    assert m["outcome"][3][-1] == "diverged" and m["outcome"][3][0] == "global_minimum"


def test_betas_entries_are_axes(client):
    body = {
        "surface": "himmelblau",
        "optimizer": "adam",
        "x_axis": {"name": "lr", "min": 0.001, "max": 1, "scale": "log"},
        "y_axis": {"name": "betas.1", "min": 0.9, "max": 0.9999},
        "resolution": [6, 5],
        "steps": 50,
    }
    m = client.post("/api/maps/trainability", json=body).json()
    assert m["y_name"] == "betas.1" and m["y"][0] == 0.9 and m["y"][-1] == 0.9999


def test_the_trainability_axes_follow_the_landscape_and_hold_the_runs_rate(client):
    def axes(surface: str, optimizer: str, hp: dict, y_name: str = "momentum") -> dict:
        body = {"surface": surface, "optimizer": optimizer, "hyperparameters": hp}
        r = client.post("/api/maps/trainability/axes", json={**body, "y_name": y_name})
        assert r.status_code == 200, r.text
        return r.json()

    ravine = axes("ravine", "sgd", {"lr": 0.08})
    rosenbrock = axes("rosenbrock", "sgd", {"lr": 0.0008})
    assert ravine["y_axis"] == {"name": "momentum", "min": 0, "max": 1, "scale": "linear"}
    for answer, lr, limit in ((ravine, 0.08, 2 / 20), (rosenbrock, 0.0008, 2 / 1001.6)):
        x = answer["x_axis"]
        assert x["name"] == "lr" and x["scale"] == "log"
        # the run's rate inside, and the rate past which descent cannot settle (2/λmax)
        assert x["min"] < lr < x["max"] and x["min"] < limit < x["max"]
    assert rosenbrock["x_axis"]["max"] < 0.08  # Rosenbrock's range is not the ravine's
    # a rate typed far outside is still inside the map
    assert axes("ravine", "sgd", {"lr": 5.0})["x_axis"]["max"] > 5
    # a step-sized optimizer's axis brackets its suggested rate (Adam: 1% of the domain)
    adam = axes("ravine", "adam", {"lr": 0.06}, "betas.1")
    assert adam["x_axis"]["min"] < 0.06 < adam["x_axis"]["max"]
    assert adam["y_axis"]["name"] == "betas.1" and adam["y_axis"]["max"] < 1


def test_trainability_axes_are_refused_for_a_setting_the_optimizer_lacks(client):
    body = {"surface": "ravine", "optimizer": "adam", "x_name": "lr", "y_name": "momentum"}
    reason = errors_of(client.post("/api/maps/trainability/axes", json=body))["y_name"]
    assert "Adam has no numeric hyperparameter 'momentum'" in reason


@pytest.mark.parametrize(
    ("path", "body", "field", "words"),
    [
        ("basins", {**SGD_WELL, "resolution": [10, 10]}, "resolution", "1D"),
        ("basins", {**SGD_WELL, "resolution": 5000}, "resolution", "4096"),
        ("basins", {**SGD_WELL, "resolution": 1}, "resolution", "between 2"),
        ("basins", {**SGD_WELL, "resolution": 100, "steps": 5000}, "steps", "2000"),
        # a map left to the server to size, whose hyperparameter the engine refuses: named,
        # not rolled (the sizing pilot would roll its balls)
        (
            "basins",
            {"surface": "beale", "optimizer": "adam", "hyperparameters": {"betas": [-1.0, 0.0]}},
            "hyperparameters.betas",
            "beta",
        ),
        (
            "basins",
            {"surface": "himmelblau", "optimizer": "sgd", "resolution": [300, 10]},
            "resolution.0",
            "256",
        ),
        (
            "basins",
            {"surface": "himmelblau", "optimizer": "lbfgs", "resolution": [256, 256]},
            "resolution",
            "s of work",
        ),
        ("sweep", {**SGD_WELL, "lr_min": 0.5, "lr_max": 0.1}, "lr_max", "above lr_min"),
        ("sweep", {**SGD_WELL, "lr_max": 500.0}, "lr_max", "Invalid learning rate"),
        ("sweep", {**SGD_WELL, "count": 5000}, "count", "4096"),
        ("sweep", {**SGD_WELL, "start": [9.0]}, "start.0", "outside the domain"),
        ("sweep", {**SGD_WELL, "keep": 50, "steps": 20}, "keep", "steps"),
        (
            "trainability",
            {
                **SGD_WELL,
                "x_axis": {"name": "lr", "min": 0.1, "max": 1},
                "y_axis": {"name": "nesterov", "min": 0, "max": 1},
            },
            "y_axis.name",
            "momentum",
        ),
        (
            "trainability",
            {
                **SGD_WELL,
                "x_axis": {"name": "momentum", "min": 0.1, "max": 1.5},
                "y_axis": {"name": "lr", "min": 0.1, "max": 1},
            },
            "x_axis.max",
            "momentum",
        ),
        (
            "trainability",
            {
                **SGD_WELL,
                "x_axis": {"name": "lr", "min": 0, "max": 1, "scale": "log"},
                "y_axis": {"name": "momentum", "min": 0, "max": 0.9},
            },
            "x_axis.min",
            "log",
        ),
        (
            "trainability",
            {
                **SGD_WELL,
                "x_axis": {"name": "lr", "min": 0.1, "max": 1},
                "y_axis": {"name": "lr", "min": 0.1, "max": 1},
            },
            "y_axis.name",
            "differ",
        ),
        (
            "trainability",
            {
                **SGD_WELL,
                "hyperparameters": {"nesterov": True, "momentum": 0.5},
                "x_axis": {"name": "lr", "min": 0.1, "max": 1},
                "y_axis": {"name": "momentum", "min": 0, "max": 0.9},
            },
            "y_axis",
            "Nesterov",
        ),
    ],
)
def test_bad_maps_are_refused_naming_the_field(client, path, body, field, words):
    found = errors_of(client.post(f"/api/maps/{path}", json=body))
    assert field in found, found
    assert words.lower() in found[field].lower(), found[field]


def test_unknown_surface_and_optimizer_are_named_together(client):
    found = errors_of(
        client.post(
            "/api/maps/basins", json={"surface": "nope", "optimizer": "nah", "resolution": 5}
        )
    )
    assert set(found) == {"surface", "optimizer"}


def test_the_stream_reports_progress_then_the_same_answer(client):
    body = {"surface": "himmelblau", "optimizer": "adam", "resolution": [40, 40], "steps": 200}
    with client.stream("POST", "/api/maps/basins/stream", json=body) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = []
        kind = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                events.append((kind, json.loads(line[6:])))
    kinds = [k for k, _ in events]
    assert kinds[-1] == "result" and set(kinds[:-1]) == {"progress"}
    done = [d["done"] for k, d in events if k == "progress"]
    assert done == sorted(done) and all(d["total"] == 40 * 40 * 200 for k, d in events[:-1])
    assert events[-1][1] == client.post("/api/maps/basins", json=body).json()


def test_a_bad_stream_request_is_refused_before_it_streams(client):
    r = client.post("/api/maps/sweep/stream", json={**SGD_WELL, "count": 1})
    assert r.status_code == 422 and r.headers["content-type"] == "application/json"


def test_the_work_limit_is_a_setting():
    from fastapi.testclient import TestClient

    from app.main import create_app

    client = TestClient(create_app(Settings(map_max_seconds=0.5)))
    found = errors_of(
        client.post(
            "/api/maps/basins",
            json={"surface": "himmelblau", "optimizer": "adam", "resolution": [256, 256]},
        )
    )
    assert "0.5 s" in found["resolution"]


def test_a_map_that_leaves_out_its_size_gets_one_that_fits(client):
    adam = {"surface": "himmelblau", "optimizer": "adam", "steps": 1000}
    m = client.post("/api/maps/basins", json=adam).json()
    assert (len(m["x"]), len(m["y"])) == (80, 80)  # the default
    # L-BFGS steps each ball on its own: the server picks a grid it can do in seconds.
    lbfgs = {**adam, "optimizer": "lbfgs"}
    r = client.post("/api/maps/basins", json=lbfgs)
    assert r.status_code == 200
    side = len(r.json()["x"])
    assert 8 <= side < 80 and len(r.json()["y"]) == side
    sweep = client.post("/api/maps/sweep", json={**SGD_WELL, "steps": 300}).json()
    assert len(sweep["lr"]) == 256
    body = {
        **lbfgs,
        "x_axis": {"name": "lr", "min": 0.1, "max": 1},
        "y_axis": {"name": "tolerance_grad", "min": 1e-9, "max": 1e-5, "scale": "log"},
    }
    train = client.post("/api/maps/trainability", json=body)
    assert train.status_code == 200 and len(train.json()["x"]) < 48


def test_a_map_running_past_its_time_is_stopped_and_says_what_to_lower(client, monkeypatch):
    from app.api import map_jobs

    monkeypatch.setattr(map_jobs, "OVERTIME", 1e-4)  # 3 ms of the 30 s limit
    body = {"surface": "himmelblau", "optimizer": "adam", "resolution": [128, 128], "steps": 500}
    found = errors_of(client.post("/api/maps/basins", json=body))
    assert (
        "still computing" in found["resolution"] and "lower the resolution" in found["resolution"]
    )
    sweep = {**SGD_WELL, "count": 1000, "steps": 2000}
    assert "lower the count" in errors_of(client.post("/api/maps/sweep", json=sweep))["count"]
    with client.stream("POST", "/api/maps/basins/stream", json=body) as r:
        assert r.status_code == 200
        text = "".join(r.iter_text())
    kind, data = text.strip().split("\n\n")[-1].split("\n")
    assert kind == "event: error"
    error = json.loads(data[len("data: ") :])
    assert error["status"] == 422 and error["errors"][0]["field"] == "resolution"
    assert client.get("/healthz").json()["maps_running"] == 0


def test_detail_scales_the_size_the_server_picks(client):
    def side(detail, optimizer="adam"):
        body = {"surface": "himmelblau", "optimizer": optimizer, "steps": 1000, "detail": detail}
        return len(client.post("/api/maps/basins", json=body).json()["x"])

    assert (side("coarse"), side("normal"), side("fine")) == (40, 80, 160)
    assert side("coarse", "lbfgs") <= side("fine", "lbfgs") < 160
    sweep = {**SGD_WELL, "steps": 300, "detail": "fine"}
    assert len(client.post("/api/maps/sweep", json=sweep).json()["lr"]) == 512


def test_a_map_is_sized_by_what_its_balls_really_do(client):
    """The size a map gets comes from a pilot of its own balls: Newton's balls settle in a
    few steps on Himmelblau, so its map keeps the default grid; SGLD's draw random numbers
    every step and each rate of its sweep rolls as a crowd of its own, so a fine sweep
    comes out with fewer rates than a plain one's 512."""
    newton = {"surface": "himmelblau", "optimizer": "newton", "steps": 200}
    m = client.post("/api/maps/basins", json=newton).json()
    assert (len(m["x"]), len(m["y"])) == (80, 80)
    sgld = {"surface": "roll_downhill", "optimizer": "sgld", "detail": "fine"}
    rates = len(client.post("/api/maps/sweep", json=sgld).json()["lr"])
    plain = len(client.post("/api/maps/sweep", json={**SGD_WELL, "detail": "fine"}).json()["lr"])
    assert 16 <= rates < plain == 512


def test_the_fine_maps_budget_is_a_setting():
    from fastapi.testclient import TestClient

    from app.main import create_app

    body = {"surface": "himmelblau", "optimizer": "adam", "steps": 1000, "detail": "fine"}
    sides = []
    for seconds in (8.0, 0.2):
        client = TestClient(create_app(Settings(map_fine_seconds=seconds)))
        sides.append(len(client.post("/api/maps/basins", json=body).json()["x"]))
    assert sides[0] == 160 and 8 <= sides[1] < 160


def test_rprops_trainability_map_at_its_default_axes(client):
    """The default range of Rprop's η₋ is its slider's (0 to 10) cut to what Rprop takes
    (0 < η₋ < 1), so the map the page asks for first is drawn, not refused."""
    run = {"surface": "roll_downhill", "optimizer": "rprop", "steps": 50}
    axes = client.post(
        "/api/maps/trainability/axes", json={**run, "x_name": "lr", "y_name": "etas.0"}
    ).json()
    assert 0 < axes["y_axis"]["min"] <= 0.001 and 0.999 <= axes["y_axis"]["max"] < 1
    r = client.post("/api/maps/trainability", json={**run, **axes, "resolution": [6, 5]})
    assert r.status_code == 200, r.text
    assert len(r.json()["y"]) == 5
