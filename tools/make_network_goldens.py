"""Generate the network goldens for tests/engine/test_network_goldens.py: small networks
trained by torch for 200 steps, weights recorded after every step.

Run from the repository root with a torch install (torch is not a dependency of the app)::

    PYTHONPATH=. .venv/bin/python tools/make_network_goldens.py [stem ...]

With file name stems, only those goldens are written (the others are left as they are);
stems starting ``hvp_`` name Hessian-vector-product goldens (below).
What the golden scripts share (the reference optimizers, schedules, twins and horizons, the
command line, the JSON files) is in tools/golden.py.

Each configuration is a network as a torch user builds it: ``nn.Sequential`` of
``nn.Linear`` layers and activation modules (``nn.ReLU``, ``nn.Tanh``, ``nn.Sigmoid``,
``nn.Identity``, ``nn.GELU``) in float64, given the engine's initial weights
(``layers_of(spec, init_weights(spec, scheme, seed))``), on the engine's data set, split
and feature columns.  The loss is torch's ``BCEWithLogitsLoss``, ``CrossEntropyLoss`` or
``MSELoss`` (mean) plus ``l1·Σ|W| + l2·ΣW²`` over the Linear layers' weights (not their
biases), differentiated by autograd.  Each step is what a training loop does::

    opt.zero_grad(); loss(model(X[batch]), y[batch]).backward()
    clip_grad_value_ / clip_grad_norm_ over model.parameters()     (when the options say so)
    opt.step(); scheduler.step()

(with SAM, ``sam_rho``: ``backward`` unclipped, ``opt.first_step()``, the same batch's
``backward`` at θ + e, clipped, then ``opt.second_step()``; tools/golden.py's ReferenceSAM)

with ``torch.optim.<Optimizer>(model.parameters(), ..., foreach=False)``, Muon's usual recipe
(``MuonRecipe``: ``torch.optim.Muon`` on the hidden layers' weight matrices,
``torch.optim.AdamW`` on the rest), the reference packages' classes for Schedule-Free AdamW
and Prodigy, or the reference
classes in tools/golden.py for the three torch lacks: Lion, SGLD (ξ for all P parameters
from one draw of the engine's stream 1, in parameters() order) and Newton (on the flat
parameter vector, the Hessian over all parameters by ``torch.autograd.functional.hessian``
through ``torch.func.functional_call``).  L-BFGS is ``torch.optim.LBFGS`` with a closure;
one step is one ``opt.step(closure)``.  Mini-batches replay the engine's shuffle
(``app.engine.run.batches``): step k takes batch ``(k - 1) mod ⌈n/B⌉`` of the epoch's
order of the training points.

A golden records, for points 0 … 200 (the initial weights, then after each step): the
parameters ``theta`` (``parameters_to_vector``, the engine's θ order), and the mean data
loss over the whole training and test sets (``train_loss``, ``test_loss``: without the
l1/l2 terms, what the engine's trace shows).

``horizon`` is measured as in tools/make_goldens.py: torch runs again ("twins") with every
gradient times ``1 + 2**-52``; with every gradient replaced by the engine's
(``app.engine.networks.model.loss_and_grad``: the same derivative from a numpy backward
pass, rounded otherwise — the twin that sees a gradient component whose sign is rounding
noise, to which Rprop and Lion are blind otherwise); and on torch's portable kernels
(``ATEN_CPU_CAPABILITY=default``).  A twin's horizon is the number of leading points on
which it agrees with the golden in θ and both losses to ``|a - b| <= 1e-10 * |b| + 1e-12``.
The configurations are chosen so that every twin agrees on every point — the engine is held
to all 200 steps — except where a comment says why not.

The HVP goldens (``hvp_*.json``, HVP_CONFIGS; tests/engine/test_network_hvp_goldens.py) hold
the engine's Hessian-vector products (``app.engine.networks.model.hvp``, the R-operator) and
Lanczos eigenvalues (``landscape.top_eigenvalues``) to torch's autograd: each is a network of
the same ``nn.Sequential`` kind on the engine's data, at two points — the engine's initial
weights and after ``steps`` of full-batch ``torch.optim.SGD`` (this script's training loop)
— with the training loss as a function of the flat θ (``torch.func.functional_call``: mean
data loss + l1·Σ|W| + l2·ΣW², as above), three directions v drawn from
``numpy.random.default_rng([HVP_SEED, P])``, torch's H·v by double backward
(``torch.autograd.functional.hvp``, checked against the dense Hessian's rows), and the top
eigenvalues of the dense Hessian (``torch.autograd.functional.hessian``,
``torch.linalg.eigvalsh``) — the whole Hessian too for networks of at most HVP_DENSE_MAX
parameters.  The l1 term adds nothing to a Hessian: the second derivative of |w| is 0 away
from w = 0 (torch's double backward of abs gives 0 as well).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from tools.golden import (
    GOLDEN_DIR,
    ULP,
    PackageProdigy,
    PackageScheduleFree,
    ReferenceLion,
    ReferenceNewton,
    ReferenceSAM,
    ReferenceSGLD,
    epoch_order,
    generate,
    generate_data,
    generate_with_twins,
    horizon,
    init_weights,
    layers_of,
    network_loss_and_grad,
    network_setup,
    noise_draw,
    torch_scheduler,
)

OUT = GOLDEN_DIR / "networks"
STEPS = 200
NETWORK_KEYS = ("theta", "train_loss", "test_loss")
NUDGES = ("gradient_times_1_plus_ulp", "numpy_gradient")


@dataclass(frozen=True)
class Config:
    """One golden: the file name stem, the data set, the network, the optimizer and torch's
    keyword arguments for it; then what differs from the defaults."""

    stem: str
    dataset: str
    hidden: tuple[int, ...]
    activation: str
    optimizer: str
    kwargs: dict[str, Any]
    features: tuple[str, ...] = ("x1", "x2")
    init: str = "xavier"
    init_seed: int = 0
    points: int = 40
    noise: float = 0.1
    data_seed: int = 0
    test_ratio: float = 0.25
    split_seed: int = 0
    l1: float = 0.0
    l2: float = 0.0
    # The run's options (engine names): batch_size, seed, noise, clip_grad_value, clip_grad_norm,
    # sam_rho, sam_adaptive, sam_eta.
    options: dict[str, Any] = field(default_factory=dict)
    # {"name", "parameters"}: a torch.optim.lr_scheduler stepped after each optimizer step.
    schedule: dict[str, Any] | None = None
    steps: int = STEPS


CONFIGS: tuple[Config, ...] = (
    # SGD: plain, momentum, Nesterov (with weight decay), on each head.
    Config("sgd-plain-circle_tanh", "circle", (4,), "tanh", "sgd", {"lr": 0.5}),
    Config("sgd-momentum-xor_relu", "xor", (4,), "relu", "sgd", {"lr": 0.05, "momentum": 0.9}),
    Config(
        "sgd-nesterov_wd-three_classes_tanh",
        "three_classes",
        (4,),
        "tanh",
        "sgd",
        {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    ),
    # Mini-batches of 8 from the engine's shuffle, with dampened momentum.
    Config(
        "sgd-batch8-circle_tanh",
        "circle",
        (4,),
        "tanh",
        "sgd",
        {"lr": 0.1, "momentum": 0.5, "dampening": 0.2},
        options={"batch_size": 8, "seed": 3},
    ),
    # Regression on the sine: MSE, clip_grad_norm over every parameter, an L1 term.
    Config(
        "sgd-clipnorm_l1-sine_tanh",
        "sine",
        (6,),
        "tanh",
        "sgd",
        {"lr": 0.1, "momentum": 0.9},
        features=("x1",),
        l1=0.001,
        options={"clip_grad_norm": 0.5},
    ),
    Config("adagrad-default-xor_sigmoid", "xor", (4,), "sigmoid", "adagrad", {"lr": 0.1}),
    Config(
        "rmsprop-centered_momentum-circle_relu",
        "circle",
        (4,),
        "relu",
        "rmsprop",
        {"lr": 0.003, "centered": True, "momentum": 0.5},
        init="he",
    ),
    Config(
        "adam-amsgrad-three_classes_gelu",
        "three_classes",
        (4,),
        "gelu",
        "adam",
        {"lr": 0.02, "amsgrad": True},
    ),
    # An L2 loss term, a learning-rate schedule, two hidden layers.
    Config(
        "adam-l2_steplr-circle_tanh",
        "circle",
        (3, 3),
        "tanh",
        "adam",
        {"lr": 0.05},
        l2=0.01,
        schedule={"name": "step", "parameters": {"step_size": 50, "gamma": 0.5}},
    ),
    Config("adamw-wd-xor_tanh", "xor", (4,), "tanh", "adamw", {"lr": 0.02, "weight_decay": 0.1}),
    # No hidden layer: logistic regression on x1, x2 and the product feature x1x2.
    Config(
        "adamax-default-xor_product_feature",
        "xor",
        (),
        "linear",
        "adamax",
        {"lr": 0.05},
        features=("x1", "x2", "x1x2"),
    ),
    Config(
        "nadam-lr0.005-circle_squares_gelu",
        "circle",
        (4,),
        "gelu",
        "nadam",
        {"lr": 0.005},
        features=("x1", "x2", "x1sq", "x2sq"),
    ),
    Config(
        "radam-default-three_classes_relu", "three_classes", (4,), "relu", "radam", {"lr": 0.02}
    ),
    Config("adadelta-default-circle_tanh", "circle", (4,), "tanh", "adadelta", {}),
    # Rprop follows the gradient's sign: on separable data, as the loss falls towards 0, some
    # components become rounding noise whose sign torch and numpy round apart (the
    # numpy_gradient twin sees it); on the sine's regression they stay clear of zero.
    Config(
        "rprop-lr0.001-sine_tanh", "sine", (4,), "tanh", "rprop", {"lr": 0.001}, features=("x1",)
    ),
    Config(
        "lion-wd-circle_tanh",
        "circle",
        (4,),
        "tanh",
        "lion",
        {"lr": 0.002, "weight_decay": 0.1},
    ),
    # Newton on a 2-3-1 network (13 parameters, a 13×13 Hessian), damped: away from a
    # minimum the Hessian of a network is indefinite.
    Config(
        "newton-damped-xor_tanh",
        "xor",
        (3,),
        "tanh",
        "newton",
        {"lr": 0.5, "damping": 1.0},
        points=20,
    ),
    # L-BFGS with the strong Wolfe line search, one iteration a step (the line search keeps
    # its runs insensitive to rounding for all 200 steps).
    Config(
        "lbfgs-strong_wolfe-xor_tanh",
        "xor",
        (4,),
        "tanh",
        "lbfgs",
        {"max_iter": 1, "line_search_fn": "strong_wolfe"},
    ),
    Config(
        "lbfgs-strong_wolfe-sine_sigmoid",
        "sine",
        (4,),
        "sigmoid",
        "lbfgs",
        {"max_iter": 1, "line_search_fn": "strong_wolfe"},
        features=("x1",),
    ),
    # Without a line search, fixed steps along the L-BFGS direction amplify the last bits:
    # torch parts from its own twins after some 75 steps (the horizon).
    Config(
        "lbfgs-lr0.3-sine_tanh",
        "sine",
        (4,),
        "tanh",
        "lbfgs",
        {"max_iter": 1, "lr": 0.3},
        features=("x1",),
    ),
    Config(
        "sgld-t0.001-circle_tanh",
        "circle",
        (4,),
        "tanh",
        "sgld",
        {"lr": 0.05, "temperature": 0.001},
        options={"seed": 5},
    ),
    # Adafactor: each weight matrix factored (row_var, col_var), each bias unfactored; the
    # zero biases start with steps of ε₂·ρₜ (their RMS is 0).
    Config(
        "adafactor-default-three_classes_tanh",
        "three_classes",
        (4, 3),
        "tanh",
        "adafactor",
        {},
    ),
    Config(
        "adafactor-wd_d_batch10-xor_tanh",
        "xor",
        (5,),
        "tanh",
        "adafactor",
        {"lr": 0.05, "beta2_decay": -0.5, "d": 2.0, "weight_decay": 0.1},
        options={"batch_size": 10, "seed": 1},
    ),
    # The reference packages' rules: Schedule-Free as a crowd of P scalars (its group
    # values per coordinate), Prodigy on all of θ at once (d from sums over every weight;
    # the package sums per tensor, the engine over θ: the same sums in another order).
    Config(
        "schedulefree_adamw-warmup-circle_tanh",
        "circle",
        (4,),
        "tanh",
        "schedulefree_adamw",
        {"lr": 0.05, "warmup_steps": 20, "weight_decay": 0.01},
    ),
    # (With its defaults, d grows until the last bits of the gradient steer the run: torch
    # parts from its own twins after 40-120 steps on these networks.)
    Config("prodigy-d_coef0.5-xor_tanh", "xor", (4,), "tanh", "prodigy", {"d_coef": 0.5}),
    # A linear network (two stacked Linear layers) on the sine, gradient noise and clipping
    # by value.
    Config(
        "adam-noise_clipvalue-sine_linear",
        "sine",
        (3,),
        "linear",
        "adam",
        {"lr": 0.01},
        features=("x1", "sinx1"),
        options={"noise": 0.5, "seed": 2, "clip_grad_value": 0.2},
    ),
    # ASGD on mini-batches, averaging from step 52 (θ is the iterate; its average ax is
    # checked on the landscapes' goldens).
    Config(
        "asgd-t0_50_batch-xor_tanh",
        "xor",
        (4,),
        "tanh",
        "asgd",
        {"lr": 0.3, "lambd": 0.001, "t0": 50.0, "weight_decay": 0.001},
        options={"batch_size": 10, "seed": 4},
    ),
    # SAM (ReferenceSAM around torch.optim): a second pass over the same mini-batch at
    # θ + e, clipped only then; ASAM's T = |θ| + η over every parameter.
    Config(
        "sam-adam-batch8_clip-circle_tanh",
        "circle",
        (4,),
        "tanh",
        "adam",
        {"lr": 0.01},
        options={"sam_rho": 0.05, "batch_size": 8, "seed": 3, "clip_grad_norm": 1.0},
    ),
    # Muon as the usual recipe (MuonRecipe below): torch.optim.Muon on the hidden layers'
    # weight matrices, torch.optim.AdamW on the biases and the output layer.  Hidden widths
    # stay small: there torch's bfloat16 Newton–Schulz (float32 sums in its matmuls) is
    # matched bit for bit; on larger matrices a sum can round the other way.
    Config("muon-default-xor_tanh", "xor", (4,), "tanh", "muon", {"lr": 0.02}),
    Config(
        "muon-match_rms_adamw_batch8-circle_relu",
        "circle",
        (4, 4),
        "relu",
        "muon",
        {"lr": 0.05, "weight_decay": 0.01, "adjust_lr_fn": "match_rms_adamw"},
        options={"batch_size": 8, "seed": 3},
    ),
    Config(
        "asam-sgd_momentum-xor_tanh",
        "xor",
        (4,),
        "tanh",
        "sgd",
        {"lr": 0.1, "momentum": 0.9},
        options={"sam_rho": 0.5, "sam_adaptive": True, "sam_eta": 0.01},
    ),
)


ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "linear": nn.Identity,
    "gelu": nn.GELU,  # approximate="none": torch's exact erf GELU
}


# torch's constructor per optimizer, and its keyword arguments beyond the configuration's.
NETWORK_OPTIMIZERS: dict[str, tuple[Any, dict[str, Any]]] = {
    "sgd": (torch.optim.SGD, {"foreach": False, "fused": False}),
    "adagrad": (torch.optim.Adagrad, {"foreach": False, "fused": False}),
    "rmsprop": (torch.optim.RMSprop, {"foreach": False}),
    "adam": (torch.optim.Adam, {"foreach": False, "fused": False}),
    "adamw": (torch.optim.AdamW, {"foreach": False, "fused": False}),
    "adamax": (torch.optim.Adamax, {"foreach": False}),
    "nadam": (torch.optim.NAdam, {"foreach": False}),
    "radam": (torch.optim.RAdam, {"foreach": False}),
    "adadelta": (torch.optim.Adadelta, {"foreach": False}),
    "rprop": (torch.optim.Rprop, {"foreach": False}),
    "lion": (ReferenceLion, {}),
    "newton": (ReferenceNewton, {}),
    "lbfgs": (torch.optim.LBFGS, {}),
    "sgld": (ReferenceSGLD, {}),
    "asgd": (torch.optim.ASGD, {"foreach": False}),
    "adafactor": (torch.optim.Adafactor, {"foreach": False}),
    "schedulefree_adamw": (PackageScheduleFree, {}),
    "prodigy": (PackageProdigy, {}),
}


class MuonRecipe:
    """Muon on a network as torch users run it: ``torch.optim.Muon`` over the weight matrix
    of every hidden layer (each Linear whose outputs are hidden units), ``torch.optim.AdamW``
    (``foreach=False``; torch's Muon has only its single-tensor path) over everything else —
    the biases and the output layer's weight — with the same lr and weight_decay and AdamW's
    defaults otherwise.  A step steps both; ``param_groups`` are Muon's, then AdamW's."""

    def __init__(
        self, model: nn.Sequential, lr: float, weight_decay: float = 0.1, **muon: Any
    ) -> None:
        linears = [m for m in model if isinstance(m, nn.Linear)]
        hidden = [m.weight for m in linears[:-1]]
        rest = [p for p in model.parameters() if all(p is not w for w in hidden)]
        self.optimizers = (
            torch.optim.Muon(hidden, lr=lr, weight_decay=weight_decay, **muon),
            torch.optim.AdamW(rest, lr=lr, weight_decay=weight_decay, foreach=False, fused=False),
        )
        self.param_groups = [g for o in self.optimizers for g in o.param_groups]

    def zero_grad(self) -> None:
        for o in self.optimizers:
            o.zero_grad()

    def step(self) -> None:
        for o in self.optimizers:
            o.step()


@dataclass(frozen=True)
class Problem:
    """A configuration's data, network and initial weights, as the engine sets them up."""

    spec: Any
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    theta0: np.ndarray


def problem_of(config: Config) -> Problem:
    data = generate_data(config.dataset, config.points, config.noise, config.data_seed)
    s = network_setup(
        data,
        config.features,
        config.hidden,
        config.activation,
        l1=config.l1,
        l2=config.l2,
        test_ratio=config.test_ratio,
        split_seed=config.split_seed,
    )

    def labels(y: np.ndarray) -> torch.Tensor:
        t = torch.tensor(y, dtype=torch.float64)
        return t.long() if s.spec.head == "ce" else t

    return Problem(
        s.spec,
        torch.tensor(s.x_train, dtype=torch.float64),
        labels(s.y_train),
        torch.tensor(s.x_test, dtype=torch.float64),
        labels(s.y_test),
        init_weights(s.spec, config.init, config.init_seed),
    )


def network(problem: Problem) -> nn.Sequential:
    """nn.Sequential of Linear layers and activations, holding the engine's initial weights."""
    spec = problem.spec
    sizes = (spec.inputs, *spec.hidden, spec.outputs)
    modules: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes, sizes[1:], strict=False)):
        modules.append(nn.Linear(fan_in, fan_out, dtype=torch.float64))
        if i < len(sizes) - 2:
            modules.append(ACTIVATIONS[spec.activation]())
    model = nn.Sequential(*modules)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for linear, layer in zip(linears, layers_of(spec, problem.theta0), strict=True):
            linear.weight.copy_(torch.tensor(layer["weight"]))
            linear.bias.copy_(torch.tensor(layer["bias"]))
    assert np.array_equal(theta_of(model), problem.theta0)
    return model


def theta_of(model: nn.Module) -> np.ndarray:
    return nn.utils.parameters_to_vector(model.parameters()).detach().numpy().copy()


def data_loss(head: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if head == "bce":
        return nn.BCEWithLogitsLoss()(out.squeeze(1), y)
    if head == "ce":
        return nn.CrossEntropyLoss()(out, y)
    return nn.MSELoss()(out.squeeze(1), y)


def penalty(spec: Any, weights: Sequence[torch.Tensor]) -> torch.Tensor | float:
    """l1·Σ|W| + l2·ΣW² over the Linear layers' weights (not their biases)."""
    total: torch.Tensor | float = 0.0
    if spec.l1:
        total = total + spec.l1 * sum(w.abs().sum() for w in weights)
    if spec.l2:
        total = total + spec.l2 * sum((w * w).sum() for w in weights)
    return total


def weights_of(model: nn.Sequential) -> list[torch.Tensor]:
    return [m.weight for m in model if isinstance(m, nn.Linear)]


def make_optimizer(
    config: Config, model: nn.Sequential, params: Any, flat_hessian: Any
) -> torch.optim.Optimizer | MuonRecipe:
    if config.optimizer == "muon":  # two torch optimizers, each over its share of the model
        return MuonRecipe(model, **config.kwargs)
    cls, extra = NETWORK_OPTIMIZERS[config.optimizer]
    if config.optimizer == "newton":
        extra = {"hessian": flat_hessian}
    elif config.optimizer == "sgld":
        extra = {"seed": config.options.get("seed", 0)}
    if config.options.get("sam_rho"):  # SAM around torch's optimizer (tools/golden.py)
        sam = {
            "rho": config.options["sam_rho"],
            "adaptive": config.options.get("sam_adaptive", False),
            "eta": config.options.get("sam_eta", 0.01),
        }
        return ReferenceSAM(params, cls, **sam, **config.kwargs, **extra)
    return cls(params, **config.kwargs, **extra)


def trajectory(config: Config, nudge: str | None = None) -> dict[str, Any]:
    """Train with torch; θ and the losses at each of the steps + 1 points."""
    problem = problem_of(config)
    spec = problem.spec
    head = spec.head
    model = network(problem)
    n = len(problem.y_train)
    options = config.options
    batch_size = options.get("batch_size", n)  # the engine's default: the whole training set
    per_epoch = -(-n // batch_size)
    names = [name for name, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]

    def batch(step: int) -> torch.Tensor | slice:
        """The training rows of step ``step``: batch (step − 1) mod ⌈n/B⌉ of the epoch's
        order (the engine's shuffle), or all of them."""
        if per_epoch == 1:
            return slice(None)
        epoch, number = divmod(step - 1, per_epoch)
        order = epoch_order(options.get("seed", 0), epoch, n)
        return torch.tensor(order[number * batch_size : (number + 1) * batch_size])

    def objective(out: torch.Tensor, rows: torch.Tensor | slice, weights: Any) -> torch.Tensor:
        return data_loss(head, out, problem.y_train[rows]) + penalty(spec, weights)

    # Newton works on the flat parameter vector: the same network through functional_call.
    flat = nn.utils.parameters_to_vector(model.parameters()).detach().clone()
    flat.requires_grad_(True)
    state: dict[str, Any] = {"step": 1}

    def unflatten(v: torch.Tensor) -> dict[str, torch.Tensor]:
        out, at = {}, 0
        for name, shape in zip(names, shapes, strict=True):
            size = math.prod(shape)
            out[name] = v[at : at + size].reshape(shape)
            at += size
        return out

    def flat_loss(v: torch.Tensor) -> torch.Tensor:
        params = unflatten(v)
        rows = batch(state["step"])
        out = torch.func.functional_call(model, params, (problem.x_train[rows],))
        weights = [params[name] for name in names if name.endswith("weight")]
        return objective(out, rows, weights)

    def flat_hessian() -> torch.Tensor:
        return torch.autograd.functional.hessian(flat_loss, flat.detach())

    newton = config.optimizer == "newton"
    params = [flat] if newton else list(model.parameters())
    opt = make_optimizer(config, model, params, flat_hessian)
    schedule = config.schedule
    scheduler = torch_scheduler(opt, schedule["name"], schedule["parameters"]) if schedule else None

    def backward(clip: bool = True) -> torch.Tensor:
        """Loss and gradients on the current step's batch (the options applied; SAM's first
        pass, ``clip=False``, is not clipped)."""
        opt.zero_grad()
        if newton:
            loss = flat_loss(flat)
        else:
            rows = batch(state["step"])
            loss = objective(model(problem.x_train[rows]), rows, weights_of(model))
        loss.backward()
        with torch.no_grad():
            if nudge == "gradient_times_1_plus_ulp":
                for p in params:
                    p.grad.mul_(1.0 + ULP)
            elif nudge == "numpy_gradient":
                # The same gradient from the engine's numpy backward pass: rounded otherwise.
                rows = batch(state["step"])
                theta = nn.utils.parameters_to_vector(params).detach().numpy()
                _, grad = network_loss_and_grad(
                    spec, theta, problem.x_train[rows].numpy(), problem.y_train[rows].numpy()
                )
                nn.utils.vector_to_parameters(torch.tensor(grad), [p.grad for p in params])
            elif nudge is not None:
                raise ValueError(nudge)
            if options.get("noise"):
                # One draw of P components for the whole parameter vector, in θ order.
                scale = options["noise"] / math.sqrt(batch_size)
                xi = noise_draw(
                    options.get("seed", 0), state["step"], sum(p.numel() for p in params)
                )
                at = 0
                for p in params:
                    p.grad.add_(scale * xi[at : at + p.numel()].reshape(p.shape))
                    at += p.numel()
        if clip and options.get("clip_grad_value"):
            nn.utils.clip_grad_value_(params, options["clip_grad_value"], foreach=False)
        if clip and options.get("clip_grad_norm"):
            nn.utils.clip_grad_norm_(params, options["clip_grad_norm"], foreach=False)
        return loss

    def record() -> None:
        if newton:
            with torch.no_grad():
                nn.utils.vector_to_parameters(flat.detach(), model.parameters())
        with torch.no_grad():
            thetas.append(theta_of(model).tolist())
            train.append(data_loss(head, model(problem.x_train), problem.y_train).item())
            test.append(data_loss(head, model(problem.x_test), problem.y_test).item())

    thetas: list[list[float]] = []
    train: list[float] = []
    test: list[float] = []
    lrs: list[float] = []
    record()
    for step in range(1, config.steps + 1):
        state["step"] = step
        lrs.append(opt.param_groups[0]["lr"])
        if config.optimizer == "lbfgs":
            opt.step(backward)
        elif options.get("sam_rho"):  # the same batch twice: at θ, then at θ + e
            backward(clip=False)
            opt.first_step()
            backward()
            opt.second_step()
        else:
            backward()
            opt.step()
        if scheduler is not None:
            scheduler.step()
        record()
    return {"theta": thetas, "train_loss": train, "test_loss": test, "lrs": lrs}


def portable_runs(configs: list[Config]) -> dict[str, Any]:
    """The unperturbed runs, by stem (run on torch's portable kernels)."""
    runs = {}
    for config in configs:
        t = trajectory(config)
        runs[config.stem] = {k: t[k] for k in NETWORK_KEYS}
    return runs


def golden(config: Config, portable: dict[str, Any]) -> dict[str, Any]:
    ref = trajectory(config)
    for key in NETWORK_KEYS:
        assert all(np.isfinite(ref[key]).ravel()), f"{config.stem}: {key} is not finite"
    twins: dict[str, Any] = {nudge: trajectory(config, nudge) for nudge in NUDGES}
    twins["cpu_capability_default"] = portable[config.stem]
    horizons = {name: horizon(twin, ref, keys=NETWORK_KEYS) for name, twin in twins.items()}
    problem = problem_of(config)
    return {
        "name": config.stem,
        "data": {
            "dataset": config.dataset,
            "points": config.points,
            "noise": config.noise,
            "seed": config.data_seed,
            "test_ratio": config.test_ratio,
            "split_seed": config.split_seed,
        },
        "model": {
            "features": list(config.features),
            "hidden": list(config.hidden),
            "activation": config.activation,
            "init": config.init,
            "init_seed": config.init_seed,
            "l1": config.l1,
            "l2": config.l2,
            "head": problem.spec.head,
        },
        "optimizer": config.optimizer,
        "torch_kwargs": {
            k: list(v) if isinstance(v, tuple) else v for k, v in config.kwargs.items()
        },
        "options": config.options,
        "schedule": config.schedule,
        "torch_version": torch.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "steps": config.steps,
        "parameters": len(problem.theta0),
        "horizon": min(horizons.values()),
        "horizons": horizons,
        "horizon_definition": (
            "number of leading points on which every twin run of torch (see horizons: "
            "gradients times 1 + 2**-52; gradients from the engine's numpy backward pass "
            "instead of autograd; ATEN_CPU_CAPABILITY=default) agrees with this one in theta, "
            "train_loss and test_loss to |a-b| <= 1e-10*|b| + 1e-12"
        ),
        **({"lrs": ref["lrs"]} if config.schedule else {}),
        "theta": ref["theta"],
        "train_loss": ref["train_loss"],
        "test_loss": ref["test_loss"],
    }


def line(name: str, data: dict[str, Any]) -> str:
    loss = data["train_loss"]
    return (
        f"{name:45s} P={data['parameters']:3d} horizon={data['horizon']:4d} {data['horizons']} "
        f"train loss {loss[0]:.4f} -> {loss[-1]:.4f}"
    )


# --- Hessian-vector products ----------------------------------------------------------------


@dataclass(frozen=True)
class HVPConfig:
    """One HVP golden (stem ``hvp_<activation>-<head>-<data>_<hidden>``): the network, its
    data, and the torch run that takes it from θ₀ to its second point."""

    stem: str
    dataset: str
    hidden: tuple[int, ...]
    activation: str
    features: tuple[str, ...] = ("x1", "x2")
    l1: float = 0.0
    l2: float = 0.0
    points: int = 40
    init: str = "xavier"
    lr: float = 0.1  # torch.optim.SGD's learning rate to the trained point
    steps: int = 100  # ... and its steps (full batch)


HVP_DIRECTIONS = 3  # directions v per golden, the same at both points
HVP_SEED = 24  # the directions: N(0, I) from numpy.random.default_rng([HVP_SEED, P])
HVP_TOP = 3  # eigenvalues kept, largest first
HVP_DENSE_MAX = 20  # goldens with at most this many parameters keep torch's whole Hessian
# Every activation with every head; 0, 1 and 2 hidden layers; l1, l2 and both.
HVP_CONFIGS: tuple[HVPConfig, ...] = (
    HVPConfig("hvp_relu-bce-circle_8", "circle", (8,), "relu", l2=0.01),
    HVPConfig("hvp_tanh-bce-xor_3", "xor", (3,), "tanh"),
    HVPConfig("hvp_sigmoid-bce-circle_4x4", "circle", (4, 4), "sigmoid", l1=0.001, lr=0.5),
    HVPConfig("hvp_gelu-bce-xor_6", "xor", (6,), "gelu", l2=0.01),
    HVPConfig("hvp_linear-bce-xor_0", "xor", (), "linear", features=("x1", "x2", "x1x2")),
    HVPConfig("hvp_relu-ce-three_classes_5x5", "three_classes", (5, 5), "relu", init="he"),
    HVPConfig("hvp_tanh-ce-three_classes_4", "three_classes", (4,), "tanh", l1=0.001),
    HVPConfig("hvp_sigmoid-ce-three_classes_3", "three_classes", (3,), "sigmoid", l2=0.01, lr=0.5),
    HVPConfig("hvp_gelu-ce-three_classes_4x3", "three_classes", (4, 3), "gelu"),
    HVPConfig("hvp_linear-ce-three_classes_3", "three_classes", (3,), "linear", lr=0.05),
    HVPConfig("hvp_relu-mse-sine_8", "sine", (8,), "relu", features=("x1",), lr=0.05),
    # The edge-of-stability network (tests/engine/test_network_landscape.py), smaller ...
    HVPConfig("hvp_tanh-mse-sine_8x8", "sine", (8, 8), "tanh", features=("x1",), lr=0.05),
    # ... and that network itself (321 parameters), at the learning rate of its lesson.
    HVPConfig("hvp_tanh-mse-sine_16x16", "sine", (16, 16), "tanh", features=("x1",), lr=0.04),
    HVPConfig(
        "hvp_sigmoid-mse-sine_6", "sine", (6,), "sigmoid", features=("x1",), l1=0.001, l2=0.001
    ),
    HVPConfig("hvp_gelu-mse-sine_4x4", "sine", (4, 4), "gelu", features=("x1",), lr=0.05),
    HVPConfig("hvp_linear-mse-sine_0", "sine", (), "linear", features=("x1", "sinx1")),
)


def training_config(config: HVPConfig) -> Config:
    """The torch run (full-batch SGD) from θ₀ to the golden's trained point."""
    return Config(
        config.stem,
        config.dataset,
        config.hidden,
        config.activation,
        "sgd",
        {"lr": config.lr},
        features=config.features,
        init=config.init,
        points=config.points,
        l1=config.l1,
        l2=config.l2,
        steps=config.steps,
    )


def flat_objective(problem: Problem) -> Callable[[torch.Tensor], torch.Tensor]:
    """The training loss as a function of the flat θ (``parameters_to_vector``'s order): the
    mean data loss on the whole training set plus l1·Σ|W| + l2·ΣW², through the
    ``nn.Sequential`` network by ``torch.func.functional_call``."""
    model = network(problem)
    names = [name for name, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]
    head = problem.spec.head

    def loss(v: torch.Tensor) -> torch.Tensor:
        params, at = {}, 0
        for name, shape in zip(names, shapes, strict=True):
            size = math.prod(shape)
            params[name] = v[at : at + size].reshape(shape)
            at += size
        out = torch.func.functional_call(model, params, (problem.x_train,))
        weights = [params[name] for name in names if name.endswith("weight")]
        return data_loss(head, out, problem.y_train) + penalty(problem.spec, weights)

    return loss


def hvp_point(
    f: Callable[[torch.Tensor], torch.Tensor], theta: list[float], V: np.ndarray, steps: int
) -> dict[str, Any]:
    """At θ: the loss, torch's H·v for each direction (double backward,
    ``torch.autograd.functional.hvp``) and the top eigenvalues of torch's dense Hessian
    (``torch.autograd.functional.hessian``, ``torch.linalg.eigvalsh``)."""
    t = torch.tensor(theta, dtype=torch.float64)
    hv = [torch.autograd.functional.hvp(f, t, torch.tensor(v))[1] for v in V]
    H = torch.autograd.functional.hessian(f, t)
    # The two of torch's ways agree: hvp's double backward and the dense Hessian's rows.
    dense = torch.tensor(V) @ H
    for a, b in zip(hv, dense, strict=True):
        gap = float((a - b).abs().max() / b.abs().max())
        assert gap < 1e-12, f"torch's hvp and its Hessian's rows differ by {gap:.3g}"
    eig = torch.linalg.eigvalsh(H).flip(0)
    point: dict[str, Any] = {
        "steps": steps,
        "theta": theta,
        "loss": f(t).item(),
        "hv": [row.tolist() for row in hv],
        "top": eig[:HVP_TOP].tolist(),
    }
    if len(theta) <= HVP_DENSE_MAX:
        point["hessian"] = H.tolist()
    return point


def hvp_golden(config: HVPConfig) -> dict[str, Any]:
    train = training_config(config)
    problem = problem_of(train)
    run = trajectory(train)
    assert run["train_loss"][-1] < run["train_loss"][0], f"{config.stem}: SGD did not train"
    P = len(problem.theta0)
    V = np.random.default_rng([HVP_SEED, P]).standard_normal((HVP_DIRECTIONS, P))
    f = flat_objective(problem)
    return {
        "name": config.stem,
        "data": {
            "dataset": config.dataset,
            "points": train.points,
            "noise": train.noise,
            "seed": train.data_seed,
            "test_ratio": train.test_ratio,
            "split_seed": train.split_seed,
        },
        "model": {
            "features": list(config.features),
            "hidden": list(config.hidden),
            "activation": config.activation,
            "init": config.init,
            "init_seed": train.init_seed,
            "l1": config.l1,
            "l2": config.l2,
            "head": problem.spec.head,
        },
        "training": {"optimizer": "sgd", "lr": config.lr, "steps": config.steps},
        "torch_version": torch.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "parameters": P,
        "definition": (
            "loss: the mean data loss on the training points plus l1*sum|W| + l2*sum W^2 (the "
            "engine's training loss); hv[i]: torch.autograd.functional.hvp of that loss at "
            "theta along directions[i]; top: the largest eigenvalues of "
            "torch.autograd.functional.hessian, largest first; points: the initial weights "
            "and the weights after the training run's steps"
        ),
        "directions": V.tolist(),
        "points": [
            hvp_point(f, run["theta"][0], V, 0),
            hvp_point(f, run["theta"][-1], V, config.steps),
        ],
    }


def hvp_line(name: str, data: dict[str, Any]) -> str:
    tops = " -> ".join(f"{p['top'][0]:.4g}" for p in data["points"])
    return f"{name:45s} P={data['parameters']:3d} top eigenvalue {tops}"


def main(argv: list[str]) -> int:
    """Stems starting ``hvp_`` name HVP goldens, the others trajectory goldens (and the
    portable twins' subprocess its own arguments); with no stems, every golden of both kinds."""
    torch.set_default_dtype(torch.float64)
    hvps = [stem for stem in argv if stem.startswith("hvp_")]
    runs = [stem for stem in argv if not stem.startswith("hvp_")]
    if runs or not argv:
        generate_with_twins(runs, __file__, OUT, CONFIGS, portable_runs, golden, line)
    if hvps or not argv:
        generate(hvps, OUT, HVP_CONFIGS, hvp_golden, hvp_line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
