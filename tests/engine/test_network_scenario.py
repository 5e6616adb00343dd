"""A request's plain values built into a scenario, and what the page draws of it."""

from __future__ import annotations

import numpy as np
import pytest

from app.engine.networks.data import NetworkError
from app.engine.networks.model import predict
from app.engine.networks.scenario import build, extent, grid_of, unit_grids


def test_every_racer_starts_from_the_same_weights():
    s = build({"optimizers": [{"optimizer": "sgd"}, {"optimizer": "adam"}, {"optimizer": "lion"}]})
    runs = [s.start(i) for i in range(3)]
    assert all(np.array_equal(r.theta, s.theta0) for r in runs)
    assert [r.optimizer.id for r in runs] == ["sgd", "adam", "lion"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"optimizers": [{"optimizer": "adam", "hyperparameters": {"lr": -1}}]},
            "optimizers.0.hyperparameters.lr",
        ),
        ({"optimizers": [{"optimizer": "sgd"}, {"optimizer": "nope"}]}, "optimizers.1.optimizer"),
        ({"options": {"batch_size": 0}}, "options.batch_size"),
        (
            {"optimizers": [{"optimizer": "sgd", "schedule": {"name": "nope"}}]},
            "optimizers.0.schedule",
        ),
        ({"model": {"activation": "swish"}}, "model.activation"),
        ({"model": {"init": "ones"}}, "model.init"),
        ({"model": {"features": ["x3"]}}, "model.features"),
        ({"data": {"dataset": "nope"}}, "data.dataset"),
    ],
)
def test_a_refusal_names_the_request_field(body, field):
    with pytest.raises(NetworkError) as caught:
        build(body)
    assert caught.value.field.startswith(field)


def test_the_binary_grid_is_p_of_class_one_over_the_plane():
    s = build({"data": {"dataset": "circle"}, "model": {"hidden": [3]}})
    g = grid_of(s.setup, s.theta0, 12)
    assert g["size"] == 12 and len(g["x1"]) == len(g["x2"]) == 12
    values = np.array(g["values"])
    assert values.shape == (12, 12) and ((values >= 0) & (values <= 1)).all()
    (lo1, hi1), (lo2, hi2) = extent(s.setup.data)
    assert lo1 < s.setup.data.x[:, 0].min() and hi2 > s.setup.data.x[:, 1].max()
    # row i is x₂ = x2[i], column j is x₁ = x1[j]
    p = predict(s.setup.spec, s.theta0, np.array([[g["x1"][3], g["x2"][7]]]))
    assert values[7, 3] == pytest.approx(p[0], abs=1e-4)


def test_three_classes_give_the_top_class_and_its_confidence():
    s = build({"data": {"dataset": "three_classes"}, "model": {"hidden": [4]}})
    g = grid_of(s.setup, s.theta0, 10)
    assert set(np.ravel(g["values"])) <= {0, 1, 2}
    assert (np.array(g["confidence"]) >= 1 / 3 - 1e-4).all()


def test_a_curve_is_drawn_on_a_line_and_its_units_as_lines():
    s = build({"data": {"dataset": "sine"}, "model": {"hidden": [5, 2], "features": ["x1"]}})
    g = grid_of(s.setup, s.theta0, 40)
    assert "x2" not in g and len(g["values"]) == 40
    units = unit_grids(s.setup, s.theta0)
    assert [(u["layer"], u["unit"]) for u in units] == [(0, i) for i in range(5)] + [(1, 0), (1, 1)]
    assert len(units[0]["values"]) == 64


def test_a_diverged_network_draws_blanks_not_errors():
    s = build({"model": {"hidden": [3]}})
    theta = np.full_like(s.theta0, np.nan)
    g = grid_of(s.setup, theta, 6)
    assert all(v is None for row in g["values"] for v in row)
    assert all(v is None for u in unit_grids(s.setup, theta, 4) for row in u["values"] for v in row)
