"""/api/networks: the catalog, a CSV file's points, whole network runs (torch-layout weights,
computed once, 304 with the ETag) and every refusal naming its field."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.api.schemas.networks import CsvPointsOut, NetCatalogOut, NetworkRunOut
from app.engine.networks import NET_OUTCOMES
from app.main import create_app
from app.settings import Settings

RUN = {
    "data": {"dataset": "xor", "points": 60, "noise": 0.1, "seed": 1, "test_ratio": 0.25},
    "model": {"features": ["x1", "x2"], "hidden": [5, 3], "activation": "tanh", "init_seed": 2},
    "optimizers": [
        {"optimizer": "sgd", "hyperparameters": {"lr": 0.1, "momentum": 0.9}},
        {"optimizer": "adam", "hyperparameters": {"lr": 0.01}},
    ],
    "options": {"batch_size": 10, "seed": 3},
    "steps": 30,
    "grid": 12,
}


def train(client: TestClient, body: dict, **headers: str):
    return client.post("/api/networks/runs", json=body, headers=headers)


def refused(client: TestClient, body: dict, status: int = 422) -> dict[str, str]:
    """The fields a refused run names, with their reasons."""
    response = train(client, body)
    assert response.status_code == status, response.text
    assert response.json()["ok"] is False
    return {e["field"]: e["reason"] for e in response.json()["errors"]}


def health(client: TestClient) -> dict:
    return client.get("/healthz").json()


# --- the catalog ---------------------------------------------------------------------------


def test_the_catalog_lists_what_a_network_is_made_of_and_the_servers_limits() -> None:
    limits = Settings(network_max_layers=2, network_max_units=8, network_csv_bytes=4096)
    with TestClient(create_app(limits)) as c:
        catalog = c.get("/api/networks/catalog").json()
    NetCatalogOut.model_validate(catalog)
    ids = [d["id"] for d in catalog["datasets"]]
    assert {
        "circle",
        "xor",
        "gaussians",
        "spiral",
        "moons",
        "three_classes",
        "sine",
        "step",
    } <= set(ids)
    spiral = next(d for d in catalog["datasets"] if d["id"] == "spiral")
    assert (spiral["task"], spiral["classes"]) == ("binary", 2)
    assert [f["label"] for f in catalog["features"]][:3] == ["x₁", "x₂", "x₁²"]
    assert catalog["activations"] == ["relu", "tanh", "sigmoid", "linear", "gelu"]
    assert catalog["inits"] == ["xavier", "he", "zeros"]
    assert catalog["heads"] == {"binary": "bce", "multiclass": "ce", "regression": "mse"}
    assert catalog["outcomes"] == list(NET_OUTCOMES)
    assert catalog["limits"] == {
        "layers": 2,
        "units": 8,
        "points": 1000,
        "steps": 5000,
        "grid": 64,
        "csv_bytes": 4096,
        "racers": 3,
        "grid_per_second": 5.0,
    }


# --- a run -----------------------------------------------------------------------------------


def test_a_run_answers_every_step_of_every_racer_with_torch_layout_weights(client) -> None:
    response = train(client, RUN)
    assert response.status_code == 200, response.text
    answer = response.json()
    NetworkRunOut.model_validate(answer)
    data = answer["data"]
    assert len(data["x"]) == len(data["y"]) == 60
    assert sorted(data["train"] + data["test"]) == list(range(60))
    assert len(data["test"]) == 15  # a quarter held out
    assert (data["task"], data["classes"]) == ("binary", 2)
    # nn.Linear(2, 5), nn.Linear(5, 3), nn.Linear(3, 1): weight [out × in], bias [out]
    shapes = [
        (np.shape(layer["weight"]), np.shape(layer["bias"])) for layer in answer["initial_weights"]
    ]
    assert shapes == [((5, 2), (5,)), ((3, 5), (3,)), ((1, 3), (1,))]
    assert all(layer["bias"] == [0.0] * len(layer["bias"]) for layer in answer["initial_weights"])
    bound = np.sqrt(6 / (2 + 5))  # Xavier uniform
    assert 0 < np.abs(answer["initial_weights"][0]["weight"]).max() <= bound
    assert len(answer["racers"]) == 2
    for racer in answer["racers"]:
        steps = racer["steps"]
        assert steps["step"] == list(range(31))  # index 0: the start
        assert steps["epoch"][:6] == [0, 1, 1, 1, 1, 1]  # 45 training points, batches of 10
        assert steps["batch"][:7] == [0, 1, 2, 3, 4, 5, 1]
        assert steps["lr"][0] is None and steps["grad_norm"][0] is None
        assert len(steps["train_loss"]) == len(steps["test_accuracy"]) == 31
        assert racer["outcome"]["code"] in NET_OUTCOMES
        assert racer["outcome"]["step"] == 30
        assert [np.shape(layer["weight"]) for layer in racer["final_weights"]] == [
            (5, 2),
            (3, 5),
            (1, 3),
        ]
        assert racer["final_weights"] != answer["initial_weights"]  # it trained
        grid = racer["grid"]
        assert grid["size"] == 12 and np.shape(grid["values"]) == (12, 12)
        assert all(0 <= p <= 1 for row in grid["values"] for p in row)  # p(class 1)
        assert [(u["layer"], u["unit"]) for u in racer["units"]] == [
            *((0, u) for u in range(5)),
            *((1, u) for u in range(3)),
        ]
        assert np.shape(racer["units"][0]["values"]) == (16, 16)
        assert racer["state"]["step"] == 30
    extent = data["extent"]
    assert extent[0] == [
        answer["racers"][0]["grid"]["x1"][0],
        answer["racers"][0]["grid"]["x1"][-1],
    ]
    points = np.array(data["x"])
    assert extent[0][0] < points[:, 0].min() and points[:, 1].max() < extent[1][1]


def test_racers_start_from_the_same_weights_and_differ_by_their_optimizer(client) -> None:
    racers = train(client, RUN).json()["racers"]
    assert racers[0]["steps"]["train_loss"][0] == racers[1]["steps"]["train_loss"][0]
    assert racers[0]["steps"]["train_loss"][-1] != racers[1]["steps"]["train_loss"][-1]


def test_the_same_request_gives_the_same_numbers_computed_once(client) -> None:
    first = train(client, RUN)
    # the same work, written differently: defaults spelt out
    spelt = {**RUN, "optimizers": [
        {**RUN["optimizers"][0], "hyperparameters": {"lr": 0.1, "momentum": 0.9, "dampening": 0}},
        RUN["optimizers"][1],
    ]}  # fmt: skip
    again = train(client, spelt)
    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    h = health(client)
    assert (h["answers_computed"], h["answers_cached"]) == (1, 1)
    held = train(client, RUN, **{"If-None-Match": first.headers["etag"]})
    assert held.status_code == 304
    assert health(client)["answers_computed"] == 1


def test_a_fresh_server_computes_the_same_numbers() -> None:
    answers = []
    for _ in range(2):
        with TestClient(create_app(Settings(cache_mb=0))) as c:
            answers.append(train(c, RUN).json())
    assert answers[0] == answers[1]


def test_regression_three_classes_and_own_points(client) -> None:
    sine = train(
        client, {"data": {"dataset": "sine"}, "model": {"features": ["x1", "sinx1"]}, "steps": 5}
    ).json()
    assert sine["data"]["task"] == "regression" and len(sine["data"]["extent"]) == 1
    racer = sine["racers"][0]
    assert racer["steps"]["train_accuracy"] is None and racer["steps"]["test_accuracy"] is None
    assert len(racer["grid"]["values"]) == 48 and "x2" not in racer["grid"]
    assert np.shape(racer["units"][0]["values"]) == (64,)
    three = train(client, {"data": {"dataset": "three_classes"}, "steps": 5, "grid": 6}).json()
    assert three["data"]["classes"] == 3
    assert np.shape(three["initial_weights"][-1]["weight"]) == (3, 4)  # a logit per class
    grid = three["racers"][0]["grid"]
    assert {v for row in grid["values"] for v in row} <= {0, 1, 2}
    assert all(1 / 3 <= p <= 1 for row in grid["confidence"] for p in row)
    own = {"x": [[0, 0], [1, 1], [0, 1], [1, 0]], "y": [0, 0, 1, 1], "task": "binary"}
    mine = train(client, {"data": {"own": own, "test_ratio": 0}, "steps": 3}).json()
    assert mine["data"]["x"] == [[0, 0], [1, 1], [0, 1], [1, 0]] and mine["data"]["test"] == []
    assert mine["racers"][0]["steps"]["test_loss"] == [None] * 4


def test_resuming_from_a_state_continues_the_unbroken_run(client) -> None:
    whole = train(client, {**RUN, "steps": 40}).json()
    half = train(client, {**RUN, "steps": 25}).json()
    rest = train(
        client, {**RUN, "steps": 15, "resume": [r["state"] for r in half["racers"]]}
    ).json()
    for w, h, r in zip(whole["racers"], half["racers"], rest["racers"], strict=True):
        assert r["steps"]["step"] == list(range(26, 41))
        assert h["steps"]["train_loss"] + r["steps"]["train_loss"] == w["steps"]["train_loss"]
        assert r["final_weights"] == w["final_weights"]
        assert r["outcome"] == w["outcome"]


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"model": {"hidden": [4, 4, 4, 4, 4]}}, "model.hidden", "at most 4 hidden layers"),
        ({"model": {"hidden": [4, 4, 17]}}, "model.hidden.2", "1 to 16 units"),
        ({"model": {"hidden": [0]}}, "model.hidden.0", "1 to 16 units"),
        ({"model": {"activation": "swish"}}, "model.activation", "one of relu, tanh"),
        ({"model": {"init": "orthogonal"}}, "model.init", "one of xavier, he, zeros"),
        ({"model": {"features": ["x3"]}}, "model.features", "unknown feature"),
        ({"model": {"features": []}}, "model.features", "at least one"),
        ({"data": {"dataset": "mnist"}}, "data.dataset", "unknown data set"),
        ({"data": {"points": 1001}}, "data.points", "at most 1000 points"),
        ({"data": {"test_ratio": 0.95}}, "data.test_ratio", "less than or equal to 0.9"),
        ({"steps": 5001}, "steps", "at most 5000 steps"),
        ({"grid": 65}, "grid", "at most 64"),
        ({"optimizers": [{}] * 4}, "optimizers", "at most 3"),
        ({"optimizers": []}, "optimizers", "at least 1"),
        ({"optimizers": [{"optimizer": "sgd", "hyperparameters": {"lr": -1}}]},
         "optimizers.0.hyperparameters.lr", "learning rate"),
        ({"optimizers": [{}, {"optimizer": "adam", "hyperparameters": {"betas": [1.5, 0.9]}}]},
         "optimizers.1.hyperparameters.betas", "beta"),
        ({"optimizers": [{"optimizer": "nope"}]}, "optimizers.0.optimizer", "unknown optimizer"),
        ({"optimizers": [{"schedule": {"name": "bouncy"}}]},
         "optimizers.0.schedule.name", "unknown"),
        ({"optimizers": [{"schedule": {"name": "cosine", "parameters": {"T_max": 0}}}]},
         "optimizers.0.schedule.parameters.T_max", "T_max"),
        ({"optimizers": [{"optimizer": "adagrad", "schedule": {"name": "onecycle"}}]},
         "optimizers.0.schedule.parameters.cycle_momentum", "momentum"),
        ({"options": {"batch_size": 0}}, "options.batch_size", ""),
        ({"options": {"momentum": 0.9}}, "options.momentum", ""),
        ({"resume": [{}, {}]}, "resume", "one state per racer"),
        ({"resume": [{"optimizer": "sgd", "step": 3, "theta": [1.0]}]}, "resume.0.theta", ""),
        ({"colour": "red"}, "colour", "Extra inputs"),
    ],
)  # fmt: skip
def test_every_bad_input_is_refused_naming_its_field(client, change, field, words) -> None:
    body = {**change}
    for part in ("data", "model"):
        if part in change:
            body[part] = {**RUN.get(part, {}), **change[part]}
    errors = refused(client, {"steps": 5, **body})
    assert field in errors, errors
    assert words.lower() in errors[field].lower()


def test_muon_trains_as_its_recipe_and_needs_a_hidden_layer(client) -> None:
    # Muon on the hidden layers' weight matrices, AdamW on the rest: a run like any other.
    muon = {"optimizer": "muon", "hyperparameters": {"lr": 0.02}}
    response = train(client, {**RUN, "optimizers": [RUN["optimizers"][0], muon]})
    assert response.status_code == 200, response.text
    racer = response.json()["racers"][1]
    assert racer["steps"]["step"][-1] == RUN["steps"]
    assert racer["steps"]["train_loss"][-1] < racer["steps"]["train_loss"][0]
    # without a hidden layer there is no matrix for Muon: refused, naming the field
    flat = {**RUN, "model": {**RUN["model"], "hidden": []}, "optimizers": [muon]}
    reason = refused(client, flat)["model.hidden"]
    assert "no hidden layer" in reason and "add one, or pick AdamW" in reason, reason


def test_everything_past_the_limits_is_named_at_once(client) -> None:
    body = {"steps": 6000, "grid": 100, "model": {"hidden": [10**6] * 5}, "data": {"points": 10**6}}
    errors = refused(client, body)  # refused, not built: nothing of that size is allocated
    assert set(errors) == {
        "steps",
        "grid",
        "model.hidden",
        *(f"model.hidden.{i}" for i in range(5)),
        "data.points",
    }


def test_the_limits_are_the_servers_settings() -> None:
    limits = Settings(
        network_max_layers=1,
        network_max_units=3,
        network_max_points=50,
        network_max_steps=10,
        network_max_grid=8,
    )
    with TestClient(create_app(limits)) as c:
        errors = refused(
            c,
            {
                "data": {"points": 51},
                "model": {"hidden": [4, 2]},
                "steps": 11,
                "grid": 9,
            },
        )
        assert {"data.points", "model.hidden", "model.hidden.0", "steps", "grid"} <= set(errors)
        own = {"x": [[0.0, 0.0]] * 51, "y": [0, 1] * 25 + [0], "task": "binary"}
        assert "data.own.x" in refused(c, {"data": {"own": own}})
        assert (
            train(
                c, {"data": {"points": 50}, "model": {"hidden": [3]}, "steps": 10, "grid": 8}
            ).status_code
            == 200
        )


@pytest.mark.parametrize(
    ("own", "field", "words"),
    [
        ({"x": [[0, 0], [1, 1], [2]], "y": [0, 1, 0]}, "data.own.x.2", "[x1, x2]"),
        ({"x": [[0, 0], [1, 1e308]], "y": [0, 1]}, "data.own.x.1", "beyond"),
        ({"x": [[0, 0], [1, 1]], "y": [0, 2]}, "data.own.y.1", "class 0 or 1"),
        ({"x": [[0, 0], [1, 1]], "y": [1, 1]}, "data.own.y", "two classes"),
        ({"x": [[0, 0], [1, 1]], "y": [0]}, "data.own.y", "one y per point"),
        ({"x": [[0, 0], [1, 1]], "y": [0, 1], "task": "ranking"}, "data.own.task", ""),
        ({"x": [[0, 0], ["a", 1]], "y": [0, 1]}, "data.own.x.1.0", ""),
    ],
)
def test_own_points_with_a_bad_point_are_refused_naming_it(client, own, field, words) -> None:
    errors = refused(client, {"data": {"own": {"task": "binary", **own}}, "steps": 1})
    assert field in errors, errors
    assert words in errors[field]


# --- a CSV file ------------------------------------------------------------------------------


def csv(client: TestClient, text: str):
    return client.post("/api/networks/datasets/csv", json={"csv": text})


def test_a_csv_file_becomes_points_a_run_takes(client) -> None:
    answer = csv(client, "x1,x2,label\n0.5,1,0\n-1.5,2,1\n3,-1,2\n")
    assert answer.status_code == 200, answer.text
    points = answer.json()
    CsvPointsOut.model_validate(points)
    assert points == {
        "x": [[0.5, 1.0], [-1.5, 2.0], [3.0, -1.0]],
        "y": [0.0, 1.0, 2.0],
        "task": "multiclass",
        "classes": 3,
    }
    curve = csv(client, "0,1\n1,2.5\n2,4\n").json()
    assert (curve["task"], curve["x"]) == ("regression", [[0.0], [1.0], [2.0]])
    own = {k: points[k] for k in ("x", "y", "task")}
    assert train(client, {"data": {"own": own, "test_ratio": 0}, "steps": 2}).status_code == 200


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("x1,x2,label\n1,2,0\n3,4\n", "row 3"),  # ragged
        ("1,2,0\n1,abc,1\n", "row 2"),  # not a number
        ("1,2,0\n1,nan,1\n", "row 2"),
        ("1,2,0\n1,1e308,1\n", "row 2"),
        ("1,2,0\n3,4,0\n5,6,0\n", "class"),  # a single class
        ("", ""),
    ],
)
def test_a_hostile_csv_file_is_refused_naming_the_row(client, text, words) -> None:
    response = csv(client, text)
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["field"] == "data.csv"
    assert words in error["reason"]


def test_a_csv_file_over_the_limit_is_refused_413_naming_it() -> None:
    with TestClient(create_app(Settings(network_csv_bytes=1024))) as c:
        row = "1.25,-2.5,1\n0.5,0.75,0\n"
        fits = csv(c, row * (1024 // len(row)))
        assert fits.status_code == 200, fits.text
        for text in (row * (1024 // len(row) + 1), row * 10_000):  # decoded, or unread
            response = csv(c, text)
            assert response.status_code == 413
            assert response.json()["errors"] == [
                {"field": "data.csv", "reason": "a CSV file of at most 1024 bytes"}
            ]
        too_many = "".join(f"{i},{i},{i % 2}\n" for i in range(60))
    with TestClient(create_app(Settings(network_max_points=50))) as c:
        response = csv(c, too_many)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "data.csv"


def test_the_openapi_document_states_the_network_ids_and_this_servers_limits() -> None:
    limits = Settings(network_max_layers=2, network_max_units=5, network_max_steps=70)
    with TestClient(create_app(limits)) as c:
        schemas = c.get("/openapi.json").json()["components"]["schemas"]
    model = schemas["NetModelRequest"]["properties"]
    assert model["hidden"]["maxItems"] == 2 and model["hidden"]["items"]["maximum"] == 5
    assert model["activation"]["enum"] == ["relu", "tanh", "sigmoid", "linear", "gelu"]
    assert schemas["NetworkRequest"]["properties"]["steps"]["maximum"] == 70
    assert "xor" in schemas["NetDataRequest"]["properties"]["dataset"]["enum"]
    adam = next(
        b
        for b in schemas["NetOptimizerRequest"]["anyOf"]
        if b["properties"]["optimizer"] == {"const": "adam"}
    )
    assert "betas" in adam["properties"]["hyperparameters"]["properties"]


# --- one weight's step explained -------------------------------------------------------------


def explain(client: TestClient, body: dict):
    return client.post("/api/networks/explain", json=body)


def test_one_weights_next_step_is_explained_with_the_runs_own_numbers(client) -> None:
    body = {
        **RUN,
        "steps": 7,
        "racer": 1,
        "weight": {"layer": 1, "kind": "weight", "row": 2, "col": 4},
    }
    response = explain(client, body)
    assert response.status_code == 200, response.text
    e = response.json()
    assert (e["optimizer"], e["step"], e["status"]) == ("adam", 8, "running")
    run = train(client, {**RUN, "steps": 8}).json()["racers"][1]
    before = train(client, {**RUN, "steps": 7}).json()["racers"][1]
    # layer 1's weight[2, 4], in torch's layout: the weight the step moves
    assert e["position_before"] == [before["final_weights"][1]["weight"][2][4]]
    assert e["position_after"] == [run["final_weights"][1]["weight"][2][4]]
    assert any("m̂" in q["symbol"] for q in e["quantities"])  # Adam's own formula, filled in
    bias = explain(client, {**body, "weight": {"layer": 2, "kind": "bias", "row": 0}}).json()
    assert bias["position_before"] == before["final_weights"][2]["bias"]
    assert bias["loss_before"] == before["steps"]["train_loss"][-1]
    first = explain(client, {**body, "steps": 0}).json()
    assert first["step"] == 1 and first["loss_before"] == run["steps"]["train_loss"][0]


def test_resumed_racers_explain_from_their_state(client) -> None:
    states = [r["state"] for r in train(client, {**RUN, "steps": 7}).json()["racers"]]
    at = {"racer": 0, "weight": {"layer": 0, "row": 1, "col": 1}}
    resumed = explain(client, {**RUN, **at, "steps": 0, "resume": states})
    # the same racer, its 7 steps taken by the server
    taken = explain(client, {**RUN, **at, "steps": 7})
    assert resumed.json() == taken.json()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weight": {"layer": 3}}, "weight.layer"),
        ({"weight": {"layer": 0, "row": 5}}, "weight.row"),
        ({"weight": {"layer": 0, "col": 2}}, "weight.col"),
        ({"weight": {"kind": "gain"}}, "weight.kind"),
        ({"racer": 2}, "racer"),
        ({"steps": 5001}, "steps"),
    ],
)
def test_a_weight_that_does_not_exist_is_refused_naming_it(client, change, field) -> None:
    response = explain(client, {**RUN, **change})
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
