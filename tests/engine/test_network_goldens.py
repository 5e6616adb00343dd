"""The engine's network training against torch: goldens from tools/make_network_goldens.py.

Each golden is a small network built in torch (``nn.Sequential`` of ``nn.Linear`` and
activation modules, float64) from the engine's initial weights, on the engine's data set,
split and feature columns, trained for 200 steps by ``torch.optim`` (or the reference Lion,
Newton and SGLD of tools/golden.py; Muon as its usual recipe, torch.optim.Muon and AdamW)
with torch's losses, clipping utilities and schedulers, the engine's mini-batch order
replayed.  The engine's :class:`NetworkRun`, given the same
setting, must reproduce θ after every step, the train and test losses, and a schedule's
learning rates, to 1e-9 relative (1e-12 absolute) up to the golden's ``horizon``: the points
on which torch agrees (ten times closer) with its own twins — gradients times 1 + 2**-52,
the gradient of the engine's numpy backward pass in torch's update rules, torch's portable
kernels.  That is every point, except for the one golden in SENSITIVE.  The goldens are
JSON; the test needs no torch.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.engine.networks import model
from app.engine.networks.data import generate
from app.engine.networks.model import ACTIVATIONS, init_weights
from app.engine.networks.train import NetworkRun, Setup, setup
from app.engine.optimizers import OPTIMIZERS, Optimizer
from app.engine.run.batches import epoch_order
from app.engine.run.options import Applied, RunOptions, apply_options, validate_options
from app.engine.run.schedules import BoundSchedule, bind_schedule

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden" / "networks"
# (the hvp_*.json goldens are tests/engine/test_network_hvp_goldens.py's)
GOLDEN_FILES = sorted(p.name for p in GOLDEN_DIR.glob("*.json") if not p.name.startswith("hvp_"))
RTOL, ATOL = 1e-9, 1e-12
KEYS = ("theta", "train_loss", "test_loss")

# Goldens whose torch twins part from them before the last step, with the least horizon each
# must keep (so a regenerated golden cannot quietly check less); every other golden is
# checked on every point.
SENSITIVE = {
    # L-BFGS without a line search: fixed steps along the L-BFGS direction amplify the
    # gradient's last bits (torch parts from its twins after some 70 steps).
    "lbfgs-lr0.3-sine_tanh.json": 60,
}

# torch's keyword arguments that are the engine's hyperparameters under another name or shape.
TORCH_ONLY = {"foreach", "fused"}


def load(name: str) -> dict[str, Any]:
    return json.loads((GOLDEN_DIR / name).read_text())


def golden_setup(g: Mapping[str, Any], **model_changes: float) -> Setup:
    """The golden's data and network, with ``model_changes`` (``l1=0.0``) over its model."""
    d, m = g["data"], {**g["model"], **model_changes}
    data = generate(d["dataset"], d["points"], d["noise"], d["seed"])
    return setup(
        data,
        m["features"],
        m["hidden"],
        m["activation"],
        l1=m["l1"],
        l2=m["l2"],
        test_ratio=d["test_ratio"],
        split_seed=d["split_seed"],
    )


def hyperparameters(g: Mapping[str, Any], optimizer: Optimizer) -> dict[str, Any]:
    """torch's keyword arguments as the engine's hyperparameters (the rest its defaults)."""
    given = dict(g["torch_kwargs"])
    if g["optimizer"] == "lbfgs":
        given["line_search_fn"] = given.get("line_search_fn") or "none"
    return optimizer.validate(given)


def engine_run(
    g: Mapping[str, Any],
    optimizer: Optimizer | None = None,
    schedule: BoundSchedule | None = None,
    theta0: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The engine's run of the golden's setting: θ and the losses at every point."""
    s = golden_setup(g)
    opt = optimizer or OPTIMIZERS[g["optimizer"]]
    if theta0 is None:
        theta0 = init_weights(s.spec, g["model"]["init"], g["model"]["init_seed"])
    sched = g.get("schedule")
    if schedule is None and sched is not None:
        schedule = bind_schedule(sched["name"], sched["parameters"])
    run = NetworkRun(
        s,
        opt,
        hyperparameters(g, opt),
        theta0=theta0,
        options=validate_options(g["options"], len(s.y_train)),
        schedule=schedule,
    )
    thetas = [run.theta.copy()]
    trace = run.advance(0)
    for _ in range(g["steps"]):
        trace_step = run.advance(1)
        assert trace_step.step, f"the engine stopped at step {run.step} ({run.status})"
        for key in ("step", "lr", "train_loss", "test_loss"):
            getattr(trace, key).extend(getattr(trace_step, key))
        thetas.append(run.theta.copy())
    return {
        "theta": np.asarray(thetas),
        "train_loss": np.asarray(trace.train_loss, dtype=np.float64),
        "test_loss": np.asarray(trace.test_loss, dtype=np.float64),
        "lrs": np.asarray(trace.lr[1:], dtype=np.float64),
    }


def golden_arrays(g: Mapping[str, Any]) -> dict[str, np.ndarray]:
    arrays = {k: np.asarray(g[k], dtype=np.float64) for k in KEYS}
    if "lrs" in g:
        arrays["lrs"] = np.asarray(g["lrs"], dtype=np.float64)
    return arrays


def excess(ours: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Per point: the largest |ours − ref| as a fraction of the allowed RTOL·|ref| + ATOL."""
    ratio = np.abs(ours - ref) / (RTOL * np.abs(ref) + ATOL)
    return ratio.reshape(len(ratio), -1).max(axis=1)


def first_miss(ours: Mapping[str, np.ndarray], ref: Mapping[str, np.ndarray]) -> str | None:
    """Where the engine first parts from torch (None: nowhere)."""
    for key in ref:
        if ours[key].shape != ref[key].shape:
            return f"{key}: the engine has shape {ours[key].shape}, torch {ref[key].shape}"
        bad = excess(ours[key], ref[key])
        if (bad > 1).any():
            i = int(np.argmax(bad > 1))
            worst = np.abs(ours[key][i] - ref[key][i]) / np.maximum(np.abs(ref[key][i]), 1e-300)
            return (
                f"{key} parts from torch at point {i}: largest relative deviation "
                f"{np.max(worst):.3g} (ours {ours[key][i]}, torch {ref[key][i]})"
            )
    return None


# --- the goldens cover what the contract promises ---------------------------------------------


def test_every_optimizer_activation_and_head_has_a_golden() -> None:
    goldens = list(map(load, GOLDEN_FILES))
    assert {g["optimizer"] for g in goldens} == set(OPTIMIZERS)
    assert {g["model"]["activation"] for g in goldens} == set(ACTIVATIONS)
    assert {g["model"]["head"] for g in goldens} == {"bce", "ce", "mse"}
    assert {g["data"]["dataset"] for g in goldens} >= {"circle", "xor", "three_classes", "sine"}
    kwargs = [(g["optimizer"], g["torch_kwargs"]) for g in goldens]
    # SGD plain, with momentum and Nesterov; RMSprop centered with momentum; Adam's AMSGrad.
    assert ("sgd", {"lr": 0.5}) in kwargs
    assert any(o == "sgd" and k.get("momentum") and not k.get("nesterov") for o, k in kwargs)
    assert any(o == "sgd" and k.get("nesterov") for o, k in kwargs)
    assert any(o == "rmsprop" and k.get("centered") and k.get("momentum") for o, k in kwargs)
    assert any(o == "adam" and k.get("amsgrad") for o, k in kwargs)
    assert any(k.get("weight_decay") for _, k in kwargs)
    assert any(g["options"].get("batch_size") for g in goldens)  # mini-batches
    assert any(g["options"].get("clip_grad_norm") for g in goldens)
    assert any(g["options"].get("clip_grad_value") for g in goldens)
    assert any(g["options"].get("noise") for g in goldens)
    assert any(g["schedule"] for g in goldens)
    assert any(g["model"]["l1"] for g in goldens) and any(g["model"]["l2"] for g in goldens)
    assert any(g["model"]["init"] == "he" for g in goldens)
    assert {len(g["model"]["hidden"]) for g in goldens} >= {0, 1, 2}


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_golden_is_well_formed(name: str) -> None:
    g = load(name)
    n = g["steps"] + 1
    theta = np.asarray(g["theta"])
    assert theta.shape == (n, g["parameters"])
    assert len(g["train_loss"]) == len(g["test_loss"]) == n
    assert np.isfinite(theta).all() and np.isfinite(g["train_loss"]).all()
    assert g["torch_version"].startswith("2.")
    assert g["horizon"] == min(g["horizons"].values())
    if name in SENSITIVE:
        assert SENSITIVE[name] <= g["horizon"] < n
    else:
        # torch agrees with its own twins on every point: nothing here is rounding noise.
        assert g["horizon"] == n
    # The golden starts from the engine's initial weights.
    s = golden_setup(g)
    theta0 = init_weights(s.spec, g["model"]["init"], g["model"]["init_seed"])
    np.testing.assert_array_equal(theta[0], theta0)
    # ... and it moved: the training loss went down.
    assert g["train_loss"][-1] < g["train_loss"][0]


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_engine_matches_torch(name: str) -> None:
    g = load(name)
    ours, ref, upto = engine_run(g), golden_arrays(g), g["horizon"]
    miss = first_miss({k: v[:upto] for k, v in ours.items()}, {k: v[:upto] for k, v in ref.items()})
    assert miss is None, miss


# --- the comparison can fail: a run that is not torch's parts from the goldens ----------------


def assert_parts(ours: Mapping[str, np.ndarray], g: Mapping[str, Any]) -> None:
    """``ours`` is a plausible run (finite) that still leaves the golden by far more than the
    tolerance: the comparison would have caught it."""
    ref = golden_arrays(g)
    upto = g["horizon"]
    assert np.isfinite(ours["theta"]).all()
    deviation = np.abs(ours["theta"][:upto] - ref["theta"][:upto])
    assert deviation.max() > 1e-6
    assert first_miss({k: ours[k][:upto] for k in KEYS}, {k: ref[k][:upto] for k in KEYS})


def test_initial_weights_off_by_a_millionth_fail_the_comparison() -> None:
    g = load("sgd-plain-circle_tanh.json")
    theta0 = np.asarray(g["theta"][0]) * (1 + 1e-6)
    assert_parts(engine_run(g, theta0=theta0), g)


@pytest.mark.parametrize(
    ("name", "change"),
    [
        # SAM's second pass taken away: the base optimizer alone
        ("sam-adam-batch8_clip-circle_tanh.json", {"sam_rho": 0.0}),
        # ASAM's climb measured without η (davda54/sam's T = |θ|)
        ("asam-sgd_momentum-xor_tanh.json", {"sam_eta": 0.0}),
    ],
)
def test_sam_done_otherwise_fails_its_golden(name: str, change: dict[str, Any]) -> None:
    g = load(name)
    assert_parts(engine_run({**g, "options": {**g["options"], **change}}), g)


def test_adams_coupled_weight_decay_fails_the_adamw_golden() -> None:
    # AdamW's golden run with Adam's rule: weight decay through the gradient (λ·θ added to
    # it) instead of decoupled from it.
    g = load("adamw-wd-xor_tanh.json")
    wrong = dataclasses.replace(OPTIMIZERS["adamw"], bind=OPTIMIZERS["adam"].bind)
    assert_parts(engine_run(g, wrong), g)


def test_clipping_each_parameter_alone_fails_the_comparison(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # clip_grad_norm_ over model.parameters() scales the whole gradient by one factor; a
    # crowd of P balls clipping each its own norm (|g_i|) is not torch's training loop.
    g = load("sgd-clipnorm_l1-sine_tanh.json")

    def each_alone(options: RunOptions, step: int, gradient: np.ndarray) -> Applied:
        return apply_options(options, step, (gradient,), gradient.shape)

    monkeypatch.setattr("app.engine.networks.train.apply_to_parameters", each_alone)
    assert_parts(engine_run(g), g)


def test_another_shuffle_fails_the_mini_batch_golden(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each epoch's batches in the next epoch's order: the same points, in the wrong steps.
    g = load("sgd-batch8-circle_tanh.json")
    monkeypatch.setattr(
        "app.engine.networks.train.epoch_order",
        lambda seed, epoch, n: epoch_order(seed, epoch + 1, n),
    )
    assert_parts(engine_run(g), g)


@pytest.mark.parametrize(
    ("name", "term"),
    [("sgd-clipnorm_l1-sine_tanh.json", "l1"), ("adam-l2_steplr-circle_tanh.json", "l2")],
)
def test_leaving_out_a_loss_term_fails_the_comparison(name: str, term: str) -> None:
    g = load(name)
    without = dict(g, model=dict(g["model"], **{term: 0.0}))
    assert_parts(engine_run(without), g)


def test_a_schedule_one_step_late_fails_the_comparison() -> None:
    g = load("adam-l2_steplr-circle_tanh.json")
    bound = bind_schedule(g["schedule"]["name"], g["schedule"]["parameters"])

    class OneStepLate:
        is_constant = False

        def lr(self, base_lr: float, epoch: int) -> float:
            return bound.lr(base_lr, epoch + 1)

        def momentum(self, epoch: int) -> float | None:
            return bound.momentum(epoch + 1)

    ours = engine_run(g, schedule=OneStepLate())  # type: ignore[arg-type]
    assert (excess(ours["lrs"], golden_arrays(g)["lrs"]) > 1).any()
    assert_parts(ours, g)


def test_sgld_noise_of_variance_lr_t_fails_the_comparison() -> None:
    # Welling & Teh's noise has variance 2·lr·T; lr·T is a common slip (half the temperature).
    g = load("sgld-t0.001-circle_tanh.json")
    half = dict(
        g, torch_kwargs=dict(g["torch_kwargs"], temperature=g["torch_kwargs"]["temperature"] / 2)
    )
    assert_parts(engine_run(half), g)


def test_newton_with_half_the_damping_fails_the_comparison() -> None:
    g = load("newton-damped-xor_tanh.json")
    half = dict(g, torch_kwargs=dict(g["torch_kwargs"], damping=g["torch_kwargs"]["damping"] / 2))
    assert_parts(engine_run(half), g)


def test_gelus_tanh_approximation_fails_the_comparison(monkeypatch: pytest.MonkeyPatch) -> None:
    # torch's nn.GELU() is the exact z·Φ(z); its approximate="tanh" form is not what the
    # golden was trained with (here in the forward pass only).
    g = load("adam-amsgrad-three_classes_gelu.json")
    exact = model.activate

    def tanh_gelu(name: str, z: np.ndarray) -> np.ndarray:
        if name != "gelu":
            return exact(name, z)
        return 0.5 * z * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (z + 0.044715 * z**3)))

    monkeypatch.setattr(model, "activate", tanh_gelu)
    assert_parts(engine_run(g), g)


@pytest.mark.parametrize(
    "whose",
    [
        # every weight matrix to Muon, the output layer's too
        lambda tensor: len(tensor.shape) == 2,
        # the hidden matrices to AdamW: AdamW alone, with Muon's lr and weight_decay
        lambda tensor: False,
    ],
    ids=["output_layer_to_muon", "all_to_adamw"],
)
def test_the_muon_recipe_split_otherwise_fails_its_golden(
    monkeypatch: pytest.MonkeyPatch, whose: Any
) -> None:
    g = load("muon-default-xor_tanh.json")
    monkeypatch.setattr("app.engine.optimizers.muon.is_muons", whose)
    assert_parts(engine_run(g), g)
