"""The OpenAPI document states what the server checks: the catalogs' ids and ranges, this
server's limits, and every error each operation can answer (app/api/openapi.py)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.engine.optimizers import OPTIMIZERS
from app.engine.run.schedules import SCHEDULES
from app.engine.surfaces import SURFACES
from app.main import create_app
from app.settings import Settings

ERROR_OUT = "#/components/schemas/ErrorOut"


@pytest.fixture
def document(client: TestClient) -> dict:
    return client.get("/openapi.json").json()


def branch(schema: dict, key: str, value: str) -> dict:
    """The anyOf branch of ``schema`` for ``key`` = ``value``."""
    (found,) = [b for b in schema["anyOf"] if b["properties"][key] == {"const": value}]
    return found


def test_the_limits_are_this_servers_settings():
    limits = Settings(max_steps=50, max_runs=2, max_speed=300, max_body_bytes=2048)
    with TestClient(create_app(limits)) as c:
        document = c.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert schemas["RunRequest"]["properties"]["steps"]["maximum"] == 50
    assert schemas["RunsRequest"]["properties"]["runs"]["maxItems"] == 2
    runs, speed = document["paths"]["/api/stream"]["get"]["parameters"]
    (runs_json,) = runs["content"].values()  # the query's JSON list of runs, as JSON
    assert runs_json["schema"]["maxItems"] == 2
    assert runs_json["schema"]["items"] == {"$ref": "#/components/schemas/RunRequest"}
    assert (speed["schema"]["minimum"], speed["schema"]["maximum"]) == (0, 300)
    assert "2048 bytes" in document["paths"]["/api/runs"]["post"]["responses"]["413"]["description"]


def test_ids_are_the_catalogs(document):
    schemas = document["components"]["schemas"]
    run = schemas["RunRequest"]["properties"]
    ids, typed = run["surface"]["anyOf"]  # a built-in id, or a typed formula
    assert ids["enum"] == list(SURFACES)
    assert typed == {"$ref": "#/components/schemas/FormulaRequest"}
    assert run["optimizer"]["enum"] == list(OPTIMIZERS)
    assert schemas["ScheduleRequest"]["properties"]["name"]["enum"] == list(SCHEDULES)
    ids, formula_id = schemas["RunStateModel"]["properties"]["surface"]["anyOf"]
    assert ids["enum"] == list(SURFACES)
    assert formula_id["pattern"] == "^formula-[0-9a-f]{12}$"
    grid = document["paths"]["/api/surfaces/{surface_id}/grid"]["get"]["parameters"][0]
    assert grid["schema"]["enum"] == list(SURFACES)


def accepts(client: TestClient, optimizer: str, name: str, value: object) -> bool:
    run = {"surface": "parabola", "optimizer": optimizer, "hyperparameters": {name: value}}
    return client.post("/api/runs", json={"runs": [{**run, "steps": 1}]}).status_code == 200


def test_each_optimizer_takes_the_hyperparameters_the_server_accepts(client, document):
    run = document["components"]["schemas"]["RunRequest"]
    for optimizer in client.get("/api/optimizers").json():
        names = branch(run, "optimizer", optimizer["id"])["properties"]["hyperparameters"]
        assert names["additionalProperties"] is False
        assert set(names["properties"]) == {h["name"] for h in optimizer["hyperparameters"]}
        # what the document allows, the server takes: each number at its bounds
        for h in optimizer["hyperparameters"]:
            documented = names["properties"][h["name"]]
            number = documented.get("items", documented)  # a tuple's numbers, or the number
            for bound in ("minimum", "maximum"):
                if bound not in number or h["name"] == "etas":  # etas: also η₋ < 1 < η₊
                    continue
                value = number[bound]
                if isinstance(h["default"], list):
                    value = [value] * len(h["default"])
                assert accepts(client, optimizer["id"], h["name"], value), (h["name"], value)


def test_a_schedule_takes_only_its_own_parameters(document):
    schedule = document["components"]["schemas"]["ScheduleRequest"]
    for s in SCHEDULES.values():
        parameters = branch(schedule, "name", s.id)["properties"]["parameters"]
        assert set(parameters["properties"]) == {h.name for h in s.parameters}
    # left out, the name is `constant`, which has no parameters
    assert "required" not in branch(schedule, "name", "constant")
    assert branch(schedule, "name", "cosine")["required"] == ["name"]


def test_every_error_is_documented_in_the_one_json_shape(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            if "requestBody" in operation:
                assert "413" in responses, (method, path)
            for status, response in responses.items():
                if status[0] in "45":
                    assert response["content"] == {
                        "application/json": {"schema": {"$ref": ERROR_OUT}}
                    }, (method, path, status)
    stream = document["paths"]["/api/stream"]["get"]["responses"]
    assert set(stream) == {"200", "422", "503"}
    assert "Retry-After" in stream["503"]["headers"]
