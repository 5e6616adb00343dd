"""POST /api/networks/views: the landscape of a network over HTTP — each view's answer, its
size by `detail` within the server's limits, computed once and tagged as the maps are, and
every refusal naming its field."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from app.api import map_jobs
from app.api.schemas.network_views import Detail, NetworkViewOut
from app.engine.networks.views import DETAIL, VIEWS
from app.main import create_app
from app.settings import Settings

# Two racers on a small network: every view in well under a second.
NET = {
    "data": {"dataset": "xor", "points": 60},
    "model": {"hidden": [4]},
    "optimizers": [
        {"optimizer": "sgd", "hyperparameters": {"lr": 0.5}},
        {"optimizer": "adam", "hyperparameters": {"lr": 0.05}},
    ],
    "steps": 60,
}
COMMON = {"view", "task", "loss_name", "steps"}
KEYS = {
    "line": COMMON | {"racers"},
    "plane": COMMON
    | {"racer", "seed", "span", "alphas", "betas", "train", "test", "centre", "lowest"}
    | {"direction_norms", "paths"},
    "pca": COMMON | {"explained", "alphas", "betas", "train", "test", "origin", "lowest", "paths"},
    "sharpness": COMMON | {"racers"},
    "seeds": COMMON
    | {"racer", "seeds", "alphas", "before", "after", "ends", "distance", "moved", "sweeps"},
}
PATH = {"step", "alpha", "beta", "off", "distance", "train", "plane_train"}


def view(client: TestClient, kind: str, **fields: object):
    return client.post("/api/networks/views", json={**NET, "view": kind, **fields})


def errors_of(response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["ok"] is False and body["status"] == 422
    return {e["field"]: e["reason"] for e in body["errors"]}


def health(client: TestClient) -> dict:
    return client.get("/healthz").json()


@pytest.mark.parametrize("kind", VIEWS)
def test_each_view_answers_with_its_keys_and_the_documented_shape(client, kind):
    r = view(client, kind, detail="coarse")
    assert r.status_code == 200, r.text
    answer = r.json()
    assert set(answer) == KEYS[kind]
    NetworkViewOut.model_validate(answer)  # the documented model, no key more or less
    assert answer["view"] == kind and answer["task"] == "binary"
    assert answer["loss_name"] == "binary cross-entropy"
    sizes = DETAIL["coarse"]
    if kind in ("line", "sharpness"):
        assert len(answer["racers"]) == 2 and answer["steps"] == [60, 60]
    if kind == "line":
        for racer in answer["racers"]:
            assert len(racer["alphas"]) == len(racer["train"]) == sizes.points
            assert racer["barrier"]["train"] >= 0 and racer["distance"] > 0
    if kind in ("plane", "pca"):
        assert len(answer["alphas"]) == len(answer["betas"]) == sizes.side
        assert len(answer["train"]) == sizes.side and len(answer["train"][0]) == sizes.side
        assert [set(p) for p in answer["paths"]] == [PATH, PATH]
        assert answer["paths"][0]["step"][-1] == 60  # the path ends where the racer is
    if kind == "sharpness":
        for racer in answer["racers"]:
            assert len(racer["top"]) == len(racer["step"]) == len(racer["limit"])
            assert len(racer["final"]) == sizes.top
        assert [r["preconditioned"] for r in answer["racers"]] == [False, True]
    if kind == "seeds":
        assert answer["seeds"] == [0, 1]  # the model's init_seed, and one more
        assert len(answer["before"]["train"]) == sizes.points


@pytest.mark.parametrize(
    ("body", "task", "loss_name"),
    [
        (
            {"data": {"dataset": "sine", "points": 40}, "model": {"features": ["x1"]}},
            "regression",
            "mean squared error",
        ),
        ({"data": {"dataset": "three_classes", "points": 45}}, "multiclass", "cross-entropy"),
        (
            {
                "data": {
                    "own": {
                        "x": [[0.0], [1.0], [2.0], [3.0]],
                        "y": [0, 1, 4, 9],
                        "task": "regression",
                    },
                    "test_ratio": 0,
                },
                "model": {"features": ["x1"]},
            },
            "regression",
            "mean squared error",
        ),
        ({"model": {"hidden": []}}, "binary", "binary cross-entropy"),  # a linear model
        ({"steps": 0}, "binary", "binary cross-entropy"),  # the page at its start
        # a racer that diverges stops at its last finite step: each view is of where it is
        (
            {
                "data": {"dataset": "sine", "points": 40},
                "model": {"hidden": [3], "features": ["x1"]},
                "optimizers": [{"optimizer": "sgd", "hyperparameters": {"lr": 5.0}}],
            },
            "regression",
            "mean squared error",
        ),
    ],
)
def test_every_view_works_for_every_kind_of_network(client, body, task, loss_name):
    base = {"data": {"dataset": "circle", "points": 40}, "model": {"hidden": [3]}, "steps": 30}
    for kind in VIEWS:
        r = client.post(
            "/api/networks/views", json={**base, **body, "view": kind, "detail": "coarse"}
        )
        assert r.status_code == 200, (kind, r.text)
        answer = NetworkViewOut.model_validate(r.json()).root
        assert (answer.view, answer.task, answer.loss_name) == (kind, task, loss_name)
        assert all(0 <= steps <= base["steps"] for steps in answer.steps)


def test_the_plane_is_centred_where_the_racer_is_and_its_seed_is_its_own(client):
    first = view(client, "plane", detail="coarse", racer=1, seed=3, span=0.5).json()
    assert (first["racer"], first["seed"], first["span"]) == (1, 3, 0.5)
    assert first["alphas"][0] == -0.5 and first["alphas"][-1] == 0.5
    mid = len(first["alphas"]) // 2
    # The grid's centre is the racer's current weights: the loss its path ends at.
    assert first["train"][mid][mid] == pytest.approx(first["centre"]["train"])
    assert first["paths"][1]["train"][-1] == pytest.approx(first["centre"]["train"])
    other = view(client, "plane", detail="coarse", racer=1, seed=4, span=0.5).json()
    assert other["train"] != first["train"]  # other directions, another slice
    # Filter-normalised: each direction as long as the weights it is scaled to, any seed.
    assert other["direction_norms"] == pytest.approx(first["direction_norms"])


def test_detail_sizes_a_view_within_the_servers_limits(client):
    sides = [len(view(client, "pca", detail=d).json()["alphas"]) for d in DETAIL]
    assert sides == [DETAIL[d].side for d in DETAIL] == [21, 41, 61]
    capped = TestClient(create_app(Settings(network_view_max_side=9, network_view_max_points=7)))
    plane = view(capped, "plane", detail="fine").json()
    assert len(plane["alphas"]) == 9
    assert all(len(p["step"]) <= 7 for p in plane["paths"])
    assert len(view(capped, "line", detail="fine").json()["racers"][0]["alphas"]) == 7


def test_the_default_limits_cap_no_detail():
    defaults = Settings()
    assert list(DETAIL) == list(Detail.__args__)
    assert max(s.side for s in DETAIL.values()) <= defaults.network_view_max_side
    assert max(max(s.points, s.path) for s in DETAIL.values()) <= (defaults.network_view_max_points)


def test_identical_views_are_computed_once_and_tagged(client):
    first = view(client, "line")
    worked = health(client)["network_view_work"]
    assert worked > 0
    # What a line does not read (the plane's seed and span, a racer, the grid) is not
    # part of it: the same answer, from the cache.
    again = view(client, "line", seed=7, span=2.0, racer=1, grid=10)
    h = health(client)
    assert (h["answers_computed"], h["answers_cached"]) == (1, 1)
    assert h["network_view_work"] == worked  # nothing computed again
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    held = client.post(
        "/api/networks/views",
        json={**NET, "view": "line"},
        headers={"If-None-Match": first.headers["etag"]},
    )
    assert held.status_code == 304 and held.content == b""
    assert health(client)["answers_cached"] == 2
    # The stream of the same view is the same answer, whole, from the cache.
    streamed = client.post("/api/networks/views/stream", json={**NET, "view": "line"})
    assert streamed.text.replace("\r\n", "\n") == f"event: result\ndata: {first.text}\n\n"
    # What a view does read makes another view.
    other = view(client, "line", steps=61)
    assert other.status_code == 200 and other.headers["etag"] != first.headers["etag"]
    assert health(client)["answers_computed"] == 2


def test_the_second_seed_left_out_is_the_models_seed_plus_one(client):
    left_out = view(client, "seeds", detail="coarse", model={"hidden": [4], "init_seed": 5})
    given = view(
        client, "seeds", detail="coarse", model={"hidden": [4], "init_seed": 5}, second_seed=6
    )
    assert left_out.json()["seeds"] == [5, 6]
    assert given.content == left_out.content
    assert health(client)["answers_computed"] == 1


def test_the_stream_reports_progress_then_the_same_answer(client):
    body = {**NET, "view": "sharpness"}
    with client.stream("POST", "/api/networks/views/stream", json=body) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events, kind = [], None
        for line in r.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                events.append((kind, json.loads(line[6:])))
    kinds = [k for k, _ in events]
    assert kinds[0] == "progress" and kinds[-1] == "result"
    assert set(kinds[:-1]) == {"progress"}
    progress = [d for k, d in events if k == "progress"]
    assert [p["done"] for p in progress] == sorted(p["done"] for p in progress)
    assert all(p["done"] <= p["total"] for p in progress)
    assert events[-1][1] == client.post("/api/networks/views", json=body).json()


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"view": "contour"}, "view", "'line', 'plane'"),
        ({"view": "plane", "racer": 2}, "racer", "0 to 1"),
        ({"view": "seeds", "racer": 2}, "racer", "0 to 1"),
        ({"view": "plane", "racer": 3}, "racer", "less than or equal to 2"),
        ({"view": "plane", "span": 0}, "span", "greater than 0"),
        ({"view": "plane", "span": -1.0}, "span", "greater than 0"),
        ({"view": "plane", "span": 10.5}, "span", "less than or equal to 10"),
        ({"view": "line", "detail": "ultra"}, "detail", "'coarse', 'normal' or 'fine'"),
        ({"view": "seeds", "second_seed": -1}, "second_seed", "greater than or equal to 0"),
        ({"view": "line", "resume": [{}, {}]}, "resume", "initial weights"),
        ({"view": "line", "steps": 5001}, "steps", "at most 5000"),
        ({"view": "line", "model": {"hidden": [17]}}, "model.hidden.0", "1 to 16 units"),
        ({"view": "line", "model": {"hidden": [4] * 5}}, "model.hidden", "at most 4"),
        ({"view": "line", "data": {"points": 1001}}, "data.points", "at most 1000"),
        ({"view": "line", "model": {"activation": "nope"}}, "model.activation", "must be one of"),
    ],
)
def test_refusals_name_their_field(client, fields, field, words):
    found = errors_of(client.post("/api/networks/views", json={**NET, **fields}))
    assert field in found, found
    assert words in found[field]


def test_the_network_limits_come_first_and_all_at_once(client):
    body = {
        **NET,
        "view": "plane",
        "racer": 2,
        "steps": 9999,
        "model": {"hidden": [4, 99]},
    }
    found = errors_of(client.post("/api/networks/views", json=body))
    assert set(found) == {"steps", "model.hidden.1", "racer"}
    # The stream refuses it before it streams, as JSON.
    r = client.post("/api/networks/views/stream", json=body)
    assert r.status_code == 422 and r.headers["content-type"] == "application/json"


def test_a_view_past_the_work_limit_is_refused_naming_detail():
    client = TestClient(create_app(Settings(network_view_max_work=2_000)))
    found = errors_of(view(client, "plane", detail="fine"))
    assert set(found) == {"detail"}
    assert "units of work" in found["detail"] and "2,000" in found["detail"]
    assert "a coarser detail (coarse or normal)" in found["detail"]
    assert view(client, "plane", detail="coarse").status_code == 200
    assert health(client)["answers_computed"] == 1  # the refusal computed nothing


def test_a_view_estimated_past_the_time_limit_is_refused_naming_detail():
    client = TestClient(create_app(Settings(map_max_seconds=0.05)))
    big = {"model": {"hidden": [16, 16]}, "data": {"dataset": "circle", "points": 1000}}
    found = errors_of(view(client, "sharpness", detail="fine", steps=2000, **big))
    assert "0.05 s" in found["detail"] and "about" in found["detail"]
    coarse = errors_of(view(client, "sharpness", detail="coarse", steps=2000, **big))
    assert "coarser" not in coarse["detail"]  # nothing coarser to offer


def test_a_view_running_past_its_time_is_stopped_and_says_what_to_lower(client, monkeypatch):
    monkeypatch.setattr(map_jobs, "OVERTIME", 1e-5)  # 0.3 ms of the 30 s limit
    found = errors_of(view(client, "sharpness", detail="fine"))
    assert "this view was still computing" in found["detail"]
    assert "lower the detail or the steps" in found["detail"]
    with client.stream(
        "POST", "/api/networks/views/stream", json={**NET, "view": "pca", "detail": "fine"}
    ) as r:
        text = "".join(r.iter_text())
    kind, data = text.replace("\r\n", "\n").strip().split("\n\n")[-1].split("\n")
    assert kind == "event: error"
    error = json.loads(data[len("data: ") :])
    assert error["status"] == 422 and error["errors"][0]["field"] == "detail"
    assert health(client)["maps_running"] == 0


def test_the_views_are_documented_with_their_events(client):
    document = client.get("/openapi.json").json()
    post = document["paths"]["/api/networks/views"]["post"]
    assert set(post["responses"]) >= {"200", "422", "503"}
    stream = document["paths"]["/api/networks/views/stream"]["post"]
    item = stream["responses"]["200"]["content"]["text/event-stream"]["itemSchema"]
    assert item["properties"]["event"]["enum"] == ["progress", "result", "error"]
    request = document["components"]["schemas"]["NetworkViewRequest"]["properties"]
    assert request["view"]["enum"] == list(VIEWS)
    assert request["steps"]["maximum"] == Settings().network_max_steps
    assert request["resume"] == {**request["resume"], "type": "null"}


def test_every_lessons_view_is_answered_for_its_scenario(client):
    """What the page sends once a lesson's run ends: its scenario and its `view` table."""
    lessons = [lesson for lesson in client.get("/api/networks/lessons").json() if lesson["view"]]
    assert {lesson["view"]["kind"] for lesson in lessons} == set(VIEWS)
    for lesson in lessons:
        table = dict(lesson["view"])
        kind = table.pop("kind")
        r = client.post("/api/networks/views", json={**lesson["scenario"], **table, "view": kind})
        assert r.status_code == 200, (lesson["id"], r.text)
        assert r.json()["view"] == kind
