"""The engine's network training against torch: goldens from tools/make_network_goldens.py.

Each golden is a small network built in torch (``nn.Sequential`` of ``nn.Linear`` and
activation modules, float64) from the engine's initial weights, on the engine's data set,
split and feature columns, trained for 200 steps by ``torch.optim`` (or the reference Lion,
Newton and SGLD of tools/golden.py) with torch's losses, clipping utilities and schedulers,
the engine's mini-batch order replayed.  The engine's :class:`NetworkRun`, given the same
setting, must reproduce θ after every step, and the train and test losses, to 1e-9 relative
(1e-12 absolute) — on every point: each golden's torch twins (gradients times 1 + 2**-52,
torch's portable kernels) agree with it on all of them.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.engine.networks.data import generate
from app.engine.networks.model import ACTIVATIONS, init_weights
from app.engine.networks.train import NetworkRun, Setup, setup
from app.engine.optimizers import OPTIMIZERS, Optimizer
from app.engine.run.options import validate_options
from app.engine.run.schedules import BoundSchedule, bind_schedule

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden" / "networks"
GOLDEN_FILES = sorted(p.name for p in GOLDEN_DIR.glob("*.json"))
RTOL, ATOL = 1e-9, 1e-12
KEYS = ("theta", "train_loss", "test_loss")

# torch's keyword arguments that are the engine's hyperparameters under another name or shape.
TORCH_ONLY = {"foreach", "fused"}


def load(name: str) -> dict[str, Any]:
    return json.loads((GOLDEN_DIR / name).read_text())


def golden_setup(g: Mapping[str, Any]) -> Setup:
    d, m = g["data"], g["model"]
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
def test_golden_is_well_formed_and_checked_on_every_step(name: str) -> None:
    g = load(name)
    n = g["steps"] + 1
    theta = np.asarray(g["theta"])
    assert theta.shape == (n, g["parameters"])
    assert len(g["train_loss"]) == len(g["test_loss"]) == n
    assert np.isfinite(theta).all() and np.isfinite(g["train_loss"]).all()
    assert g["torch_version"].startswith("2.")
    # torch agrees with its own twins on every point: nothing here is rounding noise.
    assert g["horizon"] == n and all(h == n for h in g["horizons"].values())
    # The golden starts from the engine's initial weights.
    s = golden_setup(g)
    theta0 = init_weights(s.spec, g["model"]["init"], g["model"]["init_seed"])
    np.testing.assert_array_equal(theta[0], theta0)
    # ... and it moved: the training loss went down.
    assert g["train_loss"][-1] < g["train_loss"][0]


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_engine_matches_torch(name: str) -> None:
    g = load(name)
    miss = first_miss(engine_run(g), golden_arrays(g))
    assert miss is None, miss


# --- the comparison can fail ------------------------------------------------------------------


def _wrong(optimizer: str, **changes: Any) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """The golden's engine run with hyperparameters torch did not have."""

    def run(g: Mapping[str, Any]) -> dict[str, Any]:
        opt = OPTIMIZERS[optimizer]
        hp = dict(hyperparameters(g, opt), **changes)
        validated = dataclasses.replace(opt, validate=lambda given: hp)
        return engine_run(g, validated)

    return run
