"""POST /api/surfaces/formula: a surface typed as a formula."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from ...engine.surfaces.formula import MAX_CONSTANT, MAX_LENGTH
from .catalog import GridOut, SurfaceOut
from .common import Input

Axis = Annotated[list[float], Field(min_length=2, max_length=2)]


class FormulaRequest(Input):
    """A surface typed as a formula in x (1D) or x and y (2D): read safely, differentiated
    exactly (app/engine/surfaces/formula/)."""

    expression: str = Field(
        max_length=MAX_LENGTH,
        description=f"f in x (and y), e.g. `(1 - x)^2 + 100*(y - x^2)^2`: numbers, + − * / ^ "
        f"(or **), brackets and functions such as sin, exp, log, sqrt, abs; at most "
        f"{MAX_LENGTH} characters.",
        examples=["(1 - x)^2 + 100*(y - x^2)^2"],
    )
    domain: list[Axis] | None = Field(
        None,
        min_length=1,
        max_length=2,
        description="`[[lo, hi]]` (1D, refuses y) or `[[lo, hi], [lo, hi]]` (2D), each "
        f"lo < hi within ±{MAX_CONSTANT:g}; left out, [-5, 5] on each axis, 2D if y appears.",
        examples=[[[-2, 2], [-1, 3]]],
    )


class FormulaMathOut(BaseModel):
    """The typed formula and its first partial derivatives, typeset as MathML (`<math>`)."""

    f: str = Field(description="f, as `f(x, y) = …`.")
    x: str = Field(description="∂f/∂x.")
    y: str | None = Field(None, description="∂f/∂y (2D), else null.")


class FormulaSurfaceOut(SurfaceOut):
    """A typed formula's surface, as GET /api/surfaces lists a built-in one (`parameters`
    empty), with its MathML and its grid as GET /api/surfaces/{id}/grid samples it."""

    mathml: FormulaMathOut
    grid: GridOut
