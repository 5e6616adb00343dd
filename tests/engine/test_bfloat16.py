"""The numpy bfloat16 ops Muon uses (app/engine/optimizers/bfloat16.py) against torch 2.13's,
bit for bit: tests/golden/bfloat16/ops.json, written by tools/make_bfloat16_goldens.py."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.engine.optimizers import bfloat16 as bf

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "bfloat16" / "ops.json"


@cache
def golden() -> dict[str, Any]:
    return json.loads(GOLDEN.read_text())


def value(patterns: Any) -> np.ndarray:
    """bfloat16 bit patterns as the float32 values they stand for."""
    high = np.asarray(patterns, dtype=np.uint32) << np.uint32(16)
    return high.view(np.float32)


def patterns(x: np.ndarray) -> np.ndarray:
    return (np.asarray(x, dtype=np.float32).view(np.uint32) >> np.uint32(16)).astype(np.int64)


def test_golden_is_torchs() -> None:
    g = golden()
    assert g["torch_version"].startswith("2.13")
    assert {k: len(v) >= 1 for k, v in g.items() if isinstance(v, list)} == dict.fromkeys(
        ("convert", "norm", "divide", "matmul", "addmm", "newton_schulz"), True
    )


def test_conversion_from_float64_is_torchs() -> None:
    (case,) = golden()["convert"]
    ours = patterns(bf.to_bfloat16(np.array(case["x"], dtype=np.float64)))
    np.testing.assert_array_equal(ours, case["out"])


def test_conversion_rounds_twice_as_torch_does() -> None:
    # Just above the tie between 1 and 1 + 2⁻⁷: float32 rounds it onto the tie, which goes
    # to even (1).  Rounding float64 straight to bfloat16 would give 1 + 2⁻⁷.
    assert bf.to_bfloat16(1 + 2**-8 + 2**-30) == 1.0
    assert bf.to_bfloat16(1 + 2**-8 + 2**-20) == 1 + 2**-7
    assert bf.to_bfloat16(1 + 3 * 2**-8) == 1 + 2**-6  # a tie, to even
    assert bf.to_bfloat16(3.4e38) == np.inf
    assert np.isnan(bf.to_bfloat16(np.nan))


def test_rounding_straight_from_float64_would_fail_the_golden() -> None:
    (case,) = golden()["convert"]
    x = np.array(case["x"], dtype=np.float64)
    # Round to nearest even on float64's bits: the textbook conversion, not torch's.
    spacing = np.ldexp(1.0, np.frexp(x)[1] - 8)
    straight = np.round(x / spacing) * spacing
    assert not np.array_equal(patterns(bf.to_bfloat16(straight)), case["out"])


@pytest.mark.parametrize("op", ["norm", "divide", "matmul", "addmm"])
def test_ops_are_torchs_bit_for_bit(op: str) -> None:
    for case in golden()[op]:
        if op == "norm":
            ours = bf.norm(value(case["x"]))[..., 0, 0]
        elif op == "divide":
            ours = bf.divide(value(case["x"]), value(case["y"]))
        elif op == "matmul":
            ours = bf.matmul(value(case["a"]), value(case["b"]))
        else:
            c, a, b = (value(case[k]) for k in "cab")
            ours = bf.addmm(c, a, b, beta=case["beta"], alpha=case["alpha"])
        np.testing.assert_array_equal(patterns(ours), case["out"], err_msg=str(case))


def test_addmm_rounded_in_two_steps_would_fail_the_golden() -> None:
    # β·C rounded to float32 before the sum: the golden holds cases where that shows.
    wrong = 0
    for case in golden()["addmm"]:
        c, a, b = (value(case[k]) for k in "cab")
        product = np.float32(case["alpha"]) * np.matmul(a, b, dtype=np.float32)
        separate = bf.to_bfloat16(np.float32(case["beta"]) * c + product)
        wrong += not np.array_equal(patterns(separate), case["out"])
    assert wrong >= 10


def test_newton_schulz_is_torchs_bit_for_bit() -> None:
    for case in golden()["newton_schulz"]:
        ours = bf.newton_schulz(
            np.array(case["g"], dtype=np.float64),
            tuple(case["coefficients"]),
            case["steps"],
            case["eps"],
        )
        np.testing.assert_array_equal(patterns(ours), case["out"], err_msg=str(case))


def test_newton_schulz_on_a_stack_is_each_matrix_alone() -> None:
    rng = np.random.default_rng(0)
    stack = rng.standard_normal((3, 4, 1, 2)) * 10.0 ** rng.uniform(-9, 3, (3, 4, 1, 1))
    together = bf.newton_schulz(stack, (3.4445, -4.775, 2.0315), 5, 1e-7)
    for idx in np.ndindex(3, 4):
        alone = bf.newton_schulz(stack[idx], (3.4445, -4.775, 2.0315), 5, 1e-7)
        np.testing.assert_array_equal(together[idx], alone)


def test_newton_schulz_of_a_row_is_its_direction_times_a_constant() -> None:
    # On a 1×n matrix the iteration only rescales: the direction survives (to bfloat16)
    # and the length is the quintic run five times from 1, about 0.7 — not 1.
    g = np.array([[3.0, -4.0]])
    o = bf.newton_schulz(g, (3.4445, -4.775, 2.0315), 5, 1e-7).astype(np.float64)
    length = np.linalg.norm(o)
    assert 0.65 < length < 0.75
    np.testing.assert_allclose(o / length, g / 5.0, rtol=2**-7)
    zero = bf.newton_schulz(np.zeros((1, 2)), (3.4445, -4.775, 2.0315), 5, 1e-7)
    assert (zero == 0).all()
