"""One step explained: the numbers are the real step's, and its pieces add up to it."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from app.engine.optimizers import OPTIMIZERS
from app.engine.optimizers.explaining import num, vec
from app.engine.run import Run, run, start_state
from app.engine.run.explain import Explanation, explain
from app.engine.run.options import validate_options
from app.engine.run.schedules import bind_schedule
from app.engine.surfaces import SURFACES

from .optimizer_cases import CASES

STARTS = {"roll_downhill": [1.5], "himmelblau": [0.5, -1.0]}


def prepared(
    sid: str, oid: str, given: dict[str, Any], steps: int, **kwargs: Any
) -> tuple[Run, dict[str, Any]]:
    """A run after ``steps`` steps, and what run() needs to take the same steps again."""
    surface, opt = SURFACES[sid], OPTIMIZERS[oid]
    args = {
        "surface": surface,
        "optimizer": opt,
        "hyperparameters": opt.validate(given),
        "state": start_state(surface, opt, STARTS[sid]),
        **kwargs,
    }
    _, r = run(steps=steps, **args)
    return r, args


def by_symbol(e: Explanation, symbol: str) -> np.ndarray:
    (q,) = [q for q in e.quantities if q.symbol == symbol]
    return np.array(q.values, dtype=np.float64)


@pytest.mark.parametrize("sid", list(STARTS))
@pytest.mark.parametrize("oid", list(OPTIMIZERS))
def test_the_step_explained_is_the_step_the_runner_takes(oid: str, sid: str) -> None:
    r, args = prepared(sid, oid, dict(CASES[oid].resume), 5)
    before = r.state().to_json()
    e = explain(r)
    assert r.state().to_json() == before, "explaining a step must not take it"
    _, further = run(steps=6, **args)
    after = further.state().to_json()

    assert e.step == 6 and e.status == "running" and e.optimizer == oid
    assert list(e.position_before) == before["position"]
    assert list(e.position_after) == after["position"]
    assert e.buffers_before == before["buffers"]
    assert e.buffers_after == after["buffers"]
    np.testing.assert_array_equal(
        np.array(e.delta), np.array(e.position_after) - np.array(e.position_before)
    )
    g, delta = np.array(e.gradient), np.array(e.delta)
    assert e.gradient == tuple(r.gradient)  # no training options: the exact gradient
    expected = np.where(g != 0, -delta / np.where(g != 0, g, 1), np.nan)
    np.testing.assert_allclose(np.array(e.effective_lr, dtype=float), expected, rtol=1e-15)
    dim = SURFACES[sid].dim
    assert all(len(q.values) == dim for q in e.quantities)
    assert e.substituted[0].startswith("g = ∇f(x) = ")
    assert e.substituted[-1].startswith("Δx = ")


def test_adam_pieces_add_up_to_the_step() -> None:
    r, _ = prepared("himmelblau", "adam", {"lr": 0.05}, 7)
    e = explain(r)
    b1, b2 = 0.9, 0.999
    m, v = by_symbol(e, "m"), by_symbol(e, "v")
    np.testing.assert_array_equal(m, e.buffers_after["exp_avg"])
    np.testing.assert_array_equal(by_symbol(e, "1 − β₁ᵗ"), 1 - b1**8)
    np.testing.assert_array_equal(by_symbol(e, "1 − β₂ᵗ"), 1 - b2**8)
    mhat, vhat = by_symbol(e, "m̂"), by_symbol(e, "v̂")
    np.testing.assert_allclose(mhat, m / (1 - b1**8), rtol=1e-15)
    np.testing.assert_allclose(vhat, v / (1 - b2**8), rtol=1e-15)
    x0, x1 = np.array(e.position_before), np.array(e.position_after)
    np.testing.assert_allclose(x1, x0 - e.lr * mhat / (np.sqrt(vhat) + 1e-8), rtol=0, atol=1e-12)
    assert "1 − β₁ᵗ = 1 − 0.9^8 = 0.5695" in e.substituted


def test_momentum_velocity_and_first_step() -> None:
    r, _ = prepared("roll_downhill", "sgd", {"lr": 0.1, "momentum": 0.9}, 0)
    first = explain(r)
    assert (
        first.substituted[1] == f"b₁ = g = {num(first.gradient[0])}   (the first step: undampened)"
    )
    r, _ = prepared("roll_downhill", "sgd", {"lr": 0.1, "momentum": 0.9}, 4)
    e = explain(r)
    b = by_symbol(e, "b")
    assert b.tolist() == e.buffers_after["momentum_buffer"]
    np.testing.assert_allclose(
        e.position_after[0], e.position_before[0] - 0.1 * b[0], rtol=0, atol=1e-15
    )


def test_radam_rectifies_once_rho_passes_five() -> None:
    young = explain(prepared("roll_downhill", "radam", {"lr": 0.05}, 3)[0])
    grown = explain(prepared("roll_downhill", "radam", {"lr": 0.05}, 9)[0])
    assert by_symbol(young, "ρₜ")[0] <= 5 and not any(q.symbol == "r" for q in young.quantities)
    assert by_symbol(grown, "ρₜ")[0] > 5 and 0 < by_symbol(grown, "r")[0] < 1
    x0, x1 = grown.position_before[0], grown.position_after[0]
    mhat, r = by_symbol(grown, "m̂")[0], by_symbol(grown, "r")[0]
    v = grown.buffers_after["exp_avg_sq"][0]
    bc2 = 1 - 0.999**10
    assert x1 == pytest.approx(
        x0 - 0.05 * mhat * r * math.sqrt(bc2) / (math.sqrt(v) + 1e-8), abs=1e-12
    )


def test_nadam_mu_matches_its_product_buffer() -> None:
    e = explain(prepared("roll_downhill", "nadam", {"lr": 0.05}, 4)[0])
    ratio = np.array(e.buffers_after["mu_product"]) / np.array(e.buffers_before["mu_product"])
    np.testing.assert_allclose(by_symbol(e, "μₜ"), ratio, rtol=1e-14)


def test_sgld_noise_term_is_the_rest_of_the_step() -> None:
    e = explain(prepared("himmelblau", "sgld", {"lr": 0.01, "temperature": 0.5}, 3)[0])
    x0, x1, g = (np.array(v) for v in (e.position_before, e.position_after, e.gradient))
    np.testing.assert_allclose(x1, x0 - 0.01 * g + by_symbol(e, "√(2·lr·T)·ξ"), atol=1e-14)
    np.testing.assert_allclose(by_symbol(e, "√(2·lr·T)·ξ"), math.sqrt(0.01) * by_symbol(e, "ξ"))


def test_newton_step_is_the_hessian_solve() -> None:
    e = explain(prepared("himmelblau", "newton", {"lr": 0.5}, 2)[0])
    h = np.vstack([by_symbol(e, "H + λI, row 1"), by_symbol(e, "H + λI, row 2")])
    step = by_symbol(e, "(H + λI)⁻¹·∇f")
    np.testing.assert_allclose(h @ step, e.gradient, rtol=1e-12)
    np.testing.assert_allclose(e.delta, -0.5 * step, rtol=1e-12)


def test_lion_moves_lr_along_the_sign() -> None:
    e = explain(prepared("himmelblau", "lion", {"lr": 0.01}, 3)[0])
    np.testing.assert_allclose(e.delta, -0.01 * by_symbol(e, "sign(c)"), rtol=1e-12)


@pytest.mark.parametrize("adjust", ["original", "match_rms_adamw"])
def test_muon_steps_eta_along_its_normalised_nesterov_blend(adjust: str) -> None:
    # On a 1×2 matrix NS only rescales: O points along B̃ (to bfloat16), about 0.7 long,
    # and the step is −η·O after the decoupled decay.
    hp = {"lr": 0.02, "weight_decay": 0.1, "adjust_lr_fn": adjust}
    r, args = prepared("himmelblau", "muon", hp, 4)
    e = explain(r)
    o, blend, eta = by_symbol(e, "O"), by_symbol(e, "B̃"), by_symbol(e, "η")
    assert eta[0] == pytest.approx(0.02 if adjust == "original" else 0.2 * 0.02 * math.sqrt(2))
    assert 0.65 < np.linalg.norm(o) < 0.75
    np.testing.assert_allclose(o / np.linalg.norm(o), blend / np.linalg.norm(blend), atol=2**-7)
    x0 = np.array(e.position_before)
    np.testing.assert_allclose(e.position_after, x0 * (1 - 0.02 * 0.1) - eta * o, rtol=1e-15)


def test_options_and_schedule_are_the_steps_own() -> None:
    opts = validate_options({"noise": 2.0, "seed": 3, "clip_grad_norm": 1.0})
    sched = bind_schedule("cosine", {"T_max": 20})
    r, args = prepared("himmelblau", "adam", {"lr": 0.1}, 5, options=opts, schedule=sched)
    e = explain(r)
    trace, _ = run(steps=6, **args)
    assert e.lr == trace.lrs[-1] != 0.1
    assert list(e.gradient) == list(trace.applied_gradients[-1])
    assert list(e.gradient) != list(e.exact_gradient)
    assert np.linalg.norm(e.gradient) <= 1.0 + 1e-12
    assert any(q.symbol == "∇f" for q in e.quantities)
    assert e.substituted[0].startswith("g = the gradient given = ")


def test_a_diverged_run_explains_the_step_that_threw_it_out() -> None:
    r, _ = prepared("roll_downhill", "sgd", {"lr": 50.0}, 50)
    assert r.status_of() == "diverged"
    e = explain(r)
    assert e.step == r.step + 1
    (lo, hi), x1 = SURFACES["roll_downhill"].runaway_box()[0], e.position_after[0]
    assert x1 is None or not lo <= x1 <= hi


def test_a_converged_run_still_has_its_next_step() -> None:
    r, _ = prepared("roll_downhill", "sgd", {"lr": 0.1}, 2000)
    assert r.status_of() == "converged"
    e = explain(r)
    assert e.status == "converged" and abs(e.delta[0]) < 1e-6


def test_no_gradient_no_effective_learning_rate() -> None:
    bowl, sgd = SURFACES["parabola"], OPTIMIZERS["sgd"]
    e = explain(Run(bowl, sgd, sgd.validate({"lr": 0.1}), start_state(bowl, sgd, [0.0])))
    assert e.gradient == (0.0,) and e.effective_lr == (None,)


def test_numbers_are_written_in_one_way() -> None:
    assert num(-0.52041) == "−0.5204"
    assert num(2.5e-7) == "2.5e−7"
    assert num(math.inf) == "∞" and num(None) == "–" and num(math.nan) == "NaN"
    assert vec([-0.5]) == "(−0.5)" and vec([-0.5], lead=True) == "−0.5"
    assert vec([1.0, -2.0]) == "[1, −2]"
