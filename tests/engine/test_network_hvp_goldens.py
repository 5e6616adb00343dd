"""The engine's Hessian-vector products and top eigenvalues against torch's autograd: goldens
``hvp_*.json`` from tools/make_network_goldens.py.

Each golden is a small network built in torch (``nn.Sequential``, float64) on the engine's
data set, split and feature columns, at two points — the engine's initial weights and the
weights after a torch SGD run — with the training loss the engine differentiates (mean data
loss + l1·Σ|W| + l2·ΣW²), a few random directions v, torch's H·v by double backward
(``torch.autograd.functional.hvp``), and the top eigenvalues of torch's dense Hessian
(``torch.autograd.functional.hessian``, ``eigvalsh``); the smallest keep that Hessian whole.
The engine's R-operator (:func:`model.hvp`), its Hessian and its Lanczos iteration
(:func:`landscape.top_eigenvalues`) must agree to 1e-10 relative (to the largest entry of
each product, to the largest eigenvalue).  The goldens are JSON; the test needs no torch.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.engine.networks import model
from app.engine.networks.landscape import top_eigenvalues
from app.engine.networks.model import ACTIVATIONS, HEADS, NetworkSpec, init_weights, loss_and_grad
from app.engine.networks.train import Setup
from tests.engine.test_network_goldens import golden_setup

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden" / "networks"
HVP_FILES = sorted(p.name for p in GOLDEN_DIR.glob("hvp_*.json"))
RTOL = 1e-10


def load(name: str) -> dict[str, Any]:
    return json.loads((GOLDEN_DIR / name).read_text())


def gap(ours: np.ndarray, ref: np.ndarray) -> float:
    """The largest |ours − ref| of each row as a share of that row's largest |ref|: the worst."""
    ours, ref = np.atleast_2d(ours), np.atleast_2d(ref)
    assert ours.shape == ref.shape
    return float((np.abs(ours - ref).max(axis=1) / np.abs(ref).max(axis=1)).max())


def engine_hvps(s: Setup, theta: list[float], directions: np.ndarray) -> np.ndarray:
    return model.hvp(s.spec, np.asarray(theta), s.x_train, s.y_train, directions)


# --- the goldens cover what the contract promises ---------------------------------------------


def test_hvp_goldens_cover_every_activation_with_every_head() -> None:
    goldens = list(map(load, HVP_FILES))
    pairs = {(g["model"]["activation"], g["model"]["head"]) for g in goldens}
    assert pairs == set(itertools.product(ACTIVATIONS, HEADS))
    assert {len(g["model"]["hidden"]) for g in goldens} == {0, 1, 2}
    assert any(g["model"]["l1"] for g in goldens) and any(g["model"]["l2"] for g in goldens)
    assert any(g["model"]["l1"] and g["model"]["l2"] for g in goldens)
    # the edge-of-stability lesson's network (tanh 16-16 on the sine) among them
    assert any(g["model"]["hidden"] == [16, 16] and g["parameters"] > 300 for g in goldens)
    assert any("hessian" in p for g in goldens for p in g["points"])
    # small enough to keep in the repository
    assert sum((GOLDEN_DIR / name).stat().st_size for name in HVP_FILES) < 400_000


@pytest.mark.parametrize("name", HVP_FILES)
def test_hvp_golden_is_the_engines_network_on_the_engines_data(name: str) -> None:
    g = load(name)
    s = golden_setup(g)
    P = g["parameters"]
    assert s.spec.size == P and s.spec.head == g["model"]["head"]
    assert g["torch_version"].startswith("2.")
    directions = np.asarray(g["directions"])
    assert directions.shape[1] == P and len(directions) >= 3
    first, trained = g["points"]
    # It starts from the engine's initial weights ...
    theta0 = init_weights(s.spec, g["model"]["init"], g["model"]["init_seed"])
    np.testing.assert_array_equal(first["theta"], theta0)
    assert first["steps"] == 0 and trained["steps"] == g["training"]["steps"] > 0
    for point in g["points"]:
        assert np.asarray(point["hv"]).shape == directions.shape
        assert len(point["top"]) == 3 and point["top"] == sorted(point["top"], reverse=True)
        # ... and torch's loss is the engine's training loss (data + l1/l2 terms) there.
        loss, _ = loss_and_grad(s.spec, np.asarray(point["theta"]), s.x_train, s.y_train)
        assert loss == pytest.approx(point["loss"], rel=1e-12)
    # ... and torch's run trained it.
    assert trained["loss"] < first["loss"]


# --- the engine against torch -------------------------------------------------------------------


@pytest.mark.parametrize("name", HVP_FILES)
def test_hessian_vector_products_match_torch(name: str) -> None:
    g = load(name)
    s = golden_setup(g)
    directions = np.asarray(g["directions"])
    for point in g["points"]:
        worst = gap(engine_hvps(s, point["theta"], directions), np.asarray(point["hv"]))
        assert worst <= RTOL, f"at step {point['steps']}: {worst:.3g} relative"


@pytest.mark.parametrize("name", HVP_FILES)
def test_top_eigenvalues_match_torchs_dense_hessian(name: str) -> None:
    g = load(name)
    s = golden_setup(g)
    for point in g["points"]:
        theta = np.asarray(point["theta"])
        top = np.asarray(point["top"])
        # Lanczos run to P iterations is exact: the top three of torch's eigvalsh.
        found = top_eigenvalues(s.spec, theta, s.x_train, s.y_train, k=3, iterations=s.spec.size)
        assert np.abs(found - top).max() <= RTOL * abs(top[0]), (found, top)
        # The default iterations find the largest one to the same tolerance.
        first = top_eigenvalues(s.spec, theta, s.x_train, s.y_train)[0]
        assert abs(first - top[0]) <= RTOL * abs(top[0]), (first, top[0])


DENSE = [name for name in HVP_FILES if any("hessian" in p for p in load(name)["points"])]


@pytest.mark.parametrize("name", DENSE)
def test_the_whole_hessian_matches_torch(name: str) -> None:
    g = load(name)
    s = golden_setup(g)
    for point in g["points"]:
        ours = model.hessian(s.spec, np.asarray(point["theta"]), s.x_train, s.y_train)
        ref = np.asarray(point["hessian"])
        assert np.abs(ours - ref).max() <= RTOL * np.abs(ref).max()


def test_l1_adds_nothing_to_the_hessian() -> None:
    # |w| is a straight line on either side of 0: its second derivative is 0 wherever it has
    # one.  The engine leaves the l1 term out of H·v; torch's double backward of abs agrees.
    names = [name for name in HVP_FILES if load(name)["model"]["l1"]]
    assert len(names) >= 2
    for name in names:
        g = load(name)
        with_l1, without = golden_setup(g), golden_setup(g, l1=0.0)
        directions = np.asarray(g["directions"])
        for point in g["points"]:
            ours = engine_hvps(with_l1, point["theta"], directions)
            np.testing.assert_array_equal(ours, engine_hvps(without, point["theta"], directions))
            assert gap(ours, np.asarray(point["hv"])) <= RTOL


# --- the comparison can fail: a product that is not the Hessian's parts from the goldens -------


def miss(s: Setup | NetworkSpec, g: Mapping[str, Any]) -> float:
    """The worst relative gap of the engine's H·v (with ``s``'s spec) from torch's."""
    st = golden_setup(g)
    spec = s.spec if isinstance(s, Setup) else s
    directions = np.asarray(g["directions"])
    return max(
        gap(
            model.hvp(spec, np.asarray(p["theta"]), st.x_train, st.y_train, directions),
            np.asarray(p["hv"]),
        )
        for p in g["points"]
    )


@pytest.mark.parametrize("name", ["hvp_tanh-bce-xor_3.json", "hvp_gelu-ce-three_classes_4x3.json"])
def test_leaving_out_the_activations_curvature_fails(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without σ'' the product drops a term of the exact Hessian (towards Gauss-Newton).
    g = load(name)
    monkeypatch.setattr(model, "curvature", lambda name, z, a: np.zeros_like(z))
    assert miss(golden_setup(g), g) > 1e-4


def test_leaving_out_the_l2_term_fails() -> None:
    g = load("hvp_gelu-bce-xor_6.json")
    assert g["model"]["l2"]
    assert miss(golden_setup(g, l2=0.0), g) > 1e-3


def test_finite_differences_are_too_coarse_for_the_goldens() -> None:
    # A central difference of the gradient (h = 1e-5) is good to some 1e-8 (the engine's
    # R-operator to some 1e-14): the goldens tell the exact product from an approximation.
    g = load("hvp_tanh-mse-sine_16x16.json")
    s = golden_setup(g)
    directions = np.asarray(g["directions"])
    point = g["points"][1]
    theta = np.asarray(point["theta"])
    h = 1e-5
    fd = np.array(
        [
            (
                loss_and_grad(s.spec, theta + h * v, s.x_train, s.y_train)[1]
                - loss_and_grad(s.spec, theta - h * v, s.x_train, s.y_train)[1]
            )
            / (2 * h)
            for v in directions
        ]
    )
    worst = gap(fd, np.asarray(point["hv"]))
    assert RTOL < worst < 1e-6
