"""A live class against a real uvicorn server: what the students' and the teacher's event
streams carry, in order, and how they end (the teacher ends the class, its time is up, the
server shuts down), and that they count toward the worker's stream limit."""

from __future__ import annotations

import json
import queue
import signal
import threading
import time

import httpx
import pytest

from app.api.classes import STUDENT_EVENT_MODELS, TEACHER_EVENT_MODELS
from tests.conftest import start_server, stop_server

RUN = {"surface": "roll_downhill", "optimizer": "sgd", "hyperparameters": {"lr": 0.1}, "steps": 200}
END = object()  # the stream has ended


class Events:
    """One event stream, read in a thread: ``next()`` gives (event, data) in order, each
    checked against the model OpenAPI documents for it. Over its own client, or over
    ``client`` (a connection pinned to one worker), which ``close()`` closes too."""

    def __init__(self, url: str, path: str, models, headers=None, params=None, client=None) -> None:
        self.models = models
        self.queue: queue.Queue = queue.Queue()
        self.client = client or httpx.Client(base_url=url, timeout=httpx.Timeout(10, read=60))
        request = self.client.build_request("GET", path, headers=headers, params=params)
        self.response = self.client.send(request, stream=True)
        assert self.response.status_code == 200, self.response.read()
        assert self.response.headers["content-type"].startswith("text/event-stream")
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        kind = None
        try:
            for line in self.response.iter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    self.models[kind].model_validate_json(line[6:])
                    self.queue.put((kind, json.loads(line[6:])))
        except httpx.HTTPError:
            pass
        self.queue.put(END)

    def next(self, timeout: float = 10):
        return self.queue.get(timeout=timeout)

    def until(self, kind: str, timeout: float = 10):
        """The data of the next `kind` event (skipping others)."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.next(max(deadline - time.monotonic(), 0.01))
            assert event is not END, f"the stream ended before a {kind} event"
            if event[0] == kind:
                return event[1]

    def close(self) -> None:
        self.response.close()
        self.client.close()


def new_class(url: str) -> tuple[str, dict[str, str]]:
    created = httpx.post(f"{url}/api/classes")
    assert created.status_code == 201
    return created.json()["code"], {"X-Class-Key": created.json()["key"]}


def join(url: str, code: str) -> str:
    joined = httpx.post(f"{url}/api/classes/{code}/students", json={})
    assert joined.status_code == 201, joined.text
    return joined.json()["student"]


def student_stream(url: str, code: str, student: str) -> Events:
    return Events(
        url, f"/api/classes/{code}/events", STUDENT_EVENT_MODELS, params={"student": student}
    )


def teacher_stream(url: str, code: str, key: dict[str, str]) -> Events:
    return Events(url, f"/api/classes/{code}/teacher-events", TEACHER_EVENT_MODELS, headers=key)


@pytest.fixture
def streams():
    opened: list[Events] = []
    yield opened
    for events in opened:
        events.close()


def test_a_student_follows_the_scene_and_the_teachers_controls(server, streams):
    code, key = new_class(server.url)
    scene = httpx.put(
        f"{server.url}/api/classes/{code}/scene",
        json={"page": "roll", "params": "lesson=bowl_lr", "mode": "follow"},
        headers=key,
    ).json()
    student = join(server.url, code)
    events = student_stream(server.url, code, student)
    streams.append(events)
    kind, state = events.next()
    assert kind == "state"  # first: what to show now
    assert state["scene"] == scene and state["open"] is True and state["question"] is None
    control = {"action": "play", "step": 12}
    assert (
        httpx.post(
            f"{server.url}/api/classes/{code}/control", json=control, headers=key
        ).status_code
        == 202
    )
    assert events.next() == ("control", control)
    new = {"page": "explore", "params": "surface=himmelblau", "mode": "free"}
    httpx.put(f"{server.url}/api/classes/{code}/scene", json=new, headers=key)
    assert events.next() == ("scene", {**new, "version": scene["version"] + 1})


def test_a_late_student_starts_from_the_last_control(server, streams):
    code, key = new_class(server.url)
    control = {"action": "jump", "step": 40}
    httpx.post(f"{server.url}/api/classes/{code}/control", json=control, headers=key)
    events = student_stream(server.url, code, join(server.url, code))
    streams.append(events)
    kind, state = events.next()
    assert kind == "state" and state["control"] == control


def test_a_question_reaches_students_without_its_runs_and_the_reveal_says_who_was_right(
    server, streams
):
    code, key = new_class(server.url)
    alice, bob = join(server.url, code), join(server.url, code)
    events = student_stream(server.url, code, alice)
    streams.append(events)
    events.until("state")
    asked = httpx.post(
        f"{server.url}/api/classes/{code}/question",
        json={
            "asks": [{"label": "the ball"}],
            "choices": ["global_minimum", "local_minimum"],
            "runs": [RUN],
        },
        headers=key,
    ).json()
    question = events.until("question")
    assert question["id"] == asked["id"] and "runs" not in question and question["right"] is None
    for student, guess in ((alice, "local_minimum"), (bob, "global_minimum")):
        answered = httpx.put(
            f"{server.url}/api/classes/{code}/answers",
            json={"student": student, "question": asked["id"], "guesses": [guess]},
        )
        assert answered.status_code == 200
    revealed = httpx.post(f"{server.url}/api/classes/{code}/question/reveal", headers=key).json()
    # the engine's outcome: SGD at lr 0.1 from Roll Downhill's start settles in the local dip
    assert revealed["right"] == ["local_minimum"]
    assert revealed["share_right"] == [0.5]
    assert events.until("reveal") == {"question": asked["id"], "right": ["local_minimum"]}


def test_the_teacher_sees_joins_tallies_and_runs(server, streams):
    code, key = new_class(server.url)
    teacher = teacher_stream(server.url, code, key)
    streams.append(teacher)
    kind, state = teacher.next()
    assert kind == "state" and state["code"] == code and state["joined"] == 0
    students = [join(server.url, code) for _ in range(3)]
    assert [teacher.until("joined")["joined"] for _ in students] == [1, 2, 3]
    asked = httpx.post(
        f"{server.url}/api/classes/{code}/question",
        json={
            "asks": [{"label": "a"}, {"label": "b"}],
            "choices": ["global_minimum", "local_minimum"],
            "runs": [RUN, RUN],
        },
        headers=key,
    ).json()
    assert teacher.until("question")["id"] == asked["id"]  # the students' events too
    for i, student in enumerate(students):
        guesses = ["global_minimum", "local_minimum"] if i else ["local_minimum"] * 2
        httpx.put(
            f"{server.url}/api/classes/{code}/answers",
            json={"student": student, "question": asked["id"], "guesses": guesses},
        )
    tally = teacher.until("tally")
    while tally["answered"] < 3:
        tally = teacher.until("tally")
    assert tally == {
        "question": asked["id"],
        "answered": 3,
        "joined": 3,
        "counts": [[2, 1], [0, 3]],
    }
    experiment = httpx.post(
        f"{server.url}/api/classes/{code}/experiment", json={"kind": "lr", "run": RUN}, headers=key
    ).json()
    ran = httpx.put(
        f"{server.url}/api/classes/{code}/experiment/runs",
        json={"student": students[0], "experiment": experiment["id"], "value": 0.05},
    ).json()
    assert teacher.until("run") == ran and ran["value"] == 0.05


def test_tallies_are_coalesced_to_five_a_second(server, streams):
    """However fast the answers come, the teacher's stream gets at most one tally per 0.2 s,
    and the last one counts every answer."""
    code, key = new_class(server.url)
    students = [join(server.url, code) for _ in range(30)]
    teacher = teacher_stream(server.url, code, key)
    streams.append(teacher)
    teacher.until("state")
    asked = httpx.post(
        f"{server.url}/api/classes/{code}/question",
        json={
            "asks": [{"label": "a"}],
            "choices": ["global_minimum", "local_minimum"],
            "runs": [RUN],
        },
        headers=key,
    ).json()
    started = time.monotonic()
    with httpx.Client(base_url=server.url) as c:
        for student in students:
            c.put(
                f"/api/classes/{code}/answers",
                json={"student": student, "question": asked["id"], "guesses": ["local_minimum"]},
            )
    tallies = []
    while not tallies or tallies[-1]["answered"] < 30:
        tallies.append(teacher.until("tally"))
    elapsed = time.monotonic() - started
    assert tallies[-1]["counts"] == [[0, 30]]
    assert len(tallies) <= elapsed / 0.2 + 1
    assert len(tallies) < len(students)


def test_ending_the_class_closes_every_stream(server, streams):
    code, key = new_class(server.url)
    student = student_stream(server.url, code, join(server.url, code))
    teacher = teacher_stream(server.url, code, key)
    streams += [student, teacher]
    student.until("state")
    teacher.until("state")
    assert httpx.delete(f"{server.url}/api/classes/{code}", headers=key).status_code == 200
    for events in (student, teacher):
        assert events.until("closed")["reason"] == "the teacher ended the class"
        assert events.next() is END
    assert httpx.post(f"{server.url}/api/classes/{code}/students", json={}).status_code == 404


@pytest.mark.parametrize("who", ["student", "teacher"])
def test_a_stranger_cannot_open_a_classs_stream(server, who):
    code, key = new_class(server.url)
    if who == "student":
        path, kwargs = f"/api/classes/{code}/events", {"params": {"student": "not-a-student"}}
    else:
        path, kwargs = f"/api/classes/{code}/teacher-events", {"headers": {"X-Class-Key": "guess"}}
    refused = httpx.get(f"{server.url}{path}", **kwargs)
    assert refused.status_code == 403
    assert refused.json()["ok"] is False


def test_class_streams_count_toward_the_workers_stream_limit(busy_server, streams):
    code, key = new_class(busy_server.url)
    first = student_stream(busy_server.url, code, join(busy_server.url, code))
    streams.append(first)
    first.until("state")
    second = httpx.get(
        f"{busy_server.url}/api/classes/{code}/events",
        params={"student": join(busy_server.url, code)},
    )
    assert second.status_code == 503
    assert second.headers["Retry-After"] == "2"


def test_when_the_class_time_is_up_its_streams_close_and_it_is_gone(tmp_path):
    srv = start_server(tmp_path, {"DESCENT_LAB_CLASS_HOURS": "0.0005"})  # 1.8 s
    try:
        code, key = new_class(srv.url)
        events = student_stream(srv.url, code, join(srv.url, code))
        try:
            events.until("state")
            assert events.until("closed", timeout=5)["reason"] == "the class's time is up"
            assert events.next() is END
        finally:
            events.close()
        time.sleep(0.2)
        assert httpx.post(f"{srv.url}/api/classes/{code}/students", json={}).status_code == 404
        assert httpx.get(f"{srv.url}/api/classes/{code}", headers=key).status_code == 404
    finally:
        stop_server(srv)


def test_on_shutdown_class_streams_get_a_last_closing_event(tmp_path):
    srv = start_server(tmp_path)
    try:
        code, key = new_class(srv.url)
        student = student_stream(srv.url, code, join(srv.url, code))
        teacher = teacher_stream(srv.url, code, key)
        try:
            student.until("state")
            teacher.until("state")
            srv.process.send_signal(signal.SIGTERM)
            for events in (student, teacher):
                closing = events.until("closing", timeout=5)
                assert closing["retry_after"] == 2 and "shutting down" in closing["reason"]
                assert events.next() is END
        finally:
            student.close()
            teacher.close()
        srv.process.wait(5)
        assert "Traceback" not in srv.output()
    finally:
        stop_server(srv)
