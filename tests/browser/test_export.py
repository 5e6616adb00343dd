"""The exported replay page (POST /api/runs/export?format=html) works from a file on disk:
no server for it, and every network request blocked. It draws with the pages' own plots
(static/js/plots, carried inside the file): a 1D run's ball on its curve as Roll Downhill draws
it, 2D runs' balls on the map's overlay as the explorer draws them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

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
    """Where the plots draw each run's ball: on its 1D curve, the ball trace's point; on the
    2D map, the overlay circle's point, checked to sit at that point's pixels on the map's axes."""
    return page.evaluate(
        """() => {
            const curves = [...document.querySelectorAll("[id^=plot-]")];
            if (curves.length) {
                return curves.map((c) => c.data.find((t) => t.name === "ball"))
                    .map((t) => [t.x[0], t.y[0]]);
            }
            const { xaxis, yaxis } = document.querySelector(".landscape-map")._fullLayout;
            return [...document.querySelectorAll("svg.overlay g.racer-marks .ball")].map((c) => {
                const at = [Number(c.dataset.x), Number(c.dataset.y)];
                const px = [xaxis._offset + xaxis.c2p(at[0]), yaxis._offset + yaxis.c2p(at[1])];
                const drawn = [Number(c.getAttribute("cx")), Number(c.getAttribute("cy"))];
                const placed = px.every((p, i) => Math.abs(p - drawn[i]) < 0.051);
                return placed && c.getAttribute("visibility") === "visible" ? at : null;
            });
        }"""
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


# Each racer's marks on the explorer's map, in the map's data coordinates (the overlay draws
# in pixels, and the page's map and the replay's differ in size): the ball, the path's points,
# the arrows' ends (null where hidden) and the label of a ball off the map.
MAP_MARKS = """() => {
    const { xaxis, yaxis } = document.querySelector("#landscape .landscape-map")._fullLayout;
    const at = (px, py) => [xaxis.p2c(px - xaxis._offset), yaxis.p2c(py - yaxis._offset)];
    const arrow = (line) => line.getAttribute("visibility") !== "visible" ? null : [
        ...at(Number(line.getAttribute("x1")), Number(line.getAttribute("y1"))),
        ...at(Number(line.getAttribute("x2")), Number(line.getAttribute("y2"))),
    ];
    return [...document.querySelectorAll("svg.overlay g.racer-marks")].map((g) => ({
        ball: ["x", "y"].map((a) => Number(g.querySelector(".ball").dataset[a])),
        path: g.querySelector(".path").getAttribute("points").trim().split(" ")
            .map((p) => at(...p.split(",").map(Number))),
        gradient: arrow(g.querySelector(".gradient")),
        velocity: arrow(g.querySelector(".velocity")),
        away: g.querySelector(".away").textContent,
    }));
}"""

# The 1D curve's moving traces: the path, the start, the ball and a ball off the plot.
CURVE_MARKS = """(id) => document.getElementById(id).data
    .filter((t) => ["path", "start", "ball", "ball off the plot"].includes(t.name))
    .map((t) => ({ name: t.name, x: [...t.x], y: [...t.y], text: t.text ? [...t.text] : null }))"""


def downloaded_replay(page: Page, tmp_path: Path) -> Path:
    """The page's own "Replay as HTML" download, saved to disk."""
    page.locator(".share summary").click()
    with page.expect_download() as got:
        page.get_by_role("button", name="Replay as HTML").click()
    path = tmp_path / got.value.suggested_filename
    got.value.save_as(path)
    return path


def at_the_end(page: Page, path: Path) -> Page:
    """The replay opened from disk, scrubbed to its last step."""
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-ready=true]", timeout=20_000)
    last = page.get_attribute("#step", "max")
    page.fill("#step", last)
    page.wait_for_function(f"document.body.dataset.frame === '{last}'")
    page.wait_for_timeout(200)  # the last frame's draw
    return page


def test_the_replay_draws_what_roll_downhill_drew(watched, offline, tmp_path):
    page = watched.open("/?optimizer=momentum&lr=0.3&start=-2&steps=40")
    drawn = page.evaluate(CURVE_MARKS, "plot")
    replay = at_the_end(offline.page, downloaded_replay(page, tmp_path))
    assert replay.evaluate(CURVE_MARKS, "plot-0") == drawn
    assert len(drawn[0]["x"]) == 41  # the start and 40 steps
    assert offline.blocked == [] and offline.errors == [] and watched.errors == []


def test_the_replay_draws_what_the_explorer_drew(watched, offline, tmp_path):
    scenario = "surface=himmelblau&start=-1,3.5&r1=gd&r1.lr=0.01&r2=momentum&r3=adam&steps=30"
    page = watched.open(f"/explore?{scenario}", ready="#explorer")
    # Read the marks once they are drawn for the map's settled layout: each path ends at its
    # ball (a path read in a layout it was not drawn for is off by the change; clean CI, once).
    page.wait_for_function(
        f"""(() => {{
            const marks = ({MAP_MARKS})();
            return marks.length === 3 && marks.every((m) => {{
                const end = m.path[m.path.length - 1];
                return Math.hypot(end[0] - m.ball[0], end[1] - m.ball[1]) < 0.005;
            }});
        }})()"""
    )
    drawn = page.evaluate(MAP_MARKS)
    replay = at_the_end(offline.page, downloaded_replay(page, tmp_path)).evaluate(MAP_MARKS)
    assert len(replay) == len(drawn) == 3
    for shown, expected in zip(replay, drawn, strict=True):
        assert shown["ball"] == expected["ball"]
        assert shown["away"] == expected["away"]
        assert len(shown["path"]) == len(expected["path"]) > 1
        for a, b in zip(shown["path"], expected["path"], strict=True):
            assert a == pytest.approx(b, abs=0.005)  # a tenth of a pixel, on either map
        for arrow in ("gradient", "velocity"):
            assert (shown[arrow] is None) == (expected[arrow] is None), arrow
            if expected[arrow] is not None:
                assert shown[arrow] == pytest.approx(expected[arrow], abs=0.005), arrow
    assert any(r["velocity"] for r in drawn)  # momentum's velocity arrow is compared too
    assert offline.blocked == [] and offline.errors == [] and watched.errors == []


def test_the_replay_names_and_words_each_run_as_the_page_does(watched, offline, tmp_path):
    # both diverge within the 30 steps: the page has its verdict for each (a ball a link
    # leaves mid-run is only "paused" on the page; the export words how it stands)
    scenario = "surface=himmelblau&start=-1,3.5&r1=gd&r1.lr=0.05&r2=gd&r2.lr=0.1&steps=30"
    page = watched.open(f"/explore?{scenario}", ready="#explorer")
    names = page.locator(".chart-legend li").all_inner_texts()
    assert names == ["Gradient descent, lr 0.05", "Gradient descent, lr 0.1"]
    said = page.locator(".racer-status").all_inner_texts()
    replay = offline.page
    replay.goto(downloaded_replay(page, tmp_path).as_uri())
    replay.wait_for_selector("body[data-ready=true]", timeout=20_000)
    assert replay.locator("ol.runs strong").all_inner_texts() == names
    endings = replay.locator(".ending").all_inner_texts()
    assert endings == said and all(e.startswith("Diverged on step ") for e in endings)
    assert "SGD" not in replay.locator("ol.runs").inner_text()  # no engine names or ids
    assert "max_steps" not in replay.content()

    # a ball the link left mid-run: the page says where it is paused, the export how its
    # run stands there, in the page's sentence for the engine's outcome
    page = watched.open("/?optimizer=momentum&lr=0.3&start=-2&steps=40")
    expect(page.locator("#status")).to_have_text("Paused at step 40, x = -2.939.")
    replay.goto(downloaded_replay(page, tmp_path).as_uri())
    replay.wait_for_selector("body[data-ready=true]", timeout=20_000)
    assert replay.locator("ol.runs strong").all_inner_texts() == ["Momentum"]
    assert replay.locator(".ending").all_inner_texts() == [
        "Still bouncing after 40 steps, now at x = -2.939: the learning rate is too large to "
        "settle. Press Play to go on."
    ]
    assert offline.blocked == [] and offline.errors == [] and watched.errors == []
