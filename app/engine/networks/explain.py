"""One weight's next step explained: the Update rule panel for a network.

A coordinate-wise rule (SGD, the Adam family, …) updates each weight on its own, so the
explanation of weight j is exactly the one-coordinate explanation a ball gets: the numbers
of j — its value, its gradient, its buffers before and after — put into the optimizer's own
formula by its ``explain`` hook (:mod:`app.engine.optimizers.explaining`).  A whole-vector
rule (L-BFGS, Newton) moves every weight together through the curvature of all of them, and
a per-tensor rule (Adafactor, Muon's recipe) each layer's weight matrix and bias as wholes;
for them the panel gives weight j's share of the step and says so, through the rule's own
``tensors.explain`` where it has one (the entry's role tells Muon's matrices from AdamW's).

    >>> from app.engine.networks.scenario import build
    >>> s = build({"data": {"dataset": "xor", "points": 40}, "model": {"hidden": [2]},
    ...            "optimizers": [{"optimizer": "sgd", "hyperparameters": {"lr": 0.1}}]})
    >>> e = explain_weight(s.start(0), 0)
    >>> e.step, e.substituted[-2].startswith("x ← x − lr·g")
    (1, True)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backend import SCALAR
from ..optimizers.explaining import StepNumbers, quantity, vec
from ..optimizers.interface import CoordinateState, TensorEntry
from ..run.explain import Explanation
from ..run.schedules import hyperparameters_at
from .data import NetworkError
from .model import loss_and_grad, parameters_of
from .train import NetworkRun

__all__ = ["explain_weight", "weight_index"]


def weight_index(run: NetworkRun, layer: int, kind: str, row: int, col: int = 0) -> int:
    """Where layer ``layer``'s ``weight[row, col]`` (or ``bias[row]``) sits in θ."""
    offsets = run.setup.spec.offsets
    if not 0 <= layer < len(offsets):
        raise NetworkError("weight.layer", f"must be from 0 to {len(offsets) - 1}")
    out, inp, w, b, _ = offsets[layer]
    if not 0 <= row < out:
        raise NetworkError("weight.row", f"layer {layer} has {out} units: 0 to {out - 1}")
    if kind == "bias":
        return b + row
    if kind != "weight":
        raise NetworkError("weight.kind", "must be weight or bias")
    if not 0 <= col < inp:
        raise NetworkError("weight.col", f"layer {layer} has {inp} inputs: 0 to {inp - 1}")
    return w + row * inp + col


class _OneWeight:
    """What an explain hook sees of a crowd's step, for weight j alone."""

    xp = SCALAR
    batch_shape: tuple[int, ...] = ()

    def __init__(self, crowd: Any, j: int) -> None:
        self.crowd, self.j = crowd, j
        self.gradient = (float(crowd.gradient[0][j]),)

    def normal(self, stream: int) -> tuple[float, ...]:
        return (float(self.crowd.normal(stream)[0][self.j]),)

    def ball(self, index: tuple[int, ...]) -> Any:
        raise TypeError("a coordinate-wise rule has no closure")


def _place(run: NetworkRun, j: int) -> tuple[int, tuple[int, ...]]:
    """Which parameter tensor θ[j] is in (torch's parameters() order), and where in it."""
    start = 0
    for n, shape in enumerate(run.setup.spec.parameter_shapes):
        size = math.prod(shape)
        if j < start + size:
            return n, tuple(int(i) for i in np.unravel_index(j - start, shape))
        start += size
    raise NetworkError("weight", f"the network has {run.setup.spec.size} weights")


def _buffers(state: Any, j: int) -> dict[str, np.ndarray | None]:
    if not isinstance(state, CoordinateState):
        return {}
    out: dict[str, np.ndarray | None] = {}
    for key in state.keys:
        vector = state.buffer(key)
        if vector is None:
            out[key] = None
            continue
        value = np.asarray(vector[0], dtype=np.float64)  # NAdam's μ-product: one for all
        out[key] = np.array([value if value.ndim == 0 else value[j]])
    return out


def _json(buffers: dict[str, np.ndarray | None]) -> dict[str, Any]:
    return {k: None if v is None else [float(v[0])] for k, v in buffers.items()}


def _finite(v: float) -> tuple[float | None]:
    return (float(v) if math.isfinite(v) else None,)


def explain_weight(run: NetworkRun, j: int) -> Explanation:
    """The step ``run`` would take next, explained for θ[j]; the run does not move."""
    if not 0 <= j < run.setup.spec.size:
        raise NetworkError("weight", f"the network has {run.setup.spec.size} weights")
    optimizer = run.optimizer
    t = run.step + 1
    hp = run.hyperparameters
    if run.schedule is not None:
        hp = hyperparameters_at(run.schedule, hp, t - 1)
    x0 = float(run.theta[j])
    try:
        with np.errstate(all="ignore"):
            taken = run._take_step(t)
        x1, g, lr = float(taken.theta[j]), float(taken.gradient[j]), float(taken.lr)
    except (ArithmeticError, ValueError):  # a singular Hessian: the step that fails
        taken, x1, g, lr = None, math.nan, math.nan, float(hp["lr"])
    delta = x1 - x0
    effective = -delta / g if g else math.nan
    formula, symbols = optimizer.formula, optimizer.symbols
    sam = run.options.sam  # the gradient is taken at SAM's ascent point θ + e
    at = " at θ + e" if sam else ""
    lines = [f"g = ∂L/∂θ{at} = {vec(np.array([g]), lead=True)}"]
    slope = "the loss's slope along this weight" + (
        " at SAM's ascent point θ + e (a second pass over the batch)" if sam else ""
    )
    quantities = [
        quantity("x", "weight", x0, "the weight's value before the step", 1),
        quantity("lr", "learning rate", lr, "the learning rate this step uses", 1),
        quantity("g", "gradient", g, slope, 1),
    ]
    before = _buffers(run.buffers, j)
    after = _buffers(taken.buffers, j) if taken is not None else dict.fromkeys(optimizer.keys)
    if taken is None:
        lines.append("the step fails: its arithmetic has no finite answer")
    elif run.whole:
        lines.append(
            f"{optimizer.name} moves every weight at once, through the curvature of all of "
            f"them; this weight's share of the step is Δx = {vec(np.array([delta]), lead=True)}"
        )
    elif run.tensors and optimizer.tensors is not None and optimizer.tensors.explain:
        tensor, index = _place(run, j)
        spec = run.setup.spec
        entry = TensorEntry(
            parameters_of(spec, run.theta)[tensor],
            parameters_of(spec, taken.gradient)[tensor],
            (run.buffers.tensors or ({},) * len(spec.parameter_shapes))[tensor],
            index,
            spec.parameter_layout[tensor],
        )
        numbers = StepNumbers(
            t=t,
            hp=hp,
            x0=np.array([x0]),
            x1=np.array([x1]),
            g=np.array([g]),
            before={},
            after={},
            memory_before=None,
            memory_after=None,
            evaluations=1,
            problem=None,  # type: ignore[arg-type]  # a per-tensor step draws nothing
        )
        with np.errstate(all="ignore"):
            said = optimizer.tensors.explain(numbers, entry)
        quantities.extend(said.quantities)
        if said.formula is not None and said.symbols is not None:
            formula, symbols = said.formula, said.symbols
        lines.extend(said.lines)
        x1v, x0v, dv = (np.array([v]) for v in (x1, x0, delta))
        lines.append(f"Δx = {vec(x1v, lead=True)} − {vec(x0v)} = {vec(dv, lead=True)}")
    elif run.tensors:
        lines.append(
            f"{optimizer.name} moves each parameter tensor (a layer's weight matrix, its bias) "
            f"as a whole, sized by the tensor's RMS; this weight's share of the step is "
            f"Δx = {vec(np.array([delta]), lead=True)}"
        )
    else:
        numbers = StepNumbers(
            t=t,
            hp=hp,
            x0=np.array([x0]),
            x1=np.array([x1]),
            g=np.array([g]),
            before=before,
            after=after,
            memory_before=None,
            memory_after=None,
            evaluations=2 if sam else 1,
            problem=_OneWeight(taken.problem, j),
        )
        with np.errstate(all="ignore"):
            said = optimizer.explain(numbers)
        quantities.extend(said.quantities)
        if said.formula is not None and said.symbols is not None:
            formula, symbols = said.formula, said.symbols
        lines.extend(said.lines)
        x1v, x0v, dv = (np.array([v]) for v in (x1, x0, delta))
        lines.append(f"Δx = {vec(x1v, lead=True)} − {vec(x0v)} = {vec(dv, lead=True)}")
    quantities += [
        quantity("Δx", "step taken", delta, "how far the weight moves", 1),
        quantity("−Δx/g", "effective learning rate", effective, "blank where g = 0", 1),
    ]
    loss = run.history.recent[-1] if run.history.recent else math.nan
    s = run.setup
    with np.errstate(all="ignore"):  # the true slope: the whole training set, no options
        exact = float(loss_and_grad(s.spec, run.theta, s.x_train, s.y_train)[1][j])
    return Explanation(
        status=run.status,
        step=t,
        optimizer=optimizer.id,
        formula=formula,
        symbols=symbols,
        lr=lr,
        loss_before=float(loss) if math.isfinite(loss) else None,
        position_before=_finite(x0),
        position_after=_finite(x1),
        exact_gradient=_finite(exact),
        gradient=_finite(g),
        delta=_finite(delta),
        effective_lr=_finite(effective),
        evaluations=2 if sam else 1,
        buffers_before=_json(before) if before else {},
        buffers_after=(
            _json(after) if after and taken is not None and not (run.whole or run.tensors) else {}
        ),
        quantities=tuple(quantities),
        substituted=tuple(lines),
    )
