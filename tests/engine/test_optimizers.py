"""Optimizer catalog: torch's names, defaults and validation messages; a few exact steps."""

from __future__ import annotations

import math
from typing import Any

import pytest

from app.engine.backend import SCALAR
from app.engine.errors import HyperparameterError
from app.engine.optimizers import OPTIMIZERS, lerp

# torch.optim's documented constructor defaults (torch 2.x), written out by hand so the
# catalog is checked against torch rather than against itself.
TORCH_DEFAULTS: dict[str, dict[str, Any]] = {
    "sgd": {
        "lr": 1e-3,
        "momentum": 0.0,
        "dampening": 0.0,
        "weight_decay": 0.0,
        "nesterov": False,
        "maximize": False,
    },
    "adagrad": {
        "lr": 1e-2,
        "lr_decay": 0.0,
        "weight_decay": 0.0,
        "initial_accumulator_value": 0.0,
        "eps": 1e-10,
        "maximize": False,
    },
    "rmsprop": {
        "lr": 1e-2,
        "alpha": 0.99,
        "eps": 1e-8,
        "weight_decay": 0.0,
        "momentum": 0.0,
        "centered": False,
        "maximize": False,
    },
    "adam": {
        "lr": 1e-3,
        "betas": (0.9, 0.999),
        "eps": 1e-8,
        "weight_decay": 0.0,
        "amsgrad": False,
        "maximize": False,
    },
}

# torch's ValueError message stems for a negative value of each hyperparameter.
TORCH_NEGATIVE_MESSAGES = [
    ("sgd", "lr", "Invalid learning rate"),
    ("sgd", "momentum", "Invalid momentum value"),
    ("sgd", "weight_decay", "Invalid weight_decay value"),
    ("adagrad", "lr", "Invalid learning rate"),
    ("adagrad", "lr_decay", "Invalid lr_decay value"),
    ("adagrad", "weight_decay", "Invalid weight_decay value"),
    ("adagrad", "initial_accumulator_value", "Invalid initial_accumulator_value value"),
    ("adagrad", "eps", "Invalid epsilon value"),
    ("rmsprop", "lr", "Invalid learning rate"),
    ("rmsprop", "alpha", "Invalid alpha value"),
    ("rmsprop", "eps", "Invalid epsilon value"),
    ("rmsprop", "weight_decay", "Invalid weight_decay value"),
    ("rmsprop", "momentum", "Invalid momentum value"),
    ("adam", "lr", "Invalid learning rate"),
    ("adam", "eps", "Invalid epsilon value"),
    ("adam", "weight_decay", "Invalid weight_decay value"),
]

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


def test_catalog_is_the_four_torch_optimizers() -> None:
    assert set(OPTIMIZERS) == set(TORCH_DEFAULTS)


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
    err = rejects(oid, {name: -0.5})
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
    value: Any = [bad, 0.999] if name == "betas" else bad
    err = rejects(oid, {name: value})
    assert err.name == name


@pytest.mark.parametrize(("oid", "name"), NUMERIC)
@pytest.mark.parametrize("bad", ["0.1", None, True, {"x": 1}])
def test_numbers_must_be_numbers(oid: str, name: str, bad: Any) -> None:
    value: Any = [bad, 0.999] if name == "betas" else bad
    assert rejects(oid, {name: value}).name == name


@pytest.mark.parametrize(("oid", "name"), BOOLEAN)
@pytest.mark.parametrize("bad", [0, 1, "true", None])
def test_switches_must_be_booleans(oid: str, name: str, bad: Any) -> None:
    assert rejects(oid, {name: bad}).name == name


@pytest.mark.parametrize(
    ("betas", "index"),
    [([1.0, 0.999], 0), ([-0.1, 0.999], 0), ([0.9, 1.0], 1), ([0.9, -0.5], 1), ([0.9, 2.0], 1)],
)
def test_betas_out_of_range(betas: list[float], index: int) -> None:
    err = rejects("adam", {"betas": betas})
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
    zeros = {n: 0.0 for n, v in TORCH_DEFAULTS[oid].items() if not isinstance(v, bool | tuple)}
    hp = OPTIMIZERS[oid].validate(zeros)
    assert all(hp[n] == 0.0 for n in zeros)


@pytest.mark.parametrize("oid", sorted(TORCH_DEFAULTS))
def test_buffers_start_empty(oid: str) -> None:
    opt = OPTIMIZERS[oid]
    assert opt.empty_buffers() == (None,) * len(opt.buffers)
    assert opt.nonnegative_buffers <= set(opt.buffers)


# --- exact steps, hand-checked against torch 2.13 (float64, foreach=False) -----------------


def steps_on_parabola(oid: str, given: dict[str, Any], n: int, x: float = 1.0) -> float:
    opt = OPTIMIZERS[oid]
    update = opt.rule(opt.validate(given))
    bufs: tuple[Any, ...] = opt.empty_buffers()
    for step in range(1, n + 1):
        x, bufs = update(SCALAR, step, x, 2.0 * x, bufs)
    return x


def test_adam_three_steps_on_a_parabola_match_torch() -> None:
    # torch.optim.Adam([x], lr=0.1) on x**2 from 1.0 gives 0.9000000005,
    # 0.8004122286917927, 0.7015862729460302.
    assert steps_on_parabola("adam", {"lr": 0.1}, 1) == 0.9000000005
    assert steps_on_parabola("adam", {"lr": 0.1}, 3) == pytest.approx(0.7015862729460302, 1e-15)


def test_sgd_momentum_first_step_is_undampened() -> None:
    # torch copies the first gradient into the momentum buffer, ignoring dampening.
    x = steps_on_parabola("sgd", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}, 1)
    assert x == 1.0 - 0.1 * 2.0


def test_maximize_climbs() -> None:
    for oid in OPTIMIZERS:
        assert steps_on_parabola(oid, {"lr": 0.01, "maximize": True}, 3) > 1.0
        assert steps_on_parabola(oid, {"lr": 0.01}, 3) < 1.0


@pytest.mark.parametrize("w", [0.0, 0.1, 0.49, 0.5, 0.7, 1.0])
def test_lerp_is_a_lerp_on_both_branches(w: float) -> None:
    a, b = 1.25, -3.5
    assert lerp(a, b, w) == pytest.approx(a + w * (b - a), abs=1e-15)
    assert lerp(a, b, 0.0) == a and lerp(a, b, 1.0) == b
