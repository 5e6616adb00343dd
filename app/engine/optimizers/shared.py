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
