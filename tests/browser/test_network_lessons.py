"""The network lessons open on /network (?lesson=<id>, the /lessons gallery's link) in a real
browser against the real server: every control set from the lesson's scenario, the address
written from them, and a predict-first lesson asking first, holding Play until the guess and
judging it by the outcome the server sends."""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from app.api.lessons import list_network_lessons
from app.api.schemas.networks import NetworkRequest
from app.engine.optimizers import OPTIMIZERS
from app.engine.run.options import validate_options
from app.outcome_words import NET_OUTCOME_WORDS
from tests.browser.test_accessibility import serious_violations

READY = "#network"
RUNS = "/api/networks/runs"
LESSONS = [lesson.model_dump() for lesson in list_network_lessons()]  # as GET /api/networks/lessons
PREDICTS = [lesson for lesson in LESSONS if lesson["predict"]]
PREDICT = next(lesson for lesson in PREDICTS if lesson["id"] == "relu_dies")
HELD = ("title", "look_for", "try_this", "teacher_note")


def opening_request(page: Page, base_url: str, address: str) -> dict[str, Any]:
    """Open `address`; the body of the page's first run (step 0): what its controls say."""
    with page.expect_request(lambda r: r.url.endswith(RUNS) and r.method == "POST") as sent:
        page.goto(base_url + address)
    page.wait_for_selector(f"{READY}[data-ready=true]", timeout=20_000)
    return sent.value.post_data_json


def same_run(sent: dict[str, Any], scenario: dict[str, Any]) -> None:
    """The page's request trains what the lesson's scenario does: the same data, network,
    options and racers, each as the server reads it (its defaults for what is left out)."""
    page_run, lesson_run = (
        NetworkRequest.model_validate(sent),
        NetworkRequest.model_validate(scenario),
    )
    assert page_run.data == lesson_run.data
    assert page_run.model == lesson_run.model
    assert validate_options(page_run.options, 1000) == validate_options(lesson_run.options, 1000)
    assert len(page_run.optimizers) == len(lesson_run.optimizers)
    for mine, theirs in zip(page_run.optimizers, lesson_run.optimizers, strict=True):
        assert mine.optimizer == theirs.optimizer
        optimizer = OPTIMIZERS[theirs.optimizer]
        assert optimizer.validate(mine.hyperparameters) == optimizer.validate(
            theirs.hyperparameters
        )
        assert mine.schedule == theirs.schedule


def server_outcomes(base_url: str, lesson: dict[str, Any]) -> list[str]:
    """Each racer's outcome code after the lesson's one press of Play, as the server decides it."""
    answer = httpx.post(base_url + RUNS, json=lesson["scenario"], timeout=60).json()
    return [racer["outcome"]["code"] for racer in answer["racers"]]


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson["id"] for lesson in LESSONS])
def test_every_network_lesson_opens_with_its_scenario_in_the_controls_and_the_address(
    watched, lesson
):
    page = watched.page
    sent = opening_request(page, watched.base_url, lesson["url"])
    same_run(sent, lesson["scenario"])
    # what one press of Play runs, at the lesson's pace
    expect(page.locator("#steps")).to_have_value(str(lesson["steps"]))
    expect(page.locator("#speed-value")).to_have_text(f"{lesson['speed']} steps/s")
    hidden = lesson["scenario"]["model"].get("hidden", [4, 4])
    expect(page.locator("#layers")).to_have_value(str(len(hidden)))
    for i, units in enumerate(hidden):
        expect(page.locator(f"#units-{i + 1}")).to_have_value(str(units))
    expect(page.locator("#racers > *")).to_have_count(len(lesson["racers"]))
    # the box: its kicker names the topic; a lesson that asks first shows its question instead
    expect(page.locator(".lesson-kicker")).to_have_text(f"Lesson · {lesson['topic']}")
    if lesson["predict"]:
        expect(page.locator("#lesson-question")).to_have_text(lesson["question"])
    else:
        expect(page.locator(".lesson h2")).to_have_text(lesson["title"])
        expect(page.locator("#lesson-look-for")).to_have_text(lesson["look_for"])
        expect(page.locator("#lesson-try")).to_have_text(lesson["try_this"])
    # the address the page wrote: the lesson (asking first, if it does) and its settings …
    page.wait_for_function(f"location.search.includes('lesson={lesson['id']}')")
    page.wait_for_timeout(600)  # the address bar is written at most every 500 ms
    address = urlsplit(page.url)
    params = parse_qs(address.query)
    assert params["lesson"] == [lesson["id"]]
    assert params.get("predict") == (["1"] if lesson["predict"] else None)
    # … which, opened again, is the same run
    again = opening_request(page, watched.base_url, f"{address.path}?{address.query}")
    same_run(again, lesson["scenario"])
    assert watched.errors == [] and watched.blocked == []


def held_back_shown(page: Page, lesson: dict[str, Any]) -> list[str]:
    """The held-back texts a reader can see now."""
    text = page.locator(".lesson").inner_text()
    return [field for field in HELD if lesson[field].split(".")[0].strip() in text]


def outcome_words_shown(page: Page, lesson: dict[str, Any]) -> list[str]:
    """The fixed pieces of the asked racer's expected outcome's words the page shows now
    (a guess offered as a choice aside)."""
    text = page.locator("main").inner_text()
    offered = " ".join(NET_OUTCOME_WORDS[c]["guess"] for c in lesson["choices"])
    pieces = []
    for outcome in lesson["expected"][lesson["asks"][0]]:
        words = NET_OUTCOME_WORDS[outcome]
        for variant in [words["gloss"], *words["sentence"].values()]:
            pieces += [p.strip() for p in re.split(r"\{\w+\}", variant)]
    return [p for p in pieces if len(p) >= 12 and p not in offered and p in text]


@pytest.mark.parametrize("lesson", PREDICTS, ids=[lesson["id"] for lesson in PREDICTS])
def test_a_predict_first_lesson_asks_first_and_holds_play_until_the_guess(watched, lesson):
    page = watched.open(lesson["url"], ready=READY)
    expect(page.locator(".lesson h2")).to_have_text("What will happen?")
    expect(page.locator("#lesson-question")).to_have_text(lesson["question"])
    assert held_back_shown(page, lesson) == []
    assert outcome_words_shown(page, lesson) == []
    # one guess for the racer asked about, among the lesson's choices, in the server's words
    asked = page.locator("#predict fieldset")
    expect(asked).to_have_count(len(lesson["asks"]))
    labels = asked.first.locator("label").all_inner_texts()
    assert labels == [NET_OUTCOME_WORDS[code]["guess"] for code in lesson["choices"]]
    # Play and Step wait; Space and → do nothing but say why
    expect(page.locator("#play")).to_be_disabled()
    expect(page.locator("#step")).to_be_disabled()
    expect(page.locator("#status")).to_contain_text("Make your guess first")
    page.locator("body").press("Space")
    page.locator("body").press("ArrowRight")
    page.wait_for_timeout(500)
    expect(page.locator("#readout-step")).to_have_text("0")
    asked.first.locator("input").first.check()
    expect(page.locator("#play")).to_be_enabled()
    expect(page.locator("#predict-hold")).to_be_hidden()
    assert watched.errors == [] and watched.blocked == []


@pytest.mark.parametrize("right", [True, False], ids=["right guess", "wrong guess"])
def test_after_play_the_verdict_is_the_servers_outcome_and_the_answer_is_revealed(watched, right):
    lesson = PREDICT
    outcomes = server_outcomes(watched.base_url, lesson)
    outcome = outcomes[lesson["asks"][0]]
    guess = outcome if right else next(code for code in lesson["choices"] if code != outcome)
    page = watched.open(lesson["url"], ready=READY)
    page.locator("#predict fieldset").first.get_by_label(NET_OUTCOME_WORDS[guess]["guess"]).check()
    page.locator("#play").click()
    verdict = page.locator("#prediction-result")
    expect(verdict).to_have_class("verdict right" if right else "verdict wrong", timeout=30_000)
    expect(verdict).to_contain_text("You predicted it." if right else "Not quite")
    if not right:
        expect(verdict).to_contain_text(f"you guessed “{NET_OUTCOME_WORDS[guess]['guess']}”")
    # what happened, in the words the page has for the server's outcome
    expect(verdict).to_contain_text(NET_OUTCOME_WORDS[outcome]["sentence"]["default"].split("{")[0])
    expect(page.locator(".lesson h2")).to_have_text(lesson["title"])
    expect(page.locator("#lesson-look-for")).to_have_text(lesson["look_for"])
    expect(page.locator("#lesson-question")).to_be_hidden()
    # each racer's card beside the map says how its run ended, not how it was going
    if len(outcomes) > 1:
        cards = page.locator("#racer-strip .net-racer-verdict")
        expect(cards).to_have_text([NET_OUTCOME_WORDS[code]["ended"] for code in outcomes])
    assert watched.errors == [] and watched.blocked == []


def test_the_gallerys_link_opens_the_lesson(watched):
    lesson = next(lesson for lesson in LESSONS if not lesson["predict"])
    page = watched.page
    page.goto(watched.base_url + "/lessons")
    page.locator(f'a[href="{lesson["url"]}"]').first.click()
    page.wait_for_selector(f"{READY}[data-ready=true]", timeout=20_000)
    expect(page.locator(".lesson h2")).to_have_text(lesson["title"])
    expect(page.locator("#steps")).to_have_value(str(lesson["steps"]))
    assert watched.errors == [] and watched.blocked == []


@pytest.mark.parametrize(
    ("size", "address"),
    [
        ({"width": 1920, "height": 1080}, "/network?lesson=overfitting_early_stop&projector=1"),
        ({"width": 1280, "height": 800}, "/network?lesson=relu_dies"),
    ],
    ids=["projector", "laptop"],
)
def test_the_map_play_and_the_question_are_on_the_first_screen(watched, size, address):
    watched.page.set_viewport_size(size)
    page = watched.open(address, ready=READY)
    on_screen = ["#decision", "#play", "#predict"]
    if "projector" not in address:  # a short lesson: answered and played, the verdict too
        page.locator("#predict input").first.check()
        page.locator("#play").click()
        expect(page.locator("#prediction-result")).to_have_class(
            re.compile("right|wrong"), timeout=30_000
        )
        on_screen.append("#prediction-result")
    for selector in on_screen:
        box = page.locator(selector).bounding_box()
        assert box and box["y"] + box["height"] <= size["height"], selector
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]


def test_racers_with_the_same_optimizer_are_named_by_the_rate_that_tells_them_apart(watched):
    lesson = next(lesson for lesson in LESSONS if lesson["id"] == "edge_of_stability")
    page = watched.open(lesson["url"], ready=READY)
    names = ["Gradient descent, lr 0.04", "Gradient descent, lr 0.08"]
    expect(page.locator("#racer-strip .net-racer-label")).to_have_text(
        [f"orange: {names[0]}", f"blue: {names[1]}"]
    )
    expect(page.locator("#netview-racer option")).to_have_text(
        [f"1: orange, {names[0]}", f"2: blue, {names[1]}"]
    )
    page.locator("#step").click()
    expect(page.locator("#status")).to_contain_text(f"The orange racer ({names[0]})")
    # a racer alone with its optimizer keeps its plain name
    page = watched.open("/network?r2=adam", ready=READY)
    expect(page.locator("#racer-strip .net-racer-label")).to_have_text(
        ["orange: Gradient descent", "blue: Adam"]
    )
    assert watched.errors == [] and watched.blocked == []


def test_a_lesson_asking_first_has_no_serious_accessibility_violations(watched):
    page = watched.open(PREDICT["url"], ready=READY)
    serious = serious_violations(Axe(), page)
    assert serious == [], "\n".join(serious)


def percent(value: float) -> str:
    """A share as the page writes it (Math.round: halves up)."""
    return f"{math.floor(value * 100 + 0.5)}%"


def test_each_racers_card_shows_its_accuracy_beside_the_others(watched):
    # "Adam untangles the spiral; gradient descent is still at it": both cards said only
    # "still improving at the end"; the accuracies that tell them apart were in the readouts,
    # for one racer at a time.
    lesson = next(lesson for lesson in LESSONS if lesson["id"] == "adam_vs_sgd_spiral")
    answer = httpx.post(watched.base_url + RUNS, json=lesson["scenario"], timeout=60).json()
    page = watched.open(lesson["url"], ready=READY)
    page.get_by_label("Speed").focus()
    page.keyboard.press("End")  # 500 steps/s
    page.locator("#play").click()
    page.wait_for_selector(f"{READY}[data-state=ended]", timeout=30_000)
    cards = page.locator("#racer-strip .net-racer-accuracy")
    wanted = [
        f"accuracy {percent(r['outcome']['train_accuracy'])} · "
        f"{percent(r['outcome']['test_accuracy'])}"
        for r in answer["racers"]
    ]
    expect(cards).to_have_text(wanted)
    adam, gd = (r["outcome"]["train_accuracy"] for r in answer["racers"])
    assert adam > 0.95 and gd < 0.75  # what the lesson says the cards show
    assert watched.errors == [] and watched.blocked == []
