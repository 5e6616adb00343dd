"""The OpenAPI document, with what the server checks after parsing written into it.

The request models stay loose where the server words its own errors (an unknown surface names
the known ones; a learning rate out of range is refused in torch's words), and some limits are
settings (``DESCENT_LAB_MAX_STEPS`` …) that a model fixed at import cannot know.  So the
document is tightened here, once per app, from the catalogs and from that app's settings:
a request the document allows is one the server could accept, and what it refuses always —
an unknown id, a hyperparameter no optimizer has, a value outside every range — is outside
the document too, which is what clients, Swagger UI and the fuzz test (tests/api/test_fuzz.py)
read.  The events of the streaming endpoints, which FastAPI cannot see, are described here too
(``document_sse``, called by each streaming router).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..engine.hyperparameters import Hyperparameter
from ..engine.networks import ACTIVATIONS, DATASETS, FEATURES, INITS, MAX_VALUE
from ..engine.optimizers import OPTIMIZERS
from ..engine.run.options import OPTIONS
from ..engine.run.schedules import SCHEDULES
from ..engine.surfaces import SURFACES
from ..engine.surfaces.formula import MAX_CONSTANT
from ..settings import Settings
from .surface_requests import FORMULA_ID

DEFAULT_SCHEDULE = "constant"  # ScheduleRequest.name's default
ERROR_OUT = "#/components/schemas/ErrorOut"
FORMULA_REQUEST = "#/components/schemas/FormulaRequest"
MAX_DIM = max(s.dim for s in SURFACES.values())
KEPT = ("title", "description", "default", "examples")  # a property's words, kept by _update


def setting_schema(h: Hyperparameter) -> dict[str, Any]:
    """The JSON Schema of the values ``h.check`` accepts."""
    if h.scale == "bool":
        return {"type": "boolean"}
    if h.scale == "choice":
        return {"type": "string", "enum": list(h.choices)}
    assert h.min is not None and h.max is not None
    number: dict[str, Any] = {
        "type": "integer" if h.integer else "number",
        "minimum": h.min,
        "maximum": h.max,
    }
    if h.powers_of_two:  # a short list (a loss scale: 1 … 65536)
        assert h.min > 0
        lo, hi = math.ceil(math.log2(h.min)), math.floor(math.log2(h.max))
        number = {"type": "number", "enum": [2**k for k in range(lo, hi + 1)]}
    if isinstance(h.default, tuple):
        size = len(h.default)
        return {"type": "array", "items": number, "minItems": size, "maxItems": size}
    return number


def settings_schema(parameters: Iterable[Hyperparameter]) -> dict[str, Any]:
    """An object of named settings, each name taking what any holder of that name accepts
    (one optimizer's ``lr`` may be checked more tightly than another's: the union is what the
    server accepts for some run), and no other name."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    for h in parameters:
        schemas = by_name.setdefault(h.name, [])
        if setting_schema(h) not in schemas:
            schemas.append(setting_schema(h))
    return {
        "type": "object",
        "properties": {
            name: schemas[0] if len(schemas) == 1 else {"anyOf": schemas}
            for name, schemas in by_name.items()
        },
        "additionalProperties": False,
    }


def _ids(catalog: Iterable[str]) -> dict[str, Any]:
    return {"type": "string", "enum": list(catalog)}


def _surface() -> dict[str, Any]:
    """A run's `surface`: a built-in id, or a typed formula."""
    return {"anyOf": [_ids(SURFACES), {"$ref": FORMULA_REQUEST}]}


def _state_surface() -> dict[str, Any]:
    """A state's `surface`: a built-in id, or the id the server gives a typed formula."""
    formula_id = {"type": "string", "pattern": f"^{FORMULA_ID}[0-9a-f]{{12}}$"}
    return {"anyOf": [_ids(SURFACES), formula_id]}


def _point(bounded: bool = True) -> dict[str, Any]:
    # Within some surface's domain: a typed formula's may reach ±MAX_CONSTANT.
    lo = min(-MAX_CONSTANT, *(lo for s in SURFACES.values() for lo, _ in s.domain))
    hi = max(MAX_CONSTANT, *(hi for s in SURFACES.values() for _, hi in s.domain))
    items = {"type": "number", "minimum": lo, "maximum": hi} if bounded else {"type": "number"}
    return {"type": "array", "items": items, "minItems": 1, "maxItems": MAX_DIM}


def _update(target: dict[str, Any], changes: dict[str, Any]) -> None:
    """Set schema keywords, keeping each property's own title and description."""
    for name, schema in changes.items():
        target[name] = {**{k: v for k, v in target[name].items() if k in KEPT}, **schema}


def tighten(document: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Write the catalogs' ids and ranges and the settings' limits into ``document``."""
    _runs(document["components"]["schemas"], settings)
    _stream(document["paths"]["/api/stream"]["get"], settings)
    _networks(document, settings)
    _errors(document["paths"], settings)
    for parameter in document["paths"]["/api/surfaces/{surface_id}/grid"]["get"]["parameters"]:
        if parameter["name"] == "surface_id":  # unknown: 404
            parameter["schema"] = {**parameter["schema"], **_ids(SURFACES)}
    return document


RUN_SETTINGS = ("RunRequest", "BasinsRequest", "SweepRequest", "TrainabilityRequest")


def _runs(schemas: dict[str, Any], settings: Settings) -> None:
    """RunsRequest, the map requests and what they hold: ids, parameters by name, limits."""
    for model in RUN_SETTINGS:
        _run_setting(schemas[model])
    axis = schemas["FormulaRequest"]["properties"]["domain"]["anyOf"][0]["items"]
    axis["items"] = {"type": "number", "minimum": -MAX_CONSTANT, "maximum": MAX_CONSTANT}
    schemas["RunRequest"]["properties"]["steps"]["maximum"] = settings.max_steps
    _maps(schemas, settings)
    _update(
        schemas["ScheduleRequest"]["properties"],
        {
            "name": _ids(SCHEDULES),
            "parameters": settings_schema(h for s in SCHEDULES.values() for h in s.parameters),
        },
    )
    schemas["ScheduleRequest"]["anyOf"] = [
        {
            "properties": {"name": {"const": s.id}, "parameters": settings_schema(s.parameters)},
            # left out, the name is the default's, so only its branch matches then
            **({} if s.id == DEFAULT_SCHEDULE else {"required": ["name"]}),
        }
        for s in SCHEDULES.values()
    ]
    for state in ("RunStateModel", "RunStateOut"):  # resumed, and sent
        _update(
            schemas[state]["properties"],
            {
                "surface": _state_surface(),
                "optimizer": _ids(OPTIMIZERS),
                "position": _point(bounded=False),  # a ball may have run out of the domain
            },
        )
    schemas["RunsRequest"]["properties"]["runs"]["maxItems"] = settings.max_runs


def _run_setting(schema: dict[str, Any]) -> None:
    """What a run and a map share (RunSetting): the catalogs' ids and ranges."""
    properties = schema["properties"]
    _update(
        properties,
        {
            "surface": _surface(),
            "optimizer": _ids(OPTIMIZERS),
            "hyperparameters": settings_schema(
                h for o in OPTIMIZERS.values() for h in o.hyperparameters
            ),
            "surface_parameters": settings_schema(
                h for s in SURFACES.values() for h in s.parameters
            ),
            "options": settings_schema(OPTIONS),
        },
    )
    if "start" in properties:
        _update(properties, {"start": {"anyOf": [_point(), {"type": "null"}]}})
    # Which names a run's hyperparameters may have depends on its optimizer: a branch each.
    # (The surface decides the start's dimension and the surface parameters, but a second
    # set of branches beside these is more than schema-driven generators can combine.)
    schema["anyOf"] = [
        {
            "properties": {
                "optimizer": {"const": o.id},
                "hyperparameters": settings_schema(o.hyperparameters),
            }
        }
        for o in OPTIMIZERS.values()
    ]


def map_axis_names() -> list[str]:
    """Every name a trainability axis can take, across the optimizers."""
    names: list[str] = []
    for o in OPTIMIZERS.values():
        for h in o.hyperparameters:
            if h.scale not in ("log", "linear") or h.integer:
                continue
            entries = (
                [f"{h.name}.{i}" for i in range(len(h.default))]
                if isinstance(h.default, tuple)
                else [h.name]
            )
            names += [n for n in entries if n not in names]
    return names


def _maps(schemas: dict[str, Any], settings: Settings) -> None:
    """The map requests' limits, from the settings."""
    for model in RUN_SETTINGS[1:]:
        schemas[model]["properties"]["steps"]["maximum"] = settings.map_max_steps
    side = {"type": "integer", "minimum": 2, "maximum": settings.map_max_side}
    _update(
        schemas["BasinsRequest"]["properties"],
        {
            "resolution": {
                "anyOf": [
                    {"type": "integer", "minimum": 2, "maximum": settings.map_max_points},
                    {
                        "type": "array",
                        "items": {
                            "type": "integer",
                            "minimum": 2,
                            "maximum": max(settings.map_max_points, settings.map_max_side),
                        },
                        "minItems": 1,
                        "maxItems": MAX_DIM,
                    },
                ]
            }
        },
    )
    schemas["SweepRequest"]["properties"]["count"]["maximum"] = settings.map_max_points
    schemas["SweepRequest"]["properties"]["keep"]["maximum"] = min(256, settings.map_max_steps)
    _update(
        schemas["TrainabilityRequest"]["properties"],
        {"resolution": {"type": "array", "items": side, "minItems": 2, "maxItems": 2}},
    )
    _update(schemas["AxisRequest"]["properties"], {"name": _ids(map_axis_names())})


def _stream(operation: dict[str, Any], settings: Settings) -> None:
    for parameter in operation["parameters"]:
        if parameter["name"] == "runs":
            # A JSON list in the query: OpenAPI's `content` says so, with the list's schema.
            del parameter["schema"]
            parameter["content"] = {
                "application/json": {
                    "schema": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/RunRequest"},
                        "minItems": 1,
                        "maxItems": settings.max_runs,
                    }
                }
            }
        elif parameter["name"] == "speed":
            parameter["schema"]["maximum"] = settings.max_speed


def _networks(document: dict[str, Any], settings: Settings) -> None:
    """The network requests: the catalogs' ids and this server's limits (app/api/networks.py)."""
    schemas = document["components"]["schemas"]
    value = {"type": "number", "minimum": -MAX_VALUE, "maximum": MAX_VALUE}
    points = settings.network_max_points
    data = schemas["NetDataRequest"]["properties"]
    _update(data, {"dataset": _ids(DATASETS)})
    data["points"]["maximum"] = points
    _update(
        schemas["OwnPoints"]["properties"],
        {
            "x": {
                "type": "array",
                "items": {"type": "array", "items": value, "minItems": 1, "maxItems": 2},
                "maxItems": points,
            },
            "y": {"type": "array", "items": value, "maxItems": points},
        },
    )
    units = {"type": "integer", "minimum": 1, "maximum": settings.network_max_units}
    _update(
        schemas["NetModelRequest"]["properties"],
        {
            "features": {
                "type": "array",
                "items": _ids(FEATURES),
                "minItems": 1,
                "maxItems": len(FEATURES),
                "uniqueItems": True,
            },
            "hidden": {"type": "array", "items": units, "maxItems": settings.network_max_layers},
            "activation": _ids(ACTIVATIONS),
            "init": _ids(INITS),
        },
    )
    racer = schemas["NetOptimizerRequest"]
    _update(
        racer["properties"],
        {
            "optimizer": _ids(OPTIMIZERS),
            "hyperparameters": settings_schema(
                h for o in OPTIMIZERS.values() for h in o.hyperparameters
            ),
        },
    )
    racer["anyOf"] = [
        {
            "properties": {
                "optimizer": {"const": o.id},
                "hyperparameters": settings_schema(o.hyperparameters),
            },
            # left out, the optimizer is SGD, so only its branch matches then
            **({} if o.id == "sgd" else {"required": ["optimizer"]}),
        }
        for o in OPTIMIZERS.values()
    ]
    for name in ("NetworkRequest", "NetworkExplainRequest"):
        request = schemas[name]["properties"]
        _update(request, {"options": settings_schema(OPTIONS)})
        request["steps"]["maximum"] = settings.network_max_steps
        request["grid"]["maximum"] = settings.network_max_grid
    # A landscape view: a comparison's fields (its `grid` ignored, `resume` refused).
    view = schemas["NetworkViewRequest"]["properties"]
    _update(view, {"options": settings_schema(OPTIONS), "resume": {"type": "null"}})
    view["steps"]["maximum"] = settings.network_max_steps
    stream = document["paths"]["/api/networks/runs/stream"]["post"]
    for parameter in stream["parameters"]:
        if parameter["name"] == "speed":
            parameter["schema"]["maximum"] = settings.max_speed


def _errors(paths: dict[str, Any], settings: Settings) -> None:
    """Every error an operation can answer, as the JSON it is (app/api/errors.py)."""
    for operations in paths.values():
        for operation in operations.values():
            responses = operation["responses"]
            # app/limits.py refuses a body over the limit before FastAPI sees it.
            if "requestBody" in operation:
                responses["413"] = {
                    "description": f"Request body too large: over {settings.max_body_bytes} "
                    "bytes (DESCENT_LAB_MAX_BODY_BYTES), refused before it is read",
                    "content": {"application/json": {"schema": {"$ref": ERROR_OUT}}},
                }
            # FastAPI documents an error `model` in the route's own media type
            # (text/event-stream for the stream), but errors are always JSON.
            for status, response in responses.items():
                content = response.get("content")
                if status[0] in "45" and content and "application/json" not in content:
                    response["content"] = {"application/json": next(iter(content.values()))}


def document_sse(
    openapi: dict[str, Any],
    path: str,
    method: str,
    events: dict[str, type[BaseModel]],
    description: str,
) -> None:
    """Describe an SSE endpoint's events as FastAPI does for its own: an `itemSchema` whose
    `data` holds JSON of one of the event models (`events`: SSE name -> model)."""
    refs, schemas = models_json_schema(
        [(model, "serialization") for model in events.values()],
        ref_template="#/components/schemas/{model}",
    )
    components = openapi.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in schemas.get("$defs", {}).items():
        components.setdefault(name, schema)
    item = {
        "type": "object",
        "properties": {
            "event": {"type": "string", "enum": list(events)},
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"anyOf": [refs[(m, "serialization")] for m in events.values()]},
            },
        },
        "required": ["event", "data"],
    }
    ok = openapi["paths"][path][method]["responses"]["200"]
    ok["description"] = description
    ok["content"] = {"text/event-stream": {"itemSchema": item}}


def install(app: FastAPI, settings: Settings) -> None:
    """Serve the tightened document at the app's OpenAPI URL (built once, on first use)."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = tighten(build(), settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
