"""A lesson's short link, as a teacher types it, opens the lesson as its gallery card does:
the question first (predict-first), over the lesson's settings, in the view the teacher asked
for; an unknown id is said on the page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from app.lessons import LESSONS


def test_a_short_link_opens_the_lessons_question_at_its_rate_in_projector_mode(watched):
    lesson = LESSONS["lr_too_large"]
    page = watched.open("/?lesson=lr_too_large&projector=1")
    expect(page.locator(".lesson h2")).to_have_text("What will happen?")
    expect(page.locator("#lesson-question")).to_have_text(lesson.question)
    expect(page.locator("#lesson-look-for")).to_be_hidden()  # held back until the run ends
    expect(page.get_by_role("button", name="Play")).to_be_disabled()
    assert page.locator("#lr").input_value() == "0.6"  # the lesson's rate, not the page's 0.10
    expect(page.locator("#lr-value")).to_have_text("0.60")
    assert page.evaluate("document.documentElement.classList.contains('projector')")
    query = parse_qs(urlsplit(page.url).query)
    assert query["lesson"] == ["lr_too_large"] and query["projector"] == ["1"]
    assert query["predict"] == ["1"] and query["lr"] == ["0.6"]
    assert watched.errors == [] and watched.blocked == []


def test_an_unknown_lesson_is_said_above_the_page(watched):
    page = watched.open("/?lesson=lr_too_larg")
    notice = page.get_by_role("alert").filter(has_text="no lesson called")
    expect(notice).to_be_visible()
    expect(notice.get_by_role("link", name="lr_too_large")).to_be_visible()
    expect(page.locator(".lesson")).to_have_count(0)  # no lesson's box, as if one had opened
