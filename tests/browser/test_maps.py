"""The whole landscape in a real browser, against the real server: the basin map, the
learning-rate sweep, the trainability map (with zoom), Cancel, and sharpness on the loss chart."""

from __future__ import annotations

import base64
import re

import pytest
from playwright.sync_api import Page, expect

MAP_TIMEOUT = 60_000  # ms: a map is thousands of balls


@pytest.fixture(autouse=True)
def maps_unfolded(watched, monkeypatch):
    """Roll Downhill keeps the maps in a closed section: each page opens with it unfolded,
    as a student clicks its summary (the explorer shows them as they are)."""
    opened = watched.open

    def open_and_unfold(*args, **kwargs):
        page = opened(*args, **kwargs)
        summary = page.locator("#maps-panel > summary")
        if summary.count():
            summary.click()
        return page

    monkeypatch.setattr(watched, "open", open_and_unfold)


def compute(page: Page, tool: str) -> None:
    """Press the tool's Compute button and wait until its map is drawn."""
    panel = page.locator(f"#{tool}-tool")
    # A small map can be done within a frame: watch for the progress bar being shown at all,
    # rather than hoping to catch it on screen.
    page.evaluate(
        """(tool) => {
          const box = document.querySelector(`#${tool}-tool .map-progress`);
          window.__progressShown = false;
          new MutationObserver(() => { if (!box.hidden) window.__progressShown = true; })
            .observe(box, { attributes: true, attributeFilter: ["hidden"] });
        }""",
        tool,
    )
    panel.locator(".map-compute").click()
    page.wait_for_selector(f"#{tool}-tool[data-state=done][data-shown=true]", timeout=MAP_TIMEOUT)
    assert page.evaluate("window.__progressShown"), "the progress bar was never shown"
    expect(panel.locator(".map-progress")).to_be_hidden()


def plot_point(page: Page, selector: str, x: float, y: float) -> dict:
    """Where data point (x, y) of the Plotly plot `selector` is on the screen."""
    return page.evaluate(
        """([selector, x, y]) => {
          const gd = document.querySelector(selector);
          const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
          const r = gd.getBoundingClientRect();
          return {px: r.left + xa._offset + xa.l2p(x), py: r.top + ya._offset + ya.l2p(y)};
        }""",
        [selector, x, y],
    )


def test_the_basin_map_colours_the_curve_and_a_click_on_a_cell_starts_there(watched):
    page = watched.open()
    compute(page, "basins")
    band = page.evaluate(
        "(() => { const t = document.getElementById('plot').data.find((d) => d.name === 'basins');"
        " return {x: t.x, y: t.y, z: t.z[0]}; })()"
    )
    assert len(band["x"]) == len(band["z"]) >= 100
    # roll_downhill has four minima: each is some start's destination, so several colours show
    assert len(set(band["z"])) >= 3
    legend = page.locator("#basins-tool .map-legend li")
    assert legend.count() >= 3
    assert any("reach the global minimum at x = -0.628" in t for t in legend.all_inner_texts())
    assert "%" in legend.first.inner_text()

    # a cell well left of the start: the ball starts at that cell
    cell = min(range(len(band["x"])), key=lambda i: abs(band["x"][i] + 2.0))
    x = band["x"][cell]
    y = (band["y"][0] + band["y"][1]) / 2
    page.locator("#plot").scroll_into_view_if_needed()
    point = plot_point(page, "#plot", x, y)
    page.mouse.move(point["px"], point["py"])
    page.mouse.click(point["px"], point["py"])
    expect(page.locator("#start-value")).not_to_have_text("3.50")
    # the start lands on the cell (to the curve's grid: the page keeps starts to 0.01)
    assert float(page.locator("#start-value").inner_text()) == pytest.approx(x, abs=0.011)
    assert float(page.get_by_label("Start position", exact=True).input_value()) == pytest.approx(
        x, abs=0.011
    )
    assert watched.errors == []


def test_the_sweep_shows_the_descent_limit_of_roll_downhills_minima(watched):
    page = watched.open()  # gradient descent: plain SGD
    compute(page, "sweep")
    shapes = page.evaluate("document.getElementById('sweep-chart').layout.shapes.map((s) => s.x0)")
    labels = page.evaluate(
        "document.getElementById('sweep-chart').layout.annotations.map((a) => a.text)"
    )
    # a line per minimum, but their four limits (0.148 to 0.155) share one label
    assert len([x for x in shapes if 0.14 <= x <= 0.16]) == 4, shapes
    assert labels == ["2/f″ at minima 1–4: 0.148–0.155"]
    dots = page.evaluate("document.getElementById('sweep-chart').data[0].x.length")
    assert dots == 256 * 32  # every rate's last 32 positions
    notes = page.locator("#sweep-tool .map-notes li").all_inner_texts()
    assert len(notes) == 4
    assert all(re.search(r"2/f″ = 0\.1[45]\d\d\.$", n) for n in notes), notes
    # the label is drawn once, inside the chart's frame
    texts = page.locator("#sweep-chart .annotation-text").all_text_contents()
    assert texts == ["2/f″ at minima 1–4: 0.148–0.155"]
    label = page.locator("#sweep-chart .annotation").bounding_box()
    frame = page.locator("#sweep-chart").bounding_box()
    assert frame["y"] <= label["y"] and label["x"] + label["width"] <= frame["x"] + frame["width"]
    assert watched.errors == []


def test_dragging_a_rectangle_on_the_trainability_map_recomputes_a_smaller_range(watched):
    page = watched.open()
    expect(page.locator("#train-x-name")).to_have_value("lr")
    expect(page.locator("#train-y-name")).to_have_value("momentum")
    compute(page, "trainability")
    chart = page.locator("#train-chart")
    home = chart.get_attribute("data-x-range")
    first = [float(v) for v in home.split(",")]
    first_y = [float(v) for v in chart.get_attribute("data-y-range").split(",")]
    expect(page.locator("#trainability-tool .map-reset")).to_be_hidden()
    chart.scroll_into_view_if_needed()
    box = page.evaluate(
        """(() => { const gd = document.getElementById('train-chart');
          const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
          const r = gd.getBoundingClientRect();
          return {x: r.left + xa._offset, y: r.top + ya._offset,
                  w: xa._length, h: ya._length}; })()"""
    )
    page.mouse.move(box["x"] + 0.3 * box["w"], box["y"] + 0.3 * box["h"])
    page.mouse.down()
    for i in range(1, 11):
        f = 0.3 + 0.03 * i
        page.mouse.move(box["x"] + f * box["w"], box["y"] + f * box["h"])
    page.mouse.up()
    expect(chart).not_to_have_attribute("data-x-range", home, timeout=MAP_TIMEOUT)
    page.wait_for_selector("#trainability-tool[data-state=done]", timeout=MAP_TIMEOUT)
    zoomed = [float(v) for v in chart.get_attribute("data-x-range").split(",")]
    zoomed_y = [float(v) for v in chart.get_attribute("data-y-range").split(",")]
    assert first[0] < zoomed[0] < zoomed[1] < first[1]
    assert first_y[0] < zoomed_y[0] < zoomed_y[1] < first_y[1]
    xs = page.evaluate("document.getElementById('train-chart').data[0].x")
    assert zoomed[0] <= min(xs) and max(xs) <= zoomed[1]
    assert float(page.locator("#train-x-min").input_value()) == pytest.approx(zoomed[0], rel=1e-3)

    page.get_by_role("button", name="Reset zoom").click()
    expect(chart).to_have_attribute("data-x-range", home, timeout=MAP_TIMEOUT)
    page.wait_for_selector("#trainability-tool[data-state=done]", timeout=MAP_TIMEOUT)
    expect(page.locator("#trainability-tool .map-reset")).to_be_hidden()
    assert watched.errors == []


def test_cancel_stops_the_map_and_draws_nothing(watched):
    # A map no other test asks for (the server answers a map it has computed from its cache,
    # at once) and one that takes seconds: L-BFGS steps each ball on its own.
    page = watched.open("/explore?surface=himmelblau&r1=lbfgs&r1.lr=0.9", ready="#explorer")
    page.get_by_label("Detail").select_option("fine")
    panel = page.locator("#basins-tool")
    panel.locator(".map-compute").click()
    expect(panel.locator(".map-progress")).to_be_visible()
    panel.get_by_role("button", name="Cancel").click()
    expect(panel.locator(".map-progress")).to_be_hidden()
    expect(panel).to_have_attribute("data-state", "cancelled")
    expect(panel.locator(".map-message")).to_have_text("Cancelled.")
    page.wait_for_timeout(4000)  # longer than the map takes: a late answer must not be drawn
    expect(panel).to_have_attribute("data-state", "cancelled")
    assert panel.get_attribute("data-shown") is None
    assert panel.locator(".map-legend li").count() == 0
    layer = page.evaluate(
        "document.querySelector('.landscape-map').data.find((t) => t.name === 'basins').z.length"
    )
    assert layer == 0
    assert watched.errors == []


def test_a_bad_setting_is_said_in_the_servers_words(watched):
    page = watched.open()
    page.locator("#sweep-lr-min").fill("-1")  # no learning rate is negative
    panel = page.locator("#sweep-tool")
    panel.locator(".map-compute").click()
    page.wait_for_selector("#sweep-tool[data-state=error]", timeout=MAP_TIMEOUT)
    message = panel.locator(".map-message")
    expect(message).to_have_class("map-message error")
    assert message.inner_text().startswith("Error: ")
    assert "lr_min" in message.inner_text()
    expect(panel.locator(".map-chart")).to_be_hidden()


def test_the_sharpness_toggle_draws_sharpness_and_2_over_lr_on_the_loss_chart(watched):
    page = watched.open("/explore?surface=himmelblau&r1=gd&r1.lr=0.01", ready="#explorer")
    chart = "#loss-chart"
    assert page.locator(".chart-wrap svg.overlay .sharpness-line").count() == 0
    page.get_by_label("Sharpness").check()
    page.wait_for_function("!!document.querySelector('#loss-chart').layout.yaxis2")
    page.get_by_role("button", name="Step").click()
    page.get_by_role("button", name="Step").click()
    sharp = page.locator(".chart-wrap svg.overlay .sharpness-line[data-racer='0']")
    edge = page.locator(".chart-wrap svg.overlay .edge-line[data-racer='0']")
    page.wait_for_function(
        "Number(document.querySelector(\".chart-wrap svg.overlay .sharpness-line[data-racer='0']\")"
        "?.dataset.points) >= 2"
    )
    assert int(edge.get_attribute("data-points")) >= 2
    assert sharp.get_attribute("points").count(",") >= 2
    # 2/lr = 200 fits on the right-hand axis
    top = page.evaluate(f"document.querySelector({chart!r}).layout.yaxis2.range[1]")
    assert top >= 200
    # the address follows at most every 0.5 s (browsers throttle replaceState)
    page.wait_for_function("location.search.includes('sharpness=1')")
    page.get_by_label("Sharpness").uncheck()
    expect(page.locator(".chart-wrap svg.overlay .sharpness-line")).to_have_count(0)
    assert watched.errors == []


def test_the_detail_picker_sets_how_many_balls_each_map_rolls(watched):
    page = watched.open()
    expect(page.get_by_label("Detail")).to_have_value("normal")
    page.get_by_label("Detail").select_option(label="Coarse (quicker)")
    compute(page, "basins")
    cells = page.evaluate(
        "document.getElementById('plot').data.find((d) => d.name === 'basins').x.length"
    )
    assert cells == 200
    expect(page.locator("#basins-tool .map-for")).to_contain_text("200 starts")
    page.get_by_label("Detail").select_option(label="Fine (slower)")
    compute(page, "sweep")
    rates = page.evaluate("new Set(document.getElementById('sweep-chart').data[0].x).size")
    assert rates == 512
    expect(page.locator("#sweep-tool .map-for")).to_contain_text("512 rates")
    assert watched.errors == []


def test_any_optimizer_gets_a_map_sized_by_the_server(watched):
    # L-BFGS steps each ball on its own (its history and line search), so Fine on Himmelblau
    # is a coarser grid than a vectorized optimizer's Fine: the server picks what it can do,
    # and it answers.
    page = watched.open("/explore?surface=himmelblau&r1=lbfgs", ready="#explorer")
    page.get_by_label("Detail").select_option("fine")
    compute(page, "basins")
    side = page.evaluate(
        "document.querySelector('.landscape-map').data.find((d) => d.name === 'basins').x.length"
    )
    assert 8 <= side < 160
    expect(page.locator("#basins-tool .map-for")).to_contain_text(f"{side * side} starts")
    assert watched.errors == []


# Two screenshots of the same element, compared in the page (a canvas decodes the PNGs):
# how many pixels changed, and the colour at each of some points after.
COMPARE = """async ([before, after, points]) => {
  const load = (b64) => new Promise((done) => {
    const img = new Image(); img.onload = () => done(img); img.src = `data:image/png;base64,${b64}`;
  });
  const pixels = async (b64) => {
    const img = await load(b64);
    const canvas = document.createElement("canvas");
    canvas.width = img.width; canvas.height = img.height;
    const ctx = canvas.getContext("2d");
    ctx.drawImage(img, 0, 0);
    return ctx.getImageData(0, 0, img.width, img.height);
  };
  const [a, b] = [await pixels(before), await pixels(after)];
  let changed = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    let d = 0;
    for (let c = 0; c < 3; c += 1) d += Math.abs(a.data[i + c] - b.data[i + c]);
    if (d > 30) changed += 1;
  }
  const at = (img, [x, y]) => {
    const i = 4 * (Math.round(y) * img.width + Math.round(x));
    return [img.data[i], img.data[i + 1], img.data[i + 2]];
  };
  return {
    share: changed / (a.width * a.height),
    before: points.map((p) => at(a, p)),
    after: points.map((p) => at(b, p)),
  };
}"""


def test_the_explorers_basin_layer_shows_over_the_landscape_in_four_colours(watched):
    """Plotly draws every heatmap below every contour: a basin layer drawn as a heatmap was
    computed, listed in the legend, and never seen. What is on the screen is compared here."""
    page = watched.open("/explore?surface=himmelblau", ready="#explorer")
    page.get_by_label("Detail").select_option("coarse")
    landscape = page.locator("#landscape .landscape-map")
    landscape.scroll_into_view_if_needed()
    before = landscape.screenshot()
    compute(page, "basins")
    page.wait_for_timeout(300)  # the layer's restyle is drawn
    after = landscape.screenshot()
    minima = page.evaluate(
        "document.querySelector('.landscape-map').data[1].x.map((x, i) =>"
        " [x, document.querySelector('.landscape-map').data[1].y[i]])"
    )
    assert len(minima) == 4
    # a point in each basin beside its minimum (its marker left out), in the element's pixels
    box = landscape.bounding_box()
    points = []
    for x, y in minima:
        p = plot_point(page, "#landscape .landscape-map", x + 0.6, y - 0.6)
        points.append([p["px"] - box["x"], p["py"] - box["y"]])
    seen = page.evaluate(COMPARE, [b64(before), b64(after), points])
    # the layer covers the whole map: most of the plot's pixels change colour
    assert seen["share"] > 0.3, seen["share"]
    for was, now in zip(seen["before"], seen["after"], strict=True):
        assert sum(abs(a - b) for a, b in zip(was, now, strict=True)) > 30, (was, now)
    # four basins in four colours on the screen, and in the legend
    assert len({tuple(c) for c in seen["after"]}) == 4, seen["after"]
    swatches = page.locator("#basins-tool .map-legend li").evaluate_all(
        "items => items.map((li) => li.style.getPropertyValue('--swatch'))"
    )
    assert len(swatches) == 4 and len(set(swatches)) == 4, swatches
    assert watched.errors == []


def b64(png: bytes) -> str:
    return base64.b64encode(png).decode()


def racer_rate(page: Page) -> float:
    """The maps' racer's learning rate as its card shows it."""
    racer = page.locator("#maps-racer").input_value()
    return float(page.locator(f"output[for='{racer}-lr']").inner_text())


def x_range(page: Page) -> tuple[float, float]:
    page.wait_for_selector("#trainability-tool[data-ranges=ready]")
    return float(page.locator("#train-x-min").input_value()), float(
        page.locator("#train-x-max").input_value()
    )


def test_the_trainability_range_follows_the_landscape_and_holds_the_racers_rate(watched):
    page = watched.open("/explore?surface=rosenbrock", ready="#explorer")
    rosenbrock = x_range(page)
    lr = racer_rate(page)
    assert rosenbrock[0] < lr < rosenbrock[1]
    page.get_by_label("Landscape", exact=True).select_option("ravine")
    expect(page.locator("#train-x-max")).not_to_have_value(str(rosenbrock[1]))
    ravine = x_range(page)
    lr = racer_rate(page)
    assert lr == 0.016  # the engine's suggested rate for gradient descent on the ravine
    assert ravine[0] < lr < ravine[1]
    # up to past where gradient descent stops settling on the ravine (κ = 100: 2/λmax = 0.02)
    assert ravine[1] > 0.02
    # and another racer (Adam) gets ranges of its own
    page.locator("#maps-racer").select_option(index=2)
    expect(page.locator("#train-y-name")).to_have_value("betas.0")
    adam = x_range(page)
    assert adam[0] < racer_rate(page) < adam[1]
    assert watched.errors == []


def test_a_run_that_never_settled_is_hatched_never_drawn_as_fast(watched):
    # On this model, momentum 0.2 at lr 0.003 comes near the minimum but has not converged
    # after a press of Play (the server's steps: null); at lr 0.02 it converges in ~300.
    page = watched.open(
        "/explore?model=linear&loss=mse&data=outlier&r1=momentum&r1.lr=0.003&r1.momentum=0.2",
        ready="#explorer",
    )
    x_range(page)
    for field, value in (("x-min", "0.003"), ("x-max", "0.02"), ("y-min", "0.2"), ("y-max", "0.3")):
        page.locator(f"#train-{field}").fill(value)
    page.get_by_label("Detail").select_option("coarse")
    compute(page, "trainability")
    drawn = page.evaluate(
        """(() => { const gd = document.getElementById('train-chart');
          return {x: gd.data[0].x, y: gd.data[0].y, z: gd.data[0].z, text: gd.data[0].text,
                  hx: gd.data[1].x, hy: gd.data[1].y}; })()"""
    )
    hatched = set(zip(drawn["hx"], drawn["hy"], strict=True))
    never = {
        (x, y)
        for j, y in enumerate(drawn["y"])
        for i, x in enumerate(drawn["x"])
        if "did not settle" in drawn["text"][j][i]
    }
    assert (0.003, 0.2) in never  # the slowest corner
    assert hatched == never
    converged = [
        z
        for j, row in enumerate(drawn["z"])
        for i, z in enumerate(row)
        if (drawn["x"][i], drawn["y"][j]) not in never
    ]
    assert converged  # the faster rates do converge, each in its own shade
    slowest = max(converged)
    for j, row in enumerate(drawn["z"]):
        for i, z in enumerate(row):
            if (drawn["x"][i], drawn["y"][j]) in never:
                assert z > slowest  # paler than any that got there: never a "fast" shade
    legend = page.locator("#trainability-tool .map-legend li").all_inner_texts()
    assert any("did not settle within 1000 steps" in t for t in legend), legend
    assert watched.errors == []
