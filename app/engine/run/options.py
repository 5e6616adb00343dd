"""What the optimizer is handed: the run options every optimizer takes, applied to the
exact gradient before each step — mini-batch noise, float16 precision with a loss scale,
torch's gradient clipping, and sharpness-aware minimization (SAM) around any optimizer.

Per step, in the order a mixed-precision training loop meets them::

    g ← ∇f(x) + (σ/√B)·ξ              noise: ξ ~ N(0, I), drawn from (seed, step)
    g ← fp16(S·g) · (1/S)               precision float16: scale the loss by S, round the
                                        gradient to float16, unscale (GradScaler.unscale_)
    g ← clamp(g, −c, c)                 clip_grad_value_(c)
    g ← g · min(1, m / (‖g‖₂ + 1e-6))  clip_grad_norm_(m)

SAM (Foret et al. 2021, Algorithm 1; ``sam_rho`` > 0) first climbs: from the gradient at x
(after noise and float16, as the first backward pass gives it — clipping is not applied to
it) it takes the ascent ``e = ρ·g/(‖g‖ + 1e-12)`` — adaptive (ASAM, Kwon et al. 2021):
``e = ρ·T²g/(‖Tg‖ + 1e-12)`` with ``T = |x| + η`` — and the optimizer is handed the
gradient at the ascent point x + e, put through all of the above (the same noise draw: one
mini-batch per step, evaluated twice; the second backward pass in float16; then clipping,
as a SAM training loop clips before ``second_step``).  ε = 1e-12 is davda54/sam's (the
PyTorch SAM most use; the paper's Algorithm 1 has none), η the ASAM code's (0.01 by
default; η = 0 is davda54/sam's ``adaptive=True``, whose T = |x| leaves a coordinate at 0
unperturbed).  See :func:`sam_ascent`.

The noise stands in for a mini-batch gradient: its size σ is that of one example, and a
batch of B examples averages it down to σ/√B.  Every random draw in a run comes from
``numpy.random.default_rng([seed, step, stream])``, so a step's noise depends only on the
seed and the step number: a run gives the same numbers whole, streamed, or resumed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..backend import Vector
from ..errors import HyperparameterError
from ..hyperparameters import Hyperparameter, checked_values

# The run's random stream for gradient noise; SGLD draws from stream 1 (its LANGEVIN_STREAM),
# so switching one on does not shift the other's draws.
NOISE_STREAM = 0
CLIP_EPS = 1e-6  # torch.nn.utils.clip_grad_norm_ adds it to the norm
SAM_EPS = 1e-12  # davda54/sam adds it to the gradient's norm in first_step

OPTIONS: tuple[Hyperparameter, ...] = (
    Hyperparameter(
        "noise",
        "Gradient noise σ",
        0.0,
        "log",
        "Mini-batch noise: Gaussian noise of this size (for one example) is added to the "
        "gradient each step. Noisy, but still downhill on average.",
        0.0,
        100.0,
    ),
    Hyperparameter(
        "batch_size",
        "Batch size",
        1,
        "log",
        "Examples per mini-batch. On a model landscape, each step's gradient is the loss's "
        "gradient over a batch of this many data points, drawn afresh each epoch (the whole "
        "data set when left out); the gradient noise shrinks as σ/√batch.",
        1.0,
        4096.0,
        integer=True,
    ),
    Hyperparameter(
        "seed",
        "Seed",
        0,
        "linear",
        "Which random draws the noise uses: the same seed gives the same run.",
        0.0,
        9999.0,
        integer=True,
    ),
    Hyperparameter(
        "clip_grad_value",
        "Clip gradient value",
        0.0,
        "log",
        "torch.nn.utils.clip_grad_value_: clamp each gradient component to [−c, c] (0 = off).",
        0.0,
        1000.0,
    ),
    Hyperparameter(
        "clip_grad_norm",
        "Clip gradient norm",
        0.0,
        "log",
        "torch.nn.utils.clip_grad_norm_: scale the gradient down so its length is at most "
        "this (0 = off).",
        0.0,
        1000.0,
    ),
    Hyperparameter(
        "precision",
        "Gradient precision",
        "float64",
        "choice",
        "float16 computes the gradient in half precision, as mixed-precision training "
        "does: values below about 6e-8 underflow to zero.",
        choices=("float64", "float16"),
    ),
    Hyperparameter(
        "loss_scale",
        "Loss scale",
        1.0,
        "log",
        "Multiply the loss by this before the float16 gradient and divide it out after: "
        "tiny gradients move up into float16's range (e.g. 1024×).",
        1.0,
        65536.0,
        powers_of_two=True,
    ),
    Hyperparameter(
        "sam_rho",
        "SAM radius ρ",
        0.0,
        "log",
        "Sharpness-aware minimization (0 = off): each step first climbs a distance ρ uphill "
        "and hands the optimizer the gradient found there, so it prefers minima that stay "
        "low all around them (wide) over narrow pits. Costs a second gradient per step.",
        0.0,
        10.0,
    ),
    Hyperparameter(
        "sam_adaptive",
        "Adaptive SAM (ASAM)",
        False,
        "bool",
        "ASAM: scale the climb coordinate by coordinate by T = |x| + η, so a coordinate "
        "far from 0 is perturbed more (the radius is relative to the parameter's size).",
    ),
    Hyperparameter(
        "sam_eta",
        "ASAM η",
        0.01,
        "linear",
        "ASAM's T = |x| + η: how much a coordinate at 0 is still perturbed (0.01 as in "
        "Kwon et al.'s code; 0 as in davda54/sam's adaptive=True).",
        0.0,
        1.0,
    ),
)


@dataclass(frozen=True)
class RunOptions:
    noise: float = 0.0
    batch_size: int = 1
    seed: int = 0
    clip_grad_value: float = 0.0
    clip_grad_norm: float = 0.0
    precision: str = "float64"
    loss_scale: float = 1.0
    sam_rho: float = 0.0
    sam_adaptive: bool = False
    sam_eta: float = 0.01

    @property
    def sam(self) -> bool:
        """Whether each step takes SAM's ascent first (a second gradient per step)."""
        return self.sam_rho > 0

    @property
    def noise_scale(self) -> float:
        return self.noise / math.sqrt(self.batch_size)

    @property
    def plain(self) -> bool:
        """True when the optimizer gets the exact gradient at x (nothing to apply)."""
        return (
            self.sam_rho == 0
            and self.noise == 0
            and self.precision == "float64"
            and self.clip_grad_value == 0
            and self.clip_grad_norm == 0
        )


PLAIN = RunOptions()


def validate_options(given: Mapping[str, Any], data_size: int = 0) -> RunOptions:
    """Defaults for what is left out; every value checked, naming the field.  On a model
    landscape of ``data_size`` points, a batch size left out is the whole data set."""
    checked = checked_values(OPTIONS, given, "A run", "option")
    if data_size and "batch_size" not in given:
        checked["batch_size"] = data_size
    return RunOptions(**checked)


# SAM needs the gradient at x; a whole-point rule's own evaluations (line search, Hessian)
# have no single gradient to climb along.
SAM_REFUSED_GROUPS = ("second-order",)


def check_sam(options: RunOptions, optimizer: Any) -> None:
    """HyperparameterError (field ``sam_rho``) when SAM is on for an optimizer it cannot
    wrap: L-BFGS and Newton evaluate the landscape themselves within a step."""
    if options.sam and optimizer.group in SAM_REFUSED_GROUPS:
        raise HyperparameterError(
            "sam_rho",
            f"SAM wraps a first-order optimizer's step (one gradient in, one update out); "
            f"{optimizer.name} evaluates the loss itself within each step (line search or "
            "Hessian), so it cannot be given SAM's gradient: set sam_rho to 0",
        )


def sam_ascent(options: RunOptions, position: Vector, gradient: Vector) -> Vector:
    """SAM's ascent point x + e of one step, from the gradient at x (one ball on floats,
    or a crowd on arrays: the norm is each ball's own)::

        e = ρ·g/(‖g‖ + ε)                  SAM
        e = ρ·T²g/(‖Tg‖ + ε), T = |x| + η   ASAM

        >>> x = sam_ascent(RunOptions(sam_rho=0.5), (1.0, 2.0), (3.0, 4.0))
        >>> [round(c, 9) for c in x]  # 0.5 along (3, 4)/5 (ε = 1e-12 shows in the last places)
        [1.3, 2.4]
    """
    rho = options.sam_rho
    if options.sam_adaptive:
        t = tuple(abs(x) + options.sam_eta for x in position)
        tg = tuple(ti * gi for ti, gi in zip(t, gradient, strict=True))
        scale = rho / (sum(v * v for v in tg) ** 0.5 + SAM_EPS)
        return tuple(
            x + ti * ti * g * scale for x, ti, g in zip(position, t, gradient, strict=True)
        )
    scale = rho / (sum(g * g for g in gradient) ** 0.5 + SAM_EPS)
    return tuple(x + g * scale for x, g in zip(position, gradient, strict=True))


def sam_ascent_vector(options: RunOptions, theta: np.ndarray, gradient: np.ndarray) -> np.ndarray:
    """:func:`sam_ascent` for a whole network's parameters θ (one vector): the norm is over
    every parameter together, as davda54/sam's ``_grad_norm`` takes it over
    ``model.parameters()``; ASAM's T = |θ| + η applies to every parameter, biases too."""
    if options.sam_adaptive:
        t = np.abs(theta) + options.sam_eta
        tg = t * gradient
        scale = options.sam_rho / (math.sqrt(float(np.dot(tg, tg))) + SAM_EPS)
        climbed: np.ndarray = theta + t * t * gradient * scale
        return climbed
    scale = options.sam_rho / (math.sqrt(float(np.dot(gradient, gradient))) + SAM_EPS)
    return theta + gradient * scale


def standard_normal(
    seed: int, step: int, stream: int, batch_shape: tuple[int, ...], dim: int
) -> Vector:
    """ξ ~ N(0, I) for one step, as components (floats for one ball, arrays for a batch)."""
    draws = np.random.default_rng([seed, step, stream]).standard_normal(batch_shape + (dim,))
    if batch_shape == ():
        return tuple(draws.tolist())
    return tuple(draws[..., i] for i in range(dim))


def to_float16(value: Any) -> Any:
    """Round to the nearest float16 (overflow gives ±inf), returned as float64."""
    with np.errstate(over="ignore"):
        rounded = np.asarray(value, dtype=np.float64).astype(np.float16).astype(np.float64)
    return float(rounded) if rounded.ndim == 0 else rounded


@dataclass(frozen=True)
class Applied:
    """The gradient an optimizer step is given, and how many components float16 zeroed."""

    gradient: Vector
    underflow: Any  # int for one ball, an int array for a batch


def step_noise(options: RunOptions, step: int, batch_shape: tuple[int, ...], dim: int) -> Vector:
    """The (scaled) mini-batch noise of optimizer step ``step``: (σ/√B)·ξ."""
    xi = standard_normal(options.seed, step, NOISE_STREAM, batch_shape, dim)
    s = options.noise_scale
    return tuple(s * z for z in xi)


def norm_clip_factor(max_norm: float, total: Any) -> Any:
    """clip_grad_norm_'s factor for a gradient of length ``total`` (a float, or an array)."""
    coef = max_norm / (total + CLIP_EPS)
    return np.minimum(coef, 1.0) if isinstance(coef, np.ndarray) else min(coef, 1.0)


def apply_to_parameters(options: RunOptions, step: int, gradient: np.ndarray) -> Applied:
    """The options applied to a whole network's gradient (a vector, one component per
    parameter), as a torch training loop applies them to ``model.parameters()``: noise,
    float16 and value clipping to each parameter, and ``clip_grad_norm_`` to the length of
    all of them together."""
    each = replace(options, clip_grad_norm=0.0)
    applied = apply_options(each, step, (gradient,), gradient.shape)
    g = applied.gradient[0]
    if options.clip_grad_norm:
        g = g * norm_clip_factor(options.clip_grad_norm, float(np.sqrt(np.dot(g, g))))
    return Applied((g,), int(np.sum(applied.underflow)))


def apply_options(
    options: RunOptions,
    step: int,
    gradient: Vector,
    batch_shape: tuple[int, ...],
    noise: Vector | None = None,
) -> Applied:
    """The gradient of optimizer step ``step`` from the exact ``gradient`` (see the module).

    ``noise``: the step's :func:`step_noise`, when the caller has drawn it already.
    """
    g = gradient
    underflow: Any = 0 if batch_shape == () else np.zeros(batch_shape, np.int64)
    if options.noise:
        if noise is None:
            noise = step_noise(options, step, batch_shape, len(g))
        g = tuple(gi + n for gi, n in zip(g, noise, strict=True))
    if options.precision == "float16":
        scale, unscale = options.loss_scale, 1.0 / options.loss_scale
        halves = tuple(to_float16(gi * scale) for gi in g)
        for before, half in zip(g, halves, strict=True):
            underflow = underflow + ((before != 0) & (half == 0))
        g = tuple(h * unscale for h in halves)
    if options.clip_grad_value:
        c = options.clip_grad_value
        g = tuple(np.clip(gi, -c, c) if batch_shape else min(max(gi, -c), c) for gi in g)
    if options.clip_grad_norm:
        total = sum(gi * gi for gi in g) ** 0.5
        clamped = norm_clip_factor(options.clip_grad_norm, total)
        g = tuple(gi * clamped for gi in g)
    if batch_shape == ():
        g = tuple(float(gi) for gi in g)
        underflow = int(underflow)
    return Applied(g, underflow)
