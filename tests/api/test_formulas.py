"""A typed formula as a run's surface: the same numbers as the built-in it retypes, through
runs, the stream and the maps; resumed by its id; shown by POST /api/surfaces/formula;
hostile text refused fast over real HTTP."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET

import httpx
import numpy as np
import pytest

from app.api.catalog import GRID_POINTS
from app.engine.surfaces import SURFACES
from tests.stream.test_stream import merged, stream

ROSENBROCK = "(1 - x)^2 + 100*(y - x^2)^2"
TYPED = {"expression": ROSENBROCK, "domain": [list(d) for d in SURFACES["rosenbrock"].domain]}
RUN = {
    "optimizer": "adam",
    "hyperparameters": {"lr": 0.05},
    "start": [-1.5, 2.5],
    "steps": 300,
}
MAP = {k: v for k, v in RUN.items() if k != "start"}  # a basin map starts everywhere
REFUSAL_BOUND = 0.1  # seconds per hostile input over HTTP, as the engine's own test bounds it
MATHML = "{http://www.w3.org/1998/Math/MathML}"


def run_both(client, **extra):
    """The built-in Rosenbrock and the typed one, run alike."""
    runs = [{**RUN, **extra, "surface": "rosenbrock"}, {**RUN, **extra, "surface": TYPED}]
    r = client.post("/api/runs", json={"runs": runs})
    assert r.status_code == 200, r.text
    return r.json()["runs"]


def errors_of(response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {e["field"]: e["reason"] for e in response.json()["errors"]}


def test_a_typed_rosenbrock_runs_step_for_step_as_the_built_in(client):
    builtin, typed = run_both(client)
    assert len(builtin["steps"]) == len(typed["steps"]) == 301
    np.testing.assert_allclose(typed["positions"], builtin["positions"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(typed["losses"], builtin["losses"], rtol=1e-12, atol=1e-12)
    assert (typed["status"], typed["outcome"]) == (builtin["status"], builtin["outcome"])
    assert typed["state"]["surface"].startswith("formula-")
    assert typed["state"]["surface"] != builtin["state"]["surface"]


def test_the_same_through_the_stream(server):
    runs = [{**RUN, "surface": "rosenbrock"}, {**RUN, "surface": TYPED}]
    events = stream(server, runs, speed=0)
    builtin, typed = merged(events, 0), merged(events, 1)
    np.testing.assert_allclose(typed["positions"], builtin["positions"], rtol=0, atol=1e-12)
    bulk = httpx.post(f"{server.url}/api/runs", json={"runs": runs}).json()["runs"]
    assert typed["positions"] == bulk[1]["positions"]  # the stream's numbers are POST's


def test_a_basin_map_on_a_typed_formula_is_the_built_ins(client):
    body = {"optimizer": "adam", "hyperparameters": {"lr": 0.05}, "resolution": [9, 7]}
    builtin = client.post("/api/maps/basins", json={**body, "surface": "rosenbrock", "steps": 300})
    typed = client.post("/api/maps/basins", json={**body, "surface": TYPED, "steps": 300})
    assert builtin.status_code == typed.status_code == 200, typed.text
    b, t = builtin.json(), typed.json()
    assert (t["x"], t["y"]) == (b["x"], b["y"])
    assert t["outcome"] == b["outcome"] and t["minimum"] == b["minimum"]
    assert t["steps"] == b["steps"] and t["summary"] == b["summary"]
    assert len(t["summary"]) >= 2  # more than one way to end: the comparison has teeth


def test_a_formula_run_resumes_from_its_state_and_refuses_another_formulas(client):
    whole = client.post("/api/runs", json={"runs": [{**RUN, "surface": TYPED}]}).json()
    first = client.post("/api/runs", json={"runs": [{**RUN, "surface": TYPED, "steps": 120}]})
    state = first.json()["runs"][0]["state"]
    # the same expression, spaced differently: the same surface, so it resumes exactly
    respaced = {**TYPED, "expression": ROSENBROCK.replace(" ", "")}
    rest = {**RUN, "surface": respaced, "steps": 180, "resume": state}
    r = client.post("/api/runs", json={"runs": [rest]})
    assert r.status_code == 200, r.text
    assert r.json()["runs"][0]["positions"][-1] == whole["runs"][0]["positions"][-1]

    other = {**rest, "surface": {**TYPED, "expression": ROSENBROCK.replace("100", "50")}}
    reason = errors_of(client.post("/api/runs", json={"runs": [other]}))["runs.0.resume.surface"]
    assert state["surface"] in reason
    builtin = {**rest, "surface": "rosenbrock"}
    assert "runs.0.resume.surface" in errors_of(client.post("/api/runs", json={"runs": [builtin]}))


def test_the_formula_endpoint_shows_what_the_built_in_lists(client):
    r = client.post("/api/surfaces/formula", json=TYPED)
    assert r.status_code == 200, r.text
    typed = r.json()
    (builtin,) = [s for s in client.get("/api/surfaces").json() if s["id"] == "rosenbrock"]
    assert typed["id"].startswith("formula-") and typed["dim"] == 2
    assert typed["formula"] == f"f(x, y) = {ROSENBROCK}"
    assert typed["domain"] == builtin["domain"] and typed["parameters"] == []
    assert len(typed["minima"]) == len(builtin["minima"]) == 1
    assert typed["minima"][0]["position"] == pytest.approx(builtin["minima"][0]["position"])
    assert typed["minima"][0]["kind"] == "global"
    assert set(typed["suggested_lr"]) == set(builtin["suggested_lr"])
    for part in ("f", "x", "y"):
        root = ET.fromstring(typed["mathml"][part])  # well-formed XML
        assert root.tag == f"{MATHML}math"
    assert "∂" in typed["mathml"]["x"] or "&#x2202;" in typed["mathml"]["x"]
    grid = typed["grid"]
    n = GRID_POINTS[2]
    assert len(grid["x"]) == len(grid["y"]) == len(grid["f"]) == n
    assert all(len(row) == n for row in grid["f"])
    assert grid == client.get("/api/surfaces/rosenbrock/grid").json()  # same f, same samples


def test_a_1d_formula_has_no_y(client):
    r = client.post("/api/surfaces/formula", json={"expression": "x^4 - 3*x^2 + x"})
    s = r.json()
    assert s["dim"] == 1 and s["domain"] == [[-5.0, 5.0]] and s["mathml"]["y"] is None
    assert len(s["grid"]["x"]) == len(s["grid"]["f"]) == GRID_POINTS[1] and "y" not in s["grid"]
    assert [m["kind"] for m in s["minima"]] == ["global", "local"]


HOSTILE = [
    ("__import__('os')", "is not a known function"),
    ("9**9**9", "is too large"),
    ("(" * 40 + "x" + ")" * 40, "nested too deeply"),
    ("-" * 400 + "x", "nested too deeply"),
    ("x" * 100_000, "at most 500 characters"),  # under the body limit: the length cap
]


@pytest.mark.parametrize(("text", "words"), HOSTILE, ids=[repr(t[:16]) for t, _ in HOSTILE])
def test_hostile_text_is_refused_fast_over_http(server, text, words):
    formula = {"expression": text}
    calls = [
        ("/api/surfaces/formula", formula, "expression"),
        ("/api/runs", {"runs": [{**RUN, "surface": formula}]}, "runs.0.surface.expression"),
        ("/api/maps/basins", {**MAP, "surface": formula}, "surface.expression"),
    ]
    with httpx.Client(base_url=server.url, timeout=10) as c:
        # A fresh server's first request on a path takes some tens of ms whatever it
        # carries (measured: up to 90 ms); the bound is on refusing the text, so warm up
        # each path with a plain mistake first.
        for path, body, _ in calls:
            c.post(path, json=json.loads(json.dumps(body).replace(json.dumps(text), '"x +"')))
        for path, body, field in calls:
            started = time.perf_counter()
            r = c.post(path, json=body)
            elapsed = time.perf_counter() - started
            assert errors_of(r)[field].find(words) >= 0, (path, r.text)
            assert elapsed < REFUSAL_BOUND, (path, elapsed)


def test_a_column_points_at_the_fault(client):
    reason = errors_of(client.post("/api/surfaces/formula", json={"expression": "x + foo(x)"}))
    assert "(column 5)" in reason["expression"]


@pytest.mark.parametrize(
    ("domain", "field", "words"),
    [
        ([[0, 1], [0, 1], [0, 1]], "domain", "at most 2 items"),
        ([], "domain", "at least 1 item"),
        ([[0, 1, 2]], "domain.0", "at most 2 items"),
        ([[1, 0]], "domain", "lo < hi"),
        ([[0, 1e9]], "domain", "lo < hi"),
        ([[-1, 1]], "expression", "`y` is not a variable here"),  # 1D: no y
    ],
)
def test_a_domain_is_one_pair_per_variable(client, domain, field, words):
    formula = {"expression": "x^2 + y^2", "domain": domain}
    assert words in errors_of(client.post("/api/surfaces/formula", json=formula))[field]
    run = {**RUN, "surface": formula}
    reasons = errors_of(client.post("/api/runs", json={"runs": [run]}))
    assert words in reasons[f"runs.0.surface.{field}"]


def test_surface_parameters_do_not_apply_to_a_formula(client):
    run = {**RUN, "surface": TYPED, "surface_parameters": {"kappa": 50}}
    reason = errors_of(client.post("/api/runs", json={"runs": [run]}))["runs.0.surface_parameters"]
    assert "no parameters" in reason
    assert client.post("/api/runs", json={"runs": [{**run, "surface_parameters": {}}]}).is_success


def test_a_surface_that_is_neither_an_id_nor_a_formula_gets_one_error(client):
    reasons = errors_of(client.post("/api/runs", json={"runs": [{**RUN, "surface": 7}]}))
    assert list(reasons) == ["runs.0.surface"]
    assert "surface id" in reasons["runs.0.surface"]


@pytest.mark.parametrize("fmt", ["csv", "json", "html"])
def test_a_formula_run_exports_with_its_text(client, fmt):
    run = {**RUN, "surface": TYPED, "steps": 10}
    r = client.post(f"/api/runs/export?format={fmt}", json={"runs": [run]})
    assert r.status_code == 200, r.text
    (surface,) = {client.post("/api/surfaces/formula", json=TYPED).json()["id"]}
    assert f"descent-lab-{surface}-adam.{fmt}" in r.headers["content-disposition"]
    if fmt == "csv":
        assert r.text.splitlines()[1].startswith(f"0,{surface},adam,0,-1.5,2.5,")
    elif fmt == "json":
        context = r.json()["context"][0]["surface"]
        assert context["formula"] == f"f(x, y) = {ROSENBROCK}" and context["id"] == surface
        assert r.json()["request"]["runs"][0]["surface"] == TYPED
    else:
        assert f'<p class="formula">f(x, y) = {ROSENBROCK}</p>' in r.text
