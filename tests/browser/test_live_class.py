"""A live class in real browsers: the teacher's page and each student's page in contexts of
their own (their own sessionStorage, as on separate devices), against the real server, with
the pages' Content-Security-Policy enforced and every non-local request blocked.

A student's page follows the teacher's lesson and Play, sends the guess as the answer; the
teacher's page shows the tally; the reveal (the engine's outcome, decided by the server) tells
each student whether they were right; an experiment's runs land in the teacher's picture; and
the join page and the student's bar work on a 360 px phone."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LOCAL_HOSTS

pytestmark = pytest.mark.csp  # the policy is enforced: no inline script may be needed

RIGHT = "It keeps bouncing and never settles."  # lr_too_large's engine outcome (bouncing)
WRONG = "It reaches the lowest valley (the global minimum)."
POINTS = "document.getElementById('class-experiment-plot').data.reduce((n, t) => n + t.x.length, 0)"
WIDTH = "document.documentElement.scrollWidth"


@pytest.fixture
def device(browser: Browser, server) -> Iterator[Callable[..., Page]]:
    """A new device: a page in a fresh browser context of `width` px, its errors collected
    (none may happen) and every non-local request refused."""
    contexts = []
    errors: list[str] = []

    def route(route):
        host = urlsplit(route.request.url).hostname or ""
        if host in LOCAL_HOSTS or f"[{host}]" in LOCAL_HOSTS:
            route.continue_()
        else:
            route.abort()

    def make(width: int = 1280, height: int = 900) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height})
        context.route("**/*", route)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on(
            "console",
            lambda m: (
                m.type == "error" and "Content Security Policy" in m.text and errors.append(m.text)
            ),
        )
        return page

    yield make
    for context in contexts:
        context.close()
    server.check_alive()
    assert errors == []


def start_class(page: Page, base: str) -> str:
    """/class/new → Start a class → the teacher's class home; its join code."""
    page.goto(f"{base}/class/new")
    page.get_by_role("button", name="Start a class").click()
    page.wait_for_selector("#class-teach[data-ready=true]")
    expect(page.locator("#class-state")).to_have_text("Joining is open.")
    assert "#key=" not in page.url  # the key left the address bar (a projector shows it)
    return page.locator("#class-code").inner_text().strip()


def join(page: Page, base: str, code: str) -> None:
    """/join with the code typed in lower case (codes are case-insensitive): waiting."""
    page.goto(f"{base}/join")
    page.get_by_label("The code on the board").fill(code.lower())
    page.get_by_role("button", name="Join").click()
    expect(page.locator("#class-waiting-text")).to_contain_text("Waiting for the teacher")


def test_students_follow_the_lesson_answer_and_hear_whether_they_were_right(device, server):
    teacher = device(1280, 900)
    code = start_class(teacher, server.url)
    phone, laptop = device(360, 740), device(1280, 900)
    join(phone, server.url, code)
    join(laptop, server.url, code)
    expect(teacher.locator("#class-joined")).to_have_text("2")
    assert phone.evaluate(WIDTH) <= 360  # the join page fits a phone

    # the teacher opens a predict-first lesson: both students' pages open it
    teacher.locator(".class-lesson[data-lesson=lr_too_large] a").click()
    teacher.wait_for_selector("#sim[data-ready=true]")
    for student in (phone, laptop):
        student.wait_for_url(re.compile(r"lesson=lr_too_large.*class="), timeout=20_000)
        student.wait_for_selector("#sim[data-ready=true]")
        expect(student.locator("#class-bar-line")).to_contain_text("Following the teacher")
        expect(student.get_by_role("button", name="Play")).to_be_disabled()
    # the teacher's lesson asks nobody on the projector for a guess, and holds no button
    expect(teacher.locator("#predict")).to_have_count(0)
    expect(teacher.get_by_role("button", name="Play")).to_be_enabled()

    teacher.get_by_role("button", name="Ask the class").click()
    expect(phone.locator("#class-answer")).to_contain_text("make your guess")
    phone.get_by_label(RIGHT).check()
    laptop.get_by_label(WRONG).check()
    expect(phone.locator("#class-answer")).to_contain_text("Your answer is in")
    expect(laptop.locator("#class-answer")).to_contain_text("Your answer is in")
    expect(teacher.locator("#class-answered")).to_have_text("2 of 2 answered")
    rows = teacher.locator(".class-tally-row")
    expect(rows.filter(has_text=RIGHT).locator(".class-tally-count")).to_have_text("1")
    expect(rows.filter(has_text=WRONG).locator(".class-tally-count")).to_have_text("1")
    assert phone.evaluate(WIDTH) <= 360  # the lesson and the class bar fit a phone

    # Play on the teacher's page plays every student's ball
    teacher.get_by_role("button", name="Play").click()
    for student in (phone, laptop):
        expect(student.locator("#readout-step")).not_to_have_text("0", timeout=10_000)
    # the rest of the press at once; the asked ball's run has ended: the server's answer
    teacher.get_by_role("button", name="Jump to the end").click()
    expect(teacher.locator(".class-tally-share")).to_have_text(
        "50% of those who answered had it right.", timeout=20_000
    )
    expect(rows.filter(has_text=RIGHT)).to_have_class(re.compile(r"\bright\b"))
    expect(phone.locator("#class-right")).to_have_text(f"You were right: “{RIGHT}”")
    expect(laptop.locator("#class-right")).to_have_text(f"Not quite: the answer was “{RIGHT}”")
    # the teacher's lesson box now shows what it held back
    expect(teacher.locator("#lesson-title")).not_to_have_text("What will happen?")
    # every student's page tells the run as the teacher's does: the engine's outcome
    # (the exact step an early end is told at can differ by a few: the engine judges the run
    # it is sent, and the teacher's resumed mid-event)
    for student in (phone, laptop):
        expect(student.locator("#status")).to_contain_text(
            "the learning rate is too large to settle"
        )


def test_a_class_experiment_draws_each_students_run(device, server):
    teacher = device(1280, 900)
    code = start_class(teacher, server.url)
    students = [device(360, 740), device(1280, 900)]
    for student in students:
        join(student, server.url, code)
    teacher.locator(".class-sim-link", has_text="Roll Downhill").click()
    teacher.wait_for_selector("#sim[data-ready=true]")
    for student in students:
        student.wait_for_selector("#sim[data-ready=true]", timeout=20_000)

    # Step, step, step: every student's ball steps with the teacher's; a late joiner catches up
    for step in range(1, 4):  # each press once the last step is shown, as a teacher presses
        teacher.get_by_role("button", name="Step").click()
        expect(teacher.locator("#readout-step")).to_have_text(str(step))
    late = device(360, 740)
    late.goto(f"{server.url}/join?code={code}")
    late.get_by_role("button", name="Join").click()
    late.wait_for_selector("#sim[data-ready=true]", timeout=20_000)
    for student in (*students, late):
        expect(student.locator("#readout-step")).to_have_text("3")
        expect(student.locator("#readout-x")).to_have_text(
            teacher.locator("#readout-x").inner_text()
        )
    students.append(late)

    # Let them explore: the students' buttons are theirs; Bring everyone back: following again
    teacher.get_by_role("button", name="Let them explore").click()
    for student in students:
        expect(student.locator("#class-bar-line")).to_contain_text("Explore on your own")
        expect(student.get_by_role("button", name="Play")).to_be_enabled()
    teacher.get_by_role("button", name="Bring everyone back").click()
    for student in students:
        expect(student.locator("#class-bar-line")).to_contain_text(
            "Following the teacher", timeout=20_000
        )
        expect(student.get_by_role("button", name="Play")).to_be_disabled()

    teacher.locator("#class-experiment summary").click()
    teacher.get_by_label("Each student chooses").select_option("lr")
    teacher.get_by_role("button", name="Start the experiment").click()
    expect(teacher.locator("#class-experiment-count")).to_contain_text("0 runs so far")
    for student, lr in zip(students, ("0.1", "0.6", "0.6"), strict=True):
        expect(student.locator("#class-try-ask")).to_contain_text("pick a learning rate")
        student.locator("#class-try").get_by_label("Learning rate").fill(lr)
        student.get_by_role("button", name="Play my value").click()
        expect(student.locator("#class-try-result")).to_contain_text(
            f"Sent. With learning rate {lr}"
        )
        # their own ball plays the value they sent
        expect(student.locator("#readout-step")).not_to_have_text("0", timeout=10_000)
    expect(teacher.locator("#class-experiment-count")).to_contain_text("3 runs so far")
    expect(teacher.locator("#class-experiment-legend li")).to_have_count(2)
    assert teacher.evaluate(POINTS) == 3
    legend = teacher.locator("#class-experiment-legend").inner_text()
    assert "settle in local minimum 2" in legend and "still bouncing" in legend, legend
    assert students[0].evaluate(WIDTH) <= 360

    # the class ends from its home: every student's page is theirs again
    teacher.get_by_role("link", name="Class home").click()
    teacher.wait_for_selector("#class-teach[data-ready=true]")
    teacher.get_by_role("button", name="End the class").click()
    teacher.get_by_role("button", name="End it").click()
    expect(teacher.locator("#class-state")).to_have_text("The class has ended.")
    for student in students:
        expect(student.locator("#class-bar-line")).to_have_text(
            "The class has ended: this page is yours again."
        )
        expect(student.locator("#play")).to_be_enabled()  # Play, or Pause while it rolls


def test_the_join_page_says_why_a_code_is_refused(device, server):
    phone = device(360, 740)
    phone.goto(f"{server.url}/join")
    phone.get_by_label("The code on the board").fill("zz")
    phone.get_by_role("button", name="Join").click()
    expect(phone.locator("#class-join-error")).to_have_text(
        "Type the code from the board: six letters and digits."
    )
    phone.get_by_label("The code on the board").fill("ZZZZZZ")
    phone.get_by_role("button", name="Join").click()
    expect(phone.locator("#class-join-error")).to_contain_text(
        "There is no open class with that code"
    )
    assert phone.evaluate(WIDTH) <= 360
    # a class page without the class's key or token says what to do
    made = httpx.post(f"{server.url}/api/classes", json={}).json()
    phone.goto(f"{server.url}/?class={made['code']}")
    phone.wait_for_selector("#sim[data-ready=true]")
    expect(phone.locator("#class-bar-line")).to_contain_text(
        f"You have not joined class {made['code']}"
    )
    expect(phone.get_by_role("link", name="Join the class")).to_have_attribute(
        "href", f"/join?code={made['code']}"
    )
