"""The step record is defined once (app/engine/run/trace.py): the wire models, OpenAPI and
the page's field list follow from it; the outcomes the engine decides are the ones the page
words."""

from __future__ import annotations

import json
import re

import pytest
from pydantic import ValidationError

from app.api.schemas.runs import RunsResponse
from app.api.schemas.stream import EndEvent, StepEvent
from app.engine.run.outcome import OUTCOMES
from app.engine.run.trace import FIELDS, NULLABLE


def facts_of(html: str) -> dict:
    """The base template's facts block (app/facts.py), as the page reads it."""
    match = re.search(r'<script type="application/json" id="facts">(.*?)</script>', html, re.S)
    assert match
    return json.loads(match.group(1))


def test_the_page_is_handed_the_engines_field_list(client):
    # the page's Track reads this block (tests/browser/test_facts.py checks it does)
    assert facts_of(client.get("/").text)["stepFields"] == list(FIELDS)


def test_the_page_words_exactly_the_engines_outcomes(client):
    assert list(facts_of(client.get("/explore").text)["outcomes"]) == list(OUTCOMES)


def test_openapi_documents_results_and_stream_events_from_the_record(client):
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    for model in ("RunResult", "RunSteps"):
        assert set(FIELDS) <= set(schemas[model]["properties"]), model
    assert schemas["StepEvent"]["properties"]["runs"]["items"]["$ref"].endswith("/RunSteps")
    assert set(schemas["RunResult"]["properties"]["outcome"]["enum"]) == set(OUTCOMES)
    assert "minimum" in schemas["EndEvent"]["properties"]
    for name, when in NULLABLE.items():
        assert when in schemas["RunSteps"]["properties"][name]["description"]
    stream = spec["paths"]["/api/stream"]["get"]["responses"]["200"]["content"]
    data = stream["text/event-stream"]["itemSchema"]["properties"]["data"]["contentSchema"]
    refs = {ref["$ref"].rsplit("/", 1)[-1] for ref in data["anyOf"]}
    assert refs == {"StepEvent", "EndEvent", "ClosingEvent"}


def test_a_response_missing_a_field_fails_the_models(client):
    # What every test's POST response and stream event is checked with (tests/conftest.py,
    # tests/stream): it does refuse a result that lost a field or an outcome it cannot have.
    body = client.post(
        "/api/runs", json={"runs": [{"surface": "parabola", "optimizer": "sgd", "steps": 3}]}
    ).json()
    RunsResponse.model_validate(body, strict=True)
    del body["runs"][0]["losses"]
    with pytest.raises(ValidationError):
        RunsResponse.model_validate(body, strict=True)
    end = {"run": 0, "status": "max_steps", "outcome": "lost", "minimum": None, "state": {}}
    with pytest.raises(ValidationError):
        EndEvent.model_validate_json(json.dumps(end), strict=True)
    with pytest.raises(ValidationError):
        StepEvent.model_validate({"runs": [{"run": 0}]}, strict=True)
