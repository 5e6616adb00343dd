"""Every optimizer's test data, in one table the engine tests iterate.

Adding an optimizer to the catalog adds one :class:`Case` here (and its goldens); no test
module lists optimizer ids of its own.  What the table says is written out by hand from
torch (or the optimizer's reference code) so that the catalog is checked against it rather
than against itself, and ``tests/engine/test_optimizers.py`` holds the table's ids, in
order, equal to the catalog's: an optimizer without a case fails there first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, NamedTuple


class Case(NamedTuple):
    # torch.optim's documented constructor defaults (torch 2.x), in the catalog's order
    defaults: Mapping[str, Any]
    # hyperparameters under which the rule creates every buffer it can (resume, explain)
    resume: Mapping[str, Any]
    # hyperparameter -> torch's ValueError message stem for a negative value
    negative: Mapping[str, str]
    # how weight_decay acts: "l2" adds λ·x to g, "decoupled" shrinks x, None: no decay
    decay: Literal["l2", "decoupled"] | None
    # the hyperparameter torch's OneCycleLR cycles (cycle_momentum), if any
    momentum_key: str | None
    # where the picker lists it
    group: Literal["classic", "adaptive", "second-order", "stochastic"]
    # step-sized optimizers: the first step's length in units of lr (None: not step-sized)
    first_step: float | None = None
    # settings under which the first steps on x² from 1 go plainly down (up with maximize)
    maximize_extra: Mapping[str, Any] = {}
    # a decoupled decay's first step from x is the undecayed step from decoupled_x(lr, λ, x)
    # (None: torch's x·(1 − lr·λ)); "own": neither torch kind, tested with the rule
    # hyperparameters the reference requires to be positive (0 refused)
    positive: frozenset[str] = frozenset()
    decoupled_x: Callable[[float, float, float], float] | Literal["own"] | None = None


# In teaching order, the catalog's.
CASES: dict[str, Case] = {
    "sgd": Case(
        defaults={
            "lr": 1e-3,
            "momentum": 0.0,
            "dampening": 0.0,
            "weight_decay": 0.0,
            "nesterov": False,
            "maximize": False,
        },
        resume={"lr": 0.02, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
        negative={
            "lr": "Invalid learning rate",
            "momentum": "Invalid momentum value",
            "weight_decay": "Invalid weight_decay value",
        },
        decay="l2",
        momentum_key="momentum",
        group="classic",
    ),
    "adagrad": Case(
        defaults={
            "lr": 1e-2,
            "lr_decay": 0.0,
            "weight_decay": 0.0,
            "initial_accumulator_value": 0.0,
            "eps": 1e-10,
            "maximize": False,
        },
        resume={"lr": 0.5, "lr_decay": 0.01, "initial_accumulator_value": 0.1},
        negative={
            "lr": "Invalid learning rate",
            "lr_decay": "Invalid lr_decay value",
            "weight_decay": "Invalid weight_decay value",
            "initial_accumulator_value": "Invalid initial_accumulator_value value",
            "eps": "Invalid epsilon value",
        },
        decay="l2",
        momentum_key=None,
        group="adaptive",
        first_step=1.0,
    ),
    "rmsprop": Case(
        defaults={
            "lr": 1e-2,
            "alpha": 0.99,
            "eps": 1e-8,
            "weight_decay": 0.0,
            "momentum": 0.0,
            "centered": False,
            "maximize": False,
        },
        resume={"lr": 0.01, "centered": True, "momentum": 0.5},
        negative={
            "lr": "Invalid learning rate",
            "alpha": "Invalid alpha value",
            "eps": "Invalid epsilon value",
            "weight_decay": "Invalid weight_decay value",
            "momentum": "Invalid momentum value",
        },
        decay="l2",
        momentum_key="momentum",
        group="adaptive",
        first_step=10.0,
    ),
    "adam": Case(
        defaults={
            "lr": 1e-3,
            "betas": (0.9, 0.999),
            "eps": 1e-8,
            "weight_decay": 0.0,
            "amsgrad": False,
            "maximize": False,
        },
        resume={"lr": 0.05, "amsgrad": True, "weight_decay": 0.01},
        negative={
            "lr": "Invalid learning rate",
            "eps": "Invalid epsilon value",
            "weight_decay": "Invalid weight_decay value",
        },
        decay="l2",
        momentum_key="betas",
        group="adaptive",
        first_step=1.0,
    ),
    "adamw": Case(
        defaults={
            "lr": 1e-3,
            "betas": (0.9, 0.999),
            "eps": 1e-8,
            "weight_decay": 1e-2,
            "amsgrad": False,
            "maximize": False,
        },
        resume={"lr": 0.05, "amsgrad": True},
        negative={
            "lr": "Invalid learning rate",
            "eps": "Invalid epsilon value",
            "weight_decay": "Invalid weight_decay value",
        },
        decay="decoupled",
        momentum_key="betas",
        group="adaptive",
        first_step=1.0,
    ),
    "adamax": Case(
        defaults={
            "lr": 2e-3,
            "betas": (0.9, 0.999),
            "eps": 1e-8,
            "weight_decay": 0.0,
            "maximize": False,
        },
        resume={"lr": 0.05, "weight_decay": 0.01},
        negative={
            "lr": "Invalid learning rate",
            "eps": "Invalid epsilon value",
            "weight_decay": "Invalid weight_decay value",
        },
        decay="l2",
        momentum_key="betas",
        group="adaptive",
        first_step=1.0,
    ),
    "nadam": Case(
        defaults={
            "lr": 2e-3,
            "betas": (0.9, 0.999),
            "eps": 1e-8,
            "weight_decay": 0.0,
            "momentum_decay": 4e-3,
            "decoupled_weight_decay": False,
            "maximize": False,
        },
        resume={"lr": 0.05, "weight_decay": 0.01, "decoupled_weight_decay": True},
        negative={
            "lr": "Invalid learning rate",
            "eps": "Invalid epsilon value",
            "weight_decay": "Invalid weight_decay value",
            "momentum_decay": "Invalid momentum_decay value",
        },
        decay="l2",  # unless decoupled_weight_decay is on
        momentum_key="betas",
        group="adaptive",
        first_step=1.0,
    ),
    "radam": Case(
        defaults={
            "lr": 1e-3,
            "betas": (0.9, 0.999),
            "eps": 1e-8,
            "weight_decay": 0.0,
            "decoupled_weight_decay": False,
            "maximize": False,
        },
        resume={"lr": 0.05, "weight_decay": 0.01},
        negative={
            "lr": "Invalid learning rate",
            "eps": "Invalid epsilon value",
            "weight_decay": "Invalid weight_decay value",
        },
        decay="l2",  # unless decoupled_weight_decay is on
        momentum_key="betas",
        group="adaptive",
    ),
    "adadelta": Case(
        defaults={"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0, "maximize": False},
        resume={"lr": 0.5, "weight_decay": 0.01},
        negative={
            "lr": "Invalid learning rate",
            "rho": "Invalid rho value",
            "eps": "Invalid epsilon value",
            "weight_decay": "Invalid weight_decay value",
        },
        decay="l2",
        momentum_key=None,
        group="adaptive",
    ),
    "rprop": Case(
        defaults={"lr": 1e-2, "etas": (0.5, 1.2), "step_sizes": (1e-6, 50.0), "maximize": False},
        resume={"lr": 0.05},
        negative={
            "lr": "Invalid learning rate",
        },
        decay=None,  # torch's Rprop has no weight decay
        momentum_key=None,
        group="adaptive",
    ),
    # Not torch: the Lion paper's reference code (google/automl lion_pytorch.py), plus the
    # product's maximize switch.
    "lion": Case(
        defaults={"lr": 1e-4, "betas": (0.9, 0.99), "weight_decay": 0.0, "maximize": False},
        resume={"lr": 0.01, "weight_decay": 0.1},
        # Lion's reference code does not check weight_decay; the product does, in torch's words.
        negative={
            "lr": "Invalid learning rate",
            "weight_decay": "Invalid weight_decay value",
        },
        decay="decoupled",
        momentum_key="betas",
        group="adaptive",
        first_step=1.0,
    ),
    # Not in torch.optim: Newton's and SGLD's defaults are the product's.
    "newton": Case(
        defaults={"lr": 1.0, "damping": 0.0, "maximize": False},
        resume={"lr": 0.02, "damping": 1.0},
        negative={},
        decay=None,  # Newton's definition has none
        momentum_key=None,
        group="second-order",
        maximize_extra={"damping": 10.0},
    ),
    "lbfgs": Case(
        defaults={
            "lr": 1.0,
            "max_iter": 20,
            "tolerance_grad": 1e-7,
            "tolerance_change": 1e-9,
            "history_size": 100,
            "line_search_fn": "none",  # torch's None
            "maximize": False,  # the product's: torch users negate the closure
        },
        resume={"max_iter": 2, "history_size": 3, "line_search_fn": "strong_wolfe"},
        negative={},
        decay=None,  # torch's LBFGS has no weight decay
        momentum_key=None,
        group="second-order",
    ),
    "sgld": Case(
        defaults={"lr": 1e-2, "temperature": 0.1, "weight_decay": 0.0, "maximize": False},
        resume={"lr": 0.01, "temperature": 0.05},
        negative={},
        decay="l2",
        momentum_key=None,
        group="stochastic",
        maximize_extra={"temperature": 0.0},
    ),
    # Beyond torch.optim: the reference packages' rules (schedulefree 1.4, prodigyopt 1.1),
    # which check no values (Schedule-Free) or a few (Prodigy): the product checks the rest in
    # torch's words, and adds maximize.
    "schedulefree_adamw": Case(
        defaults={
            "lr": 0.0025,
            "betas": (0.9, 0.999),
            "eps": 1e-8,
            "weight_decay": 0.0,
            "warmup_steps": 0,
            "r": 0.0,
            "weight_lr_power": 2.0,
            "maximize": False,
        },
        resume={"lr": 0.05, "weight_decay": 0.01, "warmup_steps": 3, "r": 1.0},
        negative={
            "lr": "Invalid learning rate",
            "eps": "Invalid epsilon value",
            "weight_decay": "Invalid weight_decay value",
            "warmup_steps": "Invalid warmup_steps value",
            "r": "Invalid r value",
            "weight_lr_power": "Invalid weight_lr_power value",
        },
        decay="decoupled",  # λ·y added to the normalised gradient
        momentum_key="betas",
        group="adaptive",
        first_step=1.0,
        decoupled_x="own",
    ),
    "prodigy": Case(
        defaults={
            "lr": 1.0,
            "betas": (0.9, 0.999),
            "beta3": -1.0,  # the package's None: √β₂
            "eps": 1e-8,
            "weight_decay": 0.0,
            "decouple": True,
            "use_bias_correction": False,
            "safeguard_warmup": False,
            "d0": 1e-6,
            "d_coef": 1.0,
            "growth_rate": 0.0,  # the package's inf (JSON has none): no limit
            "maximize": False,
        },
        resume={"lr": 1.0, "weight_decay": 0.01, "use_bias_correction": True},
        negative={
            "lr": "Invalid learning rate",
            "eps": "Invalid epsilon value",
            "d0": "Invalid d0 value",
            "weight_decay": "Invalid weight_decay value",
            "d_coef": "Invalid d_coef value",
            "growth_rate": "Invalid growth_rate value",
        },
        decay="l2",  # unless decouple is on (the default)
        momentum_key="betas",
        group="adaptive",
        # the first step's dlr is d₀·lr: x shrinks by 1 − λ·d₀·lr, the package's way
        positive=frozenset({"lr", "eps", "d0"}),
        decoupled_x=lambda lr, lam, x: x + (-lam * (1e-6 * lr * 1)) * x,
    ),
}
