"""A typed formula as the landscape, in a real browser against the real server: typed, refused
in the server's words, typeset, linked, run, streamed and mapped."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

WAVY = "0.12*x^2 + sin(2.4*x) + 0.3*cos(5*x)"  # the built-in roll_downhill, retyped
ROSENBROCK = "(1-x)^2 + 100*(y-x^2)^2"
MAP_TIMEOUT = 60_000  # ms: a map is thousands of balls


def trail_x(page: Page) -> list[float]:
    return page.evaluate("document.getElementById('plot').data.find((t) => t.name === 'path').x")


def steps(page: Page, n: int) -> list[float]:
    """Press Step `n` times (each answered before the next) and return the path's x."""
    for i in range(1, n + 1):
        page.get_by_role("button", name="Step").click()
        expect(page.locator("#readout-step")).to_have_text(str(i))
    return trail_x(page)


def open_panel(page: Page) -> None:
    """The formula panel is closed at first (the plot and Play share one screen)."""
    if not page.locator("#formula-panel").evaluate("d => d.open"):
        page.get_by_text("Type your own formula").click()


def use_formula(page: Page, text: str, *, enter: bool = False) -> None:
    open_panel(page)
    field = page.get_by_label("Your own formula")
    field.fill(text)
    if enter:
        field.press("Enter")
    else:
        page.get_by_role("button", name="Use it").click()


def test_a_retyped_wavy_bowl_rolls_exactly_as_the_built_in(watched):
    page = watched.open()
    built_in = steps(page, 6)
    assert len(built_in) == 7 and built_in[-1] != built_in[0]

    use_formula(page, WAVY)
    page.wait_for_url(re.compile(r"formula="))
    page.wait_for_selector("#sim[data-ready=true]")
    picker = page.get_by_label("Landscape", exact=True)
    expect(picker).to_have_value("formula")
    expect(picker.locator("option:checked")).to_have_text("Your formula")
    assert page.locator("#formula math").count() == 1
    open_panel(page)
    expect(page.get_by_label("Your own formula")).to_have_value(WAVY)
    # the same minima, found by the server on the typed formula
    minima = page.evaluate(
        "document.getElementById('plot').data.find((t) => t.name === 'minima').text"
    )
    assert sorted(minima) == ["global min", "local min", "local min", "local min"]
    typed = steps(page, 6)
    assert typed == pytest.approx(built_in, rel=1e-12, abs=1e-12)

    # playing streams from the typed formula too (the stream sends it as the surface)
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("Number(document.getElementById('readout-step').textContent) >= 10")
    page.get_by_role("button", name="Pause").click()
    assert watched.errors == [] and watched.blocked == []

    # a catalog landscape leaves formula mode
    picker.select_option("double_well")
    page.wait_for_url(re.compile(r"surface=double_well"))
    page.wait_for_selector("#sim[data-ready=true]")
    assert "formula=" not in page.url
    assert page.locator("#formula math").count() == 0
    assert page.locator("#surface option[value=formula]").count() == 0


def test_a_typed_formula_on_roll_downhill_gets_the_engines_suggested_rate(watched, client):
    page = watched.open("/?optimizer=nesterov")
    expect(page.locator("#lr-value")).to_have_text("0.10")
    use_formula(page, "2*x^2")
    page.wait_for_url(re.compile(r"formula="))
    page.wait_for_selector("#sim[data-ready=true]")
    typed = client.post(
        "/api/surfaces/formula", json={"expression": "2*x^2", "domain": [[-5, 5]]}
    ).json()
    rate = typed["suggested_lr"]["nesterov"]  # the engine's, for the ball's own choice
    assert rate != 0.1
    expect(page.locator("#lr-value")).to_have_text(f"{rate:.2f}")
    assert f"lr={rate}" in page.url  # what the ball runs with, and a link keeps


def test_rosenbrock_typed_on_the_explorer_shows_its_minimum_and_its_mathml(watched):
    page = watched.open("/explore", ready="#explorer")
    use_formula(page, ROSENBROCK, enter=True)
    expect(page.get_by_label("Landscape", exact=True)).to_have_value("formula")
    expect(page.locator("#surface-formula math")).to_have_count(1)
    minima = page.evaluate(
        "document.querySelector('.landscape-map').data.find((t) => t.name === 'minima').x"
    )
    assert minima == [pytest.approx(1.0, abs=1e-6)]
    gradient = page.locator("#formula-gradient")
    expect(gradient).to_be_visible()
    gradient.locator("summary").click()
    expect(gradient.locator("math")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"formula="))
    assert "surface=" not in page.url
    # the racers run on it
    page.get_by_role("button", name="Step").click()
    expect(page.locator(".racer [data-readout=step]").first).to_have_text("1")
    # the share link carries the formula (the embed code is built from the same address)
    page.locator(".share summary").click()
    expect(page.locator(".share-link")).to_have_value(re.compile(r"/explore\?formula=[^&]*y-x"))
    expect(page.locator(".share-embed")).to_have_value(
        re.compile(r"src=\"[^\"]*formula=[^\"]*embed=1")
    )
    # choosing a catalog landscape leaves formula mode
    page.get_by_label("Landscape", exact=True).select_option("ravine")
    expect(page.locator("#surface-formula math")).to_have_count(0)
    expect(page.locator("#formula-gradient")).to_be_hidden()
    expect(page.locator("#surface option[value=formula]")).to_have_count(0)
    assert watched.errors == [] and watched.blocked == []


@pytest.mark.parametrize(
    ("path", "ready", "text", "reason"),
    [
        ("/", "#sim", "2x", "write 2*x, not 2x (column 2)"),
        (
            "/explore",
            "#explorer",
            "__import__('os')",
            "`__import__` is not a known function (column 1)",
        ),
    ],
)
def test_a_refused_formula_shows_the_servers_reason_and_keeps_the_text(
    watched, path, ready, text, reason
):
    page = watched.open(path, ready=ready)
    before = page.url
    use_formula(page, text)
    error = page.locator("#formula-error")
    expect(error).to_have_text(reason)
    field = page.get_by_label("Your own formula")
    expect(field).to_have_value(text)
    expect(field).to_have_attribute("aria-invalid", "true")
    assert "formula-error" in field.get_attribute("aria-describedby").split()
    assert error.get_attribute("aria-live") == "polite"
    assert page.url == before  # still the catalog landscape
    expect(page.locator("#surface option[value=formula]")).to_have_count(0)


def test_a_formula_link_reopens_it_and_a_bad_one_opens_the_default_with_the_reason(watched):
    page = watched.open(f"/explore?formula={quote(ROSENBROCK)}&domain=-2,2,-1,3", ready="#explorer")
    expect(page.get_by_label("Landscape", exact=True)).to_have_value("formula")
    expect(page.locator("#surface-formula math")).to_have_count(1)
    open_panel(page)
    expect(page.get_by_label("x from")).to_have_value("-2")
    expect(page.get_by_label("y from")).to_have_value("-1")
    xaxis = page.evaluate("document.querySelector('.landscape-map')._fullLayout.xaxis.range")
    assert xaxis[0] >= -2.01 and xaxis[1] <= 2.01

    page = watched.open(f"/?formula={quote('2x')}")
    expect(page.locator("#formula-error")).to_have_text("write 2*x, not 2x (column 2)")
    expect(page.get_by_label("Your own formula")).to_have_value("2x")
    expect(page.get_by_label("Landscape", exact=True)).to_have_value("roll_downhill")
    expect(page.locator("#readout-x")).to_have_text("3.5")


def test_the_basin_map_works_on_a_formula(watched):
    page = watched.open(f"/?formula={quote(WAVY)}")
    page.locator("#maps-panel > summary").click()  # Roll Downhill keeps the maps folded
    panel = page.locator("#basins-tool")
    panel.locator(".map-compute").click()
    page.wait_for_selector("#basins-tool[data-state=done][data-shown=true]", timeout=MAP_TIMEOUT)
    legend = panel.locator(".map-legend li")
    assert legend.count() >= 3
    assert any("reach the global minimum at x = -0.628" in t for t in legend.all_inner_texts())
    assert watched.errors == [] and watched.blocked == []
