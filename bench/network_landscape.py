"""Benchmark: the landscape of a network (issue 24's targets), the engine's against torch's.

Prints (the machine is shared: compare the ratios, not the absolute times), each the best of
several rounds:

1. a 41×41 filter-normalised random-plane slice of a 2-16-16-1 tanh network on the 200
   points of "circle": the engine's :func:`app.engine.networks.landscape.plane` (one stacked
   forward pass over the 1,681 weight vectors) in seconds (target ≤ 0.3 s on one core), and
   the same slice in torch (``torch.func.functional_call`` under ``vmap``, float64, one
   thread) with engine ÷ torch;
2. one Hessian-vector product by the R-operator (:func:`.model.hvp`) against one gradient
   (:func:`.model.loss_and_grad`) on the same network and points (target ≤ 3×);
3. each view of the network page (:func:`app.engine.networks.views.compute`) at each detail
   for the same network trained 500 steps by three racers (SGD, momentum, Adam) — the
   seconds a student waits behind the progress bar, training included.

torch is not a dependency of the app: without it the engine's figures are printed alone,
with a line saying so.

Run: `make bench` (or `.venv/bin/python bench/network_landscape.py`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.engine.networks.landscape import filter_normalised, plane  # noqa: E402
from app.engine.networks.model import hvp, layers_of, loss_and_grad  # noqa: E402
from app.engine.networks.scenario import build  # noqa: E402
from app.engine.networks.views import DETAIL, VIEWS, ViewRequest, compute  # noqa: E402

SIDE = 41
ROUNDS = 5


def best(fn: Callable[[], object], rounds: int = ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    s = build(
        {
            "data": {"dataset": "circle", "points": 200, "test_ratio": 0},
            "model": {"hidden": [16, 16]},
        }
    )
    st = s.setup
    theta = s.theta0
    d1 = filter_normalised(st.spec, theta, 0, 0)
    d2 = filter_normalised(st.spec, theta, 0, 1)
    axis = np.linspace(-1.0, 1.0, SIDE)
    X, y = st.x_train, st.y_train

    engine = best(lambda: plane(st.spec, theta, d1, d2, X, y, axis, axis))
    print(f"{SIDE}×{SIDE} random-plane slice, 2-16-16-1 tanh, 200 points (P = {st.spec.size}):")
    print(f"  engine  {engine:.3f} s   (target ≤ 0.3 s)")
    try:
        import torch
    except ImportError:
        print("  torch   not installed: pip install torch==2.13.0 for the comparison")
    else:
        torch.set_num_threads(1)
        torch.set_default_dtype(torch.float64)
        net = torch.nn.Sequential(
            torch.nn.Linear(2, 16),
            torch.nn.Tanh(),
            torch.nn.Linear(16, 16),
            torch.nn.Tanh(),
            torch.nn.Linear(16, 1),
        )
        names = [n for n, _ in net.named_parameters()]
        shapes = [p.shape for p in net.parameters()]
        tX, ty = torch.tensor(X), torch.tensor(y)[:, None]
        loss = torch.nn.BCEWithLogitsLoss()

        def one(flat: torch.Tensor) -> torch.Tensor:
            params, k = {}, 0
            for name, shape in zip(names, shapes, strict=True):
                size = int(np.prod(shape))
                params[name] = flat[k : k + size].reshape(shape)
                k += size
            return loss(torch.func.functional_call(net, params, (tX,)), ty)

        a, b = np.meshgrid(axis, axis)
        thetas = torch.tensor(theta + a.reshape(-1, 1) * d1 + b.reshape(-1, 1) * d2)
        assert len(layers_of(st.spec, theta)) == 3
        batched = torch.func.vmap(one)
        with torch.no_grad():
            torch_time = best(lambda: batched(thetas))
            ours = plane(st.spec, theta, d1, d2, X, y, axis, axis).ravel()
            theirs = batched(thetas).numpy()
        print(f"  torch   {torch_time:.3f} s   (vmap of functional_call)")
        gap = np.abs(ours - theirs).max()
        print(f"  engine ÷ torch  {engine / torch_time:.2f}   (largest difference {gap:.1e})")

    v = np.random.default_rng(0).standard_normal((1, st.spec.size))
    g = best(lambda: loss_and_grad(st.spec, theta, X, y), 50)
    h = best(lambda: hvp(st.spec, theta, X, y, v), 50)
    print("One Hessian-vector product against one gradient (same network and points):")
    print(f"  gradient {g * 1e6:.0f} µs   HVP {h * 1e6:.0f} µs   ratio {h / g:.2f}   (target ≤ 3)")
    views()


def views() -> None:
    s = build(
        {
            "data": {"dataset": "circle", "points": 200},
            "model": {"hidden": [16, 16]},
            "optimizers": [
                {"optimizer": "sgd", "hyperparameters": {"lr": 0.3}},
                {"optimizer": "sgd", "hyperparameters": {"lr": 0.1, "momentum": 0.9}},
                {"optimizer": "adam", "hyperparameters": {"lr": 0.01}},
            ],
            "steps": 500,
        }
    )
    print("Each view of the network page, 2-16-16-1 tanh, 3 racers × 500 steps (seconds):")
    print(f"  {'detail':<8}" + "".join(f"{kind:>11}" for kind in VIEWS))
    for detail, sizes in DETAIL.items():
        row = [best(partial(compute, s, ViewRequest(kind, sizes)), 2) for kind in VIEWS]
        print(f"  {detail:<8}" + "".join(f"{t:>11.2f}" for t in row))


if __name__ == "__main__":
    main()
