"""A checked job's work — a map's, or a network's landscape view's: a turn in the worker's
queue, a thread of its own, progress and cancel (answered over HTTP by jobs_http.py).

A map is computed in chunks (the engine's progress callback); between chunks it looks for
a cancel.  Identical maps share one computation (app/api/once.py): when the last client
waiting for it hangs up (or presses the page's Cancel, which aborts the fetch), the work
stops at the next chunk.  A worker computes ``map_concurrency`` maps at once; up to
``map_queue`` more wait their turn, and past that a new map is refused with 503 (a request
that joins a map already in flight takes no turn).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel
from fastapi import HTTPException

from ..engine.maps import Cancelled
from ..settings import Settings
from .errors import InputError

COUNTERS = threading.Lock()  # the metrics a map's thread and the event loop both update
RETRY_AFTER_S = 5  # what a map refused for a full queue is told to wait
OVERTIME = 2.0  # a map still computing after this many times map_max_seconds is stopped
TICK_S = 0.2  # how often a map in progress reports (stream) or looks for a hang-up (JSON)


@dataclass
class MapJob:
    """A checked map (or view): the work to do (``compute(progress)``), its size, and how to
    answer."""

    compute: Callable[[Callable[[int], None]], Any]
    total: int  # ball-steps at most
    answer: Callable[[Any], dict[str, Any]]
    canonical: dict[str, Any]  # what it computes, defaults filled: its result cache key
    size_field: str = "resolution"  # what to make smaller when it takes too long
    estimate: float = 0.0  # its seconds of work, estimated before any ball moved
    name: str = "map"  # what it is, in a refusal's words
    unit: str = "ball-steps"  # what ``total`` counts, in a refusal's words
    counter: str = "map_ball_steps"  # the worker's metric its progress adds to


class TooLong(Exception):
    """A map ran past its time (its progress callback raises this)."""


@dataclass
class Work:
    """One map's work in its thread: progress counted, a cancel flag looked at per chunk."""

    job: MapJob
    metrics: dict[str, int]
    limit_s: float  # compute time allowed (the estimate can be off on a busy machine)
    done: int = 0
    started: float = 0.0
    cancel: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None
    on_finish: Callable[[], None] = lambda: None  # wakes the flight that waits for it

    def progress(self, n: int) -> None:
        if self.cancel.is_set():
            raise Cancelled
        if time.monotonic() - self.started > self.limit_s:
            raise TooLong
        self.done += n
        with COUNTERS:
            self.metrics[self.job.counter] += n

    def run(self) -> None:
        self.started = time.monotonic()
        try:
            self.result = self.job.answer(self.job.compute(self.progress))
        except Cancelled:
            pass
        except TooLong:
            job, share = self.job, self.done / max(self.job.total, 1)
            reason = (
                f"this {job.name} was still computing after {self.limit_s:g} s, the server's "
                f"limit (at {share:.0%} of its {job.unit}): lower the {job.size_field} or the "
                "steps"
            )
            self.error = InputError([(self.job.size_field, reason)])
        except BaseException as exc:  # handed to the request, which reports it
            self.error = exc
        finally:
            with COUNTERS:
                self.metrics["maps_running"] -= 1
            self.finished.set()
            with contextlib.suppress(Exception):  # the request may be gone already
                self.on_finish()


def admit(metrics: dict[str, int], settings: Settings) -> None:
    """Refuse a map (or view) when its worker's queue is full (503, Retry-After)."""
    if metrics["maps_waiting"] >= settings.map_queue and (
        metrics["maps_running"] >= settings.map_concurrency
    ):
        raise HTTPException(
            503,
            f"the server is busy with maps and views ({settings.map_queue} waiting); "
            f"try again in {RETRY_AFTER_S} s",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )


async def compute(
    job: MapJob, metrics: dict[str, int], settings: Settings, report: Callable[[int, bool], None]
) -> dict[str, Any]:
    """Wait for a turn, run the map in a thread and return its answer; ``report(done,
    waiting)`` every TICK_S on the way.  Cancelling it stops the work at its next chunk."""
    with COUNTERS:
        metrics["maps_waiting"] += 1
    waiting = True
    work = Work(job, metrics, OVERTIME * settings.map_max_seconds)
    try:
        while metrics["maps_running"] >= settings.map_concurrency:
            report(0, True)
            await anyio.sleep(TICK_S)
        with COUNTERS:
            metrics["maps_waiting"] -= 1
            metrics["maps_running"] += 1
        waiting = False
        finished = anyio.Event()
        token = anyio.lowlevel.current_token()
        work.on_finish = lambda: anyio.from_thread.run_sync(finished.set, token=token)
        threading.Thread(target=work.run, name="map", daemon=True).start()
        while not work.finished.is_set():
            report(work.done, False)
            with anyio.move_on_after(TICK_S):  # a small map answers as soon as it is done
                await finished.wait()
        if work.error is not None:
            raise work.error
        result: dict[str, Any] = work.result
        return result
    finally:
        if waiting:
            with COUNTERS:
                metrics["maps_waiting"] -= 1
        work.cancel.set()
