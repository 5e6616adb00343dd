"""The surface a request names, as the engine's Surface: a built-in one bound to its
parameters, a typed formula (read once per worker, cached with its minima) or a model on
data (cached by the engine); every refusal named by its field."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from functools import lru_cache
from typing import Any

from ..engine.errors import HyperparameterError
from ..engine.surfaces import SURFACES, Surface
from ..engine.surfaces.formula import FormulaError, formula_surface
from ..engine.surfaces.models import MODELS, ModelError, ModelSpec, model_surface
from .errors import InputError
from .schemas.formulas import FormulaRequest
from .schemas.l2 import L2Request
from .schemas.models import ModelRequest
from .schemas.runs import RunSetting

FORMULA_ID = "formula-"  # + 12 hex digits of sha256: a typed formula's surface id
FORMULAS_KEPT = 128  # typed surfaces cached per worker (each keeps its minima once found)


def request_surface(req: RunSetting | L2Request, errors: list[tuple[str, str]]) -> Surface | None:
    """The built-in surface bound to its parameters, the typed formula's surface, or the
    model landscape's."""
    if isinstance(req.surface, FormulaRequest | ModelRequest):
        if req.surface_parameters:
            fix = (
                "write the numbers into the expression"
                if isinstance(req.surface, FormulaRequest)
                else "the data shape the landscape"
            )
            errors.append(
                (
                    "surface_parameters",
                    f"a {'typed formula' if isinstance(req.surface, FormulaRequest) else 'model'}"
                    f" has no parameters: leave surface_parameters out ({fix})",
                )
            )
        try:
            if isinstance(req.surface, ModelRequest):
                return data_surface(req.surface)
            return typed_surface(req.surface)
        except InputError as exc:
            errors.extend((f"surface.{field}", reason) for field, reason in exc.errors)
            return None
    surface = SURFACES.get(req.surface)
    if surface is None:
        errors.append(("surface", f"unknown surface {req.surface!r}; known: {', '.join(SURFACES)}"))
        return None
    try:
        return surface.with_parameters(req.surface_parameters)
    except HyperparameterError as exc:
        errors.append((f"surface_parameters.{exc.field}", exc.reason))
        return surface


def model_spec(req: ModelRequest) -> ModelSpec:
    """The engine's name for a model landscape: the loss filled in when left out."""
    model = MODELS.get(req.model)
    loss = req.loss if req.loss is not None or model is None else model.losses[0]
    data: Any = req.data
    if not isinstance(data, str):
        data = (tuple(data.x), tuple(data.y))
    return ModelSpec(req.model, loss or "", data, req.dim)


def data_surface(req: ModelRequest) -> Surface:
    """A model landscape's surface (cached by the engine); InputError naming the field."""
    try:
        return model_surface(model_spec(req))
    except ModelError as exc:
        raise InputError([(exc.field, exc.reason)]) from None


def typed_surface(req: FormulaRequest) -> Surface:
    """The surface of a typed formula; InputError naming ``expression`` or ``domain``."""
    domain = None if req.domain is None else tuple((lo, hi) for lo, hi in req.domain)
    try:
        return _typed_surface(req.expression, domain)
    except FormulaError as exc:
        if exc.column is None and domain is not None and _refuses_domain(domain):
            raise InputError([("domain", exc.reason)]) from None
        raise InputError([("expression", str(exc))]) from None  # str: with its column


@lru_cache(maxsize=FORMULAS_KEPT)
def _typed_surface(expression: str, domain: tuple[tuple[float, float], ...] | None) -> Surface:
    # Cached: the same formula comes back with every run, stream and map of a page, and its
    # minima (searched for on first use, some milliseconds) are kept with the surface.
    surface = formula_surface(expression, domain)
    return dataclasses.replace(surface, id=formula_id(expression, surface.domain))


def _refuses_domain(domain: tuple[tuple[float, float], ...]) -> bool:
    # The engine checks a domain before the text: whether it refuses this one with the
    # plainest formula says which of the two a refusal without a column is about.
    try:
        formula_surface("x", domain)
    except FormulaError:
        return True
    return False


def formula_id(expression: str, domain: tuple[tuple[float, float], ...]) -> str:
    """A typed surface's id: the same expression (up to spacing) on the same domain has the
    same id, so a run's state names it and a resumed run is checked against it.  Spaces
    are left out: in a formula the engine reads, they only separate tokens that could not
    be run together anyway (``x - -y``, ``x--y``)."""
    key = json.dumps(["".join(expression.split()), [list(axis) for axis in domain]])
    return FORMULA_ID + hashlib.sha256(key.encode()).hexdigest()[:12]
