"""Novice first: the first screen of `/` is the course widget — the curve, the rate, Play, Step,
Reset, the four readouts and the verdict — and the rest waits in closed, named sections; the
rule under the optimizer shows only the terms in effect (issue 21)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

SECTIONS = {
    "chart-panel": "Loss and sharpness by step",
    "update-rule": "Update rule",
    "hyper-panel": "Optimizer settings and weight decay",
    "training-panel": "Training: LR schedule, noise, clipping, precision",
    "maps-panel": "Maps of the whole landscape: basins, learning-rate sweep, trainability",
}


@pytest.fixture
def laptop(browser: Browser, server) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(server.url + "/")
    page.wait_for_selector("#sim[data-ready=true]")
    yield page
    context.close()


def test_the_first_screen_is_the_course_widget(laptop):
    widget = ["#plot", "#lr", "#play", "#step", "#reset", "#status"]
    widget += ["#readout-step", "#readout-x", "#readout-loss", "#readout-grad"]
    for selector in widget:
        expect(laptop.locator(selector)).to_be_in_viewport(ratio=1)
    assert laptop.evaluate("window.scrollY") == 0


def test_the_rest_waits_in_closed_named_sections(laptop):
    for id_, summary in SECTIONS.items():
        section = laptop.locator(f"details#{id_}")
        expect(section).not_to_have_attribute("open", "")
        expect(section.locator("> summary")).to_have_text(summary)
    # the maps and the L2 box are inside them, out of sight
    expect(laptop.locator("#maps")).to_be_hidden()
    expect(laptop.locator("#l2")).to_be_hidden()


def test_no_greyed_out_l2_box_only_its_short_reason(laptop):
    laptop.locator("#hyper-panel > summary").click()
    expect(laptop.locator("#l2")).to_be_disabled()
    expect(laptop.locator("#l2")).to_be_hidden()  # not a greyed-out box with a paragraph
    expect(laptop.locator(".l2-reason")).to_have_text(
        "The L2 landscape shows once a weight decay is set."
    )
    laptop.get_by_label("Weight decay", exact=True).focus()
    laptop.keyboard.press("End")  # the largest decay
    expect(laptop.locator("#l2")).to_be_enabled()
    expect(laptop.locator("#l2")).to_be_visible()
    expect(laptop.locator(".l2-reason")).to_be_hidden()


def test_the_rule_shows_only_the_terms_in_effect(laptop):
    rule = laptop.locator("#optimizer-rule")
    expect(rule.locator(".formula-text")).to_have_text("x ← x − lr·g")
    assert rule.locator("dt").all_text_contents() == ["x", "g", "lr", "←"]
    assert "momentum_buffer" not in rule.inner_text()
    laptop.get_by_label("Optimizer", exact=True).select_option(label="Momentum")
    expect(rule.locator(".formula-text")).to_have_text("b ← μ·b + g  (b₁ = g);  x ← x − lr·b")
    expect(rule.locator("dt", has_text="μ")).to_have_count(1)
    laptop.get_by_label("Optimizer", exact=True).select_option(label="Gradient descent")
    expect(rule.locator(".formula-text")).to_have_text("x ← x − lr·g")
