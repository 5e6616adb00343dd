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
    # how first_step is measured: the largest coordinate's move ("coordinate": Adam and Lion
    # move every coordinate by about lr) or the step's length ("length": Muon steps along a
    # direction), and under which settings besides the defaults (Muon's default decoupled
    # weight decay, 0.1, adds 0.1·lr·|x| to the move)
    first_step_measure: Literal["coordinate", "length"] = "coordinate"
    first_step_extra: Mapping[str, Any] = {}
    # settings under which the first steps on x² from 1 go plainly down (up with maximize)
    maximize_extra: Mapping[str, Any] = {}
    # numbers whose least allowed value is not 0, with it (Adafactor's d >= 1; Prodigy's lr,
    # eps and d0, which its package requires to be positive)
    least: Mapping[str, float] = {}
    # the step's length is relative to RMS(x) taken before the weight decay (Adafactor): a
    # decay test must start where RMS(x) < ε₂ to see the decay alone
    relative_step: bool = False
    # a decoupled decay's first step from x is the undecayed step from decoupled_x(lr, λ, x)
    # (None: torch's x·(1 − lr·λ)); "own": neither torch kind, tested with the rule
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
    # torch.optim.ASGD checks only lr and weight_decay; lambd, alpha and t0 are the product's
    # slider ranges, worded as torch words its checks.
    "asgd": Case(
        defaults={
            "lr": 1e-2,
            "lambd": 1e-4,
            "alpha": 0.75,
            "t0": 1e6,
            "weight_decay": 0.0,
            "maximize": False,
        },
        resume={"lr": 0.01, "lambd": 0.01, "t0": 2.0, "weight_decay": 0.01},
        negative={
            "lr": "Invalid learning rate",
            "lambd": "Invalid lambd value",
            "alpha": "Invalid alpha value",
            "t0": "Invalid t0 value",
            "weight_decay": "Invalid weight_decay value",
        },
        decay="l2",
        momentum_key=None,
        group="classic",
    ),
    # torch.optim.Adafactor (torch >= 2.5).  torch's eps=(None, 1e-3): None is the machine
    # epsilon of the parameter's dtype, float64's 2**-52 here, which the catalog holds.
    "adafactor": Case(
        defaults={
            "lr": 1e-2,
            "beta2_decay": -0.8,
            "eps": (2.0**-52, 1e-3),
            "d": 1.0,
            "weight_decay": 0.0,
            "maximize": False,
        },
        resume={"lr": 0.05, "weight_decay": 0.1},
        negative={
            "lr": "Learning rate should be >= 0 but is",
            "eps": "epsilon1 should be >= 0 but is",
            "d": "Clipping threshold d should be >= 1 but is",
            "weight_decay": "weight_decay should be >= 0 but is",
        },
        decay="decoupled",
        momentum_key=None,
        group="adaptive",
        least={"d": 1.0},
        relative_step=True,
    ),
    # torch.optim.Muon (torch 2.9+), with the product's maximize; adjust_lr_fn's None is
    # "original".  torch's checks are "should be >= 0" messages.
    "muon": Case(
        defaults={
            "lr": 1e-3,
            "weight_decay": 0.1,
            "momentum": 0.95,
            "nesterov": True,
            "ns_coefficients": (3.4445, -4.775, 2.0315),
            "eps": 1e-7,
            "ns_steps": 5,
            "adjust_lr_fn": "original",
            "maximize": False,
        },
        resume={"lr": 0.02, "momentum": 0.9, "weight_decay": 0.01},
        negative={
            "lr": "Learning rate should be >= 0 but is",
            "momentum": "momentum should be >= 0 but is",
            "weight_decay": "weight decay should be >= 0 but is",
        },
        decay="decoupled",
        momentum_key="momentum",
        group="adaptive",
        first_step=0.6875,  # a 1×1 matrix: NS(1) in bfloat16; 0.68 to 0.72 for a 1×2
        first_step_measure="length",
        first_step_extra={"weight_decay": 0.0},
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
        least={"lr": 1e-12, "eps": 1e-12, "d0": 1e-12},
        decoupled_x=lambda lr, lam, x: x + (-lam * (1e-6 * lr * 1)) * x,
    ),
}
