"""Every lesson opens as its link says, and a predict-first lesson checks the guess."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from app.api.lessons import lesson_url
from app.engine.lessons import LESSONS


def test_every_lesson_opens_without_console_errors(watched):
    for lesson in LESSONS.values():
        ready = "#sim" if lesson.page == "roll" else "#explorer"
        page = watched.open(lesson_url(lesson), ready=ready)
        expect(page.locator(".lesson h2")).to_have_text(lesson.title)
        expect(page.locator("#lesson-look-for")).to_have_text(lesson.look_for)
        if lesson.page == "explore":
            expect(page.locator(".racer")).to_have_count(len(lesson.racers))
        assert watched.errors == [], (lesson.id, watched.errors)
    assert watched.blocked == []


def test_a_predict_first_lesson_waits_for_a_guess_and_says_if_it_was_right(watched):
    page = watched.open(
        "/?surface=roll_downhill&start=3.5&optimizer=gd&lr=1&lesson=lr_too_large&predict=1"
    )
    expect(page.get_by_text("What will happen?")).to_be_visible()
    play = page.get_by_role("button", name="Play")
    expect(play).to_be_disabled()
    page.get_by_label(re.compile("keeps bouncing")).check()
    expect(play).to_be_enabled()
    page.get_by_label("Speed", exact=True).focus()
    page.keyboard.press("End")
    play.click()
    expect(page.locator("#prediction-result")).to_have_text(
        re.compile(r"^You predicted it: It keeps bouncing"), timeout=15_000
    )
    expect(page.locator("#status")).to_have_text(re.compile(r"^Still bouncing after 1000 steps"))
