"""Your own landscape: a formula typed as text, read safely, with exact derivatives.

:func:`formula_surface` turns ``"(1 - x)^2 + 100*(y - x^2)^2"`` into a
:class:`~app.engine.surfaces.surface.Surface` that every optimizer, map and minima search
can use, with its gradient and Hessian worked out symbolically (no finite differences)::

    >>> from app.engine.backend import SCALAR
    >>> s = formula_surface("x^2 + 3*y^2")
    >>> s.value(SCALAR, 1.0, 1.0), s.grad(SCALAR, 1.0, 1.0), s.hess(SCALAR, 1.0, 1.0)
    (4.0, (2.0, 6.0), ((2.0, 0.0), (0.0, 6.0)))
    >>> [m.position for m in s.minima]
    [(0.0, 0.0)]

The stages, one module each: :mod:`.parse` reads the text (Python's parser builds a syntax
tree that is walked with a whitelist; the text is never evaluated), :mod:`.tree` holds the
expression tree and its simplifying constructors, :mod:`.derive` differentiates,
:mod:`.evaluate` turns a tree into closures over a backend, :mod:`.mathml` renders a tree
for the page.  :mod:`.limits` holds the caps (length, nesting, size, constants, exponents,
time) and :class:`FormulaError`, the one error a refusal raises, with the column it
points at.

A formula may have no minimum on its domain: a constant, a slope, a saddle, a surface
unbounded below (``x^3``, ``x - y^2``).  Its surface's ``minima`` is then empty, which the
run's outcome already handles (the ball runs away or stops elsewhere);
:attr:`Formula.constant` says when every derivative is zero.  Whether a formula is
bounded below is not decided: that is not computable in general.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...backend import NUMPY, SCALAR, Vector
from ..surface import Surface
from .derive import derivative
from .evaluate import Compiled, compile_tree
from .limits import (
    MAX_CONSTANT,
    MAX_DEPTH,
    MAX_DERIVED_NODES,
    MAX_EXPONENT,
    MAX_LENGTH,
    MAX_NODES,
    TIME_LIMIT,
    Budget,
    FormulaError,
)
from .mathml import lhs_markup, mathml
from .parse import parse
from .tree import ZERO, Binary, Call, Expr, Number, Unary, Var, has_var, is_number

__all__ = [
    "MAX_CONSTANT",
    "MAX_DEPTH",
    "MAX_DERIVED_NODES",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_NODES",
    "TIME_LIMIT",
    "Binary",
    "Call",
    "Expr",
    "Formula",
    "FormulaError",
    "Number",
    "Unary",
    "Var",
    "derivative",
    "formula_surface",
    "mathml",
    "parse",
    "prepare",
]

DEFAULT_HALF_WIDTH = 5.0  # the default domain is [-5, 5] on each axis
# Where a formula's ball starts, as fractions of each axis of the domain: the first of these
# where f, its gradient and its Hessian are finite.  0.85 of [-5, 5] is 3.5, Roll Downhill's
# start; in 2D, (3.5, 2.5), off the diagonal so a symmetric bowl is not descended in a line.
START_FRACTIONS = ((0.85, 0.75), (0.15, 0.25), (0.75, 0.15), (0.25, 0.85), (0.6, 0.6), (0.4, 0.4))


@dataclass(frozen=True)
class Formula:
    """A formula read and differentiated: trees for f, ∇f and the Hessian, compiled.

    ``value``, ``grad`` and ``hess`` take a backend and one component per variable, like a
    :class:`Surface`'s; on numpy every result has the coordinates' broadcast shape.
    """

    text: str
    variables: tuple[str, ...]
    tree: Expr
    gradient: tuple[Expr, ...]
    hessian: tuple[tuple[Expr, ...], ...]
    _compiled: dict[str, tuple[Compiled, ...]] = field(repr=False, compare=False)

    @property
    def constant(self) -> bool:
        """Whether f is the same everywhere (every partial derivative simplifies to 0)."""
        return all(is_number(g, 0.0) for g in self.gradient)

    def value(self, xp: Any, *coords: Any) -> Any:
        return self._run(xp, coords, 0, 1)[0]

    def grad(self, xp: Any, *coords: Any) -> Vector:
        n = len(self.variables)
        return self._run(xp, coords, 1, 1 + n)

    def hess(self, xp: Any, *coords: Any) -> tuple[Vector, ...]:
        n = len(self.variables)
        flat = self._run(xp, coords, 1 + n, 1 + n + n * n)
        return tuple(flat[i * n : (i + 1) * n] for i in range(n))

    def _run(self, xp: Any, coords: tuple[Any, ...], start: int, stop: int) -> Vector:
        functions = self._compiled[xp.name][start:stop]
        if xp is SCALAR:
            return tuple(f(coords) for f in functions)
        shape = np.broadcast_shapes(*(np.shape(c) for c in coords))
        out = []
        for f in functions:
            r = f(coords)
            out.append(r if np.shape(r) == shape else np.full(shape, r, dtype=np.float64))
        return tuple(out)

    def mathml(self) -> dict[str, str]:
        """MathML for f and each first partial derivative, keyed "f", "x" (∂f/∂x), "y"."""
        parts = {"f": mathml(self.tree, lhs_markup(self.variables))}
        for v, g in zip(self.variables, self.gradient, strict=True):
            parts[v] = mathml(g, lhs_markup(self.variables, (v,)))
        return parts


def prepare(
    text: str, variables: tuple[str, ...] = ("x",), time_limit: float = TIME_LIMIT
) -> Formula:
    """Read, differentiate twice and compile ``text``; FormulaError if refused.

    Everything, together, must finish within ``time_limit`` seconds.

        >>> f = prepare("x^3")
        >>> f.grad(SCALAR, 2.0), f.hess(SCALAR, 2.0)
        ((12.0,), ((12.0,),))
    """
    try:
        return _prepare(text, variables, Budget(time_limit))
    except RecursionError:  # not expected within the caps; refused rather than crashing
        raise FormulaError("the formula is too complex") from None


def _prepare(text: str, variables: tuple[str, ...], budget: Budget) -> Formula:
    tree = parse(text, variables, budget)
    gradient = tuple(derivative(tree, v, budget) for v in variables)
    n = len(variables)
    rows: list[list[Expr]] = [[ZERO] * n for _ in range(n)]
    for i in range(n):
        for j in range(i, n):
            # One tree for both mixed partials, so the Hessian is exactly symmetric.
            rows[i][j] = rows[j][i] = derivative(gradient[i], variables[j], budget)
    hessian = tuple(tuple(r) for r in rows)
    trees = (tree, *gradient, *(h for row in hessian for h in row))
    compiled = {
        xp.name: tuple(compile_tree(t, variables, xp, budget) for t in trees)
        for xp in (SCALAR, NUMPY)
    }
    budget.check()
    return Formula(text, variables, tree, gradient, hessian, compiled)


def formula_surface(
    text: str,
    domain: tuple[tuple[float, float], ...] | None = None,
    *,
    id: str = "formula",
    name: str = "Your formula",
    time_limit: float = TIME_LIMIT,
) -> Surface:
    """A :class:`Surface` for a typed formula in x (1D) or x and y (2D).

    Without a ``domain`` the surface is 2D if ``y`` appears and the domain is [-5, 5] on
    each axis; a 1D ``domain`` refuses ``y``.  The ball starts at the first point of
    :data:`START_FRACTIONS` where f and its derivatives are finite (FormulaError if none
    is).  The domain is searched for minima (``search=True``) leniently
    (``trusted=False``): a candidate that cannot be verified is left out, not an error.

        >>> s = formula_surface("0.12*x^2 + sin(2.4*x) + 0.3*cos(5*x)")
        >>> s.dim, s.start, s.domain
        (1, (3.5,), ((-5.0, 5.0),))
    """
    if domain is None:
        read = parse(text, ("x", "y"), Budget(time_limit))
        variables: tuple[str, ...] = ("x", "y") if has_var(read, "y") else ("x",)
        domain = ((-DEFAULT_HALF_WIDTH, DEFAULT_HALF_WIDTH),) * len(variables)
    else:
        domain = _checked_domain(domain)
        variables = ("x", "y")[: len(domain)]
    formula = prepare(text, variables, time_limit)
    return Surface(
        id=id,
        name=name,
        formula=f"f({', '.join(variables)}) = {text.strip()}",
        description="A formula you typed.",
        domain=domain,
        start=_start(formula, domain),
        value=formula.value,
        grad=formula.grad,
        hess=formula.hess,
        search=True,
        trusted=False,
    )


def _checked_domain(domain: Any) -> tuple[tuple[float, float], ...]:
    try:
        axes = tuple((float(lo), float(hi)) for lo, hi in domain)
    except (TypeError, ValueError):
        raise FormulaError("the domain must be one (lo, hi) pair per variable") from None
    if len(axes) not in (1, 2):
        raise FormulaError("a formula has one variable (x) or two (x and y)")
    for lo, hi in axes:
        if not (-MAX_CONSTANT <= lo < hi <= MAX_CONSTANT):
            raise FormulaError(
                f"each axis of the domain must be lo < hi within ±{MAX_CONSTANT:g}, "
                f"not ({lo}, {hi})"
            )
    return axes


def _start(formula: Formula, domain: tuple[tuple[float, float], ...]) -> tuple[float, ...]:
    for fractions in START_FRACTIONS:
        point = tuple(lo + f * (hi - lo) for f, (lo, hi) in zip(fractions, domain, strict=False))
        try:
            numbers = [formula.value(SCALAR, *point), *formula.grad(SCALAR, *point)]
            numbers += [h for row in formula.hess(SCALAR, *point) for h in row]
        except (ArithmeticError, ValueError):
            continue
        if all(math.isfinite(v) for v in numbers):
            return point
    raise FormulaError("f is not defined (or not finite) at any of the starting points tried")
