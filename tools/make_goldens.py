"""Generate golden trajectories with torch.optim for tests/engine/test_goldens.py.

Run from the repository root with a torch install (torch is not a dependency of the app)::

    PYTHONPATH=. .venv/bin/python tools/make_goldens.py [stem ...]

With file name stems, only those goldens are written (the others are left as they are).

Every configuration is run in float64 with ``torch.optim`` (``foreach=False``, the
single-tensor code path, which the engine mirrors).  The loss is the surface's own
``value(xp, x)`` evaluated with a torch namespace, so autograd differentiates it: the
gradients in the goldens do not come from the engine's analytic ``grad``.

Each step of the loop is ``zero_grad; loss = f(x); loss.backward(); record; opt.step()``,
so ``positions[i]``, ``losses[i]`` and ``gradients[i]`` belong to the point after ``i``
updates.  Like the engine's runner, a trajectory stops at the last sound point: a point
whose loss or gradient is non-finite, or that lies outside ``surface.runaway_box()``, is
not recorded (``stop_reason`` says why).

``horizon`` measures how far torch agrees with itself under rounding-level changes.  Torch
is run again four times ("twins"):

* ``gradient_times_1_plus_ulp`` — every gradient multiplied by ``1 + 2**-52`` before the
  update;
* ``closed_form_gradient_torch`` and ``closed_form_gradient_math`` — every gradient
  replaced by the surface's closed-form ``grad(xp, x)``, evaluated with torch ops or with
  Python's ``math`` module (libm): the same derivative, rounded differently.  Near a
  stationary point the gradient is rounding noise, and adaptive optimizers (RMSprop, Adam)
  divide it by its own running size, so the way the derivative is rounded can matter there
  while a relative nudge of the noise does not.  (These twins still apply torch's update
  rules, so they bound the comparison without borrowing the engine's optimizers; the
  formula itself is checked against autograd below and against finite differences in
  tests/engine/test_surfaces.py);
* ``cpu_capability_default`` — the unperturbed run in a subprocess with
  ``ATEN_CPU_CAPABILITY=default``: torch's portable kernels.  On CPUs with FMA, torch's
  vectorized kernels fuse ``a.add(b, alpha=c)``, ``addcmul`` and ``lerp`` into a single
  rounding; its portable kernels do not, so torch's own last bits depend on the machine.

Each twin's horizon is the number of leading points on which it agrees with the golden in
position, loss and gradient to ``|a - b| <= 1e-10 * |b| + 1e-12`` — a tenth of the
relative tolerance the engine is held to — (all recorded points if it never parts);
``horizon`` is the smallest.  Beyond it a comparison with any other implementation
measures amplified rounding noise, not correctness.

The script also checks, at every recorded point, that the closed-form gradient agrees with
autograd to ``1e-12 * |g| + 1e-14``: a wrong formula would otherwise only show up as a
short ``closed_form_gradient_*`` horizon.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch

from app.engine.backend import SCALAR
from app.engine.surfaces import SURFACES

OUT = Path(__file__).resolve().parent.parent / "tests" / "golden"
STEPS = 1000
# The engine is held to RTOL, ATOL (tests/engine/test_goldens.py); a twin must agree ten
# times closer in relative terms, because the engine's last bits differ from torch's in
# more places at once than any one twin's do (a margin of about one step where errors grow
# tenfold per step).  ATOL stays: it covers rounding noise in gradients near zero.
RTOL, ATOL = 1e-9, 1e-12
MARGIN = 10.0
ULP = 2.0**-52
NUDGES = ("gradient_times_1_plus_ulp", "closed_form_gradient_torch", "closed_form_gradient_math")
KEYS = ("positions", "losses", "gradients")

TORCH_XP = SimpleNamespace(
    name="torch",
    sin=torch.sin,
    cos=torch.cos,
    exp=torch.exp,
    tanh=torch.tanh,
    sqrt=torch.sqrt,
    maximum=lambda a, b: torch.maximum(torch.as_tensor(a), torch.as_tensor(b)),
)


class ReferenceLion(torch.optim.Optimizer):
    """Lion as its paper defines it: the reference code of Chen et al. 2023 ("Symbolic
    Discovery of Optimization Algorithms", Program 1; google/automl lion/lion_pytorch.py),
    with ``maximize`` added (the product's extension, done as torch's optimizers do it).

    Lion is not in torch.optim; this is the definition its goldens are held to."""

    def __init__(
        self,
        params: Any,
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ) -> None:
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        defaults = {"lr": lr, "betas": betas, "weight_decay": weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Any = None) -> None:
        assert closure is None
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                # Perform stepweight decay
                p.data.mul_(1 - group["lr"] * group["weight_decay"])
                grad = -p.grad if group["maximize"] else p.grad
                state = self.state[p]
                if len(state) == 0:
                    state["exp_avg"] = torch.zeros_like(p)
                exp_avg = state["exp_avg"]
                beta1, beta2 = group["betas"]
                # Weight update
                update = exp_avg * beta1 + grad * (1 - beta1)
                p.add_(update.sign_(), alpha=-group["lr"])
                # Decay the momentum running average coefficient
                exp_avg.mul_(beta2).add_(grad, alpha=1 - beta2)


def langevin_draw(seed: int, step: int, dim: int) -> torch.Tensor:
    """ξ ~ N(0, I) for SGLD's step ``step``: the engine's documented stream 1 of the seed."""
    return torch.tensor(np.random.default_rng([seed, step, 1]).standard_normal(dim))


def noise_draw(seed: int, step: int, dim: int) -> torch.Tensor:
    """ξ ~ N(0, I) for the gradient noise of step ``step``: the engine's stream 0."""
    return torch.tensor(np.random.default_rng([seed, step, 0]).standard_normal(dim))


class ReferenceNewton(torch.optim.Optimizer):
    """Newton's method as defined: x ← x − lr·(H + λI)⁻¹·g, with H the Hessian by
    autograd (``hessian()`` differentiates the surface formula twice) and torch.linalg.solve;
    ``maximize`` runs Newton on −f.  Not in torch.optim; its goldens are held to this."""

    def __init__(
        self,
        params: Any,
        lr: float = 1.0,
        damping: float = 0.0,
        *,
        maximize: bool = False,
        hessian: Any = None,
    ) -> None:
        super().__init__(params, {"lr": lr, "damping": damping, "maximize": maximize})
        self.hessian = hessian

    @torch.no_grad()
    def step(self, closure: Any = None) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                g, h = p.grad.clone(), self.hessian()
                if group["maximize"]:
                    g, h = -g, -h
                h = h + group["damping"] * torch.eye(len(g))
                p.sub_(group["lr"] * torch.linalg.solve(h, g))


class ReferenceSGLD(torch.optim.Optimizer):
    """SGLD (Welling & Teh 2011) as defined: x ← x − lr·(g + λx) + √(2·lr·T)·ξ, with ξ
    from the seed's stream 1 (``langevin_draw``); ``maximize`` negates g as SGD does."""

    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        temperature: float = 0.1,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
        seed: int = 0,
    ) -> None:
        defaults = {
            "lr": lr,
            "temperature": temperature,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)
        self.seed = seed
        self.steps = 0

    @torch.no_grad()
    def step(self, closure: Any = None) -> None:
        self.steps += 1
        for group in self.param_groups:
            for p in group["params"]:
                g = -p.grad if group["maximize"] else p.grad
                if group["weight_decay"]:
                    g = g + group["weight_decay"] * p
                spread = math.sqrt(2.0 * group["lr"] * group["temperature"])
                p.copy_(p - group["lr"] * g + spread * langevin_draw(self.seed, self.steps, len(p)))


SCHEDULERS: dict[str, Any] = {
    "step": torch.optim.lr_scheduler.StepLR,
    "exponential": torch.optim.lr_scheduler.ExponentialLR,
    "cosine": torch.optim.lr_scheduler.CosineAnnealingLR,
    "linear": torch.optim.lr_scheduler.LinearLR,
    "onecycle": torch.optim.lr_scheduler.OneCycleLR,
}


# torch's constructor and, per optimizer, the hyperparameters recorded (torch's names).
TORCH_OPTIMIZERS: dict[str, tuple[Any, tuple[str, ...], dict[str, Any]]] = {
    "sgd": (
        torch.optim.SGD,
        ("lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize"),
        {"foreach": False, "fused": False},
    ),
    "adagrad": (
        torch.optim.Adagrad,
        ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps", "maximize"),
        {"foreach": False, "fused": False},
    ),
    "rmsprop": (
        torch.optim.RMSprop,
        ("lr", "alpha", "eps", "weight_decay", "momentum", "centered", "maximize"),
        {"foreach": False},
    ),
    "adam": (
        torch.optim.Adam,
        ("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize"),
        {"foreach": False, "fused": False},
    ),
    "adamw": (
        torch.optim.AdamW,
        ("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize"),
        {"foreach": False, "fused": False},
    ),
    "adamax": (
        torch.optim.Adamax,
        ("lr", "betas", "eps", "weight_decay", "maximize"),
        {"foreach": False},
    ),
    "nadam": (
        torch.optim.NAdam,
        (
            "lr",
            "betas",
            "eps",
            "weight_decay",
            "momentum_decay",
            "decoupled_weight_decay",
            "maximize",
        ),
        {"foreach": False},
    ),
    "radam": (
        torch.optim.RAdam,
        ("lr", "betas", "eps", "weight_decay", "decoupled_weight_decay", "maximize"),
        {"foreach": False},
    ),
    "adadelta": (
        torch.optim.Adadelta,
        ("lr", "rho", "eps", "weight_decay", "maximize"),
        {"foreach": False},
    ),
    "rprop": (torch.optim.Rprop, ("lr", "etas", "step_sizes", "maximize"), {"foreach": False}),
    "lion": (ReferenceLion, ("lr", "betas", "weight_decay", "maximize"), {}),
    "newton": (ReferenceNewton, ("lr", "damping", "maximize"), {}),
    "sgld": (ReferenceSGLD, ("lr", "temperature", "weight_decay", "maximize"), {}),
}

# (file name stem, surface, optimizer, torch keyword arguments[, options]); options may
# give the "start" (default: the surface's), the number of "steps" (default STEPS),
# "surface_parameters" (default: the surface's defaults, recorded for surfaces that have
# parameters), the run's "options" (the engine's gradient noise, precision and clipping,
# done here with torch's clip_grad_* and float16) and a "schedule" ({"name", "parameters"}:
# a torch.optim.lr_scheduler stepped after each optimizer step).  2D goldens run fewer
# steps to keep the files small.
CONFIGS: tuple[tuple[Any, ...], ...] = (
    ("sgd-gd-roll_downhill", "roll_downhill", "sgd", {"lr": 0.05}),
    ("sgd-momentum-roll_downhill", "roll_downhill", "sgd", {"lr": 0.02, "momentum": 0.9}),
    (
        "sgd-nesterov-roll_downhill",
        "roll_downhill",
        "sgd",
        {"lr": 0.02, "momentum": 0.9, "nesterov": True},
    ),
    (
        "sgd-dampening_wd-double_well",
        "double_well",
        "sgd",
        {"lr": 0.02, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.1},
    ),
    ("sgd-maximize-double_well", "double_well", "sgd", {"lr": 0.01, "maximize": True}),
    ("sgd-lr1.2-roll_downhill", "roll_downhill", "sgd", {"lr": 1.2}),
    ("sgd-lr0.9-parabola", "parabola", "sgd", {"lr": 0.9}),
    (
        "sgd-momentum-plateau_wall",
        "plateau_wall",
        "sgd",
        {"lr": 0.5, "momentum": 0.9},
        {"start": (-1.9,)},
    ),
    (
        "adagrad-decay_init-roll_downhill",
        "roll_downhill",
        "adagrad",
        {"lr": 0.5, "lr_decay": 0.01, "initial_accumulator_value": 0.1},
    ),
    ("adagrad-wd-plateau_wall", "plateau_wall", "adagrad", {"lr": 0.01, "weight_decay": 0.05}),
    ("adagrad-maximize-parabola", "parabola", "adagrad", {"lr": 0.5, "maximize": True}),
    ("rmsprop-default-roll_downhill", "roll_downhill", "rmsprop", {"lr": 0.05}),
    # On roll_downhill the ball reaches the minimum, where centered RMSprop's variance
    # estimate collapses onto rounding noise and kicks it out again: torch's own result
    # there depends on how the gradient is rounded (short horizon).  On double_well the
    # same rule is checked on every step.
    (
        "rmsprop-centered_momentum-roll_downhill",
        "roll_downhill",
        "rmsprop",
        {"lr": 0.01, "centered": True, "momentum": 0.5},
    ),
    (
        "rmsprop-centered_momentum-double_well",
        "double_well",
        "rmsprop",
        {"lr": 0.01, "centered": True, "momentum": 0.5},
    ),
    ("rmsprop-wd-double_well", "double_well", "rmsprop", {"lr": 0.01, "weight_decay": 0.1}),
    ("adam-default-roll_downhill", "roll_downhill", "adam", {"lr": 0.1}),
    (
        "adam-amsgrad_wd-roll_downhill",
        "roll_downhill",
        "adam",
        {"lr": 0.05, "amsgrad": True, "weight_decay": 0.01},
    ),
    # beta1 < 0.5: torch's lerp takes its other branch.  With lr 0.2 the ball keeps
    # bouncing through roll_downhill's minimum (a long but finite horizon); with lr 0.02 it
    # settles, and is checked on every step.
    ("adam-beta1_0.3-roll_downhill", "roll_downhill", "adam", {"lr": 0.2, "betas": (0.3, 0.9)}),
    (
        "adam-beta1_0.3_lr0.02-roll_downhill",
        "roll_downhill",
        "adam",
        {"lr": 0.02, "betas": (0.3, 0.9)},
    ),
    ("adam-lr0.5-plateau_wall", "plateau_wall", "adam", {"lr": 0.5}),
    # 2D: the coordinate-wise rules applied to two coordinates at once.
    ("adam-lr0.05-rosenbrock", "rosenbrock", "adam", {"lr": 0.05}, {"steps": 500}),
    (
        "sgd-momentum-ravine",
        "ravine",
        "sgd",
        {"lr": 0.05, "momentum": 0.9},
        {"steps": 500},
    ),
    (
        "sgd-nesterov-ravine_kappa100",
        "ravine",
        "sgd",
        {"lr": 0.01, "momentum": 0.9, "nesterov": True},
        {"steps": 500, "surface_parameters": {"kappa": 100.0}},
    ),
    ("rmsprop-default-himmelblau", "himmelblau", "rmsprop", {"lr": 0.01}, {"steps": 500}),
    # Adam slides off the saddle along y and out of the runaway box.
    ("adam-lr0.1-saddle", "saddle", "adam", {"lr": 0.1}, {"steps": 500}),
    # AdamW's decay is decoupled: a large weight_decay pulls the ball off double_well's
    # minimum at 1 toward 0 by a fixed fraction, not through the adaptive scaling.
    (
        "adamw-amsgrad_wd0.5-double_well",
        "double_well",
        "adamw",
        {"lr": 0.05, "weight_decay": 0.5, "amsgrad": True},
    ),
    ("adamw-lr0.05-rosenbrock", "rosenbrock", "adamw", {"lr": 0.05}, {"steps": 500}),
    ("adamax-lr0.1-roll_downhill", "roll_downhill", "adamax", {"lr": 0.1}),
    # Maximizing with weight decay: minimizes -f(x) + 0.25·x², bounded on roll_downhill.
    (
        "adamax-maximize_wd-roll_downhill",
        "roll_downhill",
        "adamax",
        {"lr": 0.05, "maximize": True, "weight_decay": 0.5},
    ),
    ("nadam-lr0.05-roll_downhill", "roll_downhill", "nadam", {"lr": 0.05}),
    (
        "nadam-decoupled_wd-himmelblau",
        "himmelblau",
        "nadam",
        {
            "lr": 0.05,
            "weight_decay": 0.1,
            "decoupled_weight_decay": True,
            "momentum_decay": 0.04,
        },
        {"steps": 500},
    ),
    # RAdam takes plain momentum steps until rho_t > 5: for steps 1-5 with beta2 0.999,
    # for steps 1-9 with beta2 0.7 (rho_inf = 5.67), rectified steps after.
    ("radam-lr0.1-roll_downhill", "roll_downhill", "radam", {"lr": 0.1}),
    # (With beta2 0.7 the ball never quite settles; on double_well and roll_downhill that
    # jitter depends on the gradient's last bits, on plateau_wall it does not.)
    (
        "radam-beta2_0.7_decoupled_wd-plateau_wall",
        "plateau_wall",
        "radam",
        {"lr": 0.05, "betas": (0.9, 0.7), "weight_decay": 0.1, "decoupled_weight_decay": True},
    ),
    # Adadelta with lr 1 cannot rest in a minimum with f'' > 2 once its averages have
    # faded (the step tends to lr·g): on roll_downhill it is kicked out of x = 1.885 by
    # rounding noise.  Here it is checked where it stays put within the run.
    ("adadelta-default-himmelblau", "himmelblau", "adadelta", {}, {"steps": 500}),
    ("adadelta-lr2_wd-plateau_wall", "plateau_wall", "adadelta", {"lr": 2.0, "weight_decay": 0.1}),
    # Rprop overshoots and its gradient's sign flips: step sizes shrink, the flipped step
    # does not move (torch zeroes the gradient), and the next one keeps its size.
    ("rprop-default-roll_downhill", "roll_downhill", "rprop", {}),
    (
        "rprop-etas-rosenbrock",
        "rosenbrock",
        "rprop",
        {"lr": 0.05, "etas": (0.4, 1.3), "step_sizes": (1e-6, 1.0)},
        {"steps": 500},
    ),
    # Lion: the reference code (ReferenceLion above), not torch.optim.
    ("lion-lr0.01-roll_downhill", "roll_downhill", "lion", {"lr": 0.01}),
    (
        "lion-wd_maximize-roll_downhill",
        "roll_downhill",
        "lion",
        {"lr": 0.02, "weight_decay": 0.5, "maximize": True},
    ),
    # Newton (reference definition, autograd Hessian): heads for the nearest stationary
    # point; damped it creeps; on the saddle it heads straight for the saddle point.
    ("newton-default-roll_downhill", "roll_downhill", "newton", {}, {"steps": 50}),
    ("newton-damped-rosenbrock", "rosenbrock", "newton", {"damping": 10.0}, {"steps": 300}),
    ("newton-lr0.5-himmelblau", "himmelblau", "newton", {"lr": 0.5}, {"steps": 100}),
    ("newton-lr0.5-saddle", "saddle", "newton", {"lr": 0.5}, {"steps": 40}),
    (
        "newton-maximize_damped-double_well",
        "double_well",
        "newton",
        {"lr": 0.5, "damping": 5.0, "maximize": True},
        {"steps": 200},
    ),
    # SGLD (reference definition; noise from the seed's documented stream).
    (
        "sgld-t0.1-roll_downhill",
        "roll_downhill",
        "sgld",
        {"lr": 0.01, "temperature": 0.1},
        {"options": {"seed": 7}},
    ),
    (
        "sgld-wd-himmelblau",
        "himmelblau",
        "sgld",
        {"lr": 0.002, "temperature": 1.0, "weight_decay": 0.1},
        {"steps": 500},
    ),
    # Run options every optimizer takes: torch's clipping utilities, float16 gradients.
    (
        "sgd-clipnorm-rosenbrock",
        "rosenbrock",
        "sgd",
        {"lr": 0.002, "momentum": 0.9},
        {"steps": 500, "options": {"clip_grad_norm": 1.0}},
    ),
    (
        "adam-clipvalue-roll_downhill",
        "roll_downhill",
        "adam",
        {"lr": 0.1},
        {"options": {"clip_grad_value": 0.5}},
    ),
    (
        "sgd-noise_batch4-roll_downhill",
        "roll_downhill",
        "sgd",
        {"lr": 0.05, "momentum": 0.5},
        {"options": {"noise": 2.0, "batch_size": 4, "seed": 3}},
    ),
    # Far out on the plateau ∇f is ~1e-9: float16 rounds it to zero unless the loss is
    # scaled (1024×), and Adam, blind to the gradient's size, then walks in.
    (
        "adam-fp16-plateau",
        "plateau",
        "adam",
        {"lr": 0.05},
        {"steps": 300, "start": (4.6, 4.4), "options": {"precision": "float16"}},
    ),
    (
        "adam-fp16_scale1024-plateau",
        "plateau",
        "adam",
        {"lr": 0.05},
        {
            "steps": 300,
            "start": (4.6, 4.4),
            "options": {"precision": "float16", "loss_scale": 1024.0},
        },
    ),
    (
        "sgd-fp16_noise_clip-roll_downhill",
        "roll_downhill",
        "sgd",
        {"lr": 0.05},
        {
            "options": {
                "precision": "float16",
                "loss_scale": 8.0,
                "noise": 0.3,
                "seed": 1,
                "clip_grad_norm": 2.0,
                "clip_grad_value": 1.5,
            }
        },
    ),
    # Learning-rate schedules (torch.optim.lr_scheduler).
    (
        "sgd-steplr-roll_downhill",
        "roll_downhill",
        "sgd",
        {"lr": 0.1, "momentum": 0.5},
        {"schedule": {"name": "step", "parameters": {"step_size": 50, "gamma": 0.5}}},
    ),
    (
        "adam-exponential-roll_downhill",
        "roll_downhill",
        "adam",
        {"lr": 0.3},
        {"schedule": {"name": "exponential", "parameters": {"gamma": 0.995}}},
    ),
    (
        "sgd-cosine-double_well",
        "double_well",
        "sgd",
        {"lr": 0.05, "momentum": 0.9},
        {"schedule": {"name": "cosine", "parameters": {"T_max": 150, "eta_min": 0.001}}},
    ),
    (
        "adamw-linear_warmup-rosenbrock",
        "rosenbrock",
        "adamw",
        {"lr": 0.05},
        {
            "steps": 500,
            "schedule": {"name": "linear", "parameters": {"start_factor": 0.1, "total_iters": 100}},
        },
    ),
    (
        "adam-onecycle-roll_downhill",
        "roll_downhill",
        "adam",
        {"lr": 0.3},
        {"schedule": {"name": "onecycle", "parameters": {"total_steps": 1000}}},
    ),
    (
        "sgd-onecycle_linear_3phase-roll_downhill",
        "roll_downhill",
        "sgd",
        {"lr": 0.1, "momentum": 0.9},
        {
            "steps": 400,
            "schedule": {
                "name": "onecycle",
                "parameters": {
                    "total_steps": 400,
                    "anneal_strategy": "linear",
                    "three_phase": True,
                },
            },
        },
    ),
)


def unsound(surface: Any, position: list[float], loss: float, grad: list[float]) -> str | None:
    """Why the runner would refuse this point, or None if it is sound."""
    if not math.isfinite(loss):
        return f"loss is not finite ({loss})"
    if not all(math.isfinite(g) for g in grad):
        return f"gradient is not finite ({grad})"
    for c, (lo, hi) in zip(position, surface.runaway_box(), strict=True):
        if not lo <= c <= hi:
            return f"position {position} left the runaway box {surface.runaway_box()}"
    return None


def apply_run_options(x: torch.Tensor, options: dict[str, Any], step: int) -> None:
    """The engine's run options on x.grad, in its order: noise, float16, clipping."""
    with torch.no_grad():
        if options.get("noise"):
            scale = options["noise"] / math.sqrt(options.get("batch_size", 1))
            x.grad.add_(scale * noise_draw(options.get("seed", 0), step, len(x)))
        if options.get("precision") == "float16":
            loss_scale = options.get("loss_scale", 1.0)
            half = (x.grad * loss_scale).to(torch.float16)
            x.grad.copy_(half.to(torch.float64) * (1.0 / loss_scale))
    if options.get("clip_grad_value"):
        torch.nn.utils.clip_grad_value_([x], options["clip_grad_value"], foreach=False)
    if options.get("clip_grad_norm"):
        torch.nn.utils.clip_grad_norm_([x], options["clip_grad_norm"], foreach=False)


def make_scheduler(opt: Any, schedule: dict[str, Any] | None) -> Any:
    if not schedule:
        return None
    parameters = dict(schedule.get("parameters", {}))
    if schedule["name"] == "onecycle":
        parameters["max_lr"] = opt.param_groups[0]["lr"]
    return SCHEDULERS[schedule["name"]](opt, **parameters)


def trajectory(
    surface: Any,
    optimizer: str,
    kwargs: dict[str, Any],
    start: tuple[float, ...],
    steps: int,
    nudge: str | None = None,
    options: dict[str, Any] | None = None,
    schedule: dict[str, Any] | None = None,
) -> dict[str, Any]:
    cls, _, extra = TORCH_OPTIMIZERS[optimizer]
    options = options or {}
    x = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    if optimizer == "newton":
        f = lambda t: surface.value(TORCH_XP, *t.unbind())  # noqa: E731
        extra = {"hessian": lambda: torch.autograd.functional.hessian(f, x.detach())}
    elif optimizer == "sgld":
        extra = {"seed": options.get("seed", 0)}
    opt = cls([x], **kwargs, **extra)
    scheduler = make_scheduler(opt, schedule)
    positions: list[list[float]] = []
    losses: list[float] = []
    gradients: list[list[float]] = []
    lrs: list[float | None] = [None]
    stop_reason = None
    for step in range(steps + 1):
        opt.zero_grad()
        loss = surface.value(TORCH_XP, *x.unbind())
        loss.backward()
        assert x.grad is not None
        position = x.detach().tolist()
        grad = x.grad.detach().tolist()
        value = loss.item()
        if step > 0:
            why = unsound(surface, position, value, grad)
            if why is not None:
                stop_reason = f"step {step}: {why}"
                break
        positions.append(position)
        losses.append(value)
        gradients.append(grad)
        if step == steps:
            break
        if nudge is not None:
            with torch.no_grad():
                if nudge == "gradient_times_1_plus_ulp":
                    x.grad.mul_(1.0 + ULP)
                elif nudge == "closed_form_gradient_torch":
                    x.grad.copy_(closed_form_gradient(surface, x))
                elif nudge == "closed_form_gradient_math":
                    x.grad.copy_(torch.tensor(surface.grad(SCALAR, *x.tolist())))
                else:
                    raise ValueError(nudge)
        apply_run_options(x, options, step + 1)
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        if scheduler is not None:
            scheduler.step()
    return {
        "opt": opt,
        "positions": positions,
        "losses": losses,
        "gradients": gradients,
        "lrs": lrs[: len(positions)],
        "stop_reason": stop_reason,
    }


def closed_form_gradient(surface: Any, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return torch.stack(list(surface.grad(TORCH_XP, *x.detach().unbind())))


def check_closed_form_gradient(surface: Any, ref: dict[str, Any]) -> None:
    for position, autograd in zip(ref["positions"], ref["gradients"], strict=True):
        closed = closed_form_gradient(surface, torch.tensor(position)).tolist()
        for a, c in zip(autograd, closed, strict=True):
            if not abs(a - c) <= 1e-12 * abs(a) + 1e-14:
                raise AssertionError(
                    f"{surface.id}: closed-form gradient {closed} != autograd {autograd} "
                    f"at {position}"
                )


def horizon(twin: dict[str, Any], ref: dict[str, Any]) -> int:
    """Leading points on which ``twin`` agrees with ``ref`` in every recorded value."""
    n = min(len(twin["positions"]), len(ref["positions"]))
    for i in range(n):
        for key in KEYS:
            a, b = twin[key][i], ref[key][i]
            pairs = zip(a, b, strict=True) if isinstance(a, list) else [(a, b)]
            if any(not abs(u - v) <= RTOL / MARGIN * abs(v) + ATOL for u, v in pairs):
                return i
    # A twin that stops earlier (or later) than the reference parts from it there.
    return n


def config_options(config: tuple[Any, ...]) -> dict[str, Any]:
    return config[4] if len(config) > 4 else {}


def config_surface(config: tuple[Any, ...]) -> Any:
    return SURFACES[config[1]].with_parameters(config_options(config).get("surface_parameters", {}))


def config_start(config: tuple[Any, ...]) -> tuple[float, ...]:
    start = config_options(config).get("start", SURFACES[config[1]].start)
    return tuple(float(c) for c in start)


def config_steps(config: tuple[Any, ...]) -> int:
    return int(config_options(config).get("steps", STEPS))


def run_config(config: tuple[Any, ...], nudge: str | None = None) -> dict[str, Any]:
    _, _, optimizer, kwargs = config[:4]
    return trajectory(
        config_surface(config),
        optimizer,
        kwargs,
        config_start(config),
        config_steps(config),
        nudge,
        config_options(config).get("options"),
        config_options(config).get("schedule"),
    )


def portable_twins(stems: list[str]) -> dict[str, dict[str, Any]]:
    """The configurations' unperturbed runs on torch's portable (non-FMA) kernels."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "twins.json"
        env = {**os.environ, "ATEN_CPU_CAPABILITY": "default"}
        subprocess.run(
            [sys.executable, __file__, "--portable-twins", str(out), *stems], env=env, check=True
        )
        return json.loads(out.read_text())


def selected(stems: list[str]) -> list[tuple[Any, ...]]:
    known = {c[0] for c in CONFIGS}
    unknown = set(stems) - known
    if unknown:
        raise SystemExit(f"unknown golden(s) {sorted(unknown)}; known: {sorted(known)}")
    return [c for c in CONFIGS if not stems or c[0] in stems]


def write_portable_twins(path: str, stems: list[str]) -> int:
    assert torch.backends.cpu.get_cpu_capability() == "DEFAULT"
    twins = {}
    for config in selected(stems):
        t = run_config(config)
        twins[config[0]] = {k: t[k] for k in KEYS}
    Path(path).write_text(json.dumps(twins))
    return 0


def golden(config: tuple[Any, ...], portable: dict[str, Any]) -> dict[str, Any]:
    stem, surface_id, optimizer, kwargs = config[:4]
    surface = config_surface(config)
    ref = run_config(config)
    check_closed_form_gradient(surface, ref)
    horizons = {nudge: horizon(run_config(config, nudge), ref) for nudge in NUDGES}
    horizons["cpu_capability_default"] = horizon(portable[stem], ref)
    # The hyperparameters as constructed (a schedule changes lr, and momentum, as it runs).
    cls, names, _ = TORCH_OPTIMIZERS[optimizer]
    group = cls([torch.zeros(1, requires_grad=True)], **kwargs).param_groups[0]
    hp = {n: list(group[n]) if isinstance(group[n], tuple) else group[n] for n in names}
    parameters = (
        {"surface_parameters": dict(surface.parameter_values)} if surface.parameters else {}
    )
    return {
        "name": stem,
        "surface": surface_id,
        **parameters,
        "optimizer": optimizer,
        "hyperparameters": hp,
        "start": list(config_start(config)),
        "torch_version": torch.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "steps": config_steps(config),
        "recorded_steps": len(ref["positions"]) - 1,
        "stop_reason": ref["stop_reason"],
        "horizon": min(horizons.values()),
        "horizons": horizons,
        "horizon_definition": (
            "number of leading points on which every twin run of torch (see horizons: "
            "gradients times 1 + 2**-52; closed-form instead of autograd gradients, in torch "
            "ops and in Python floats; ATEN_CPU_CAPABILITY=default) agrees with this one in "
            "position, loss and gradient to |a-b| <= 1e-10*|b| + 1e-12"
        ),
        **{
            k: config_options(config)[k]
            for k in ("options", "schedule")
            if k in config_options(config)
        },
        "positions": ref["positions"],
        "losses": ref["losses"],
        "gradients": ref["gradients"],
        "lrs": ref["lrs"],
    }


def main(argv: list[str]) -> int:
    torch.set_default_dtype(torch.float64)
    if argv[:1] == ["--portable-twins"]:
        return write_portable_twins(argv[1], argv[2:])
    configs = selected(argv)
    portable = portable_twins(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    total = 0
    for config in configs:
        data = golden(config, portable)
        path = OUT / f"{data['name']}.json"
        # json writes floats with repr: the shortest string that round-trips (<= 17 digits).
        text = json.dumps(data, separators=(",", ":"), allow_nan=False) + "\n"
        path.write_text(text)
        total += len(text)
        print(
            f"{path.name:45s} recorded={data['recorded_steps']:4d} "
            f"horizon={data['horizon']:4d} {data['horizons']} stop={data['stop_reason']}"
        )
    print(f"total {total / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
