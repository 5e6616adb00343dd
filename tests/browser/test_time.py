"""Time under control: the engine's running verdict worded while a run plays, a step
scrubber that shows any computed step, Jump to the end, fast speeds with bounded drawing,
and a lesson's verdict within seconds of Play."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from app.api.urlstate import lesson_url
from app.lessons import LESSONS


def scrub(page, step: int) -> None:
    """Drag the scrubber to `step` (as a drag does: the range's value, then an input event)."""
    page.eval_on_selector(
        "#scrub", "(el, v) => { el.value = String(v); el.dispatchEvent(new Event('input')); }", step
    )


def readout(page, name: str) -> str:
    return page.text_content(f"#readout-{name}") or ""


def test_the_status_line_words_the_running_verdict_while_the_ball_rolls(watched):
    page = watched.open("/?lr=1.2&speed=30")
    page.get_by_role("button", name="Play").click()
    # the engine judges after a window of 64 steps: about 2 s at 30 steps/s
    expect(page.locator("#status")).to_contain_text("Bouncing so far — step", timeout=8000)
    assert page.get_by_role("button", name="Pause").is_visible()  # still playing
    assert not watched.errors


def test_the_scrubber_moves_the_ball_back_and_jump_to_the_end_shows_the_outcome(watched, server):
    page = watched.open("/?lr=1.2&speed=10")
    page.get_by_role("button", name="Jump to the end").click()
    # the engine ends the run at its outcome's step: bouncing for two full windows
    expect(page.locator("#status")).to_contain_text("bouncing after 128 steps", timeout=8000)
    assert readout(page, "step") == "128"
    end_x = readout(page, "x")

    scrub(page, 40)
    expect(page.locator("#readout-step")).to_have_text("40")
    run = {"surface": "roll_downhill", "optimizer": "sgd", "hyperparameters": {"lr": 1.2}}
    body = {"runs": [{**run, "start": [3.5], "steps": 40}]}
    x40 = httpx.post(f"{server.url}/api/runs", json=body).json()["runs"][0]["positions"][-1][0]
    assert abs(float(readout(page, "x")) - x40) < 1e-3  # the ball where it was at step 40
    assert readout(page, "x") != end_x
    expect(page.locator("#status")).to_contain_text("Step 40 of 128")
    expect(page.locator("#scrub-value")).to_have_text("step 40 of 128")

    scrub(page, 128)  # back to the end: the outcome again
    expect(page.locator("#readout-step")).to_have_text("128")
    assert readout(page, "x") == end_x
    expect(page.locator("#status")).to_contain_text("bouncing after 128 steps")
    assert not watched.errors


def test_play_from_a_scrubbed_back_step_plays_the_kept_steps_on(watched):
    page = watched.open("/?lr=1.2&speed=500")
    page.get_by_role("button", name="Jump to the end").click()
    expect(page.locator("#readout-step")).to_have_text("128", timeout=8000)
    scrub(page, 10)
    expect(page.locator("#readout-step")).to_have_text("10")
    page.get_by_role("button", name="Play").click()
    # the kept steps again, then on from the end (a bouncing ball is not at rest)
    page.wait_for_function("Number(document.getElementById('readout-step').textContent) > 128")
    assert not watched.errors


def test_the_explorer_scrubs_every_racer_and_jumps_to_each_outcome(watched):
    lesson = LESSONS["saddle_point"]
    page = watched.open(lesson_url(lesson), ready="#explorer")
    for ball in page.locator(".predict-ball").all():  # a guess for each ball asked about
        ball.locator("input[type=radio]").first.check()
    page.get_by_role("button", name="Jump to the end").click()
    statuses = page.locator(".racer-status")
    expect(statuses.nth(0)).to_contain_text("Ran away", timeout=8000)
    expect(statuses.nth(1)).to_contain_text("saddle point")
    scrub(page, 1)
    expect(page.locator("#scrub-value")).to_have_text("step 1 of 41")
    expect(statuses.nth(0)).to_contain_text("Step 1 of 41")
    assert not watched.errors


def test_five_hundred_steps_a_second_keep_one_draw_a_frame(watched):
    page = watched.open("/?surface=plateau_wall&start=2.5&lr=0.01&speed=500")  # crawls on
    page.evaluate("window.__draws.maxPerFrame = 0")
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(
        "Number(document.getElementById('readout-step').textContent) >= 600", timeout=10_000
    )
    assert page.evaluate("window.__draws.maxPerFrame") <= 2
    assert not watched.errors


def test_a_predict_first_lesson_reveals_its_verdict_within_seconds(watched):
    page = watched.open(lesson_url(LESSONS["lr_too_large"]))
    page.locator("#predict input[type=radio]").first.check()
    page.get_by_role("button", name="Play").click()
    # bouncing for good is decided at step 176: about 6 s at the lesson's 30 steps/s
    page.wait_for_function(
        "/predicted|Not quite/.test(document.getElementById('prediction-result').textContent)",
        timeout=15_000,
    )
    assert not watched.errors


def test_the_race_status_words_each_racers_running_verdict(watched):
    page = watched.open(
        "/explore?surface=saddle&start=1.8,0.01&r1=gd&r1.lr=0.01&r2=newton&speed=60",
        ready="#explorer",
    )
    page.get_by_role("button", name="Play").click()
    # Newton stops on the saddle at once; gradient descent dawdles off it, judged after 64 steps
    expect(page.locator("#status")).to_contain_text(
        "Gradient descent: still crawling", timeout=8000
    )
    assert not watched.errors


def test_a_predict_first_lesson_holds_jump_to_the_end_until_a_guess(watched):
    page = watched.open(lesson_url(LESSONS["lr_too_large"]))
    jump = page.get_by_role("button", name="Jump to the end")
    expect(jump).to_be_disabled()  # it would show the answer before the guess
    page.locator("#predict input[type=radio]").first.check()
    expect(jump).to_be_enabled()
    jump.click()
    page.wait_for_function(
        "/predicted|Not quite/.test(document.getElementById('prediction-result').textContent)",
        timeout=8000,
    )
