"""One step explained: what the next step of a run uses and produces, with the numbers put
into its optimizer's formula.

:func:`explain` takes the step a :class:`~.runner.Run` would take next — through the
runner's own step, so the rule, the schedule, the noise, float16 and clipping are exactly
those of a normal run — without taking it, and reports what it used and produced: the
step number t, the learning rate after any schedule, the gradient the optimizer was given,
every state buffer before and after by torch's key, the position before and after, the
step Δx per coordinate and the effective learning rate −Δx/g, plus what the optimizer's
formula names on the way (its ``explain`` hook, in its family module, built from
:mod:`app.engine.optimizers.explaining`: bias corrections, m̂ and v̂, ρₜ, sign(c) …) and
the formula's lines with the numbers put in.

A run that has stopped still has a next step: a converged ball's would be tiny, and a
diverged ball's is the very step that threw it out (the runner did not keep it), so the
explanation says which (``status``) and explains it all the same.

    >>> from app.engine.optimizers import OPTIMIZERS
    >>> from app.engine.surfaces import SURFACES
    >>> from app.engine.run import Run, start_state
    >>> bowl, sgd = SURFACES["parabola"], OPTIMIZERS["sgd"]
    >>> run = Run(bowl, sgd, sgd.validate({"lr": 0.1}), start_state(bowl, sgd, [1.0]))
    >>> e = explain(run)
    >>> e.step, e.position_before, e.substituted[-2]
    (1, (1.0,), 'x ← x − lr·g = 1 − 0.1·2 = 0.8')
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..optimizers.explaining import Quantity, StepNumbers, num, quantity, vec
from ..optimizers.interface import CoordinateState
from .batches import Batch
from .runner import Run
from .schedules import hyperparameters_at


@dataclass(frozen=True)
class Explanation:
    """The next step of one ball, explained (vectors have the surface's dim; a component
    that is not a finite number is None)."""

    status: str  # where the step starts: running, or converged, diverged or decided (it stopped)
    step: int  # t, the step explained: one past the step the run has reached
    optimizer: str
    formula: str  # the part of the optimizer's formula this step uses
    symbols: tuple[tuple[str, str], ...]  # ... and what each of its symbols means
    lr: float  # the learning rate the step uses, after any schedule
    loss_before: float | None
    position_before: tuple[float | None, ...]
    position_after: tuple[float | None, ...]
    exact_gradient: tuple[float | None, ...]  # ∇f at position_before
    gradient: tuple[float | None, ...]  # what the optimizer is given: after noise, float16, clip
    delta: tuple[float | None, ...]  # position_after − position_before
    effective_lr: tuple[float | None, ...]  # −Δx/g per coordinate; None where g = 0
    evaluations: int
    buffers_before: dict[str, Any]  # torch's state keys, as the resume state writes them
    buffers_after: dict[str, Any]
    quantities: tuple[Quantity, ...]
    substituted: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out["quantities"] = [q.to_json() for q in self.quantities]
        out["symbols"] = [{"symbol": s, "meaning": m} for s, m in self.symbols]
        for name in (
            "position_before",
            "position_after",
            "exact_gradient",
            "gradient",
            "delta",
            "effective_lr",
            "substituted",
        ):
            out[name] = list(out[name])
        return out


def _finite(values: Any) -> tuple[float | None, ...]:
    return tuple(float(v) if math.isfinite(v) else None for v in np.ravel(values))


def _coordinate_buffers(state: Any) -> dict[str, np.ndarray | None]:
    if not isinstance(state, CoordinateState):
        return {}
    out: dict[str, np.ndarray | None] = {}
    for key in state.keys:
        vector = state.buffer(key)
        out[key] = None if vector is None else np.array(vector, dtype=np.float64)
    return out


def explain(run: Run) -> Explanation:
    """The step ``run`` would take next, explained; the run itself does not move.

    ``run`` must hold one ball (batch shape ``()``)."""
    if run.batch_shape != ():
        raise ValueError("explain() takes a run of one ball")
    optimizer, dim = run.optimizer, run.surface.dim
    t = run.step + 1
    hp = run.hyperparameters
    if run.schedule is not None:
        hp = hyperparameters_at(run.schedule, hp, t - 1)
    x0 = np.array(run.position, dtype=np.float64)
    state0 = run.buffers
    exact = np.array(run.gradient, dtype=np.float64)
    failed, batch, ascent = False, None, None
    formula, symbols = optimizer.formula, optimizer.symbols
    try:
        # The runner's own step: the same rule, schedule, noise, float16 and clipping.
        x1_raw, state1, lr, given, _underflow, evaluations, batch, ascent = run._step(t)
        x1 = np.array(x1_raw, dtype=np.float64)
        g = np.array(given, dtype=np.float64)
    except (ArithmeticError, ValueError):  # e.g. a singular Hessian on floats
        failed, state1, lr, evaluations = True, None, hp["lr"], 1
        x1 = np.full(dim, math.nan)
        g = np.array(run.problem.gradient if run.problem.step == t else exact, dtype=np.float64)
    with np.errstate(all="ignore"):
        delta = x1 - x0
        effective = np.where(g != 0, -delta / np.where(g != 0, g, 1.0), math.nan)

    lines = [f"g = {'∇f(x)' if run.plain else 'the gradient given'} = {vec(g, lead=True)}"]
    quantities = [
        quantity("x", "position", x0, "where the ball is before the step", dim),
        quantity(
            "lr", "learning rate", lr, "the learning rate this step uses, after any schedule", dim
        ),
        quantity(
            "g",
            "gradient",
            g,
            "the gradient the optimizer is given at x"
            + ("" if run.plain else f" ({_given(run, batch)})"),
            dim,
        ),
    ]
    if not run.plain:
        quantities.append(quantity("∇f", "exact gradient", exact, "the true slope at x", dim))
    if ascent is not None:
        point = np.array(ascent[0], dtype=np.float64)
        adaptive = "ρ·T²g/(‖Tg‖ + ε), T = |x| + η" if run.options.sam_adaptive else "ρ·g/(‖g‖ + ε)"
        quantities += [
            quantity(
                "e",
                "SAM's climb",
                point - x0,
                f"e = {adaptive}, ρ = {num(run.options.sam_rho)}",
                dim,
            ),
            quantity("x + e", "SAM's ascent point", point, "where SAM takes the gradient", dim),
        ]
        lines.append(f"SAM: x + e = {vec(point, lead=True)}; g is the gradient there")
    if failed:
        lines.append("the step fails: its arithmetic has no finite answer")
    else:
        numbers = StepNumbers(
            t=t,
            hp=hp,
            x0=x0,
            x1=x1,
            g=g,
            before=_coordinate_buffers(state0),
            after=_coordinate_buffers(state1),
            memory_before=getattr(state0, "memory", None),
            memory_after=getattr(state1, "memory", None),
            evaluations=int(evaluations),
            problem=run.problem,
        )
        with np.errstate(all="ignore"):
            said = optimizer.explain(numbers)
        quantities.extend(said.quantities)
        if said.formula is not None and said.symbols is not None:
            formula, symbols = said.formula, said.symbols
        lines.extend(said.lines)
        lines.append(f"Δx = {vec(x1, lead=True)} − {vec(x0)} = {vec(delta, lead=True)}")
    quantities += [
        quantity("Δx", "step taken", delta, "how far the ball moves in each coordinate", dim),
        quantity(
            "−Δx/g",
            "effective learning rate",
            effective,
            "the learning rate plain gradient descent would need for the same step "
            "(blank where g = 0)",
            dim,
        ),
    ]
    blank = dict.fromkeys(optimizer.keys)
    return Explanation(
        # a run that only used up the steps it was asked for is still going
        status="running" if run.status_of() == "max_steps" else run.status_of(),
        step=t,
        optimizer=optimizer.id,
        formula=formula,
        symbols=symbols,
        lr=float(lr),
        loss_before=float(run.loss) if math.isfinite(run.loss) else None,
        position_before=_finite(x0),
        position_after=_finite(x1),
        exact_gradient=_finite(exact),
        gradient=_finite(g),
        delta=_finite(delta),
        effective_lr=_finite(effective),
        evaluations=int(evaluations),
        buffers_before=state0.to_json(()),
        buffers_after=blank if state1 is None else state1.to_json(()),
        quantities=tuple(quantities),
        substituted=tuple(lines),
    )


def _given(run: Run, batch: Batch | None) -> str:
    """How the gradient given differs from the exact one, in words."""
    if run.options.sam:
        return "SAM's: the gradient at the ascent point x + e, after noise, float16 and clipping"
    if batch is None:
        return "after noise, float16 and clipping"
    said = (
        f"the loss's gradient over mini-batch {batch.number} of epoch {batch.epoch}: "
        f"{len(batch.points)} of the {run.surface.data_size} data points"
    )
    return said if run.options.plain else f"{said}, then noise, float16 and clipping"


__all__ = ["Explanation", "Quantity", "explain", "num"]
