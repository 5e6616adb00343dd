"""Generate L-BFGS golden trajectories with torch.optim.LBFGS for tests/engine/test_lbfgs.py.

Run from the repository root with a torch install (torch is not a dependency of the app)::

    PYTHONPATH=. .venv/bin/python tools/make_lbfgs_goldens.py [stem ...]

With file name stems, only those goldens are written (the others are left as they are).
They go to ``tests/golden/lbfgs/`` (a folder of their own: tests/engine/test_goldens.py
reads every JSON file directly in ``tests/golden/``).  What the golden scripts share is in
tools/golden.py.

Each configuration runs ``torch.optim.LBFGS`` in float64 on one tensor holding the ball's
position.  The closure is what a torch user writes::

    def closure():
        opt.zero_grad()
        loss = surface.value(TORCH_XP, *x.unbind())   # (negated to maximize)
        loss.backward()
        return loss

so the loss is the surface's own formula evaluated with torch ops and the gradient comes
from autograd, not from the engine's analytic ``grad``.  torch's LBFGS has no ``maximize``:
the maximize goldens negate the loss in the closure, which is what the engine's
``maximize`` switch does.

One outer step is one ``opt.step(closure)``.  ``positions[i]`` is the position after ``i``
steps; ``losses[i]`` and ``gradients[i]`` are f and ∇f there (the surface's, not negated,
computed outside the optimizer: they are not counted as evaluations);
``evaluations[i]`` is how many times step ``i + 1`` called the closure (the growth of
torch's ``state["func_evals"]``), so it has one entry fewer than ``positions``.  As in
tools/make_goldens.py a trajectory stops at the last sound point: a point whose loss or
gradient is non-finite, or that lies outside ``surface.runaway_box()``, is not recorded
(``stop_reason`` says why).

``state`` is torch's ``optimizer.state`` after step ``resume_at``, written with the
engine's JSON keys and values (``app.engine.optimizers.lbfgs.memory_to_json``): the test resumes the
engine from its own state there and checks that it holds what torch's does.  The script
also checks that torch itself resumes exactly: a fresh optimizer given the first half's
``state_dict()`` continues as the unbroken run does.

``exact_twin`` is torch run on exactly the engine's inputs and arithmetic: the loss and
gradient from the surface's closed-form formulas in Python floats, and torch's portable
kernels (no fused multiply-adds); the engine is held to it far more tightly.

``horizon`` measures how far torch agrees with itself under rounding-level changes, as in
tools/make_goldens.py: torch is run again with every gradient times ``1 + 2**-52``, with the
loss and gradient from the surface's closed-form formulas in Python floats (what the engine
computes), and on its portable kernels (``ATEN_CPU_CAPABILITY=default``, in a
subprocess).  Each twin's horizon is the number of leading points on which it agrees with
the golden in position, loss and gradient to ``|a - b| <= 1e-10 * |b| + 1e-12`` and in the
evaluation count of the step that led there.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import torch

from tools.golden import (
    GOLDEN_DIR,
    KEYS,
    SCALAR,
    TORCH_XP,
    ULP,
    generate_with_twins,
    horizon,
    start_of,
    surface_of,
    unsound,
)

OUT = GOLDEN_DIR / "lbfgs"
STEPS = 50
NUDGES = ("gradient_times_1_plus_ulp", "closed_form_math")


@dataclass(frozen=True)
class Config:
    """One golden: the file name stem, the surface and torch.optim.LBFGS's keyword
    arguments; then what differs from the defaults."""

    stem: str
    surface: str
    kwargs: dict[str, Any]
    start: tuple[float, ...] | None = None  # default: the surface's
    steps: int = STEPS
    maximize: bool = False  # negate the loss in the closure
    resume_at: int = 2  # the step after which torch's state is recorded


CONFIGS: tuple[Config, ...] = (
    # torch's defaults: lr 1, max_iter 20, no line search.  The first step iterates until
    # the slope along the new direction, g·d, is above -tolerance_change (13 evaluations);
    # every later step evaluates once, finds the same, and stops without moving (the
    # gradient, 1.4e-7, is just above tolerance_grad).
    Config("lbfgs-default-roll_downhill", "roll_downhill", {}),
    Config("lbfgs-strong_wolfe-roll_downhill", "roll_downhill", {"line_search_fn": "strong_wolfe"}),
    # Rosenbrock's curved valley.  Without a line search, fixed steps along the L-BFGS
    # direction reach (1, 1) in three or four outer steps of 20 iterations.  (From the
    # surface's own start, (-1.5, 2.5), torch's runs, with or without the line search,
    # part from their own rounding-level twins within 1-3 steps: 20 iterations a step
    # amplify the last bits.  Not a fair test, so these start elsewhere.)
    Config("lbfgs-default-rosenbrock", "rosenbrock", {}, start=(2.0, 3.0)),
    Config("lbfgs-lr0.5-rosenbrock", "rosenbrock", {"lr": 0.5}, start=(-1.2, 1.0)),
    # The line search spends 25 evaluations (max_eval) in the first step.
    Config(
        "lbfgs-strong_wolfe-rosenbrock",
        "rosenbrock",
        {"line_search_fn": "strong_wolfe"},
        start=(-1.2, 1.0),
    ),
    Config("lbfgs-default-himmelblau", "himmelblau", {}, start=(1.0, 1.0)),
    Config("lbfgs-strong_wolfe-himmelblau", "himmelblau", {"line_search_fn": "strong_wolfe"}),
    # A looser tolerance_grad: the first step stops once the gradient is below it, and every
    # later step returns right after its first evaluation (torch's early return, before any
    # iteration).  (With the default 1e-7 the runs above end their steps on the g·d test.)
    Config(
        "lbfgs-tolerance_grad1e-4-himmelblau",
        "himmelblau",
        {"tolerance_grad": 1e-4},
        start=(-2.0, -2.0),
    ),
    # On the plateau the gradient is tiny and the first guess, t = 1, far too short: the
    # line search grows it (at most tenfold at a time) from 1 to 918 before it brackets the
    # valley, and its zoom once moves a trial step away from an end of the bracket.
    Config("lbfgs-strong_wolfe-plateau_wall", "plateau_wall", {"line_search_fn": "strong_wolfe"}),
    # One inner iteration per step: one evaluation per step, every iteration visible.
    Config(
        "lbfgs-max_iter1-rosenbrock",
        "rosenbrock",
        {"max_iter": 1, "lr": 0.5},
        start=(-1.2, 1.0),
        resume_at=25,
    ),
    # ... where on Himmelblau the second step (t = lr = 1 along the secant direction)
    # flings the ball out of the runaway box.
    Config("lbfgs-max_iter1-himmelblau", "himmelblau", {"max_iter": 1}, resume_at=1),
    # With max_iter 1, max_eval is 1: the line search may only try its first guess, and
    # keeps it only if the loss went down; otherwise t = 0 and the ball never moves again
    # (here from step 2 on, where the pair from step 1 failed the curvature test and the
    # guess t = 1 along -g overshoots: two evaluations a step, no movement).
    Config(
        "lbfgs-max_iter1_strong_wolfe-himmelblau",
        "himmelblau",
        {"max_iter": 1, "line_search_fn": "strong_wolfe"},
        resume_at=3,
    ),
    # A short memory: from the fourth remembered pair on, the oldest is dropped.  With
    # max_iter 4, max_eval is 5, and a line search may overrun it by one (6 evaluations).
    Config(
        "lbfgs-history3_max_iter4_strong_wolfe-rosenbrock",
        "rosenbrock",
        {"history_size": 3, "max_iter": 4, "line_search_fn": "strong_wolfe"},
        start=(0.0, 0.0),
        resume_at=3,
    ),
    Config(
        "lbfgs-history3_max_iter4-rosenbrock",
        "rosenbrock",
        {"history_size": 3, "max_iter": 4},
        start=(1.5, 1.5),
        resume_at=3,
    ),
    # Maximizing (the closure returns -f): Himmelblau's local maximum near (-0.27, -0.92).
    Config("lbfgs-maximize-himmelblau", "himmelblau", {}, maximize=True, resume_at=1),
    Config(
        "lbfgs-maximize_strong_wolfe-himmelblau",
        "himmelblau",
        {"line_search_fn": "strong_wolfe"},
        maximize=True,
        resume_at=1,
    ),
)


def state_json(state: dict[str, Any]) -> dict[str, Any]:
    """torch's LBFGS state, by the engine's keys and JSON values (None: not created)."""

    def num(v: Any) -> float | None:
        return None if v is None else float(v)

    def vec(v: Any) -> list[float] | None:
        return None if v is None else [float(c) for c in v.tolist()]

    def vecs(vs: Any) -> list[list[float]] | None:
        return None if vs is None else [vec(v) for v in vs]

    return {
        "func_evals": state.get("func_evals"),
        "n_iter": state.get("n_iter"),
        "d": vec(state.get("d")),
        "t": num(state.get("t")),
        "old_dirs": vecs(state.get("old_dirs")),
        "old_stps": vecs(state.get("old_stps")),
        "ro": None if state.get("ro") is None else [float(r) for r in state["ro"]],
        "H_diag": num(state.get("H_diag")),
        "prev_flat_grad": vec(state.get("prev_flat_grad")),
        "prev_loss": num(state.get("prev_loss")),
    }


def surface_loss_and_grad(surface: Any, x: torch.Tensor) -> tuple[float, list[float]]:
    """f and ∇f at x by autograd through the surface's formula (not counted anywhere)."""
    p = x.detach().clone().requires_grad_(True)
    loss = surface.value(TORCH_XP, *p.unbind())
    loss.backward()
    assert p.grad is not None
    return loss.item(), p.grad.tolist()


def trajectory(
    config: Config, nudge: str | None = None, split_at: int | None = None
) -> dict[str, Any]:
    """Run torch's LBFGS; with ``split_at``, rebuild the optimizer from its state_dict()
    after that step (to check that torch resumes exactly)."""
    surface = surface_of(config.surface)
    sign = -1.0 if config.maximize else 1.0
    x = torch.tensor(
        start_of(config.surface, config.start), dtype=torch.float64, requires_grad=True
    )
    opt = torch.optim.LBFGS([x], **config.kwargs)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        if nudge == "closed_form_math":
            xs = x.detach().tolist()
            with torch.no_grad():
                x.grad = torch.tensor([sign * g for g in surface.grad(SCALAR, *xs)])
            return torch.tensor(sign * surface.value(SCALAR, *xs))
        loss = sign * surface.value(TORCH_XP, *x.unbind())
        loss.backward()
        if nudge == "gradient_times_1_plus_ulp":
            assert x.grad is not None
            with torch.no_grad():
                x.grad.mul_(1.0 + ULP)
        elif nudge is not None:
            raise ValueError(nudge)
        return loss

    loss, grad = surface_loss_and_grad(surface, x)
    positions, losses, gradients = [x.detach().tolist()], [loss], [grad]
    evaluations: list[int] = []
    stop_reason = None
    state = None
    for step in range(1, config.steps + 1):
        before = opt.state[x].get("func_evals", 0) if x in opt.state else 0
        opt.step(closure)
        evals = opt.state[x]["func_evals"] - before
        position = x.detach().tolist()
        loss, grad = surface_loss_and_grad(surface, x)
        why = unsound(surface, position, loss, grad)
        if why is not None:
            stop_reason = f"step {step}: {why}"
            break
        positions.append(position)
        losses.append(loss)
        gradients.append(grad)
        evaluations.append(evals)
        if step == config.resume_at:
            state = state_json(opt.state[x])
        if step == split_at:
            saved = opt.state_dict()
            opt = torch.optim.LBFGS([x], **config.kwargs)
            opt.load_state_dict(saved)
    return {
        "opt": opt,
        "positions": positions,
        "losses": losses,
        "gradients": gradients,
        "evaluations": evaluations,
        "stop_reason": stop_reason,
        "state": state,
    }


def portable_runs(configs: list[Config]) -> dict[str, Any]:
    """The unperturbed and the closed-form runs, by "stem:nudge" (run on torch's portable
    kernels: the latter is the exact twin)."""
    runs = {}
    for config in configs:
        for nudge in (None, "closed_form_math"):
            t = trajectory(config, nudge)
            runs[f"{config.stem}:{nudge}"] = {k: t[k] for k in (*KEYS, "evaluations", "state")}
    return runs


def hyperparameters(opt: torch.optim.LBFGS, maximize: bool) -> dict[str, Any]:
    """The engine's hyperparameters for torch's param group (its max_eval is the default,
    which the engine always uses; line_search_fn None is the engine's "none")."""
    group = opt.param_groups[0]
    assert group["max_eval"] == group["max_iter"] * 5 // 4
    return {
        "lr": group["lr"],
        "max_iter": group["max_iter"],
        "tolerance_grad": group["tolerance_grad"],
        "tolerance_change": group["tolerance_change"],
        "history_size": group["history_size"],
        "line_search_fn": group["line_search_fn"] or "none",
        "maximize": maximize,
    }


def golden(config: Config, portable: dict[str, Any]) -> dict[str, Any]:
    stem = config.stem
    ref = trajectory(config)
    n = len(ref["positions"])
    assert ref["state"] is not None, f"{stem}: stopped before resume_at"
    # torch resumes exactly from its state_dict.
    halves = trajectory(config, split_at=config.resume_at)
    for key in (*KEYS, "evaluations", "stop_reason"):
        assert halves[key] == ref[key], f"{stem}: torch's resumed run differs in {key}"
    twins = {nudge: trajectory(config, nudge) for nudge in NUDGES}
    twins["cpu_capability_default"] = portable[f"{stem}:None"]
    horizons = {name: horizon(twin, ref, counts=("evaluations",)) for name, twin in twins.items()}
    exact = portable[f"{stem}:closed_form_math"]
    return {
        "name": stem,
        "surface": config.surface,
        "optimizer": "lbfgs",
        "torch_kwargs": config.kwargs,
        "hyperparameters": hyperparameters(ref["opt"], config.maximize),
        "start": list(start_of(config.surface, config.start)),
        "torch_version": torch.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "steps": config.steps,
        "recorded_steps": n - 1,
        "stop_reason": ref["stop_reason"],
        "horizon": min(horizons.values()),
        "horizons": horizons,
        "resume_at": config.resume_at,
        "state": ref["state"],
        "positions": ref["positions"],
        "losses": ref["losses"],
        "gradients": ref["gradients"],
        "evaluations": ref["evaluations"],
        "exact_twin": {
            "definition": (
                "torch's run on its portable kernels (ATEN_CPU_CAPABILITY=default) with the "
                "loss and gradient from the surface's closed-form formulas in Python floats: "
                "the engine's own inputs and operation order"
            ),
            "positions": exact["positions"],
            "evaluations": exact["evaluations"],
            "state": exact["state"],
        },
    }


def line(name: str, data: dict[str, Any]) -> str:
    evals = data["evaluations"]
    return (
        f"{name:52s} recorded={data['recorded_steps']:3d} "
        f"horizon={data['horizon']:3d} {data['horizons']} evals={evals[:6]}... "
        f"total={sum(evals)} stop={data['stop_reason']}"
    )


def main(argv: list[str]) -> int:
    torch.set_default_dtype(torch.float64)
    return generate_with_twins(argv, __file__, OUT, CONFIGS, portable_runs, golden, line)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
