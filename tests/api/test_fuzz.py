"""Fuzzing: schemathesis draws requests from the app's own OpenAPI document (/openapi.json) for
every operation, the event stream included, and checks each response: never a 5xx, a status
code the operation documents, its content type and its body's schema (each stream event's
too); a request the document forbids must be refused with a 4xx.

`make test` draws 100 requests per operation (about 15 s); DESCENT_LAB_FUZZ_EXAMPLES=1000
draws that many and adds schemathesis' coverage phase (about 6 min; docs/contributing.md, "Tests").
Hypothesis is derandomized (the same requests every run) and keeps no example database, so CI
never flakes on a new draw and no database is written into the repo.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

from app.main import create_app
from app.settings import Settings

LARGER = os.environ.get("DESCENT_LAB_FUZZ_EXAMPLES")
EXAMPLES = int(LARGER or 100)
# Tight limits keep every call small; the document states them too (app/api/openapi.py), so
# schemathesis draws within them and just past them.  100 steps: a run's default.
# Maps: a few starts of a few steps each.
LIMITS = Settings(
    max_steps=100,
    max_runs=3,
    unpaced_batch=10,
    max_body_bytes=4096,
    map_max_steps=50,
    map_max_side=6,
    map_max_points=16,
    # Networks: a small one on a few points, a few steps, a coarse grid.
    network_max_layers=2,
    network_max_units=4,
    network_max_points=40,
    network_max_steps=20,
    network_max_grid=6,
    # Landscape views: a fine plane or sharpness is past this, and refused naming `detail`.
    network_view_max_work=5_000,
    # The fuzzer names a random class code in thousands of requests from one address: past
    # the wrong-code limit every class route would answer 429 before reading the body, and
    # a forbidden body must meet the 422 it is owed. The limits are tested in
    # tests/api/test_class_security.py.
    class_code_failures_per_minute=1_000_000,
    class_creates_per_hour=1_000_000,
    class_answers_per_minute=1_000_000,
)
# A paced stream takes real time (steps / speed): a slower speed, or none (20 steps/s), is
# raised to the fastest, so a stream of 100 steps ends in about 35 ms.  Pacing itself is
# tested in tests/stream; here what matters is what is answered.
FUZZ_SPEED = LIMITS.max_speed
TIMEOUT_S = 10.0  # per call: a stream that never ends fails instead of hanging the run

CONFIG = schemathesis.Config.from_dict(
    {
        # Every boundary and enum value of every field, a few thousand requests per run
        # operation: minutes, so only in the larger run.
        "phases": {"coverage": {"enabled": bool(LARGER)}},
        # The document allows what some run can take, but whether this run can (its start
        # in this surface's domain, a state for this surface, a one-cycle schedule with an
        # optimizer that has momentum) only the server decides: a schema-valid request may
        # honestly get a 422.
        "checks": {
            "positive_data_acceptance": {"enabled": False},
            # How this server refuses a request: an unknown surface (404), a method (405),
            # a body over the limit, however wrong it is inside (413), anything else (422).
            "negative_data_rejection": {"expected-statuses": [404, 405, 413, 422, "5xx"]},
        },
    }
)
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(LIMITS), config=CONFIG)


def quick(speed: Any) -> Any:
    """``speed`` as drawn (a number, its text, or None: left out) raised to FUZZ_SPEED when
    it paces the stream slower; what the server refuses anyway is kept."""
    if speed is None:
        return FUZZ_SPEED
    if isinstance(speed, bool):  # a negative case: not a number
        return speed
    try:
        value = float(speed)
    except (TypeError, ValueError):
        return speed
    return FUZZ_SPEED if 0 < value < FUZZ_SPEED else speed


PACED = ("/api/stream", "/api/networks/runs/stream")


def paced_quickly(case: schemathesis.Case) -> None:
    if case.operation.path not in PACED:
        return
    query = dict(case.query or {})
    speed = query.get("speed")
    # a repeated parameter arrives as a list; the server reads the last value
    query["speed"] = [quick(s) for s in speed] if isinstance(speed, list) else quick(speed)
    case.query = query


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
def test_the_api_answers_every_request_as_documented(case: schemathesis.Case) -> None:
    paced_quickly(case)
    case.call_and_validate(timeout=TIMEOUT_S)


def test_the_network_views_are_drawn_too() -> None:
    """The landscape views (jobs, as the maps are) are among the operations drawn above."""
    paths = {result.ok().path for result in schema.get_all_operations()}
    assert {"/api/networks/views", "/api/networks/views/stream"} <= paths
