"""The lessons: ready-made scenarios from the course, each a landscape, a start and racers.

They are data, beside the engine rather than in it: ``lessons.toml`` holds them in teaching
order, read and validated once at start-up (:mod:`.catalog`); :mod:`.lesson` defines the
record and :mod:`.prepare` resolves it against the engine.  A :class:`Lesson` opens Roll
Downhill (``page = "roll"``: one racer on a 1D landscape) or the landscape explorer
(``page = "explore"``: one to six racers on a 2D landscape) ready at its start.  Each
:class:`Racer` is what a page's racer picks: a *choice* (an optimizer id, or one of SGD's
presets ``gd`` / ``momentum`` / ``nesterov``), hyperparameters by torch's names, training
options, an optional schedule, and the outcome(s) the run ends in after
:attr:`Lesson.steps` steps (one press of Play) — the words of
:mod:`app.engine.run.outcome`, so a lesson's promise is checked by the engine that decides
it (tests/engine/test_lessons.py).

    >>> lesson = LESSONS["momentum_escapes"]
    >>> lesson.page, [r.choice for r in lesson.racers], lesson.racers[0].expected
    ('roll', ['momentum'], ('global_minimum',))
    >>> prepare(lesson, lesson.racers[0]).hyperparameters["momentum"]
    0.9
"""

from .catalog import LESSONS, LESSONS_FILE, load, parse
from .lesson import REVEAL, Lesson, LessonSchedule, Racer, resolve
from .prepare import LessonError, PreparedRacer, check, prepare

__all__ = [
    "LESSONS",
    "LESSONS_FILE",
    "Lesson",
    "LessonError",
    "LessonSchedule",
    "PreparedRacer",
    "REVEAL",
    "Racer",
    "check",
    "load",
    "parse",
    "prepare",
    "resolve",
]
