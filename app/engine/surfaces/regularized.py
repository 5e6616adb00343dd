"""Where weight decay moves a surface's lowest point: the L2 landscape f + (λ/2)·‖x‖².

An optimizer whose weight decay λ is added to the gradient (g + λ·x: SGD, RMSprop, Adam…)
descends f(x) + (λ/2)·‖x‖² instead of f.  :func:`l2_lowest` finds that landscape's global
minimum with the surface's own minima search (:mod:`.minima`), so the pages only word it.

    >>> from app.engine.surfaces import SURFACES
    >>> l2_lowest(SURFACES["parabola"], 2.0).position  # x² + x²: still lowest at 0
    (0.0,)
"""

from __future__ import annotations

import dataclasses
import math
from functools import lru_cache
from typing import Any

from .surface import Minimum, Surface


def l2_surface(surface: Surface, weight_decay: float) -> Surface:
    """The landscape f + (λ/2)·‖x‖² with λ = ``weight_decay``, on the same domain.

    Value, gradient and Hessian gain (λ/2)·‖x‖², λx and λI exactly.  Its minima are
    searched for like a typed formula's (not ``trusted``: a candidate the search cannot
    verify is left out, never an error); f's published or closed-form minima are not its.
    """
    if not (math.isfinite(weight_decay) and weight_decay > 0):
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")
    return _l2_surface(surface, float(weight_decay))


@lru_cache(maxsize=64)
def _l2_surface(surface: Surface, lam: float) -> Surface:
    # Cached, so the same λ asked for again (a page redrawn) keeps its searched minima.
    f, g, h = surface.value, surface.grad, surface.hess

    def value(xp: Any, *x: Any) -> Any:
        return f(xp, *x) + 0.5 * lam * sum(c * c for c in x)

    def grad(xp: Any, *x: Any) -> tuple[Any, ...]:
        return tuple(gi + lam * c for gi, c in zip(g(xp, *x), x, strict=True))

    def hess(xp: Any, *x: Any) -> tuple[tuple[Any, ...], ...]:
        return tuple(
            tuple(hij + lam if i == j else hij for j, hij in enumerate(row))
            for i, row in enumerate(h(xp, *x))
        )

    return dataclasses.replace(
        surface,
        id=f"{surface.id}+l2({lam!r})",
        name=f"{surface.name} + (λ/2)·‖x‖², λ = {lam:g}",
        formula=f"{surface.formula} + ({lam:g}/2)·‖x‖²",
        value=value,
        grad=grad,
        hess=hess,
        references=(),
        search=True,
        trusted=False,
        parameters=(),
        family=None,
        exact_minima=(),
        no_minimum="",
        model=None,
        on_points=None,
    )


def l2_lowest(surface: Surface, weight_decay: float) -> Minimum | None:
    """The global minimum of f + (λ/2)·‖x‖² on the surface's domain (None if it has none
    there: the pull toward 0 is too weak to hold the ball inside, or the search cannot
    verify one, as at the kinks of an absolute error).

    A global minimum of f at the origin stays the global minimum (the penalty is 0 there
    and nowhere negative): it is taken as it is, which also covers minima where Newton's
    method cannot work, such as Ackley's cone tip.
    """
    landscape = l2_surface(surface, weight_decay)
    for m in surface.minima:
        if m.kind == "global" and all(c == 0 for c in m.position):
            return Minimum(m.position, m.value, "global")
    minima = landscape.minima
    return minima[0] if minima else None
