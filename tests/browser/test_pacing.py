"""Batched events never show as bunched motion: the page plays streamed steps at the pace it
asked for (static/js/state/player.js), however many steps each event carries."""

from __future__ import annotations

import statistics
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.test_roll_downhill import trail_x
from tests.conftest import Server, start_server, stop_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Two events a second: each holds half a second of steps, so bunching would show."""
    srv = start_server(tmp_path_factory.mktemp("pacing"), {"DESCENT_LAB_EVENTS_PER_SECOND": "2"})
    yield srv
    stop_server(srv)


# Every change of the step readout, with when it was drawn.
RECORD_STEPS = """() => {
  window.__shown = [];
  const readout = document.getElementById("readout-step");
  new MutationObserver(() => {
    window.__shown.push([performance.now(), Number(readout.textContent)]);
  }).observe(readout, { childList: true, characterData: true, subtree: true });
}"""


def test_steps_are_shown_one_at_a_time_at_the_pace_asked_for(watched):
    page = watched.open("/?speed=20&lr=0.02")  # a slow crawl: it keeps moving for seconds
    page.evaluate(RECORD_STEPS)
    page.get_by_role("button", name="Play").click()
    page.wait_for_timeout(3000)
    page.get_by_role("button", name="Pause").click()
    shown = page.evaluate("window.__shown")
    pairs = zip(shown[1:], shown, strict=False)
    changes = [(t, step) for (t, step), (_, before) in pairs if step != before]
    assert len(changes) >= 40  # about 20 steps a second for 3 s (10 steps in each event)
    jumps = [b - a for (_, a), (_, b) in zip(changes, changes[1:], strict=False)]
    gaps = [b - a for (a, _), (b, _) in zip(changes, changes[1:], strict=False)]
    # one step at a time (a frame the busy machine drew late catches up by a step or two: on
    # a CI machine with both cores busy, 5 frames in 47 did), never the event's ten at once
    seen = f"jumps {jumps}, gaps {[round(g) for g in gaps]}"
    assert jumps.count(1) >= 0.75 * len(jumps), seen
    assert max(jumps) <= 3, seen
    assert 40 <= statistics.median(gaps) <= 60, seen  # one step every 50 ms
    # a steady pace: no long holds between events (the next event arrives while one plays)
    assert sorted(gaps)[int(0.9 * len(gaps))] < 120, seen


def test_pause_stops_the_ball_where_it_is_shown_and_play_carries_on_from_there(watched):
    page = watched.open("/?speed=20&lr=0.02")
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("Number(document.getElementById('readout-step').textContent) >= 13")
    page.get_by_role("button", name="Pause").click()  # mid-event: steps 11-20 came together
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    paused_at = int(page.locator("#readout-step").inner_text())
    x_paused = page.locator("#readout-x").inner_text()
    page.wait_for_timeout(700)
    assert int(page.locator("#readout-step").inner_text()) == paused_at
    assert page.locator("#readout-x").inner_text() == x_paused
    page.get_by_role("button", name="Step").click()  # one step past what is shown
    expect(page.locator("#readout-step")).to_have_text(str(paused_at + 1))
    # and the path is the one an uninterrupted run takes, step for step
    expected = page.evaluate(
        """async (steps) => {
          const runs = [{ surface: "roll_downhill", optimizer: "sgd",
                          hyperparameters: { lr: 0.02 }, start: [3.5], steps }];
          const r = await fetch("/api/runs", {
            method: "POST", headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ runs }),
          });
          return (await r.json()).runs[0].positions.map((p) => p[0]);
        }""",
        paused_at + 1,
    )
    assert trail_x(page) == pytest.approx(expected, rel=0, abs=1e-12)


def test_a_rate_changed_while_paused_mid_event_applies_from_the_step_shown(watched):
    page = watched.open("/?speed=20&lr=0.02")
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("Number(document.getElementById('readout-step').textContent) >= 13")
    page.get_by_role("button", name="Pause").click()  # ahead of the last event's state
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    paused_at = int(page.locator("#readout-step").inner_text())
    page.wait_for_timeout(300)  # the page asks for the state at the step it shows
    page.locator("#lr").evaluate(
        "(el) => { el.value = '0.5'; el.dispatchEvent(new Event('input', { bubbles: true })); }"
    )
    expect(page.locator("#lr-value")).to_have_text("0.50")
    page.get_by_role("button", name="Step").click()
    expect(page.locator("#readout-step")).to_have_text(str(paused_at + 1))
    # steps up to the pause at lr 0.02, then one at 0.5 from where the ball was shown
    run = {"surface": "roll_downhill", "optimizer": "sgd", "start": [3.5]}
    before = {**run, "hyperparameters": {"lr": 0.02}, "steps": paused_at}
    (upto,) = httpx.post(f"{watched.base_url}/api/runs", json={"runs": [before]}).json()["runs"]
    after = {k: v for k, v in run.items() if k != "start"}
    after |= {"hyperparameters": {"lr": 0.5}, "steps": 1, "resume": upto["state"]}
    (step,) = httpx.post(f"{watched.base_url}/api/runs", json={"runs": [after]}).json()["runs"]
    expected = [p[0] for p in upto["positions"]] + [step["positions"][-1][0]]
    assert trail_x(page) == pytest.approx(expected, rel=0, abs=1e-12)
