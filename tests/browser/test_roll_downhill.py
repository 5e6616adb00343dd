"""The Roll Downhill page in a real browser, as a student uses it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from app.engine.surfaces import SURFACES
from app.engine.surfaces.regularized import l2_lowest


def plot_trace(name: str) -> str:
    """JavaScript for the curve plot's trace called ``name`` (found by name, not place)."""
    return f"document.getElementById('plot').data.find((t) => t.name === {name!r})"


def step_number(page: Page) -> int:
    return int(page.locator("#readout-step").inner_text())


def trail_x(page: Page) -> list[float]:
    return page.evaluate(f"{plot_trace('path')}.x")


def test_page_loads_offline_without_console_errors(watched):
    page = watched.open()
    expect(page.get_by_role("heading", name="Roll Downhill")).to_be_visible()
    expect(page.locator("#formula")).to_have_text("f(x) = 0.12·x² + sin(2.4x) + 0.3·cos(5x)")
    expect(page.locator("#readout-step")).to_have_text("0")
    expect(page.locator("#readout-x")).to_have_text("3.5")
    # the curve is drawn, with one global and three local minima marked
    minima = page.evaluate(f"{plot_trace('minima')}.text")
    assert sorted(minima) == ["global min", "local min", "local min", "local min"]
    assert watched.errors == []
    assert watched.blocked == []


def test_every_control_has_a_label_that_is_its_name(watched):
    page = watched.open()
    for name in ["Learning rate", "Start position", "Speed", "Optimizer"]:
        expect(page.get_by_label(name, exact=True)).to_be_visible()
    for name in ["Play", "Step", "Reset"]:
        expect(page.get_by_role("button", name=name)).to_be_visible()
    picker = page.get_by_label("Optimizer", exact=True)
    groups = picker.locator("optgroup").evaluate_all(
        "gs => gs.map(g => [g.label, [...g.querySelectorAll('option')].map(o => o.text)])"
    )
    assert groups == [
        ["Classic", ["Gradient descent", "Momentum", "Nesterov", "ASGD"]],
        [
            "Adaptive",
            ["AdaGrad", "RMSprop", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "Adadelta", "Rprop",
             "Lion", "Adafactor", "Muon", "Schedule-Free AdamW", "Prodigy"],
        ],
        ["Second-order", ["Newton", "L-BFGS"]],
        ["Stochastic", ["SGLD (Langevin)"]],
    ]  # fmt: skip


def test_play_advances_the_step_count(watched):
    page = watched.open()
    page.get_by_role("button", name="Play").click()
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    page.wait_for_function("Number(document.getElementById('readout-step').textContent) >= 5")
    assert float(page.locator("#readout-x").inner_text()) < 3.5  # rolling downhill, to the left
    page.get_by_role("button", name="Pause").click()
    # the frame that says "Play" again also draws any step that arrived before the pause
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    paused_at = step_number(page)
    page.wait_for_timeout(400)
    assert step_number(page) == paused_at


def test_learning_rate_slider_shows_its_value_and_changes_the_path(watched):
    page = watched.open()
    lr = page.get_by_label("Learning rate", exact=True)
    expect(page.locator("#lr-value")).to_have_text("0.10")
    for _ in range(4):
        page.get_by_role("button", name="Step").click()
        page.wait_for_function(f"document.getElementById('readout-step').textContent === '{_ + 1}'")
    slow = trail_x(page)

    page.get_by_role("button", name="Reset").click()
    expect(page.locator("#readout-step")).to_have_text("0")
    lr.focus()
    page.keyboard.press("End")
    expect(page.locator("#lr-value")).to_have_text("1.20")
    page.keyboard.press("Home")
    expect(page.locator("#lr-value")).to_have_text("0.01")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#lr-value")).to_have_text("0.02")
    for i in range(4):
        page.get_by_role("button", name="Step").click()
        page.wait_for_function(f"document.getElementById('readout-step').textContent === '{i + 1}'")
    crawl = trail_x(page)
    assert len(slow) == len(crawl) == 5 and slow[0] == crawl[0] == 3.5
    assert abs(crawl[-1] - crawl[0]) < abs(slow[-1] - slow[0]) / 3  # a smaller lr crawls


def test_the_slider_middle_is_about_0_60(watched):
    page = watched.open()
    slider = page.get_by_label("Learning rate", exact=True)
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    value = float(page.locator("#lr-value").inner_text())
    assert 0.55 <= value <= 0.65


def test_clicking_the_curve_moves_the_start(watched):
    page = watched.open()
    x_target = -2.0
    point = page.evaluate(
        """(x) => {
          const gd = document.getElementById('plot');
          const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
          const r = gd.getBoundingClientRect();
          return {px: r.left + xa._offset + xa.l2p(x), py: r.top + ya._offset + ya._length / 2};
        }""",
        x_target,
    )
    page.mouse.click(point["px"], point["py"])
    expect(page.locator("#start-value")).not_to_have_text("3.50")
    start = float(page.locator("#start-value").inner_text())
    assert start == pytest.approx(x_target, abs=0.05)
    expect(page.locator("#readout-x")).to_have_text(re.compile(r"^-[12]\.\d+"))
    assert float(page.get_by_label("Start position", exact=True).input_value()) == start
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("Number(document.getElementById('readout-step').textContent) >= 3")
    assert trail_x(page)[0] == start


def test_a_slider_change_mid_run_keeps_the_run_going(watched):
    page = watched.open()
    page.get_by_label("Optimizer", exact=True).select_option(label="Momentum")
    page.get_by_label("Learning rate", exact=True).focus()
    page.keyboard.press("Home")  # lr 0.01 with momentum 0.9: a long, slow roll
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("Number(document.getElementById('readout-step').textContent) >= 6")
    before = step_number(page)
    x_before = trail_x(page)
    page.get_by_label("Learning rate", exact=True).focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(page.locator("#lr-value")).to_have_text("0.04")
    page.wait_for_function(
        f"Number(document.getElementById('readout-step').textContent) >= {before + 6}"
    )
    after = trail_x(page)
    assert after[: len(x_before)] == x_before  # the path so far is kept, not restarted
    assert len(after) > len(x_before) + 5
    # momentum kept its velocity: the first steps after the change keep moving the same way
    steps = [b - a for a, b in zip(after, after[1:], strict=False)]
    assert all(s < 0 for s in steps[: len(x_before) + 3])


def test_status_line_tells_what_happened(watched):
    page = watched.open()
    page.get_by_label("Speed", exact=True).focus()
    page.keyboard.press("End")
    expect(page.locator("#speed-value")).to_have_text("500 steps/s")
    page.get_by_role("button", name="Play").click()
    expect(page.locator("#status")).to_have_text(
        re.compile(r"^Settled in a local minimum at x = 1\.885 after \d+ steps"), timeout=10_000
    )

    page.get_by_role("button", name="Reset").click()
    page.get_by_label("Learning rate", exact=True).focus()
    page.keyboard.press("End")
    page.get_by_role("button", name="Play").click()
    # The verdict once the engine ends the run (bouncing for two full windows), not the line
    # shown while it rolls.
    expect(page.locator("#status")).to_have_text(
        re.compile(r"^Still bouncing after 128 steps, now at x = .*: the learning rate is too"),
        timeout=10_000,
    )


def test_drawing_happens_at_most_once_per_animation_frame(watched):
    page = watched.open("/?surface=plateau_wall&start=2.5&lr=0.01")  # crawls all 1000 steps
    page.get_by_label("Speed", exact=True).focus()
    page.keyboard.press("End")  # 500 steps/s: several events per frame at times
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("Number(document.getElementById('readout-step').textContent) >= 600")
    draws = page.evaluate("window.__draws")
    assert draws["total"] > 10
    assert draws["maxPerFrame"] == 1
    assert watched.errors == []


def test_l2_landscape_shows_where_weight_decay_moves_the_minimum(watched):
    page = watched.open()
    l2 = page.get_by_label("Show the L2 landscape f(x) + (λ/2)·x²")
    expect(l2).to_be_disabled()  # no weight decay yet
    page.locator("#hyper-panel > summary").click()
    decay = page.get_by_label("Weight decay", exact=True)
    decay.focus()
    page.keyboard.press("End")  # λ = 10: a strong pull toward 0
    expect(l2).to_be_enabled()
    l2.check()
    lowest_with_l2 = plot_trace("lowest with L2")
    page.wait_for_function(f"{lowest_with_l2}.x.length === 1")
    lowest = page.evaluate(f"{lowest_with_l2}.x[0]")
    # f + 5x² is lowest where f'(x) + 10x = 0, near the origin: the engine's point
    assert -0.5 < lowest < -0.1
    engine = l2_lowest(SURFACES["roll_downhill"], 10.0)
    assert engine is not None and lowest == engine.position[0]
    expect(page.locator("#l2-note")).to_contain_text("moves from x = -0.6283")
    l2.uncheck()
    page.wait_for_function(f"{lowest_with_l2}.x.length === 0")


# Counts, per animation frame, the loss chart's line redraws (its `points` changing).
COUNT_CHART_DRAWS = """
(() => {
  const counts = { max: 0, now: 0, total: 0 };
  const tick = () => { counts.now = 0; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  new MutationObserver((records) => {
    for (const r of records) {
      if (!r.target.classList.contains("loss-line")) continue;
      counts.now += 1; counts.total += 1; counts.max = Math.max(counts.max, counts.now);
    }
  }).observe(document.querySelector(".chart-wrap"),
             { subtree: true, attributes: true, attributeFilter: ["points"] });
  window.__chartDraws = counts;
})()
"""

CHART = ".chart-wrap svg.overlay"


def chart_points(page: Page, kind: str) -> int:
    return int(page.locator(f"{CHART} .{kind}[data-racer='0']").get_attribute("data-points") or 0)


def test_the_loss_and_sharpness_chart_opens_below_the_readouts(watched):
    page = watched.open("/?lr=0.16&start=-1")  # a rate at the edge: it bounces for good
    panel = page.locator("#chart-panel")
    # closed at first: the first screen is as it was
    expect(panel).not_to_have_attribute("open", "")
    expect(page.get_by_label("Sharpness")).to_be_hidden()
    assert page.evaluate(
        "document.querySelector('.readouts').compareDocumentPosition("
        "document.getElementById('chart-panel')) & Node.DOCUMENT_POSITION_FOLLOWING"
    )
    page.get_by_text("Loss and sharpness by step").click()
    page.evaluate(COUNT_CHART_DRAWS)
    page.get_by_label("Sharpness").check()
    page.wait_for_function("!!document.querySelector('#loss-chart').layout.yaxis2")
    expect(page.locator("#chart-panel .chart-legend li")).to_have_text(["Gradient descent"])
    page.get_by_role("button", name="Step").click()
    page.get_by_role("button", name="Step").click()
    expect(page.locator("#readout-step")).to_have_text("2")
    page.wait_for_function(
        f'Number(document.querySelector("{CHART} .sharpness-line")?.dataset.points) >= 3'
    )
    assert chart_points(page, "edge-line") >= 3
    # 2/lr = 12.5, on a right-hand axis whose ticks are numbered
    top = page.evaluate("document.getElementById('loss-chart').layout.yaxis2.range[1]")
    assert top >= 12.5
    ticks = page.locator("#loss-chart .y2tick text").all_inner_texts()
    assert len(ticks) >= 3, ticks
    page.wait_for_function("location.search.includes('sharpness=1')")  # throttled: 0.5 s

    # playing: more steps on the chart, never more than one redraw of its line a frame
    page.get_by_label("Speed").fill("8")  # 250 steps/s
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(
        "Number(document.querySelector('.chart-wrap svg.overlay .loss-line').dataset.points) > 40"
    )
    if page.locator("#play").inner_text() == "Pause":
        page.get_by_role("button", name="Pause").click()
    counts = page.evaluate("window.__chartDraws")
    assert counts["total"] > 5 and counts["max"] == 1, counts
    assert chart_points(page, "sharpness-line") > 40

    # Reset: the lines and the step axis start over
    page.get_by_role("button", name="Reset").click()
    expect(page.locator("#readout-step")).to_have_text("0")
    page.wait_for_function(
        "document.getElementById('loss-chart').layout.xaxis.range[1] === 100"
        " && Number(document.querySelector('.chart-wrap svg.overlay .loss-line')"
        ".dataset.points) === 1"
    )
    page.get_by_label("Sharpness").uncheck()
    expect(page.locator(f"{CHART} .sharpness-line")).to_have_count(0)
    page.wait_for_function("!location.search.includes('sharpness')")
    assert watched.errors == []


def test_a_link_with_sharpness_opens_the_chart_with_it_and_a_new_landscape_keeps_it(watched):
    page = watched.open("/?lr=0.16&start=-1&sharpness=1&steps=30")
    expect(page.locator("#chart-panel")).to_have_attribute("open", "")
    expect(page.get_by_label("Sharpness")).to_be_checked()
    page.wait_for_function(
        'Number(document.querySelector(".chart-wrap svg.overlay .sharpness-line")'
        "?.dataset.points) === 31"
    )
    assert chart_points(page, "loss-line") == 31
    # exactly one overlay however the chart was first built (the panel's toggle and the page)
    expect(page.locator(".chart-wrap svg.overlay")).to_have_count(1)

    page.get_by_label("Landscape", exact=True).select_option("double_well")
    page.wait_for_url(re.compile(r"surface=double_well"))
    page.wait_for_selector("#sim[data-ready=true]")
    expect(page.get_by_label("Sharpness")).to_be_checked()
    page.get_by_role("button", name="Step").click()
    page.wait_for_function(
        'Number(document.querySelector(".chart-wrap svg.overlay .sharpness-line")'
        "?.dataset.points) === 2"
    )
    assert watched.errors == []


def test_the_chart_and_its_sharpness_box_can_be_hidden_or_locked(watched):
    page = watched.open("/?hide=chart")
    expect(page.locator("#chart-panel")).to_be_hidden()
    page = watched.open("/?lock=sharpness&sharpness=1")
    expect(page.get_by_label("Sharpness")).to_be_disabled()
    expect(page.get_by_label("Sharpness")).to_be_checked()
    assert watched.errors == []


def test_a_trail_at_a_high_rate_stays_readable(watched):
    page = watched.open("/?lr=1.2&steps=1000")
    # the engine ends the run once it has bounced for two windows of steps
    expect(page.locator("#status")).to_have_text(re.compile(r"^Still bouncing after \d+ steps"))
    steps = int(page.locator("#readout-step").inner_text())
    assert steps >= 128
    drawn = page.evaluate(
        """() => document.getElementById('plot').data
            .filter((t) => ['path', 'recent hops'].includes(t.name))
            .map((t) => ({ name: t.name, mode: t.mode, points: t.x.length }))"""
    )
    # Every point is kept (as dots on the curve), but lines between them, which cross the
    # whole plot at this rate, only for the last few hops: not a solid mass of chords.
    assert {"name": "path", "mode": "markers", "points": steps + 1} in drawn
    chords = sum(t["points"] - 1 for t in drawn if "lines" in t["mode"])
    assert 0 < chords <= 12


EDGE_LABEL = """() => {
    const inside = (box, area) => box.left >= area.left - 0.5 && box.right <= area.right + 0.5
        && box.top >= area.top - 0.5 && box.bottom <= area.bottom + 0.5;
    const area = document.querySelector('#plot .bglayer .bg').getBoundingClientRect();
    const text = [...document.querySelectorAll('#plot .scatterlayer .textpoint text')]
        .find((t) => t.textContent.includes('ball at x'));
    const marker = text.closest('.trace').querySelector('.points path');
    const boxes = [text, marker].map((e) => e.getBoundingClientRect());
    return { text: text.textContent, inside: boxes.map((box) => inside(box, area)) };
}"""


@pytest.mark.parametrize("width", [1280, 360])
def test_a_ball_off_the_plot_is_labelled_inside_the_plot(watched, width):
    watched.page.set_viewport_size({"width": width, "height": 900})
    page = watched.open("/?optimizer=momentum&lr=1.2&steps=4")  # at x = -10.87, far left
    label = page.evaluate(EDGE_LABEL)
    assert label["text"].startswith("◀ ball at x = -10.87")
    assert label["inside"] == [True, True]  # the label and its arrow, not cut at the edge


def test_an_averaging_optimizers_average_rides_the_curve_beside_the_ball(watched):
    # ASGD's ax (the step record's averages): a hollow ring on the curve and a faint path of
    # dots; averaging from step t0 + 2 = 22 on, it sits near the valley floor at x ≈ 1.88
    # while the noisy ball jitters.
    page = watched.open("/?optimizer=asgd&lr=0.05&t0=20&noise=2&steps=400")
    page.wait_for_function("Number(document.getElementById('readout-step').textContent) >= 400")
    ring = page.evaluate(f"{plot_trace('average')}.x")
    path = page.evaluate(f"{plot_trace('average path')}.x")
    ball = page.evaluate(f"{plot_trace('ball')}.x")
    assert len(path) == 400 and ring == path[-1:]  # none at the start
    assert abs(ring[0] - 1.885) < 0.02 and ring != ball
    # Gradient descent keeps no average: nothing drawn.
    page = watched.open("/?optimizer=gd&lr=0.05&steps=20")
    page.wait_for_function("Number(document.getElementById('readout-step').textContent) >= 20")
    assert page.evaluate(f"{plot_trace('average')}.x") == []
    assert page.evaluate(f"{plot_trace('average path')}.x") == []
    assert watched.errors == []
