"""The edge of stability: a run can record each step's sharpness (top Hessian eigenvalue)."""

import numpy as np
import pytest

from app.engine.backend import NUMPY, SCALAR
from app.engine.surfaces import SURFACES


def test_sharpness_is_null_unless_asked_for(client):
    run = {"surface": "roll_downhill", "optimizer": "sgd", "steps": 3}
    (plain,) = client.post("/api/runs", json={"runs": [run]}).json()["runs"]
    assert plain["sharpness"] is None
    (asked,) = client.post("/api/runs", json={"runs": [{**run, "sharpness": True}]}).json()["runs"]
    assert len(asked["sharpness"]) == 4


def test_1d_sharpness_is_the_second_derivative_of_the_curve(client):
    run = {"surface": "roll_downhill", "optimizer": "sgd", "hyperparameters": {"lr": 0.1}}
    body = {"runs": [{**run, "start": [3.5], "steps": 40, "sharpness": True}]}
    (result,) = client.post("/api/runs", json=body).json()["runs"]
    grad = SURFACES["roll_downhill"].grad
    h = 1e-5
    for (x,), sharp in zip(result["positions"], result["sharpness"], strict=True):
        central = (grad(SCALAR, x + h)[0] - grad(SCALAR, x - h)[0]) / (2 * h)
        assert sharp == pytest.approx(central, rel=1e-6, abs=1e-6)
    # lr 0.1 settles: the minimum's sharpness is below 2/lr = 20 (about 13.4).
    assert result["status"] == "converged" and result["sharpness"][-1] < 2 / 0.1


@pytest.mark.parametrize("sid", [s for s in SURFACES if SURFACES[s].dim == 2])
def test_2d_sharpness_is_the_largest_eigenvalue_of_the_exact_hessian(sid):
    surface = SURFACES[sid]
    rng = np.random.default_rng(7)
    (lo_x, hi_x), (lo_y, hi_y) = surface.domain
    x, y = rng.uniform(lo_x, hi_x, 50), rng.uniform(lo_y, hi_y, 50)
    together = np.broadcast_to(surface.sharpness(NUMPY, x, y), (50,))
    for i in range(50):
        h = np.array(surface.hess(SCALAR, x[i], y[i]), dtype=float)
        top = np.linalg.eigvalsh(h)[-1]
        assert together[i] == pytest.approx(top, rel=1e-9, abs=1e-9 * np.abs(h).max())
        assert surface.sharpness(SCALAR, x[i], y[i]) == pytest.approx(top, rel=1e-9, abs=1e-9)


def test_the_stream_carries_sharpness_too(client):
    import json

    runs = [{"surface": "himmelblau", "optimizer": "adam", "steps": 5, "sharpness": True}]
    with client.stream("GET", "/api/stream", params={"runs": json.dumps(runs), "speed": 0}) as r:
        text = "".join(r.iter_text())
    step = next(line for line in text.splitlines() if line.startswith('data: {"runs"'))
    (record,) = json.loads(step[6:])["runs"]
    assert len(record["sharpness"]) == len(record["steps"])
    expected = SURFACES["himmelblau"].sharpness(SCALAR, *record["positions"][0])
    assert record["sharpness"][0] == pytest.approx(expected, rel=1e-12)
