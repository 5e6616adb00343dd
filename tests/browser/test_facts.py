"""The pages use what the server hands them (app/facts.py, app/outcome_words.py), not values
of their own: change a fact in Python and the page follows."""

from __future__ import annotations

from app.engine.run.trace import FIELDS
from app.facts import MAX_RACERS, RACER_STYLES
from app.outcome_words import OUTCOME_WORDS


def test_the_explorer_races_in_the_servers_styles_up_to_its_limit(watched):
    page = watched.open("/explore", ready="#explorer")
    colours = page.eval_on_selector_all(
        "#racers [data-racer]", "cards => cards.map(c => c.style.getPropertyValue('--racer'))"
    )
    assert colours == [s["color"] for s in RACER_STYLES[: len(colours)]]
    for _ in range(MAX_RACERS - len(colours)):
        page.click("#add-racer")
    page.wait_for_function(
        f"document.querySelectorAll('#racers [data-racer]').length === {MAX_RACERS}"
    )
    assert page.is_disabled("#add-racer")
    assert watched.errors == []


def test_a_predict_first_lesson_offers_the_servers_guesses(watched):
    page = watched.open("/?lesson=lr_too_large&predict=1")
    labels = page.eval_on_selector_all("#predict label", "ls => ls.map(l => l.textContent)")
    guesses = {words["guess"] for words in OUTCOME_WORDS.values()}
    assert labels and set(labels) <= guesses


def test_a_track_keeps_the_engines_step_fields(watched):
    page = watched.open("/")
    fields = page.evaluate(
        """async () => {
          const base = new URL("../", document.querySelector("script[src*='/static/']").src).href;
          return (await import(base + "state/track.js")).STEP_FIELDS;
        }"""
    )
    assert fields == list(FIELDS)
