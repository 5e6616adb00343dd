"""/api/classes: a live class — the teacher leads (X-Class-Key), students join with a code,
follow, answer and experiment; both sides get the class's events as Server-Sent Events.

Thin routes over app/classes: every piece of a class lives in the Store, so any worker can
answer any request of any class. The engine decides right answers and experiment outcomes,
off the event loop.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Coroutine
from typing import Annotated, Any
from urllib.parse import parse_qsl

import anyio
import segno
from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import BaseModel, TypeAdapter
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from ..classes import codes, engine, limits
from ..classes.events import everyone, frame, relay, teacher
from ..classes.room import Room, create, find, to_json
from ..settings import Settings, app_settings
from ..store import Store
from .errors import InputError
from .openapi import document_sse
from .schemas.classes import (
    AnswerRequest,
    ClassCreated,
    ClassState,
    ClosedEvent,
    Control,
    ControlRequest,
    Experiment,
    ExperimentEvent,
    ExperimentRequest,
    ExperimentRun,
    ExperimentRunRequest,
    Joined,
    JoinedEvent,
    JoinRequest,
    Ok,
    OpenRequest,
    Question,
    QuestionRequest,
    Revealed,
    RevealEvent,
    Scene,
    SceneRequest,
    StudentState,
    Tally,
    TeacherQuestion,
)
from .schemas.common import ErrorOut
from .schemas.runs import RunRequest
from .schemas.stream import ClosingEvent
from .stream import SHUTDOWN_GRACE_S, StepStream, count_stream

router = APIRouter(prefix="/api/classes", tags=["classes"])

MINUTE, HOUR = 60.0, 3600.0
STUDENT_EVENTS = "/api/classes/{code}/events"
TEACHER_EVENTS = "/api/classes/{code}/teacher-events"
_RUNS = TypeAdapter(list[RunRequest])
PRIVATE_PARAMS = {"key", "class", "role"}  # a page address's class parameters

Code = Annotated[
    str, Path(pattern=codes.PATTERN, description="The join code (any case).", examples=["K7QX3M"])
]
Key = Annotated[
    str | None,
    Header(alias="X-Class-Key", max_length=100, description="The teacher's key."),
]
AppSettings = Annotated[Settings, Depends(app_settings)]


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    words = {
        403: "Not allowed: the teacher's key is missing or wrong, the student is not in "
        "the class, or joining is closed",
        404: "No open class with this code (never was, ended, or expired)",
        409: "Conflict: the class is full, or the question/experiment is not the open one",
        422: "Invalid input",
        429: "Too many requests (wrong class codes or classes started from this address, "
        "answers from this student): try again after Retry-After",
        503: "Too many live streams: try again after Retry-After",
    }
    out: dict[int | str, dict[str, Any]] = {}
    # 422: every route checks its input; 429: every route naming a class counts wrong codes
    for status in sorted({*statuses, 422, 429}):
        out[status] = {"model": ErrorOut, "description": words[status]}
        if status in (429, 503):
            out[status]["headers"] = {
                "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
            }
    return out


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _client(request: Request) -> str:
    """The client's address (behind a proxy: uvicorn's --proxy-headers make it the real one)."""
    return request.client.host if request.client else "unknown"


def _spawn(request: Request, work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` in the background, holding a reference until it is done."""
    tasks: set[asyncio.Task[None]] | None = getattr(request.app.state, "class_tasks", None)
    if tasks is None:
        tasks = request.app.state.class_tasks = set()
    task = asyncio.create_task(work)
    tasks.add(task)
    task.add_done_callback(tasks.discard)


async def _find(request: Request, code: str) -> Room:
    """The class with ``code``. Every request that names a class may be a guess (a 404 here
    and a 403 there would tell a guesser which codes are open), so each wrong code counts
    against the client's address, and past DESCENT_LAB_CLASS_CODE_FAILURES_PER_MINUTE every
    request naming a class from that address gets 429."""
    settings: Settings = request.app.state.settings
    store = _store(request)
    failures = f"rate:code-fail:{_client(request)}"
    limit = settings.class_code_failures_per_minute
    what = "too many requests with a wrong class code from this address"
    await limits.check(store, failures, limit, MINUTE, what)
    try:
        return await find(store, code)
    except HTTPException:
        await store.incr(failures, MINUTE)
        raise


async def _teacher(request: Request, code: str, key: str | None) -> Room:
    """The class, when ``key`` is its teacher's (403 otherwise)."""
    room = await _find(request, code)
    room.check_teacher(key)
    return room


# --- the class -------------------------------------------------------------------------------


@router.post("", status_code=201, response_model=ClassCreated, responses=_errors(429))
async def create_class(request: Request, settings: AppSettings) -> dict[str, Any]:
    """Start a class: its join code, the teacher's key (send it as `X-Class-Key` with every
    teacher request; keep it secret) and the addresses of its pages and QR code."""
    store = _store(request)
    await limits.count(
        store,
        f"rate:class-create:{_client(request)}",
        settings.class_creates_per_hour,
        HOUR,
        "too many classes started from this address",
    )
    room, key = await create(store, settings)
    code = room.code
    return {
        "code": code,
        "key": key,
        "expires_at": room.expires_at,
        "join_url": f"/join?code={code}",
        "teach_url": f"/class/{code}/teach",
        "qr_url": f"/api/classes/{code}/qr.svg",
    }


@router.get(
    "/{code}/qr.svg",
    response_class=Response,
    responses={
        200: {
            "description": "The QR code of the class's absolute join address, as SVG.",
            "content": {"image/svg+xml": {"schema": {"type": "string"}}},
        },
        **_errors(404),
    },
)
async def class_qr(code: Code, request: Request) -> Response:
    """The QR code students scan to join (public: the code is on the projector anyway)."""
    room = await _find(request, code)
    url = f"{str(request.base_url).rstrip('/')}/join?code={room.code}"
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=8, border=2, xmldecl=False)
    return Response(out.getvalue(), media_type="image/svg+xml")


@router.get("/{code}", response_model=ClassState, responses=_errors(403, 404))
async def class_state(code: Code, request: Request, key: Key = None) -> dict[str, Any]:
    """The class as the teacher's page shows it (teacher only)."""
    room = await _teacher(request, code, key)
    return await room.teacher_state()


@router.patch("/{code}", response_model=ClassState, responses=_errors(403, 404, 422))
async def open_or_close(
    code: Code, body: OpenRequest, request: Request, key: Key = None
) -> dict[str, Any]:
    """Open or close joining (teacher only); students already in stay."""
    room = await _teacher(request, code, key)
    await room.set_open(body.open)
    return await room.teacher_state()


@router.delete("/{code}", response_model=Ok, responses=_errors(403, 404))
async def end_class(code: Code, request: Request, key: Key = None) -> dict[str, Any]:
    """End the class now (teacher only): every page gets `closed`, and all of it is gone."""
    room = await _teacher(request, code, key)
    await room.end()
    return {"ok": True}


# --- students --------------------------------------------------------------------------------


@router.post(
    "/{code}/students",
    status_code=201,
    response_model=Joined,
    responses=_errors(403, 404, 409, 422, 429),
)
async def join_class(
    code: Code, body: JoinRequest, request: Request, settings: AppSettings
) -> dict[str, Any]:
    """Join a class anonymously: a token for the student's requests, and the scene to show
    (null before the teacher opens one)."""
    room = await _find(request, code)
    student = await room.join(settings)
    return {"student": student, "scene": await room.get("scene")}


async def _student_room(request: Request, code: str, student: str, settings: Settings) -> Room:
    """The class, for one of its students, counting the request against the student's rate."""
    room = await _find(request, code)
    await room.check_student(student)
    await limits.count(
        room.store,
        room.key(f"rate:{student}"),
        settings.class_answers_per_minute,
        MINUTE,
        "too many answers and runs from this student",
    )
    return room


@router.put("/{code}/answers", response_model=Ok, responses=_errors(403, 404, 409, 422, 429))
async def answer(
    code: Code, body: AnswerRequest, request: Request, settings: AppSettings
) -> dict[str, Any]:
    """A student's guesses for the open question, one choice per ask; changeable until the
    reveal. The teacher's stream gets the tally (at most five a second)."""
    room = await _student_room(request, code, body.student, settings)
    await room.answer(body.student, body.question, body.guesses)
    if await room.tally_due():
        _spawn(request, room.tally_later())
    return {"ok": True}


@router.put(
    "/{code}/experiment/runs",
    response_model=ExperimentRun,
    responses=_errors(403, 404, 409, 422, 429),
)
async def experiment_run(
    code: Code, body: ExperimentRunRequest, request: Request, settings: AppSettings
) -> dict[str, Any]:
    """Run the experiment's base run with the student's value; the engine's result is kept
    (one per student, the latest) and sent to the teacher's stream as a `run` event."""
    room = await _student_room(request, code, body.student, settings)
    experiment = await room.get("experiment")
    if experiment is None or experiment["id"] != body.experiment:
        raise HTTPException(409, f"experiment {body.experiment} is not the open experiment")
    base = RunRequest.model_validate_json(to_json(experiment["run"]))
    prepared = engine.prepare_varied(base, experiment["kind"], body.value, settings)
    result = await room.known_result(experiment["id"], body.value)
    if result is None:  # the first student with this value: computed once, kept for the next
        result = await run_in_threadpool(engine.result, prepared)
        await room.keep_result(experiment["id"], body.value, result)
    run = {"by": codes.student_tag(body.student), "value": body.value, **result}
    await room.add_run(experiment["id"], run)
    return run


# --- the teacher leads -----------------------------------------------------------------------


@router.put("/{code}/scene", response_model=Scene, responses=_errors(403, 404, 422))
async def set_scene(
    code: Code, body: SceneRequest, request: Request, key: Key = None
) -> dict[str, Any]:
    """Open a scene for the class (teacher only): every student's page shows it."""
    room = await _teacher(request, code, key)
    names = {name for name, _ in parse_qsl(body.params)} & PRIVATE_PARAMS
    if names:  # a scene goes to every student: it must never carry the teacher's key
        reason = f"leave out {', '.join(sorted(names))}: the class adds its own"
        raise InputError([("params", reason)])
    return await room.set_scene(body.page, body.params, body.mode)


@router.post(
    "/{code}/control", status_code=202, response_model=Control, responses=_errors(403, 404, 422)
)
async def control(
    code: Code, body: ControlRequest, request: Request, key: Key = None
) -> dict[str, Any]:
    """Play, pause, step, reset or jump every following student's page (teacher only)."""
    room = await _teacher(request, code, key)
    return await room.control(body.action, body.step)


@router.post(
    "/{code}/question",
    status_code=201,
    response_model=TeacherQuestion,
    responses=_errors(403, 404, 422),
)
async def ask(
    code: Code, body: QuestionRequest, request: Request, settings: AppSettings, key: Key = None
) -> dict[str, Any]:
    """Ask the class what will happen to each asked ball (teacher only); the runs are checked
    as POST /api/runs checks them. A new question closes the one before."""
    room = await _teacher(request, code, key)
    if len(body.runs) != len(body.asks):
        reason = f"give one run per ask ({len(body.asks)}), got {len(body.runs)}"
        raise InputError([("runs", reason)])
    engine.prepare(body.runs, settings, "runs")
    asks = [a.model_dump() for a in body.asks]
    runs = [r.model_dump(mode="json", exclude_unset=True) for r in body.runs]
    return await room.ask(asks, list(body.choices), runs)


@router.post("/{code}/question/reveal", response_model=Revealed, responses=_errors(403, 404, 409))
async def reveal(
    code: Code, request: Request, settings: AppSettings, key: Key = None
) -> dict[str, Any]:
    """Reveal the open question (teacher only): the engine runs each asked run and decides its
    outcome; the answer has the tally and the share who were right per ask, and every student
    gets a `reveal` event with the right answers."""
    room = await _teacher(request, code, key)
    question = await room.get("question")
    if question is None:
        raise HTTPException(409, "no question has been asked")
    right = question["right"]
    if right is None:
        runs = _RUNS.validate_json(to_json(question["runs"]))
        right = await run_in_threadpool(engine.outcomes, engine.prepare(runs, settings, "runs"))
    return await room.reveal(question, right)


@router.post(
    "/{code}/experiment",
    status_code=201,
    response_model=Experiment,
    responses=_errors(403, 404, 422),
)
async def open_experiment(
    code: Code, body: ExperimentRequest, request: Request, settings: AppSettings, key: Key = None
) -> dict[str, Any]:
    """Open a class experiment (teacher only): each student varies the base run's learning
    rate, start or optimizer and runs it."""
    room = await _teacher(request, code, key)
    if body.run.steps > settings.class_run_steps:
        reason = (
            f"at most {settings.class_run_steps} steps for a class experiment, got {body.run.steps}"
        )
        raise InputError([("run.steps", reason)])
    engine.prepare_named(body.run, settings, "run")
    run = body.run.model_dump(mode="json", exclude_unset=True)
    return await room.open_experiment(body.kind, run)


@router.delete("/{code}/experiment", response_model=Ok, responses=_errors(403, 404))
async def close_experiment(code: Code, request: Request, key: Key = None) -> dict[str, Any]:
    """Close the experiment (teacher only); its runs stay until the class ends."""
    room = await _teacher(request, code, key)
    await room.close_experiment()
    return {"ok": True}


# --- event streams ---------------------------------------------------------------------------

STUDENT_EVENT_MODELS: dict[str, type[BaseModel]] = {
    "state": StudentState,
    "scene": Scene,
    "control": Control,
    "question": Question,
    "reveal": RevealEvent,
    "experiment": ExperimentEvent,
    "closed": ClosedEvent,
    "closing": ClosingEvent,
}
TEACHER_EVENT_MODELS: dict[str, type[BaseModel]] = {
    **STUDENT_EVENT_MODELS,
    "state": ClassState,
    "joined": JoinedEvent,
    "tally": Tally,
    "run": ExperimentRun,
}


def _stream(room: Room, channel: str, state: Any, settings: Settings) -> StepStream:
    closing = anyio.Event()

    async def first() -> bytes | None:
        if await room.store.get(room.key("meta")) is None:
            return None
        return frame("state", await state())

    return StepStream(
        relay(room.store, channel, first, room.ends, closing),
        sep="\n",
        send_timeout=settings.send_timeout,
        shutdown_event=closing,
        shutdown_grace_period=SHUTDOWN_GRACE_S,
    )


@router.get("/{code}/events", response_class=StepStream, responses=_errors(403, 404, 422, 503))
async def student_events(
    code: Code,
    request: Request,
    settings: AppSettings,
    metrics: Annotated[dict[str, int], Depends(count_stream, scope="request")],
    student: Annotated[str, Query(min_length=1, max_length=64, description="The token.")],
) -> StepStream:
    """A student's events (EventSource): first `state` (StudentState), then `scene`,
    `control`, `question`, `reveal`, `experiment` and, when the class ends, `closed`; on a
    server shutdown, `closing` (reconnect after `retry_after` seconds)."""
    room = await _find(request, code)
    await room.check_student(student)
    return _stream(room, everyone(room.code), room.student_state, settings)


@router.get(
    "/{code}/teacher-events", response_class=StepStream, responses=_errors(403, 404, 422, 503)
)
async def teacher_events(
    code: Code,
    request: Request,
    settings: AppSettings,
    metrics: Annotated[dict[str, int], Depends(count_stream, scope="request")],
    key: Key = None,
) -> StepStream:
    """The teacher's events (read with fetch: it needs the X-Class-Key header): first `state`
    (ClassState), then `joined`, `tally` (at most five a second), `run` and every event the
    students get."""
    room = await _teacher(request, code, key)
    return _stream(room, teacher(room.code), room.teacher_state, settings)


def document_events(openapi: dict[str, Any]) -> None:
    """Describe both streams' events in the OpenAPI document."""
    document_sse(
        openapi,
        STUDENT_EVENTS,
        "get",
        STUDENT_EVENT_MODELS,
        "Server-Sent Events: `state` first, then the class's events.",
    )
    document_sse(
        openapi,
        TEACHER_EVENTS,
        "get",
        TEACHER_EVENT_MODELS,
        "Server-Sent Events: `state` first, then the class's and the teacher's events.",
    )
