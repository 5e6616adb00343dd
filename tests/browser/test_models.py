"""A model's loss on a data set as the landscape, in a real browser against the real server:
opened from a link, replayed, switched in place, reshaped by typed and dragged points, run in
mini-batches, and laid out on a phone."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import numpy as np
import pytest
from playwright.sync_api import Page, expect

MAP = "document.querySelector('#landscape .landscape-map')"
DATA = "document.getElementById('data-plot')"
OUTLIER = "/explore?model=linear&loss=mse&data=outlier"
THREE_POINTS = "/explore?model=linear&loss=mse&points=-1,0.5;0,0.2;1,1.3"


def api_model(watched, request: dict) -> httpx.Response:
    return httpx.post(f"{watched.base_url}/api/surfaces/model", json=request, timeout=20)


def api_global_minimum(watched, request: dict) -> list[float]:
    response = api_model(watched, request)
    assert response.status_code == 200, response.text
    (global_min,) = [m for m in response.json()["minima"] if m["kind"] == "global"]
    return global_min["position"]


def lesson_url(watched, lesson_id: str) -> str:
    lessons = httpx.get(f"{watched.base_url}/api/lessons", timeout=20).json()
    (lesson,) = [lesson for lesson in lessons if lesson["id"] == lesson_id]
    return lesson["url"]


def marked_global_minimum(page: Page) -> list[float]:
    """The map's starred minimum (the minima trace's global one) as [x, y]."""
    return page.evaluate(
        f"""(() => {{
          const t = {MAP}.data.find((t) => t.name === 'minima');
          const i = t.marker.symbol.indexOf('star');
          return i < 0 ? null : [t.x[i], t.y[i]];
        }})()"""
    )


def wait_for_marked_minimum(page: Page, position: list[float], tol: float = 1e-9) -> None:
    """Until the map stars `position` (the map is redrawn after the server answers)."""
    page.wait_for_function(
        f"""([x, y, tol]) => {{
          const div = {MAP};
          const t = div && div.data && div.data.find((t) => t.name === 'minima');
          if (!t) return false;
          const i = t.marker.symbol.indexOf('star');
          return i >= 0 && Math.abs(t.x[i] - x) < tol && Math.abs(t.y[i] - y) < tol;
        }}""",
        arg=[*position, tol],
        timeout=10_000,
    )


def data_points(page: Page) -> tuple[list[float], list[float]]:
    return tuple(page.evaluate(f"[{DATA}.data[0].x, {DATA}.data[0].y]"))


def url_points(page: Page) -> list[tuple[float, float]]:
    text = parse_qs(urlsplit(page.url).query)["points"][0]
    return [tuple(float(v) for v in pair.split(",")) for pair in text.split(";")]


def wait_until_the_url_holds_the_drawn_points(page: Page, n: int) -> None:
    """Until the address's points= are the `n` points the data panel draws."""
    page.wait_for_function(
        f"""(n) => {{
          const text = new URLSearchParams(location.search).get('points');
          const {{ x, y }} = {DATA}.data[0];
          if (!text || x.length !== n) return false;
          const pairs = text.split(';').map((p) => p.split(',').map(Number));
          return pairs.length === n && pairs.every(([a, b], i) => a === x[i] && b === y[i]);
        }}""",
        arg=n,
        timeout=10_000,
    )


def data_pixel(page: Page, x: float, y: float) -> tuple[float, float]:
    """Viewport pixel of data point (x, y) on the data panel's plot."""
    return tuple(
        page.evaluate(
            f"""([x, y]) => {{
              const div = {DATA};
              const box = div.getBoundingClientRect();
              const {{ xaxis, yaxis }} = div._fullLayout;
              return [
                box.left + xaxis._offset + xaxis.l2p(x),
                box.top + yaxis._offset + yaxis.l2p(y),
              ];
            }}""",
            [x, y],
        )
    )


def apply_points(page: Page, text: str) -> None:
    edit = page.locator("details.data-edit")
    if not edit.evaluate("d => d.open"):
        edit.locator("summary").click()
    page.locator("#data-points").fill(text)
    page.locator("#data-apply").click()


# --- 1. a link opens a model landscape -----------------------------------------------------


def test_a_model_link_opens_the_model_its_data_and_the_least_squares_minimum(watched):
    page = watched.open(OUTLIER, ready="#explorer")
    picker = page.get_by_label("Landscape", exact=True)
    expect(picker.locator("option:checked")).to_have_text("A model on data")
    expect(page.locator("#data-panel")).to_be_visible()
    assert page.evaluate(f"{DATA}.data[0].x.length") == 16
    expect(page.locator("#model-model")).to_have_value("linear")
    expect(page.locator("#model-loss")).to_have_value("mse")
    expect(page.locator("#model-data")).to_have_value("outlier")
    # the contour map's axes are the weights
    titles = page.evaluate(
        f"[{MAP}._fullLayout.xaxis.title.text, {MAP}._fullLayout.yaxis.title.text]"
    )
    assert titles == ["w", "b"]
    expect(page.locator("#landscape .landscape-map .xtitle")).to_have_text("w")
    expect(page.locator("#landscape .landscape-map .ytitle")).to_have_text("b")
    # the star is the server's minimum, and that is the least-squares fit of the drawn points
    api_min = api_global_minimum(
        watched, {"model": "linear", "loss": "mse", "data": "outlier", "dim": 2}
    )
    assert marked_global_minimum(page) == pytest.approx(api_min, abs=1e-9)
    x, y = data_points(page)
    w, b = np.linalg.lstsq(np.column_stack([x, np.ones(len(x))]), np.array(y), rcond=None)[0]
    assert api_min == pytest.approx([w, b], abs=1e-6)
    assert watched.errors == [] and watched.blocked == []


@pytest.mark.parametrize(("path", "ready"), [("/", "#sim"), ("/explore", "#explorer")])
def test_the_landscape_pickers_model_entry_opens_a_model_in_place(watched, path, ready):
    page = watched.open(path, ready=ready)
    expect(page.locator("#model-panel")).to_be_hidden()  # no chooser off a model
    expect(page.locator("#data-panel")).to_be_hidden()
    page.evaluate("window.stayed = true")
    page.get_by_label("Landscape", exact=True).select_option(label="A model on data")
    expect(page.locator("#data-panel")).to_be_visible()
    expect(page.locator("#model-panel")).to_be_visible()
    page.wait_for_function("new URL(location.href).searchParams.get('model') === 'linear'")
    assert page.evaluate("window.stayed") is True  # opened in place, not by a reload
    data = httpx.get(f"{watched.base_url}/api/datasets", timeout=20).json()
    first = next(d for d in data if d["kind"] == "regression")
    assert page.evaluate(f"{DATA}.data[0].x") == first["x"]
    assert parse_qs(urlsplit(page.url).query)["data"] == [first["id"]]
    assert watched.errors == [] and watched.blocked == []


# --- 2. a replayed link draws each racer's prediction --------------------------------------


def test_a_replayed_link_draws_one_prediction_line_per_racer_through_its_weights(watched):
    page = watched.open(OUTLIER + "&steps=40", ready="#explorer")
    racers = page.locator(".racer")
    n = racers.count()
    assert n >= 1
    # the longest run replays 40 steps (a racer that settles earlier stops there)
    expect(page).to_have_url(re.compile(r"[?&]steps=40(&|$)"))
    expect(racers.first.locator("[data-readout=step]")).not_to_have_text("0")
    page.wait_for_function(f"{DATA}.data.length === 2 + {n}", timeout=10_000)
    position = racers.first.locator("[data-readout=position]").inner_text()
    w, b = (float(v) for v in re.fullmatch(r"\((.+), (.+)\)", position.replace("−", "-")).groups())
    line_x, line_y = page.evaluate(f"[{DATA}.data[2].x, {DATA}.data[2].y]")
    i0 = int(np.argmin(np.abs(np.array(line_x))))
    assert abs(line_x[i0]) < 1e-9  # the panel's grid goes through x = 0
    # the readout has three significant digits
    assert line_y[i0] == pytest.approx(b, rel=5e-3, abs=5e-3)
    slope = (line_y[-1] - line_y[0]) / (line_x[-1] - line_x[0])
    assert slope == pytest.approx(w, rel=5e-3, abs=5e-3)
    assert watched.errors == []


# --- 3. another loss, in place -------------------------------------------------------------


def test_choosing_mean_absolute_error_switches_the_landscape_in_place(watched):
    page = watched.open(OUTLIER, ready="#explorer")
    mse_min = api_global_minimum(
        watched, {"model": "linear", "loss": "mse", "data": "outlier", "dim": 2}
    )
    mae_min = api_global_minimum(
        watched, {"model": "linear", "loss": "mae", "data": "outlier", "dim": 2}
    )
    assert mae_min != pytest.approx(mse_min, abs=1e-3)  # the outlier pulls MSE's fit only
    page.evaluate("window.__stillHere = 'yes'")
    page.locator("#model-loss").select_option(label="Mean absolute error")
    expect(page).to_have_url(re.compile(r"[?&]loss=mae(&|$)"))
    wait_for_marked_minimum(page, mae_min)
    assert page.evaluate("window.__stillHere") == "yes"  # no reload
    expect(page.locator("#model-loss")).to_have_value("mae")
    expect(page.locator("#model-data")).to_have_value("outlier")
    expect(page.get_by_label("Landscape", exact=True).locator("option:checked")).to_have_text(
        "A model on data"
    )
    assert watched.errors == []


# --- 4. typed points -----------------------------------------------------------------------


def test_typed_points_reshape_the_landscape_and_refusals_keep_it(watched):
    page = watched.open(OUTLIER, ready="#explorer")
    page.evaluate("window.__stillHere = 'yes'")
    apply_points(page, "-1, 0.5\n0, 0.2\n1, 1.3\n2, 2")
    expect(page).to_have_url(re.compile(r"[?&]points="))
    assert "data=" not in page.url
    assert url_points(page) == [(-1, 0.5), (0, 0.2), (1, 1.3), (2, 2)]
    typed = {"x": [-1, 0, 1, 2], "y": [0.5, 0.2, 1.3, 2]}
    typed_min = api_global_minimum(
        watched, {"model": "linear", "loss": "mse", "data": typed, "dim": 2}
    )
    wait_for_marked_minimum(page, typed_min)
    assert data_points(page) == (typed["x"], typed["y"])
    expect(page.locator("#model-data option:checked")).to_have_text("Your points")
    assert page.evaluate("window.__stillHere") == "yes"
    url_before = page.url

    # an unreadable line is named, and nothing typed is lost
    bad = "-1, 0.5\nabc\n1, 1.3"
    apply_points(page, bad)
    error = page.locator("#data-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Line 2")
    expect(error).to_contain_text("abc")
    expect(page.locator("#data-points")).to_have_value(bad)
    assert page.url == url_before

    # points the server refuses: its reason, and the landscape stays
    same_x = {"x": [1, 1, 1], "y": [0, 1, 2]}
    refused = api_model(watched, {"model": "linear", "loss": "mse", "data": same_x, "dim": 2})
    assert refused.status_code == 422
    reason = refused.json()["errors"][0]["reason"]
    apply_points(page, "1, 0\n1, 1\n1, 2")
    expect(error).to_have_text(reason)
    expect(page.locator("#data-points")).to_have_value("1, 0\n1, 1\n1, 2")
    assert page.url == url_before
    assert marked_global_minimum(page) == pytest.approx(typed_min, abs=1e-9)
    assert data_points(page) == (typed["x"], typed["y"])
    # the browser logs the refused request itself; nothing else went wrong
    assert [e for e in watched.errors if "status of 422" not in e] == []


# --- 5. points moved, added and taken away with the mouse ----------------------------------


def test_dragging_adding_and_removing_points_with_the_mouse(watched):
    page = watched.open(THREE_POINTS, ready="#explorer")
    page.locator("#data-plot").scroll_into_view_if_needed()
    assert data_points(page) == ([-1, 0, 1], [0.5, 0.2, 1.3])

    # drag the first point from (-1, 0.5) to about (-2, -1.5)
    x0, y0 = data_pixel(page, -1, 0.5)
    x1, y1 = data_pixel(page, -2, -1.5)
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x1, y1, steps=8)
    page.mouse.up()
    page.wait_for_function(f"{DATA}.data[0].x[0] < -1.5", timeout=10_000)
    xs, ys = data_points(page)
    assert len(xs) == 3
    assert xs[0] == pytest.approx(-2, abs=0.1) and ys[0] == pytest.approx(-1.5, abs=0.1)
    assert (xs[1:], ys[1:]) == ([0, 1], [0.2, 1.3])
    wait_until_the_url_holds_the_drawn_points(page, 3)
    assert url_points(page) == list(zip(xs, ys, strict=True))
    moved_min = api_global_minimum(
        watched, {"model": "linear", "loss": "mse", "data": {"x": xs, "y": ys}, "dim": 2}
    )
    wait_for_marked_minimum(page, moved_min)

    # a click on empty ground adds a point there
    page.mouse.click(*data_pixel(page, 2, -2))
    page.wait_for_function(f"{DATA}.data[0].x.length === 4", timeout=10_000)
    xs, ys = data_points(page)
    assert xs[3] == pytest.approx(2, abs=0.1) and ys[3] == pytest.approx(-2, abs=0.1)
    wait_until_the_url_holds_the_drawn_points(page, 4)

    # a click on a point takes it away
    page.mouse.click(*data_pixel(page, 1, 1.3))
    page.wait_for_function(f"{DATA}.data[0].x.length === 3", timeout=10_000)
    xs, ys = data_points(page)
    assert (1, 1.3) not in list(zip(xs, ys, strict=True))
    wait_until_the_url_holds_the_drawn_points(page, 3)
    assert url_points(page) == list(zip(xs, ys, strict=True))
    assert watched.errors == []


# --- 6. real mini-batches ------------------------------------------------------------------


def test_real_minibatches_show_the_batch_readout_and_ring_one_point(watched):
    url = lesson_url(watched, "real_minibatches")
    page = watched.open(url + "&steps=30", ready="#explorer")
    racers = page.locator(".racer")
    expect(racers).to_have_count(2)
    expect(racers.nth(1).locator("[data-readout=step]")).to_have_text("30")
    batch2 = racers.nth(1).locator("[data-readout=batch]")
    expect(batch2).to_be_visible()
    expect(batch2).to_have_text(re.compile(r"^epoch 2 · batch 10 \(1 points?\)$"))
    expect(racers.nth(0).locator("[data-readout=batch]")).to_be_hidden()
    expect(page.locator("#data-batch")).to_have_text(re.compile(r"\b1 point\b"))
    page.wait_for_function(f"{DATA}.data[1].x.length === 1", timeout=10_000)
    assert watched.errors == []


# --- 7. Roll Downhill: no minimum at all -----------------------------------------------------


def test_separable_classes_run_away_and_the_status_says_why(watched):
    url = lesson_url(watched, "separable_runs_away")
    url = re.sub(r"&predict=1(?=&|$)", "", url)
    assert "predict=" not in url
    page = watched.open(url + "&steps=1000")
    reason = api_model(
        watched, {"model": "logistic", "loss": "bce", "data": "separable", "dim": 1}
    ).json()["no_minimum"]
    assert "no minimum" in reason
    status = page.locator("#status")
    expect(status).to_contain_text("Ran away", timeout=15_000)
    expect(status).to_contain_text(reason)
    expect(page.locator("#data-caption")).to_contain_text("decision boundary")
    assert page.evaluate("document.getElementById('plot')._fullLayout.xaxis.title.text") == "w"
    expect(page.locator("#plot .xtitle")).to_have_text("w")
    assert watched.errors == []


# --- 8. Roll Downhill: the whole data set is one batch by default ---------------------------


def test_the_batch_size_defaults_to_the_whole_data_set_and_stays_out_of_the_url(watched):
    page = watched.open("/?model=linear&loss=mae&data=outlier")
    expect(page).to_have_url(re.compile(r"model=linear"))
    page.locator("#training-panel > summary").click()
    slider = page.locator("#training-option-batch_size")
    expect(slider).to_be_visible()
    expect(slider).to_have_attribute("max", "16")  # the data's points
    expect(page.get_by_label("Batch size (number)")).to_have_value("16")
    assert "batch_size" not in page.url
    # a step with the default batch keeps it out of the address too
    page.get_by_role("button", name="Step").click()
    expect(page.locator("#readout-step")).to_have_text("1")
    expect(page).to_have_url(re.compile(r"steps=1"))
    assert "batch_size" not in page.url
    expect(page.locator("#readout-batch")).to_be_hidden()
    assert watched.errors == []


# --- 9. a phone ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "ready"),
    [
        (OUTLIER, "#explorer"),
        ("/?model=linear&loss=mse&data=outlier", "#sim"),
    ],
)
def test_a_model_on_a_phone_shows_the_data_and_never_scrolls_sideways(watched, path, ready):
    page = watched.page
    page.set_viewport_size({"width": 360, "height": 740})
    watched.open(path, ready=ready)
    panel = page.locator("#data-panel")
    expect(panel).to_be_visible()
    assert panel.bounding_box()["width"] <= 360
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 361, f"{path}: the page is {width} px wide on a 360 px phone"
    assert watched.errors == []
