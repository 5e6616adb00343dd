"""The Surface type: an analytic loss f: R^dim -> R, its exact derivatives and its minima.

The catalog of built-in surfaces is :mod:`app.engine.surfaces`.  A surface's minima are
worked out on first use of :attr:`Surface.minima` (not at import) by :mod:`.minima`:
published minima are polished to machine precision by Newton's method with the exact
Hessian, and the domain is searched for the rest.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from ..backend import Component, Vector
from ..hyperparameters import Hyperparameter, checked_values

MinimumKind = Literal["global", "local"]
Value = Callable[..., Component]
Grad = Callable[..., Vector]
Hess = Callable[..., tuple[Vector, ...]]


class Formulas(NamedTuple):
    """A surface's value, gradient and Hessian, for one setting of its parameters."""

    value: Value
    grad: Grad
    hess: Hess


Family = Callable[[Mapping[str, float]], Formulas]

_NO_PARAMETERS: Mapping[str, float] = MappingProxyType({})


@dataclass(frozen=True)
class Minimum:
    position: tuple[float, ...]
    value: float  # exactly surface.value(SCALAR, *position)
    kind: MinimumKind


@dataclass(frozen=True)
class Reference:
    """A minimum as a reference publishes it.

    ``places`` is the number of decimal places given for the position, ``value_places``
    for the value; None means the figures are exact.  A polished minimum must lie within
    one unit of the last published place, not half a unit: some references cut digits
    instead of rounding (VLSE gives the six-hump camel's y = -0.712656... as -0.7126).
    """

    position: tuple[float, ...]
    value: float
    kind: MinimumKind
    places: int | None = None
    value_places: int | None = None


@dataclass(frozen=True)
class Surface:
    """An analytic loss surface f: R^dim -> R.

    ``value(xp, *coords)`` returns f, ``grad(xp, *coords)`` a tuple of dim partial
    derivatives, ``hess(xp, *coords)`` a dim x dim tuple of tuples.

    Minima: ``references`` are published minima (polished and checked on first use);
    with ``search`` the domain is also searched for minima, which is how surfaces without
    a complete published list get theirs.  On a ``trusted`` (built-in) surface a
    candidate the search cannot verify, or a 1D surface without a minimum, is an error in
    its formulas; on an untrusted one (a typed formula) such candidates are left out and
    the surface may have no minima.

    Parameters: a surface with ``parameters`` (say, a ravine's condition number) is built
    by ``family(values) -> Formulas``; :meth:`with_parameters` returns the surface for
    other values.  ``parameter_values`` holds the values this instance is bound to.
    """

    id: str
    name: str
    formula: str
    domain: tuple[tuple[float, float], ...]
    start: tuple[float, ...]
    value: Value
    grad: Grad
    hess: Hess
    description: str = ""
    references: tuple[Reference, ...] = field(default=(), repr=False)
    search: bool = True
    trusted: bool = True
    parameters: tuple[Hyperparameter, ...] = ()
    parameter_values: Mapping[str, float] = field(
        default_factory=lambda: _NO_PARAMETERS, hash=False
    )
    family: Family | None = field(default=None, repr=False)
    # A model on data (app.engine.surfaces.models): minima found in closed form (used as
    # they are, instead of references and search), why there is no minimum at all where
    # there is none, the model as a request names it, and its formulas over a subset of
    # the data points (a mini-batch's loss).
    exact_minima: tuple[Minimum, ...] = field(default=(), repr=False)
    no_minimum: str = ""
    model: Any = None  # a models.ModelSpec
    on_points: Callable[[Any], Formulas] | None = field(default=None, repr=False)

    @property
    def dim(self) -> int:
        return len(self.domain)

    @property
    def data_size(self) -> int:
        """How many data points a model landscape's loss is a mean over (0: not a model)."""
        return 0 if self.model is None else self.model.dataset().size

    @cached_property
    def minima(self) -> tuple[Minimum, ...]:
        """Every minimum on the domain, lowest first; the lowest is (or are) "global"."""
        from .minima import classify, locate_minima_1d, locate_minima_2d, polish_reference

        if self.exact_minima:
            return self.exact_minima
        known = [polish_reference(self, r) for r in self.references]
        found: Iterable[Minimum] = ()
        if self.search:
            skip = [m.position for m in known]
            found = (
                locate_minima_1d(self, strict=self.trusted)
                if self.dim == 1
                else locate_minima_2d(self, skip=skip, strict=self.trusted)
            )
        span = max(hi - lo for lo, hi in self.domain)
        merged = list(known)
        for m in found:
            if all(distance(m.position, k.position) > 1e-6 * span for k in merged):
                merged.append(m)
        minima = classify((m.position, m.value) for m in merged)
        kinds = {m.position: m.kind for m in minima}
        for ref, m in zip(self.references, known, strict=True):
            if kinds[m.position] != ref.kind:
                raise ValueError(
                    f"surface {self.id!r}: the minimum at {m.position} is {kinds[m.position]}, "
                    f"but its reference says {ref.kind}"
                )
        return minima

    def sharpness(self, xp: Any, *coords: Any) -> Any:
        """The largest eigenvalue of the exact Hessian (f″ in 1D): how sharply the surface
        curves along its stiffest direction.  Plain gradient descent cannot settle where it
        exceeds 2/lr (the "edge of stability", Cohen et al. 2021).  Floats or arrays, as
        the coordinates are.

            >>> from app.engine.backend import SCALAR
            >>> from app.engine.surfaces import SURFACES
            >>> SURFACES["parabola"].sharpness(SCALAR, 0.3)
            2.0
        """
        h = self.hess(xp, *coords)
        if self.dim == 1:
            return h[0][0]
        a, b, d = h[0][0], h[0][1], h[1][1]
        half = (a - d) / 2
        return (a + d) / 2 + xp.sqrt(half * half + b * b)

    def runaway_box(self) -> tuple[tuple[float, float], ...]:
        """Beyond this box a ball counts as diverged: the domain widened tenfold."""
        box = []
        for lo, hi in self.domain:
            centre, half = (lo + hi) / 2, (hi - lo) / 2
            box.append((centre - 10 * half, centre + 10 * half))
        return tuple(box)

    def with_parameters(self, values: Mapping[str, Any]) -> Surface:
        """This surface with its parameters set to ``values`` (defaults for the rest).

        Every value is checked like a hyperparameter; HyperparameterError names the field.

            >>> from app.engine.backend import SCALAR
            >>> from app.engine.surfaces import SURFACES
            >>> steep = SURFACES["ravine"].with_parameters({"kappa": 100})
            >>> steep.parameter_values["kappa"], steep.grad(SCALAR, 1.0, 1.0)
            (100.0, (1.0, 100.0))
        """
        checked = checked_values(self.parameters, values, self.name, "parameter")
        bound = {n: _number(v) for n, v in checked.items()}
        if bound == dict(self.parameter_values):
            return self
        return _bind(self, tuple(bound.items()))


def parametrized(family: Family, parameters: tuple[Hyperparameter, ...], **fields: Any) -> Surface:
    """The surface ``family`` gives for its parameters' defaults."""
    defaults = {p.name: _number(p.default) for p in parameters}
    return Surface(
        **fields,
        **family(defaults)._asdict(),
        parameters=parameters,
        parameter_values=MappingProxyType(defaults),
        family=family,
    )


@lru_cache(maxsize=64)
def _bind(surface: Surface, values: tuple[tuple[str, float], ...]) -> Surface:
    # Cached, so a value asked for again keeps its minima (which take a search to find).
    assert surface.family is not None
    bound = dict(values)
    return dataclasses.replace(
        surface, **surface.family(bound)._asdict(), parameter_values=MappingProxyType(bound)
    )


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"a surface parameter must be a number, not {value!r}")
    return float(value)


def distance(a: Sequence[float], b: Sequence[float]) -> float:
    return max(abs(u - v) for u, v in zip(a, b, strict=True))
