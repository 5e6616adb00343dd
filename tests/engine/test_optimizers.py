"""Optimizer catalog: torch's names, defaults and validation messages; a few exact steps."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from app.engine.backend import NUMPY, SCALAR
from app.engine.errors import HyperparameterError
from app.engine.optimizers import OPTIMIZERS
from app.engine.optimizers.interface import Given, descend
from app.engine.optimizers.shared import lerp
from app.engine.run import run, start_state
from app.engine.surfaces import SURFACES

from .optimizer_cases import CASES

# torch's documented defaults and negative-value messages, from the one table of cases.
TORCH_DEFAULTS = {oid: case.defaults for oid, case in CASES.items()}
TORCH_NEGATIVE_MESSAGES = [
    (oid, name, message) for oid, case in CASES.items() for name, message in case.negative.items()
]
WITH_BETAS = sorted(oid for oid, d in TORCH_DEFAULTS.items() if "betas" in d)

NUMERIC = [
    (oid, name)
    for oid, defaults in TORCH_DEFAULTS.items()
    for name, value in defaults.items()
    if not isinstance(value, bool)
]
BOOLEAN = [
    (oid, name)
    for oid, defaults in TORCH_DEFAULTS.items()
    for name, value in defaults.items()
    if isinstance(value, bool)
]


def rejects(oid: str, given: dict[str, Any]) -> HyperparameterError:
    with pytest.raises(HyperparameterError) as info:
        OPTIMIZERS[oid].validate(given)
    assert isinstance(info.value, ValueError)
    return info.value


def test_catalog_lists_the_optimizers_in_teaching_order() -> None:
    # The table of cases is in teaching order, and every optimizer has its case.
    assert list(OPTIMIZERS) == list(CASES)
    assert list(OPTIMIZERS)[:4] == ["sgd", "adagrad", "rmsprop", "adam"]


def with_first(oid: str, name: str, value: Any) -> Any:
    """``value`` for a number; for a pair (betas, etas, step_sizes), the pair with its first
    entry replaced by ``value``."""
    default = TORCH_DEFAULTS[oid][name]
    return [value, *default[1:]] if isinstance(default, tuple) else value


@pytest.mark.parametrize("oid", sorted(TORCH_DEFAULTS))
def test_defaults_are_torchs(oid: str) -> None:
    opt = OPTIMIZERS[oid]
    assert [h.name for h in opt.hyperparameters] == list(TORCH_DEFAULTS[oid])
    filled = opt.validate({})
    assert filled == TORCH_DEFAULTS[oid]
    for name, value in filled.items():
        assert type(value) is type(TORCH_DEFAULTS[oid][name]), name


@pytest.mark.parametrize(("oid", "name", "message"), TORCH_NEGATIVE_MESSAGES)
def test_negative_values_are_rejected_with_torchs_message(oid: str, name: str, message: str):
    err = rejects(oid, {name: with_first(oid, name, -0.5)})  # a pair: its first entry
    assert err.name == name == err.field
    assert message in str(err)
    assert message in err.reason


def test_negative_learning_rate_names_lr() -> None:
    err = rejects("sgd", {"lr": -1e-3})
    assert err.name == "lr"
    assert "Invalid learning rate" in str(err)
    assert "-0.001" in str(err)


@pytest.mark.parametrize(("oid", "name"), NUMERIC)
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_rejected(oid: str, name: str, bad: float) -> None:
    err = rejects(oid, {name: with_first(oid, name, bad)})
    assert err.name == name


@pytest.mark.parametrize(("oid", "name"), NUMERIC)
@pytest.mark.parametrize("bad", ["0.1", None, True, {"x": 1}])
def test_numbers_must_be_numbers(oid: str, name: str, bad: Any) -> None:
    assert rejects(oid, {name: with_first(oid, name, bad)}).name == name


@pytest.mark.parametrize(("oid", "name"), BOOLEAN)
@pytest.mark.parametrize("bad", [0, 1, "true", None])
def test_switches_must_be_booleans(oid: str, name: str, bad: Any) -> None:
    assert rejects(oid, {name: bad}).name == name


@pytest.mark.parametrize(
    ("betas", "index"),
    [([1.0, 0.999], 0), ([-0.1, 0.999], 0), ([0.9, 1.0], 1), ([0.9, -0.5], 1), ([0.9, 2.0], 1)],
)
@pytest.mark.parametrize("oid", WITH_BETAS)
def test_betas_out_of_range(oid: str, betas: list[float], index: int) -> None:
    err = rejects(oid, {"betas": betas})
    assert err.name == "betas"
    assert f"Invalid beta parameter at index {index}" in str(err)


@pytest.mark.parametrize("betas", [[0.9], [0.9, 0.99, 0.999], 0.9, "0.9,0.999"])
def test_betas_must_be_a_pair(betas: Any) -> None:
    assert rejects("adam", {"betas": betas}).name == "betas"


def test_betas_accept_a_list_or_a_tuple() -> None:
    adam = OPTIMIZERS["adam"]
    assert adam.validate({"betas": [0.5, 0.75]})["betas"] == (0.5, 0.75)
    assert adam.validate({"betas": (0, 0)})["betas"] == (0.0, 0.0)


@pytest.mark.parametrize(
    "etas", [[1.0, 1.2], [0.0, 1.2], [0.5, 1.0], [0.5, 0.9], [1.5, 1.2], [-0.5, 1.2]]
)
def test_rprop_etas_must_straddle_one(etas: list[float]) -> None:
    # torch: 0 < etas[0] < 1 < etas[1], else "Invalid eta values: 1.0, 1.2".
    err = rejects("rprop", {"etas": etas})
    assert err.name == "etas"
    assert "Invalid eta values" in str(err)
    if etas[0] >= 0:
        assert f"Invalid eta values: {float(etas[0])}, {float(etas[1])}" in str(err)


def test_rprop_etas_close_to_one_are_fine() -> None:
    hp = OPTIMIZERS["rprop"].validate({"etas": [0.999, 1.001]})
    assert hp["etas"] == (0.999, 1.001)


@pytest.mark.parametrize(
    "given",
    [
        {"nesterov": True},
        {"nesterov": True, "momentum": 0.0},
        {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
    ],
)
def test_nesterov_needs_momentum_and_no_dampening(given: dict[str, Any]) -> None:
    err = rejects("sgd", given)
    assert err.name == "nesterov"
    assert "Nesterov momentum requires a momentum and zero dampening" in str(err)


def test_nesterov_with_momentum_is_fine() -> None:
    hp = OPTIMIZERS["sgd"].validate({"nesterov": True, "momentum": 0.9})
    assert hp["nesterov"] is True and hp["momentum"] == 0.9


@pytest.mark.parametrize("oid", sorted(TORCH_DEFAULTS))
def test_unknown_hyperparameter_is_named(oid: str) -> None:
    err = rejects(oid, {"learning_rate": 0.1})
    assert err.name == "learning_rate"
    assert "learning_rate" in str(err)


def test_whole_numbers_become_floats() -> None:
    hp = OPTIMIZERS["sgd"].validate({"lr": 1, "momentum": 0})
    assert hp["lr"] == 1.0 and type(hp["lr"]) is float
    assert type(hp["momentum"]) is float


@pytest.mark.parametrize("oid", sorted(TORCH_DEFAULTS))
def test_zero_is_a_valid_value_everywhere_torch_allows_it(oid: str) -> None:
    # (L-BFGS's counts, max_iter and history_size, start at 1; its line search is a name.)
    skip = bool | tuple | int | str
    least = CASES[oid].least
    zeros = {n: 0.0 for n, v in TORCH_DEFAULTS[oid].items() if not isinstance(v, skip)}
    hp = OPTIMIZERS[oid].validate({**zeros, **least})
    assert all(hp[n] == least.get(n, 0.0) for n in zeros)
    for name, value in least.items():  # and just below it, torch refuses
        assert rejects(oid, {name: value * (1 - 2**-52) if value else -1e-300}).name == name


@pytest.mark.parametrize("oid", sorted(TORCH_DEFAULTS))
def test_buffers_start_empty(oid: str) -> None:
    opt = OPTIMIZERS[oid]
    assert opt.state.fresh(2).to_json(()) == dict.fromkeys(opt.keys)
    assert getattr(opt.state, "nonnegative", frozenset()) <= set(opt.keys)


# --- exact steps, hand-checked against torch 2.13 (float64, foreach=False) -----------------


def steps_on_parabola(oid: str, given: dict[str, Any], n: int, x: float = 1.0) -> float:
    return descend(OPTIMIZERS[oid], given, (x,), n, grad=lambda p: (2.0 * p[0],))[0]


def first_step(oid: str, given: dict[str, Any], x: float, g: float) -> tuple[float, Any]:
    """One step from x given the gradient g: the new x and the optimizer's state."""
    opt = OPTIMIZERS[oid]
    rule = opt.bind(opt.validate(given))
    (new_x,), state, _ = rule.step(Given((x,), lambda p: (g,)), 1, (x,), rule.init(1))
    return new_x, state


def test_adam_three_steps_on_a_parabola_match_torch() -> None:
    # torch.optim.Adam([x], lr=0.1) on x**2 from 1.0 gives 0.9000000005,
    # 0.8004122286917927, 0.7015862729460302.
    assert steps_on_parabola("adam", {"lr": 0.1}, 1) == 0.9000000005
    assert steps_on_parabola("adam", {"lr": 0.1}, 3) == pytest.approx(0.7015862729460302, 1e-15)


def test_sgd_momentum_first_step_is_undampened() -> None:
    # torch copies the first gradient into the momentum buffer, ignoring dampening.
    x = steps_on_parabola("sgd", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}, 1)
    assert x == 1.0 - 0.1 * 2.0


@pytest.mark.parametrize("oid", list(OPTIMIZERS))
def test_maximize_climbs(oid: str) -> None:
    # The case's maximize_extra: Langevin noise off; Newton damped, since undamped Newton
    # heads for the stationary point of x² whichever way it is asked to go.
    surface, opt = SURFACES["parabola"], OPTIMIZERS[oid]
    given = {"lr": 0.01, **CASES[oid].maximize_extra}
    for maximize, climbs in ((True, True), (False, False)):
        state = start_state(surface, opt, np.array([1.0]))
        trace, _ = run(surface, opt, opt.validate({**given, "maximize": maximize}), state, 3)
        assert (trace.positions[-1][0] > 1.0) == climbs, trace.positions


@pytest.mark.parametrize("w", [0.0, 0.1, 0.49, 0.5, 0.7, 1.0])
def test_lerp_is_a_lerp_on_both_branches(w: float) -> None:
    a, b = 1.25, -3.5
    assert lerp(a, b, w) == pytest.approx(a + w * (b - a), abs=1e-15)
    assert lerp(a, b, 0.0) == a and lerp(a, b, 1.0) == b


# Seven steps on x² from 1.0, float64, torch 2.13 (the reference Lion for "lion"); torch's
# vectorized kernels may round the last bit differently from the engine's portable order.
TORCH_SEVEN_STEPS = [
    ("adamw", {"lr": 0.1}, 0.3188433337474755),
    ("adamw", {"lr": 0.1, "weight_decay": 0.5, "amsgrad": True}, 0.13488608801181168),
    ("adamax", {"lr": 0.1}, 0.4078206831933238),
    ("nadam", {"lr": 0.1}, 0.49832964437115607),
    (
        "nadam",
        {"lr": 0.1, "weight_decay": 0.5, "decoupled_weight_decay": True},
        0.3072403761487729,
    ),
    ("radam", {"lr": 0.1}, 0.19696622612839057),
    ("adadelta", {}, 0.9768627982098473),
    ("rprop", {"lr": 0.1}, -0.2915903999999998),
    ("lion", {"lr": 0.1}, 0.30000000000000016),
    ("lion", {"lr": 0.1, "weight_decay": 0.5}, 0.09501188828124993),
]


@pytest.mark.parametrize(("oid", "given", "x7"), TORCH_SEVEN_STEPS)
def test_seven_steps_on_a_parabola_match_torch(oid: str, given: dict[str, Any], x7: float):
    assert steps_on_parabola(oid, given, 7) == pytest.approx(x7, rel=1e-14)


def test_adamw_decays_the_weights_before_the_adam_step() -> None:
    # torch: x ← x·(1 − lr·λ) = 0.95, then the Adam step of size lr·m̂/(√v̂ + ε) ≈ 0.1.
    x = steps_on_parabola("adamw", {"lr": 0.1, "weight_decay": 0.5}, 1)
    assert x == pytest.approx(0.85, abs=1e-9)
    # Adam's (coupled) weight decay only changes the gradient, which Adam normalizes away.
    assert steps_on_parabola("adam", {"lr": 0.1, "weight_decay": 0.5}, 1) == pytest.approx(
        0.9, abs=1e-9
    )


def test_radam_steps_without_rectification_until_rho_passes_five() -> None:
    # With β₂ = 0.999, ρₜ = ρ∞ − 2t·β₂ᵗ/(1 − β₂ᵗ) is close to t early on (ρ₅ ≈ 4.99):
    # five plain steps x ← x − lr·m̂ (m̂ the bias-corrected momentum); torch gives 0.8,
    # 0.62105..., ..., 0.20164...
    assert steps_on_parabola("radam", {"lr": 0.1}, 1) == 0.8
    x5 = steps_on_parabola("radam", {"lr": 0.1}, 5)
    assert x5 == pytest.approx(0.20164796308087313, rel=1e-14)
    # Step 6 is the first rectified one: a far smaller, variance-scaled step.
    assert x5 - steps_on_parabola("radam", {"lr": 0.1}, 6) == pytest.approx(
        0.20164796308087313 - 0.19951804056282027, rel=1e-12
    )


def test_rprop_stands_still_on_a_sign_flip_and_shrinks_its_step() -> None:
    # torch, lr 1.5 on x² from 1: the first step is lr (1 → -0.5); the gradient's sign flips,
    # so the step size halves to 0.75 and the gradient is zeroed: no move; with prev = 0
    # the next step keeps 0.75 (-0.5 → 0.25); and so on.
    xs = [steps_on_parabola("rprop", {"lr": 1.5}, n) for n in range(1, 8)]
    assert xs == [-0.5, -0.5, 0.25, 0.25, -0.125, -0.125, 0.0625]


def test_rprop_creates_its_step_sizes_from_lr_and_clamps_them() -> None:
    x, state = first_step("rprop", {"lr": 3.0, "step_sizes": [1e-6, 2.0]}, 1.0, 2.0)
    # Born at lr = 3.0, times 1 (no previous gradient), clamped to the maximum 2.0.
    assert (x, state.buffer("prev"), state.buffer("step_size")) == (-1.0, (2.0,), (2.0,))


def test_rprop_step_sizes_clamp_as_torch_does_when_min_exceeds_max() -> None:
    # torch does not check step_sizes; clamp(s, min, max) then gives max.
    x = steps_on_parabola("rprop", {"lr": 0.1, "step_sizes": [0.5, 0.2]}, 1)
    assert x == pytest.approx(0.8)


def test_nadam_mu_product_is_the_product_of_the_momentum_schedule() -> None:
    nadam = OPTIMIZERS["nadam"]
    rule = nadam.bind(nadam.validate({}))
    x, state = (1.0,), rule.init(1)
    for step in (1, 2, 3):
        x, state, _ = rule.step(Given(x, lambda p: (2.0 * p[0],)), step, x, state)
    mus = [0.9 * (1.0 - 0.5 * 0.96 ** (t * 4e-3)) for t in (1, 2, 3)]
    (mu_product,) = state.buffer("mu_product")
    assert mu_product == pytest.approx(mus[0] * mus[1] * mus[2], rel=1e-15)


def test_lion_moves_exactly_lr_per_step_and_not_at_all_from_rest() -> None:
    x = steps_on_parabola("lion", {"lr": 0.25}, 2, x=3.0)
    assert x == 2.5  # sign-based: each step is exactly lr
    assert steps_on_parabola("lion", {"lr": 0.25}, 3, x=0.0) == 0.0  # sign(0) = 0


def test_adadelta_starts_with_steps_of_about_root_eps() -> None:
    # Δ = √(0 + ε)/√((1 − ρ)·g² + ε)·g, nearly √ε/√(1 − ρ) whatever the gradient's size.
    for x0 in (1.0, 100.0):
        step = x0 - steps_on_parabola("adadelta", {}, 1, x=x0)
        assert step == pytest.approx(1e-3 / math.sqrt(0.1), rel=1e-3)


# --- backend functions the sign-based rules use ---------------------------------------------


@pytest.mark.parametrize(
    ("x", "sign"), [(2.5, 1.0), (-1e-300, -1.0), (0.0, 0.0), (-0.0, 0.0), (math.inf, 1.0)]
)
def test_sign_in_both_backends(x: float, sign: float) -> None:
    assert SCALAR.sign(x) == sign and type(SCALAR.sign(x)) is float
    assert NUMPY.sign(np.array([x])).tolist() == [sign]
    assert math.copysign(1.0, SCALAR.sign(x)) == math.copysign(1.0, sign)  # no -0.0


def test_sign_propagates_nan_in_both_backends() -> None:
    assert math.isnan(SCALAR.sign(math.nan))
    assert np.isnan(NUMPY.sign(np.array([math.nan]))).all()


def test_minimum_maximum_abs_and_where_agree_across_backends() -> None:
    values = [-2.0, -0.5, 0.0, 0.5, 3.0]
    arr = np.array(values)
    for xp_op, np_op in [
        (SCALAR.abs, NUMPY.abs),
        (lambda v: SCALAR.minimum(v, 0.25), lambda a: NUMPY.minimum(a, 0.25)),
        (lambda v: SCALAR.maximum(v, 0.25), lambda a: NUMPY.maximum(a, 0.25)),
        (lambda v: SCALAR.where(v < 0, 0.0, v), lambda a: NUMPY.where(a < 0, 0.0, a)),
    ]:
        assert [xp_op(v) for v in values] == np_op(arr).tolist()
    assert math.isnan(SCALAR.minimum(math.nan, 1.0)) and math.isnan(SCALAR.minimum(1.0, math.nan))


# --- weight decay: what Optimizer.weight_decay says is what the rule does -------------------


def one_step(oid: str, given: dict[str, Any], x: float, g: float) -> float:
    return first_step(oid, given, x, g)[0]


def test_weight_decay_kinds() -> None:
    # NAdam's and RAdam's "l2" turns "decoupled" with decoupled_weight_decay (below).
    assert {oid: o.weight_decay for oid, o in OPTIMIZERS.items()} == {
        oid: case.decay for oid, case in CASES.items()
    }
    for oid, opt in OPTIMIZERS.items():
        has = any(h.name == "weight_decay" for h in opt.hyperparameters)
        assert has == (opt.weight_decay is not None), oid


DECAY_CASES = [(oid, False) for oid, o in OPTIMIZERS.items() if o.weight_decay] + [
    (oid, True) for oid, o in OPTIMIZERS.items() if o.decoupled_by
]


def test_the_decoupling_switches_are_nadams_and_radams():
    switches = {oid: o.decoupled_by for oid, o in OPTIMIZERS.items() if o.decoupled_by}
    assert switches == {
        **dict.fromkeys(["nadam", "radam"], "decoupled_weight_decay"),
        "prodigy": "decouple",  # on by default
    }


@pytest.mark.parametrize(("oid", "decoupled_switch"), DECAY_CASES)
def test_weight_decay_acts_as_declared(oid: str, decoupled_switch: bool) -> None:
    # What the catalog says (weight_decay, and the decoupled_by switch the pages read) is
    # what the rule does.
    opt = OPTIMIZERS[oid]
    lr, lam, x, g = 0.1, 0.3, 1.7e-4 if CASES[oid].relative_step else 1.7, -0.4
    base = {"lr": lr, opt.decoupled_by: decoupled_switch} if opt.decoupled_by else {"lr": lr}
    decayed = one_step(oid, {**base, "weight_decay": lam}, x, g)
    kind = "decoupled" if decoupled_switch else opt.weight_decay
    shrunk = CASES[oid].decoupled_x
    if kind == "l2":
        assert decayed == one_step(oid, {**base, "weight_decay": 0.0}, x, g + lam * x)
    elif shrunk != "own":
        start = x * (1 - lr * lam) if shrunk is None else shrunk(lr, lam, x)
        assert decayed == one_step(oid, {**base, "weight_decay": 0.0}, start, g)
