"""Compute each thing once: identical requests share one computation, and later ones are
answered from the result cache.

Every answer here is deterministic: the same request gives the same bytes. So a request is
named by its **key**, a hash of what it asks for — its kind (``basins``, ``runs`` …), the
checked request with every default filled in (``service.canonical``: ``{"lr": 0.1}`` and
``{"lr": 0.1, "momentum": 0}`` ask SGD for the same run) and the version of the code, so a
deploy starts afresh — and then:

1. An ``If-None-Match`` holding the key's ETag is answered 304 at once: nothing to compute.
2. An answer in the cache (the Store's ``cache:`` keys, kept ``cache_seconds``, bounded) is
   sent as it is.
3. Otherwise the request joins the **flight** of that key in this worker, starting it when
   there is none. A flight computes once for everyone who joined it; each follower waits for
   it on its own connection, and one that hangs up only leaves. When the last one leaves,
   the flight is cancelled: work nobody waits for any more stops (a map at its next chunk).
   A request that joins a flight takes no place in the map queue: only new work is admitted
   (``admit``) or refused.
4. Across workers the Store's ``add`` is the lock: the flight that takes
   ``once:<key>`` computes, refreshing the lock with its progress every ``TICK_S`` and
   putting the answer in the cache before letting go. A flight that finds the lock taken
   follows the other worker: it reads the lock (the progress) and the cache every
   ``POLL_S`` until the answer lands, and when the lock goes without one (that computation
   was cancelled, or its worker died and the lock expired) it tries to take it itself.

A refusal found while computing (a map still running after its time) is kept for
``ERROR_TTL`` only, so the followers on other workers read it too.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import anyio
from fastapi import Request, Response
from pydantic_core import to_json

from ..conditional import matches
from ..store import CACHE, Store
from .errors import InputError, error_body
from .service import json_bytes

LOCK_TTL = 10.0  # a worker that stops refreshing its lock (it died) is taken over after this
TICK_S = 0.2  # how often a computing flight refreshes its lock; a follower, for a hang-up
POLL_S = 0.05  # how often a flight following another worker's computation looks for it
ERROR_TTL = 10.0  # how long a refusal found while computing is kept, for other workers
CACHE_CONTROL = "no-cache"  # any cache may keep it, and asks again with the ETag (a deploy)
COUNTERS = ("answers_computed", "answers_shared", "answers_cached")
SOURCES = ("*.py", "*.toml", "*.json")  # what the answers are computed from
APP = Path(__file__).resolve().parent.parent


@cache
def code_version(root: Path = APP) -> str:
    """A hash of the code the answers are computed from (the app's sources and data): the
    same in every worker of one deploy, different after a deploy that changes any."""
    digest = hashlib.sha256()
    files = sorted(p for pattern in SOURCES for p in root.rglob(pattern) if p.is_file())
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Answer:
    """A finished request: its status and body (JSON)."""

    status: int
    body: bytes

    def encode(self) -> bytes:
        return b"%d\n" % self.status + self.body

    @classmethod
    def decode(cls, data: bytes) -> Answer:
        status, _, body = data.partition(b"\n")
        return cls(int(status), body)


Produce = Callable[["Flight"], Awaitable[bytes]]


class Flight:
    """One computation in this worker, and how many requests here are waiting for it."""

    def __init__(self, key: str, produce: Produce) -> None:
        self.key = key
        self.produce = produce  # computes the answer's body (InputError: a refusal)
        self.progress: dict[str, Any] = {}  # what the computation says of itself
        self.answer: Answer | None = None
        self.error: Exception | None = None  # anything but a refusal: raised to each follower
        self.followers = 0
        self._finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.task: asyncio.Task[None] | None = None

    def report(self, **progress: Any) -> None:
        """The computation's progress, for the followers (and other workers') to read."""
        self.progress = progress

    @property
    def finished(self) -> bool:
        return self._finished.done()

    def finish(self) -> None:
        if not self._finished.done():
            self._finished.set_result(None)

    async def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for the answer; whether it is there."""
        if not self._finished.done():
            await asyncio.wait((self._finished,), timeout=seconds)
        return self._finished.done()

    def result(self) -> Answer:
        if self.error is not None:
            raise self.error
        assert self.answer is not None
        return self.answer


class Once:
    """The worker's flights and its way to the result cache (``app.state.once``)."""

    def __init__(
        self, store: Store, metrics: dict[str, int], ttl: float, keep: bool = True
    ) -> None:
        self.store = store
        self.metrics = metrics
        self.ttl = ttl  # how long an answer is kept
        self.keep = keep  # False: nothing is kept (identical requests in flight still share)
        self.version = code_version()
        self._flights: dict[str, Flight] = {}
        for name in COUNTERS:
            metrics[name] = 0

    def key(self, kind: str, canonical: Any) -> str:
        """The key of a request: its kind and its canonical form as JSON, under this code's
        version. The canonical form lists its fields in their definitions' order (the
        request model's, the optimizer's hyperparameters …), so the same request reads the
        same whatever order its sender wrote (a free-form dict, such as a resume state's
        buffers, in another order only misses a share)."""
        digest = hashlib.sha256(f"{self.version}\0{kind}\0".encode())
        digest.update(to_json(canonical))
        return digest.hexdigest()

    # --- answers ---------------------------------------------------------------------------

    @staticmethod
    def etag(key: str) -> str:
        return f'W/"{key[:32]}"'

    def response(self, answer: Answer, key: str) -> Response:
        """The answer as JSON; a 200 with its ETag, cacheable."""
        headers = {"ETag": self.etag(key), "Cache-Control": CACHE_CONTROL}
        return Response(
            answer.body,
            answer.status,
            headers if answer.status == 200 else None,
            media_type="application/json",
        )

    def not_modified(self, request: Request, key: str) -> Response | None:
        """304 when the request already holds this answer (its If-None-Match names it).
        The POSTs answered here change nothing (queries, as HTTP's QUERY method would
        carry them), so a conditional one is answered as a GET is."""
        if_none_match = request.headers.get("if-none-match")
        if if_none_match is None or not matches(if_none_match, self.etag(key)):
            return None
        self.metrics["answers_cached"] += 1
        headers = {"ETag": self.etag(key), "Cache-Control": CACHE_CONTROL}
        return Response(status_code=304, headers=headers)

    async def cached(self, key: str) -> Answer | None:
        data = await self.store.get(CACHE + key)
        if data is None:
            return None
        self.metrics["answers_cached"] += 1
        return Answer.decode(data)

    # --- flights ---------------------------------------------------------------------------

    def join(self, key: str, produce: Produce, admit: Callable[[], None] | None = None) -> Flight:
        """Follow the flight of ``key``, starting it (after ``admit``, which may refuse new
        work) when there is none. Every join is matched by one ``leave``."""
        flight = self._flights.get(key)
        if flight is None:
            if admit is not None:
                admit()
            flight = Flight(key, produce)
            self._flights[key] = flight
            flight.task = asyncio.create_task(self._fly(flight))
        else:
            self.metrics["answers_shared"] += 1
        flight.followers += 1
        return flight

    def leave(self, flight: Flight) -> None:
        """One follower is gone; the last one takes the work with it."""
        flight.followers -= 1
        if flight.followers == 0 and not flight.finished:
            self._forget(flight)  # a newcomer starts afresh
            assert flight.task is not None
            flight.task.cancel()

    def _forget(self, flight: Flight) -> None:
        if self._flights.get(flight.key) is flight:
            del self._flights[flight.key]

    async def _fly(self, flight: Flight) -> None:
        try:
            flight.answer = await self._settle(flight)
        except Exception as exc:  # raised to each follower
            flight.error = exc
        finally:
            self._forget(flight)
            flight.finish()

    async def _settle(self, flight: Flight) -> Answer:
        answer_key, lock = CACHE + flight.key, "once:" + flight.key
        while True:
            if (data := await self.store.get(answer_key)) is not None:
                return Answer.decode(data)
            if await self.store.add(lock, b"{}", LOCK_TTL):
                return await self._lead(flight, answer_key, lock)
            if (answer := await self._watch(flight, answer_key, lock)) is not None:
                return answer

    async def _lead(self, flight: Flight, answer_key: str, lock: str) -> Answer:
        """Compute, holding the lock, and keep the answer."""
        self.metrics["answers_computed"] += 1
        # The lock is refreshed from TICK_S on: a quick answer costs no task for it.
        holding: list[asyncio.Task[None]] = []
        timer = asyncio.get_running_loop().call_later(
            TICK_S, lambda: holding.append(asyncio.create_task(self._hold(flight, lock)))
        )
        try:
            try:
                answer = Answer(200, await flight.produce(flight))
            except InputError as exc:
                body = error_body(exc.status, "Invalid input", exc.errors)
                answer = Answer(exc.status, json_bytes(body))
            if self.keep:
                ttl = self.ttl if answer.status == 200 else ERROR_TTL
                await self.store.set(answer_key, answer.encode(), ttl)
            return answer
        finally:  # (a flight is cancelled once: these awaits are not cut short)
            timer.cancel()
            for task in holding:  # stopped before the lock goes, so it cannot come back
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
            await self.store.delete(lock)

    async def _hold(self, flight: Flight, lock: str) -> None:
        """Keep the lock, with the progress in it, while the computation runs."""
        while True:
            await self.store.set(lock, json.dumps(flight.progress).encode(), LOCK_TTL)
            await anyio.sleep(TICK_S)

    async def _watch(self, flight: Flight, answer_key: str, lock: str) -> Answer | None:
        """Follow another worker's computation: its answer, or None once its lock is gone
        without one."""
        while True:
            held = await self.store.get(lock)
            if (data := await self.store.get(answer_key)) is not None:
                return Answer.decode(data)
            if held is None:
                return None
            flight.progress = json.loads(held)
            await anyio.sleep(POLL_S)


async def answer(
    request: Request,
    kind: str,
    canonical: Any,
    produce: Produce,
    admit: Callable[[], None] | None = None,
) -> Response:
    """The JSON answer to a request (see the module): 304, from the cache, or shared with
    every identical request in flight. A hang-up while it computes leaves the flight."""
    once: Once = request.app.state.once
    key = once.key(kind, canonical)
    if (response := once.not_modified(request, key)) is not None:
        return response
    if (cached := await once.cached(key)) is not None:
        return once.response(cached, key)
    flight = once.join(key, produce, admit)
    try:
        while not await flight.wait(TICK_S):
            if await request.is_disconnected():
                return Response(status_code=499)  # nobody is listening any more
        return once.response(flight.result(), key)
    finally:
        once.leave(flight)
