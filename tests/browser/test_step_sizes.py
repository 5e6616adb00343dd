"""Prodigy's estimated step size d on both pages, as a student watches it grow: a "Step size d"
readout on its card and a chart of d per step under the loss chart, both the server's numbers
for the step shown; an optimizer that estimates no step size shows neither."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from app.api.urlstate import lesson_url
from app.lessons import LESSONS

LESSON = LESSONS["prodigy_finds_its_step"]  # Adam (r1) and Prodigy (r2) on Booth from (-6, 6)
D_LINE = ".step-size-wrap svg.overlay .step-size-line"


def scrub(page: Page, step: int) -> None:
    """Drag the scrubber to `step` (as a drag does: the range's value, then an input event)."""
    page.eval_on_selector(
        "#scrub", "(el, v) => { el.value = String(v); el.dispatchEvent(new Event('input')); }", step
    )


def server_d(server, run: dict, steps: int) -> list[float | None]:
    """The step sizes the server reports for `run`'s first `steps` steps (None at the start)."""
    body = {"runs": [{**run, "steps": steps}]}
    answer = httpx.post(f"{server.url}/api/runs", json=body).json()["runs"][0]
    return answer["step_sizes"]


def shown_d(readout: Locator) -> float:
    return float(readout.inner_text())


def points(page: Page, racer: int) -> int:
    """How many steps the d chart draws for racer `racer` (0 when its line is empty)."""
    line = page.locator(f"{D_LINE}[data-racer='{racer}']")
    return int(line.get_attribute("data-points") or 0)


def wait_points(page: Page, racer: int, n: int) -> None:
    page.wait_for_function(
        f"Number(document.querySelector(\"{D_LINE}[data-racer='{racer}']\")?.dataset.points)"
        f" === {n}"
    )


def test_the_lesson_shows_prodigys_d_on_its_card_and_chart_step_by_step(watched, server):
    page = watched.open(lesson_url(LESSON), ready="#explorer")
    adam, prodigy = page.locator(".racer").nth(0), page.locator(".racer").nth(1)
    chart_title = page.get_by_role("heading", name="Prodigy's step size d by step")
    expect(chart_title).to_be_visible()
    expect(prodigy.get_by_text("Step size d", exact=True)).to_be_visible()
    expect(adam.get_by_text("Step size d", exact=True)).to_be_hidden()

    page.get_by_role("button", name="Jump to the end").click()
    expect(prodigy.locator(".racer-status")).to_contain_text("minimum", timeout=10_000)
    end = int(prodigy.locator("[data-readout=step]").inner_text())
    run = {"surface": "booth", "optimizer": "prodigy", "hyperparameters": {"lr": 1.0}}
    d = server_d(server, {**run, "start": [-6.0, 6.0]}, end)
    assert d[0] is None and len(d) == end + 1
    readout = prodigy.locator("[data-readout=step_size]")
    assert shown_d(readout) == pytest.approx(d[end], rel=1e-3)
    wait_points(page, 1, end)  # one point per step (the start has none)
    assert points(page, 0) == 0  # Adam estimates no d: its line is empty
    # the log axis holds d from its first value (1e-6) to its last
    low, high = page.evaluate("document.getElementById('step-size-chart').layout.yaxis.range")
    assert low <= -6 and high >= 0.02

    scrub(page, 10)  # back to step 10: the readout and the chart show d as it was then
    expect(prodigy.locator("[data-readout=step]")).to_have_text("10")
    assert shown_d(readout) == pytest.approx(d[10], rel=1e-3)
    assert d[10] < d[end] / 100  # still small: the readout changed
    wait_points(page, 1, 10)
    assert watched.errors == []


def test_an_explorer_racer_without_d_shows_no_readout_and_no_chart(watched):
    page = watched.open("/explore?surface=booth&r1=adam&r1.lr=0.5&steps=20", ready="#explorer")
    racer = page.locator(".racer").first
    expect(racer.locator("[data-readout=step]")).to_have_text("20")
    expect(racer.get_by_text("Step size d", exact=True)).to_be_hidden()
    expect(page.locator("#step-size-part")).to_be_hidden()
    # switched to Prodigy, it reports d from its first step
    racer.get_by_label("Optimizer").select_option("prodigy")
    page.get_by_role("button", name="Step").click()
    expect(racer.locator("[data-readout=step]")).to_have_text("1")
    expect(racer.locator("[data-readout=step_size]")).to_have_text("1.00e-6")
    expect(page.get_by_role("heading", name="Prodigy's step size d by step")).to_be_visible()
    wait_points(page, 0, 1)
    assert watched.errors == []


def test_roll_downhill_shows_prodigys_d_under_the_loss_chart_and_not_gradient_descents(
    watched, server
):
    page = watched.open("/?optimizer=prodigy&lr=1&steps=30")
    expect(page.locator("#readout-step")).to_have_text("30")
    d = server_d(server, {"surface": "roll_downhill", "optimizer": "prodigy",
                          "hyperparameters": {"lr": 1.0}, "start": [3.5]}, 30)  # fmt: skip
    readout = page.locator("#readout-step-size")
    expect(readout).to_be_visible()
    assert shown_d(readout) == pytest.approx(d[30], rel=1e-3)
    page.get_by_text("Loss and sharpness by step").click()  # the chart's panel, closed at first
    expect(page.get_by_role("heading", name="Prodigy's step size d by step")).to_be_visible()
    wait_points(page, 0, 30)
    scrub(page, 5)
    expect(page.locator("#readout-step")).to_have_text("5")
    assert shown_d(readout) == pytest.approx(d[5], rel=1e-3)
    wait_points(page, 0, 5)

    page.get_by_label("Optimizer", exact=True).select_option("gd")  # no d: neither shows
    page.get_by_role("button", name="Step").click()
    expect(page.locator("#readout-step")).to_have_text("1")
    expect(readout).to_be_hidden()
    expect(page.locator("#step-size-part")).to_be_hidden()
    assert watched.errors == []
