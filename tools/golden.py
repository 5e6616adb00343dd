"""What the golden scripts share: tools/make_goldens.py, tools/make_lbfgs_goldens.py,
tools/make_schedule_goldens.py and tools/make_network_goldens.py (each script's docstring
says what its goldens hold).

* The app: every name the scripts take from ``app`` is imported here and nowhere else, so a
  module that moves is one line to change.
* Networks: the data sets, the engine's network setup (split, feature columns, head) and
  initial weights, and the mini-batch shuffle (``epoch_order``), as the engine has them.
* Surfaces in torch: ``TORCH_XP``, the array namespace under which a surface's own
  ``value(xp, x)`` is a torch expression that autograd differentiates; ``surface_of`` and
  ``start_of``; ``unsound``, the runner's test for the last sound point of a trajectory.
* The optimizers torch.optim lacks: ``ReferenceLion``, ``ReferenceNewton`` and
  ``ReferenceSGLD``, torch.optim-style classes written from each method's definition;
  ``ReferenceSAM``, SAM/ASAM wrapping any torch.optim optimizer (the run option sam_rho);
  ``PackageScheduleFree`` and ``PackageProdigy``, the reference packages' own classes with
  ``maximize`` added and the extra per-step numbers they report (``readout``); and
  the engine's documented random streams as torch tensors (``noise_draw``,
  ``langevin_draw``).
* Schedules in torch: ``torch_scheduler``, the ``torch.optim.lr_scheduler`` object for a
  schedule id and its parameters.
* Twins and horizons: ``horizon`` counts the leading points on which a twin run of torch (a
  rounding-level change of the same run) agrees with the golden; ``generate_with_twins``
  runs the script once more in a subprocess on torch's portable kernels
  (``ATEN_CPU_CAPABILITY=default``) for the ``cpu_capability_default`` twin.
* The command line and the files: ``selected`` picks configurations by file name stem,
  ``generate`` writes one JSON file per configuration (compact, floats as their shortest
  round-tripping repr, a final newline) and prints a line about each.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Protocol, TypeVar

import numpy as np
import prodigyopt
import schedulefree
import torch
from torch.optim import lr_scheduler

# The app's modules, imported here only.
from app.engine.backend import SCALAR
from app.engine.networks.data import generate as generate_data
from app.engine.networks.model import init_weights, layers_of
from app.engine.networks.model import loss_and_grad as network_loss_and_grad
from app.engine.networks.train import setup as network_setup
from app.engine.run.batches import epoch_order
from app.engine.run.schedules import SCHEDULES, bind_schedule, momentum_key
from app.engine.surfaces import SURFACES

__all__ = [
    "ATOL",
    "GOLDEN_DIR",
    "KEYS",
    "MARGIN",
    "RTOL",
    "SCALAR",
    "SCHEDULES",
    "SURFACES",
    "TORCH_XP",
    "ULP",
    "PackageProdigy",
    "PackageScheduleFree",
    "ReferenceLion",
    "ReferenceNewton",
    "ReferenceSAM",
    "ReferenceSGLD",
    "bind_schedule",
    "epoch_order",
    "generate",
    "generate_data",
    "generate_with_twins",
    "horizon",
    "init_weights",
    "langevin_draw",
    "layers_of",
    "momentum_key",
    "network_loss_and_grad",
    "network_setup",
    "noise_draw",
    "selected",
    "start_of",
    "surface_of",
    "torch_scheduler",
    "unsound",
]

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "tests" / "golden"

# The engine is held to RTOL, ATOL (tests/engine/test_goldens.py); a twin must agree ten
# times closer in relative terms, because the engine's last bits differ from torch's in
# more places at once than any one twin's do (a margin of about one step where errors grow
# tenfold per step).  ATOL stays: it covers rounding noise in gradients near zero.
RTOL, ATOL = 1e-9, 1e-12
MARGIN = 10.0
ULP = 2.0**-52
# What a trajectory records at each point, and what a twin is compared on.
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


def surface_of(surface_id: str, parameters: Mapping[str, Any] | None = None) -> Any:
    """The catalog's surface, with ``parameters`` (defaults for the rest)."""
    return SURFACES[surface_id].with_parameters(parameters or {})


def start_of(surface_id: str, start: Sequence[float] | None = None) -> tuple[float, ...]:
    """``start`` as floats, or the surface's own start."""
    return tuple(float(c) for c in (SURFACES[surface_id].start if start is None else start))


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


# --- the optimizers torch.optim lacks: the definitions their goldens are held to ------------


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


# --- the optimizers beyond torch.optim, as their reference packages compute them ------------


class MaximizeAdded:
    """A reference package's optimizer with ``maximize`` added as torch's optimizers do it:
    each group's gradients negated before its step (the group's ``maximize``)."""

    param_groups: list[dict[str, Any]]

    @torch.no_grad()
    def step(self, closure: Any = None) -> None:
        for group in self.param_groups:
            if group["maximize"]:
                for p in group["params"]:
                    p.grad.neg_()
        super().step(closure)  # type: ignore[misc]


class PackageScheduleFree(MaximizeAdded, schedulefree.AdamWScheduleFree):
    """``schedulefree.AdamWScheduleFree`` (foreach=False, put in train mode at once), with
    ``maximize`` added as torch's optimizers do it (the gradient negated), and the averaged
    point x its ``eval()`` would give, for the golden's ``averages``."""

    READOUTS = ("averages",)

    def __init__(self, params: Any, *, maximize: bool = False, **kwargs: Any) -> None:
        super().__init__(params, foreach=False, **kwargs)
        for group in self.param_groups:
            group["maximize"] = maximize
        self.train()

    @torch.no_grad()
    def readout(self, key: str, p: torch.Tensor) -> list[float]:
        # eval(): y.lerp_(z, 1 − 1/β₁), on a copy (the run stays in train mode)
        (beta1, _) = self.param_groups[0]["betas"]
        z = self.state[p].get("z")
        return (p if z is None else p.clone().lerp_(z, 1 - 1 / beta1)).tolist()


class PackageProdigy(MaximizeAdded, prodigyopt.Prodigy):
    """``prodigyopt.Prodigy``, with ``maximize`` added as torch's optimizers do it, and its
    step size d after each step (None before the first), for the golden's ``step_sizes``.
    The engine spells the package's ``beta3=None`` as −1 and ``growth_rate=inf`` as 0."""

    READOUTS = ("step_sizes",)

    def __init__(self, params: Any, *, maximize: bool = False, **kwargs: Any) -> None:
        if kwargs.get("beta3") is not None and kwargs["beta3"] < 0:
            kwargs["beta3"] = None
        if kwargs.get("growth_rate") == 0:
            kwargs["growth_rate"] = math.inf
        super().__init__(params, **kwargs)
        for group in self.param_groups:
            group["maximize"] = maximize

    def readout(self, key: str, p: torch.Tensor) -> float | None:
        return self.param_groups[0]["d"] if self.state[p] else None

    @staticmethod
    def engine_values(hp: dict[str, Any]) -> dict[str, Any]:
        """The group's values as the engine spells them."""
        if hp.get("beta3", 0) is None:
            hp["beta3"] = -1.0
        if hp.get("growth_rate") == math.inf:
            hp["growth_rate"] = 0.0
        return hp


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
    from the seed's stream 1 (``langevin_draw``), one draw a step for all the parameters
    together; ``maximize`` negates g as SGD does."""

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
        # One draw per step for every parameter, in parameters() order (the engine's P
        # weights draw theirs at once).
        params = [p for group in self.param_groups for p in group["params"]]
        xi = langevin_draw(self.seed, self.steps, sum(p.numel() for p in params))
        at = 0
        for group in self.param_groups:
            for p in group["params"]:
                g = -p.grad if group["maximize"] else p.grad
                if group["weight_decay"]:
                    g = g + group["weight_decay"] * p
                spread = math.sqrt(2.0 * group["lr"] * group["temperature"])
                z = xi[at : at + p.numel()].reshape(p.shape)
                at += p.numel()
                p.copy_(p - group["lr"] * g + spread * z)


class ReferenceSAM(torch.optim.Optimizer):
    """SAM (Foret et al. 2021, "Sharpness-Aware Minimization for Efficiently Improving
    Generalization", Algorithm 1) around a torch.optim optimizer, in the two-step form of
    davda54/sam (the PyTorch SAM most people use): ``first_step`` moves the parameters to
    w + e(w), e = ρ·g/(‖g‖ + 1e-12); the caller takes the gradient there; ``second_step``
    puts w back and lets the base optimizer step with that gradient.  ``adaptive``: ASAM
    (Kwon et al. 2021), e = ρ·T²g/(‖Tg‖ + 1e-12) with T = |w| + η — η as in the ASAM
    authors' code (SamsungLabs/ASAM, default 0.01); davda54/sam's adaptive=True is η = 0."""

    def __init__(
        self,
        params: Any,
        base_optimizer: Any,
        rho: float = 0.05,
        adaptive: bool = False,
        eta: float = 0.0,
        **kwargs: Any,
    ) -> None:
        if not rho >= 0.0:
            raise ValueError(f"Invalid rho, should be non-negative: {rho}")
        super().__init__(params, {"rho": rho, "adaptive": adaptive, "eta": eta, **kwargs})
        self.base_optimizer = base_optimizer(self.param_groups, **kwargs)
        self.param_groups = self.base_optimizer.param_groups

    def _scale(self, group: Mapping[str, Any], p: torch.Tensor) -> Any:
        return torch.abs(p) + group["eta"] if group["adaptive"] else 1.0

    @torch.no_grad()
    def _grad_norm(self) -> torch.Tensor:
        return torch.norm(
            torch.stack(
                [
                    (self._scale(group, p) * p.grad).norm(p=2)
                    for group in self.param_groups
                    for p in group["params"]
                    if p.grad is not None
                ]
            ),
            p=2,
        )

    @torch.no_grad()
    def first_step(self) -> None:
        grad_norm = self._grad_norm()
        for group in self.param_groups:
            scale = group["rho"] / (grad_norm + 1e-12)
            for p in group["params"]:
                if p.grad is None:
                    continue
                self.state[p]["old_p"] = p.data.clone()
                t = self._scale(group, p)
                e_w = (t * t if group["adaptive"] else 1.0) * p.grad * scale.to(p)
                p.add_(e_w)

    @torch.no_grad()
    def second_step(self) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                p.data = self.state[p]["old_p"]
        self.base_optimizer.step()

    def step(self, closure: Any = None) -> None:
        raise RuntimeError("SAM steps in two: first_step, a backward pass, second_step")


# torch's scheduler per schedule id ("constant" has none), and the parameter torch has no
# default for: where a golden leaves it out, the app's default is given.
TORCH_SCHEDULERS: dict[str, tuple[Any, str | None]] = {
    "step": (lr_scheduler.StepLR, "step_size"),
    "exponential": (lr_scheduler.ExponentialLR, "gamma"),
    "cosine": (lr_scheduler.CosineAnnealingLR, "T_max"),
    "linear": (lr_scheduler.LinearLR, None),
    "onecycle": (lr_scheduler.OneCycleLR, "total_steps"),
}


def torch_scheduler(
    optimizer: torch.optim.Optimizer, schedule: str, parameters: Mapping[str, Any]
) -> lr_scheduler.LRScheduler | None:
    """torch's scheduler for ``schedule`` with ``parameters`` (torch's defaults for the rest,
    but see TORCH_SCHEDULERS); OneCycleLR's ``max_lr`` is the optimizer's learning rate."""
    if schedule == "constant":
        return None
    cls, required = TORCH_SCHEDULERS[schedule]
    p = dict(parameters)
    if required is not None and required not in p:
        p[required] = next(h.default for h in SCHEDULES[schedule].parameters if h.name == required)
    if schedule == "onecycle":
        p["max_lr"] = optimizer.param_groups[0]["lr"]
    return cls(optimizer, **p)


def horizon(
    twin: Mapping[str, Any],
    ref: Mapping[str, Any],
    counts: Sequence[str] = (),
    keys: Sequence[str] = KEYS,
) -> int:
    """Leading points on which ``twin`` agrees with ``ref`` in every value under ``keys``
    (one entry per point each), to ``|a - b| <= RTOL / MARGIN * |b| + ATOL``, and exactly in
    the per-step ``counts`` (lists with one entry per step: entry ``i - 1`` belongs to the
    step that led to point ``i``)."""
    n = min(len(twin[keys[0]]), len(ref[keys[0]]))
    for i in range(n):
        if i > 0 and any(twin[key][i - 1] != ref[key][i - 1] for key in counts):
            return i
        for key in keys:
            a, b = twin[key][i], ref[key][i]
            pairs = zip(a, b, strict=True) if isinstance(a, list) else [(a, b)]
            if any(not abs(u - v) <= RTOL / MARGIN * abs(v) + ATOL for u, v in pairs):
                return i
    # A twin that stops earlier (or later) than the reference parts from it there.
    return n


class Configuration(Protocol):
    """A golden's configuration: the file name stem names it."""

    @property
    def stem(self) -> str: ...


C = TypeVar("C", bound=Configuration)


def selected(configs: Sequence[C], stems: Sequence[str]) -> list[C]:
    """The configurations named by ``stems`` in their table's order (all, without stems)."""
    known = [c.stem for c in configs]
    assert len(set(known)) == len(known), "two configurations share a file name stem"
    unknown = set(stems) - set(known)
    if unknown:
        raise SystemExit(f"unknown golden(s) {sorted(unknown)}; known: {sorted(known)}")
    return [c for c in configs if not stems or c.stem in stems]


def generate(
    argv: Sequence[str],
    folder: Path,
    configs: Sequence[C],
    make: Callable[[C], dict[str, Any]],
    line: Callable[[str, dict[str, Any]], str],
) -> int:
    """Write ``folder/<name>.json`` for each configuration ``argv`` names (every one when it
    names none): ``make``'s dict, whose "name" is the stem; print ``line(file name, dict)``
    for each and the total size."""
    configs = selected(configs, argv)
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for config in configs:
        data = make(config)
        path = folder / f"{data['name']}.json"
        # json writes floats with repr: the shortest string that round-trips (<= 17 digits).
        text = json.dumps(data, separators=(",", ":"), allow_nan=False) + "\n"
        path.write_text(text)
        total += len(text)
        print(line(path.name, data))
    print(f"total {total / 1e6:.2f} MB")
    return 0


PORTABLE_TWINS = "--portable-twins"


def generate_with_twins(
    argv: Sequence[str],
    script: str,
    folder: Path,
    configs: Sequence[C],
    twins: Callable[[list[C]], dict[str, Any]],
    make: Callable[[C, dict[str, Any]], dict[str, Any]],
    line: Callable[[str, dict[str, Any]], str],
) -> int:
    """``generate``, where ``make`` also gets the runs ``twins`` makes of the selected
    configurations on torch's portable (non-FMA) kernels: ``script`` runs again in a
    subprocess with ``ATEN_CPU_CAPABILITY=default`` and the arguments
    ``--portable-twins FILE stem ...``, for which this writes ``twins``' JSON to FILE."""
    if argv[:1] == [PORTABLE_TWINS]:
        assert torch.backends.cpu.get_cpu_capability() == "DEFAULT"
        Path(argv[1]).write_text(json.dumps(twins(selected(configs, argv[2:]))))
        return 0
    selected(configs, argv)  # unknown stems stop here, not in the subprocess
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "twins.json"
        env = {**os.environ, "ATEN_CPU_CAPABILITY": "default"}
        subprocess.run(
            [sys.executable, script, PORTABLE_TWINS, str(out), *argv], env=env, check=True
        )
        portable = json.loads(out.read_text())
    return generate(argv, folder, configs, lambda config: make(config, portable), line)
