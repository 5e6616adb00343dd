"""Every lesson opens as its link says, and a predict-first lesson checks the guess.

A lesson's link is written by the server (app/api/urlstate.py) and read by the page
(static/js/state/urlstate.js), which then rewrites its address from what it read.  Opening every
link and comparing the two addresses is the round trip that fails when the codecs disagree
(``maximize=true`` against the pages' ``1``, a number the page reads otherwise).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, expect

from app.api.urlstate import encode_point, js_number, lesson_url
from app.engine.suggest import suggested_lrs
from app.engine.surfaces import SURFACES, Surface
from app.lessons import LESSONS, Lesson


def query(search: str) -> dict[str, str]:
    """An address's parameters (each given once)."""
    raw = parse_qs(urlsplit(search).query, keep_blank_values=True, strict_parsing=True)
    assert all(len(v) == 1 for v in raw.values()), search
    return {k: v[0] for k, v in raw.items()}


def served(lesson: Lesson) -> Surface:
    """The landscape as the page's catalog serves it, before the link's parameters."""
    return SURFACES[lesson.surface] if lesson.surface else lesson.bound_surface()


def opening_value(page: Page, lesson: Lesson, key: str) -> str | float:
    """What the page opened with for a key a lesson link always writes but the page leaves
    out of its address at its default: the start the catalog serves, the explorer's
    suggested rate, or what Roll Downhill's controls show."""
    if key == "start":
        return encode_point(served(lesson).start)
    if lesson.page == "explore":  # r<i>.lr: the rate the catalog suggests for the choice
        (slot,) = re.fullmatch(r"r(\d)\.lr", key).groups()  # type: ignore[union-attr]
        return js_number(suggested_lrs(served(lesson))[lesson.racers[int(slot) - 1].choice])
    label = {"surface": "Landscape", "optimizer": "Optimizer", "lr": "Learning rate"}[key]
    shown = page.get_by_label(label, exact=True).input_value()
    return float(shown) if key == "lr" else shown


def test_every_lesson_opens_as_its_link_says_and_its_page_writes_the_link_back(watched):
    for lesson in LESSONS.values():
        link = lesson_url(lesson)
        ready = "#sim" if lesson.page == "roll" else "#explorer"
        page = watched.open(link, ready=ready)
        if lesson.predict:  # asks first: what tells the answer is held back (below)
            expect(page.locator("#lesson-question")).to_have_text(lesson.question)
        else:
            expect(page.locator(".lesson h2")).to_have_text(lesson.title)
            expect(page.locator("#lesson-look-for")).to_have_text(lesson.look_for)
        if lesson.page == "explore":
            expect(page.locator(".racer")).to_have_count(len(lesson.racers))
        assert watched.errors == [], (lesson.id, watched.errors)
        wanted, written = query(link), query(page.evaluate("window.location.search"))
        # Every value the page writes, it writes as the link has it, text for text ...
        for key, value in written.items():
            assert wanted.get(key) == value, (lesson.id, key, value, wanted.get(key))
        # ... and it leaves out only what a link always writes, where that is its default.
        for key in wanted.keys() - written.keys():
            assert key in ("surface", "optimizer", "start", "lr") or re.fullmatch(
                r"r\d\.lr", key
            ), (lesson.id, key, "read as its default")
            value = opening_value(page, lesson, key)
            expected = float(wanted[key]) if isinstance(value, float) else wanted[key]
            assert value == expected, (lesson.id, key, value, wanted[key])
    assert watched.blocked == []


NUMBERS = [1.0, 0.019, 1e-08, 5e-05, 1.5e-07, 1e21, 1e-06, 0.1 + 0.2, 2.0**60, -2.5, 1 / 3]
POINTS = [1024.125, 1 / 3, -123456.5, 1.23456789e-05, 99999.95, 4.5]


def test_the_server_writes_numbers_and_points_as_the_pages_javascript_does(watched):
    page = watched.open("/")
    strings = page.evaluate("(values) => values.map(String)", NUMBERS)
    assert [js_number(v) for v in NUMBERS] == strings
    points = page.evaluate(
        "(values) => values.map((v) => String(Number(v.toPrecision(6))))", POINTS
    )
    assert [encode_point((v,)) for v in POINTS] == points


PREDICT_FIRST = [lesson for lesson in LESSONS.values() if lesson.predict]


def test_no_predict_first_lesson_shows_its_answer_before_the_run(watched):
    for lesson in PREDICT_FIRST:
        page = watched.open(
            lesson_url(lesson), ready="#sim" if lesson.page == "roll" else "#explorer"
        )
        expect(page.locator(".lesson h2")).to_have_text("What will happen?")
        expect(page.locator("#lesson-question")).to_be_visible()
        shown = page.locator("main").inner_text()
        for field in lesson.reveal:  # the texts the server says tell the answer
            assert getattr(lesson, field) not in shown, (lesson.id, field)
        expect(page.get_by_role("button", name="Play")).to_be_disabled()
    assert watched.errors == [] and watched.blocked == []


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
    expect(page.locator("#status")).to_have_text(re.compile(r"^Still bouncing after \d+ steps"))
    # the run has ended: the lesson's title and what to look for are shown now
    lesson = LESSONS["lr_too_large"]
    expect(page.locator(".lesson h2")).to_have_text(lesson.title)
    expect(page.locator("#lesson-look-for")).to_have_text(lesson.look_for)
    expect(page.locator("#lesson-question")).to_be_hidden()
