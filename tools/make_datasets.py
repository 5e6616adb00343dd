"""Regenerate the built-in data sets (app/engine/surfaces/models/datasets.json).

Each set is drawn once from a fixed seed and shipped as data, so the landscapes, lessons
and tests never depend on numpy's generator staying the same between versions:

    python -m tools.make_datasets

Values are rounded to two decimals: the points a student reads off the data panel.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

SEED = 20261201
# app.engine.surfaces.models.data reads it (not imported here: it loads the file on import)
DATASETS_FILE = Path(__file__).parents[1] / "app/engine/surfaces/models/datasets.json"


def _rounded(values: np.ndarray) -> list[float]:
    return [round(float(v), 2) + 0.0 for v in values]


def build() -> list[dict]:
    rng = np.random.default_rng(SEED)
    sets = []

    x = np.sort(rng.uniform(-2.0, 2.5, 20))
    y = 1.2 * x - 0.8 + rng.normal(0.0, 0.45, x.shape)
    sets.append(
        {
            "id": "noisy_line",
            "name": "A line with noise",
            "kind": "regression",
            "description": "Twenty points scattered around y = 1.2x − 0.8.",
            "x": _rounded(x),
            "y": _rounded(y),
        }
    )

    x = np.sort(rng.uniform(-2.0, 2.5, 15))
    y = 1.2 * x - 0.8 + rng.normal(0.0, 0.15, x.shape)
    x, y = np.append(x, 2.2), np.append(y, -3.2)  # one point far below the line
    sets.append(
        {
            "id": "outlier",
            "name": "A line with one outlier",
            "kind": "regression",
            "description": "Fifteen points close to y = 1.2x − 0.8, and one far below it.",
            "x": _rounded(x),
            "y": _rounded(y),
        }
    )

    x0, x1 = rng.normal(-0.8, 0.9, 15), rng.normal(0.8, 0.9, 15)
    sets.append(
        {
            "id": "overlap",
            "name": "Two classes that overlap",
            "kind": "classes",
            "description": "Class 0 around x = −0.8, class 1 around x = 0.8: no threshold "
            "splits them cleanly.",
            "x": _rounded(np.concatenate([x0, x1])),
            "y": [0.0] * 15 + [1.0] * 15,
        }
    )

    x0, x1 = rng.uniform(-2.5, -0.4, 12), rng.uniform(0.4, 2.5, 12)
    sets.append(
        {
            "id": "separable",
            "name": "Two classes that separate",
            "kind": "classes",
            "description": "Class 0 left of x = −0.4, class 1 right of x = 0.4: a threshold "
            "splits them perfectly.",
            "x": _rounded(np.concatenate([x0, x1])),
            "y": [0.0] * 12 + [1.0] * 12,
        }
    )

    x = np.sort(rng.uniform(-2.5, 2.5, 24))
    y = np.tanh(1.5 * x) + rng.normal(0.0, 0.1, x.shape)
    sets.append(
        {
            "id": "tanh_curve",
            "name": "An S-shaped curve",
            "kind": "regression",
            "description": "Twenty-four points around y = tanh(1.5x): what the small "
            "network y = w₂·tanh(w₁·x) can fit.",
            "x": _rounded(x),
            "y": _rounded(y),
        }
    )
    return sets


def main() -> None:
    text = json.dumps(build(), indent=1, ensure_ascii=False) + "\n"
    Path(DATASETS_FILE).write_text(text, encoding="utf-8")
    print(f"wrote {DATASETS_FILE}")


if __name__ == "__main__":
    main()
