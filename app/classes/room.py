"""A class in the Store: each part under its own key (written whole, never read-modified-
written, so two requests at once cannot undo each other), every key living until the class's
end.

Keys (``class:{code}:…``): ``meta`` (the key's digest and the end, written once), ``open``,
``scene``, ``control``, ``question``, ``experiment``, ``version`` (the scene counter),
``seats`` (joins counted, for the size limit), ``students`` (a hash: token → 1),
``answers:{question}`` (token → guesses), ``runs:{experiment}`` (tag → run),
``results:{experiment}`` (value → the engine's result: each value run once), ``rate:{token}``
(the student's rate), ``tally-due`` (the tally's coalescing lock). Nothing else about a
student is kept.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

from pydantic_core import to_json as _to_json
from starlette.exceptions import HTTPException

from ..api.errors import InputError
from ..settings import Settings
from ..store import Store
from . import codes
from .events import everyone, frame, teacher

TALLY_EVERY = 0.2  # seconds: the teacher's stream gets at most five tallies a second
TALLY_SLACK = 0.02  # the tally is read this long after its lock has expired (see tally_later)


def to_json(value: Any) -> bytes:
    return _to_json(value, inf_nan_mode="null")


PARTS = ("meta", "open", "scene", "control", "question", "experiment", "version", "seats")


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Room:
    """One class: its code and when it ends, and its parts in the store."""

    def __init__(self, store: Store, code: str, meta: dict[str, Any]) -> None:
        self.store = store
        self.code = code
        self.meta = meta

    @property
    def ends(self) -> float:
        """When the class ends (epoch seconds)."""
        return float(self.meta["ends"])

    @property
    def expires_at(self) -> str:
        return _iso(self.ends)

    def ttl(self) -> float:
        return max(self.ends - time.time(), 0.001)

    def check_teacher(self, key: str | None) -> None:
        """403 unless ``key`` is the teacher's."""
        if not codes.keys_match(key, self.meta["key"]):
            raise HTTPException(
                403, f"only the teacher of class {self.code} may do this (X-Class-Key)"
            )

    def key(self, part: str) -> str:
        return f"class:{self.code}:{part}"

    async def get(self, part: str) -> Any:
        raw = await self.store.get(self.key(part))
        return None if raw is None else json.loads(raw)

    async def put(self, part: str, value: Any) -> None:
        await self.store.set(self.key(part), to_json(value), self.ttl())

    async def tell(self, event: str, data: Any, students: bool = True) -> None:
        """Publish an event to the teacher and (``students``) to every student."""
        message = frame(event, data)
        if students:
            await self.store.publish(everyone(self.code), message)
        await self.store.publish(teacher(self.code), message)

    # --- teacher's parts ---------------------------------------------------------------------

    async def is_open(self) -> bool:
        return await self.store.get(self.key("open")) == b"1"

    async def set_open(self, value: bool) -> None:
        await self.store.set(self.key("open"), b"1" if value else b"0", self.ttl())

    async def set_scene(self, page: str, params: str, mode: str) -> dict[str, Any]:
        version = await self.store.incr(self.key("version"), self.ttl())
        scene = {"page": page, "params": params, "mode": mode, "version": version}
        await self.put("scene", scene)
        await self.tell("scene", scene)
        return scene

    async def control(self, action: str, step: int) -> dict[str, Any]:
        control = {"action": action, "step": step}
        await self.put("control", control)
        await self.tell("control", control)
        return control

    # --- students ----------------------------------------------------------------------------

    async def join(self, settings: Settings) -> str:
        if not await self.is_open():
            raise HTTPException(403, f"class {self.code} is not taking new students")
        if await self.store.incr(self.key("seats"), self.ttl()) > settings.class_max_students:
            raise HTTPException(
                409, f"class {self.code} is full ({settings.class_max_students} students)"
            )
        student = codes.new_student()
        joined = await self.store.hset(self.key("students"), student, b"1", self.ttl())
        await self.tell("joined", {"joined": joined}, students=False)
        return student

    async def check_student(self, student: str) -> None:
        if await self.store.hget(self.key("students"), student) is None:
            raise HTTPException(403, f"not a student of class {self.code}: join it first")

    async def joined(self) -> int:
        return await self.store.hlen(self.key("students"))

    # --- questions ---------------------------------------------------------------------------

    async def ask(
        self, asks: list[dict[str, Any]], choices: list[str], runs: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Open a question (the one before is closed: its answers are refused from now)."""
        question = {
            "id": codes.new_id(),
            "asks": asks,
            "choices": choices,
            "runs": runs,
            "revealed": False,
            "right": None,
        }
        await self.put("question", question)
        await self.tell("question", public(question))
        return question

    async def answer(self, student: str, question_id: str, guesses: list[str]) -> None:
        question = await self.get("question")
        if question is None or question["id"] != question_id:
            raise HTTPException(409, f"question {question_id} is not the open question")
        if question["revealed"]:
            raise HTTPException(409, f"question {question_id} has been revealed")
        asks, choices = len(question["asks"]), question["choices"]
        problems = (
            [] if len(guesses) == asks else [("guesses", f"give {asks} guesses, one per ask")]
        )
        problems += [
            (f"guesses.{i}", f"{guess!r} is not one of the choices: {', '.join(choices)}")
            for i, guess in enumerate(guesses)
            if guess not in choices
        ]
        if problems:
            raise InputError(problems)
        await self.store.hset(
            self.key(f"answers:{question_id}"), student, to_json(guesses), self.ttl()
        )

    async def tally(self, question: dict[str, Any]) -> dict[str, Any]:
        answers = await self.store.hgetall(self.key(f"answers:{question['id']}"))
        index = {choice: i for i, choice in enumerate(question["choices"])}
        counts = [[0] * len(index) for _ in question["asks"]]
        for raw in answers.values():
            for ask, guess in enumerate(json.loads(raw)):
                counts[ask][index[guess]] += 1
        return {
            "question": question["id"],
            "answered": len(answers),
            "joined": await self.joined(),
            "counts": counts,
        }

    async def tally_due(self) -> bool:
        """Whether this answer is the first since the last tally was sent (then its caller
        sends the next one, ``tally_later``): five tallies a second at most, across workers."""
        return await self.store.add(self.key("tally-due"), b"1", TALLY_EVERY)

    async def tally_later(self) -> None:
        """Send the tally once the coalescing window is over. Read just after the lock
        expires: an answer that found the lock held was stored before it expired, so it is
        counted here; a later one takes the lock and sends a tally of its own."""
        await asyncio.sleep(TALLY_EVERY + TALLY_SLACK)
        question = await self.get("question")
        if question is not None:
            await self.tell("tally", await self.tally(question), students=False)

    async def reveal(self, question: dict[str, Any], right: list[str]) -> dict[str, Any]:
        question = {**question, "revealed": True, "right": right}
        await self.put("question", question)
        tally = await self.tally(question)
        answered = tally["answered"]
        share = [
            counts[question["choices"].index(kind)] / answered
            if answered and kind in question["choices"]
            else 0.0
            for counts, kind in zip(tally["counts"], right, strict=True)
        ]
        await self.tell("reveal", {"question": question["id"], "right": right})
        return {"right": right, "tally": tally, "share_right": share}

    # --- experiments -------------------------------------------------------------------------

    async def open_experiment(self, kind: str, run: dict[str, Any]) -> dict[str, Any]:
        experiment = {"id": codes.new_id(), "kind": kind, "run": run}
        await self.put("experiment", experiment)
        await self.tell("experiment", {"experiment": experiment})
        return experiment

    async def close_experiment(self) -> None:
        await self.store.delete(self.key("experiment"))
        await self.tell("experiment", {"experiment": None})

    async def known_result(self, experiment_id: str, value: Any) -> dict[str, Any] | None:
        """The result of a value some student of this experiment has already run."""
        raw = await self.store.hget(self.key(f"results:{experiment_id}"), to_json(value).decode())
        return None if raw is None else json.loads(raw)

    async def keep_result(self, experiment_id: str, value: Any, result: dict[str, Any]) -> None:
        field = to_json(value).decode()
        await self.store.hset(
            self.key(f"results:{experiment_id}"), field, to_json(result), self.ttl()
        )

    async def add_run(self, experiment_id: str, run: dict[str, Any]) -> None:
        await self.store.hset(
            self.key(f"runs:{experiment_id}"), run["by"], to_json(run), self.ttl()
        )
        await self.tell("run", run, students=False)

    async def runs(self, experiment: dict[str, Any] | None) -> list[dict[str, Any]]:
        if experiment is None:
            return []
        runs = await self.store.hgetall(self.key(f"runs:{experiment['id']}"))
        return [json.loads(raw) for raw in runs.values()]

    # --- the whole class ---------------------------------------------------------------------

    async def student_state(self) -> dict[str, Any]:
        question = await self.get("question")
        return {
            "scene": await self.get("scene"),
            "control": await self.get("control"),
            "question": None if question is None else public(question),
            "experiment": await self.get("experiment"),
            "open": await self.is_open(),
        }

    async def teacher_state(self) -> dict[str, Any]:
        question = await self.get("question")
        experiment = await self.get("experiment")
        return {
            "code": self.code,
            "expires_at": self.expires_at,
            "joined": await self.joined(),
            "open": await self.is_open(),
            "scene": await self.get("scene"),
            "control": await self.get("control"),
            "question": question,
            "tally": None if question is None else await self.tally(question),
            "experiment": experiment,
            "runs": await self.runs(experiment),
        }

    async def end(self) -> None:
        """End the class now: everyone is told, every key goes."""
        question = await self.get("question")
        experiment = await self.get("experiment")
        await self.tell("closed", {"reason": "the teacher ended the class"})
        parts = [*PARTS, "students", "tally-due"]
        if question is not None:
            parts.append(f"answers:{question['id']}")
        if experiment is not None:
            parts += [f"runs:{experiment['id']}", f"results:{experiment['id']}"]
        for part in parts:
            await self.store.delete(self.key(part))


def public(question: dict[str, Any]) -> dict[str, Any]:
    """A question as students see it: without its runs."""
    return {k: v for k, v in question.items() if k != "runs"}


async def create(store: Store, settings: Settings) -> tuple[Room, str]:
    """A new class, open for joining: the room and the teacher's key (kept only as a digest)."""
    key = codes.new_key()
    ends = time.time() + settings.class_hours * 3600
    meta = {"key": codes.key_digest(key), "ends": ends}
    for _ in range(20):  # a taken code is redrawn (rare: 8.9e8 codes)
        code = codes.new_code()
        room = Room(store, code, meta)
        if await store.add(room.key("meta"), to_json(meta), room.ttl()):
            await room.set_open(True)
            return room, key
    raise HTTPException(503, "no free join code; try again", headers={"Retry-After": "1"})


async def find(store: Store, code: str) -> Room:
    """The open class with ``code`` (any case), or 404."""
    code = codes.normalize(code)
    raw = await store.get(f"class:{code}:meta")
    if raw is None:
        raise HTTPException(404, f"no open class with code {code}")
    return Room(store, code, json.loads(raw))
