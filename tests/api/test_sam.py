"""SAM through the API: a run's record, a basin map's cells, the network page's runs, and
the 422 for the optimizers it cannot wrap."""

from __future__ import annotations

import pytest

SHARP = {
    "surface": "sharp_and_wide",
    "optimizer": "adam",
    "hyperparameters": {"lr": 0.05},
    "options": {"sam_rho": 0.2},
}


def errors(response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {e["field"]: e["reason"] for e in response.json()["errors"]}


def test_a_sam_run_sends_its_ascent_points_and_two_evaluations_a_step(client):
    r = client.post("/api/runs", json={"runs": [{**SHARP, "steps": 5}]})
    (run,) = r.json()["runs"]
    assert run["ascent_points"][0] is None and len(run["ascent_points"]) == 6
    assert all(len(p) == 2 for p in run["ascent_points"][1:])
    assert run["ascent_gradients"][1:] == run["applied_gradients"][1:]
    assert run["evaluations"] == [0, 2, 2, 2, 2, 2]
    plain = client.post("/api/runs", json={"runs": [{**SHARP, "options": {}, "steps": 5}]})
    (plain,) = plain.json()["runs"]
    assert plain["ascent_points"] is plain["ascent_gradients"] is plain["evaluations"] is None


@pytest.mark.parametrize("optimizer", ["lbfgs", "newton"])
def test_sam_with_a_second_order_rule_is_a_422_naming_sam_rho(client, optimizer):
    body = {**SHARP, "optimizer": optimizer, "hyperparameters": {}, "steps": 5}
    reason = errors(client.post("/api/runs", json={"runs": [body]}))["runs.0.options.sam_rho"]
    assert "SAM" in reason and "set sam_rho to 0" in reason
    basins = client.post("/api/maps/basins", json={**body, "resolution": [3, 3]})
    assert "options.sam_rho" in errors(basins)


def test_a_basin_map_with_sam_is_its_single_runs(client):
    m = client.post("/api/maps/basins", json={**SHARP, "resolution": [5, 4], "steps": 300}).json()
    for j in range(4):
        for i in range(5):
            run = {**SHARP, "start": [m["x"][i], m["y"][j]], "steps": 300}
            (alone,) = client.post("/api/runs", json={"runs": [run]}).json()["runs"]
            assert (m["outcome"][j][i], m["minimum"][j][i]) == (
                alone["outcome"],
                alone["minimum"],
            )


NETWORK = {
    "data": {"dataset": "xor", "points": 40, "seed": 1},
    "model": {"features": ["x1", "x2"], "hidden": [4], "activation": "tanh"},
    "optimizers": [{"optimizer": "adam", "hyperparameters": {"lr": 0.05}}],
    "options": {"sam_rho": 0.05},
    "steps": 20,
    "grid": 8,
}


def test_the_network_page_trains_with_sam_and_refuses_it_for_lbfgs(client):
    sam = client.post("/api/networks/runs", json=NETWORK)
    assert sam.status_code == 200, sam.text
    plain = client.post("/api/networks/runs", json={**NETWORK, "options": {}}).json()
    ours = sam.json()
    assert ours["racers"][0]["steps"]["train_loss"] != plain["racers"][0]["steps"]["train_loss"]
    lbfgs = {**NETWORK, "optimizers": [{"optimizer": "lbfgs"}]}
    reason = errors(client.post("/api/networks/runs", json=lbfgs))["options.sam_rho"]
    assert "L-BFGS" in reason
