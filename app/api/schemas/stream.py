"""POST /api/runs/stream: the Server-Sent Events of a run's step stream."""

from __future__ import annotations

from pydantic import BaseModel, Field

from .runs import Ended, RunSteps


class StepEvent(BaseModel):
    """An SSE `step` event: the next steps of every run still going, in one event (a race's
    racers move together), each with its running verdict (the outcome decided on the steps so
    far, null while too early to tell). The page plays them at the pace it asked for, and
    words the verdict ("bouncing so far") while the run goes."""

    runs: list[RunSteps]


class EndEvent(Ended):
    """An SSE `end` event: run `run` has ended."""

    run: int = Field(description="Index of the run in the request.")


class ClosingEvent(BaseModel):
    """An SSE `closing` event, the stream's last: the server is shutting down (a restart, a
    new release). Each run's last `step` event holds its state: reconnect (to another
    worker, or to this one once it is back) after `retry_after` seconds and resume from it."""

    reason: str
    retry_after: int = Field(description="Seconds to wait before reconnecting.")
