"""The network's data (app/engine/networks/data.py): the built-in sets, own points, CSV
files, the train/test split and the input features.

What is checked, each against numbers the test works out on its own:

* every built-in set: seeded (same seed, same points; another seed, others), its shape,
  task and classes, equal class counts with every class present at any size, the clean
  shape at noise 0 (the circle's radii, XOR's quadrants, the spiral's arms, the moons'
  arcs, the clouds' sides, the curves' formulas), noise that only moves the points and
  moves them as much as the module says, and refusals naming the field;
* the split: its size, disjoint and covering, sorted, seeded, at least one point to train;
* every feature column against its formula, and the refusals;
* every CSV refusal with its message (row and column), a round trip of every set through a
  CSV file, and the forms a spreadsheet writes (no header, ; or tab, decimal commas, CR LF,
  a BOM, quotes, blank lines);
* a student's own points and their refusals, each naming the point (``data.x.3``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from app.engine.errors import FieldError
from app.engine.networks import (
    DATASETS,
    FEATURES,
    MAX_POINTS,
    MAX_VALUE,
    NetData,
    NetworkError,
    feature_matrix,
    generate,
    own_points,
    parse_csv,
    split,
)

CLASSIFIERS = [k for k, d in DATASETS.items() if d.classes]
CURVES = [k for k, d in DATASETS.items() if not d.classes]


def refusal(call: Any, *args: Any) -> NetworkError:
    with pytest.raises(NetworkError) as caught:
        call(*args)
    return caught.value


def test_the_catalog_lists_every_set_with_its_task() -> None:
    assert list(DATASETS) == [
        "circle",
        "xor",
        "gaussians",
        "spiral",
        "moons",
        "three_classes",
        "sine",
        "step",
    ]
    assert {k: (d.task, d.classes) for k, d in DATASETS.items()} == {
        "circle": ("binary", 2),
        "xor": ("binary", 2),
        "gaussians": ("binary", 2),
        "spiral": ("binary", 2),
        "moons": ("binary", 2),
        "three_classes": ("multiclass", 3),
        "sine": ("regression", 0),
        "step": ("regression", 0),
    }
    for d in DATASETS.values():
        assert d.name and d.description.endswith(".")
        assert 2 <= d.points <= MAX_POINTS and 0 <= d.noise <= 1


# ---- the built-in sets ---------------------------------------------------------------------


@pytest.mark.parametrize("dataset", DATASETS)
def test_a_seed_gives_the_same_points_and_another_seed_others(dataset: str) -> None:
    info = DATASETS[dataset]
    a = generate(dataset, info.points, info.noise, 7)
    b = generate(dataset, info.points, info.noise, 7)
    c = generate(dataset, info.points, info.noise, 8)
    assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)


@pytest.mark.parametrize("dataset", DATASETS)
def test_each_set_has_its_shape_task_and_classes(dataset: str) -> None:
    info = DATASETS[dataset]
    d = generate(dataset, info.points, info.noise, 0)
    dim = 2 if info.classes else 1
    assert d.x.shape == (info.points, dim) and d.y.shape == (info.points,)
    assert d.x.dtype == np.float64 and d.y.dtype == np.float64
    assert (d.task, d.classes, d.id, d.name) == (info.task, info.classes, dataset, info.name)
    if info.classes:
        assert np.abs(d.x).max() <= 6.0  # within about ±6 at the default noise
        assert set(d.y.tolist()) == set(map(float, range(info.classes)))
    else:
        assert np.abs(d.x).max() <= 3.0


@pytest.mark.parametrize(
    ("dataset", "points"),
    [(d, n) for d in CLASSIFIERS for n in (2, 3, 4, 7, 200, 1000) if n >= DATASETS[d].classes],
)
def test_classes_have_equal_counts_and_all_are_present(dataset: str, points: int) -> None:
    classes = DATASETS[dataset].classes
    counts = np.bincount(generate(dataset, points, 0.1, 3).y.astype(int), minlength=classes)
    assert counts.sum() == points and counts.min() >= 1
    assert counts.max() - counts.min() <= 1


def test_the_points_come_shuffled_not_class_by_class() -> None:
    y = generate("circle", 200, 0.1, 0).y
    assert 0 < y[:100].mean() < 1


def clean(dataset: str, points: int = 400, seed: int = 5) -> NetData:
    return generate(dataset, points, 0.0, seed)


def test_clean_circle_is_a_disc_inside_a_ring() -> None:
    d = clean("circle")
    r = np.hypot(d.x[:, 0], d.x[:, 1])
    assert r[d.y == 1].max() <= 2.0
    assert r[d.y == 0].min() >= 3.5 and r[d.y == 0].max() <= 4.5


def test_clean_xor_puts_class_1_where_x1_x2_is_positive() -> None:
    d = clean("xor")
    assert np.array_equal(d.y, (d.x[:, 0] * d.x[:, 1] > 0).astype(float))
    assert np.abs(d.x).min() >= 0.3 and np.abs(d.x).max() <= 5.0
    # each class fills both its quadrants
    quadrants = {(bool(a > 0), bool(b > 0)) for a, b in d.x}
    assert len(quadrants) == 4


def test_clean_spiral_points_lie_on_their_arms() -> None:
    d = clean("spiral")
    r = np.hypot(d.x[:, 0], d.x[:, 1])
    u = (r - 0.5) / 4.5
    turn = np.arctan2(d.x[:, 1], d.x[:, 0]) - (3.5 * np.pi * u + np.pi * d.y)
    assert np.allclose(np.cos(turn), 1.0)  # the angle the arm has at that radius
    assert r.min() >= 0.5 and r.max() <= 5.0


def test_clean_moons_lie_on_their_arcs() -> None:
    d = clean("moons")
    unit = d.x / 2.5 + (0.5, 0.25)  # back to the unit half circles
    upper, lower = unit[d.y == 0], unit[d.y == 1]
    assert np.allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0) and upper[:, 1].min() >= 0
    assert np.allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    assert lower[:, 1].max() <= 0.5


def test_clean_clouds_sit_on_their_own_sides() -> None:
    g = clean("gaussians", 1000)
    assert np.array_equal(g.y, (g.x.sum(axis=1) > 0).astype(float))
    t = clean("three_classes", 1000)
    angles = np.pi / 2 + 2 * np.pi / 3 * np.arange(3)
    centres = 3 * np.column_stack((np.cos(angles), np.sin(angles)))
    nearest = np.argmin(((t.x[:, None, :] - centres) ** 2).sum(axis=2), axis=1)
    assert np.array_equal(nearest, t.y.astype(int))


def test_clean_curves_follow_their_formulas() -> None:
    sine, step = clean("sine"), clean("step")
    assert np.array_equal(sine.y, np.sin(sine.x[:, 0]))
    assert np.array_equal(step.y, np.where(step.x[:, 0] < 0, -1.0, 1.0))


@pytest.mark.parametrize("dataset", DATASETS)
def test_noise_moves_the_points_without_drawing_others(dataset: str) -> None:
    quiet, loud = clean(dataset), generate(dataset, 400, 0.4, 5)
    assert np.array_equal(quiet.y if quiet.classes else quiet.x, loud.y if loud.classes else loud.x)
    moved = np.abs(loud.x - quiet.x) if quiet.classes else np.abs(loud.y - quiet.y)
    assert 0 < moved.mean() < 0.4 * 1.5


@pytest.mark.parametrize("dataset", ["circle", "xor", "spiral", "moons"])
def test_jitter_moves_each_coordinate_as_far_as_the_docstring_says(dataset: str) -> None:
    reach = {"circle": 1.5, "xor": 1.0, "spiral": 1.0, "moons": 1.5}[dataset]
    moved = np.abs(generate(dataset, 1000, 0.5, 1).x - clean(dataset, 1000, 1).x)
    assert moved.max() <= 0.5 * reach
    assert moved.max() > 0.45 * reach  # and uniformly out to that reach


@pytest.mark.parametrize("dataset", CURVES)
def test_a_curves_noise_is_its_standard_deviation(dataset: str) -> None:
    quiet, loud = clean(dataset, 1000), generate(dataset, 1000, 0.5, 5)
    assert 0.45 < np.std(loud.y - quiet.y) < 0.55


def test_noise_one_mixes_the_circles_classes() -> None:
    d = generate("circle", 400, 1.0, 0)
    r = np.hypot(d.x[:, 0], d.x[:, 1])
    assert r[d.y == 1].max() > r[d.y == 0].min()  # no radius separates them any more


@pytest.mark.parametrize(
    ("args", "field", "reason"),
    [
        (("ring", 200, 0.1, 0), "data.dataset", "unknown data set 'ring': one of ['circle',"),
        (("circle", 1, 0.1, 0), "data.points", "must be 2 to 1000, got 1"),
        (("three_classes", 2, 0.1, 0), "data.points", "must be 3 to 1000, got 2"),
        (("circle", 1001, 0.1, 0), "data.points", "must be 2 to 1000, got 1001"),
        (("circle", 20.5, 0.1, 0), "data.points", "must be a whole number, got 20.5"),
        (("circle", True, 0.1, 0), "data.points", "must be a whole number, got True"),
        (("circle", 200, -0.1, 0), "data.noise", "must be from 0 to 1, got -0.1"),
        (("circle", 200, 1.5, 0), "data.noise", "must be from 0 to 1, got 1.5"),
        (("circle", 200, math.nan, 0), "data.noise", "must be from 0 to 1, got nan"),
        (("circle", 200, 0.1, -1), "data.seed", "must be a whole number ≥ 0, got -1"),
        (("circle", 200, 0.1, 1.5), "data.seed", "must be a whole number ≥ 0, got 1.5"),
    ],
)
def test_generate_refuses(args: tuple[Any, ...], field: str, reason: str) -> None:
    e = refusal(generate, *args)
    assert e.field == field and e.reason.startswith(reason)
    assert str(e) == f"{e.field}: {e.reason}"
    assert isinstance(e, FieldError) and isinstance(e, ValueError)


# ---- the split -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "ratio", "tests"),
    [(200, 0.3, 60), (200, 0.0, 0), (10, 0.25, 3), (10, 0.9, 9), (1, 0.5, 0), (2, 0.9, 1)],
)
def test_split_takes_its_share_and_leaves_points_to_train(n: int, ratio: float, tests: int) -> None:
    train, test = split(n, ratio, 4)
    assert len(test) == tests and len(train) == n - tests >= 1
    assert np.array_equal(np.sort(np.concatenate((train, test))), np.arange(n))
    assert np.array_equal(train, np.sort(train)) and np.array_equal(test, np.sort(test))


def test_split_is_seeded() -> None:
    a, b, c = split(200, 0.3, 1), split(200, 0.3, 1), split(200, 0.3, 2)
    assert np.array_equal(a[1], b[1]) and not np.array_equal(a[1], c[1])
    assert not np.array_equal(a[1], np.arange(140, 200))  # drawn, not the last points


@pytest.mark.parametrize(
    ("args", "field", "reason"),
    [
        ((200, 0.95, 0), "data.test_ratio", "must be from 0 to 0.9, got 0.95"),
        ((200, -0.1, 0), "data.test_ratio", "must be from 0 to 0.9, got -0.1"),
        ((200, "0.3", 0), "data.test_ratio", "must be from 0 to 0.9, got '0.3'"),
        ((0, 0.3, 0), "data.points", "must be at least 1, got 0"),
        ((200, 0.3, -2), "data.split_seed", "must be a whole number ≥ 0, got -2"),
    ],
)
def test_split_refuses(args: tuple[Any, ...], field: str, reason: str) -> None:
    e = refusal(split, *args)
    assert (e.field, e.reason) == (field, reason)


# ---- the features --------------------------------------------------------------------------

POINTS = np.array([[2.0, 3.0], [-1.5, 0.5], [0.25, -4.0]])
FORMULAS = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1sq": lambda a, b: a**2,
    "x2sq": lambda a, b: b**2,
    "x1x2": lambda a, b: a * b,
    "sinx1": lambda a, b: np.sin(a),
    "sinx2": lambda a, b: np.sin(b),
}


def test_features_are_labelled_as_the_page_shows_them() -> None:
    assert {f.id: f.label for f in FEATURES.values()} == {
        "x1": "x₁",
        "x2": "x₂",
        "x1sq": "x₁²",
        "x2sq": "x₂²",
        "x1x2": "x₁x₂",
        "sinx1": "sin x₁",
        "sinx2": "sin x₂",
    }
    assert [f for f, v in FEATURES.items() if v.needs == ("x1",)] == ["x1", "x1sq", "sinx1"]


@pytest.mark.parametrize("feature", FORMULAS)
def test_each_feature_column_is_its_formula(feature: str) -> None:
    column = feature_matrix(POINTS, [feature])
    assert column.shape == (3, 1) and column.dtype == np.float64
    assert np.array_equal(column[:, 0], FORMULAS[feature](POINTS[:, 0], POINTS[:, 1]))


def test_features_come_in_the_order_asked() -> None:
    m = feature_matrix(POINTS, ["sinx2", "x1", "x1x2"])
    assert np.array_equal(m, np.column_stack((np.sin(POINTS[:, 1]), POINTS[:, 0], [6, -0.75, -1])))


def test_a_curve_takes_the_features_of_x1() -> None:
    x = np.array([[0.5], [-2.0]])
    m = feature_matrix(x, ["x1", "x1sq", "sinx1"])
    assert np.array_equal(m, np.column_stack((x[:, 0], x[:, 0] ** 2, np.sin(x[:, 0]))))


@pytest.mark.parametrize(
    ("x", "features", "reason"),
    [
        (POINTS, [], "choose at least one feature"),
        (POINTS, ["x1", "x3"], "unknown feature 'x3': one of ['x1', 'x2', 'x1sq',"),
        (POINTS, [3], "unknown feature 3: one of"),
        (POINTS, ["x1", "x2", "x1"], "x1 is chosen twice"),
        (POINTS[:, :1], ["x1", "x2"], "x2 needs x2, and these points have one coordinate (x1)"),
        (POINTS[:, :1], ["x1x2"], "x1x2 needs x2, and these points have one coordinate (x1)"),
        (POINTS[:, :1], ["sinx2"], "sinx2 needs x2"),
    ],
)
def test_feature_matrix_refuses(x: np.ndarray, features: list[Any], reason: str) -> None:
    e = refusal(feature_matrix, x, features)
    assert e.field == "model.features" and e.reason.startswith(reason)


# ---- CSV files -----------------------------------------------------------------------------


def rows(n: int, row: str = "0.5,1,0\n") -> str:
    return "x1,x2,label\n" + row * n


CSV_REFUSALS = [
    ("", "the file is empty: give x1,x2,label (classes) or x,y (a curve)"),
    ("\n \r\n,,\n", "the file is empty: give x1,x2,label (classes) or x,y (a curve)"),
    ("x1,x2,label\n", "no rows of numbers below the header: give x1,x2,label"),
    ("x1,x2,label\n1,2,0\n3,4\n", "row 3: 2 values, but row 1 has 3"),
    ("1,2,0\n3,4,1,5\n", "row 2: 4 values, but row 1 has 3"),
    ("x1,x2,label\n1,2,0\n\n7\n", "row 4: 1 value, but row 1 has 3"),
    ("x1,x2,label\n1,2,0\n2,1,1\n3,abc,0\n", "row 4: x2 is 'abc', not a number"),
    ("x1,x2,label\n1,,0\n2,1,1\n", "row 2: x2 is empty"),
    ("x1,x2,label\n1,2,0\nNaN,1,1\n", "row 3: x1 is 'NaN', not a finite number"),
    ("x1,x2,label\n1,2,0\n1,inf,1\n", "row 3: x2 is 'inf', not a finite number"),
    ("x1,x2,label\n1,2,0\n1,1e999,1\n", "row 3: x2 is '1e999', not a finite number"),
    ("x1,x2,label\n1,2,0\n1e308,1,1\n", "row 3: x1 is '1e308', beyond ±1000"),
    ("x,y\n1,2\n2,-1000.5\n", "row 3: y is '-1000.5', beyond ±1000"),
    ("x1,x2,label\n1,2,0\n1,1,1.5\n", "row 3: label is '1.5', not a class 0 to 9"),
    ("x1,x2,label\n1,2,0\n1,1,10\n", "row 3: label is '10', not a class 0 to 9"),
    ("x1,x2,label\n1,2,0\n1,1,-1\n", "row 3: label is '-1', not a class 0 to 9"),
    (rows(40, "1,2,1\n"), "all 40 points are class 1: a classifier needs at least two classes"),
    (
        "1,2,0\n2,1,2\n",
        "no point is class 1, yet class 2 has points: number the classes 0, 1, 2 … with none "
        "missing",
    ),
    ("3,4,1\n1,2,2\n", "no point is class 0, yet class 2 has points"),
    ("x,y\n1,2\n", "give at least two points, got 1"),
    (rows(MAX_POINTS + 1), f"row {MAX_POINTS + 2}: more than {MAX_POINTS} points"),
    ("x\n1\n2\n", "row 1: 1 column: give x1,x2,label (classes) or x,y (a curve)"),
    ("a,b,c,d\n1,2,3,4\n", "row 1: 4 columns: give x1,x2,label (classes) or x,y (a curve)"),
    ("\n\nx1,x2,label\n1,2,0\n\n1,'x',1\n", "row 6: x2 is \"'x'\", not a number"),
    ("x1,x2,label\n1,2,0\n" + "9" * 60 + ",1,1\n", "row 3: x1 is '9999999999999999999…', beyond"),
    ("x1;x2;label\n1,5;2;0\n1;2,5,1;1\n", "row 3: x2 is '2,5,1', not a number"),
]


@pytest.mark.parametrize(("text", "reason"), CSV_REFUSALS)
def test_parse_csv_refuses_naming_the_row_and_column(text: str, reason: str) -> None:
    e = refusal(parse_csv, text)
    assert e.field == "data.csv" and e.reason.startswith(reason), e.reason


def test_parse_csv_reads_the_most_points_allowed() -> None:
    d = parse_csv(rows(MAX_POINTS - 1) + "1,1,1\n")
    assert d.x.shape == (MAX_POINTS, 2) and d.classes == 2
    assert parse_csv(f"x,y\n0,{MAX_VALUE}\n1,-{MAX_VALUE}\n").y.tolist() == [1000.0, -1000.0]


def as_csv(d: NetData) -> str:
    header = "x1,x2,label" if d.classes else "x,y"
    lines = [",".join(repr(float(v)) for v in (*x, y)) for x, y in zip(d.x, d.y, strict=True)]
    return "\n".join([header, *lines]) + "\n"


@pytest.mark.parametrize("dataset", DATASETS)
def test_every_set_survives_a_round_trip_through_a_csv_file(dataset: str) -> None:
    d = generate(dataset, 150, 0.3, 2)
    back = parse_csv(as_csv(d))
    assert np.array_equal(back.x, d.x) and np.array_equal(back.y, d.y)
    assert (back.task, back.classes, back.id, back.name) == (d.task, d.classes, "", "Your points")


@pytest.mark.parametrize(
    "text",
    [
        "x1,x2,label\n0.5,-1,0\n2,3.25,1\n",  # a header
        "0.5,-1,0\n2,3.25,1\n",  # none
        "\ufeffx1,x2,label\r\n0.5,-1,0\r\n2,3.25,1\r\n\r\n\r\n",  # Excel: a BOM, CR LF, blank rows
        "\ufeff0.5,-1,0\n2,3.25,1",  # a BOM before a number
        "x1;x2;label\n0,5;-1;0\n2;3,25;1\n",  # ; and decimal commas
        "x1\tx2\tlabel\n0.5\t-1\t0\n2\t3,25\t1\n",  # tabs (copied from a spreadsheet)
        '"x1","x2","label"\n"0.5","-1","0"\n" 2 ", 3.25 ,"1.0"\n,,\n',  # quotes, spaces, 1.0
        "x1,x2,label\r0.5,-1,0\r\n\n2,3.25,1",  # old Mac line ends, a blank row, no final newline
    ],
)
def test_parse_csv_reads_what_spreadsheets_write(text: str) -> None:
    d = parse_csv(text)
    assert d.x.tolist() == [[0.5, -1.0], [2.0, 3.25]] and d.y.tolist() == [0.0, 1.0]
    assert (d.task, d.classes) == ("binary", 2)


def test_parse_csv_tells_the_task_by_columns_and_classes() -> None:
    three = parse_csv("1,2,0\n2,1,1\n0,0,2\n")
    assert (three.task, three.classes) == ("multiclass", 3)
    curve = parse_csv("x,y\n-1,0.5\n2,1\n")
    assert (curve.task, curve.classes, curve.x.shape) == ("regression", 0, (2, 1))


# ---- own points ----------------------------------------------------------------------------


def test_own_points_make_a_data_set() -> None:
    d = own_points([[0, 1], [1.5, -2], [3, 3]], [0, 1, 1], "binary")
    assert d.x.tolist() == [[0.0, 1.0], [1.5, -2.0], [3.0, 3.0]] and d.y.tolist() == [0, 1, 1]
    assert (d.task, d.classes, d.id, d.name) == ("binary", 2, "", "Your points")
    m = own_points([[0, 1], [1, 0], [2, 2], [0, 0]], [0, 1, 2, 2.0], "multiclass")
    assert (m.task, m.classes) == ("multiclass", 3)
    two = own_points([[0, 1], [1, 0]], [0, 1], "multiclass")  # softmax over two classes
    assert (two.task, two.classes) == ("multiclass", 2)
    r = own_points([[-1], [2]], [0.5, -3], "regression")
    assert (r.task, r.classes, r.x.shape, r.y.tolist()) == ("regression", 0, (2, 1), [0.5, -3.0])


TWO = [[0, 0], [1, 1]]

OWN_REFUSALS = [
    (
        (TWO, [0, 1], "classes"),
        "data.task",
        "must be one of ['binary', 'multiclass', 'regression']",
    ),
    (("0,0", [0, 1], "binary"), "data.x", "must be a list, got '0,0'"),
    ((TWO, {"a": 1}, "binary"), "data.y", "must be a list, got {'a': 1}"),
    ((TWO, [0], "binary"), "data.y", "give one y per point: 2 points, 1 y"),
    (([[0, 0]] * 1001, [0] * 1001, "binary"), "data.x", "at most 1000 points, got 1001"),
    (([], [], "binary"), "data.y", "give at least two points, got 0"),
    (([[0, 0], [1, 1], [2, 2], [3]], [0, 1, 0, 1], "binary"), "data.x.3", "a point is [x1, x2]"),
    (([[0], [1, 2]], [0, 1], "regression"), "data.x.1", "a point is [x], got [1, 2]"),
    (([[0, 0], [1, "a"]], [0, 1], "binary"), "data.x.1", "x2 must be a number, got 'a'"),
    (([[0, 0], [True, 1]], [0, 1], "binary"), "data.x.1", "x1 must be a number, got True"),
    (([[0, 0], [math.inf, 1]], [0, 1], "binary"), "data.x.1", "x1 is inf, not a finite number"),
    (([[0, 0], [1, -1e308]], [0, 1], "binary"), "data.x.1", "x2 is -1e+308, beyond ±1000"),
    (
        ([[0, 0], [1, 10**400]], [0, 1], "binary"),
        "data.x.1",
        "x2 is 10000000000000000000…0, beyond",
    ),
    (([[0, 0], [1, 10**5000]], [0, 1], "binary"), "data.x.1", "x2 is a number too long to show"),
    (([[0], [1]], [0, math.nan], "regression"), "data.y.1", "y is nan, not a finite number"),
    ((TWO, [0, None], "binary"), "data.y.1", "label must be a number, got None"),
    ((TWO, [0, 0.5], "binary"), "data.y.1", "label is 0.5, not a class 0 to 9"),
    ((TWO, [0, 2], "binary"), "data.y.1", "binary points are class 0 or 1, got 2"),
    (([[0, 0]] * 3, [0, 1, 3], "multiclass"), "data.y", "no point is class 2, yet class 3 has"),
    ((TWO, [1, 1], "binary"), "data.y", "all 2 points are class 1: a classifier needs at least"),
    (([[0]], [1], "regression"), "data.y", "give at least two points, got 1"),
]


@pytest.mark.parametrize(("args", "field", "reason"), OWN_REFUSALS)
def test_own_points_refuse_naming_the_point(args: tuple[Any, ...], field: str, reason: str) -> None:
    e = refusal(own_points, *args)
    assert (e.field, e.reason[: len(reason)]) == (field, reason)
