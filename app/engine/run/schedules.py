"""Learning-rate schedules with torch.optim.lr_scheduler's semantics, as pure functions.

A schedule changes the learning rate (and, for OneCycleLR, the momentum) as training goes
on.  In torch it is an object stepped once per optimizer step::

    scheduler = StepLR(optimizer, step_size=30)     # already sets epoch 0's lr
    for k in range(1, N + 1):
        optimizer.step()                            # step k uses epoch t = k − 1
        scheduler.step()                            # moves to epoch k

so optimizer step k (counting from 1) runs with the value the scheduler holds after k − 1
``scheduler.step()`` calls, which torch calls epoch ``last_epoch = k − 1``.  Here every
schedule is a closed form of ``(base_lr, t)`` — torch's own ``_get_closed_form_lr``, except
for LinearLR (see there) — so a run resumed at any step gets the same value without
replaying the schedule.  In the formulas ``t`` is that epoch, ``lr`` the optimizer's
learning rate (torch's ``base_lr``, or OneCycleLR's ``max_lr``).

torch's ``scheduler.step()`` mostly updates the rate recursively (``lr ← lr·γ``), which
agrees with a closed form only up to rounding that builds up step by step.  Over 1000 steps
(tools/make_schedule_goldens.py --measure): StepLR and ExponentialLR within 3e-15
relative, LinearLR 6e-14; CosineAnnealingLR up to 4e-12 when ``eta_min`` > 0, because its
recursion stores lr, not lr − eta_min, and so loses digits of the difference near each
trough and carries the loss into the next rise.  OneCycleLR is not recursive in torch
either: it matches to the bit.

Where the simulator departs from torch, on purpose:

* OneCycleLR is defined for ``total_steps`` optimizer steps (epochs 0 … total_steps − 1).
  torch lets the scheduler reach epoch total_steps, where its phase fraction passes 1 and
  the anneal overshoots (with ``anneal_strategy="linear"`` to a *negative* learning rate),
  and raises ValueError one ``scheduler.step()`` later.  Here every epoch from
  total_steps − 1 on holds the schedule's final value (the minimum rate, max_momentum), so
  a run may go on past the cycle.

Example — StepLR keeps lr for the first step_size steps (epochs 0 … 2 here)::

    >>> step = bind_schedule("step", {"step_size": 3, "gamma": 0.5})
    >>> [step.lr(0.1, t) for t in range(7)]
    [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import HyperparameterError
from ..hyperparameters import Hyperparameter, checked_values

LrRule = Callable[[Mapping[str, Any], float, int], float]
MomentumRule = Callable[[Mapping[str, Any], int], float | None]

CYCLE_MOMENTUM_ERROR = (
    "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"
)


@dataclass(frozen=True)
class Schedule:
    id: str
    name: str
    formula: str  # one line of maths, t = the epoch (optimizer step − 1)
    # Every symbol in the formula with its meaning in plain words, as Optimizer.symbols.
    symbols: tuple[tuple[str, str], ...]
    help: str  # one sentence for students
    parameters: tuple[Hyperparameter, ...]
    rule: LrRule = field(repr=False)  # (validated values, base_lr, epoch) -> lr
    momentum_rule: MomentumRule | None = field(default=None, repr=False)
    cross_check: Callable[[Mapping[str, Any]], None] | None = field(default=None, repr=False)
    # Values for which lr(base_lr, t) = base_lr at every t (γ = 1, say).
    identity: Callable[[Mapping[str, Any]], bool] = field(default=lambda v: False, repr=False)
    torch_class: str | None = None  # torch.optim.lr_scheduler.<torch_class>

    def validate(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """torch's defaults for what is left out; every value checked, naming the field."""
        values = checked_values(self.parameters, given, f"The {self.name} schedule", "parameter")
        if self.cross_check is not None:
            self.cross_check(values)
        return values


@dataclass(frozen=True)
class BoundSchedule:
    """A schedule with validated parameter values: the learning rate at any epoch."""

    schedule: Schedule
    values: Mapping[str, Any]

    @property
    def id(self) -> str:
        return self.schedule.id

    @property
    def is_constant(self) -> bool:
        """True when every step runs with base_lr and nothing else changes: no schedule,
        or parameters that make it one (γ = 1; LinearLR from factor 1 to 1)."""
        return not self.cycles_momentum and self.schedule.identity(self.values)

    @property
    def cycles_momentum(self) -> bool:
        return self.schedule.momentum_rule is not None and bool(self.values.get("cycle_momentum"))

    def lr(self, base_lr: float, epoch: int) -> float:
        """The learning rate of optimizer step ``epoch + 1`` when the optimizer's is base_lr."""
        return self.schedule.rule(self.values, base_lr, _epoch(epoch))

    def momentum(self, epoch: int) -> float | None:
        """The momentum (SGD, RMSprop) or β₁ (Adam family) torch writes into the optimizer
        for step ``epoch + 1``; None when the schedule leaves it alone."""
        epoch = _epoch(epoch)
        if not self.cycles_momentum:
            return None
        assert self.schedule.momentum_rule is not None
        return self.schedule.momentum_rule(self.values, epoch)


def bind_schedule(schedule_id: str, values: Mapping[str, Any]) -> BoundSchedule:
    """Validate ``values`` for the schedule ``schedule_id`` (defaults for what is missing)."""
    schedule = SCHEDULES.get(schedule_id)
    if schedule is None:
        raise HyperparameterError(
            "name", f"unknown schedule {schedule_id!r}; the schedules are {', '.join(SCHEDULES)}"
        )
    return BoundSchedule(schedule, schedule.validate(values))


def momentum_key(hyperparameter_names: Iterable[str]) -> Literal["momentum", "betas"] | None:
    """Which optimizer hyperparameter OneCycleLR cycles: torch checks
    ``"betas" in optimizer.defaults`` first (β₁ = betas[0] is Adam's momentum), then
    ``"momentum"``; None when there is neither (Adagrad, Adadelta, Rprop, L-BFGS)."""
    names = set(hyperparameter_names)
    if "betas" in names:
        return "betas"
    if "momentum" in names:
        return "momentum"
    return None


def check_cycle_momentum(bound: BoundSchedule, hyperparameter_names: Iterable[str]) -> None:
    """torch's ValueError, as a HyperparameterError on ``cycle_momentum``, when the schedule
    cycles momentum and the optimizer (given by its hyperparameter names) has none."""
    if bound.cycles_momentum and momentum_key(hyperparameter_names) is None:
        raise HyperparameterError("cycle_momentum", CYCLE_MOMENTUM_ERROR)


def hyperparameters_at(
    bound: BoundSchedule, hyperparameters: Mapping[str, Any], epoch: int
) -> dict[str, Any]:
    """The optimizer's validated hyperparameters as torch's param group has them for
    optimizer step ``epoch + 1``: ``lr`` scheduled from the given one, and ``momentum`` or
    ``betas[0]`` replaced by the cycled value.  (Call :func:`check_cycle_momentum` first.)"""
    values = dict(hyperparameters)
    values["lr"] = bound.lr(hyperparameters["lr"], epoch)
    momentum = bound.momentum(epoch)
    if momentum is not None:
        key = momentum_key(values)
        if key == "betas":
            values["betas"] = (momentum, *values["betas"][1:])
        elif key == "momentum":
            values["momentum"] = momentum
        else:
            raise HyperparameterError("cycle_momentum", CYCLE_MOMENTUM_ERROR)
    return values


def _epoch(epoch: int) -> int:
    epoch = operator.index(epoch)
    if epoch < 0:
        raise ValueError(f"epoch must be 0 or more, not {epoch}")
    return epoch


# Symbols the formulas share.
_LR_T = (
    "lr_t",
    "the learning rate after t steps: the rate step t + 1 uses (t counts from 0)",
)
_LR = ("lr", "the learning rate you set for the optimizer (its `lr` setting)")
_T = ("t", "the number of steps taken so far: 0 at the first step")
_GAMMA = (
    "γ",
    "gamma, the decay factor: what the rate is multiplied by at each cut (the `gamma` setting)",
)


def _gamma(default: float, help: str) -> Hyperparameter:
    return Hyperparameter("gamma", "Decay factor γ", default, "linear", help, 0.0, 1.0)


def _steps(name: str, label: str, default: int, help: str, invalid: str = "") -> Hyperparameter:
    return Hyperparameter(
        name, label, default, "log", help, 1.0, 10000.0, invalid=invalid, integer=True
    )


# --- constant ---------------------------------------------------------------------------

CONSTANT = Schedule(
    id="constant",
    name="Constant",
    formula="lr_t = lr",
    symbols=(_LR_T, _LR),
    help="The same learning rate at every step: no scheduler.",
    parameters=(),
    rule=lambda v, base_lr, t: base_lr,
    identity=lambda v: True,
)


# --- StepLR -----------------------------------------------------------------------------

STEP = Schedule(
    id="step",
    name="Step decay",
    torch_class="StepLR",
    formula="lr_t = lr·γ^⌊t/step_size⌋",
    symbols=(
        _LR_T,
        _LR,
        _GAMMA,
        _T,
        (
            "step_size",
            "how many steps each rate is kept before the next cut (the `step_size` setting)",
        ),
        ("⌊·⌋", "round down to a whole number: ⌊t/step_size⌋ is how many cuts have happened"),
        ("^", "raised to the power: γ^3 is γ·γ·γ"),
    ),
    help="Start larger to explore, then cut the rate by γ every step_size steps.",
    parameters=(
        _steps("step_size", "Step size", 100, "How many steps each rate is kept before the cut."),
        _gamma(0.1, "What each cut multiplies the rate by (0.1: ten times smaller)."),
    ),
    rule=lambda v, base_lr, t: base_lr * v["gamma"] ** (t // v["step_size"]),
    identity=lambda v: v["gamma"] == 1.0,
)


# --- ExponentialLR ----------------------------------------------------------------------

EXPONENTIAL = Schedule(
    id="exponential",
    name="Exponential decay",
    torch_class="ExponentialLR",
    formula="lr_t = lr·γ^t",
    symbols=(
        _LR_T,
        _LR,
        (
            "γ",
            "gamma, the decay factor: what the rate is multiplied by every step (the `gamma` "
            "setting)",
        ),
        _T,
        ("^", "raised to the power: γ^t is γ multiplied by itself t times"),
    ),
    help="Shrink the rate a little at every step, by the same factor γ: a smooth decay.",
    parameters=(
        _gamma(
            0.99,
            "What every step multiplies the rate by: 0.99 halves it in about 70 steps.",
        ),
    ),
    rule=lambda v, base_lr, t: base_lr * v["gamma"] ** t,
    identity=lambda v: v["gamma"] == 1.0,
)


# --- CosineAnnealingLR ------------------------------------------------------------------


def _cosine_lr(v: Mapping[str, Any], base_lr: float, t: int) -> float:
    eta_min: float = v["eta_min"]
    # No restart at T_max (that is CosineAnnealingWarmRestarts): torch's recursion keeps
    # following the cosine, so the rate climbs back to lr at 2·T_max, falls again, and so on.
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t / v["T_max"])) / 2


COSINE = Schedule(
    id="cosine",
    name="Cosine annealing",
    torch_class="CosineAnnealingLR",
    formula="lr_t = η_min + ½·(lr − η_min)·(1 + cos(π·t/T_max))",
    symbols=(
        _LR_T,
        (
            "lr",
            "the learning rate you set for the optimizer: where the rate starts (its `lr` setting)",
        ),
        ("η_min", "eta-min: the lowest rate, reached at step T_max (the `eta_min` setting)"),
        _T,
        (
            "T_max",
            "how many steps the rate takes to glide from lr down to η_min (the `T_max` setting)",
        ),
        ("cos", "the cosine: cos(π·t/T_max) goes from 1 at t = 0 to −1 at t = T_max"),
        ("π", "pi, 3.14159…: half a turn of the cosine wave"),
    ),
    help="Glide the rate from lr down to η_min along half a cosine wave over T_max steps: "
    "slow at first, fast in the middle, gentle at the end. Past T_max it rises again.",
    parameters=(
        _steps(
            "T_max",
            "Half period T_max",
            200,
            "Steps from lr down to η_min; the rate is back at lr after 2·T_max.",
        ),
        Hyperparameter(
            "eta_min",
            "Minimum rate η_min",
            0.0,
            "log",
            "The lowest learning rate, reached at step T_max.",
            0.0,
            10.0,
        ),
    ),
    rule=_cosine_lr,
)


# --- LinearLR ---------------------------------------------------------------------------

_START_FACTOR_ERROR = (
    "Starting multiplicative factor expected to be greater than 0 and less or equal to 1"
)


def _linear_lr(v: Mapping[str, Any], base_lr: float, t: int) -> float:
    start: float = v["start_factor"]
    end: float = v["end_factor"]
    total: int = v["total_iters"]
    if t >= total:
        return base_lr * end
    # Not torch's closed form start + (end − start)·t/total, which cancels when the factor
    # falls toward 0 (end_factor < start_factor): both terms here are ≥ 0, so the factor is
    # right to a few ulp, and nearer torch's recursive values than torch's closed form is.
    # From total_iters on it is end_factor exactly (where torch's recursion leaves ±1e-18
    # instead of 0 when end_factor is 0).
    return base_lr * ((start * (total - t) + end * t) / total)


def _linear_cross_check(v: Mapping[str, Any]) -> None:
    # The range check lets 0 through; torch wants the start strictly positive (its
    # recursion divides by total_iters·start_factor).
    if v["start_factor"] <= 0:
        raise HyperparameterError(
            "start_factor", f"{_START_FACTOR_ERROR}: {v['start_factor']} (must be more than 0)"
        )


LINEAR = Schedule(
    id="linear",
    name="Linear warm-up",
    torch_class="LinearLR",
    formula="lr_t = lr·(start_factor + (end_factor − start_factor)·min(t, n)/n),  n = total_iters",
    symbols=(
        _LR_T,
        _LR,
        ("start_factor", "the fraction of lr the first step uses (the `start_factor` setting)"),
        (
            "end_factor",
            "the fraction of lr used once the warm-up is over (the `end_factor` setting)",
        ),
        _T,
        ("n", "how many steps the warm-up takes, short for total_iters"),
        ("total_iters", "the length of the warm-up in steps (the `total_iters` setting)"),
        ("min", "min(a, b) is the smaller of a and b: the rate stops changing once t reaches n"),
    ),
    help="Warm up: start at a fraction of lr and raise the rate in a straight line over "
    "total_iters steps, then keep it. Big early steps from a random start can blow up.",
    parameters=(
        Hyperparameter(
            "start_factor",
            "Start factor",
            1.0 / 3,
            "log",
            "The first step uses start_factor·lr.",
            0.0,
            1.0,
            _START_FACTOR_ERROR,
        ),
        Hyperparameter(
            "end_factor",
            "End factor",
            1.0,
            "linear",
            "From step total_iters + 1 on, the rate is end_factor·lr.",
            0.0,
            1.0,
            "Ending multiplicative factor expected to be between 0 and 1",
        ),
        _steps("total_iters", "Warm-up steps", 5, "How many steps the straight line takes."),
    ),
    rule=_linear_lr,
    cross_check=_linear_cross_check,
    identity=lambda v: v["start_factor"] == 1.0 and v["end_factor"] == 1.0,
)


# --- OneCycleLR -------------------------------------------------------------------------
#
# torch keeps the phases as (end_step, start level, end level) and, at epoch t, anneals
# within the first phase whose end_step ≥ t (else the last) by the fraction
# (t − start_step)/(end_step − start_step).  The end steps are floats and are not forced
# into order (with pct_start·total_steps < 1 the first phase ends before epoch 0), so this
# follows torch's loop operation by operation rather than a tidier formula: the values agree
# with torch's to the last bit.

_LEVELS = ("initial", "max", "min")


def _onecycle_phases(v: Mapping[str, Any]) -> tuple[tuple[float, str, str, str, str], ...]:
    """(end_step, start lr, end lr, start momentum, end momentum) per phase, as torch's."""
    total, pct = v["total_steps"], v["pct_start"]
    if v["three_phase"]:
        return (
            (float(pct * total) - 1, "initial", "max", "max_momentum", "base_momentum"),
            (float(2 * pct * total) - 2, "max", "initial", "base_momentum", "max_momentum"),
            (total - 1, "initial", "min", "max_momentum", "max_momentum"),
        )
    return (
        (float(pct * total) - 1, "initial", "max", "max_momentum", "base_momentum"),
        (total - 1, "max", "min", "base_momentum", "max_momentum"),
    )


def _onecycle_position(
    v: Mapping[str, Any], t: int
) -> tuple[tuple[float, str, str, str, str], float]:
    """The phase epoch t is in and the fraction of it done (epochs past the cycle hold)."""
    t = min(t, v["total_steps"] - 1)
    phases = _onecycle_phases(v)
    start_step = 0.0
    for i, phase in enumerate(phases):
        end_step = phase[0]
        if t <= end_step or i == len(phases) - 1:
            return phase, (t - start_step) / (end_step - start_step)
        start_step = end_step
    raise AssertionError("unreachable: the last phase always matches")


def _anneal(strategy: str, start: float, end: float, pct: float) -> float:
    if strategy == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    return (end - start) * pct + start


def _onecycle_lr(v: Mapping[str, Any], base_lr: float, t: int) -> float:
    # max_lr is the optimizer's lr; torch derives the others from it in this order.
    initial = base_lr / v["div_factor"]
    levels = {"initial": initial, "max": base_lr, "min": initial / v["final_div_factor"]}
    phase, pct = _onecycle_position(v, t)
    return _anneal(v["anneal_strategy"], levels[phase[1]], levels[phase[2]], pct)


def _onecycle_momentum(v: Mapping[str, Any], t: int) -> float:
    phase, pct = _onecycle_position(v, t)
    return _anneal(v["anneal_strategy"], v[phase[3]], v[phase[4]], pct)


def _onecycle_cross_check(v: Mapping[str, Any]) -> None:
    # The only zero-length phase an epoch < total_steps can land in is a warm-up that ends
    # at epoch 0 (later phases are entered past their start, and the last one ends at
    # total_steps − 1): torch then computes 0/0 and raises ZeroDivisionError.
    if float(v["pct_start"] * v["total_steps"]) - 1 == 0:
        raise HyperparameterError(
            "pct_start",
            f"pct_start·total_steps = {v['pct_start']}·{v['total_steps']} = 1 leaves the "
            "warm-up no length: torch's OneCycleLR raises ZeroDivisionError (float division "
            "by zero) at its first step",
        )


def _momentum_level(name: str, label: str, default: float, help: str) -> Hyperparameter:
    # torch does not check these; the range stops short of 1 because Adam divides by the
    # bias correction 1 − β₁ᵗ, which β₁ = 1 makes zero.
    return Hyperparameter(name, label, default, "linear", help, 0.0, 0.9999)


ONECYCLE = Schedule(
    id="onecycle",
    name="One cycle",
    torch_class="OneCycleLR",
    formula="lr_t: lr/div_factor ↗ lr over pct_start·total_steps steps, then "
    "↘ lr/(div_factor·final_div_factor) at step total_steps;  "
    "momentum_t: max_momentum ↘ base_momentum ↗ max_momentum",
    symbols=(
        _LR_T,
        (
            "lr",
            "the learning rate you set for the optimizer: the peak of the cycle (torch's max_lr)",
        ),
        ("div_factor", "the cycle starts at lr divided by this (the `div_factor` setting)"),
        (
            "final_div_factor",
            "the end of the cycle is this many times below its start (the `final_div_factor` "
            "setting)",
        ),
        ("pct_start", "the fraction of the cycle spent raising the rate (the `pct_start` setting)"),
        ("total_steps", "the length of the whole cycle in steps (the `total_steps` setting)"),
        (
            "↗",
            "rises to, along half a cosine wave or a straight line (the `anneal_strategy` setting)",
        ),
        (
            "↘",
            "falls to, along half a cosine wave or a straight line (the `anneal_strategy` setting)",
        ),
        (
            "momentum_t",
            "the momentum (SGD, RMSprop) or β₁ (Adam family) at step t + 1, moved opposite to "
            "the rate when the `cycle_momentum` setting is on",
        ),
        (
            "max_momentum",
            "the momentum at the start and the end of the cycle (the `max_momentum` setting)",
        ),
        (
            "base_momentum",
            "the momentum when the rate is at its peak (the `base_momentum` setting)",
        ),
    ),
    help="Warm up from a small rate to lr, then anneal to far below where it started, "
    "while momentum moves the other way (least when the rate is highest).",
    parameters=(
        _steps(
            "total_steps",
            "Cycle length",
            1000,
            "Steps in the whole cycle; after it the final (smallest) rate is kept.",
            "Expected positive integer total_steps",
        ),
        Hyperparameter(
            "pct_start",
            "Warm-up fraction",
            0.3,
            "linear",
            "The fraction of the cycle spent raising the rate.",
            0.0,
            1.0,
            "Expected float between 0 and 1 pct_start",
        ),
        Hyperparameter(
            "anneal_strategy",
            "Anneal strategy",
            "cos",
            "choice",
            "The shape of each rise and fall: half a cosine wave or a straight line.",
            choices=("cos", "linear"),
        ),
        Hyperparameter(
            "div_factor",
            "Start divisor",
            25.0,
            "log",
            "The cycle starts at lr/div_factor.",
            1.0,
            10000.0,
        ),
        Hyperparameter(
            "final_div_factor",
            "Final divisor",
            1e4,
            "log",
            "The cycle ends at lr/(div_factor·final_div_factor).",
            1.0,
            1e6,
        ),
        Hyperparameter(
            "three_phase",
            "Three phases",
            False,
            "bool",
            "The original paper's shape: rise, fall back to the start symmetrically, then "
            "a third phase down to the final rate.",
        ),
        Hyperparameter(
            "cycle_momentum",
            "Cycle momentum",
            True,
            "bool",
            "Also move the momentum (SGD, RMSprop) or β₁ (Adam family) between "
            "max_momentum and base_momentum, opposite to the rate.",
        ),
        _momentum_level(
            "base_momentum",
            "Base momentum",
            0.85,
            "The momentum when the rate is at its peak.",
        ),
        _momentum_level(
            "max_momentum",
            "Max momentum",
            0.95,
            "The momentum at the start and at the end of the cycle.",
        ),
    ),
    rule=_onecycle_lr,
    momentum_rule=_onecycle_momentum,
    cross_check=_onecycle_cross_check,
)


SCHEDULES: dict[str, Schedule] = {
    s.id: s for s in (CONSTANT, STEP, EXPONENTIAL, COSINE, LINEAR, ONECYCLE)
}
