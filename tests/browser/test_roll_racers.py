"""Roll Downhill's mechanics on the curve: more balls racing the first, each with its colour,
rate, optimizer and verdict, and the tangent and step at the ball."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

# A verdict the engine decided (not the lines shown while a ball waits or rolls).
VERDICT = re.compile(r"^(Settled|Still bouncing|Diverged|Ran away|Still crawling|Stuck|Stopped)")


def trace(page: Page, name: str) -> dict:
    """The curve plot's trace called ``name``: its points and colours."""
    return page.evaluate(
        """(name) => {
            const t = document.getElementById('plot').data.find((t) => t.name === name);
            return { x: [...t.x], y: [...t.y], mode: t.mode, color: t.marker && t.marker.color };
        }""",
        name,
    )


def arrows(page: Page) -> list[dict]:
    return page.evaluate("document.getElementById('plot').layout.annotations || []")


def readout(page: Page, name: str) -> float:
    return float(page.locator(f"#readout-{name}").inner_text())


def test_a_second_ball_at_ten_times_the_rate_races_the_first_with_its_own_verdict(watched):
    page = watched.open()
    page.get_by_label("Speed", exact=True).focus()
    page.keyboard.press("End")  # 500 steps/s
    page.get_by_role("button", name="Add a ball").click()
    card = page.locator(".roll-ball")
    expect(card).to_have_count(1)
    expect(card.locator(".ball-name")).to_have_text("The blue ball")
    expect(card.locator(".ball-lr-value")).to_have_text("1.00")  # ten times the first's 0.10
    expect(card.get_by_label("Optimizer")).to_have_value("gd")
    expect(page.locator("#first-ball")).to_contain_text("The red ball")

    page.get_by_role("button", name="Play").click()
    first_verdict = re.compile(r"^The red ball: Settled")
    expect(page.locator("#status")).to_have_text(first_verdict, timeout=15_000)
    expect(card.locator(".ball-status")).to_have_text(VERDICT, timeout=15_000)
    first = trace(page, "ball")
    second = trace(page, "ball 2")
    assert first["color"] != second["color"]
    assert first["x"] != second["x"]  # each rolled its own way from the one start
    assert trace(page, "path")["x"][0] == trace(page, "path 2")["x"][0] == 3.5
    assert len(trace(page, "path 2")["x"]) > 2
    own = card.locator(".ball-status").inner_text()
    assert own not in page.locator("#status").inner_text()  # a verdict of its own
    assert watched.errors == []


def test_each_ball_has_its_own_optimizer_and_the_chart_names_it(watched):
    page = watched.open("/?r2=adam&r2.lr=0.5&steps=30")
    card = page.locator(".roll-ball")
    expect(card.get_by_label("Optimizer")).to_have_value("adam")
    expect(card.locator(".ball-lr-value")).to_have_text("0.50")
    page.locator("#chart-panel > summary").click()
    legend = page.locator("#chart-panel .chart-legend li")
    expect(legend).to_have_text(["red ball: Gradient descent", "blue ball: Adam"])
    expect(page.locator("#chart-panel .loss-line")).to_have_count(2)
    page.get_by_role("button", name="Remove the blue ball").click()
    expect(card).to_have_count(0)
    expect(page.locator("#first-ball")).to_be_hidden()
    expect(legend).to_have_text(["Gradient descent"])
    page.wait_for_function("!new URLSearchParams(location.search).has('r2')")
    assert watched.errors == []


def test_the_tangent_touches_the_ball_with_the_readouts_slope_and_the_arrow_is_the_next_step(
    watched,
):
    page = watched.open("/?steps=5")
    assert trace(page, "tangent")["x"] == [] and arrows(page) == []
    page.get_by_label("Show tangent and step").check()
    page.wait_for_function(
        "document.getElementById('plot').data.find((t) => t.name === 'tangent').x.length === 2"
    )
    (x0, x1), (y0, y1) = trace(page, "tangent")["x"], trace(page, "tangent")["y"]
    ball = trace(page, "ball")
    x, gradient = readout(page, "x"), readout(page, "grad")
    assert (y1 - y0) / (x1 - x0) == pytest.approx(gradient, rel=1e-3)  # the readout's slope
    assert ((x0 + x1) / 2, (y0 + y1) / 2) == pytest.approx((ball["x"][0], ball["y"][0]))
    (arrow,) = arrows(page)
    assert arrow["ax"] == pytest.approx(x, abs=1e-3)  # from the ball…
    assert arrow["x"] == pytest.approx(x - 0.1 * gradient, abs=1e-3)  # …by −lr·f′(x)
    expect(page.locator("#step-note")).to_contain_text("Next step: −lr·f′(x) = −0.1 ×")
    head = arrow["x"]
    page.get_by_role("button", name="Step").click()
    expect(page.locator("#readout-step")).to_have_text("6")
    assert readout(page, "x") == pytest.approx(head, abs=1e-3)  # where the ball went
    page.wait_for_function("new URLSearchParams(location.search).get('tangent') === '1'")
    assert watched.errors == []


def test_for_another_optimizer_the_arrow_is_the_step_just_taken(watched):
    page = watched.open("/?optimizer=adam&lr=0.3&tangent=1&steps=4")
    before = page.evaluate(
        "document.getElementById('plot').data.find((t) => t.name === 'path').x.slice(-2)"
    )
    (arrow,) = arrows(page)
    # from where the ball was to where it is
    assert (arrow["ax"], arrow["x"]) == pytest.approx(tuple(before))
    expect(page.locator("#step-note")).to_contain_text("Last step: Δx =")


def test_a_two_ball_page_round_trips_through_its_address(watched):
    page = watched.open("/?lr=0.2&r2=momentum&r2.lr=0.05&tangent=1")
    expect(page.locator(".roll-ball")).to_have_count(1)
    page.get_by_role("button", name="Add a ball").click()
    third = page.locator(".roll-ball").nth(1)
    expect(third.locator(".ball-name")).to_have_text("The green ball")
    third.get_by_label("Optimizer").select_option("rmsprop")
    for _ in range(3):
        page.get_by_role("button", name="Step").click()
        page.wait_for_timeout(150)
    expect(page.locator("#readout-step")).to_have_text("3")
    page.wait_for_function("new URLSearchParams(location.search).get('steps') === '3'")
    page.wait_for_timeout(600)  # the address is written at most twice a second
    query = page.evaluate("location.search")
    params = dict(p.split("=", 1) for p in query[1:].split("&"))
    assert params["r2"] == "momentum" and params["r2.lr"] == "0.05"
    # ten times 0.2 is off the slider: a tenth
    assert params["r3"] == "rmsprop" and params["r3.lr"] == "0.02"
    assert params["tangent"] == "1" and params["lr"] == "0.2"
    drawn = {name: trace(page, name)["x"] for name in ["path", "path 2", "path 3"]}
    page.goto("about:blank")
    again = watched.open(f"/{query}")
    expect(again.locator(".roll-ball")).to_have_count(2)
    expect(again.get_by_label("Show tangent and step")).to_be_checked()
    assert {name: trace(again, name)["x"] for name in drawn} == drawn
    assert len(arrows(again)) == 3
    assert watched.errors == []
