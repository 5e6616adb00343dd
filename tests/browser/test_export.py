"""The exported replay page (POST /api/runs/export?format=html) works from a file on disk:
no server for it, and every network request blocked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

ONE_D = {
    "surface": "roll_downhill",
    "optimizer": "sgd",
    "hyperparameters": {"lr": 0.05, "momentum": 0.9},
    "start": [3.5],
    "steps": 60,
}
TWO_RACERS = [
    {"surface": "himmelblau", "optimizer": "sgd", "hyperparameters": {"lr": 0.01}, "steps": 40},
    {
        "surface": "himmelblau",
        "optimizer": "adam",
        "hyperparameters": {"lr": 0.2},
        "start": [-1.0, 3.5],
        "steps": 50,
    },
]


class Offline:
    """A page in its own browser context where only file:// loads; what else it tried and
    every console error are kept."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.blocked: list[str] = []
        self.errors: list[str] = []


@pytest.fixture
def offline(browser: Browser) -> Iterator[Offline]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    o = Offline(page)

    def route(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            o.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and o.errors.append(m.text))
    page.on("pageerror", lambda e: o.errors.append(str(e)))
    yield o
    context.close()


def exported(client, tmp_path: Path, runs: list[dict]) -> tuple[Path, list[dict]]:
    """The replay page written to disk (the in-process app made it; no server serves it),
    and the runs as POST /api/runs computes them."""
    response = client.post("/api/runs/export?format=html", json={"runs": runs})
    assert response.status_code == 200
    path = tmp_path / "replay.html"
    path.write_bytes(response.content)
    results = client.post("/api/runs", json={"runs": runs}).json()["runs"]
    return path, results


def shown(page: Page, racer: int) -> list[float]:
    return json.loads(page.get_attribute(f"#position-{racer}", "data-position"))


def balls(page: Page) -> list[list[float]]:
    """Where Plotly draws each racer's ball: the last trace of each (path, ball) pair."""
    return page.evaluate(
        """() => document.getElementById("plot").data
            .filter((t) => t.name === "ball").map((t) => [t.x[0], t.y[0]])"""
    )


@pytest.mark.parametrize("case", ["1d", "2d-two-racers"])
def test_the_replay_plays_offline_to_each_runs_end(client, tmp_path, offline, case):
    runs = [ONE_D] if case == "1d" else TWO_RACERS
    path, results = exported(client, tmp_path, runs)
    page = offline.page
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-ready=true]", timeout=20_000)
    for i, result in enumerate(results):
        assert shown(page, i) == result["positions"][0]

    page.click("#play")
    page.wait_for_selector("body[data-state=ended]", timeout=20_000)
    last = max(len(r["steps"]) for r in results) - 1
    page.wait_for_function(f"document.body.dataset.frame === '{last}'")
    page.wait_for_timeout(100)  # the last frame's draw
    for i, result in enumerate(results):
        end = result["positions"][-1]
        assert shown(page, i) == end, result["outcome"]
        assert end != result["positions"][0]  # the ball moved
        ball = balls(page)[i]
        expected = [end[0], result["losses"][-1]] if len(end) == 1 else end
        assert ball == pytest.approx(expected, rel=1e-12)
    assert page.input_value("#step") == str(last)

    page.click("#reset")
    page.wait_for_function("document.body.dataset.frame === '0'")
    page.wait_for_timeout(100)
    assert shown(page, 0) == results[0]["positions"][0]

    assert offline.blocked == []
    assert offline.errors == []


def test_the_slider_shows_any_step(client, tmp_path, offline):
    path, results = exported(client, tmp_path, TWO_RACERS)
    page = offline.page
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-ready=true]", timeout=20_000)
    page.fill("#step", "45")  # past the first racer's end: it stays at its last step
    page.wait_for_function("document.body.dataset.frame === '45'")
    page.wait_for_timeout(100)
    assert shown(page, 0) == results[0]["positions"][min(45, len(results[0]["steps"]) - 1)]
    assert shown(page, 1) == results[1]["positions"][45]
    assert offline.errors == [] and offline.blocked == []
