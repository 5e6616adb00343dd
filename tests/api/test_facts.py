"""The values the server and the pages share (app/facts.py) and the outcome words
(app/outcome_words.py): complete, consistent, and handed to every page in one block."""

from __future__ import annotations

import json
import re
import string

import pytest

from app.engine.run.outcome import OUTCOMES
from app.facts import MAX_RACERS, RACER_STYLES, page_facts
from app.outcome_words import GOALS, MAP_GROUPS, OUTCOME_WORDS

# The conditions static/js/verdict.js can test for a variant, and the names it fills in.
CONDITIONS = {
    *("default", "maximize", "without_minimum", "float16", "minibatch", "l2", "lbfgs"),
    *("no_minimum", "sam"),
}
NAMES = {
    "sentence": {
        *("at", "steps", "when", "global", "kind", "minimum_at", "goal", "no_minimum"),
        "batch_size",
    },
    "share": {"at", "steps", "name"},
    "so_far": {"goal", "name"},
    "ended": {"goal", "name"},
}


def test_every_outcome_has_its_words_in_the_engines_order():
    assert tuple(OUTCOME_WORDS) == OUTCOMES


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_each_outcomes_words_are_complete(outcome):
    words = OUTCOME_WORDS[outcome]
    assert words["gloss"] and words["group"] in MAP_GROUPS
    assert isinstance(words["settles"], bool)
    assert words["guess"].startswith("It ") and words["guess"].endswith(".")
    for kind in ("sentence", "share", "so_far", "ended"):
        variants = words[kind]
        assert "default" in variants and set(variants) <= CONDITIONS, (kind, set(variants))
        for text in variants.values():
            used = {name for _, name, _, _ in string.Formatter().parse(text) if name}
            assert used <= NAMES[kind], (kind, text)


def test_the_racers_are_as_many_as_their_styles():
    assert len(RACER_STYLES) == MAX_RACERS
    assert len({s["color"] for s in RACER_STYLES}) == MAX_RACERS


@pytest.mark.parametrize("path", ["/", "/explore", "/lessons"])
def test_every_page_carries_the_facts_once(client, path):
    html = client.get(path).text
    blocks = re.findall(r'<script type="application/json" id="facts">(.*?)</script>', html, re.S)
    assert len(blocks) == 1
    assert json.loads(blocks[0]) == json.loads(json.dumps(page_facts()))
    assert json.loads(blocks[0])["goals"] == GOALS
