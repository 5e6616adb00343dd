"""Benchmark: how long a network's landscape view takes against the server's estimate.

POST /api/networks/views refuses a view whose estimated seconds are over
DESCENT_LAB_MAP_MAX_SECONDS, naming `detail` (app/api/network_views.py, ``seconds_of``): the
estimate should err long, never short by much. For each network below × view × detail, the
view is checked as the server checks it (``prepare_view``, default settings) and computed
as its job computes it; printed: its units of work, the estimate, the CPU seconds it took
and measured ÷ estimate (target: at most 1, and not far below it for the common networks),
then the smallest, median and largest ratio.

Pin it to one core: `taskset -c 1 .venv/bin/python bench/network_views.py [network …]`
(networks: page, wide, large, lbfgs; default all; `large` takes a minute or two).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.api.network_views import prepare_view  # noqa: E402
from app.api.schemas.network_views import NetworkViewRequest  # noqa: E402
from app.engine.networks.views import DETAIL, VIEWS  # noqa: E402
from app.settings import Settings  # noqa: E402

THREE = [
    {"optimizer": "sgd", "hyperparameters": {"lr": 0.1}},
    {"optimizer": "sgd", "hyperparameters": {"lr": 0.1, "momentum": 0.9}},
    {"optimizer": "adam", "hyperparameters": {"lr": 0.01}},
]
NETWORKS: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    # the page's default: circle, 200 points, 2-4-4-1 tanh, SGD in batches of 10
    "page": ({"options": {"batch_size": 10}, "steps": 500}, ("coarse", "normal", "fine")),
    "wide": (
        {"model": {"hidden": [16, 16]}, "optimizers": THREE, "steps": 500},
        ("normal", "fine"),
    ),
    # the default limits' largest network, three racers
    "large": (
        {
            "data": {"dataset": "spiral", "points": 1000},
            "model": {"hidden": [16, 16, 16, 16]},
            "optimizers": THREE,
            "steps": 2000,
        },
        ("normal",),
    ),
    "lbfgs": (
        {
            "model": {"hidden": [8]},
            "optimizers": [
                {"optimizer": "lbfgs", "hyperparameters": {"lr": 0.5}},
                {"optimizer": "newton", "hyperparameters": {"lr": 0.5, "damping": 0.1}},
            ],
            "steps": 100,
        },
        ("normal",),
    ),
}


def measure(body: dict[str, Any], view: str, detail: str) -> tuple[int, float, float]:
    """The view's units of work, its estimated seconds, and the CPU seconds it took."""
    req = NetworkViewRequest.model_validate({**body, "view": view, "detail": detail})
    job = prepare_view(req, Settings(map_max_seconds=1e9))
    start = time.process_time()
    job.compute(lambda n: None)
    return job.total, job.estimate, time.process_time() - start


def main(names: list[str]) -> None:
    ratios = []
    print(f"{'network':8} {'view':10} {'detail':7} {'work':>7} {'estimate':>9} {'took':>8} ratio")
    for name in names:
        body, details = NETWORKS[name]
        for detail in details:
            for view in VIEWS:
                total, estimate, took = measure(body, view, detail)
                ratios.append(took / estimate)
                print(
                    f"{name:8} {view:10} {detail:7} {total:7,} {estimate:8.2f}s {took:7.2f}s "
                    f"{took / estimate:5.2f}",
                    flush=True,
                )
    print(
        f"measured ÷ estimate: min {min(ratios):.2f}, median {statistics.median(ratios):.2f}, "
        f"max {max(ratios):.2f} (target ≤ 1; details {', '.join(DETAIL)})"
    )


if __name__ == "__main__":
    main(sys.argv[1:] or list(NETWORKS))
