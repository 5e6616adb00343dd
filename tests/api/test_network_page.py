"""The network page (/network) as the server serves it: the page, its links from the others, and
the words for every outcome the engine decides about a network's training."""

from __future__ import annotations

import re

from app.engine.networks import NET_OUTCOMES
from app.facts import page_facts
from app.outcome_words import NET_OUTCOME_WORDS

# what static/js/pages/network.js fills into a sentence
FILLED = {"steps", "step", "early_stop_step", "best_test_loss", "dead_units"}
FILLED |= {"train_accuracy", "test_accuracy"}


def test_the_page_is_served_and_linked_from_the_other_pages(client):
    page = client.get("/network")
    assert page.status_code == 200
    assert 'href="/network" aria-current="page"' in page.text
    assert 'id="network"' in page.text
    for path in ("/", "/explore", "/lessons"):
        assert 'href="/network"' in client.get(path).text, path


def test_every_network_outcome_has_its_words_and_the_page_gets_them():
    assert tuple(NET_OUTCOME_WORDS) == tuple(NET_OUTCOMES)
    for code, words in NET_OUTCOME_WORDS.items():
        assert words["gloss"] and words["so_far"]["default"], code
        assert words["guess"].endswith("."), code  # a predict-first lesson's choice
        for text in words["sentence"].values():
            names = set(re.findall(r"\{(\w+)\}", text))
            assert names <= FILLED, (code, names - FILLED)
    guesses = [words["guess"] for words in NET_OUTCOME_WORDS.values()]
    assert len(set(guesses)) == len(guesses)  # no two choices read alike
    assert page_facts()["netOutcomes"] == NET_OUTCOME_WORDS
