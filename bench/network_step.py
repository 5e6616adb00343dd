"""Benchmark: one training step of a small network, the engine's against torch's.

Prints (the machine is shared: compare the ratios, not the absolute times), each as the
best of several rounds, in µs per step:

1. a 2-8-8-1 tanh network on the 200 points of "circle", Adam (lr 0.01), full batch: the
   engine's ``NetworkRun.advance`` (the step, and the record a run keeps: train loss and
   accuracy after it) against torch's ``zero_grad(); loss.backward(); optimizer.step()`` on
   the same network in float64, in this process on one thread — and engine ÷ torch
   (target ≤ 0.5);
2. the same for a 2-16-16-16-16-3 ReLU network with softmax and cross-entropy on
   "three_classes", and for L-BFGS (strong Wolfe, one iteration a step, so that neither side
   converges and stops stepping within the 200 steps) on the 2-8-8-1 network, whose line
   search may evaluate the loss and gradient more than once a step (torch's closure calls
   per step are printed).

torch is not a dependency of the app: without it the engine's half is printed alone, with a
line saying so.

Run: `make bench` (or `.venv/bin/python bench/network_step.py`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.engine.networks.data import generate  # noqa: E402
from app.engine.networks.model import init_weights, layers_of  # noqa: E402
from app.engine.networks.train import NetworkRun, Setup, setup  # noqa: E402
from app.engine.optimizers import OPTIMIZERS  # noqa: E402
from app.engine.run.options import validate_options  # noqa: E402

try:
    import torch
except ImportError:  # torch is not a dependency of the app
    torch = None

REPEATS = 5
STEPS = 200


def best_of(work: Callable[[], None], steps: int) -> float:
    """µs per step: the fastest of REPEATS rounds of ``work`` (``steps`` steps each)."""
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        work()
        times.append(time.perf_counter() - t)
    return min(times) / steps * 1e6


def network(dataset: str, hidden: tuple[int, ...], activation: str) -> Setup:
    data = generate(dataset, 200, 0.1, 0)
    return setup(data, ("x1", "x2"), hidden, activation)


def engine_step(s: Setup, optimizer: str, hp: dict[str, Any]) -> float:
    """The engine's µs per step."""
    opt = OPTIMIZERS[optimizer]
    hyperparameters = opt.validate(hp)
    theta0 = init_weights(s.spec, "xavier", 0)
    options = validate_options({}, len(s.y_train))
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        run = NetworkRun(s, opt, hyperparameters, theta0=theta0, options=options)
        run.advance(STEPS)
        times.append(time.perf_counter() - t)
        assert run.step == STEPS, f"the engine's run stopped after {run.step} steps"
    return min(times) / STEPS * 1e6


def torch_step(s: Setup, optimizer: str, hp: dict[str, Any]) -> tuple[float, float]:
    """torch's µs per step on the same network, data and initial weights (float64, one
    thread), and closure calls per step."""
    assert torch is not None
    torch.set_num_threads(1)
    spec = s.spec
    sizes = (spec.inputs, *spec.hidden, spec.outputs)
    act = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[spec.activation]
    modules: list[Any] = []
    for i in range(len(sizes) - 1):
        modules.append(torch.nn.Linear(sizes[i], sizes[i + 1], dtype=torch.float64))
        if i < len(sizes) - 2:
            modules.append(act())
    x = torch.tensor(s.x_train, dtype=torch.float64)
    if spec.head == "ce":
        y = torch.tensor(s.y_train).long()
        loss_fn: Any = torch.nn.CrossEntropyLoss()
    else:
        y = torch.tensor(s.y_train, dtype=torch.float64)[:, None]
        loss_fn = torch.nn.BCEWithLogitsLoss()
    layers = layers_of(spec, init_weights(spec, "xavier", 0))
    calls = [0]

    def work() -> None:
        model = torch.nn.Sequential(*modules)
        with torch.no_grad():
            linears = [m for m in model if isinstance(m, torch.nn.Linear)]
            for linear, layer in zip(linears, layers, strict=True):
                linear.weight.copy_(torch.tensor(layer["weight"]))
                linear.bias.copy_(torch.tensor(layer["bias"]))
        if optimizer == "adam":
            opt: Any = torch.optim.Adam(model.parameters(), **hp)
        else:
            opt = torch.optim.LBFGS(model.parameters(), **hp)

        def closure() -> Any:
            calls[0] += 1
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            return loss

        for _ in range(STEPS):
            if optimizer == "adam":
                closure()
                opt.step()
            else:
                opt.step(closure)

    us = best_of(work, STEPS)
    return us, calls[0] / (REPEATS * STEPS)


def main() -> None:
    cases = (
        ("2-8-8-1 tanh, Adam", network("circle", (8, 8), "tanh"), "adam", {"lr": 0.01}, True),
        (
            "2-16-16-16-16-3 ReLU CE, Adam",
            network("three_classes", (16, 16, 16, 16), "relu"),
            "adam",
            {"lr": 0.01},
            False,
        ),
        (
            "2-8-8-1 tanh, L-BFGS",
            network("circle", (8, 8), "tanh"),
            "lbfgs",
            {"max_iter": 1, "line_search_fn": "strong_wolfe"},
            False,
        ),
    )
    print(f"one training step on 200 points, full batch, µs per step (best of {REPEATS} × {STEPS})")
    if torch is None:
        print("  torch is not installed: the engine's times only (pip install torch to compare)")
    for label, s, optimizer, hp, target in cases:
        ours = engine_step(s, optimizer, hp)
        line = f"  {label:32s} P={s.spec.size:4d}  engine {ours:8.1f}"
        if torch is not None:
            torch_hp = {"lr": hp["lr"]} if optimizer == "adam" else hp
            theirs, torch_calls = torch_step(s, optimizer, torch_hp)
            line += f"   torch {theirs:8.1f}"
            if optimizer == "lbfgs":
                line += f" ({torch_calls:.1f} evaluations/step)"
            line += f"   engine ÷ torch {ours / theirs:5.2f}"
            if target:
                line += f" (target ≤ 0.5: {'met' if ours / theirs <= 0.5 else 'not met'})"
        print(line)
    print(f"  numpy {np.__version__}" + ("" if torch is None else f", torch {torch.__version__}"))


if __name__ == "__main__":
    main()
