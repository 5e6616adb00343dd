"""A surface's description quotes the engine's numbers: each quoted gradient is checked
against the surface's own gradient there, so the text cannot drift from what the readout
shows (the plateau's once said "a few thousandths" where the lesson's start reads 1e-8)."""

from __future__ import annotations

import math
import re

import pytest

from app.engine.backend import SCALAR
from app.engine.optimizers import OPTIMIZERS
from app.engine.surfaces import SURFACES
from app.lessons import LESSONS
from app.outcome_words import OUTCOME_WORDS

# (surface, where, the gradient's size as the description quotes it)
QUOTED = [
    ("plateau", (3.0, 2.5), "0.002"),  # the surface's start
    ("plateau", (4.5, 4.5), "1e-8"),  # the plateau lesson's start
    ("plateau_wall", (10.0,), "1.6e-8"),  # the float16 lesson's start
]


@pytest.mark.parametrize(("surface_id", "point", "quoted"), QUOTED)
def test_a_quoted_gradient_is_the_surfaces(
    surface_id: str, point: tuple[float, ...], quoted: str
) -> None:
    surface = SURFACES[surface_id]
    assert quoted in surface.description
    size = math.hypot(*surface.grad(SCALAR, *point))
    figures = len(quoted.split("e")[0].replace("0.", "").replace(".", "").lstrip("0"))
    assert float(f"{size:.{figures - 1}e}") == float(quoted), size


def test_the_quoted_places_are_where_the_balls_start() -> None:
    assert "(3, 2.5)" in SURFACES["plateau"].description
    assert SURFACES["plateau"].start == (3.0, 2.5)
    assert LESSONS["plateau"].start == (4.5, 4.5)
    assert LESSONS["float16_loss_scaling"].start == (10.0,)


# --- a predict-first lesson's landscape describes the ground, not the answer --------------

PREDICT_FIRST = [lesson for lesson in LESSONS.values() if lesson.predict]
# How a ball moves is the lesson's to reveal, after the run: the description of a landscape a
# predict-first lesson opens names no method, setting or step (the saddle's once said
# gradient descent "dawdles before sliding off"; the parabola's that it "diverges once
# lr > 1"; the plateau-and-wall's that float16 rounds its gradient to zero).
METHODS = sorted(
    {o.name.lower() for o in OPTIMIZERS.values()}
    | {p.name.lower() for o in OPTIMIZERS.values() for p in o.presets}
    | {"descent", "ascent", "lr", "learning rate", "step", "float16", "settle", "slide", "run"}
)


# What each guess needs of the ground: a description that denies it ("no minimum at all",
# the saddle's once) rules that guess out before the class has made it.
NEEDS = {
    "global_minimum": ("minimum", "minima", "valley", "lowest", "bottom"),
    "local_minimum": ("minimum", "minima", "valley", "bottom"),
    "maximum": ("maximum", "maxima", "hilltop", "top"),
    "saddle": ("saddle", "flat"),
    "plateau": ("plateau", "flat"),
    "ran_away": ("bottom", "end", "edge", "limit"),
}
DENIAL = r"\b(?:no|not|never|nor|without|none|nowhere)\b[^.;:,]{0,24}?\b"


def giveaways(text: str, choices: tuple[str, ...]) -> list[str]:
    """What in a predict-first landscape's description decides one of the lesson's guesses:
    a method or setting named, a guess's own words, or the ground a guess needs denied.

    >>> giveaways("Downhill along y: no minimum at all.", ("global_minimum", "ran_away"))
    ['denies global_minimum: no minimum']
    """
    text = text.lower()
    found = [f"names {word}" for word in METHODS if re.search(rf"\b{re.escape(word)}", text)]
    for outcome in choices:
        words = OUTCOME_WORDS[outcome]
        shown = [words["gloss"], words["guess"], *words["sentence"].values()]
        found += [f"says {outcome}: {s}" for s in shown if s.lower() in text]
        for need in NEEDS.get(outcome, ()):
            if denied := re.search(DENIAL + rf"{need}", text):
                found.append(f"denies {outcome}: {denied.group(0)}")
    return found


@pytest.mark.parametrize("lesson", PREDICT_FIRST, ids=lambda lesson: lesson.id)
def test_a_predict_first_landscape_is_described_without_its_answer(lesson) -> None:
    choices = tuple(
        dict.fromkeys([*lesson.choices, *(o for r in lesson.racers for o in r.expected)])
    )
    assert giveaways(lesson.bound_surface().description, choices) == [], lesson.id


def test_the_guard_catches_a_description_that_rules_a_guess_out() -> None:
    old_saddle = (
        "Downhill along y, uphill along x: no minimum at all, and a flat spot at the centre, "
        "where the slope is zero in every direction."
    )
    assert giveaways(old_saddle, LESSONS["saddle_point"].choices) == [
        "denies global_minimum: no minimum"
    ]
    assert giveaways("Gradient descent slides off.", ("saddle",))[:1] == ["names descent"]
    assert giveaways("A hill with no hilltop.", ("maximum",)) == ["denies maximum: no hilltop"]


def test_the_descriptions_say_what_the_engine_finds() -> None:
    parabola, double_well = SURFACES["parabola"], SURFACES["double_well"]
    assert "f″ = 2" in parabola.description and "at x = 0" in parabola.description
    assert {parabola.hess(SCALAR, x)[0][0] for x in (-3.0, 0.0, 1.7)} == {2.0}
    assert [m.position for m in parabola.minima] == [(0.0,)]
    (left,) = [m for m in double_well.minima if m.position[0] < 0]
    assert "the left one is deeper" in double_well.description and left.kind == "global"
    assert SURFACES["saddle"].grad(SCALAR, 0.0, 0.0) == (0.0, 0.0)
