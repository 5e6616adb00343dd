"""POST /api/runs/export: the runs of POST /api/runs as a download (CSV, JSON or a replay page).

The runs are validated and computed by the same code as POST /api/runs (``prepare_runs`` and
``execute``), so the numbers and the 422 errors are the same; this module only shapes them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, fields
from functools import cache
from importlib import metadata, resources
from typing import Annotated, Any, Literal, get_args, get_origin

from fastapi import APIRouter, Depends, Query, Request, Response

from ..engine.run.options import validate_options
from ..engine.run.trace import FIELDS, NULLABLE, Trace
from ..engine.surfaces import Surface
from ..facts import RACER_STYLES
from ..jsmodules import STATIC_JS, import_map
from ..settings import Settings, app_settings
from .catalog import grid_json
from .errors import InputError
from .schemas.common import ErrorOut, minimum_json
from .schemas.export import RunsExport, RunsExportRequest
from .service import PreparedRun, execute, json_bytes, prepare_runs

router = APIRouter(prefix="/api", tags=["runs"])

Format = Literal["csv", "json", "html"]
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "html": "text/html; charset=utf-8",
}
AXES = ("x", "y")
RACER_COLORS = tuple(style["color"] for style in RACER_STYLES)  # the explorer's, in order
REPLAY_TEMPLATE = "export_replay.html"
# The replay's module: it draws with the pages' plots, which app/jsmodules.py carries in with
# everything else it imports.
REPLAY_MODULES = ("pages/replay.js",)
SITE_CSS = STATIC_JS.parent / "css" / "app.css"

# CSV column names: one row is one step, so the step record's plural field names are read in
# the singular; a vector field becomes one column per coordinate (`grad_x`, `grad_y`; the
# position is plain `x`, `y`).  A field missing here keeps its own name.
CSV_NAMES = {
    "steps": "step",
    "positions": "",
    "losses": "loss",
    "gradients": "grad",
    "lrs": "lr",
    "applied_gradients": "applied_grad",
    "underflows": "underflow",
    "sharpness": "sharpness",
    "evaluations": "evaluations",
    "averages": "average",
    "step_sizes": "step_size",
    "ascent_points": "ascent",
    "ascent_gradients": "ascent_grad",
}


# --- CSV ---------------------------------------------------------------------------------------


def _is_vector(wire: Any) -> bool:
    """Whether a step field's wire type is a list of vectors (list[list[...]] per step)."""
    (per_step,) = get_args(wire)
    return any(get_origin(t) is list for t in (per_step, *get_args(per_step)))


VECTORS = frozenset(
    f.name for f in fields(Trace) if _is_vector(f.metadata["wire"]) and not f.metadata["indices"]
)


def csv_columns(field: str, dim: int) -> list[str]:
    name = CSV_NAMES.get(field, field)
    if field not in VECTORS:
        return [name]
    return [f"{name}_{a}" if name else a for a in AXES[:dim]]


def _starts(result: dict[str, Any]) -> list[bool]:
    # Entry 0 of a whole run is its starting point (step 0, or where a resumed run picks up).
    return [i == 0 for i in range(len(result["steps"]))]


# A null field carries nothing for a run (trace.py says when); the CSV writes what it means,
# as the runner recorded it, so that every column can be plotted as it is.
Fill = Callable[[dict[str, Any], PreparedRun], list[Any]]
FILLS: dict[str, tuple[str, Fill]] = {
    "lrs": (
        "the run's `lr`",
        lambda r, p: [None if s else p.hyperparameters["lr"] for s in _starts(r)],
    ),
    "applied_gradients": (
        "the previous step's gradient",
        lambda r, p: [None, *r["gradients"][:-1]],
    ),
    "underflows": ("0", lambda r, p: [0] * len(r["steps"])),
    "sharpness": ("empty", lambda r, p: [None] * len(r["steps"])),
    "evaluations": ("1 (0 at the start)", lambda r, p: [0 if s else 1 for s in _starts(r)]),
    "epochs": ("empty", lambda r, p: [None] * len(r["steps"])),
    "batches": ("empty", lambda r, p: [None] * len(r["steps"])),
    "batch_points": ("empty", lambda r, p: [None] * len(r["steps"])),
    "averages": ("empty", lambda r, p: [None] * len(r["steps"])),
    "step_sizes": ("empty", lambda r, p: [None] * len(r["steps"])),
    "ascent_points": ("empty", lambda r, p: [None] * len(r["steps"])),
    "ascent_gradients": ("empty", lambda r, p: [None] * len(r["steps"])),
}
assert set(FILLS) == set(NULLABLE), "say in FILLS what each nullable step field means"

CSV_DESCRIPTION = (
    "One row per step of each run, with a header row: `run` (its index in the request), "
    "`surface`, `optimizer`, then the step record's fields (app/engine/run/trace.py) in "
    "order, a vector split into one column per coordinate: "
    + ", ".join(f"`{', '.join(csv_columns(f, 2))}` ({f})" for f in FIELDS)
    + ". 1D runs leave the `y` columns empty. Numbers are written in full precision: they "
    "read back exactly as POST /api/runs returns them (a non-finite one as `inf` or `nan`). "
    "Where POST /api/runs sends a field as null because it carries nothing for the run, the "
    "CSV fills in what that means: "
    + "; ".join(
        f"`{csv_columns(f, 1)[0]}` is {FILLS[f][0]} when {when}" for f, when in NULLABLE.items()
    )
    + ". A starting point's `lr` and applied gradient are empty; `batch_points` lists a "
    "mini-batch's data points separated by spaces."
)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as the same float
    if isinstance(value, list | tuple):  # a mini-batch's data points
        return " ".join(map(str, value))
    return str(value)


def _coordinates(values: Sequence[Any], dim: int) -> list[list[Any]]:
    """A vector field as ``dim`` columns; a missing vector (a start's applied gradient) or
    coordinate (y in a 1D run) is an empty cell."""
    return [[v[a] if v is not None and a < len(v) else None for v in values] for a in range(dim)]


def to_csv(results: Sequence[dict[str, Any]], prepared: Sequence[PreparedRun]) -> str:
    dim = max(p.surface.dim for p in prepared)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["run", "surface", "optimizer", *(c for f in FIELDS for c in csv_columns(f, dim))]
    )
    for index, (result, p) in enumerate(zip(results, prepared, strict=True)):
        columns = []
        for f in FIELDS:
            values = result[f] if result[f] is not None else FILLS[f][1](result, p)
            if f in VECTORS:
                columns.extend(_coordinates(values, dim))
            else:
                columns.append(values)
        for row in zip(*columns, strict=True):
            writer.writerow([index, p.surface.id, p.optimizer.id, *map(_cell, row)])
    return out.getvalue()


# --- JSON --------------------------------------------------------------------------------------


def surface_json(surface: Surface) -> dict[str, Any]:
    return {
        "id": surface.id,
        "name": surface.name,
        "formula": surface.formula,
        "domain": [list(d) for d in surface.domain],
        "parameters": dict(surface.parameter_values),
        "minima": [minimum_json(m) for m in surface.minima],
    }


def to_json(
    request: Request,
    body: RunsExportRequest,
    names: Sequence[str],
    results: Sequence[dict[str, Any]],
    prepared: Sequence[PreparedRun],
) -> dict[str, Any]:
    return {
        "app": {"name": request.app.title, "version": request.app.version},
        "request": body.model_dump(mode="json", exclude={"names"}),  # POST /api/runs' body
        "context": [
            {
                "name": name,
                "surface": surface_json(p.surface),
                "optimizer": p.optimizer.name,
                "hyperparameters": p.hyperparameters,
            }
            for name, p in zip(names, prepared, strict=True)
        ],
        "runs": list(results),
    }


# --- HTML replay -------------------------------------------------------------------------------


@cache
def plotly_js() -> str:
    """plotly.js from the installed package (as app/main.py serves it): no CDN."""
    return (resources.files("plotly") / "package_data" / "plotly.min.js").read_text("utf-8")


@cache
def replay_import_map() -> str:
    """The replay's import map: its modules as data: URLs, read once per process (as the
    asset version in app/main.py hashes the static files once)."""
    return json.dumps(import_map(REPLAY_MODULES))


@cache
def site_css() -> str:
    return SITE_CSS.read_text("utf-8")


def _number(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, float | int):
        return str(v)
    return f"{v:.6g}"


def _settings_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "(" + ", ".join(_number(v) for v in value) + ")"
    return _number(value)


def _run_settings(p: PreparedRun) -> dict[str, str]:
    """How a run was taken, for its caption: every hyperparameter, then the schedule and the
    training options that are on."""
    settings = {k: _settings_text(v) for k, v in p.hyperparameters.items()}
    if p.schedule is not None and not p.schedule.is_constant:
        values = ", ".join(f"{k}={_settings_text(v)}" for k, v in p.schedule.values.items())
        settings["schedule"] = f"{p.schedule.id}({values})"
    # what the page starts from: on a model landscape, a batch of the whole data set
    plain = asdict(validate_options({}, p.surface.data_size))
    settings.update((k, _settings_text(v)) for k, v in asdict(p.options).items() if v != plain[k])
    return settings


def default_names(prepared: Sequence[PreparedRun]) -> list[str]:
    """Names for runs the request leaves unnamed: the optimizer's, or SGD's preset whose
    settings the run has ("Gradient descent", "Momentum"), numbered where two share one."""

    def name(p: PreparedRun) -> str:
        for preset in p.optimizer.presets:
            if all(p.hyperparameters.get(k) == v for k, v in preset.hyperparameters.items()):
                return preset.name
        return p.optimizer.name

    names = [name(p) for p in prepared]
    return [
        f"{n} {names[: i + 1].count(n)}" if names.count(n) > 1 else n for i, n in enumerate(names)
    ]


def _names(body: RunsExportRequest, prepared: Sequence[PreparedRun]) -> list[str]:
    """The runs' names: the page's (one per run), else :func:`default_names`."""
    if body.names is None:
        return default_names(prepared)
    if len(body.names) != len(prepared):
        raise InputError([("names", f"one per run: {len(prepared)}, got {len(body.names)}")])
    return list(body.names)


def _one_surface(prepared: Sequence[PreparedRun]) -> None:
    """A replay draws one landscape: every run must be on the first run's surface."""
    first = prepared[0].surface
    errors = []
    for i, p in enumerate(prepared[1:], start=1):
        if p.surface.id != first.id:
            errors.append(
                (f"runs.{i}.surface", f"an HTML replay draws one surface: use {first.id!r}")
            )
        elif dict(p.surface.parameter_values) != dict(first.parameter_values):
            errors.append(
                (
                    f"runs.{i}.surface_parameters",
                    "an HTML replay draws one surface: use the first run's parameters",
                )
            )
    if errors:
        raise InputError(errors)


def to_html(
    request: Request,
    names: Sequence[str],
    results: Sequence[dict[str, Any]],
    prepared: Sequence[PreparedRun],
) -> str:
    surface = prepared[0].surface
    racers = [
        {
            "name": name,
            "color": RACER_COLORS[i % len(RACER_COLORS)],
            "settings": _run_settings(p),
        }
        for i, (name, p) in enumerate(zip(names, prepared, strict=True))
    ]
    # what the pages' plots and words take: the surface (its domain, minima and why it has
    # none), its grid as GET /api/surfaces/{id}/grid samples it, the runs as POST /api/runs
    # returns them (a track fills in a null rate from its run's hyperparameters, as on the
    # page), and what static/js/verdict.js reads of a run to word its outcome as the page does
    data = {
        "surface": {**surface_json(surface), "dim": surface.dim, "no_minimum": surface.no_minimum},
        "grid": grid_json(surface),
        "names": list(names),
        "optimizers": [
            {
                "id": p.optimizer.id,
                "name": p.optimizer.name,
                "weight_decay": p.optimizer.weight_decay,
                "decoupled_by": p.optimizer.decoupled_by,
            }
            for p in prepared
        ],
        "hyperparameters": [p.hyperparameters for p in prepared],
        "options": [asdict(p.options) for p in prepared],
        "runs": list(results),
    }
    # "<" escaped, so nothing in the data can close the <script> element it sits in.
    data_json = json_bytes(data).decode().replace("<", "\\u003c")
    template = request.app.state.templates.get_template(REPLAY_TEMPLATE)
    return template.render(
        surface=surface,
        racers=racers,
        data_json=data_json,
        import_map_json=replay_import_map(),
        site_css=site_css(),
        plotly_js=plotly_js(),
        plotly_version=metadata.version("plotly"),
        app_version=request.app.version,
    )


# --- the endpoint ------------------------------------------------------------------------------


def filename(prepared: Sequence[PreparedRun], fmt: str) -> str:
    """descent-lab-<surface>-<optimizer>[-<optimizer>...].<fmt>, each id once, in order."""
    ids = dict.fromkeys([*(p.surface.id for p in prepared), *(p.optimizer.id for p in prepared)])
    return f"descent-lab-{'-'.join(ids)}.{fmt}"


DESCRIPTION = f"""The runs of POST /api/runs (same body, same 422 errors) as a file to download
(`Content-Disposition: attachment; filename="descent-lab-<surface>-<optimizer>….<format>"`).

- `format=csv` (text/csv): {CSV_DESCRIPTION}
- `format=json` (application/json): the POST /api/runs response (`runs`) plus what it takes
  to replay it: the `request` (POST /api/runs' body), the `app` version, and per run its
  `context` (its name, the surface with its formula, parameters and minima; every
  hyperparameter's value).
- `format=html` (text/html): one self-contained page that replays the runs with no server
  and no network: plotly.js inlined (about 4.8 MB), the steps embedded, drawn by the pages'
  own plotting modules (carried in the file: a 1D run's curve as Roll Downhill draws it, 2D
  runs as the explorer's racers), Play/Pause/Reset and a step slider; each run captioned
  with its name (`names`, as the page shows them) and how it ended in the page's own words.
  Every run must be on the same surface.
"""


@router.post(
    "/runs/export",
    response_model=RunsExport,
    summary="Export runs as CSV, JSON or an offline replay page",
    description=DESCRIPTION,
    responses={
        200: {
            "description": "The file, as an attachment.",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}},
            },
        },
        422: {"model": ErrorOut, "description": "Invalid input"},
    },
)
def export_runs(
    body: RunsExportRequest,
    request: Request,
    settings: Annotated[Settings, Depends(app_settings)],
    fmt: Annotated[Format, Query(alias="format", description="`csv`, `json` or `html`.")],
) -> Response:
    prepared = prepare_runs(body.runs, settings)
    names = _names(body, prepared)
    if fmt == "html":
        _one_surface(prepared)
    results = [execute(p) for p in prepared]
    if fmt == "csv":
        content: str | bytes = to_csv(results, prepared)
    elif fmt == "json":
        content = json_bytes(to_json(request, body, names, results, prepared))
    else:
        content = to_html(request, names, results, prepared)
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename(prepared, fmt)}"'},
    )
