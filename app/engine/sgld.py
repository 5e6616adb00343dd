"""Stochastic gradient Langevin dynamics (Welling & Teh, 2011): gradient descent plus
Gaussian noise of variance 2·lr·T.

    x ← x − lr·g + √(2·lr·T)·ξ,   ξ ~ N(0, I)

At temperature T the balls do not settle in a minimum: run long enough, they visit each
region in proportion to exp(−f(x)/T) — sampling the landscape rather than descending it.
T → 0 gives plain gradient descent.  ξ comes from the run's seed (stream 1, see
:mod:`.gradients`), so the same seed gives the same run.  Weight decay and ``maximize``
act as in SGD.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .optimizer_base import (
    MAXIMIZE,
    WEIGHT_DECAY,
    Hyperparameter,
    Optimizer,
    Update,
    learning_rate,
    signed_and_decayed,
)


def _sgld_rule(hp: Mapping[str, Any]) -> Update:
    lr, wd, maximize = hp["lr"], hp["weight_decay"], hp["maximize"]
    spread = math.sqrt(2.0 * lr * hp["temperature"])

    def update(
        xp: Any, step: int, p: Any, g: Any, bufs: tuple[Any, ...], z: Any
    ) -> tuple[Any, tuple]:
        p, g = signed_and_decayed(p, g, maximize, wd)
        return p - lr * g + spread * z, bufs

    return update


SGLD = Optimizer(
    id="sgld",
    name="SGLD (Langevin)",
    group="stochastic",
    weight_decay="l2",
    draws_noise=True,
    hyperparameters=(
        learning_rate(1e-2),
        Hyperparameter(
            "temperature",
            "Temperature T",
            0.1,
            "log",
            "How hot the noise is: the balls spread over the landscape like exp(−f/T); "
            "0 is plain gradient descent.",
            0.0,
            100.0,
            "Invalid temperature",
        ),
        WEIGHT_DECAY,
        MAXIMIZE,
    ),
    buffers=(),
    rule=_sgld_rule,
    formula="x ← x − lr·∇f + √(2·lr·T)·ξ,   ξ ~ N(0, I)",
)
