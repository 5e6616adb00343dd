"""The "Update rule" panel: the shown ball's next step, its numbers the server's, kept in
step with the ball while it plays and exact once it stops."""

from __future__ import annotations

import math
import time

import pytest
from playwright.sync_api import Page, expect

PANEL = "#update-rule"


def number(text: str) -> float:
    return float(text.replace("−", "-"))


def row(page: Page, symbol: str) -> list[float]:
    cells = page.locator(f'{PANEL} tr[data-symbol="{symbol}"] td').all_inner_texts()
    return [number(c) for c in cells]


def shown_step(page: Page) -> int:
    return int(page.locator(f"{PANEL} [data-rule=shown-step]").inner_text())


def explain_requests(page: Page) -> list[float]:
    times: list[float] = []
    page.on(
        "request",
        lambda r: r.url.endswith("/api/runs/explain") and times.append(time.monotonic()),
    )
    return times


def open_panel(page: Page) -> None:
    summary = page.locator(f"{PANEL} summary")
    summary.focus()
    page.keyboard.press("Enter")  # a <details> opens from the keyboard
    expect(page.locator(PANEL)).to_have_attribute("open", "")


def wait_in_step(page: Page, readout: str) -> int:
    """Wait until the panel explains the step after the one the readout shows."""
    step = page.locator(readout).first.inner_text()
    expect(page.locator(f"{PANEL} [data-rule=shown-step]")).to_have_text(step)
    expect(page.locator(f"{PANEL} [data-rule=step]")).to_have_text(str(int(step) + 1))
    return int(step)


def test_roll_downhill_panel_follows_the_ball_and_shows_the_paused_step(watched):
    page = watched.open("/?optimizer=momentum&lr=0.05")
    requests = explain_requests(page)
    page.click("#step")
    expect(page.locator("#readout-step")).to_have_text("1")
    assert requests == [], "a closed panel asks for nothing"

    open_panel(page)
    assert wait_in_step(page, "#readout-step") == 1
    (g,) = row(page, "g")
    assert g == pytest.approx(number(page.locator("#readout-grad").inner_text()), rel=1e-3)
    assert row(page, "b"), "momentum's velocity is shown"
    lines = page.locator(f"{PANEL} [data-rule=lines] li").all_inner_texts()
    assert lines[1].startswith("b ← μ·b + g = 0.9·")  # no dampening: no τ

    # playing: the panel moves on with the ball, at most ~4 requests a second
    page.click("#play")
    expect(page.locator("#play")).to_have_text("Pause")
    page.wait_for_function("Number(document.querySelector('#readout-step').textContent) >= 6")
    started, before = time.monotonic(), len(requests)
    page.wait_for_function(
        "Number(document.querySelector('#update-rule [data-rule=shown-step]').textContent) > 3"
    )
    page.wait_for_timeout(2000)
    elapsed = time.monotonic() - started
    assert len(requests) - before <= 4 * elapsed + 2

    page.click("#play")  # pause
    expect(page.locator("#play")).to_have_text("Play")
    paused = wait_in_step(page, "#readout-step")
    assert paused > 3
    (g,) = row(page, "g")
    assert g == pytest.approx(number(page.locator("#readout-grad").inner_text()), rel=1e-3)
    (x,) = row(page, "x")
    assert x == pytest.approx(number(page.locator("#readout-x").inner_text()), rel=1e-3)
    time.sleep(0.5)
    assert shown_step(page) == paused, "no older or newer answer lands after the pause"

    page.click("#step")
    expect(page.locator("#readout-step")).to_have_text(str(paused + 1))
    wait_in_step(page, "#readout-step")

    # closed, it asks for nothing more
    page.locator(f"{PANEL} summary").click()
    count = len(requests)
    page.click("#step")
    expect(page.locator("#readout-step")).to_have_text(str(paused + 2))
    page.wait_for_timeout(500)
    assert len(requests) == count
    assert watched.errors == []


def test_explorer_panel_explains_the_chosen_racer(watched):
    page = watched.open("/explore?surface=himmelblau&r1=gd&r2=adam&r2.lr=0.1", ready="#explorer")
    page.click("#step")
    page.click("#step")
    expect(page.locator(".racer").nth(1).locator("[data-readout=step]")).to_have_text("2")
    open_panel(page)
    picker = page.get_by_label("Explain racer")
    assert picker.locator("option").all_inner_texts() == ["Gradient descent", "Adam"]
    picker.select_option(label="Adam")
    card = page.locator(".racer").nth(1)
    expect(page.locator(f"{PANEL} [data-rule=who]")).to_have_text("Adam: ")
    wait_in_step(page, ".racer >> nth=1 >> [data-readout=step]")
    assert row(page, "m̂") and row(page, "1 − β₁ᵗ")[0] == pytest.approx(1 - 0.9**3, rel=1e-3)
    norm = math.hypot(*row(page, "g"))
    assert norm == pytest.approx(
        number(card.locator("[data-readout=gradient]").inner_text()), rel=2e-3
    )
    assert watched.errors == []


def test_adafactors_panel_names_its_relative_step_and_clipping(watched):
    # Himmelblau from its default start, lr 0.1: step 3 has ρ₃ = min(0.1, 1/√3) = 0.1 and
    # αₜ = ρₜ·RMS(x); the quantities are the server's, per coordinate.
    page = watched.open("/explore?surface=himmelblau&r1=adafactor&r1.lr=0.1", ready="#explorer")
    page.click("#step")
    page.click("#step")
    expect(page.locator(".racer").first.locator("[data-readout=step]")).to_have_text("2")
    open_panel(page)
    wait_in_step(page, ".racer >> nth=0 >> [data-readout=step]")
    assert row(page, "ρₜ") == [0.1, 0.1]
    rms = row(page, "RMS(x)")[0]
    assert row(page, "αₜ")[0] == pytest.approx(0.1 * max(rms, 1e-3), rel=1e-3)
    assert row(page, "1 − β̂₂ₜ")[0] == pytest.approx(3**-0.8, rel=1e-3)
    assert row(page, "max(1, RMS(U)/d)")[0] >= 1.0
    assert watched.errors == []


def test_muon_on_a_landscape_is_explained_as_a_normalised_nesterov_step(watched):
    page = watched.open("/explore?surface=himmelblau&r1=muon&r1.lr=0.05", ready="#explorer")
    # The page says what Muon is on a landscape, and names the coefficients a, b, c.
    expect(page.get_by_text("normalised Nesterov step").first).to_be_attached()
    for part in "abc":
        expect(page.get_by_label(f"Newton–Schulz coefficients {part}", exact=True)).to_be_attached()
    page.click("#step")
    page.click("#step")
    expect(page.locator(".racer").first.locator("[data-readout=step]")).to_have_text("2")
    open_panel(page)
    wait_in_step(page, ".racer >> nth=0 >> [data-readout=step]")
    o, blend, eta = row(page, "O"), row(page, "B̃"), row(page, "η")
    assert eta == [0.05, 0.05]
    assert 0.65 < math.hypot(*o) < 0.75
    assert o[0] / math.hypot(*o) == pytest.approx(blend[0] / math.hypot(*blend), abs=0.01)
    assert row(page, "B")
    assert watched.errors == []
