"""The presenter layout: a lesson runs on one screen, at a projector and on a laptop.

For every lesson of the catalog and every network lesson (/network), opened by its gallery link
at 1920×1080 and 1280×800 (and at 1920×1080 in projector mode), the plot, Play, the verdict
(#status), the lesson's title and — predict-first — its question and the guesses all lie inside
the viewport without scrolling (issue 21); a network lesson with a landscape view shows the
view's plot beside the verdict once its run has ended. One page per screen size serves every
lesson, so the run stays short.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from app.api.lessons import list_network_lessons
from app.api.urlstate import lesson_url
from app.lessons import LESSONS, Lesson

SCREENS = {
    "1920x1080": (1920, 1080, False),
    "1280x800": (1280, 800, False),
    "1920x1080-projector": (1920, 1080, True),
}

NET_LESSONS = {lesson.id: lesson for lesson in list_network_lessons()}
FASTEST = "9"  # the speed slider's last position (500 steps/s, app/facts.py SPEEDS)

BOX = "(el) => { const b = el.getBoundingClientRect(); return [b.x, b.y, b.width, b.height]; }"


def ready_selector(lesson_or_path: Lesson | str) -> str:
    page = lesson_or_path.page if isinstance(lesson_or_path, Lesson) else lesson_or_path
    return "#sim" if page == "roll" else "#explorer"


@pytest.fixture(scope="module")
def screens(browser: Browser, server) -> Iterator[dict[str, Page]]:
    """One page per screen size (its own context: projector mode stays with its screen)."""
    pages: dict[str, Page] = {}
    for name, (width, height, _) in SCREENS.items():
        context = browser.new_context(viewport={"width": width, "height": height})
        context.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith(server.url) else route.abort()
            ),
        )
        pages[name] = context.new_page()
    yield pages
    for page in pages.values():
        page.context.close()


def outside(page: Page, selector: str) -> str | None:
    """Why the element is not wholly on the first screen (None: it is)."""
    width, height = page.viewport_size["width"], page.viewport_size["height"]  # type: ignore[index]
    x, y, w, h = page.locator(selector).first.evaluate(BOX)
    if w <= 0 or h <= 0:
        return f"{selector} is not shown"
    if x < 0 or y < 0 or x + w > width + 0.5 or y + h > height + 0.5:
        return f"{selector} at x {x:.0f}–{x + w:.0f}, y {y:.0f}–{y + h:.0f} in {width}×{height}"
    return None


def hidden_guesses(page: Page) -> int:
    """Guesses out of sight: what is seen at a radio button's middle is something else."""
    return page.locator("#predict input[type=radio]").evaluate_all(
        "(els) => els.filter((el) => { const b = el.getBoundingClientRect();"
        " return document.elementFromPoint(b.x + b.width / 2, b.y + b.height / 2) !== el; })"
        ".length"
    )


def open_lesson(page: Page, base_url: str, lesson: Lesson, projector: bool) -> None:
    link = lesson_url(lesson) + ("&projector=1" if projector else "")
    page.goto(base_url + link)
    page.wait_for_selector(f"{ready_selector(lesson)}[data-ready=true]", timeout=20_000)


@pytest.mark.parametrize("screen", list(SCREENS))
@pytest.mark.parametrize("lesson_id", list(LESSONS))
def test_a_lesson_is_played_on_one_screen(screens, server, screen, lesson_id):
    lesson = LESSONS[lesson_id]
    page = screens[screen]
    open_lesson(page, server.url, lesson, SCREENS[screen][2])
    assert page.evaluate("window.scrollY") == 0
    plot = "#plot" if lesson.page == "roll" else "#landscape"
    wanted = [plot, "#play", "#step", "#reset", "#status", "#lesson-title"]
    if lesson.predict:
        wanted += ["#lesson-question", "#predict"]
    faults = [why for why in (outside(page, s) for s in wanted) if why]
    assert not faults, f"{lesson_id} at {screen}: {faults}"
    if lesson.predict:  # every guess in view, none scrolled away inside the lesson's box
        hidden = hidden_guesses(page)
        assert hidden == 0, f"{lesson_id} at {screen}: {hidden} guesses out of sight"


@pytest.mark.parametrize("screen", ["1920x1080-projector", "1280x800"])
@pytest.mark.parametrize("lesson_id", [i for i, x in LESSONS.items() if x.page == "explore"])
def test_after_a_race_each_racers_verdict_is_beside_the_plot_and_play(
    screens, server, screen, lesson_id
):
    # The status said only "Paused after 1000 steps": how each racer ended was on its card,
    # a screen or more further down. Now a line per racer under the status, and Play in view.
    lesson = LESSONS[lesson_id]
    page = screens[screen]
    open_lesson(page, server.url, lesson, SCREENS[screen][2])
    for group in page.locator("#predict fieldset").all():  # predict-first: a guess each
        group.locator("input[type=radio]").first.check()
    page.locator("#jump-end").click()
    expect(page.locator("#status")).to_have_text(
        re.compile(r"^(Paused after|Race over after) "), timeout=60_000
    )
    # (a predict-first lesson's box tells the end of each ball it asked about, by the guess)
    lines = page.locator("#status .status-racer").all_inner_texts()
    assert len(lines) == len(lesson.racers) - len(lesson.asks), lines
    faults = [why for why in (outside(page, s) for s in ["#landscape", "#play", "#status"]) if why]
    assert not faults, f"{lesson_id} at {screen}: {faults}"


def open_net_lesson(page: Page, base_url: str, lesson_id: str, projector: bool) -> None:
    page.goto(base_url + NET_LESSONS[lesson_id].url + ("&projector=1" if projector else ""))
    page.wait_for_selector("#network[data-ready=true]", timeout=20_000)


@pytest.mark.parametrize("screen", list(SCREENS))
@pytest.mark.parametrize("lesson_id", list(NET_LESSONS))
def test_a_network_lesson_is_played_on_one_screen(screens, server, screen, lesson_id):
    lesson = NET_LESSONS[lesson_id]
    page = screens[screen]
    open_net_lesson(page, server.url, lesson_id, SCREENS[screen][2])
    assert page.evaluate("window.scrollY") == 0
    wanted = ["#decision", "#play", "#step", "#reset", "#status", "#lesson-title"]
    if lesson.predict:
        wanted += ["#lesson-question", "#predict"]
    faults = [why for why in (outside(page, s) for s in wanted) if why]
    assert not faults, f"{lesson_id} at {screen}: {faults}"
    if lesson.predict:
        assert hidden_guesses(page) == 0, f"{lesson_id} at {screen}: guesses out of sight"


@pytest.mark.parametrize("screen", list(SCREENS))
@pytest.mark.parametrize("lesson_id", [i for i, lesson in NET_LESSONS.items() if lesson.view])
def test_a_network_lesson_s_view_arrives_beside_the_verdict(screens, server, screen, lesson_id):
    # the run at the fastest speed; once it has ended the view is computed and shown on the
    # first screen, with the verdict and Play, without scrolling
    page = screens[screen]
    open_net_lesson(page, server.url, lesson_id, SCREENS[screen][2])
    page.locator("#speed").evaluate(
        f"(el) => {{ el.value = '{FASTEST}'; el.dispatchEvent(new Event('input')); }}"
    )
    page.locator("#play").click()
    page.wait_for_selector("#netview-result:not([hidden])", timeout=60_000)
    page.wait_for_selector("#netview-plot .main-svg", timeout=20_000)
    page.wait_for_timeout(600)  # a smooth scroll (none is needed where all is in view)
    assert page.evaluate("window.scrollY") == 0
    faults = [
        why for why in (outside(page, s) for s in ["#netview-plot", "#play", "#status"]) if why
    ]
    assert not faults, f"{lesson_id} at {screen}: {faults}"
    assert "step" in page.locator("#status").inner_text()  # the run's verdict, not "Press Play"


def test_the_first_screen_of_a_laptop_has_the_verdict_and_a_model_s_play(screens, server):
    page = screens["1280x800"]
    page.goto(server.url + "/")
    page.wait_for_selector("#sim[data-ready=true]")
    assert outside(page, "#status") is None
    page.goto(server.url + "/explore")
    page.wait_for_selector("#explorer[data-ready=true]")
    page.get_by_label("Landscape", exact=True).select_option(label="A model on data")
    page.wait_for_selector("#data-panel:not([hidden])")
    faults = [outside(page, s) for s in ["#landscape", "#play", "#status"]]
    assert faults == [None, None, None]


def test_a_phone_shows_a_wide_map_with_play_and_the_status(browser: Browser, server):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    for path in ["/explore", "/explore?projector=1", lesson_url(LESSONS["saddle_point"])]:
        page.goto(server.url + path)
        page.wait_for_selector("#explorer[data-ready=true]")
        drawn = page.locator("#landscape .nsewdrag").first.evaluate(BOX)
        assert drawn[2] >= 300, f"{path}: the map is {drawn[2]:.0f} px wide"
        if "projector" in path:
            continue  # projector type on a phone: it need only not scroll sideways (below)
        page.locator("#landscape").evaluate("(el) => el.scrollIntoView({block: 'start'})")
        faults = [outside(page, s) for s in ["#play", "#status"]]
        assert faults == [None, None], path
    context.close()


@pytest.mark.parametrize(("width", "height"), [(360, 740), (1280, 800), (1920, 1080)])
def test_projector_mode_never_scrolls_sideways(browser: Browser, server, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    lessons = [lesson_url(LESSONS["lr_too_large"]), lesson_url(LESSONS["saddle_point"])]
    for path in ["/", "/explore", *lessons]:
        page.goto(server.url + path + ("&" if "?" in path else "?") + "projector=1")
        page.wait_for_selector("[data-ready=true]", timeout=20_000)
        page.evaluate("document.querySelectorAll('details').forEach((d) => (d.open = true))")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{path} at {width} px: {scroll} px wide"
    context.close()


@pytest.mark.parametrize("lesson_id", [i for i, lesson in LESSONS.items() if lesson.predict])
def test_the_verdict_after_a_guess_shares_the_screen_with_play(screens, server, lesson_id):
    # after the run the box reveals the lesson's texts; the verdicts and Play stay in view
    page = screens["1280x800"]
    page.goto(server.url + lesson_url(LESSONS[lesson_id]) + "&speed=500")
    page.wait_for_selector("[data-ready=true]", timeout=20_000)
    for group in page.locator("#predict fieldset").all():  # a guess for every ball asked about
        group.locator("input[type=radio]").first.check()
    page.locator("#play").click()
    page.wait_for_selector("#prediction-result.right, #prediction-result.wrong", timeout=60_000)
    faults = [outside(page, s) for s in ["#play", "#status", "#prediction-result"]]
    assert faults == [None, None, None]
    # not hidden inside the box either: what is seen at the verdict's middle is the verdict
    seen = page.locator("#prediction-result").evaluate(
        "(el) => { const b = el.getBoundingClientRect();"
        " return el.contains(document.elementFromPoint(b.x + b.width / 2, b.y + b.height / 2)); }"
    )
    assert seen
