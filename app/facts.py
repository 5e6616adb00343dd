"""Values the server and the pages share, defined once.

The lessons and the API read these names (the engine never imports this module); the pages
read :func:`page_facts`, which the base template writes into one
``<script type="application/json" id="facts">`` block (``static/js/facts.js`` reads it).
Nothing here is typed again in JavaScript.
"""

from __future__ import annotations

from typing import Any

from .engine.run.trace import FIELDS
from .engine.surfaces.models import MAX_VALUE
from .outcome_words import GOALS, MAP_GROUPS, NET_OUTCOME_WORDS, OUTCOME_WORDS

PLAY_STEPS = 1000  # steps per press of Play on both pages, and per ball of a map
MAX_RACERS = 6  # the explorer's racers
# The speed slider's positions, in steps per second (a lesson's `speed` is one of them).
SPEEDS = (1, 2, 5, 10, 20, 30, 60, 120, 250, 500)
DEFAULT_SPEED = 10  # the slider's position when the address names no speed

# log colours show f − min f down to this fraction of its range (the explorer's map and the
# exported replay)
LOG_FLOOR = 1e-6

# The explorer's racers, in the order they are handed out: Okabe–Ito colours, told apart by
# dash too (SVG dash arrays over the map; Plotly's dash names in the loss chart), and the
# colour's name in words ("the orange ball": a predict-first lesson's questions).
RACER_STYLES: tuple[dict[str, str], ...] = (
    {"color": "#D55E00", "dash": "none", "plotlyDash": "solid", "name": "orange"},
    {"color": "#0072B2", "dash": "10 4", "plotlyDash": "dash", "name": "blue"},
    {"color": "#009E73", "dash": "2 4", "plotlyDash": "dot", "name": "green"},
    {"color": "#CC79A7", "dash": "12 4 2 4", "plotlyDash": "dashdot", "name": "pink"},
    {"color": "#E69F00", "dash": "18 6", "plotlyDash": "longdash", "name": "gold"},
    {"color": "#000000", "dash": "16 4 2 4 2 4", "plotlyDash": "longdashdot", "name": "black"},
)
# The explorer's racers when the address names none (optimizer ids or SGD's presets), each
# at the engine's suggested rate: on each landscape they show what its lessons teach
# (tests/engine/test_explorer_defaults.py).
EXPLORER_RACERS = ("gd", "momentum", "adam")

# Minima markers on the plots (the global one's green is also its basin's colour on the maps).
MINIMUM_COLOURS = {"global": "#1a9850", "local": "#6b6b6b"}
# The maps' colours for the other minima, in their order in the surface's list (cycled).
MAP_MINIMUM_COLOURS = (
    "#0072B2",
    "#CC79A7",
    "#56B4E9",
    "#9467bd",
    "#8c510a",
    "#17becf",
    "#c51b7d",
    "#6a51a3",
)

# The landscape each page opens on when the address names none.
PAGE_SURFACES = {"roll": "roll_downhill", "explore": "rosenbrock"}


def page_facts() -> dict[str, Any]:
    """Everything above that a page needs, as JSON-ready data."""
    return {
        "playSteps": PLAY_STEPS,
        "maxRacers": MAX_RACERS,
        "speeds": list(SPEEDS),
        "defaultSpeed": DEFAULT_SPEED,
        "logFloor": LOG_FLOOR,
        "racerStyles": list(RACER_STYLES),
        "explorerRacers": list(EXPLORER_RACERS),
        "minimumColours": MINIMUM_COLOURS,
        "mapMinimumColours": list(MAP_MINIMUM_COLOURS),
        "mapGroups": MAP_GROUPS,
        "outcomes": OUTCOME_WORDS,
        "netOutcomes": NET_OUTCOME_WORDS,  # the network page's (/network)
        "goals": GOALS,
        "stepFields": list(FIELDS),
        "data": {"maxValue": MAX_VALUE},  # |x|, |y| of a data point (the data panel's drag)
        "pageSurfaces": PAGE_SURFACES,
    }
