"""A surface's description quotes the engine's numbers: each quoted gradient is checked
against the surface's own gradient there, so the text cannot drift from what the readout
shows (the plateau's once said "a few thousandths" where the lesson's start reads 1e-8)."""

from __future__ import annotations

import math

import pytest

from app.engine.backend import SCALAR
from app.engine.surfaces import SURFACES
from app.lessons import LESSONS

# (surface, where, the gradient's size as the description quotes it)
QUOTED = [
    ("plateau", (3.0, 2.5), "0.002"),  # the surface's start
    ("plateau", (4.5, 4.5), "1e-8"),  # the plateau lesson's start
    ("plateau_wall", (10.0,), "1.6e-8"),  # the float16 lesson's start
]


@pytest.mark.parametrize(("surface_id", "point", "quoted"), QUOTED)
def test_a_quoted_gradient_is_the_surfaces(
    surface_id: str, point: tuple[float, ...], quoted: str
) -> None:
    surface = SURFACES[surface_id]
    assert quoted in surface.description
    size = math.hypot(*surface.grad(SCALAR, *point))
    figures = len(quoted.split("e")[0].replace("0.", "").replace(".", "").lstrip("0"))
    assert float(f"{size:.{figures - 1}e}") == float(quoted), size


def test_the_quoted_places_are_where_the_balls_start() -> None:
    assert "(3, 2.5)" in SURFACES["plateau"].description
    assert SURFACES["plateau"].start == (3.0, 2.5)
    assert LESSONS["plateau"].start == (4.5, 4.5)
    assert LESSONS["float16_loss_scaling"].start == (10.0,)
