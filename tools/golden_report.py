"""Print each optimizer's worst difference to its reference over the checked-in goldens.

For every golden (``tests/golden/*.json`` and the networks' ``tests/golden/networks/``), the
engine's run as the golden tests make it, compared within the golden's horizon: the largest
relative difference where |reference| > 1e-3 and the largest absolute difference elsewhere,
per recorded quantity (positions, losses and each per-step extra; θ and the training loss on
a network).  Grouped by optimizer, SAM's goldens (stems ``sam-``, ``asam-``) apart.

    .venv/bin/python tools/golden_report.py [optimizer ...]
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.engine import test_goldens as landscapes  # noqa: E402
from tests.engine import test_network_goldens as networks  # noqa: E402

LANDSCAPE_KEYS = (
    "positions",
    "losses",
    "averages",
    "step_sizes",
    "ascent_points",
    "ascent_gradients",
)
NETWORK_KEYS = ("theta", "train_loss")
BIG = 1e-3


def group(name: str, golden: dict) -> str:
    return "sam" if name.startswith(("sam-", "asam")) else golden["optimizer"]


def worst(ours: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    """(largest relative difference where |ref| > BIG, largest absolute one elsewhere)."""
    a, b = np.asarray(ours, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    sound = np.isfinite(a) & np.isfinite(b)
    big = sound & (np.abs(b) > BIG)
    rel = float((np.abs(a - b)[big] / np.abs(b)[big]).max(initial=0.0))
    return rel, float(np.abs(a - b)[sound & ~big].max(initial=0.0))


def main(wanted: list[str]) -> None:
    rows: dict[str, list[str]] = defaultdict(list)
    for name in landscapes.GOLDEN_FILES:
        g = landscapes.load(name)
        if wanted and group(name, g) not in wanted:
            continue
        ours, ref = landscapes.engine_arrays(g), landscapes.golden_arrays(g)
        upto = min(g["horizon"], len(ours["positions"]), len(ref["positions"]))
        parts = [
            "{} {:.2g} (abs {:.2g})".format(k, *worst(ours[k][:upto], ref[k][:upto]))
            for k in LANDSCAPE_KEYS
            if k in ref
        ]
        rows[group(name, g)].append(f"  {name}: " + ", ".join(parts))
    for name in networks.GOLDEN_FILES:
        g = networks.load(name)
        if wanted and group(name, g) not in wanted:
            continue
        ours, ref = networks.engine_run(g), networks.golden_arrays(g)
        parts = [
            "{} {:.2g} (abs {:.2g})".format(k, *worst(ours[k], ref[k])) for k in NETWORK_KEYS
        ]
        rows[group(name, g)].append(f"  networks/{name}: " + ", ".join(parts))
    for key in sorted(rows):
        print(f"{key}: worst relative difference where |reference| > {BIG:g} (absolute below)")
        print("\n".join(rows[key]))


if __name__ == "__main__":
    main(sys.argv[1:])
