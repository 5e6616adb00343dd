"""POST /api/runs/export: the runs of POST /api/runs as CSV, JSON or an offline replay page."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from pathlib import PurePosixPath

import pytest

from app.api.export import REPLAY_MODULES, csv_columns
from app.engine.optimizers import OPTIMIZERS
from app.engine.run import Run, start_state
from app.engine.run.trace import FIELDS, NULLABLE
from app.engine.surfaces import SURFACES
from app.jsmodules import BARE_PREFIX, STATIC_JS, imports, resolve, specifier_spans

ONE_D = {
    "surface": "roll_downhill",
    "optimizer": "sgd",
    "hyperparameters": {"lr": 0.05, "momentum": 0.9},
    "start": [3.5],
    "steps": 40,
}
# Two racers on a 2D surface; the second has a schedule, noise and float16, so none of its
# step fields is null, and L-BFGS evaluates the function several times per step.
TWO_D = [
    {"surface": "himmelblau", "optimizer": "lbfgs", "steps": 12},
    {
        "surface": "himmelblau",
        "optimizer": "adam",
        "hyperparameters": {"lr": 0.1},
        "schedule": {"name": "cosine", "parameters": {"T_max": 30}},
        "options": {"noise": 0.3, "seed": 4, "precision": "float16", "loss_scale": 8},
        "start": [-1.0, 3.5],
        "steps": 30,
    },
]


def export(client, fmt, *runs):
    return client.post(f"/api/runs/export?format={fmt}", json={"runs": list(runs)})


def computed(client, *runs):
    response = client.post("/api/runs", json={"runs": list(runs)})
    assert response.status_code == 200
    return response.json()["runs"]


def rows(response):
    return list(csv.DictReader(io.StringIO(response.text)))


def number(cell):
    return None if cell == "" else float(cell)


@pytest.mark.parametrize("runs", [[ONE_D], TWO_D, [ONE_D, *TWO_D]], ids=["1d", "2d", "mixed"])
def test_csv_has_one_row_per_step_with_the_runs_exact_numbers(client, runs):
    response = export(client, "csv", *runs)
    assert response.status_code == 200
    table = rows(response)
    results = computed(client, *runs)
    assert len(table) == sum(len(r["steps"]) for r in results)
    dim = max(SURFACES[r["surface"]].dim for r in runs)
    columns = [c for f in FIELDS for c in csv_columns(f, dim)]
    assert list(table[0]) == ["run", "surface", "optimizer", *columns]
    for index, (run, result) in enumerate(zip(runs, results, strict=True)):
        mine = [row for row in table if row["run"] == str(index)]
        assert len(mine) == len(result["steps"])
        for i, row in enumerate(mine):
            assert (row["surface"], row["optimizer"]) == (run["surface"], run["optimizer"])
            assert int(row["step"]) == result["steps"][i]
            position = [number(row[a]) for a in ("x", "y")[: len(result["positions"][i])]]
            assert position == result["positions"][i]  # exactly: repr round-trips
            assert number(row["loss"]) == result["losses"][i]
            assert [number(row[c]) for c in csv_columns("gradients", dim)][
                : len(position)
            ] == result["gradients"][i]
            if dim == 2 and len(position) == 1:
                assert row["y"] == row["grad_y"] == ""
            for f in ("lrs", "underflows", "evaluations"):
                if result[f] is not None:
                    assert number(row[csv_columns(f, dim)[0]]) == result[f][i]
            if result["applied_gradients"] is not None:
                applied = result["applied_gradients"][i]
                cells = [number(row[c]) for c in csv_columns("applied_gradients", dim)]
                assert cells[: len(position)] == (applied or [None] * len(position))


def engine_trace(run):
    """The runner's own record of every field, before the API nulls what carries nothing."""
    surface, optimizer = SURFACES[run["surface"]], OPTIMIZERS[run["optimizer"]]
    hyperparameters = optimizer.validate(run.get("hyperparameters", {}))
    r = Run(surface, optimizer, hyperparameters, start_state(surface, optimizer, run["start"]))
    trace = r.current()
    trace.extend(r.advance(run["steps"]))
    return trace


@pytest.mark.parametrize(
    "run",
    [ONE_D, {"surface": "rosenbrock", "optimizer": "rprop", "start": [-1.5, 2.0], "steps": 25}],
)
def test_csv_fills_a_null_field_with_what_the_runner_recorded(client, run):
    result = computed(client, run)[0]
    assert {"lrs", "applied_gradients", "underflows", "evaluations"} <= {
        f for f in FIELDS if result[f] is None
    }
    table = rows(export(client, "csv", run))
    trace = engine_trace(run)
    dim = len(run["start"])
    for i, row in enumerate(table):
        assert number(row["lr"]) == trace.lrs[i]
        applied = trace.applied_gradients[i]
        cells = [number(row[c]) for c in csv_columns("applied_gradients", dim)]
        assert cells == (list(applied) if applied is not None else [None] * dim)
        assert int(row["underflow"]) == trace.underflows[i]
        assert int(row["evaluations"]) == trace.evaluations[i]


def test_an_averaging_optimizers_average_is_in_the_response_and_the_csv(client):
    # ASGD's ax: x while μ = 1 (through step t0 + 2), an average of the iterates after.
    asgd = {
        "surface": "himmelblau",
        "optimizer": "asgd",
        "hyperparameters": {"lr": 0.01, "t0": 3},
        "start": [0.5, -1.0],
        "steps": 10,
    }
    sgd = {**asgd, "optimizer": "sgd", "hyperparameters": {"lr": 0.01}}
    result, plain = computed(client, asgd, sgd)
    assert plain["averages"] is None and "averages" in NULLABLE
    averages = result["averages"]
    assert averages[0] is None  # nothing averaged before the first step
    assert averages[1:6] == result["positions"][1:6]
    assert all(a != p for a, p in zip(averages[6:], result["positions"][6:], strict=True))
    table = rows(export(client, "csv", asgd, sgd))
    columns = csv_columns("averages", 2)
    assert columns == ["average_x", "average_y"]
    mine = [[number(row[c]) for c in columns] for row in table if row["run"] == "0"]
    assert mine == [[None, None], *averages[1:]]
    assert all(row[c] == "" for row in table if row["run"] == "1" for c in columns)


def test_json_is_the_run_result_with_what_it_takes_to_replay_it(client):
    response = export(client, "json", *TWO_D)
    assert response.status_code == 200
    body = response.json()
    assert body["runs"] == computed(client, *TWO_D)
    assert body["app"] == {"name": "Descent Lab", "version": client.app.version}
    # the request, as the server read it, runs again to the same result
    assert client.post("/api/runs", json=body["request"]).json()["runs"] == body["runs"]
    (catalog,) = [s for s in client.get("/api/surfaces").json() if s["id"] == "himmelblau"]
    for context in body["context"]:
        surface = context["surface"]
        assert surface["formula"] == catalog["formula"]
        assert surface["minima"] == catalog["minima"]
    assert body["context"][0]["optimizer"] == "L-BFGS"
    assert body["context"][1]["hyperparameters"]["betas"] == [0.9, 0.999]  # torch's default


def test_json_context_has_the_surface_as_its_parameters_shape_it(client):
    run = {"surface": "ravine", "optimizer": "sgd", "surface_parameters": {"kappa": 100}}
    (context,) = export(client, "json", run).json()["context"]
    assert context["surface"]["parameters"] == {"kappa": 100.0}


@pytest.mark.parametrize(
    ("fmt", "media_type", "name"),
    [
        ("csv", "text/csv; charset=utf-8", "descent-lab-himmelblau-lbfgs-adam.csv"),
        ("json", "application/json", "descent-lab-himmelblau-lbfgs-adam.json"),
        ("html", "text/html; charset=utf-8", "descent-lab-himmelblau-lbfgs-adam.html"),
    ],
)
def test_each_format_is_a_download_named_after_the_scenario(client, fmt, media_type, name):
    response = export(client, fmt, *TWO_D)
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["content-disposition"] == f'attachment; filename="{name}"'


def test_the_replay_page_holds_everything_it_needs(client):
    response = export(client, "html", *TWO_D)
    page = response.text
    # plotly.js inline and nothing to fetch: no external script, stylesheet or image
    assert "Plotly" in page and len(page) > 4_000_000
    assert not re.search(r"""<(script|link|img|iframe)[^>]+(src|href)=""", page)
    match = re.search(r'<script type="application/json" id="replay-data">(.*?)</script>', page)
    data = json.loads(match.group(1))
    assert data["runs"] == computed(client, *TWO_D)
    assert data["surface"]["formula"] in page and "Himmelblau" in page
    assert "ended: " not in page and "status max_steps" not in page  # no engine ids
    assert data["names"] == ["L-BFGS", "Adam"]  # unnamed runs: their optimizers' names
    assert len(data["grid"]["f"]) == len(data["grid"]["y"])  # rows follow y


def test_the_replay_names_each_run_as_the_page_does(client):
    runs = [
        {"surface": "parabola", "optimizer": "sgd", "hyperparameters": {"lr": 0.1}},
        {"surface": "parabola", "optimizer": "sgd", "hyperparameters": {"lr": 0.3}},
    ]
    names = ["Gradient descent, lr 0.1", "Gradient descent, lr 0.3"]
    body = {"runs": runs, "names": names}
    page = client.post("/api/runs/export?format=html", json=body).text
    assert re.findall(r"<strong>([^<]*)</strong>", page) == names
    assert client.post("/api/runs/export?format=json", json=body).json()["context"][1]["name"] == (
        "Gradient descent, lr 0.3"
    )
    # unnamed, SGD's runs take the preset their settings are, numbered when they share it
    page = export(client, "html", *runs).text
    assert re.findall(r"<strong>([^<]*)</strong>", page) == [
        "Gradient descent 1",
        "Gradient descent 2",
    ]
    wrong = client.post("/api/runs/export?format=html", json={"runs": runs, "names": ["one"]})
    assert wrong.status_code == 422
    assert wrong.json()["errors"] == [{"field": "names", "reason": "one per run: 2, got 1"}]


def test_the_replay_lists_a_batch_size_only_where_it_is_not_the_whole_data_set(client):
    model = {"model": "linear", "loss": "mse", "data": "noisy_line", "dim": 2}
    runs = [
        {"surface": model, "optimizer": "sgd", "hyperparameters": {"lr": 0.1}, "steps": 5},
        {
            "surface": model,
            "optimizer": "sgd",
            "hyperparameters": {"lr": 0.1},
            "options": {"batch_size": 1},
            "steps": 5,
        },
    ]
    page = export(client, "html", *runs).text
    settings = re.findall(r'<div class="settings">([^<]*)</div>', page)
    assert "batch_size" not in settings[0] and settings[1].endswith("batch_size = 1")


def test_the_replay_colours_are_the_explorers(client):
    # the replay's plots are the explorer's modules, reading the racers' and minima's styles
    # from the same facts block (app/facts.py; tests/browser/test_facts.py checks the page
    # uses them); its list's swatches are the racers' colours in order
    page = export(client, "html", *TWO_D).text
    served = client.get("/explore").text
    facts = r'<script type="application/json" id="facts">(.*?)</script>'
    replay_facts = json.loads(re.search(facts, page, re.S).group(1))
    assert replay_facts == json.loads(re.search(facts, served, re.S).group(1))
    swatches = re.findall(r'class="swatch" style="background: ([^"]+)"', page)
    assert swatches == [s["color"] for s in replay_facts["racerStyles"][: len(TWO_D)]]


def replay_modules(page: str) -> dict[str, str]:
    """The modules the replay carries: bare name → source, decoded from its import map."""
    block = re.search(r'<script type="importmap">(.*?)</script>', page, re.S).group(1)
    prefix = "data:text/javascript;base64,"
    modules = {}
    for name, url in json.loads(block)["imports"].items():
        assert url.startswith(prefix)
        modules[name] = base64.b64decode(url[len(prefix) :]).decode()
    return modules


def between_imports(source: str) -> list[str]:
    """A module's text around its import specifiers."""
    edges = [0, *(i for span in specifier_spans(source) for i in span), len(source)]
    return [source[a:b] for a, b in zip(edges[::2], edges[1::2], strict=True)]


def test_the_replay_carries_the_pages_plotting_modules(client):
    modules = replay_modules(export(client, "html", ONE_D).text)
    assert {BARE_PREFIX + m for m in REPLAY_MODULES} <= set(modules)
    for name, source in modules.items():
        path = PurePosixPath(name.removeprefix(BARE_PREFIX))
        original = (STATIC_JS / path).read_text()
        # each is the page's module but for its imports, which name modules the map holds
        expected = [BARE_PREFIX + resolve(path, spec).as_posix() for spec in imports(original)]
        assert imports(source) == expected
        assert set(expected) <= set(modules)
        assert between_imports(source) == between_imports(original)  # and nothing else changed
    drawn_by = {"plots/plot1d.js", "plots/plot2d.js", "plots/overlay.js", "state/track.js"}
    assert {BARE_PREFIX + m for m in drawn_by} <= set(modules)  # the pages' plots


def test_a_replay_draws_one_surface(client):
    response = export(client, "html", TWO_D[0], {**ONE_D})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "runs.1.surface"
    ravines = [
        {"surface": "ravine", "optimizer": "sgd", "surface_parameters": {"kappa": k}}
        for k in (10, 100)
    ]
    assert export(client, "csv", *ravines).status_code == 200
    response = export(client, "html", *ravines)
    assert response.json()["errors"][0]["field"] == "runs.1.surface_parameters"


@pytest.mark.parametrize(
    ("query", "runs", "field"),
    [
        ("format=csv", [{**ONE_D, "hyperparameters": {"lr": -0.1}}], "runs.0.hyperparameters.lr"),
        ("format=json", [ONE_D, {**ONE_D, "start": [99.0]}], "runs.1.start.0"),
        ("format=html", [{**ONE_D, "schedule": {"name": "nope"}}], "runs.0.schedule.name"),
        ("format=csv", [{**ONE_D, "steps": -1}], "runs.0.steps"),
        ("format=xml", [ONE_D], "format"),
        ("", [ONE_D], "format"),
    ],
)
def test_bad_input_is_the_one_error_shape(client, query, runs, field):
    response = client.post(f"/api/runs/export?{query}", json={"runs": runs})
    assert response.status_code == 422
    assert "content-disposition" not in response.headers
    body = response.json()
    assert set(body) == {"ok", "status", "error", "errors"}
    assert body["ok"] is False and body["status"] == 422
    assert all(set(e) == {"field", "reason"} for e in body["errors"])
    assert field in [e["field"] for e in body["errors"]]


def test_errors_are_those_of_post_api_runs_word_for_word(client):
    runs = [
        {**ONE_D, "hyperparameters": {"lr": -0.1}, "options": {"noise": -1}},
        {"surface": "nope", "optimizer": "sgd"},
        {**TWO_D[1], "start": [0.0, 99.0]},
    ]
    body = client.post("/api/runs/export?format=html", json={"runs": runs}).json()
    assert len(body["errors"]) == 4
    assert body == client.post("/api/runs", json={"runs": runs}).json()


def test_openapi_documents_the_three_downloads(client):
    operation = client.get("/openapi.json").json()["paths"]["/api/runs/export"]["post"]
    content = operation["responses"]["200"]["content"]
    assert {"text/csv", "application/json", "text/html"} <= set(content)
    assert content["application/json"]["schema"]["$ref"].endswith("/RunsExport")
    assert operation["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorOut"
    )
    (fmt,) = operation["parameters"]
    assert fmt["name"] == "format" and fmt["schema"]["enum"] == ["csv", "json", "html"]
    described = re.findall(r"`([a-z_, ]+)`", operation["description"])
    named = {c.strip() for group in described for c in group.split(",")}
    assert {c for f in FIELDS for c in csv_columns(f, 2)} <= named
    for f in NULLABLE:  # what an empty (null) field means is said, per column
        assert f"`{csv_columns(f, 1)[0]}` is " in operation["description"]
