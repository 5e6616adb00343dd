"""L-BFGS against torch.optim.LBFGS: golden runs from tools/make_lbfgs_goldens.py, the
state's JSON form (resume, and every kind of malformed input), and non-finite arithmetic.

Each golden is a float64 torch run of up to 50 outer steps (``optimizer.step(closure)``,
the closure computing the surface's formula with torch ops, gradients by autograd).  The
engine, driven through :class:`SurfaceProblem` (closed-form formulas in Python floats),
must reproduce every position, loss and gradient to 1e-9 relative (1e-12 absolute), and
every step's number of function evaluations exactly.  Every golden is chosen so that torch
agrees with itself (ten times closer) under rounding-level changes on all its steps
(``horizon``), so the comparison is made on every step.  Each golden also holds torch's run
on the engine's own inputs and torch's portable kernels (``exact_twin``), which the engine
must match far more tightly.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.engine.backend import SCALAR
from app.engine.errors import HyperparameterError, StateError
from app.engine.optimizers import lbfgs
from app.engine.optimizers.lbfgs import LBFGS, LBFGSMemory, memory_from_json, memory_to_json
from app.engine.run import run, start_state
from app.engine.surfaces import SURFACES, Surface

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden" / "lbfgs"
GOLDEN_FILES = sorted(p.name for p in GOLDEN_DIR.glob("*.json"))
RTOL, ATOL = 1e-9, 1e-12
# The engine against torch on the engine's own inputs and arithmetic (the exact twin):
# bit for bit on the machine the goldens were made on; this leaves room for another libm.
EXACT_RTOL, EXACT_ATOL = 1e-13, 1e-15


class SurfaceProblem:
    """One ball's view of a surface: torch's closure (f and ∇f) and the Hessian, from the
    surface's closed-form formulas in Python floats.  Counts the closure's calls."""

    def __init__(self, surface: Surface) -> None:
        self.surface = surface
        self.calls = 0

    def evaluate(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        self.calls += 1
        xs = [float(v) for v in x]
        return self.surface.value(SCALAR, *xs), np.array(self.surface.grad(SCALAR, *xs))

    def hessian(self, x: np.ndarray) -> np.ndarray:
        return np.array(self.surface.hess(SCALAR, *(float(v) for v in x)))


def load(name: str) -> dict[str, Any]:
    return json.loads((GOLDEN_DIR / name).read_text())


def unsound(surface: Surface, position: np.ndarray, loss: float, grad: np.ndarray) -> bool:
    """Where the golden stops recording (as tools/golden.py's ``unsound``)."""
    if not math.isfinite(loss) or not np.isfinite(grad).all():
        return True
    box = surface.runaway_box()
    return not all(lo <= c <= hi for c, (lo, hi) in zip(position, box, strict=True))


def engine_run(
    golden: Mapping[str, Any],
    *,
    memory: Any = None,
    start: Any = None,
    first_step: int = 1,
    last_step: int | None = None,
) -> dict[str, Any]:
    """The engine's run of a golden: steps ``first_step..last_step`` from ``start`` with
    ``memory`` (default: the whole run from the golden's start)."""
    surface = SURFACES[golden["surface"]]
    step = lbfgs.lbfgs_rule(LBFGS.validate(golden["hyperparameters"]))
    problem = SurfaceProblem(surface)
    x = np.array(golden["start"] if start is None else start, dtype=np.float64)
    loss, grad = problem.evaluate(x)
    problem.calls = 0
    out: dict[str, Any] = {"positions": [x], "losses": [loss], "gradients": [grad]}
    out["evaluations"] = []
    last = golden["steps"] if last_step is None else last_step
    for k in range(first_step, last + 1):
        before = problem.calls
        x, memory, evaluations = step(problem, k, x, memory)
        assert evaluations == problem.calls - before, "evaluations must count closure calls"
        loss, grad = problem.evaluate(x)
        problem.calls -= 1  # the recording is not the optimizer's evaluation
        if unsound(surface, x, loss, grad):
            break
        out["positions"].append(x)
        out["losses"].append(loss)
        out["gradients"].append(grad)
        out["evaluations"].append(evaluations)
    out["memory"] = memory
    return out


def excess(ours: Any, ref: Any, rtol: float = RTOL, atol: float = ATOL) -> np.ndarray:
    """Per step: the largest |ours - ref| as a fraction of the allowed rtol*|ref| + atol."""
    ours, ref = np.asarray(ours, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    ratio = np.abs(ours - ref) / (rtol * np.abs(ref) + atol)
    return ratio.reshape(len(ratio), -1).max(axis=1)


# --- the goldens ---------------------------------------------------------------------------


def test_goldens_cover_the_cases() -> None:
    goldens = [load(n) for n in GOLDEN_FILES]
    assert len(goldens) >= 12
    assert {g["torch_version"].split("+")[0] for g in goldens} == {"2.13.0"}
    pairs = {(g["surface"], g["hyperparameters"]["line_search_fn"]) for g in goldens}
    for surface in ("roll_downhill", "rosenbrock", "himmelblau"):
        assert {(surface, "none"), (surface, "strong_wolfe")} <= pairs
    hps = [g["hyperparameters"] for g in goldens]
    assert any(h["max_iter"] == 1 and h["line_search_fn"] == "none" for h in hps)
    assert any(h["max_iter"] == 1 and h["line_search_fn"] == "strong_wolfe" for h in hps)
    assert any(h["history_size"] <= 3 for h in hps)
    assert any(h["maximize"] for h in hps)
    assert any(g["stop_reason"] for g in goldens)  # a run that leaves the runaway box
    # Steps that return after one evaluation once the ball has arrived are recorded, and
    # steps whose line search overruns max_eval = max_iter·5//4 by one.
    assert any(g["evaluations"][-1] == 1 and g["evaluations"][0] > 1 for g in goldens)
    assert any(max(g["evaluations"]) > g["hyperparameters"]["max_iter"] * 5 // 4 for g in goldens)


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_golden_is_well_formed(name: str) -> None:
    g = load(name)
    n = g["recorded_steps"] + 1
    assert len(g["positions"]) == len(g["losses"]) == len(g["gradients"]) == n
    assert len(g["evaluations"]) == n - 1
    assert n == g["steps"] + 1 or g["stop_reason"]
    assert np.shape(g["positions"]) == np.shape(g["gradients"]) == (n, len(g["start"]))
    assert g["positions"][0] == g["start"]
    assert all(isinstance(e, int) and e >= 1 for e in g["evaluations"])
    assert LBFGS.validate(g["hyperparameters"]) == g["hyperparameters"]
    # torch agrees with itself under rounding-level changes on every recorded step, so the
    # engine is compared on every step.
    assert g["horizon"] == n
    assert all(h == n for h in g["horizons"].values())
    assert len(g["exact_twin"]["positions"]) == n
    assert 1 <= g["resume_at"] <= n - 1 and g["state"]["n_iter"] >= 1


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_engine_matches_torch(name: str) -> None:
    g = load(name)
    ours = engine_run(g)
    assert len(ours["positions"]) == len(g["positions"]), "the runs stop at different steps"
    assert ours["evaluations"] == g["evaluations"]
    for key in ("positions", "losses", "gradients"):
        bad = excess(ours[key], g[key])
        if (bad > 1).any():
            i = int(np.argmax(bad > 1))
            pytest.fail(
                f"{key} part from torch at step {i}: ours {ours[key][i]}, torch {g[key][i]}"
            )


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_engine_is_torchs_arithmetic(name: str) -> None:
    # On the engine's inputs (closed-form formulas in Python floats) and torch's portable
    # kernels, torch computes what the engine does, operation for operation.
    g = load(name)
    ours, twin = engine_run(g), g["exact_twin"]
    assert ours["evaluations"] == twin["evaluations"]
    bad = excess(ours["positions"], twin["positions"], EXACT_RTOL, EXACT_ATOL)
    assert (bad <= 1).all(), f"parts from torch's arithmetic at step {int(np.argmax(bad > 1))}"


# --- resuming ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_resumed_run_equals_unbroken_run(name: str) -> None:
    g = load(name)
    k = g["resume_at"]
    whole = engine_run(g)
    first = engine_run(g, last_step=k)
    saved = json.loads(json.dumps(memory_to_json(first["memory"]), allow_nan=False))
    restored = memory_from_json(saved, len(g["start"]))
    assert restored == first["memory"]
    second = engine_run(g, memory=restored, start=first["positions"][-1], first_step=k + 1)
    assert len(first["positions"]) + len(second["positions"]) - 1 == len(whole["positions"])
    for key in ("positions", "losses", "gradients"):
        joined = first[key] + second[key][1:]
        assert np.array_equal(np.array(joined), np.array(whole[key]))
    assert first["evaluations"] + second["evaluations"] == whole["evaluations"]


def _assert_state_close(ours: Any, torch_value: Any, where: str, rtol: float, atol: float) -> None:
    if torch_value is None or isinstance(torch_value, int):
        assert ours == torch_value, where
    elif isinstance(torch_value, list):
        assert isinstance(ours, list) and len(ours) == len(torch_value), where
        for i, (a, b) in enumerate(zip(ours, torch_value, strict=True)):
            _assert_state_close(a, b, f"{where}[{i}]", rtol, atol)
    else:
        assert abs(ours - torch_value) <= rtol * abs(torch_value) + atol, where


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_state_holds_what_torchs_does(name: str) -> None:
    # The engine's memory after step resume_at, in JSON, against torch's optimizer.state:
    # the same keys, counts and history lengths, and values to 1e-6 (the state holds
    # differences of nearby gradients, whose relative rounding errors are far larger than
    # the positions'); and, on the engine's own inputs and arithmetic, the same values.
    g = load(name)
    ours = memory_to_json(engine_run(g, last_step=g["resume_at"])["memory"])
    assert list(ours) == list(LBFGS.keys) == list(g["state"])
    for key, value in g["state"].items():
        _assert_state_close(ours[key], value, key, 1e-6, ATOL)
    for key, value in g["exact_twin"]["state"].items():
        _assert_state_close(ours[key], value, key, EXACT_RTOL, EXACT_ATOL)


# --- the comparison can fail ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "lbfgs-default-roll_downhill.json",
        "lbfgs-default-himmelblau.json",
        "lbfgs-strong_wolfe-rosenbrock.json",
        # (here t = lr = 1 is too long a first step: the line search may not shorten it,
        # so it is not taken, and the ball never moves)
        "lbfgs-max_iter1_strong_wolfe-himmelblau.json",
    ],
)
def test_a_wrong_first_step_fails_the_comparison(name: str, monkeypatch: Any) -> None:
    # Textbook L-BFGS starts with t = lr; torch with t = min(1, 1/‖g‖₁)·lr.  With ‖g‖₁
    # taken as 1, the engine's first iteration steps t = lr.
    g = load(name)
    assert sum(abs(v) for v in g["gradients"][0]) > 1  # so the two rules differ
    monkeypatch.setattr(lbfgs, "_abs_sum", lambda v: 1.0)
    ours = engine_run(g)
    upto = min(len(ours["positions"]), len(g["positions"]))
    assert np.isfinite(np.array(ours["positions"])).all()  # a plausible optimizer ...
    # ... that still leaves the golden by far more than the tolerance somewhere.
    deviation = np.abs(np.array(ours["positions"][:upto]) - np.array(g["positions"][:upto]))
    assert deviation.max() > 1e-6
    assert (excess(ours["positions"][:upto], g["positions"][:upto]) > 1).any()


def test_the_wrong_rule_is_wired_in(monkeypatch: Any) -> None:
    # Sanity: patching _abs_sum with the real thing still matches.
    g = load("lbfgs-default-roll_downhill.json")
    monkeypatch.setattr(lbfgs, "_abs_sum", lambda v: sum(abs(c) for c in v))
    assert (excess(engine_run(g)["positions"], g["positions"]) <= 1).all()


def test_torch_first_step_rule() -> None:
    # The first iteration of a run: t = min(1, 1/‖g‖₁)·lr along −g.  From x = 3 on x²
    # (g = 6), lr 0.6 and max_iter 1: t = 0.6/6, and the ball moves by 0.6 to 2.4.
    class Bowl:
        def evaluate(self, x: np.ndarray) -> tuple[float, np.ndarray]:
            return float(x @ x), 2 * x

        def hessian(self, x: np.ndarray) -> np.ndarray:
            return 2 * np.eye(len(x))

    step = lbfgs.lbfgs_rule(LBFGS.validate({"lr": 0.6, "max_iter": 1}))
    x, memory, evaluations = step(Bowl(), 1, np.array([3.0]), None)
    t = min(1.0, 1.0 / 6.0) * 0.6
    assert x.tolist() == [3.0 + t * -6.0] == [pytest.approx(2.4, rel=1e-15)]
    assert evaluations == 1 and memory.n_iter == 1
    assert memory.t == t and memory.d == (-6.0,) and memory.H_diag == 1.0
    # The second step: the secant pair gives H ≈ 1/2, the exact inverse Hessian, and
    # t = lr: x ← x − 0.6·x.
    x2, memory, _ = step(Bowl(), 2, x, memory)
    assert memory.H_diag == pytest.approx(0.5, rel=1e-14)
    assert x2.tolist() == [pytest.approx(0.4 * x[0], rel=1e-14)]


def test_unrolled_two_loop_is_the_same_arithmetic() -> None:
    rng = np.random.default_rng(7)
    for m in (0, 1, 3, 100):
        g = tuple(rng.normal(size=2).tolist())
        dirs = [tuple(v) for v in rng.normal(size=(m, 2)).tolist()]
        stps = [tuple(v) for v in rng.normal(size=(m, 2)).tolist()]
        ro = rng.uniform(0.1, 10.0, size=m).tolist()
        unrolled = lbfgs._two_loop(g, dirs, stps, ro, 0.7)
        assert unrolled == lbfgs._two_loop_any_dim(g, dirs, stps, ro, 0.7)


# --- the catalog entry ---------------------------------------------------------------------


def test_catalog_entry() -> None:
    assert (LBFGS.id, LBFGS.name, LBFGS.group, LBFGS.lr_scales, LBFGS.evaluations_vary) == (
        "lbfgs",
        "L-BFGS",
        "second-order",
        "own",
        True,
    )
    assert LBFGS.weight_decay is None
    assert LBFGS.keys == (
        "func_evals",
        "n_iter",
        "d",
        "t",
        "old_dirs",
        "old_stps",
        "ro",
        "H_diag",
        "prev_flat_grad",
        "prev_loss",
    )
    assert LBFGS.state.one_to_json is memory_to_json
    assert LBFGS.state.one_from_json is memory_from_json
    assert "\n" not in LBFGS.formula
    # torch's defaults (max_eval is not exposed: always max_iter·5//4), and maximize off.
    assert LBFGS.validate({}) == {
        "lr": 1.0,
        "max_iter": 20,
        "tolerance_grad": 1e-7,
        "tolerance_change": 1e-9,
        "history_size": 100,
        "line_search_fn": "none",
        "maximize": False,
    }
    assert all(h.help for h in LBFGS.hyperparameters)
    assert isinstance(LBFGS.validate({"max_iter": 3.0})["max_iter"], int)


@pytest.mark.parametrize(
    ("given", "field", "message"),
    [
        ({"lr": -0.1}, "lr", "Invalid learning rate"),
        ({"max_iter": 0}, "max_iter", "Invalid max_iter value"),
        ({"max_iter": 2.5}, "max_iter", "whole number"),
        ({"max_iter": 101}, "max_iter", "Invalid max_iter value"),
        ({"history_size": 0}, "history_size", "Invalid history_size value"),
        ({"tolerance_grad": -1e-7}, "tolerance_grad", "Invalid tolerance_grad value"),
        ({"tolerance_change": math.inf}, "tolerance_change", "not finite"),
        ({"line_search_fn": "wolfe"}, "line_search_fn", "'none', 'strong_wolfe'"),
        ({"line_search_fn": None}, "line_search_fn", "must be one of"),
        ({"maximize": 1}, "maximize", "true or false"),
        ({"max_eval": 25}, "max_eval", "no hyperparameter"),
    ],
)
def test_invalid_hyperparameters(given: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(HyperparameterError) as info:
        LBFGS.validate(given)
    assert info.value.field == field and message in info.value.reason


# --- the state as JSON ---------------------------------------------------------------------


def _a_state() -> dict[str, Any]:
    g = load("lbfgs-history3_max_iter4_strong_wolfe-rosenbrock.json")
    state = memory_to_json(engine_run(g, last_step=4)["memory"])
    assert len(state["old_dirs"]) == 3  # a full history
    return state


def test_state_round_trips() -> None:
    state = _a_state()
    memory = memory_from_json(state, 2)
    assert isinstance(memory, LBFGSMemory)
    assert memory_to_json(memory) == state
    assert memory_from_json(dict.fromkeys(LBFGS.keys), 2) is None
    assert memory_from_json({}, 2) is None
    assert memory_to_json(None) == dict.fromkeys(LBFGS.keys)
    # After an early return on the very first step torch has only its two counts.
    counts = {**dict.fromkeys(LBFGS.keys), "func_evals": 1, "n_iter": 0}
    assert memory_from_json(counts, 2) == LBFGSMemory(func_evals=1, n_iter=0)


def _vectors(n: int, dim: int = 2) -> list[list[float]]:
    return [[1.0] * dim for _ in range(n)]


MALFORMED: list[tuple[str, dict[str, Any], str]] = [
    ("func_evals", {"func_evals": "3"}, "func_evals"),
    ("func_evals", {"func_evals": -1}, "func_evals"),
    ("func_evals", {"func_evals": 2.5}, "func_evals"),
    ("func_evals", {"func_evals": True}, "func_evals"),
    ("func_evals", {"func_evals": None}, "func_evals"),
    ("n_iter", {"n_iter": -2}, "n_iter"),
    ("n_iter", {"n_iter": None}, "n_iter"),
    ("n_iter", {"n_iter": 10**6}, "n_iter"),  # more iterations than evaluations
    ("n_iter", {"n_iter": 0}, "d"),  # nothing but the counts before the first iteration
    ("d", {"d": [1.0]}, "d"),
    ("d", {"d": [1.0, "2"]}, "d"),
    ("d", {"d": [1.0, math.nan]}, "d"),
    ("d", {"d": 1.0}, "d"),
    ("d", {"d": None}, "d"),
    ("t", {"t": math.inf}, "t"),
    ("t", {"t": [0.5]}, "t"),
    ("t", {"t": None}, "t"),
    ("old_dirs", {"old_dirs": "[]"}, "old_dirs"),
    ("old_dirs", {"old_dirs": [[1.0, 2.0], [1.0]]}, "old_dirs"),
    ("old_dirs", {"old_dirs": [[1.0, 2.0], [1.0, math.inf]]}, "old_dirs"),
    ("old_dirs", {"old_dirs": _vectors(101), "old_stps": _vectors(101)}, "old_dirs"),
    ("old_stps", {"old_stps": _vectors(2)}, "old_stps"),
    ("old_stps", {"old_stps": [[1.0, 2.0, 3.0]] * 3}, "old_stps"),
    ("ro", {"ro": [1.0, 2.0]}, "ro"),
    ("ro", {"ro": [1.0, 2.0, -3.0]}, "ro"),
    ("ro", {"ro": [1.0, 2.0, math.nan]}, "ro"),
    ("ro", {"ro": 1.0}, "ro"),
    ("H_diag", {"H_diag": 0.0}, "H_diag"),
    ("H_diag", {"H_diag": "1"}, "H_diag"),
    ("prev_flat_grad", {"prev_flat_grad": [1.0, 2.0, 3.0]}, "prev_flat_grad"),
    ("prev_flat_grad", {"prev_flat_grad": [[1.0, 2.0]]}, "prev_flat_grad"),
    ("prev_loss", {"prev_loss": math.nan}, "prev_loss"),
    ("prev_loss", {"prev_loss": False}, "prev_loss"),
    ("unknown key", {"al": [0.1, 0.2, 0.3]}, "al"),
]


@pytest.mark.parametrize(("what", "change", "field"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_state_is_rejected(what: str, change: dict[str, Any], field: str) -> None:
    state = {**_a_state(), **change}
    with pytest.raises(StateError) as info:
        memory_from_json(state, 2)
    assert info.value.field == field


def test_lowering_history_size_mid_run_keeps_the_newest_pairs() -> None:
    # A student drags history_size down while L-BFGS runs: the resumed memory is longer
    # than the new history (torch would fail with an IndexError in its two-loop recursion).
    memory = memory_from_json(_a_state(), 2)
    assert memory is not None and len(memory.old_dirs) > 2
    trimmed = memory._replace(
        old_dirs=memory.old_dirs[-2:], old_stps=memory.old_stps[-2:], ro=memory.ro[-2:]
    )
    step = lbfgs.lbfgs_rule(LBFGS.validate({"history_size": 2}))
    problem = SurfaceProblem(SURFACES["rosenbrock"])
    x = np.array([0.5, 0.5])
    ours, ours_memory, _ = step(problem, 5, x, memory)
    ref, ref_memory, _ = step(problem, 5, x, trimmed)
    assert ours.tolist() == ref.tolist()
    assert memory_to_json(ours_memory) == memory_to_json(ref_memory)
    assert len(ours_memory.old_dirs) <= 2


def test_step_leaves_its_inputs_alone() -> None:
    g = load("lbfgs-strong_wolfe-rosenbrock.json")
    memory = engine_run(g, last_step=1)["memory"]
    before = memory_to_json(memory)
    x = np.array(g["positions"][1])
    x_before = x.copy()
    step = lbfgs.lbfgs_rule(LBFGS.validate(g["hyperparameters"]))
    new_x, new_memory, _ = step(SurfaceProblem(SURFACES["rosenbrock"]), 2, x, memory)
    assert np.array_equal(x, x_before) and new_x is not x
    assert memory_to_json(memory) == before and new_memory != memory


# --- non-finite values ---------------------------------------------------------------------


class Broken:
    """A closure that returns ``value`` and ``grad`` from ``after`` calls on."""

    def __init__(self, value: float, grad: list[float], after: int = 0) -> None:
        self.value, self.grad, self.after, self.calls = value, np.array(grad), after, 0

    def evaluate(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        self.calls += 1
        if self.calls > self.after:
            return self.value, self.grad
        return float(x @ x), 2 * x

    def hessian(self, x: np.ndarray) -> np.ndarray:
        return 2 * np.eye(len(x))


@pytest.mark.parametrize("line_search_fn", ["none", "strong_wolfe"])
@pytest.mark.parametrize(
    "broken",
    [
        (math.nan, [math.nan, math.nan], 0),
        (math.inf, [1.0, 1.0], 1),  # a wall beyond the first point
        (math.nan, [1.0, 2.0], 1),
        (1.0, [math.inf, -math.inf], 1),
        (1.0, [1e308, 1e308], 0),  # ‖g‖₁ and g·d overflow
        (1.0, [1e300, -1e300], 1),  # t·d overflows
        (1.0, [0.0, 5e-324], 0),  # ‖g‖₁ a denormal: 1/‖g‖₁ overflows
    ],
)
def test_non_finite_values_flow_through(line_search_fn: str, broken: tuple[Any, ...]) -> None:
    problem = Broken(*broken)
    hp = {"line_search_fn": line_search_fn, "max_iter": 5, "tolerance_grad": 0.0}
    step = lbfgs.lbfgs_rule(LBFGS.validate(hp))
    with np.errstate(all="raise"):  # no numpy warning, and nothing else raised
        x, memory, evaluations = step(problem, 1, np.array([1.0, 2.0]), None)
        x, memory, more = step(problem, 2, x, memory)
    assert x.shape == (2,) and x.dtype == np.float64
    assert evaluations + more == problem.calls == memory.func_evals
    assert evaluations <= 5 * 5 // 4 + 1


def test_line_search_divisions_by_zero_give_inf_or_nan() -> None:
    # Two bracket ends at the same t: torch's 3·(f1 − f2)/(x1 − x2) on Python floats
    # would raise ZeroDivisionError; here it gives nan or ±inf, as on tensors.
    assert lbfgs._cubic_interpolate(1.0, 0.0, -1.0, 1.0, 0.0, -1.0) == 1.0  # the midpoint
    assert math.isnan(lbfgs._cubic_interpolate(1.0, 1.0, -1.0, 1.0, 0.0, -1.0))
    assert lbfgs._div(1.0, 0.0) == math.inf and lbfgs._div(-1.0, 0.0) == -math.inf
    assert lbfgs._div(1.0, -0.0) == -math.inf and math.isnan(lbfgs._div(0.0, 0.0))


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_the_runner_reproduces_the_golden(name: str) -> None:
    # The same numbers through the runner (BallProblem, the step records) as a page gets.
    g = load(name)
    surface, start = SURFACES[g["surface"]], np.array(g["start"], dtype=np.float64)
    trace, _ = run(
        surface,
        LBFGS,
        LBFGS.validate(g["hyperparameters"]),
        start_state(surface, LBFGS, start),
        g["steps"],
        grad_tol=0.0,
        step_tol=0.0,
    )
    ours = trace.arrays(())
    n = min(len(ours["positions"]), len(g["positions"]))
    assert n == len(g["positions"]) or ours["steps"][-1] == g["steps"]
    ref = np.asarray(g["positions"][:n])
    assert (np.abs(ours["positions"][:n] - ref) <= 1e-9 * np.abs(ref) + 1e-12).all()
    assert ours["evaluations"][1:n].tolist() == g["evaluations"][: n - 1]
