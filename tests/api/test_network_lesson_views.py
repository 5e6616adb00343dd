"""GET /api/networks/lessons sends each lesson's landscape view (null when it has none): what
the network page computes once the lesson's run has ended."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient

from app.api.schemas.lessons import NetworkLessonViewOut
from app.engine.networks.views import VIEWS
from app.lessons.network_lessons import NETWORK_LESSONS


@pytest.fixture
def network_lessons(client: TestClient) -> list[dict[str, Any]]:
    response = client.get("/api/networks/lessons")
    assert response.status_code == 200
    return response.json()


def test_every_network_lesson_says_which_view_it_shows_or_null(
    network_lessons: list[dict[str, Any]],
) -> None:
    assert [lesson["id"] for lesson in network_lessons] == list(NETWORK_LESSONS)
    for lesson in network_lessons:
        view = NETWORK_LESSONS[lesson["id"]].view
        if view is None:
            assert lesson["view"] is None
        else:
            assert lesson["view"] == {
                "kind": view.kind,
                "racer": view.racer,
                "seed": view.seed,
                "span": view.span,
                "second_seed": view.second_seed,
            }


def test_the_landscape_lessons_show_every_view_with_a_racer_they_have(
    network_lessons: list[dict[str, Any]],
) -> None:
    shown = [lesson for lesson in network_lessons if lesson["view"] is not None]
    assert sorted(lesson["view"]["kind"] for lesson in shown) == sorted(VIEWS)
    for lesson in shown:
        assert 0 <= lesson["view"]["racer"] < len(lesson["racers"])
        assert 0 < lesson["view"]["span"] <= 10
    by_id = {lesson["id"]: lesson["view"] for lesson in shown}
    assert by_id["edge_of_stability"]["kind"] == "sharpness"
    assert by_id["two_seeds_one_valley"] == {
        "kind": "seeds",
        "racer": 0,
        "seed": 0,
        "span": 1.0,
        "second_seed": None,
    }


def test_the_documented_view_kinds_are_the_engines(client: TestClient) -> None:
    assert get_args(NetworkLessonViewOut.model_fields["kind"].annotation) == VIEWS
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["NetworkLessonViewOut"]["properties"]["kind"]["enum"] == list(VIEWS)
    assert "view" in schemas["NetworkLessonOut"]["required"]
