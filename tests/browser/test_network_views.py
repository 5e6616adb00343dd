"""The network page's Landscape section (/network, templates/_netviews.html) in a real browser
against the real server: each view computed with a progress bar (POST
/api/networks/views/stream), drawn, and its numbers read out as the server sent them; Cancel;
the view in the address; the sharpness on the loss chart."""

from __future__ import annotations

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.test_accessibility import serious_violations

READY = "#network"
TWO = "?r2=adam&r2.lr=0.01&steps=60"  # two racers, trained 60 steps on opening
# Watches the section's progress bar: whether it was shown, and the values it was given.
WATCH_PROGRESS = """
(() => {
  window.__progress = [];
  const box = document.querySelector('#landscape .map-progress');
  const bar = box.querySelector('progress');
  new MutationObserver(() => window.__progress.push({
    shown: !box.hidden, value: bar.getAttribute('value'), max: bar.getAttribute('max'),
  })).observe(box, { attributes: true, subtree: true });
})()
"""


def fmt(value: float | None) -> str:
    """A number as the page writes it (static/js/format.js formatNumber)."""
    if value is None:
        return "–"
    if value == 0:
        return "0"
    if abs(value) < 1e-3 or abs(value) >= 1e5:
        mantissa, exponent = f"{value:.2e}".split("e")
        return f"{mantissa}e{'+' if int(exponent) >= 0 else '-'}{abs(int(exponent))}"
    rounded = float(f"{value:.4g}")
    return str(int(rounded)) if rounded.is_integer() else repr(rounded)


def open_network(watched, query: str = "") -> Page:
    return watched.open(f"/network{query}", ready=READY)


def compute(page: Page, view: str, detail: str = "coarse") -> dict:
    """Pick `view` and `detail`, press Compute, wait for the answer: the body the page sent."""
    page.locator(f"input[name=netview][value={view}]").check()
    page.get_by_label("Detail", exact=True).select_option(detail)
    page.evaluate(WATCH_PROGRESS)
    with page.expect_request("**/api/networks/views/stream") as sent:
        page.locator("#netview-compute").click()
    page.wait_for_selector(f"#landscape[data-shown={view}]", timeout=60_000)
    return sent.value.post_data_json


def answer_for(watched, body: dict) -> dict:
    """The server's answer to the page's request, asked again as JSON."""
    response = httpx.post(f"{watched.base_url}/api/networks/views", json=body, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def readouts(page: Page) -> str:
    return page.locator("#netview-readouts").inner_text()


def assert_progress_shown(page: Page) -> None:
    seen = page.evaluate("window.__progress")
    assert any(s["shown"] for s in seen), seen  # the bar showed while the server worked …
    assert any(s["value"] is not None and s["max"] for s in seen), seen  # … and filled
    expect(page.locator("#landscape .map-progress")).to_be_hidden()  # gone with the answer


def trace_names(page: Page, element: str = "netview-plot") -> list[str]:
    return page.evaluate(f"document.getElementById('{element}').data.map((t) => t.name)")


def test_the_line_from_the_start_is_drawn_per_racer_with_its_barrier(watched):
    page = open_network(watched, TWO)
    body = compute(page, "line")
    assert body["view"] == "line" and body["detail"] == "coarse"
    assert body["steps"] == 60  # the step the page is at
    assert len(body["optimizers"]) == 2
    assert_progress_shown(page)
    answer = answer_for(watched, body)
    names = trace_names(page)
    assert "orange: Gradient descent: training" in names and "blue: Adam: test" in names
    xs = page.evaluate("document.getElementById('netview-plot').data[0].x")
    assert xs == answer["racers"][0]["alphas"]
    text = readouts(page)
    for r in answer["racers"]:
        assert f"{fmt(r['barrier']['train'])} nats" in text
        assert f"{fmt(r['distance'])} in weight space" in text
    assert "Barrier, training loss" in text and "Distance from the initial weights" in text
    expect(page.locator(".netview-howto [data-view=line]")).to_be_visible()
    expect(page.locator(".netview-howto [data-view=plane]")).to_be_hidden()
    assert watched.errors == []


@pytest.mark.parametrize("view", ["plane", "pca"])
def test_a_plane_is_a_contour_map_with_every_path_and_a_point_readout(watched, view):
    page = open_network(watched, TWO)
    if view == "plane":
        page.locator("input[name=netview][value=plane]").check()  # its own settings shown
        page.get_by_label("Directions' seed").fill("7")
        page.get_by_label("Directions' seed").dispatch_event("change")
    body = compute(page, view)
    assert_progress_shown(page)
    answer = answer_for(watched, body)
    data = page.evaluate(
        "document.getElementById('netview-plot').data.map((t) => ({type: t.type, name: t.name,"
        " rows: t.z ? t.z.length : 0, n: t.x ? t.x.length : 0}))"
    )
    contour = data[0]
    assert contour["type"] == "contour" and contour["rows"] == len(answer["betas"])
    paths = {d["name"]: d["n"] for d in data if d["name"].endswith(("Gradient descent", "Adam"))}
    assert paths == {
        "orange: Gradient descent": len(answer["paths"][0]["step"]),
        "blue: Adam": len(answer["paths"][1]["step"]),
    }
    axis = page.evaluate("document.getElementById('netview-plot').layout.xaxis.title.text")
    if view == "pca":  # the principal components' shares in the axis titles
        assert f"({round(answer['explained'][0] * 100)}% of the spread)" in axis
    else:
        assert body["seed"] == 7 and answer["seed"] == 7
        assert "Directions' seed\n7" in readouts(page)
    # the point readout: the path's point, how far off the plane, the true loss and the picture's
    path = answer["paths"][1]
    page.get_by_label("Point on the path of").select_option(label="blue racer (Adam)")
    slider = page.get_by_label("Point on the path", exact=True)
    slider.focus()
    page.keyboard.press("Home")
    words = page.locator("#netview-point-words")
    expect(words).to_contain_text(f"Step {path['step'][0]} of the blue racer")
    page.keyboard.press("End")
    expect(words).to_contain_text(f"Step {path['step'][-1]} of the blue racer")
    expect(words).to_contain_text(f"{fmt(path['off'][-1])} off the plane")
    expect(words).to_contain_text(f"True training loss {fmt(path['train'][-1])}")
    expect(words).to_contain_text(f"the picture shows {fmt(path['plane_train'][-1])} there")
    ring = page.evaluate("document.getElementById('netview-plot').data.at(-1).x[0]")
    assert ring == path["alpha"][-1]  # the picked point is ringed on the map
    # the 3D picture: the surface, and each path at the picture's loss and at its true loss
    page.locator("#netview-shape").get_by_text("3D").click()
    page.wait_for_function(
        "document.getElementById('netview-3d').data?.[0]?.type === 'surface'", timeout=30_000
    )
    expect(page.locator("#netview-3d")).to_be_visible()
    expect(page.locator("#netview-plot")).to_be_hidden()
    names = trace_names(page, "netview-3d")
    assert "blue: Adam: its true loss" in names and "blue: Adam: where the picture puts it" in names
    assert watched.errors == []


def test_sharpness_goes_on_the_loss_chart_beside_two_over_lr(watched):
    page = open_network(watched, "?data=sine&features=x1&batch=0&r1=gd&r1.lr=0.08&steps=300")
    expect(page.locator("#net-loss")).to_have_attribute("data-sharpness", "")
    body = compute(page, "sharpness")
    assert_progress_shown(page)
    answer = answer_for(watched, body)
    racer = answer["racers"][0]
    # the loss chart: the top eigenvalue and 2/lr on a second axis
    expect(page.locator("#net-loss")).to_have_attribute("data-sharpness", "shown")
    chart = page.evaluate(
        "document.getElementById('net-loss').data.filter((t) => t.yaxis === 'y2')"
        ".map((t) => ({name: t.name, x: t.x, y: t.y, dash: t.line.dash}))"
    )
    assert [c["name"] for c in chart] == [
        "Gradient descent: top eigenvalue",
        "Gradient descent: 2/lr",
    ]
    assert chart[0]["x"] == racer["step"] and chart[0]["y"] == racer["top"]
    assert chart[1]["y"] == racer["limit"] and chart[1]["dash"] == "longdash"
    expect(page.locator(".net-chart .chart-title")).to_contain_text("2/lr")
    # the section: the same by step, the final eigenvalues and the server's edge of stability
    assert trace_names(page) == [
        "orange: Gradient descent: top eigenvalue",
        "orange: Gradient descent: 2/lr",
    ]
    text = readouts(page)
    assert " · ".join(fmt(v) for v in racer["final"]) in text
    assert f"2/lr now\n{fmt(racer['limit'][-1])} (y units)² per weight²" in text
    reached = racer["edge"]["reached"]
    assert (
        f"at step {reached}" if reached is not None else "Never came within 90% of 2/lr"
    ) in text
    # a new setting is a new run: the chart no longer claims the old sharpness
    page.get_by_label("Activation").select_option("relu")
    expect(page.locator("#net-loss")).to_have_attribute("data-sharpness", "")
    expect(page.locator("#netview-stale")).to_contain_text("The settings have changed")
    assert watched.errors == []


def test_two_seeds_before_and_after_matching_with_both_barriers(watched):
    page = open_network(watched, "?steps=80")
    page.locator("input[name=netview][value=seeds]").check()
    page.get_by_label("Second weights seed").fill("5")
    page.get_by_label("Second weights seed").dispatch_event("change")
    body = compute(page, "seeds")
    assert body["second_seed"] == 5
    assert_progress_shown(page)
    answer = answer_for(watched, body)
    assert answer["seeds"] == [0, 5]
    names = trace_names(page)
    assert names[:2] == ["before matching: training", "after matching: training"]
    text = readouts(page)
    assert (
        f"Barrier before matching, training loss\n{fmt(answer['before']['barrier']['train'])} nats"
        in text
    )
    assert (
        f"Barrier after matching, training loss\n{fmt(answer['after']['barrier']['train'])} nats"
        in text
    )
    assert f"{answer['moved']} unit" in text
    page.wait_for_function(  # the address follows (at most every half second)
        "location.search.includes('vseed2=5') && location.search.includes('view=seeds')"
    )
    assert watched.errors == []


def test_cancel_stops_the_computation_and_says_so(watched):
    # a slow one: three wide layers, three racers, 3000 steps, fine sharpness
    page = open_network(watched, "?layers=3&u1=16&u2=16&u3=16&r2=adam&r3=gd&r3.lr=0.05&steps=3000")
    page.locator("input[name=netview][value=sharpness]").check()
    page.get_by_label("Detail", exact=True).select_option("fine")
    page.locator("#netview-compute").click()
    progress = page.locator("#landscape .map-progress")
    expect(progress).to_be_visible()
    page.wait_for_function(
        "Number(document.querySelector('#netview-progress').getAttribute('value')) > 0",
        timeout=30_000,
    )
    progress.get_by_role("button", name="Cancel").click()
    expect(page.locator("#landscape .map-message")).to_have_text("Cancelled.")
    expect(progress).to_be_hidden()
    page.wait_for_timeout(1500)  # nothing arrives after all
    expect(page.locator("#netview-result")).to_be_hidden()
    assert page.locator("#landscape").get_attribute("data-shown") == ""
    assert watched.errors == []


def test_an_address_with_a_view_opens_on_it_and_computes_it(watched):
    page = open_network(watched, TWO + "&view=pca&detail=coarse")
    expect(page.locator("input[name=netview][value=pca]")).to_be_checked()
    expect(page.get_by_label("Detail", exact=True)).to_have_value("coarse")
    expect(page.locator(".netview-howto [data-view=pca]")).to_be_visible()
    page.wait_for_selector("#landscape[data-shown=pca]", timeout=60_000)
    assert "1st principal component" in page.evaluate(
        "document.getElementById('netview-plot').layout.xaxis.title.text"
    )
    page.wait_for_function(
        "location.search.includes('view=pca') && location.search.includes('detail=coarse')"
    )
    # another view picked, with its seed: in the address, and a reload computes it
    page.locator("input[name=netview][value=plane]").check()
    page.get_by_label("Directions' seed").fill("3")
    page.get_by_label("Directions' seed").dispatch_event("change")
    page.wait_for_function(
        "location.search.includes('vseed=3') && location.search.includes('view=plane')"
    )
    expect(page.locator("#netview-result")).to_be_hidden()  # picked, not computed yet
    page.reload()
    page.wait_for_selector(f"{READY}[data-ready=true]")
    expect(page.locator("input[name=netview][value=plane]")).to_be_checked()
    expect(page.get_by_label("Directions' seed")).to_have_value("3")
    page.wait_for_selector("#landscape[data-shown=plane]", timeout=60_000)
    assert watched.errors == []


def test_a_lesson_with_a_view_computes_it_once_its_run_has_ended(watched):
    lessons = httpx.get(f"{watched.base_url}/api/networks/lessons", timeout=20).json()
    lesson = next(x for x in lessons if x["id"] == "two_seeds_one_valley")
    view = lesson["view"]
    page = open_network(watched, f"?lesson={lesson['id']}")
    expect(page.locator("input[name=netview][value=seeds]")).to_be_checked()
    expect(page.locator("#netview-result")).to_be_hidden()  # nothing before the run
    page.get_by_label("Speed").focus()
    page.keyboard.press("End")
    with page.expect_request("**/api/networks/views/stream", timeout=60_000) as sent:
        page.get_by_role("button", name="Play").click()
    body = sent.value.post_data_json
    assert body["view"] == "seeds" and body["steps"] == lesson["steps"]
    assert body["racer"] == view["racer"] and "second_seed" not in body  # the next seed
    page.wait_for_selector("#landscape[data-shown=seeds]", timeout=60_000)
    answer = answer_for(watched, body)
    text = readouts(page)
    assert f"{fmt(answer['after']['barrier']['train'])} nats" in text
    page.wait_for_timeout(1000)  # computed once for the run, not again on every draw
    assert (
        page.evaluate(
            "performance.getEntriesByName(location.origin + '/api/networks/views/stream').length"
        )
        == 1
    )
    assert watched.errors == []


def test_hide_and_lock_reach_the_sections_controls(watched):
    page = open_network(watched, "?view=plane&hide=view-seed&lock=view,detail")
    expect(page.get_by_label("Span (±)")).to_be_visible()  # the plane's …
    expect(page.get_by_label("Directions' seed")).to_be_hidden()  # … but this one hidden
    expect(page.locator("input[name=netview][value=plane]")).to_be_checked()
    expect(page.locator("input[name=netview][value=line]")).to_be_disabled()
    expect(page.get_by_label("Detail", exact=True)).to_be_disabled()
    page = open_network(watched, "?hide=landscape")
    expect(page.locator("#landscape")).to_be_hidden()


def test_a_phone_shows_a_computed_plane_with_no_sideways_scrolling(watched):
    watched.page.set_viewport_size({"width": 360, "height": 780})
    page = open_network(watched, TWO + "&view=plane&detail=coarse")
    page.wait_for_selector("#landscape[data-shown=plane]", timeout=60_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    box = page.locator("#netview-plot").bounding_box()
    assert box and box["width"] > 300


@pytest.mark.parametrize("view", ["line", "sharpness"])
def test_a_phone_shows_every_legend_entry_whole(watched, view):
    # two racers with long names: "orange: Gradient descent, lr 0.04: top eigenvalue" ran off
    # the plot's right edge at 360 px
    watched.page.set_viewport_size({"width": 360, "height": 780})
    page = open_network(watched, f"?r1=gd&r1.lr=0.04&r2=gd&r2.lr=0.08&steps=60&view={view}")
    page.wait_for_selector(f"#landscape[data-shown={view}]", timeout=60_000)
    overflow = page.evaluate(
        """() => {
          const plot = document.querySelector('#netview-plot').getBoundingClientRect();
          return [...document.querySelectorAll('#netview-plot .legend .legendtext')]
            .map((t) => ({text: t.textContent, right: t.getBoundingClientRect().right}))
            .filter((t) => t.right > plot.right);
        }"""
    )
    assert page.locator("#netview-plot .legend .legendtext").count() >= 4
    assert overflow == []


def test_the_landscape_section_has_no_serious_accessibility_violations(watched):
    axe = Axe()
    for query in (TWO + "&view=plane&detail=coarse", TWO + "&view=seeds&detail=coarse&projector=1"):
        page = open_network(watched, query)
        page.wait_for_selector("#landscape[data-shown]:not([data-shown=''])", timeout=60_000)
        serious = serious_violations(axe, page)
        assert serious == [], f"{query}: " + "\n".join(serious)
