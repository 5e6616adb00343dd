"""What torch's optimizers share: the hyperparameters many of them take (``lr``,
``weight_decay``, ``maximize``, ``eps``, ``betas``) and the first lines of their steps
(``maximize`` and weight decay), plus torch's ``lerp``."""

from __future__ import annotations

from typing import Any

from ..hyperparameters import Hyperparameter


def lerp(a: Any, b: Any, w: float) -> Any:
    """torch.lerp's CPU formula, which switches form at weight 0.5 for accuracy."""
    if abs(w) < 0.5:
        return a + w * (b - a)
    return b - (b - a) * (1.0 - w)


def signed_and_decayed(
    p: Any, g: Any, maximize: bool, weight_decay: float, decoupled_factor: float | None = None
) -> tuple[Any, Any]:
    """The first lines of torch's every step: ``maximize`` negates the gradient (ascent);
    weight decay either adds ``weight_decay·p`` to it (L2, coupled) or, when a
    ``decoupled_factor`` (torch's ``1 − lr·weight_decay``) is given, shrinks ``p`` by it.
    """
    if maximize:
        g = -g
    if weight_decay != 0:
        if decoupled_factor is None:
            g = g + weight_decay * p
        else:
            p = p * decoupled_factor
    return p, g


# --- shared hyperparameters ----------------------------------------------------------------


def learning_rate(default: float) -> Hyperparameter:
    return Hyperparameter(
        "lr",
        "Learning rate",
        default,
        "log",
        "Step size: how far each update moves.",
        0.0,
        100.0,
        "Invalid learning rate",
    )


WEIGHT_DECAY = Hyperparameter(
    "weight_decay",
    "Weight decay",
    0.0,
    "log",
    "L2 penalty: adds weight_decay·x to the gradient, pulling the ball toward 0.",
    0.0,
    10.0,
    "Invalid weight_decay value",
)
def decoupled_decay(
    default: float, checked: str = "Invalid weight_decay value", then: str = ""
) -> Hyperparameter:
    """AdamW's kind of weight decay (``then``: what the step does after the shrink), with the
    reference's wording of its check."""
    return Hyperparameter(
        "weight_decay",
        "Weight decay",
        default,
        "log",
        "Decoupled weight decay: each step first shrinks x by the factor "
        f"(1 − lr·weight_decay), pulling it toward 0{then}.",
        0.0,
        10.0,
        checked,
    )


MAXIMIZE = Hyperparameter(
    "maximize", "Maximize", False, "bool", "Climb instead of descend (gradient ascent)."
)


def epsilon(default: float) -> Hyperparameter:
    return Hyperparameter(
        "eps",
        "Epsilon",
        default,
        "log",
        "Added to the denominator so it is never zero.",
        0.0,
        1.0,
        "Invalid epsilon value",
    )


def betas(default: tuple[float, float], help: str) -> Hyperparameter:
    # torch checks 0 <= beta < 1 for each; the slider stops just short of 1.
    return Hyperparameter(
        "betas", "Betas (β₁, β₂)", default, "linear", help, 0.0, 0.9999, "Invalid beta parameter"
    )


DECOUPLED_WEIGHT_DECAY = Hyperparameter(
    "decoupled_weight_decay",
    "Decoupled weight decay",
    False,
    "bool",
    "Apply weight decay AdamW's way: shrink x by the factor (1 − lr·weight_decay) each step, "
    "instead of adding weight_decay·x to the gradient (where the adaptive scaling would "
    "weaken it).",
)


# --- symbols many formulas share (see Optimizer.symbols) -----------------------------------

BECOMES = ("←", "becomes: the left side is replaced by what the right side works out to")
POSITION = ("x", "the position: where the ball is (in a network, its weights)")
GRADIENT = ("g", "the gradient ∇f(x): the slope of the loss at x, pointing uphill")
# The gradient with torch's L2 weight decay folded in (signed_and_decayed).
GRADIENT_L2 = (
    "g",
    "the gradient ∇f(x): the slope of the loss at x, pointing uphill (weight decay adds "
    "`weight_decay`·x to it)",
)
GRADIENT_L2_OR_DECOUPLED = (
    "g",
    "the gradient ∇f(x): the slope of the loss at x, pointing uphill (weight decay adds "
    "`weight_decay`·x to it, unless `decoupled_weight_decay` is on: then x shrinks instead)",
)
STEP_LENGTH = ("lr", "the learning rate: roughly how far each step moves (the `lr` setting)")
EPSILON = (
    "ε",
    "epsilon: a tiny number that keeps the division from blowing up when the bottom is "
    "near 0 (the `eps` setting)",
)
BETA1 = ("β₁", "how much of the old m is kept each step (the first of the `betas`)")
BETA2 = ("β₂", "how much of the old v is kept each step (the second of the `betas`)")
BETA1_T = (
    "β₁ᵗ",
    "β₁ raised to the power t, the step number (1, 2, 3, …): it fades to 0, so dividing by "
    "1 − β₁ᵗ boosts only the first steps, while m is still near its start at 0",
)
BETA2_T = (
    "β₂ᵗ",
    "β₂ raised to the power t, the step number (1, 2, 3, …): dividing by 1 − β₂ᵗ makes up "
    "for v starting at 0",
)
MOMENTUM_AVERAGE = ("m", "the momentum: a running average of the gradients (torch's exp_avg)")
SQUARE_AVERAGE = (
    "v",
    "a running average of the squared gradients, so √v is the gradient's typical size "
    "(torch's exp_avg_sq)",
)
SIGN = ("sign", "sign(z) is +1 where z is positive, −1 where it is negative and 0 at 0")
