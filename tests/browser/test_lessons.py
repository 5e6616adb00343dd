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

from app.api.lessons import list_network_lessons
from app.api.urlstate import encode_point, js_number, lesson_url
from app.engine.suggest import suggested_lrs
from app.engine.surfaces import SURFACES, Surface
from app.facts import RACER_STYLES
from app.lessons import LESSONS, Lesson
from app.outcome_words import NET_OUTCOME_WORDS, OUTCOME_WORDS


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
NET_PREDICT_FIRST = [lesson for lesson in list_network_lessons() if lesson.predict]
WAIT = "Make your guess first"


def answers(lesson: Lesson) -> list[str]:
    """Texts that tell a predict-first lesson's answer: its reveal texts (the server names
    them), and the words the page uses for a right outcome once a run has ended — its gloss,
    and every fixed piece of its status sentences, race summaries and map legends (the parts
    between the {names} the page fills in)."""
    texts = [getattr(lesson, field) for field in lesson.reveal]
    for outcome in {o for racer in lesson.racers for o in racer.expected}:
        words = OUTCOME_WORDS[outcome]
        texts.append(words["gloss"])
        for kind in ("sentence", "share", "ended"):
            variants = words[kind].values()
            texts += [piece.strip() for v in variants for piece in re.split(r"\{\w+\}", v)]
    # ... but not what a choice says itself (float16_stuck's gloss is its guess's reason)
    offered = " ".join(OUTCOME_WORDS[choice]["guess"] for choice in lesson.choices)
    return [text for text in texts if len(text) >= 12 and text not in offered]


def net_answers(lesson) -> list[str]:
    """The same for a network lesson (GET /api/networks/lessons): its reveal texts, and the
    fixed pieces of the network outcome words of each racer's expected ending."""
    texts = [getattr(lesson, field) for field in lesson.reveal]
    for outcome in set(lesson.expected[lesson.asks[0]]):
        words = NET_OUTCOME_WORDS[outcome]
        texts.append(words["gloss"])
        for variant in words["sentence"].values():
            texts += [piece.strip() for piece in re.split(r"\{\w+\}", variant)]
    offered = " ".join(NET_OUTCOME_WORDS[choice]["guess"] for choice in lesson.choices)
    return [text for text in texts if len(text) >= 12 and text not in offered]


def test_no_predict_first_lesson_shows_its_answer_before_the_guess(watched):
    # The gallery: a neutral card, the answer folded away for the teacher.
    page = watched.page
    page.goto(watched.base_url + "/lessons")
    shown = page.locator("main").inner_text()
    for lesson in PREDICT_FIRST:
        card = page.locator(f"#lesson-{lesson.id}")
        expect(card.locator("h3")).to_have_text("What will happen?")
        expect(card.locator(".lesson-question")).to_have_text(lesson.question)
        for text in answers(lesson):
            assert text not in shown, (lesson.id, text)
        open_link = card.get_by_role("link", name=re.compile("^Open"))
        assert lesson.title not in (open_link.get_attribute("aria-label") or open_link.inner_text())
        expect(open_link).to_have_attribute("href", lesson_url(lesson))
    assert NET_PREDICT_FIRST  # the network lessons' cards (/network) ask first too
    for lesson in NET_PREDICT_FIRST:
        card = page.locator(f"#lesson-{lesson.id}")
        expect(card.locator("h3")).to_have_text("What will happen?")
        expect(card.locator(".lesson-question")).to_have_text(lesson.question)
        for text in net_answers(lesson):
            assert text not in shown, (lesson.id, text)
        open_link = card.get_by_role("link", name=re.compile("^Open"))
        assert lesson.title not in (open_link.get_attribute("aria-label") or open_link.inner_text())
        expect(open_link).to_have_attribute("href", lesson.url)
    assert page.evaluate("typeof window.Plotly") == "undefined"  # /lessons draws nothing
    # Each lesson's page: its visible text (the surface's description and the captions
    # too) tells nothing; the right outcome's guess shows once per ball, as a choice.
    for lesson in PREDICT_FIRST:
        page = watched.open(
            lesson_url(lesson), ready="#sim" if lesson.page == "roll" else "#explorer"
        )
        expect(page.locator(".lesson h2")).to_have_text("What will happen?")
        expect(page.locator("#lesson-question")).to_be_visible()
        expect(page.locator("#surface-description")).to_be_visible()
        shown = page.locator("main").inner_text()
        for text in answers(lesson):
            assert text not in shown, (lesson.id, text)
        for outcome in {o for racer in lesson.racers for o in racer.expected}:
            guess = OUTCOME_WORDS[outcome]["guess"]
            assert shown.count(guess) == len(lesson.asks), (lesson.id, outcome)
        expect(page.get_by_role("button", name="Play")).to_be_disabled()
        expect(page.locator("#status")).to_have_text(re.compile(f"^{WAIT}"))
    assert watched.errors == [] and watched.blocked == []


def test_play_waits_for_the_guess_and_says_so_and_the_page_says_if_it_was_right(watched):
    lesson = LESSONS["lr_too_large"]
    page = watched.open(lesson_url(lesson))
    expect(page.get_by_text("What will happen?")).to_be_visible()
    play, step = page.get_by_role("button", name="Play"), page.get_by_role("button", name="Step")
    # Visibly held, with the reason beside the buttons and in the status line.
    for button in (play, step):
        expect(button).to_be_disabled()
        expect(button).to_have_attribute("aria-describedby", "predict-hold")
        assert button.evaluate("b => Number(getComputedStyle(b).opacity)") < 0.6
    hold = page.locator(".buttons #predict-hold")
    expect(hold).to_have_text(WAIT)
    expect(hold).to_be_visible()
    expect(page.locator("#status")).to_have_text(re.compile(f"^{WAIT}: choose what the ball"))
    expect(page.locator("#status")).not_to_contain_text("Press Play")
    # Space and → do not run; they say why (the hint is a live region) and leave the focus.
    page.evaluate("document.getElementById('predict-hold').textContent = ''")
    page.keyboard.press("Space")
    expect(hold).to_have_text(WAIT)
    page.keyboard.press("ArrowRight")
    expect(hold).to_have_class(re.compile("flash"))
    expect(page.locator("#readout-step")).to_have_text("0")
    assert page.evaluate("document.activeElement === document.body")
    # The guess lets them go.
    page.get_by_label(re.compile("keeps bouncing")).check()
    expect(play).to_be_enabled()
    expect(hold).to_be_hidden()
    expect(page.locator("#status")).not_to_contain_text(WAIT)
    page.evaluate("document.activeElement.blur()")  # on the radio button, → picks another
    page.keyboard.press("ArrowRight")
    expect(page.locator("#readout-step")).to_have_text("1")
    page.get_by_label("Speed", exact=True).focus()
    page.keyboard.press("End")
    play.click()
    result = page.locator("#prediction-result")
    expect(result).to_have_text(
        re.compile(r"^You predicted it\. Still bouncing after \d+ steps"), timeout=15_000
    )
    expect(page.locator("#status")).to_have_text(re.compile(r"^Still bouncing after \d+ steps"))
    # the run has ended: the lesson's title and what to look for are shown now
    expect(page.locator(".lesson h2")).to_have_text(lesson.title)
    expect(page.locator("#lesson-look-for")).to_have_text(lesson.look_for)
    expect(page.locator("#lesson-question")).to_be_hidden()


def test_every_ball_asked_about_is_named_guessed_and_judged_by_its_own_outcome(watched):
    lesson = LESSONS["saddle_point"]
    page = watched.open(lesson_url(lesson), ready="#explorer")
    groups = page.locator(".predict-ball")
    expect(groups).to_have_count(len(lesson.asks))
    # Each named by its colour on the map (the page's racer styles) and its optimizer.
    cards = page.locator(".racer")
    for n, place in enumerate(lesson.asks):
        style = RACER_STYLES[place]
        label = cards.nth(place).get_by_label("Optimizer", exact=True)
        name = label.evaluate("s => s.options[s.selectedIndex].text")
        rate = js_number(lesson.racers[place].hyperparameters["lr"])
        expect(groups.nth(n).locator("legend")).to_have_text(
            f"The {style['name']} ball — {name}, lr {rate}: what will it do?"
        )
        swatch = groups.nth(n).locator(".predict-swatch")
        assert swatch.evaluate("s => getComputedStyle(s).backgroundColor") == rgb(style["color"])
    play = page.get_by_role("button", name="Play")
    # One guess is not enough: every ball asked about needs its own.
    groups.nth(0).get_by_label(re.compile("runs away")).check()
    expect(play).to_be_disabled()
    groups.nth(1).get_by_label(re.compile("runs away")).check()  # Newton: wrong
    expect(play).to_be_enabled()
    page.get_by_label("Speed", exact=True).focus()
    page.keyboard.press("End")
    play.click()
    lines = page.locator("#prediction-result .predict-line")
    expect(lines).to_have_count(2, timeout=15_000)
    gd, newton = (cards.nth(place).locator(".racer-status") for place in lesson.asks)
    expect(lines.nth(0)).to_have_class(re.compile("right"))
    expect(lines.nth(0)).to_contain_text("The orange ball: you predicted it.")
    expect(lines.nth(0)).to_contain_text(gd.inner_text())  # the engine's outcome, worded
    expect(lines.nth(1)).to_have_class(re.compile("wrong"))
    expect(lines.nth(1)).to_contain_text("The blue ball: not quite: you guessed")
    expect(lines.nth(1)).to_contain_text(newton.inner_text())
    expect(lines.nth(1)).to_contain_text("a saddle point")
    expect(page.locator(".lesson h2")).to_have_text(lesson.title)
    # Once the balls have rolled, the guesses stay as they were made.
    expect(groups.nth(0).locator("input").first).to_be_disabled()
    assert watched.errors == []


def rgb(colour: str) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"
