"""The lessons file, read and validated once, at start-up.

``lessons.toml`` holds one ``[[lesson]]`` table per lesson, in teaching order, each with
its ``[[lesson.racers]]`` (and ``[[lesson.contrast]]``) tables; the fields are those of
:class:`app.lessons.lesson.Lesson`.  A bad file stops the server with a
:class:`~app.lessons.prepare.LessonError` naming the lesson and the field, and the file in a
note: the schema's refusal (an unknown key, a missing text, an outcome no page knows) or the
engine's (a learning rate torch refuses, a start off the landscape).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .lesson import Lesson
from .prepare import LessonError, check

LESSONS_FILE = Path(__file__).with_name("lessons.toml")


def load(path: Path = LESSONS_FILE) -> dict[str, Lesson]:
    """Every lesson in ``path`` by id, in file order, each checked."""
    try:
        return parse(tomllib.loads(path.read_text(encoding="utf-8")))
    except (tomllib.TOMLDecodeError, LessonError) as error:
        error.add_note(f"in {path}")
        raise


def parse(document: Mapping[str, Any]) -> dict[str, Lesson]:
    """The lessons of a parsed lessons file (see :func:`load`).

    >>> parse({"lesson": [{"id": "tiny", "topic": "T", "page": "roll"}]})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    app.lessons.prepare.LessonError: lesson 'tiny', field title: Field required; look_for: ...
    """
    if set(document) != {"lesson"} or not isinstance(document["lesson"], list):
        raise ValueError("a lessons file holds [[lesson]] tables, and nothing else")
    lessons: dict[str, Lesson] = {}
    for index, table in enumerate(document["lesson"]):
        given = table.get("id") if isinstance(table, Mapping) else None
        name = given if isinstance(given, str) else f"number {index + 1}"
        try:
            lesson = Lesson.model_validate(table)
        except ValidationError as error:
            # The first field names the error; the others follow (a typo is two: the key
            # unknown, the field it meant missing).
            first, *more = error.errors()
            reason = "".join([first["msg"], *(f"; {_path(e['loc'])}: {e['msg']}" for e in more)])
            raise LessonError(name, _path(first["loc"]), reason) from None
        if lesson.id in lessons:
            raise LessonError(lesson.id, "id", "another lesson has this id")
        check(lesson)
        lessons[lesson.id] = lesson
    return lessons


def _path(location: tuple[int | str, ...]) -> str:
    """pydantic's location as the field path a reader looks for: ``racers[0].expected``."""
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else part
    return path or "(the table)"


LESSONS: dict[str, Lesson] = load()
