"""A lesson's short link (``/?lesson=lr_too_large``), as a teacher types or shares it, opens
the lesson as the gallery's card does: the page answers with a redirect to the lesson's full
link (its landscape, start, racers, speed and ``predict=1``), on the page whose catalog holds
it, keeping the view parameters the teacher added (projector, embed, class and role, hide and
lock).  An id no catalog has is said on the page, never shown as if a lesson had opened; a
network lesson's old id keeps opening it; and the gallery's cards are one per lesson, each
naming its own page and landscape."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient

from app.api.urlstate import lesson_url
from app.engine.networks import DATASETS as NETWORK_DATASETS
from app.lessons import LESSONS
from app.lessons.network_lessons import NETWORK_LESSONS

VIEW = "projector=1&embed=1&class=ABCD&role=student&hide=lr,speed&lock=optimizer"


def redirect(client: TestClient, url: str) -> tuple[str, list[tuple[str, str]]]:
    """Where ``url`` redirects: the Location's path and its parameters, in order."""
    response = client.get(url, follow_redirects=False)
    assert response.status_code == 307, (url, response.status_code)
    location = urlsplit(response.headers["location"])
    assert not location.netloc  # on this site
    return location.path, parse_qsl(location.query)


def full(url: str) -> tuple[str, list[tuple[str, str]]]:
    parts = urlsplit(url)
    return parts.path, parse_qsl(parts.query)


@pytest.mark.parametrize("lesson_id", ["lr_too_large", "saddle_point", "minibatch_noise"])
def test_a_short_link_redirects_to_the_lessons_full_link(client: TestClient, lesson_id) -> None:
    lesson = LESSONS[lesson_id]
    path, pairs = full(lesson_url(lesson))
    assert redirect(client, f"{path}?lesson={lesson_id}") == (path, pairs)
    # the view parameters a teacher adds come along, after the lesson's own
    view = parse_qsl(VIEW)
    assert redirect(client, f"{path}?lesson={lesson_id}&{VIEW}") == (path, pairs + view)
    # …and the full link, which the redirect lands on, opens as it is
    assert client.get(lesson_url(lesson), follow_redirects=False).status_code == 200


def test_the_short_link_sets_what_the_page_would_otherwise_default(client: TestClient) -> None:
    path, pairs = redirect(client, "/?lesson=lr_too_large&projector=1")
    given = dict(pairs)
    assert path == "/" and given["lr"] == "0.6" and given["predict"] == "1"
    assert given["surface"] == "roll_downhill" and given["start"] == "3.5"
    assert given["projector"] == "1" and given["lesson"] == "lr_too_large"


def test_a_predict_given_in_the_short_link_replaces_the_lessons(client: TestClient) -> None:
    _, pairs = redirect(client, "/?lesson=lr_too_large&predict=0")
    assert [v for k, v in pairs if k == "predict"] == ["0"]


def test_a_lesson_of_another_pages_catalog_opens_on_its_page(client: TestClient) -> None:
    saddle, lr_too_large = LESSONS["saddle_point"], LESSONS["lr_too_large"]
    assert redirect(client, "/?lesson=saddle_point&projector=1") == full(
        lesson_url(saddle) + "&projector=1"
    )
    assert redirect(client, "/explore?lesson=lr_too_large&embed=1") == full(
        lesson_url(lr_too_large) + "&embed=1"
    )
    assert redirect(client, "/network?lesson=lr_too_large") == full(lesson_url(lr_too_large))
    assert redirect(client, "/?lesson=relu_dies&projector=1") == (
        "/network",
        [("lesson", "relu_dies"), ("projector", "1")],
    )
    # an address with settings of its own moves to the lesson's page whole
    assert redirect(client, "/explore?lesson=lr_too_large&lr=0.3") == (
        "/",
        [("lesson", "lr_too_large"), ("lr", "0.3")],
    )


def test_an_address_with_the_lessons_settings_opens_as_it_is(client: TestClient) -> None:
    # one the page wrote after the teacher moved the rate, say
    for url in ("/?lesson=lr_too_large&lr=0.3", "/explore?r1=adam&r1.lr=0.1&lesson=saddle_point"):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 200 and "lesson-unknown" not in response.text, url


def test_a_network_lesson_link_opens_on_the_network_page_as_it_is(client: TestClient) -> None:
    # the page fills a bare network lesson link in from the id (netlesson.js)
    for lesson in NETWORK_LESSONS.values():
        response = client.get(f"/network?lesson={lesson.id}&projector=1", follow_redirects=False)
        assert response.status_code == 200, lesson.id


def test_a_network_lessons_old_id_keeps_opening_it(client: TestClient) -> None:
    # minibatch_noise named the network's mini-batch lesson once; now it is a ball lesson's id
    assert redirect(client, "/network?lesson=minibatch_noise&projector=1") == (
        "/network",
        [("lesson", "minibatch_loss_curve"), ("projector", "1")],
    )
    # an address the page wrote then keeps every setting
    old = "/network?dataset=moons&batch_size=10&lesson=minibatch_noise"
    assert redirect(client, old) == (
        "/network",
        [("dataset", "moons"), ("batch_size", "10"), ("lesson", "minibatch_loss_curve")],
    )
    path, _ = redirect(client, "/?lesson=minibatch_noise")  # on a ball page: the ball lesson
    assert path == "/"


@pytest.mark.parametrize("path", ["/", "/explore", "/network"])
def test_an_unknown_lesson_is_said_on_the_page(client: TestClient, path: str) -> None:
    response = client.get(f"{path}?lesson=lr_too_larg&projector=1", follow_redirects=False)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")  # the page still opens
    notice = Notice()
    notice.feed(response.text)
    assert " ".join(notice.text.split()) == (
        "There is no lesson called “lr_too_larg”, so this page opens with its own settings. "
        "Did you mean lr_too_large? All lessons"
    )
    assert notice.links == [lesson_url(LESSONS["lr_too_large"]), "/lessons"]
    assert notice.role == "alert"
    far = client.get(f"{path}?lesson=qqqqqqqq", follow_redirects=False)
    assert far.status_code == 404
    notice = Notice()
    notice.feed(far.text)
    assert " ".join(notice.text.split()) == (
        "There is no lesson called “qqqqqqqq”, so this page opens with its own settings. "
        "All lessons"
    )


def test_an_unknown_lessons_id_is_shown_as_text(client: TestClient) -> None:
    response = client.get("/?lesson=%3Cb%3Ex%3C/b%3E")
    assert response.status_code == 404
    assert "“<code>&lt;b&gt;x&lt;/b&gt;</code>”" in response.text and "<b>x" not in response.text


def test_no_notice_without_a_lesson_or_with_a_known_one(client: TestClient) -> None:
    for url in ("/", "/explore", "/network", "/?lesson=", lesson_url(LESSONS["lr_too_large"])):
        response = client.get(url)
        assert response.status_code == 200 and "lesson-unknown" not in response.text, url


class Notice(HTMLParser):
    """The unknown-lesson notice's text, links and role."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = 0
        self.text = ""
        self.links: list[str] = []
        self.role: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id") == "lesson-unknown":
            self.inside, self.role = 1, a.get("role")
        elif self.inside:
            self.inside += tag == "p"
            if tag == "a":
                self.links.append(a["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if self.inside and tag == "p":
            self.inside -= 1

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.text += data


# --- the gallery: one card per lesson, each naming its own page and landscape ----------------


class Where(HTMLParser):
    """Each card's id (the article's) and its "page · landscape" line."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: list[dict[str, str]] = []
        self.in_where = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "article":
            self.cards.append({"id": a["id"] or "", "lesson": a["data-lesson"] or "", "where": ""})
        self.in_where = self.in_where or "lesson-where" in (a.get("class") or "").split()

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.in_where = False

    def handle_data(self, data: str) -> None:
        if self.in_where:
            self.cards[-1]["where"] += data


def test_each_gallery_card_is_one_lesson_naming_its_own_page_and_landscape(
    client: TestClient,
) -> None:
    cards = Where()
    cards.feed(client.get("/lessons").text)
    ids = [card["id"] for card in cards.cards]
    assert len(ids) == len(set(ids)) == len(LESSONS) + len(NETWORK_LESSONS)
    pages = {"roll": "Roll Downhill", "explore": "Landscape explorer"}
    for card in cards.cards:
        assert card["id"] == f"lesson-{card['lesson']}"
        if card["lesson"] in LESSONS:
            lesson = LESSONS[card["lesson"]]
            wanted = f"{pages[lesson.page]} · {lesson.bound_surface().name}"
        else:
            lesson = NETWORK_LESSONS[card["lesson"]]
            dataset = NETWORK_DATASETS[str(lesson.data.get("dataset", "circle"))]
            wanted = f"A network · {dataset.name}"
        wanted += " · Predict first" if lesson.predict else ""
        assert " ".join(card["where"].split()) == wanted, card
    by_id = {card["lesson"]: card["where"] for card in cards.cards}
    assert "Two moons" not in by_id["minibatch_noise"]  # the ball lesson's card, once the network's
