"""Learning-rate schedules against torch.optim.lr_scheduler.

The goldens (tests/golden/schedules, from tools/make_schedule_goldens.py) are torch's own
training loop: ``lrs[e]`` is the learning rate in the param group when optimizer step
e + 1 runs, after e ``scheduler.step()`` calls.  The closed forms must give every one to
1e-12 relative (1e-15 absolute: torch's recursion leaves ±1e-18 where the rate is 0), and
OneCycleLR's cycled momentum / β₁ too.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.engine.errors import HyperparameterError
from app.engine.optimizers import OPTIMIZERS
from app.engine.run.schedules import (
    CYCLE_MOMENTUM_ERROR,
    SCHEDULES,
    BoundSchedule,
    bind_schedule,
    check_cycle_momentum,
    hyperparameters_at,
    momentum_key,
)

from .optimizer_cases import CASES

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden" / "schedules"
GOLDEN_FILES = sorted(p.name for p in GOLDEN_DIR.glob("*.json"))
RTOL, ATOL = 1e-12, 1e-15


def load(name: str) -> dict[str, Any]:
    return json.loads((GOLDEN_DIR / name).read_text())


def bound_of(golden: dict[str, Any]) -> BoundSchedule:
    return bind_schedule(golden["schedule"], golden["parameters"])


def assert_close(ours: list[float], ref: list[float], what: str) -> None:
    ours_a, ref_a = np.asarray(ours, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    assert ours_a.shape == ref_a.shape
    bad = np.flatnonzero(np.abs(ours_a - ref_a) > RTOL * np.abs(ref_a) + ATOL)
    if bad.size:
        e = int(bad[0])
        pytest.fail(f"{what}: first off at epoch {e}: ours {ours_a[e]!r}, torch {ref_a[e]!r}")


# --- the catalog ----------------------------------------------------------------------------


def test_catalog_order_and_torch_names() -> None:
    assert list(SCHEDULES) == ["constant", "step", "exponential", "cosine", "linear", "onecycle"]
    names = {s.id: [h.name for h in s.parameters] for s in SCHEDULES.values()}
    assert names == {
        "constant": [],
        "step": ["step_size", "gamma"],
        "exponential": ["gamma"],
        "cosine": ["T_max", "eta_min"],
        "linear": ["start_factor", "end_factor", "total_iters"],
        "onecycle": [
            "total_steps",
            "pct_start",
            "anneal_strategy",
            "div_factor",
            "final_div_factor",
            "three_phase",
            "cycle_momentum",
            "base_momentum",
            "max_momentum",
        ],
    }


def test_defaults_are_torchs() -> None:
    defaults = {s.id: bind_schedule(s.id, {}).values for s in SCHEDULES.values()}
    assert defaults["step"] == {"step_size": 100, "gamma": 0.1}
    assert defaults["exponential"] == {"gamma": 0.99}
    assert defaults["cosine"] == {"T_max": 200, "eta_min": 0.0}
    assert defaults["linear"] == {"start_factor": 1.0 / 3, "end_factor": 1.0, "total_iters": 5}
    assert defaults["onecycle"] == {
        "total_steps": 1000,
        "pct_start": 0.3,
        "anneal_strategy": "cos",
        "div_factor": 25.0,
        "final_div_factor": 1e4,
        "three_phase": False,
        "cycle_momentum": True,
        "base_momentum": 0.85,
        "max_momentum": 0.95,
    }


@pytest.mark.parametrize("schedule", SCHEDULES.values(), ids=lambda s: s.id)
def test_each_schedule_is_documented(schedule: Any) -> None:
    assert schedule.name and schedule.formula and schedule.help.endswith(".")
    assert "\n" not in schedule.formula
    for h in schedule.parameters:
        assert h.label and h.help, h.name
        assert h.check(h.default) == h.default, h.name


# --- against torch ----------------------------------------------------------------------------


def test_goldens_cover_every_schedule() -> None:
    goldens = [load(name) for name in GOLDEN_FILES]
    assert {g["schedule"] for g in goldens} == set(SCHEDULES)
    for schedule in SCHEDULES.values():
        if schedule.parameters:  # at least one golden with parameters not all torch's defaults
            assert any(g["schedule"] == schedule.id and g["parameters"] for g in goldens)
    onecycle = [g for g in goldens if g["schedule"] == "onecycle"]
    assert {g["parameters"].get("anneal_strategy", "cos") for g in onecycle} == {"cos", "linear"}
    assert any(g["parameters"].get("three_phase") for g in onecycle)
    assert {g.get("momentum_key") for g in onecycle} >= {"momentum", "betas"}
    # cosine past T_max: the rate goes down and back up again within the golden.
    assert any(
        g["schedule"] == "cosine" and g["epochs"] > 2 * g["parameters"].get("T_max", 200)
        for g in goldens
    )


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_lr_matches_torch(name: str) -> None:
    golden = load(name)
    bound = bound_of(golden)
    ours = [bound.lr(golden["base_lr"], e) for e in range(golden["epochs"])]
    assert_close(ours, golden["lrs"], name)


@pytest.mark.parametrize("name", [n for n in GOLDEN_FILES if load(n)["schedule"] == "onecycle"])
def test_momentum_matches_torch(name: str) -> None:
    golden = load(name)
    bound = bound_of(golden)
    ours = [bound.momentum(e) for e in range(golden["epochs"])]
    if "momenta" not in golden:  # cycle_momentum off: torch leaves the optimizer's alone
        assert not bound.cycles_momentum
        assert ours == [None] * golden["epochs"]
        return
    assert bound.cycles_momentum
    assert_close(ours, golden["momenta"], name)
    # torch starts from max_momentum (its constructor writes it, then epoch 0 anneals from
    # it) — unless pct_start·total_steps < 1, when epoch 0 is already past the warm-up.
    if bound.values["pct_start"] * bound.values["total_steps"] > 1:
        assert ours[0] == pytest.approx(bound.values["max_momentum"], rel=1e-15)
    else:
        assert ours[0] < bound.values["max_momentum"]


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_resuming_at_any_epoch_gives_the_sequence(name: str) -> None:
    golden = load(name)
    bound = bound_of(golden)
    base, n = golden["base_lr"], golden["epochs"]
    sequence = [(bound.lr(base, e), bound.momentum(e)) for e in range(n)]
    epochs = list(range(n))
    random.Random(name).shuffle(epochs)
    for e in epochs[:200]:
        # A fresh binding, as a resumed run would make: the value depends on (base, e) only.
        again = bind_schedule(golden["schedule"], golden["parameters"])
        assert (again.lr(base, e), again.momentum(e)) == sequence[e]


# --- epoch semantics ---------------------------------------------------------------------------


def test_first_step_uses_epoch_zero() -> None:
    # Step 1 runs with what the constructor set: LinearLR's start, not one step into it.
    golden = load("linear-default.json")
    assert golden["lrs"][0] == pytest.approx(0.1 / 3, rel=1e-15)  # torch's own first step
    linear = bind_schedule("linear", {})
    assert linear.lr(0.1, 0) == pytest.approx(0.1 / 3, rel=1e-15)
    assert linear.lr(0.1, 1) == pytest.approx(0.1 * (1 / 3 + 2 / 15), rel=1e-15)
    assert linear.lr(0.1, 5) == 0.1  # total_iters steps later: the full rate, exactly
    # StepLR's first cut comes at epoch step_size, i.e. optimizer step step_size + 1.
    step = bind_schedule("step", {"step_size": 30, "gamma": 0.5})
    assert [step.lr(0.05, e) for e in (0, 29, 30)] == [0.05, 0.05, 0.025]
    assert load("step-size30_gamma0.5.json")["lrs"][29:31] == [0.05, 0.025]
    # OneCycleLR's first step: lr/div_factor and max_momentum.
    onecycle = bind_schedule("onecycle", {})
    assert onecycle.lr(0.1, 0) == pytest.approx(0.1 / 25, rel=1e-15)
    assert onecycle.momentum(0) == pytest.approx(0.95, rel=1e-15)


def test_constant_is_base_lr_exactly() -> None:
    constant = bind_schedule("constant", {})
    assert constant.is_constant and constant.values == {}
    for base in (0.1, 1e-3, 0.3, 2.0 / 3.0, 0.0):
        for e in (0, 1, 7, 999, 10**9):
            assert constant.lr(base, e) == base
    assert constant.momentum(5) is None


@pytest.mark.parametrize(
    ("schedule_id", "values", "constant"),
    [
        ("step", {"gamma": 1.0}, True),
        ("exponential", {"gamma": 1.0}, True),
        ("linear", {"start_factor": 1.0, "end_factor": 1.0}, True),
        ("step", {}, False),
        ("exponential", {}, False),
        ("cosine", {}, False),
        ("linear", {}, False),
        ("onecycle", {"cycle_momentum": False}, False),
    ],
)
def test_is_constant(schedule_id: str, values: dict[str, Any], constant: bool) -> None:
    bound = bind_schedule(schedule_id, values)
    assert bound.is_constant is constant
    if constant:
        assert all(bound.lr(0.3, e) == 0.3 for e in range(300))


def test_cosine_continues_past_t_max() -> None:
    cosine = bind_schedule("cosine", {"T_max": 100, "eta_min": 0.001})
    assert cosine.lr(0.1, 100) == 0.001  # the trough, exactly
    assert cosine.lr(0.1, 200) == pytest.approx(0.1, rel=1e-15)  # back up: no restart
    assert cosine.lr(0.1, 150) == pytest.approx(cosine.lr(0.1, 50), rel=1e-13)
    assert cosine.lr(0.1, 1234) == pytest.approx(cosine.lr(0.1, 34), rel=1e-12)


@pytest.mark.parametrize("name", [n for n in GOLDEN_FILES if n.startswith("onecycle")])
def test_onecycle_holds_its_last_value(name: str) -> None:
    golden = load(name)
    bound = bound_of(golden)
    base, total = golden["base_lr"], golden["epochs"]
    assert total == bound.values["total_steps"]
    last = (bound.lr(base, total - 1), bound.momentum(total - 1))
    for e in (total, total + 1, 5 * total, 10**7):
        assert (bound.lr(base, e), bound.momentum(e)) == last
    # What torch itself does there: one more value (an anneal past its end), then an error.
    past = golden["torch_past_total_steps"]
    assert past["epoch"] == total
    assert "Tried to step" in past.get("next_step_error", "") or "error" in past


def test_onecycle_ends_at_the_minimum_rate() -> None:
    for strategy in ("cos", "linear"):
        for three_phase in (False, True):
            bound = bind_schedule(
                "onecycle", {"anneal_strategy": strategy, "three_phase": three_phase}
            )
            assert bound.lr(0.1, 999) == pytest.approx(0.1 / 25 / 1e4, rel=1e-9)
            assert bound.momentum(999) == pytest.approx(0.95, rel=1e-15)
            assert max(bound.lr(0.1, e) for e in range(1000)) == pytest.approx(0.1, rel=1e-5)


def test_negative_or_fractional_epochs_are_refused() -> None:
    step = bind_schedule("step", {})
    with pytest.raises(ValueError, match="epoch"):
        step.lr(0.1, -1)
    with pytest.raises(TypeError):
        step.lr(0.1, 1.5)  # type: ignore[arg-type]
    assert step.lr(0.1, np.int64(3)) == 0.1  # numpy integers are fine


# --- validation ----------------------------------------------------------------------------------

BAD_VALUES: list[tuple[str, str, Any]] = [
    ("step", "step_size", 0),
    ("step", "step_size", 2.5),
    ("step", "step_size", 10001),
    ("step", "step_size", "ten"),
    ("step", "gamma", -0.1),
    ("step", "gamma", 1.5),
    ("step", "gamma", math.nan),
    ("exponential", "gamma", 2.0),
    ("exponential", "gamma", True),
    ("cosine", "T_max", 0),
    ("cosine", "T_max", 3.5),
    ("cosine", "eta_min", -1.0),
    ("cosine", "eta_min", math.inf),
    ("linear", "start_factor", 0.0),
    ("linear", "start_factor", 1.5),
    ("linear", "start_factor", -0.5),
    ("linear", "end_factor", -0.1),
    ("linear", "end_factor", 1.01),
    ("linear", "total_iters", 0),
    ("onecycle", "total_steps", 0),
    ("onecycle", "total_steps", 99.5),
    ("onecycle", "pct_start", 1.2),
    ("onecycle", "pct_start", -0.1),
    ("onecycle", "anneal_strategy", "exp"),
    ("onecycle", "div_factor", 0.0),
    ("onecycle", "final_div_factor", 0.5),
    ("onecycle", "three_phase", 1),
    ("onecycle", "cycle_momentum", "yes"),
    ("onecycle", "base_momentum", 1.0),
    ("onecycle", "max_momentum", -0.5),
]


@pytest.mark.parametrize(("schedule_id", "name", "value"), BAD_VALUES)
def test_bad_value_names_the_field(schedule_id: str, name: str, value: Any) -> None:
    with pytest.raises(HyperparameterError) as info:
        bind_schedule(schedule_id, {name: value})
    assert info.value.field == name
    assert str(info.value).startswith(f"{name}: ")


def test_every_parameter_is_checked() -> None:
    covered = {(s, n) for s, n, _ in BAD_VALUES}
    for schedule in SCHEDULES.values():
        for h in schedule.parameters:
            assert (schedule.id, h.name) in covered


def test_torchs_messages() -> None:
    with pytest.raises(HyperparameterError, match="Starting multiplicative factor expected"):
        bind_schedule("linear", {"start_factor": 0.0})
    with pytest.raises(HyperparameterError, match="Ending multiplicative factor expected"):
        bind_schedule("linear", {"end_factor": 2.0})
    with pytest.raises(HyperparameterError, match="Expected float between 0 and 1 pct_start"):
        bind_schedule("onecycle", {"pct_start": 2.0})
    with pytest.raises(HyperparameterError, match="Expected positive integer total_steps"):
        bind_schedule("onecycle", {"total_steps": 0})


def test_unknown_parameter_lists_the_known_ones() -> None:
    with pytest.raises(HyperparameterError) as info:
        bind_schedule("step", {"step_size": 10, "gama": 0.5})
    assert info.value.field == "gama"
    assert "step_size, gamma" in info.value.reason
    with pytest.raises(HyperparameterError) as info:
        bind_schedule("constant", {"gamma": 0.5})
    assert info.value.field == "gamma"
    assert "no parameters" in info.value.reason


def test_unknown_schedule() -> None:
    with pytest.raises(HyperparameterError) as info:
        bind_schedule("warm_restarts", {})
    assert info.value.field == "name"
    assert "constant, step, exponential, cosine, linear, onecycle" in info.value.reason


def test_values_are_validated_and_typed() -> None:
    bound = bind_schedule("step", {"step_size": 30.0, "gamma": 1})
    assert bound.values == {"step_size": 30, "gamma": 1.0}
    assert type(bound.values["step_size"]) is int and type(bound.values["gamma"]) is float
    onecycle = bind_schedule("onecycle", {"pct_start": 1, "total_steps": 10})
    assert type(onecycle.values["pct_start"]) is float  # torch insists on a float


def test_onecycle_zero_length_warmup_is_refused() -> None:
    # pct_start·total_steps = 1: torch's first step computes 0/0 (ZeroDivisionError).
    with pytest.raises(HyperparameterError) as info:
        bind_schedule("onecycle", {"pct_start": 0.1, "total_steps": 10})
    assert info.value.field == "pct_start"
    with pytest.raises(HyperparameterError):
        bind_schedule("onecycle", {"pct_start": 0.5, "total_steps": 2, "three_phase": True})


def test_onecycle_refusal_is_exactly_the_zero_divisions() -> None:
    # Every other configuration computes every epoch of the cycle without dividing by zero.
    schedule = SCHEDULES["onecycle"]
    defaults = bind_schedule("onecycle", {}).values
    for total in range(1, 41):
        for pct in [i / 20 for i in range(21)] + [1 / total, 0.3]:
            for three in (False, True):
                values = {"total_steps": total, "pct_start": pct, "three_phase": three}
                try:
                    bound = bind_schedule("onecycle", values)
                except HyperparameterError:
                    refused = True
                    bound = BoundSchedule(schedule, {**defaults, **values})  # unchecked
                else:
                    refused = False
                divides_by_zero = False
                for e in range(total):
                    try:
                        bound.lr(0.1, e)
                        bound.momentum(e)
                    except ZeroDivisionError:
                        divides_by_zero = True
                assert refused == divides_by_zero, values


# --- momentum cycling ---------------------------------------------------------------------------

TORCH_MOMENTUM_KEYS = {oid: case.momentum_key for oid, case in CASES.items()}


@pytest.mark.parametrize(("optimizer_id", "key"), TORCH_MOMENTUM_KEYS.items())
def test_momentum_key_is_torchs(optimizer_id: str, key: str | None) -> None:
    names = [h.name for h in OPTIMIZERS[optimizer_id].hyperparameters]
    assert momentum_key(names) == key


def test_momentum_key_prefers_betas() -> None:
    # torch: use_beta1 = "betas" in optimizer.defaults, whatever else is there.
    assert momentum_key(["lr", "momentum", "betas"]) == "betas"
    assert momentum_key(iter(["lr", "momentum"])) == "momentum"
    assert momentum_key([]) is None


def test_check_cycle_momentum() -> None:
    onecycle = bind_schedule("onecycle", {})
    check_cycle_momentum(onecycle, ["lr", "momentum"])
    check_cycle_momentum(onecycle, ["lr", "betas", "eps"])
    with pytest.raises(HyperparameterError) as info:
        check_cycle_momentum(onecycle, ["lr", "lr_decay", "eps"])
    assert info.value.field == "cycle_momentum"
    assert info.value.reason == CYCLE_MOMENTUM_ERROR
    # Nothing to cycle: any optimizer will do.
    check_cycle_momentum(bind_schedule("onecycle", {"cycle_momentum": False}), ["lr"])
    check_cycle_momentum(bind_schedule("cosine", {}), ["lr"])


def test_hyperparameters_at_writes_what_torch_writes() -> None:
    onecycle = bind_schedule("onecycle", {"total_steps": 100})
    adam = OPTIMIZERS["adam"].validate({"lr": 0.01})
    at = hyperparameters_at(onecycle, adam, 30)
    assert at["lr"] == onecycle.lr(0.01, 30)
    assert at["betas"] == (onecycle.momentum(30), adam["betas"][1])
    assert adam["lr"] == 0.01  # the given values are left as they were
    sgd = OPTIMIZERS["sgd"].validate({"lr": 0.1})
    at = hyperparameters_at(onecycle, sgd, 0)
    assert at["momentum"] == onecycle.momentum(0)
    assert at["lr"] == pytest.approx(0.1 / 25, rel=1e-15)
    steady = hyperparameters_at(bind_schedule("step", {"step_size": 10}), sgd, 10)
    assert steady == {**sgd, "lr": pytest.approx(0.01, rel=1e-15)}
    with pytest.raises(HyperparameterError) as info:
        hyperparameters_at(onecycle, OPTIMIZERS["adagrad"].validate({}), 0)
    assert info.value.field == "cycle_momentum"
