"""The pages' addresses, written by the server: the Python twin of ``static/js/state/urlstate.js``.

A lesson's link must read, value for value, as the page itself writes its address, so
that the page opening the link rewrites it to the same settings
(``tests/browser/test_lessons.py`` opens every lesson and compares).  The format:

* common: ``surface=<id>``, the surface's parameters by name (``kappa=100``) — or, for
  a model on a built-in data set, ``model=<id>&loss=<id>&data=<id>`` (the page's
  dimension gives its weights: one on Roll Downhill, two on the explorer) —
  ``start=3.5`` (1D) or ``start=-2.5,1`` (2D), ``lesson=<id>``, ``predict=1`` for
  predict-first lessons (no ``steps``: a lesson opens ready at its start);
* Roll Downhill ``/``: ``optimizer=<choice>`` (optimizer id or SGD preset id), its
  hyperparameters by torch name (``lr=0.1``), training options by name (``noise=4``),
  ``schedule=<id>`` and ``schedule.<parameter>=<value>``; more balls racing the first as the
  explorer's racers from ``r2`` on (``r2=<choice>&r2.lr=1``), which a lesson never has (a Roll
  Downhill lesson rolls one ball);
* explorer ``/explore``: the same per racer behind ``r1``…``r6``: ``r1=<choice>``,
  ``r1.lr=0.06``, ``r1.noise=0.5``, ``r1.schedule=cosine``, ``r1.schedule.T_max=100``.

A choice the page does not know (``optimizer=foo``) is read as its default, and the page
says so beside the picker (``readChoice`` and ``unknownChoiceNote``); the links written here
name only choices a checked lesson has.

Values as ``encodeValue`` writes them: booleans ``1``/``0``, numbers as JavaScript's
``String(number)``, tuples comma-separated; a point as ``encodePoint`` (six significant
digits).  Only values that differ from the defaults are written — the choice's own
(torch's, then its preset's), the options', the schedule's, the surface's — except ``lr``,
which is always written because the pages start from their own rate (the slider, the
suggested rate), not torch's default.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode

from ..engine.run.options import OPTIONS, validate_options
from ..engine.surfaces import SURFACES
from ..facts import DEFAULT_SPEED
from ..lessons import LESSONS, Lesson, Racer, prepare
from ..lessons.network_lessons import NETWORK_LESSONS, RENAMED, NetworkLesson

PATHS = {"roll": "/", "explore": "/explore", "network": "/network"}
ALWAYS = frozenset({"lr"})  # written even at its default: the pages pick their own rate
POINT_DIGITS = 6  # encodePoint's toPrecision(6)


def js_number(value: float) -> str:
    """``String(value)`` in JavaScript: the shortest digits that read back as ``value``
    (Python's ``repr`` finds the same ones), laid out by ECMA-262's Number::toString.

    >>> [js_number(v) for v in (1.0, 0.019, 1e-08, 5e-05, 1e21, -2.5, 300)]
    ['1', '0.019', '1e-8', '0.00005', '1e+21', '-2.5', '300']
    """
    value = float(value)  # a page holds every number as a double
    if value == 0 or not math.isfinite(value):
        return {0.0: "0", math.inf: "Infinity", -math.inf: "-Infinity"}.get(value, "NaN")
    shortest = Decimal(repr(abs(value))).normalize()
    digits = "".join(map(str, shortest.as_tuple().digits))
    n = len(digits) + int(shortest.as_tuple().exponent)  # value = 0.digits × 10^n
    sign = "-" if value < 0 else ""
    if len(digits) <= n <= 21:
        return sign + digits + "0" * (n - len(digits))
    if 0 < n <= 21:
        return f"{sign}{digits[:n]}.{digits[n:]}"
    if -6 < n <= 0:
        return f"{sign}0.{'0' * -n}{digits}"
    mantissa = digits[0] + (f".{digits[1:]}" if len(digits) > 1 else "")
    return f"{sign}{mantissa}e{'+' if n > 0 else '-'}{abs(n - 1)}"


def encode_value(value: Any) -> str:
    """One setting as URL text, as ``encodeValue`` writes it.

    >>> encode_value(True), encode_value((0.9, 0.999)), encode_value("float16")
    ('1', '0.9,0.999', 'float16')
    """
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return js_number(value)
    if isinstance(value, list | tuple):
        return ",".join(encode_value(v) for v in value)
    return str(value)


def encode_point(point: Sequence[float]) -> str:
    """A point as ``encodePoint`` writes it: each coordinate to six significant digits,
    ties away from zero (``toPrecision``), then as ``String(number)``.

    >>> encode_point((-2.5, 1.0)), encode_point((1 / 3,)), encode_point((1024.125,))
    ('-2.5,1', '0.333333', '1024.13')
    """
    return ",".join(js_number(_to_precision(float(c), POINT_DIGITS)) for c in point)


def _to_precision(value: float, digits: int) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    exact = Decimal(value)
    quantum = Decimal(1).scaleb(exact.adjusted() - digits + 1)
    return float(exact.quantize(quantum, rounding=ROUND_HALF_UP))


def _racer_pairs(lesson: Lesson, racer: Racer, prefix: str) -> Iterator[tuple[str, str]]:
    """``(key, value)`` for one racer: its hyperparameters, options and schedule, each
    written only when it differs from its default."""
    ready = prepare(lesson, racer)
    plain = validate_options({}, ready.surface.data_size)  # what the page starts from
    for h in ready.optimizer.hyperparameters:
        value = ready.hyperparameters[h.name]
        if h.name in ALWAYS or value != ready.defaults[h.name]:
            yield f"{prefix}{h.name}", encode_value(value)
    for h in OPTIONS:
        value = getattr(ready.options, h.name)
        if value != getattr(plain, h.name):
            yield f"{prefix}{h.name}", encode_value(value)
    if ready.schedule is not None and ready.schedule.id != "constant":
        yield f"{prefix}schedule", ready.schedule.id
        defaults = ready.schedule.schedule.validate({})
        for h in ready.schedule.schedule.parameters:
            value = ready.schedule.values[h.name]
            if value != defaults[h.name]:
                yield f"{prefix}schedule.{h.name}", encode_value(value)


def lesson_url(lesson: Lesson) -> str:
    """The URL that opens ``lesson`` on its page (see the module docstring).

    >>> from app.lessons import LESSONS
    >>> lesson_url(LESSONS["gradient_ascent"]).split("&")[:5]
    ['/?surface=roll_downhill', 'start=3.5', 'optimizer=gd', 'lr=0.05', 'maximize=1']
    """
    pairs: list[tuple[str, str]]
    if lesson.spec is not None:  # a built-in data set: the page knows it
        spec = lesson.spec
        pairs = [("model", spec.model), ("loss", spec.loss), ("data", str(spec.data))]
    else:
        assert lesson.surface is not None  # a checked lesson has one or the other
        bound = lesson.bound_surface().parameter_values
        defaults = SURFACES[lesson.surface].parameter_values
        pairs = [("surface", lesson.surface)]
        pairs += [(k, encode_value(v)) for k, v in bound.items() if v != defaults[k]]
    pairs.append(("start", encode_point(lesson.start)))
    if lesson.page == "roll":
        (racer,) = lesson.racers
        pairs.append(("optimizer", racer.choice))
        pairs += _racer_pairs(lesson, racer, "")
    else:
        for i, racer in enumerate(lesson.racers, 1):
            pairs.append((f"r{i}", racer.choice))
            pairs += _racer_pairs(lesson, racer, f"r{i}.")
    if lesson.speed != DEFAULT_SPEED:
        pairs.append(("speed", str(lesson.speed)))
    pairs.append(("lesson", lesson.id))
    if lesson.predict:
        pairs.append(("predict", "1"))
    return f"{PATHS[lesson.page]}?{urlencode(pairs, safe=',')}"


def network_lesson_url(lesson: NetworkLesson) -> str:
    """The URL that opens a network lesson: its id alone, for the page fills in the lesson's
    scenario itself (``static/js/panels/netlesson.js``).

    >>> network_lesson_url(NETWORK_LESSONS["relu_dies"])
    '/network?lesson=relu_dies'
    """
    return f"{PATHS['network']}?{urlencode({'lesson': lesson.id})}"


def lesson_link(lesson_id: str, path: str) -> str | None:
    """The URL that opens the lesson ``lesson_id`` names on the page at ``path``, whichever
    catalog holds it (the ids are unique across both), or None for no lesson.  On /network an
    old network lesson's id (:data:`RENAMED`) names the lesson it was.

    >>> lesson_link("saddle_point", "/").split("?")[0], lesson_link("nope", "/")
    ('/explore', None)
    >>> lesson_link("minibatch_noise", "/network"), lesson_link("minibatch_noise", "/")[:2]
    ('/network?lesson=minibatch_loss_curve', '/?')
    """
    if path == PATHS["network"]:
        lesson_id = RENAMED.get(lesson_id, lesson_id)
    if lesson_id in LESSONS:
        return lesson_url(LESSONS[lesson_id])
    if lesson_id in NETWORK_LESSONS:
        return network_lesson_url(NETWORK_LESSONS[lesson_id])
    return None


def short_link_target(path: str, query: str) -> str | None:
    """Where a lesson link that leaves out the lesson's settings should go, or None when the
    address at ``path`` opens as it is.

    A teacher types or shares the short link ``/?lesson=lr_too_large``: without the lesson's
    settings the page would show its texts over its own defaults.  It goes to the lesson's
    full link (:func:`lesson_link`, as the gallery's cards link it), with every other parameter
    the short link had after the lesson's own — the view's (``projector``, ``embed``,
    ``hide``, ``lock``, ``class``, ``role``; a ``predict`` replaces the lesson's).  So does a
    lesson of another page's catalog, and an address that names a renamed network lesson
    (with the new id, every parameter kept).  An address with any of the lesson's settings
    (a full link, or one the page wrote since) opens as it is; on another page it moves there
    whole (the surface links' rule).

    >>> short_link_target("/", "lesson=lr_too_large&projector=1")  # doctest: +ELLIPSIS
    '/?surface=roll_downhill&start=3.5&optimizer=gd&lr=0.6&...&predict=1&projector=1'
    >>> short_link_target("/", "lesson=lr_too_large&lr=0.3") is None
    True
    """
    given = parse_qsl(query, keep_blank_values=True)
    lesson_id = dict(given).get("lesson")
    link = None if lesson_id is None else lesson_link(lesson_id, path)
    if link is None:
        return None
    where, _, link_query = link.partition("?")
    own = parse_qsl(link_query)
    if path == PATHS["network"] and lesson_id in RENAMED:
        renamed = [(k, dict(own)["lesson"] if k == "lesson" else v) for k, v in given]
        return f"{where}?{urlencode(renamed, safe=',')}"
    settings = {k for k, _ in own} - {"lesson", "predict"}
    if settings & {k for k, _ in given} or not settings:
        # the address states its own settings (or the lesson has none in its link: the
        # network page fills them in from the id)
        return None if where == path else f"{where}?{query}"
    replaced = dict(given)
    pairs = [(k, replaced.pop(k, v)) for k, v in own]
    pairs += [(k, v) for k, v in given if k in replaced]
    return f"{where}?{urlencode(pairs, safe=',')}"
