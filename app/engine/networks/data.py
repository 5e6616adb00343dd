"""The points a network learns from: built-in sets, a student's own points, a CSV file.

Every built-in set is generated, never downloaded, by
``numpy.random.default_rng([seed, key])`` (``key`` one number per set) with the Generator's
``uniform``, ``standard_normal``, ``integers`` and ``permutation`` only.  The classes have
equal counts (one more for the first ``points % K``), and the points come shuffled.  The
same seed gives the same points at any noise: noise only moves them.

=================  ===========================================================  ==================
set                the clean shape (noise 0)                                    noise 0–1 moves
=================  ===========================================================  ==================
``circle``         class 1 fills a disc of radius 2, class 0 a ring of radii    each coordinate
                   3.5–4.5 around it (TensorFlow Playground's circle)           by ±1.5·noise
``xor``            |x₁|, |x₂| from 0.3 to 5; class 1 where x₁·x₂ > 0            by ±noise
``gaussians``      round clouds around (−2, −2) (class 0) and (2, 2) (class 1)  s.d. 0.6+0.9·noise
``spiral``         two arms from radius 0.5 to 5, turning 1¾ times              by ±noise
``moons``          two interleaved half circles (sklearn's make_moons shape,    by ±1.5·noise
                   scaled by 2.5 and centred)
``three_classes``  three round clouds 3 from the origin, 120° apart             s.d. 0.6+0.9·noise
``sine``           y = sin x, x uniform on [−3, 3]                              y by noise·N(0,1)
``step``           y = −1 left of x = 0, +1 from it on                          y by noise·N(0,1)
=================  ===========================================================  ==================

"±" is a uniform jitter of at most that much; "s.d." the clouds' standard deviation.

    >>> d = generate("circle", 200, 0.1, seed=0)
    >>> d.x.shape, d.task, d.classes, np.bincount(d.y.astype(int)).tolist()
    ((200, 2), 'binary', 2, [100, 100])
    >>> bool((generate("circle", 200, 0.1, seed=0).x == d.x).all())
    True
    >>> generate("sine", 100, 0.1, seed=0).x.shape
    (100, 1)

A CSV file has two columns ``x,y`` (a curve) or three ``x1,x2,label`` (classes; the labels
0–9 numbered from 0 with none missing — a gap is refused, not renumbered, so a class keeps
the number and colour the student gave it).  The header row is optional; ``;`` or tab may
separate the values (then a decimal comma is read as a point); blank lines are skipped but
still counted, so "row 7" is the spreadsheet's row 7:

    >>> parse_csv("x1,x2,label\\n0,1,0\\n1,0,1\\n").y.tolist()
    [0.0, 1.0]
    >>> parse_csv("x1,x2,label\\n0,1,0\\n1,abc,1\\n")
    Traceback (most recent call last):
    ...
    app.engine.networks.data.NetworkError: data.csv: row 3: x2 is 'abc', not a number

The features a network sees are columns computed from the points:

    >>> feature_matrix(np.array([[2.0, 3.0]]), ["x1", "x1x2", "x2sq"]).tolist()
    [[2.0, 6.0, 9.0]]
    >>> [i.tolist() for i in split(5, 0.4, seed=0)]
    [[0, 1, 3], [2, 4]]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

import numpy as np

from ..errors import FieldError

MAX_POINTS = 1000  # points in one data set
MAX_VALUE = 1000.0  # |every coordinate and target| at most this
MAX_LABEL = 9  # classes are 0 to 9

Task = Literal["binary", "multiclass", "regression"]
TASKS: tuple[Task, ...] = get_args(Task)


class NetworkError(FieldError):
    """A network's data or model refused: ``field`` names what to change (``data.csv`` …)."""


@dataclass(frozen=True, eq=False)
class NetData:
    x: np.ndarray  # (n, d) float64: d = 2 for classes, 1 for a curve
    y: np.ndarray  # (n,) float64: the class 0..K-1, or the target
    task: Task
    classes: int  # 2 binary, K multiclass, 0 regression
    id: str = ""  # a built-in set's id; "" for own points and CSV
    name: str = "Your points"


@dataclass(frozen=True)
class DatasetInfo:
    id: str
    name: str
    task: Task
    classes: int
    description: str
    points: int  # the default count
    noise: float  # the default noise


Rng = np.random.Generator
Shape = Callable[[Rng, list[int], float], list[np.ndarray]]  # (rng, counts, noise) → per class


def _polar(r: np.ndarray, t: np.ndarray) -> np.ndarray:
    return np.column_stack((r * np.cos(t), r * np.sin(t)))


def _jitter(rng: Rng, points: np.ndarray, reach: float) -> np.ndarray:
    return points + rng.uniform(-1.0, 1.0, points.shape) * reach


def _circle(rng: Rng, counts: list[int], noise: float) -> list[np.ndarray]:
    ring, disc = counts
    ring_points = _polar(
        np.sqrt(rng.uniform(3.5**2, 4.5**2, ring)), rng.uniform(0, 2 * np.pi, ring)
    )
    disc_points = _polar(2 * np.sqrt(rng.uniform(0, 1, disc)), rng.uniform(0, 2 * np.pi, disc))
    return [_jitter(rng, p, 1.5 * noise) for p in (ring_points, disc_points)]


def _xor(rng: Rng, counts: list[int], noise: float) -> list[np.ndarray]:
    parts = []
    for k, n in enumerate(counts):
        sign = 2.0 * rng.integers(0, 2, n) - 1.0  # which of the class's two quadrants
        signs = np.column_stack((sign, sign if k == 1 else -sign))
        parts.append(_jitter(rng, rng.uniform(0.3, 5.0, (n, 2)) * signs, noise))
    return parts


def _clouds(centres: list[tuple[float, float]]) -> Shape:
    def shape(rng: Rng, counts: list[int], noise: float) -> list[np.ndarray]:
        spread = 0.6 + 0.9 * noise
        return [
            np.array(c) + spread * rng.standard_normal((n, 2))
            for c, n in zip(centres, counts, strict=True)
        ]

    return shape


def _spiral(rng: Rng, counts: list[int], noise: float) -> list[np.ndarray]:
    parts = []
    for k, n in enumerate(counts):
        u = rng.uniform(0, 1, n)
        arm = _polar(0.5 + 4.5 * u, 1.75 * 2 * np.pi * u + k * np.pi)
        parts.append(_jitter(rng, arm, noise))
    return parts


def _moons(rng: Rng, counts: list[int], noise: float) -> list[np.ndarray]:
    upper, lower = (rng.uniform(0, np.pi, n) for n in counts)
    arcs = (
        np.column_stack((np.cos(upper), np.sin(upper))),
        np.column_stack((1 - np.cos(lower), 0.5 - np.sin(lower))),
    )
    return [_jitter(rng, 2.5 * (a - (0.5, 0.25)), 1.5 * noise) for a in arcs]


def _step(x: np.ndarray) -> np.ndarray:
    return np.where(x < 0.0, -1.0, 1.0)


_THIRDS = [(3 * math.cos(a), 3 * math.sin(a)) for a in np.pi / 2 + 2 * np.pi / 3 * np.arange(3)]
Curve = Callable[[np.ndarray], np.ndarray]
# id: (name, classes (0: a curve), seed key, the classes' shape or the curve, description)
# fmt: off
_SETS: dict[str, tuple[str, int, int, Shape | Curve, str]] = {
    "circle": ("Circle", 2, 1, _circle, "A disc of one class inside a ring of the other: "
               "no straight line separates them; x₁² and x₂² do."),
    "xor": ("XOR", 2, 2, _xor, "Opposite quadrants share a class: a linear model fails, "
            "one hidden layer (or the x₁x₂ feature) succeeds."),
    "gaussians": ("Two Gaussians", 2, 3, _clouds([(-2.0, -2.0), (2.0, 2.0)]), "Two round "
                  "clouds a straight line separates; noise widens them until they overlap."),
    "spiral": ("Spiral", 2, 4, _spiral, "Two interleaved spiral arms: the hardest set, "
               "for a deeper network (or the sin features)."),
    "moons": ("Two moons", 2, 5, _moons, "Two interleaved half circles: a curved boundary."),
    "three_classes": ("Three classes", 3, 6, _clouds(_THIRDS), "Three round clouds: softmax "
                      "and cross-entropy pick one class of three."),
    "sine": ("Sine", 0, 7, np.sin, "A noisy sine wave over x from −3 to 3: a curve to fit."),
    "step": ("Step", 0, 8, _step, "A noisy step from −1 to +1 at x = 0: a jump for smooth "
             "units to fit."),
}
# fmt: on
_TASKS: dict[int, Task] = {0: "regression", 2: "binary", 3: "multiclass"}
DATASETS: dict[str, DatasetInfo] = {
    key: DatasetInfo(key, name, _TASKS[k], k, text, 200 if k else 100, 0.1)
    for key, (name, k, _, _, text) in _SETS.items()
}


def _seed(seed: Any, field: str) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise NetworkError(field, f"must be a whole number ≥ 0, got {seed!r}")
    return int(seed)


def generate(dataset: str, points: int, noise: float, seed: int) -> NetData:
    """A built-in set of ``points`` points; ``noise`` 0 to 1 (see the table above)."""
    if not isinstance(dataset, str) or dataset not in DATASETS:
        raise NetworkError("data.dataset", f"unknown data set {dataset!r}: one of {list(DATASETS)}")
    info = DATASETS[dataset]
    least = max(info.classes, 2)
    if isinstance(points, bool) or not isinstance(points, int | np.integer):
        raise NetworkError("data.points", f"must be a whole number, got {points!r}")
    if not least <= points <= MAX_POINTS:
        raise NetworkError("data.points", f"must be {least} to {MAX_POINTS}, got {points}")
    if isinstance(noise, bool) or not isinstance(noise, int | float) or not 0 <= noise <= 1:
        raise NetworkError("data.noise", f"must be from 0 to 1, got {noise!r}")
    _, _, key, make, _ = _SETS[dataset]
    rng = np.random.default_rng([_seed(seed, "data.seed"), key])
    if info.task == "regression":
        x = rng.uniform(-3.0, 3.0, points)
        y = cast(Curve, make)(x) + noise * rng.standard_normal(points)
        return NetData(x[:, None], y, info.task, 0, info.id, info.name)
    k = info.classes
    counts = [points // k + (c < points % k) for c in range(k)]
    xs = np.concatenate(cast(Shape, make)(rng, counts, float(noise)))
    ys = np.repeat(np.arange(k, dtype=np.float64), counts)
    order = rng.permutation(points)
    return NetData(xs[order], ys[order], info.task, k, info.id, info.name)


def _shown(value: Any) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int of more than 4300 digits
        return "a number too long to show"
    return text if len(text) <= 24 else f"{text[:20]}…{text[-1]}"


def _problem(value: float, name: str, given: Any) -> str:
    """What is wrong with one number of a point ("" if nothing); ``given`` as it was given."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"{name} is {_shown(given)}, not a finite number"
    if abs(value) > MAX_VALUE:
        return f"{name} is {_shown(given)}, beyond ±{MAX_VALUE:g}"
    if name == "label" and (value != int(value) or not 0 <= value <= MAX_LABEL):
        return f"label is {_shown(given)}, not a class 0 to {MAX_LABEL}"
    return ""


def _number(value: Any, name: str, field: str) -> float:
    """One number a request gave (JSON): a finite float in range, or a class label."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NetworkError(field, f"{name} must be a number, got {_shown(value)}")
    if problem := _problem(value, name, value):
        raise NetworkError(field, problem)
    return float(value)


def _finished(x: np.ndarray, y: np.ndarray, task: Task, field: str) -> NetData:
    """Points checked one by one become a data set once the whole holds up."""
    if len(y) < 2:
        raise NetworkError(field, f"give at least two points, got {len(y)}")
    if task == "regression":
        return NetData(x, y, task, 0)
    present = np.unique(y).astype(int).tolist()
    if len(present) == 1:
        raise NetworkError(
            field,
            f"all {len(y)} points are class {present[0]}: a classifier needs at least two classes",
        )
    missing = sorted(set(range(present[-1])) - set(present))
    if missing:
        raise NetworkError(
            field,
            f"no point is class {missing[0]}, yet class {present[-1]} has points: "
            "number the classes 0, 1, 2 … with none missing",
        )
    return NetData(x, y, task, len(present))


def own_points(x: Sequence[Any], y: Sequence[Any], task: Task) -> NetData:
    """A student's points: ``x`` a list of ``[x1, x2]`` (classes) or ``[x]`` (a curve), ``y``
    the classes 0–9 (binary: 0 and 1) or the targets.  A multiclass set may have two classes
    (softmax over two); a binary one has exactly 0 and 1."""
    if task not in TASKS:
        raise NetworkError("data.task", f"must be one of {list(TASKS)}, got {_shown(task)}")
    for name, values in (("x", x), ("y", y)):
        if not isinstance(values, list | tuple):
            raise NetworkError(f"data.{name}", f"must be a list, got {_shown(values)}")
    if len(x) > MAX_POINTS:
        raise NetworkError("data.x", f"at most {MAX_POINTS} points, got {len(x)}")
    if len(x) != len(y):
        raise NetworkError("data.y", f"give one y per point: {len(x)} points, {len(y)} y")
    *names, target = ("x", "y") if task == "regression" else ("x1", "x2", "label")
    rows = []
    for i, point in enumerate(x):
        if not isinstance(point, list | tuple) or len(point) != len(names):
            shape = "[x]" if task == "regression" else "[x1, x2]"
            raise NetworkError(f"data.x.{i}", f"a point is {shape}, got {_shown(point)}")
        rows.append([_number(v, name, f"data.x.{i}") for v, name in zip(point, names, strict=True)])
    targets = [_number(v, target, f"data.y.{i}") for i, v in enumerate(y)]
    if task == "binary":
        for i, v in enumerate(targets):
            if v not in (0, 1):
                raise NetworkError(
                    f"data.y.{i}", f"binary points are class 0 or 1, got {_shown(y[i])}"
                )
    coordinates = np.array(rows, dtype=np.float64).reshape(len(x), len(names))
    return _finished(coordinates, np.array(targets, dtype=np.float64), task, "data.y")


COLUMNS = {2: ("x", "y"), 3: ("x1", "x2", "label")}  # a CSV file's columns by their count
_LAYOUT = "give x1,x2,label (classes) or x,y (a curve)"


def _float(text: str, decimal_comma: bool) -> float | None:
    try:
        return float(text.replace(",", ".") if decimal_comma else text)
    except ValueError:
        return None


def _cell(text: str, name: str, row: int, decimal_comma: bool) -> float:
    """One CSV cell as a number, or NetworkError("data.csv", "row 4: x2 is 'abc', …")."""
    value = _float(text, decimal_comma) if text else None
    if value is None:
        why = f"{_shown(text)}, not a number" if text else "empty"
        raise NetworkError("data.csv", f"row {row}: {name} is {why}")
    if problem := _problem(value, name, text):
        raise NetworkError("data.csv", f"row {row}: {problem}")
    return value


def _many(n: int, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"


def parse_csv(text: str) -> NetData:
    """Points from a CSV file's text (see the module's docstring), all of them or a
    NetworkError("data.csv", "row N: …") naming the first row that cannot be read."""
    if not isinstance(text, str):
        raise NetworkError("data.csv", f"must be text, got {_shown(text)}")
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    first = next((line for line in lines if line.strip()), "")
    sep = "\t" if "\t" in first else ";" if ";" in first else ","
    rows: list[tuple[int, list[str]]] = []  # (the file's row number, the cells)
    for number, line in enumerate(lines, 1):
        cells = [c.strip().removeprefix('"').removesuffix('"').strip() for c in line.split(sep)]
        if any(cells):  # blank lines and rows of empty cells (",,") are skipped
            rows.append((number, cells))
    if not rows:
        raise NetworkError("data.csv", f"the file is empty: {_LAYOUT}")
    head_row, head = rows[0]
    if len(head) not in COLUMNS:
        raise NetworkError("data.csv", f"row {head_row}: {_many(len(head), 'column')}: {_LAYOUT}")
    names = COLUMNS[len(head)]
    if all(_float(cell, sep != ",") is None for cell in head):
        rows = rows[1:]  # a header
    if not rows:
        raise NetworkError("data.csv", f"no rows of numbers below the header: {_LAYOUT}")
    values = []
    for count, (number, cells) in enumerate(rows, 1):
        if count > MAX_POINTS:
            raise NetworkError("data.csv", f"row {number}: more than {MAX_POINTS} points")
        if len(cells) != len(names):
            raise NetworkError(
                "data.csv",
                f"row {number}: {_many(len(cells), 'value')}, but row {head_row} has {len(head)}",
            )
        values.append(
            [_cell(c, name, number, sep != ",") for c, name in zip(cells, names, strict=True)]
        )
    table = np.array(values, dtype=np.float64)
    x, y = table[:, :-1], table[:, -1]
    task: Task = "regression" if len(names) == 2 else "binary"
    if task == "binary" and len(np.unique(y)) > 2:
        task = "multiclass"
    return _finished(x, y, task, "data.csv")


_SPLIT_KEY = 100  # split's seed key, apart from the data sets' 1 to 8


def split(n: int, test_ratio: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted indices (train, test) of n points: round(n·test_ratio) test points drawn by
    the seed, at most n − 1 of them, so at least one point is left to train on."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise NetworkError("data.points", f"must be at least 1, got {n!r}")
    ok = isinstance(test_ratio, int | float) and not isinstance(test_ratio, bool)
    if not ok or not 0 <= test_ratio <= 0.9:
        raise NetworkError("data.test_ratio", f"must be from 0 to 0.9, got {_shown(test_ratio)}")
    tests = min(math.floor(n * test_ratio + 0.5), n - 1)
    order = np.random.default_rng([_seed(seed, "data.split_seed"), _SPLIT_KEY]).permutation(n)
    return np.sort(order[tests:]), np.sort(order[:tests])


@dataclass(frozen=True)
class Feature:
    id: str
    label: str
    needs: tuple[str, ...]  # the coordinates it is made of: ("x1",) or ("x1", "x2")


FEATURES: dict[str, Feature] = {
    f.id: f
    for f in (
        Feature("x1", "x₁", ("x1",)),
        Feature("x2", "x₂", ("x2",)),
        Feature("x1sq", "x₁²", ("x1",)),
        Feature("x2sq", "x₂²", ("x2",)),
        Feature("x1x2", "x₁x₂", ("x1", "x2")),
        Feature("sinx1", "sin x₁", ("x1",)),
        Feature("sinx2", "sin x₂", ("x2",)),
    )
}
_FORMULAS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1sq": lambda a, b: a * a,
    "x2sq": lambda a, b: b * b,
    "x1x2": lambda a, b: a * b,
    "sinx1": lambda a, b: np.sin(a),
    "sinx2": lambda a, b: np.sin(b),
}


def feature_matrix(x: np.ndarray, features: Sequence[str]) -> np.ndarray:
    """The network's inputs: one column per feature, computed from the points (n, 1 or 2)."""
    if not features:
        raise NetworkError("model.features", "choose at least one feature")
    for i, f in enumerate(features):
        if not isinstance(f, str) or f not in FEATURES:
            raise NetworkError(
                "model.features", f"unknown feature {_shown(f)}: one of {list(FEATURES)}"
            )
        if f in features[:i]:
            raise NetworkError("model.features", f"{f} is chosen twice")
        if "x2" in FEATURES[f].needs and x.shape[1] < 2:
            raise NetworkError(
                "model.features", f"{f} needs x2, and these points have one coordinate (x1)"
            )
    a = x[:, 0]
    b = x[:, 1] if x.shape[1] > 1 else a  # unused: nothing takes x2 from 1D points
    return np.column_stack([_FORMULAS[f](a, b) for f in features]).astype(np.float64)
