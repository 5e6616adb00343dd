"""GET /api/lessons, the /lessons gallery, and the URLs that open each lesson."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from app.api.urlstate import encode_value, lesson_url
from app.engine.hyperparameters import Hyperparameter
from app.engine.optimizers import OPTIMIZERS
from app.engine.run.options import OPTIONS, validate_options
from app.engine.run.outcome import OUTCOMES
from app.engine.run.schedules import SCHEDULES, bind_schedule
from app.engine.surfaces import SURFACES
from app.engine.surfaces.models import DATASETS, ModelSpec, model_surface
from app.lessons import LESSONS, Lesson, prepare

TEXTS = ("title", "look_for", "try_this", "teacher_note")


# Query keys every page reads, beside a racer's settings.
COMMON = frozenset(
    {"surface", "start", "lesson", "predict", "optimizer", "model", "loss", "data", "speed"}
)


@pytest.fixture
def lessons(client: TestClient) -> list[dict[str, Any]]:
    response = client.get("/api/lessons")
    assert response.status_code == 200
    return response.json()


def test_at_least_fifteen_lessons_with_unique_ids_and_every_field_filled(
    lessons: list[dict[str, Any]],
) -> None:
    assert len(lessons) >= 15
    assert len({lesson["id"] for lesson in lessons}) == len(lessons)
    assert [lesson["id"] for lesson in lessons] == list(LESSONS)
    for lesson in lessons:
        for name in (*TEXTS, "id", "topic", "url"):
            assert lesson[name].strip(), (lesson["id"], name)
        surface = lesson["surface"]  # an id, or a model on data as a run request sends it
        assert surface.strip() if isinstance(surface, str) else surface["data"] in DATASETS
        assert lesson["page"] in ("roll", "explore")
        assert lesson["expected"] and all(lesson["expected"])
        assert len(lesson["expected"]) == len(lesson["racers"])
        assert all(set(e) <= set(OUTCOMES) for e in lesson["expected"])
        assert lesson["steps"] > 0 and lesson["start"]
        if lesson["predict"]:
            offered = set(lesson["choices"])
            assert len(offered) >= 2 and set(lesson["expected"][0]) <= offered
            assert "predict=1" in lesson["url"]
            # Asked before the guess; the texts that answer it wait for the run's end.
            assert lesson["question"] == LESSONS[lesson["id"]].question.strip() != ""
            assert lesson["reveal"] == list(TEXTS)
            # every ball is asked about (the saddle's two), each guessed and judged alone
            assert lesson["asks"] == list(range(len(lesson["racers"])))
        else:
            assert lesson["choices"] == [] and lesson["asks"] == []
            assert "predict" not in lesson["url"]
            assert lesson["question"] == "" and lesson["reveal"] == []


def test_a_racer_names_the_optimizer_a_run_sends(lessons: list[dict[str, Any]]) -> None:
    by_id = {lesson["id"]: lesson for lesson in lessons}
    (heavy,) = by_id["momentum_escapes"]["racers"]
    assert heavy["choice"] == "momentum" and heavy["optimizer"] == "sgd"
    assert heavy["hyperparameters"] == {"momentum": 0.9, "nesterov": False, "lr": 0.1}
    assert by_id["momentum_escapes"]["contrast"][0]["expected"] == ["local_minimum"]
    (scheduled,) = by_id["schedule_explore_then_settle"]["racers"]
    assert scheduled["schedule"] == {"name": "cosine", "parameters": {"T_max": 300}}


# --- the URLs ------------------------------------------------------------------------------


def parse(hyperparameter: Hyperparameter, raw: str) -> Any:
    """A query value back to what validation takes, by the setting's kind."""
    if hyperparameter.scale == "bool":
        assert raw in ("1", "0")  # as the pages write it (static/js/state/urlstate.js)
        return raw == "1"
    if hyperparameter.scale == "choice":
        return raw
    if isinstance(hyperparameter.default, tuple):
        return [float(v) for v in raw.split(",")]
    return float(raw)


def read_racer(
    query: dict[str, str], choice: str, prefix: str, data_size: int = 0
) -> dict[str, Any]:
    """The racer's settings from the query, validated as the catalog validates a run."""
    optimizer = next(
        o for o in OPTIMIZERS.values() if choice == o.id or choice in {p.id for p in o.presets}
    )
    preset = next((p.hyperparameters for p in optimizer.presets if p.id == choice), {})
    names = {h.name: h for h in optimizer.hyperparameters}
    options = {h.name: h for h in OPTIONS}
    given: dict[str, Any] = {}
    opts: dict[str, Any] = {}
    schedule_id, schedule_given = None, {}
    for key, raw in query.items():
        if not key.startswith(prefix) or key == prefix.rstrip("."):
            continue
        name = key[len(prefix) :]
        if prefix == "" and name in COMMON:
            continue
        if name in names:
            given[name] = parse(names[name], raw)
        elif name in options:
            opts[name] = parse(options[name], raw)
        elif name == "schedule":
            schedule_id = raw
        elif name.startswith("schedule."):
            schedule_given[name.removeprefix("schedule.")] = raw
        elif (
            prefix == ""
            and "surface" in query
            and name in SURFACES[query["surface"]].parameter_values
        ):
            continue
        else:
            raise AssertionError(f"unknown key {key!r}")
    schedule = None
    if schedule_id is not None:
        params = {h.name: h for h in SCHEDULES[schedule_id].parameters}
        schedule = bind_schedule(
            schedule_id, {k: parse(params[k], v) for k, v in schedule_given.items()}
        )
    return {
        "hyperparameters": optimizer.validate({**preset, **given}),
        "options": validate_options(opts, data_size),
        "schedule": schedule,
        "given": given,
    }


@pytest.mark.parametrize("lesson", LESSONS.values(), ids=list(LESSONS))
def test_each_url_round_trips_to_the_lesson(lesson: Lesson) -> None:
    url = lesson_url(lesson)
    parts = urlsplit(url)
    assert parts.path == {"roll": "/", "explore": "/explore"}[lesson.page]
    raw = parse_qs(parts.query, strict_parsing=True)
    assert all(len(v) == 1 for v in raw.values()), "no key twice"
    query = {k: v[0] for k, v in raw.items()}
    assert "steps" not in query  # lessons open ready at their start
    assert query["lesson"] == lesson.id
    assert int(query.get("speed", 10)) == lesson.speed  # the slider's default: 10 steps/s
    start = [float(c) for c in query["start"].split(",")]
    assert start == list(lesson.start)
    if lesson.spec is not None:  # the page's dimension gives the weights
        assert "surface" not in query
        dim = 1 if lesson.page == "roll" else 2
        spec = ModelSpec(query["model"], query["loss"], query["data"], dim)
        surface = model_surface(spec)
    else:
        assert query["surface"] == lesson.surface
        surface = SURFACES[lesson.surface].with_parameters(
            {k: float(query[k]) for k in SURFACES[lesson.surface].parameter_values if k in query}
        )
    assert surface is lesson.bound_surface()
    if lesson.page == "roll":
        slots = [("optimizer", "")]
    else:
        slots = [(f"r{i}", f"r{i}.") for i in range(1, len(lesson.racers) + 1)]
        assert f"r{len(lesson.racers) + 1}" not in query
    for racer, (key, prefix) in zip(lesson.racers, slots, strict=True):
        assert query[key] == racer.choice
        read = read_racer(query, racer.choice, prefix, surface.data_size)
        ready = prepare(lesson, racer)
        assert read["hyperparameters"] == ready.hyperparameters
        assert read["options"] == ready.options
        assert read["schedule"] == ready.schedule
        assert "lr" in read["given"]  # the pages start from their own rate otherwise
        # Short: nothing the choice has already (torch's default, then the preset's).
        for name in read["given"]:
            assert name == "lr" or ready.hyperparameters[name] != ready.defaults[name], name


def test_query_keys_cannot_collide() -> None:
    common = COMMON | {"steps", "schedule"}
    surface_parameters = {p.name for s in SURFACES.values() for p in s.parameters}
    options = {h.name for h in OPTIONS}
    for optimizer in OPTIMIZERS.values():
        names = {h.name for h in optimizer.hyperparameters}
        assert not names & (common | options | surface_parameters), optimizer.id
    assert not options & (common | surface_parameters)
    assert not common & surface_parameters


def test_values_are_written_short_and_readable_as_the_pages_write_them() -> None:
    assert encode_value(1.0) == "1" and encode_value(0.019) == "0.019"
    assert encode_value(1e-08) == "1e-8" and float(encode_value(1 / 3)) == 1 / 3
    assert encode_value(True) == "1" and encode_value(False) == "0"
    assert encode_value((0.9, 0.999)) == "0.9,0.999"
    assert encode_value((-2.5, 1.0)) == "-2.5,1" and encode_value("float16") == "float16"
    assert "maximize=1" in lesson_url(LESSONS["gradient_ascent"]).split("&")
    # a surface parameter is written where it differs from the landscape's default
    assert lesson_url(LESSONS["ravine_divergence"]) == (
        "/explore?surface=ravine&kappa=20&start=-2.5,1&r1=gd&r1.lr=0.09"
        "&r2=gd&r2.lr=0.11&lesson=ravine_divergence"
    )
    assert lesson_url(LESSONS["momentum_ravine"]) == (
        "/explore?surface=ravine&start=-2.5,1&r1=gd&r1.lr=0.019"
        "&r2=momentum&r2.lr=0.005&speed=120&lesson=momentum_ravine"
    )


# --- the gallery ---------------------------------------------------------------------------


class Cards(HTMLParser):
    """Each lesson card's texts and link, by the classes the template gives them."""

    FIELDS = {
        "lesson-title": "title",
        "lesson-answer-title": "answer_title",
        "lesson-question": "question",
        "lesson-look-for": "look_for",
        "lesson-try-this": "try_this",
        "lesson-teacher-note": "teacher_note",
    }

    def __init__(self) -> None:
        super().__init__()
        self.cards: list[dict[str, Any]] = []
        self.field: str | None = None
        self.in_details = False
        self.topics: list[str] = []
        self.in_h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "article" and "lesson-card" in classes:
            self.cards.append({"id": a["data-lesson"], "topic": self.topics[-1]})
        if tag == "details":
            self.in_details = True
        if tag == "h2":
            self.in_h2 = True
            self.topics.append("")
        for cls, name in self.FIELDS.items():
            if cls in classes:
                self.field = name
                self.cards[-1][name] = ""
                if self.in_details:
                    self.cards[-1].setdefault("folded", set()).add(name)
                if name == "teacher_note":
                    assert self.in_details, "the teacher note is folded in a <details>"
        if tag == "a" and "lesson-open" in classes:
            self.cards[-1]["url"] = a["href"]
            self.field = "open"
            self.cards[-1]["open"] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h3", "p", "a"):
            self.field = None
        if tag == "details":
            self.in_details = False
        if tag == "h2":
            self.in_h2 = False

    def handle_data(self, data: str) -> None:
        if self.in_h2:
            self.topics[-1] += data
        if self.field is not None:
            self.cards[-1][self.field] += data


def test_the_gallery_shows_every_lesson_as_the_json_twin_has_it(
    client: TestClient, lessons: list[dict[str, Any]]
) -> None:
    networks = client.get("/api/networks/lessons")
    assert networks.status_code == 200 and networks.json()
    lessons = lessons + networks.json()  # the network's lessons follow the balls'
    response = client.get("/lessons")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<script" not in response.text.split("</head>")[1]  # no JavaScript needed
    assert 'href="/lessons" aria-current="page"' in response.text
    parser = Cards()
    parser.feed(response.text)
    assert [card["id"] for card in parser.cards] == [lesson["id"] for lesson in lessons]
    for card, lesson in zip(parser.cards, lessons, strict=True):
        for name in ("url", "topic", "look_for", "try_this", "teacher_note"):
            assert card[name].strip() == lesson[name], (lesson["id"], name)
        assert card["open"].startswith("Open")
        if lesson["predict"]:
            # A predict-first card asks, neutrally; its answer is folded for the teacher.
            assert card["title"] == "What will happen?"
            assert card["question"].strip() == lesson["question"]
            assert card["answer_title"].strip() == lesson["title"]
            assert card["folded"] == {"answer_title", *lesson["reveal"]} - {"title"}
            assert lesson["title"] not in card["open"]
        else:
            assert card["title"].strip() == lesson["title"] and "question" not in card
            assert card["folded"] == {"teacher_note"}
    # Grouped by topic: each topic's cards together, topics in teaching order.
    topics = [lesson["topic"] for lesson in lessons]
    assert [t.strip() for t in parser.topics] == list(dict.fromkeys(topics))


def test_every_lessons_link_opens_its_page(
    client: TestClient, lessons: list[dict[str, Any]]
) -> None:
    for lesson in lessons:
        response = client.get(lesson["url"])
        assert response.status_code == 200, lesson["url"]
        assert response.headers["content-type"].startswith("text/html")


def test_every_page_links_to_the_lessons(client: TestClient) -> None:
    for path in ("/", "/explore", "/lessons"):
        assert 'href="/lessons"' in client.get(path).text
