"""Generate golden trajectories with torch.optim for tests/engine/test_goldens.py.

Run from the repository root with a torch install (torch is not a dependency of the app)::

    PYTHONPATH=. .venv/bin/python tools/make_goldens.py [stem ...]

With file name stems, only those goldens are written (the others are left as they are).
What the golden scripts share (the torch namespace, twins and horizons, the command line,
the JSON files) is in tools/golden.py.

Every configuration is run in float64 with ``torch.optim`` (``foreach=False``, the
single-tensor code path, which the engine mirrors); Schedule-Free AdamW and Prodigy
with their reference packages' classes (``schedulefree``, ``prodigyopt``; see
tools/golden.py), whose goldens also hold each point's ``averages`` (x̄) and
``step_sizes`` (d).  The loss is the surface's own
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

import math
import sys
from dataclasses import dataclass, field
from typing import Any

import torch

from tools.golden import (
    GOLDEN_DIR,
    KEYS,
    SCALAR,
    TORCH_XP,
    ULP,
    PackageProdigy,
    PackageScheduleFree,
    ReferenceLion,
    ReferenceNewton,
    ReferenceSAM,
    ReferenceSGLD,
    generate_with_twins,
    horizon,
    noise_draw,
    start_of,
    surface_of,
    torch_scheduler,
    unsound,
)

OUT = GOLDEN_DIR
STEPS = 1000
NUDGES = ("gradient_times_1_plus_ulp", "closed_form_gradient_torch", "closed_form_gradient_math")


class MuonOnARow:
    """torch.optim.Muon on the point as a 1×dim matrix (torch's Muon takes only 2-D
    parameters): the matrix is a view of the point's storage, and its gradient the point's,
    negated first under the product's ``maximize`` (torch's Muon has none).  torch's
    ``adjust_lr_fn=None`` is passed as its equal, "original", so the golden records a name.
    """

    def __init__(
        self,
        params: list[torch.Tensor],
        maximize: bool = False,
        adjust_lr_fn: str = "original",
        **kwargs: Any,
    ) -> None:
        (self.x,) = params
        self.row = self.x.detach().view(1, -1)
        self.inner = torch.optim.Muon([self.row], adjust_lr_fn=adjust_lr_fn, **kwargs)
        self.param_groups = self.inner.param_groups
        self.maximize = self.param_groups[0]["maximize"] = maximize

    def zero_grad(self) -> None:
        self.x.grad = None

    def step(self) -> None:
        assert self.x.grad is not None
        grad = self.x.grad.detach().view(1, -1)
        self.row.grad = -grad if self.maximize else grad.clone()
        self.inner.step()


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
    "asgd": (
        torch.optim.ASGD,
        ("lr", "lambd", "alpha", "t0", "weight_decay", "maximize"),
        {"foreach": False},
    ),
    "adafactor": (
        torch.optim.Adafactor,
        ("lr", "beta2_decay", "eps", "d", "weight_decay", "maximize"),
        {"foreach": False},
    ),
    "muon": (
        MuonOnARow,
        (
            "lr",
            "weight_decay",
            "momentum",
            "nesterov",
            "ns_coefficients",
            "eps",
            "ns_steps",
            "adjust_lr_fn",
            "maximize",
        ),
        {},
    ),
    "schedulefree_adamw": (
        PackageScheduleFree,
        ("lr", "betas", "eps", "weight_decay", "warmup_steps", "r", "weight_lr_power", "maximize"),
        {},
    ),
    "prodigy": (
        PackageProdigy,
        (
            "lr",
            "betas",
            "beta3",
            "eps",
            "weight_decay",
            "decouple",
            "use_bias_correction",
            "safeguard_warmup",
            "d0",
            "d_coef",
            "growth_rate",
            "maximize",
        ),
        {},
    ),
}


@dataclass(frozen=True)
class Config:
    """One golden: the file name stem, the surface, the optimizer and torch's keyword
    arguments for it; then what differs from the defaults."""

    stem: str
    surface: str
    optimizer: str
    kwargs: dict[str, Any]
    start: tuple[float, ...] | None = None  # default: the surface's
    steps: int = STEPS  # 2D goldens run fewer, to keep the files small
    # Default: the surface's defaults (recorded for surfaces that have parameters).
    surface_parameters: dict[str, float] = field(default_factory=dict)
    # The run's options (recorded when given): the engine's gradient noise, precision and
    # clipping, done here with torch's clip_grad_* and float16.
    options: dict[str, Any] | None = None
    # {"name", "parameters"} (recorded when given): a torch.optim.lr_scheduler stepped
    # after each optimizer step.
    schedule: dict[str, Any] | None = None


CONFIGS: tuple[Config, ...] = (
    Config("sgd-gd-roll_downhill", "roll_downhill", "sgd", {"lr": 0.05}),
    Config("sgd-momentum-roll_downhill", "roll_downhill", "sgd", {"lr": 0.02, "momentum": 0.9}),
    Config(
        "sgd-nesterov-roll_downhill",
        "roll_downhill",
        "sgd",
        {"lr": 0.02, "momentum": 0.9, "nesterov": True},
    ),
    Config(
        "sgd-dampening_wd-double_well",
        "double_well",
        "sgd",
        {"lr": 0.02, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.1},
    ),
    Config("sgd-maximize-double_well", "double_well", "sgd", {"lr": 0.01, "maximize": True}),
    Config("sgd-lr1.2-roll_downhill", "roll_downhill", "sgd", {"lr": 1.2}),
    Config("sgd-lr0.9-parabola", "parabola", "sgd", {"lr": 0.9}),
    Config(
        "sgd-momentum-plateau_wall",
        "plateau_wall",
        "sgd",
        {"lr": 0.5, "momentum": 0.9},
        start=(-1.9,),
    ),
    Config(
        "adagrad-decay_init-roll_downhill",
        "roll_downhill",
        "adagrad",
        {"lr": 0.5, "lr_decay": 0.01, "initial_accumulator_value": 0.1},
    ),
    Config(
        "adagrad-wd-plateau_wall", "plateau_wall", "adagrad", {"lr": 0.01, "weight_decay": 0.05}
    ),
    Config("adagrad-maximize-parabola", "parabola", "adagrad", {"lr": 0.5, "maximize": True}),
    Config("rmsprop-default-roll_downhill", "roll_downhill", "rmsprop", {"lr": 0.05}),
    # On roll_downhill the ball reaches the minimum, where centered RMSprop's variance
    # estimate collapses onto rounding noise and kicks it out again: torch's own result
    # there depends on how the gradient is rounded (short horizon).  On double_well the
    # same rule is checked on every step.
    Config(
        "rmsprop-centered_momentum-roll_downhill",
        "roll_downhill",
        "rmsprop",
        {"lr": 0.01, "centered": True, "momentum": 0.5},
    ),
    Config(
        "rmsprop-centered_momentum-double_well",
        "double_well",
        "rmsprop",
        {"lr": 0.01, "centered": True, "momentum": 0.5},
    ),
    Config("rmsprop-wd-double_well", "double_well", "rmsprop", {"lr": 0.01, "weight_decay": 0.1}),
    Config("adam-default-roll_downhill", "roll_downhill", "adam", {"lr": 0.1}),
    Config(
        "adam-amsgrad_wd-roll_downhill",
        "roll_downhill",
        "adam",
        {"lr": 0.05, "amsgrad": True, "weight_decay": 0.01},
    ),
    # beta1 < 0.5: torch's lerp takes its other branch.  With lr 0.2 the ball keeps
    # bouncing through roll_downhill's minimum (a long but finite horizon); with lr 0.02 it
    # settles, and is checked on every step.
    Config(
        "adam-beta1_0.3-roll_downhill", "roll_downhill", "adam", {"lr": 0.2, "betas": (0.3, 0.9)}
    ),
    Config(
        "adam-beta1_0.3_lr0.02-roll_downhill",
        "roll_downhill",
        "adam",
        {"lr": 0.02, "betas": (0.3, 0.9)},
    ),
    Config("adam-lr0.5-plateau_wall", "plateau_wall", "adam", {"lr": 0.5}),
    # 2D: the coordinate-wise rules applied to two coordinates at once.
    Config("adam-lr0.05-rosenbrock", "rosenbrock", "adam", {"lr": 0.05}, steps=500),
    Config(
        "sgd-momentum-ravine",
        "ravine",
        "sgd",
        {"lr": 0.05, "momentum": 0.9},
        steps=500,
        surface_parameters={"kappa": 20.0},
    ),
    Config(
        "sgd-nesterov-ravine_kappa100",
        "ravine",
        "sgd",
        {"lr": 0.01, "momentum": 0.9, "nesterov": True},
        steps=500,
        surface_parameters={"kappa": 100.0},
    ),
    Config("rmsprop-default-himmelblau", "himmelblau", "rmsprop", {"lr": 0.01}, steps=500),
    # Adam slides off the saddle along y and out of the runaway box.
    Config("adam-lr0.1-saddle", "saddle", "adam", {"lr": 0.1}, steps=500),
    # AdamW's decay is decoupled: a large weight_decay pulls the ball off double_well's
    # minimum at 1 toward 0 by a fixed fraction, not through the adaptive scaling.
    Config(
        "adamw-amsgrad_wd0.5-double_well",
        "double_well",
        "adamw",
        {"lr": 0.05, "weight_decay": 0.5, "amsgrad": True},
    ),
    Config("adamw-lr0.05-rosenbrock", "rosenbrock", "adamw", {"lr": 0.05}, steps=500),
    Config("adamax-lr0.1-roll_downhill", "roll_downhill", "adamax", {"lr": 0.1}),
    # Maximizing with weight decay: minimizes -f(x) + 0.25·x², bounded on roll_downhill.
    Config(
        "adamax-maximize_wd-roll_downhill",
        "roll_downhill",
        "adamax",
        {"lr": 0.05, "maximize": True, "weight_decay": 0.5},
    ),
    Config("nadam-lr0.05-roll_downhill", "roll_downhill", "nadam", {"lr": 0.05}),
    Config(
        "nadam-decoupled_wd-himmelblau",
        "himmelblau",
        "nadam",
        {
            "lr": 0.05,
            "weight_decay": 0.1,
            "decoupled_weight_decay": True,
            "momentum_decay": 0.04,
        },
        steps=500,
    ),
    # RAdam takes plain momentum steps until rho_t > 5: for steps 1-5 with beta2 0.999,
    # for steps 1-9 with beta2 0.7 (rho_inf = 5.67), rectified steps after.
    Config("radam-lr0.1-roll_downhill", "roll_downhill", "radam", {"lr": 0.1}),
    # (With beta2 0.7 the ball never quite settles; on double_well and roll_downhill that
    # jitter depends on the gradient's last bits, on plateau_wall it does not.)
    Config(
        "radam-beta2_0.7_decoupled_wd-plateau_wall",
        "plateau_wall",
        "radam",
        {"lr": 0.05, "betas": (0.9, 0.7), "weight_decay": 0.1, "decoupled_weight_decay": True},
    ),
    # Adadelta with lr 1 cannot rest in a minimum with f'' > 2 once its averages have
    # faded (the step tends to lr·g): on roll_downhill it is kicked out of x = 1.885 by
    # rounding noise.  Here it is checked where it stays put within the run.
    Config("adadelta-default-himmelblau", "himmelblau", "adadelta", {}, steps=500),
    Config(
        "adadelta-lr2_wd-plateau_wall", "plateau_wall", "adadelta", {"lr": 2.0, "weight_decay": 0.1}
    ),
    # Rprop overshoots and its gradient's sign flips: step sizes shrink, the flipped step
    # does not move (torch zeroes the gradient), and the next one keeps its size.
    Config("rprop-default-roll_downhill", "roll_downhill", "rprop", {}),
    Config(
        "rprop-etas-rosenbrock",
        "rosenbrock",
        "rprop",
        {"lr": 0.05, "etas": (0.4, 1.3), "step_sizes": (1e-6, 1.0)},
        steps=500,
    ),
    # Lion: the reference code (ReferenceLion above), not torch.optim.
    Config("lion-lr0.01-roll_downhill", "roll_downhill", "lion", {"lr": 0.01}),
    Config(
        "lion-wd_maximize-roll_downhill",
        "roll_downhill",
        "lion",
        {"lr": 0.02, "weight_decay": 0.5, "maximize": True},
    ),
    # Newton (reference definition, autograd Hessian): heads for the nearest stationary
    # point; damped it creeps; on the saddle it heads straight for the saddle point.
    Config("newton-default-roll_downhill", "roll_downhill", "newton", {}, steps=50),
    Config("newton-damped-rosenbrock", "rosenbrock", "newton", {"damping": 10.0}, steps=300),
    Config("newton-lr0.5-himmelblau", "himmelblau", "newton", {"lr": 0.5}, steps=100),
    Config("newton-lr0.5-saddle", "saddle", "newton", {"lr": 0.5}, steps=40),
    Config(
        "newton-maximize_damped-double_well",
        "double_well",
        "newton",
        {"lr": 0.5, "damping": 5.0, "maximize": True},
        steps=200,
    ),
    # SGLD (reference definition; noise from the seed's documented stream).
    Config(
        "sgld-t0.1-roll_downhill",
        "roll_downhill",
        "sgld",
        {"lr": 0.01, "temperature": 0.1},
        options={"seed": 7},
    ),
    Config(
        "sgld-wd-himmelblau",
        "himmelblau",
        "sgld",
        {"lr": 0.002, "temperature": 1.0, "weight_decay": 0.1},
        steps=500,
    ),
    # Adafactor (torch.optim.Adafactor): the position is one vector parameter (its
    # unfactored branch); from the origin its steps start at ε₂·lr and grow with RMS(x).
    Config("adafactor-default-roll_downhill", "roll_downhill", "adafactor", {}),
    Config(
        "adafactor-lr0.1-himmelblau",
        "himmelblau",
        "adafactor",
        {"lr": 0.1},
        start=(-1.0, 1.0),
        steps=500,
    ),
    Config(
        "adafactor-origin-rosenbrock",
        "rosenbrock",
        "adafactor",
        {"lr": 0.05},
        start=(0.0, 0.0),
        steps=500,
    ),
    Config(
        "adafactor-wd_d_eps_maximize-double_well",
        "double_well",
        "adafactor",
        {
            "lr": 0.05,
            "beta2_decay": -0.5,
            "eps": (1e-30, 1e-2),
            "d": 2.0,
            "weight_decay": 0.5,
            "maximize": True,
        },
    ),
    Config(
        "adafactor-wd_clip-ravine",
        "ravine",
        "adafactor",
        {"lr": 0.2, "weight_decay": 0.1, "d": 1.5},
        steps=500,
    ),
    # Muon (torch.optim.Muon on the point as a 1×dim matrix, MuonOnARow above): a
    # normalised Nesterov step whose Newton–Schulz runs in bfloat16.
    Config("muon-default-roll_downhill", "roll_downhill", "muon", {"lr": 0.05}),
    Config(
        "muon-plain_momentum-double_well",
        "double_well",
        "muon",
        {"lr": 0.02, "momentum": 0.9, "nesterov": False, "weight_decay": 0.0},
    ),
    # Maximizing x² against decoupled decay: the fixed-length climb meets the pull to 0.
    Config(
        "muon-maximize_wd-parabola",
        "parabola",
        "muon",
        {"lr": 0.05, "weight_decay": 0.5, "maximize": True},
    ),
    # A large eps: once the update is smaller than it, the steps shrink and the ball settles.
    Config(
        "muon-eps0.01-plateau_wall",
        "plateau_wall",
        "muon",
        {"lr": 0.05, "eps": 0.01, "weight_decay": 0.0},
    ),
    Config("muon-lr0.01-rosenbrock", "rosenbrock", "muon", {"lr": 0.01}, steps=500),
    Config(
        "muon-match_rms_adamw-himmelblau",
        "himmelblau",
        "muon",
        {"lr": 0.1, "adjust_lr_fn": "match_rms_adamw", "weight_decay": 0.0},
        steps=500,
    ),
    Config(
        "muon-ns3-ravine",
        "ravine",
        "muon",
        {"lr": 0.02, "ns_coefficients": (2.0, -1.5, 0.5), "ns_steps": 3},
        steps=500,
        surface_parameters={"kappa": 20.0},
    ),
    Config("muon-lr0.1-saddle", "saddle", "muon", {"lr": 0.1}, steps=500),
    # Schedule-Free AdamW and Prodigy: the schedulefree and prodigyopt packages' own classes
    # (with maximize added), which also record the averaged point x and the step size d.
    Config(
        "schedulefree_adamw-lr0.1-roll_downhill", "roll_downhill", "schedulefree_adamw", {"lr": 0.1}
    ),
    # β₁ 0.5: the average's lerp weight 1 − 1/β₁ = −1 takes torch's other branch.
    Config(
        "schedulefree_adamw-beta1_0.5_wd-double_well",
        "double_well",
        "schedulefree_adamw",
        {"lr": 0.02, "betas": (0.5, 0.99), "weight_decay": 0.1},
    ),
    Config(
        "schedulefree_adamw-warmup_r_power-himmelblau",
        "himmelblau",
        "schedulefree_adamw",
        {"lr": 0.05, "warmup_steps": 50, "r": 1.0, "weight_lr_power": 1.0},
        steps=500,
    ),
    Config(
        "schedulefree_adamw-maximize-rosenbrock",
        "rosenbrock",
        "schedulefree_adamw",
        {"lr": 0.01, "maximize": True},
        steps=500,
    ),
    # An external schedule sets the group's lr, which lr_max and the weights follow.
    Config(
        "schedulefree_adamw-cosine-roll_downhill",
        "roll_downhill",
        "schedulefree_adamw",
        {"lr": 0.2},
        schedule={"name": "cosine", "parameters": {"T_max": 300, "eta_min": 0.0}},
        steps=400,
    ),
    # (With its defaults on roll_downhill and double_well Prodigy's d grows until the ball
    # bounces through the minimum, where the run depends on the gradient's last bits.)
    Config("prodigy-default-parabola", "parabola", "prodigy", {}),
    # OneCycleLR cycles β₁ too: the average x is read with the group's β₁ after the
    # scheduler's step, as the package's eval() would read it then.
    Config(
        "schedulefree_adamw-onecycle-double_well",
        "double_well",
        "schedulefree_adamw",
        {"lr": 0.1},
        schedule={"name": "onecycle", "parameters": {"total_steps": 320}},
        steps=300,
    ),
    Config("prodigy-d_coef0.3-roll_downhill", "roll_downhill", "prodigy", {"d_coef": 0.3}),
    Config(
        "prodigy-bias_safeguard_growth-rosenbrock",
        "rosenbrock",
        "prodigy",
        {"use_bias_correction": True, "safeguard_warmup": True, "growth_rate": 1.02, "d_coef": 0.5},
        steps=500,
    ),
    # β₁ 0: no exp_avg, the step uses g itself; coupled (L2) weight decay; β₃ given.
    Config(
        "prodigy-beta1_0_coupled_wd-himmelblau",
        "himmelblau",
        "prodigy",
        {"betas": (0.0, 0.99), "beta3": 0.9, "weight_decay": 0.01, "decouple": False},
        steps=300,
    ),
    Config(
        "prodigy-decoupled_wd_maximize-double_well",
        "double_well",
        "prodigy",
        {"lr": 0.5, "weight_decay": 0.1, "d0": 1e-4, "maximize": True},
    ),
    # Run options every optimizer takes: torch's clipping utilities, float16 gradients.
    Config(
        "sgd-clipnorm-rosenbrock",
        "rosenbrock",
        "sgd",
        {"lr": 0.002, "momentum": 0.9},
        steps=500,
        options={"clip_grad_norm": 1.0},
    ),
    Config(
        "adam-clipvalue-roll_downhill",
        "roll_downhill",
        "adam",
        {"lr": 0.1},
        options={"clip_grad_value": 0.5},
    ),
    Config(
        "sgd-noise_batch4-roll_downhill",
        "roll_downhill",
        "sgd",
        {"lr": 0.05, "momentum": 0.5},
        options={"noise": 2.0, "batch_size": 4, "seed": 3},
    ),
    # Far out on the plateau ∇f is ~1e-9: float16 rounds it to zero unless the loss is
    # scaled (1024×), and Adam, blind to the gradient's size, then walks in.
    Config(
        "adam-fp16-plateau",
        "plateau",
        "adam",
        {"lr": 0.05},
        steps=300,
        start=(4.6, 4.4),
        options={"precision": "float16"},
    ),
    Config(
        "adam-fp16_scale1024-plateau",
        "plateau",
        "adam",
        {"lr": 0.05},
        steps=300,
        start=(4.6, 4.4),
        options={"precision": "float16", "loss_scale": 1024.0},
    ),
    Config(
        "sgd-fp16_noise_clip-roll_downhill",
        "roll_downhill",
        "sgd",
        {"lr": 0.05},
        options={
            "precision": "float16",
            "loss_scale": 8.0,
            "noise": 0.3,
            "seed": 1,
            "clip_grad_norm": 2.0,
            "clip_grad_value": 1.5,
        },
    ),
    # Learning-rate schedules (torch.optim.lr_scheduler).
    Config(
        "sgd-steplr-roll_downhill",
        "roll_downhill",
        "sgd",
        {"lr": 0.1, "momentum": 0.5},
        schedule={"name": "step", "parameters": {"step_size": 50, "gamma": 0.5}},
    ),
    Config(
        "adam-exponential-roll_downhill",
        "roll_downhill",
        "adam",
        {"lr": 0.3},
        schedule={"name": "exponential", "parameters": {"gamma": 0.995}},
    ),
    Config(
        "sgd-cosine-double_well",
        "double_well",
        "sgd",
        {"lr": 0.05, "momentum": 0.9},
        schedule={"name": "cosine", "parameters": {"T_max": 150, "eta_min": 0.001}},
    ),
    Config(
        "adamw-linear_warmup-rosenbrock",
        "rosenbrock",
        "adamw",
        {"lr": 0.05},
        steps=500,
        schedule={"name": "linear", "parameters": {"start_factor": 0.1, "total_iters": 100}},
    ),
    Config(
        "adam-onecycle-roll_downhill",
        "roll_downhill",
        "adam",
        {"lr": 0.3},
        schedule={"name": "onecycle", "parameters": {"total_steps": 1000}},
    ),
    Config(
        "sgd-onecycle_linear_3phase-roll_downhill",
        "roll_downhill",
        "sgd",
        {"lr": 0.1, "momentum": 0.9},
        steps=400,
        schedule={
            "name": "onecycle",
            "parameters": {
                "total_steps": 400,
                "anneal_strategy": "linear",
                "three_phase": True,
            },
        },
    ),
    # ASGD (torch.optim.ASGD): with torch's t0 = 1e6 its average ax is the iterate; with a
    # small t0 it averages from step t0 + 2 on.  Its goldens also hold ax (``averages``).
    Config("asgd-default-roll_downhill", "roll_downhill", "asgd", {"lr": 0.05}),
    Config("asgd-t0_20-roll_downhill", "roll_downhill", "asgd", {"lr": 0.05, "t0": 20.0}),
    Config(
        "asgd-lambd_alpha_wd-himmelblau",
        "himmelblau",
        "asgd",
        {"lr": 0.01, "lambd": 0.05, "alpha": 0.5, "t0": 50.0, "weight_decay": 0.1},
        steps=500,
    ),
    # Maximizing with weight decay: minimizes -f(x) + 0.25·x², bounded on roll_downhill.
    Config(
        "asgd-maximize_wd-roll_downhill",
        "roll_downhill",
        "asgd",
        {"lr": 0.05, "t0": 10.0, "maximize": True, "weight_decay": 0.5},
    ),
    # Under gradient noise the iterate jitters and ax settles (the lesson's scenario).
    Config(
        "asgd-noise_t0_20-roll_downhill",
        "roll_downhill",
        "asgd",
        {"lr": 0.05, "t0": 20.0},
        options={"noise": 1.0, "seed": 5},
    ),
    # torch starts η at the scheduled lr and recomputes it from each step's lr.
    Config(
        "asgd-exponential-roll_downhill",
        "roll_downhill",
        "asgd",
        {"lr": 0.1, "lambd": 0.01, "t0": 30.0},
        schedule={"name": "exponential", "parameters": {"gamma": 0.995}},
    ),
    # SAM (Foret et al. 2021, Algorithm 1) and ASAM around torch.optim (ReferenceSAM):
    # the run options sam_rho, sam_adaptive, sam_eta.
    Config(
        "sam-sgd-sharp_and_wide_1d",
        "sharp_and_wide_1d",
        "sgd",
        {"lr": 0.005},
        options={"sam_rho": 0.1},
    ),
    Config(
        "asam_eta0-sgd_momentum-sharp_and_wide_1d",
        "sharp_and_wide_1d",
        "sgd",
        {"lr": 0.002, "momentum": 0.9},
        options={"sam_rho": 0.2, "sam_adaptive": True, "sam_eta": 0.0},
    ),
    Config(
        "sam-sgd_momentum-roll_downhill",
        "roll_downhill",
        "sgd",
        {"lr": 0.02, "momentum": 0.9},
        options={"sam_rho": 0.05},
    ),
    Config(
        "sam-adam-sharp_and_wide",
        "sharp_and_wide",
        "adam",
        {"lr": 0.05},
        steps=500,
        options={"sam_rho": 0.2},
    ),
    Config(
        "sam-sgd-sharp_and_wide",
        "sharp_and_wide",
        "sgd",
        {"lr": 0.01},
        steps=500,
        options={"sam_rho": 0.2},
    ),
    Config(
        "asam-adam-himmelblau",
        "himmelblau",
        "adam",
        {"lr": 0.05},
        steps=500,
        options={"sam_rho": 0.5, "sam_adaptive": True, "sam_eta": 0.01},
    ),
    Config(
        "sam-adamw-noise_clip-rosenbrock",
        "rosenbrock",
        "adamw",
        {"lr": 0.01, "weight_decay": 0.01},
        steps=500,
        options={"sam_rho": 0.05, "noise": 1.0, "seed": 3, "clip_grad_norm": 5.0},
    ),
    Config(
        "sam-rmsprop-fp16-plateau",
        "plateau",
        "rmsprop",
        {"lr": 0.01},
        steps=500,
        options={"sam_rho": 0.1, "precision": "float16", "loss_scale": 1024.0},
    ),
)


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


def trajectory(config: Config, nudge: str | None = None) -> dict[str, Any]:
    surface = surface_of(config.surface, config.surface_parameters)
    cls, _, extra = TORCH_OPTIMIZERS[config.optimizer]
    options = config.options or {}
    x = torch.tensor(
        start_of(config.surface, config.start), dtype=torch.float64, requires_grad=True
    )
    if config.optimizer == "newton":
        f = lambda t: surface.value(TORCH_XP, *t.unbind())  # noqa: E731
        extra = {"hessian": lambda: torch.autograd.functional.hessian(f, x.detach())}
    elif config.optimizer == "sgld":
        extra = {"seed": options.get("seed", 0)}
    sam = ReferenceSAM if options.get("sam_rho") else None
    if sam is not None:  # SAM wraps the optimizer (the engine's run option sam_rho)
        sam_kwargs = {
            "rho": options["sam_rho"],
            "adaptive": options.get("sam_adaptive", False),
            "eta": options.get("sam_eta", 0.01),
        }
        opt = sam([x], cls, **sam_kwargs, **config.kwargs, **extra)
    else:
        opt = cls([x], **config.kwargs, **extra)
    schedule = config.schedule
    scheduler = (
        torch_scheduler(opt, schedule["name"], schedule.get("parameters", {})) if schedule else None
    )
    positions: list[list[float]] = []
    losses: list[float] = []
    gradients: list[list[float]] = []
    lrs: list[float | None] = [None]
    # An averaging optimizer's averaged point after each step (ASGD's ax; none at the start).
    averages: list[list[float] | None] = [None]
    readouts: dict[str, list[Any]] = {key: [] for key in getattr(opt, "READOUTS", ())}
    ascent_points: list[list[float] | None] = [None]
    ascent_gradients: list[list[float] | None] = [None]
    stop_reason = None
    for step in range(config.steps + 1):
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
        for key, values in readouts.items():
            values.append(opt.readout(key, x))
        if step == config.steps:
            break
        nudged(surface, x, nudge)
        if sam is not None:
            # SAM: the ascent from the gradient after noise and float16 (not clipping), the
            # gradient at w + e (the same noise draw), then every option, then the step.
            climb = {k: v for k, v in options.items() if not k.startswith("clip_grad")}
            apply_run_options(x, climb, step + 1)
            opt.first_step()
            opt.zero_grad()
            surface.value(TORCH_XP, *x.unbind()).backward()
            ascent_points.append(x.detach().tolist())
            ascent_gradients.append(x.grad.detach().tolist())
            nudged(surface, x, nudge)
        apply_run_options(x, options, step + 1)
        lrs.append(opt.param_groups[0]["lr"])
        if sam is not None:
            opt.second_step()
        else:
            opt.step()
        if "ax" in opt.state[x]:  # ASGD's averaged point
            averages.append(opt.state[x]["ax"].tolist())
        if scheduler is not None:
            scheduler.step()
    return {
        "opt": opt,
        "positions": positions,
        "losses": losses,
        "gradients": gradients,
        "lrs": lrs[: len(positions)],
        "averages": averages[: len(positions)] if len(averages) > 1 else None,
        "readouts": readouts,
        "ascent_points": ascent_points[: len(positions)],
        "ascent_gradients": ascent_gradients[: len(positions)],
        "stop_reason": stop_reason,
    }


def nudged(surface: Any, x: torch.Tensor, nudge: str | None) -> None:
    """A twin's rounding-level change to x.grad (see the module docstring)."""
    if nudge is None:
        return
    with torch.no_grad():
        if nudge == "gradient_times_1_plus_ulp":
            x.grad.mul_(1.0 + ULP)
        elif nudge == "closed_form_gradient_torch":
            x.grad.copy_(closed_form_gradient(surface, x))
        elif nudge == "closed_form_gradient_math":
            x.grad.copy_(torch.tensor(surface.grad(SCALAR, *x.tolist())))
        else:
            raise ValueError(nudge)


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


def portable_runs(configs: list[Config]) -> dict[str, Any]:
    """The unperturbed runs, by stem (run on torch's portable kernels)."""
    runs = {}
    for config in configs:
        t = trajectory(config)
        runs[config.stem] = {k: t[k] for k in KEYS}
    return runs


def golden(config: Config, portable: dict[str, Any]) -> dict[str, Any]:
    surface = surface_of(config.surface, config.surface_parameters)
    ref = trajectory(config)
    check_closed_form_gradient(surface, ref)
    horizons = {nudge: horizon(trajectory(config, nudge), ref) for nudge in NUDGES}
    horizons["cpu_capability_default"] = horizon(portable[config.stem], ref)
    # The hyperparameters as constructed (a schedule changes lr, and momentum, as it runs).
    cls, names, _ = TORCH_OPTIMIZERS[config.optimizer]
    group = cls([torch.zeros(1, requires_grad=True)], **config.kwargs).param_groups[0]
    hp = {n: list(group[n]) if isinstance(group[n], tuple) else group[n] for n in names}
    if config.optimizer == "adafactor" and hp["eps"][0] is None:
        hp["eps"][0] = torch.finfo(torch.float64).eps  # what torch's None is for float64
    if cls is PackageProdigy:
        hp = PackageProdigy.engine_values(hp)
    parameters = (
        {"surface_parameters": dict(surface.parameter_values)} if surface.parameters else {}
    )
    recorded = {"options": config.options, "schedule": config.schedule}
    return {
        "name": config.stem,
        "surface": config.surface,
        **parameters,
        "optimizer": config.optimizer,
        "hyperparameters": hp,
        "start": list(start_of(config.surface, config.start)),
        "torch_version": torch.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "steps": config.steps,
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
        **{k: v for k, v in recorded.items() if v is not None},
        "positions": ref["positions"],
        "losses": ref["losses"],
        "gradients": ref["gradients"],
        "lrs": ref["lrs"],
        **({"averages": ref["averages"]} if ref["averages"] is not None else {}),
        **ref["readouts"],  # the averaged point (Schedule-Free), the step size d (Prodigy)
        **(
            {"ascent_points": ref["ascent_points"], "ascent_gradients": ref["ascent_gradients"]}
            if config.options and config.options.get("sam_rho")
            else {}
        ),
    }


def line(name: str, data: dict[str, Any]) -> str:
    return (
        f"{name:45s} recorded={data['recorded_steps']:4d} "
        f"horizon={data['horizon']:4d} {data['horizons']} stop={data['stop_reason']}"
    )


def main(argv: list[str]) -> int:
    torch.set_default_dtype(torch.float64)
    return generate_with_twins(argv, __file__, OUT, CONFIGS, portable_runs, golden, line)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
