"""Training options on both pages, as a student switches them on and watches: a learning-
rate schedule, gradient noise, clipping, gradient ascent, float16 with loss scaling, and
the second-order and Langevin optimizers."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect


def slide(control: Locator, position: int) -> None:
    """Drag a range input to `position` (as a pointer drag ends: an input event)."""
    control.evaluate(
        "(el, v) => { el.value = String(v);"
        " el.dispatchEvent(new Event('input', {bubbles: true})); }",
        position,
    )


def number(locator: Locator) -> float:
    return float(locator.inner_text().split()[0])


def steps(page: Page, root: Locator, n: int) -> None:
    """Press Step n times, waiting for each step to show."""
    for i in range(n):
        page.get_by_role("button", name="Step").click()
        expect(root.locator("[data-readout=step]")).to_have_text(str(i + 1))


# --- Roll Downhill (1D) ----------------------------------------------------------------------


def open_training(watched, path: str = "/") -> Page:
    page = watched.open(path)
    page.locator("#training-panel > summary").click()
    return page


def test_a_run_whose_float16_gradient_overflowed_carries_on(watched):
    # loss scale 65536 overflows float16 to +inf; Lion steps by its sign and keeps +inf in
    # its momentum: the next Step and Play resume from that state (they got a 422 before)
    page = watched.open("/?optimizer=lion&lr=0.01&precision=float16&loss_scale=65536&steps=15")
    expect(page.locator("#readout-step")).to_have_text("15")
    page.get_by_role("button", name="Step", exact=True).click()
    expect(page.locator("#readout-step")).to_have_text("16")
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("Number(document.getElementById('readout-step').textContent) >= 20")
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("#status")).not_to_contain_text("Error")
    expect(page.locator("#status")).not_to_have_class("status error")
    assert watched.errors == []


def test_1d_schedule_sets_the_learning_rate_in_effect(watched):
    page = open_training(watched)
    sim = page.locator("#sim")
    expect(page.locator("#readout-lr")).to_have_text("–")
    page.get_by_label("LR schedule").select_option("exponential")
    expect(page.locator("#training .schedule-rule")).to_contain_text("γ")
    steps(page, sim, 5)
    # step 5 runs at epoch 4: 0.1·0.99⁴
    assert number(page.locator("#readout-lr")) == pytest.approx(0.1 * 0.99**4, rel=1e-3)
    page.get_by_label("LR schedule").select_option("constant")
    page.get_by_role("button", name="Reset").click()
    steps(page, sim, 2)
    expect(page.locator("#readout-lr")).to_have_text("0.1")


def test_1d_noise_changes_the_gradient_the_step_uses(watched):
    page = open_training(watched)
    sim = page.locator("#sim")
    exact = number(page.locator("#readout-grad"))  # f′ at the start
    steps(page, sim, 1)
    assert number(page.locator("#readout-applied")) == pytest.approx(exact, rel=1e-3)
    slide(page.get_by_label("Gradient noise σ"), 900)
    page.get_by_role("button", name="Reset").click()
    steps(page, sim, 1)
    noisy = number(page.locator("#readout-applied"))
    assert abs(noisy - exact) > 0.1
    # the same seed, the same draw
    page.get_by_role("button", name="Reset").click()
    steps(page, sim, 1)
    assert number(page.locator("#readout-applied")) == noisy


def test_1d_clipping_caps_the_gradient(watched):
    page = open_training(watched)
    slide(page.get_by_label("Clip gradient value"), 300)
    cap = number(page.locator("output[for='training-option-clip_grad_value']"))
    assert 0 < cap < 1
    steps(page, page.locator("#sim"), 3)
    assert abs(number(page.locator("#readout-applied"))) == pytest.approx(cap, rel=1e-3)


def test_1d_maximize_climbs(watched):
    page = watched.open()
    start_loss = number(page.locator("#readout-loss"))
    page.locator("#hyper-panel > summary").click()
    page.get_by_label("Maximize").check()
    steps(page, page.locator("#sim"), 5)
    assert number(page.locator("#readout-loss")) > start_loss


def test_1d_float16_underflow_and_loss_scaling(watched):
    page = open_training(watched, "/?surface=plateau_wall")
    expect(page.get_by_label("Landscape", exact=True)).to_have_value("plateau_wall")
    page.get_by_label("Optimizer", exact=True).select_option("adam")
    page.get_by_label("Start position").focus()
    page.keyboard.press("End")  # x = 12, far out on the plateau
    expect(page.locator("#start-value")).to_have_text("12.00")
    page.get_by_label("Gradient precision").select_option("float16")
    page.get_by_role("button", name="Step").click()
    expect(page.locator("#status")).to_contain_text("float16 rounds every gradient component")
    expect(page.locator("#readout-applied")).to_have_text("0 (float16 underflow)")
    expect(page.locator("#readout-x")).to_have_text("12")

    # loss scales are powers of two: ten doublings from 1, by the keyboard, is 1024×
    page.get_by_label("Loss scale").focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    expect(page.locator("output[for='training-option-loss_scale']")).to_have_text("1024")
    page.get_by_role("button", name="Reset").click()
    steps(page, page.locator("#sim"), 3)
    assert number(page.locator("#readout-x")) < 12  # Adam walks in
    expect(page.locator("#readout-applied")).not_to_contain_text("float16")


def test_1d_lbfgs_counts_its_evaluations(watched):
    page = watched.open()
    page.get_by_label("Optimizer", exact=True).select_option("lbfgs")
    expect(page.locator("#optimizer-rule")).to_contain_text("two-loop")
    steps(page, page.locator("#sim"), 2)
    assert int(page.locator("#readout-evaluations").inner_text()) > 2


# --- the explorer (2D) -----------------------------------------------------------------------


def open_racer(watched, query: str = "") -> tuple[Page, Locator]:
    page = watched.open(f"/explore{query}", ready="#explorer")
    card = page.locator(".racer").first
    card.locator("details.racer-settings").nth(1).locator("> summary").click()
    return page, card


def test_2d_each_racer_has_its_own_schedule(watched):
    page, card = open_racer(watched)
    card.get_by_label("LR schedule").select_option("linear")
    base = number(card.locator("output[for='r1-lr']"))
    steps(page, card, 1)
    # LinearLR's warm-up starts at start_factor = 1/3 of the rate
    assert number(card.locator("[data-readout=lr]")) == pytest.approx(base / 3, rel=5e-3)
    other = page.locator(".racer").nth(1)
    own = number(other.locator("output[for='r2-lr']"))
    assert number(other.locator("[data-readout=lr]")) == own  # its schedule is still constant


def test_2d_noise_clipping_and_ascent(watched):
    page, card = open_racer(watched, "?surface=himmelblau")
    exact = number(card.locator("[data-readout=gradient]"))  # ‖∇f‖ at the start
    slide(card.get_by_label("Gradient noise σ"), 950)
    steps(page, card, 1)
    assert abs(number(card.locator("[data-readout=applied]")) - exact) > 1.0  # noisy
    slide(card.get_by_label("Clip gradient norm"), 400)
    cap = number(card.locator("output[for='r1-training-option-clip_grad_norm']"))
    page.get_by_role("button", name="Reset").click()
    steps(page, card, 3)
    assert number(card.locator("[data-readout=applied]")) == pytest.approx(cap, rel=1e-3)
    slide(card.get_by_label("Gradient noise σ"), 0)
    slide(card.get_by_label("Clip gradient norm"), 0)
    card.locator("details.racer-settings").first.locator("> summary").click()
    card.get_by_label("Maximize").check()
    page.get_by_role("button", name="Reset").click()
    expect(card.locator("[data-readout=step]")).to_have_text("0")
    expect(card.locator("[data-readout=loss]")).not_to_have_text("–")
    start_loss = number(card.locator("[data-readout=loss]"))
    steps(page, card, 5)
    assert number(card.locator("[data-readout=loss]")) > start_loss


def test_2d_float16_on_the_plateau(watched):
    page, card = open_racer(watched, "?surface=plateau")
    card.get_by_label("Optimizer").select_option("adam")
    for field, value in (("#start-x", "4.6"), ("#start-y", "4.4")):
        page.locator(field).fill(value)
        page.locator(field).press("Enter")
    card.get_by_label("Gradient precision").select_option("float16")
    steps(page, card, 1)
    expect(card.locator(".racer-status")).to_contain_text("float16 rounds every gradient")
    slide(card.get_by_label("Loss scale"), 10)  # 2¹⁰ = 1024×
    page.get_by_role("button", name="Reset").click()
    steps(page, card, 3)
    expect(card.locator(".racer-status")).not_to_contain_text("float16")
    expect(card.locator("[data-readout=position]")).not_to_have_text("(4.6, 4.4)")


def test_2d_second_order_and_langevin_racers(watched):
    page, card = open_racer(watched, "?surface=booth")
    groups = (
        card.get_by_label("Optimizer")
        .locator("optgroup")
        .evaluate_all("gs => gs.map(g => g.label)")
    )
    assert groups == ["Classic", "Adaptive", "Second-order", "Stochastic"]
    card.get_by_label("Optimizer").select_option("newton")
    steps(page, card, 1)
    expect(card.locator("[data-readout=position]")).to_have_text("(1, 3)")  # Booth's minimum
    second = page.locator(".racer").nth(1)
    second.get_by_label("Optimizer").select_option("sgld")
    expect(second.locator(".racer-rule")).to_contain_text("√(2·lr·T)")


# --- the batch size on a model landscape ------------------------------------------------------

NOISY_LINE = "?model=linear&loss=mse&data=noisy_line&start=-3,3&r1=gd"


def test_the_batch_size_is_sized_to_the_data_and_can_be_typed(watched):
    page, card = open_racer(watched, NOISY_LINE)
    slider = card.get_by_label("Batch size", exact=True)
    box = card.get_by_label("Batch size (number)")
    expect(slider).to_have_attribute("max", "20")  # the data set's 20 points, not 1–4096
    expect(box).to_have_value("20")
    box.fill("1")
    box.press("Tab")
    expect(slider).to_have_value("1")
    page.wait_for_function("location.search.includes('r1.batch_size=1')")
    slide(slider, 5)
    expect(box).to_have_value("5")
    box.fill("300")  # beyond the data: the whole set
    box.press("Tab")
    expect(box).to_have_value("20")
    expect(slider).to_have_value("20")
    assert watched.errors == []


def test_a_run_that_diverges_at_batch_size_1_says_why(watched):
    # gradient descent at the engine's suggested rate (0.7) on 20 points: the whole data set
    # settles, a batch of one point throws the ball off
    page = watched.open(f"/explore{NOISY_LINE}&r1.lr=0.7&r1.batch_size=1&steps=40", "#explorer")
    status = page.locator(".racer-status").first
    expect(status).to_contain_text("Diverged")
    expect(status).to_contain_text(
        "batch size 1 makes each step's gradient noisy: try a smaller learning rate or a "
        "larger batch"
    )
    page = watched.open(f"/explore{NOISY_LINE}&r1.lr=0.7&steps=40", "#explorer")
    expect(page.locator(".racer-status").first).not_to_contain_text("batch size")


def test_the_minibatch_lessons_legend_says_which_racer_uses_batch_size_1(watched):
    lessons = watched.page.request.get(f"{watched.base_url}/api/lessons").json()
    (lesson,) = [lesson for lesson in lessons if lesson["id"] == "real_minibatches"]
    page = watched.open(lesson["url"], "#explorer")
    legend = page.locator(".chart-legend li")
    expect(legend).to_have_text(["Gradient descent, full batch", "Gradient descent, batch size 1"])
    second = page.locator(".racer").nth(1)
    second.locator("details.racer-settings").nth(1).locator("> summary").click()
    second.get_by_label("Batch size (number)").fill("5")
    second.get_by_label("Batch size (number)").press("Tab")
    expect(legend).to_have_text(["Gradient descent, full batch", "Gradient descent, batch size 5"])
    # two racers that differ in their rate are named by it; identical ones are numbered
    page = watched.open("/explore?surface=ravine&r1=gd&r1.lr=0.09&r2=gd&r2.lr=0.11", "#explorer")
    expect(page.locator(".chart-legend li")).to_have_text(
        ["Gradient descent, lr 0.09", "Gradient descent, lr 0.11"]
    )
    page = watched.open("/explore?surface=ravine&r1=adam&r2=adam", "#explorer")
    expect(page.locator(".chart-legend li")).to_have_text(["Adam 1", "Adam 2"])
