"""Nobody takes over a class (issue 22, point 7): only the teacher's key drives it or reads its
tally, a student can act only as themself, closed and full classes refuse joins, join codes
resist guessing, answers are bounded in size and rate, and a class is gone when its time is
up. Each refusal is a clear 4xx (or 429 with Retry-After) and the class goes on."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from app.classes.codes import ALPHABET, new_code
from app.main import create_app
from app.settings import Settings

RUN = {"surface": "roll_downhill", "optimizer": "sgd", "hyperparameters": {"lr": 0.1}, "steps": 50}
QUESTION = {"asks": [{"label": "a"}], "choices": ["global_minimum", "local_minimum"], "runs": [RUN]}


@contextmanager
def class_client(**overrides) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(**overrides))) as c:
        yield c


def start(client):
    body = client.post("/api/classes").json()
    return body["code"], {"X-Class-Key": body["key"]}


def join(client, code):
    joined = client.post(f"/api/classes/{code}/students", json={})
    assert joined.status_code == 201, joined.text
    return joined.json()["student"]


# Every teacher request: (method, path under the class, JSON body)
TEACHER = [
    ("GET", "", None),
    ("PATCH", "", {"open": False}),
    ("DELETE", "", None),
    ("PUT", "/scene", {"page": "roll", "params": "lesson=x", "mode": "follow"}),
    ("POST", "/control", {"action": "play", "step": 0}),
    ("POST", "/question", QUESTION),
    ("POST", "/question/reveal", None),
    ("POST", "/experiment", {"kind": "lr", "run": RUN}),
    ("DELETE", "/experiment", None),
    ("GET", "/teacher-events", None),
]


@pytest.mark.parametrize(("method", "path", "body"), TEACHER)
@pytest.mark.parametrize(
    "who", ["no key", "a wrong key", "a student's token", "another class's key"]
)
def test_only_the_teachers_key_drives_or_reads_the_class(client, method, path, body, who):
    code, key = start(client)
    student = join(client, code)
    _, other = start(client)
    headers = {
        "no key": {},
        "a wrong key": {"X-Class-Key": key["X-Class-Key"][:-1] + "x"},
        "a student's token": {"X-Class-Key": student},
        "another class's key": other,
    }[who]
    refused = client.request(method, f"/api/classes/{code}{path}", json=body, headers=headers)
    assert refused.status_code == 403
    assert refused.json()["error"] == f"only the teacher of class {code} may do this (X-Class-Key)"
    # and nothing changed: the class goes on as it was
    state = client.get(f"/api/classes/{code}", headers=key).json()
    assert (state["open"], state["scene"], state["control"], state["question"]) == (
        True,
        None,
        None,
        None,
    )
    assert state["joined"] == 1


def test_the_key_is_kept_only_as_a_digest(client):
    code, key = start(client)
    store = client.app.state.store
    meta = asyncio.run(store.get(f"class:{code}:meta"))
    assert key["X-Class-Key"].encode() not in meta


def test_a_student_cannot_answer_or_run_as_someone_who_has_not_joined(client):
    code, key = start(client)
    other_code, _ = start(client)
    outsider = join(client, other_code)  # a student of another class
    question = client.post(f"/api/classes/{code}/question", json=QUESTION, headers=key).json()
    experiment = client.post(
        f"/api/classes/{code}/experiment", json={"kind": "lr", "run": RUN}, headers=key
    ).json()
    for token in (outsider, "made-up-token"):
        answer = client.put(
            f"/api/classes/{code}/answers",
            json={"student": token, "question": question["id"], "guesses": ["local_minimum"]},
        )
        assert answer.status_code == 403 and "not a student of class" in answer.json()["error"]
        run = client.put(
            f"/api/classes/{code}/experiment/runs",
            json={"student": token, "experiment": experiment["id"], "value": 0.1},
        )
        assert run.status_code == 403
    assert client.get(f"/api/classes/{code}", headers=key).json()["tally"]["answered"] == 0


def test_what_a_student_gets_holds_no_one_elses_answers(client):
    code, key = start(client)
    client.post(f"/api/classes/{code}/question", json=QUESTION, headers=key)
    joined = client.post(f"/api/classes/{code}/students", json={}).json()
    assert set(joined) == {"student", "scene"}
    # a student has no way to the tally: every read of the class needs the key
    assert (
        client.get(f"/api/classes/{code}", params={"student": joined["student"]}).status_code == 403
    )


def test_a_closed_class_refuses_joins_and_the_class_goes_on(client):
    code, key = start(client)
    student = join(client, code)
    assert (
        client.patch(f"/api/classes/{code}", json={"open": False}, headers=key).json()["open"]
        is False
    )
    refused = client.post(f"/api/classes/{code}/students", json={})
    assert refused.status_code == 403 and "not taking new students" in refused.json()["error"]
    question = client.post(f"/api/classes/{code}/question", json=QUESTION, headers=key).json()
    answered = client.put(
        f"/api/classes/{code}/answers",
        json={"student": student, "question": question["id"], "guesses": ["local_minimum"]},
    )
    assert answered.status_code == 200  # those already in go on
    client.patch(f"/api/classes/{code}", json={"open": True}, headers=key)
    assert client.post(f"/api/classes/{code}/students", json={}).status_code == 201


def test_a_full_class_refuses_joins_with_409():
    with class_client(class_max_students=3) as client:
        code, key = start(client)
        for _ in range(3):
            join(client, code)
        full = client.post(f"/api/classes/{code}/students", json={})
        assert full.status_code == 409 and "full (3 students)" in full.json()["error"]
        assert client.get(f"/api/classes/{code}", headers=key).json()["joined"] == 3


PROBES = [  # every way to ask "is this code open?"
    ("POST", "/students", {}),
    ("GET", "/qr.svg", None),
    ("GET", "", None),
    ("GET", "/events?student=x", None),
    ("PUT", "/answers", {"student": "s", "question": "q", "guesses": ["bouncing"]}),
]


@pytest.mark.parametrize(("method", "path", "body"), PROBES)
def test_guessing_codes_is_limited_per_address_and_failures_count(method, path, body):
    with class_client(class_code_failures_per_minute=3) as client:
        code, _ = start(client)
        for _ in range(10):  # joining with the right code is never limited
            join(client, code)
        wrong = next(c for c in iter(new_code, None) if c != code)
        for _ in range(3):
            probe = client.request(method, f"/api/classes/{wrong}{path}", json=body)
            assert probe.status_code == 404
        limited = client.post(f"/api/classes/{code}/students", json={})  # even the right one
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "60"
        assert "wrong class code" in limited.json()["error"]
        assert client.get(f"/api/classes/{wrong}/qr.svg").status_code == 429  # and probes
        # another address is not held back by this one's guesses
        with TestClient(client.app, client=("10.0.0.2", 50000)) as elsewhere:
            assert elsewhere.post(f"/api/classes/{code}/students", json={}).status_code == 201


def test_starting_classes_is_limited_per_address():
    with class_client(class_creates_per_hour=2) as client:
        assert [client.post("/api/classes").status_code for _ in range(3)] == [201, 201, 429]
        assert client.post("/api/classes").headers["Retry-After"] == "3600"


def test_answers_are_limited_per_student():
    with class_client(class_answers_per_minute=3) as client:
        code, key = start(client)
        question = client.post(f"/api/classes/{code}/question", json=QUESTION, headers=key).json()
        busy, calm = join(client, code), join(client, code)

        def answer(student):
            return client.put(
                f"/api/classes/{code}/answers",
                json={"student": student, "question": question["id"], "guesses": ["local_minimum"]},
            )

        assert [answer(busy).status_code for _ in range(4)] == [200, 200, 200, 429]
        assert answer(busy).headers["Retry-After"] == "60"
        assert answer(calm).status_code == 200


LONG = "x" * 5000


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/answers",
            {"student": "s", "question": "q", "guesses": ["local_minimum"] * 9},
            "guesses",
        ),
        ("/answers", {"student": LONG, "question": "q", "guesses": ["local_minimum"]}, "student"),
        ("/answers", {"student": "s", "question": LONG, "guesses": ["local_minimum"]}, "question"),
        ("/answers", {"student": "s", "question": "q", "guesses": [LONG]}, "guesses.0"),
        ("/experiment/runs", {"student": "s", "experiment": "e", "value": LONG}, "value"),
        ("/experiment/runs", {"student": "s", "experiment": "e", "value": [1.0] * 4}, "value"),
    ],
)
def test_student_requests_are_bounded_in_size(client, path, body, field):
    code, _ = start(client)
    refused = client.put(f"/api/classes/{code}{path}", json=body)
    assert refused.status_code == 422
    assert field in {e["field"] for e in refused.json()["errors"]}


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PUT", "/scene", {"page": "roll", "params": LONG}, "params"),
        ("POST", "/question", {**QUESTION, "asks": [{"label": "x" * 121}]}, "asks.0.label"),
        (
            "POST",
            "/question",
            {**QUESTION, "asks": [{"label": "a"}] * 9, "runs": [RUN] * 9},
            "asks",
        ),
        ("POST", "/question", {**QUESTION, "choices": ["saddle"]}, "choices"),
    ],
)
def test_teacher_requests_are_bounded_in_size(client, method, path, body, field):
    code, key = start(client)
    refused = client.request(method, f"/api/classes/{code}{path}", json=body, headers=key)
    assert refused.status_code == 422
    assert field in {e["field"] for e in refused.json()["errors"]}


def test_a_class_is_gone_when_its_time_is_up():
    with class_client(class_hours=0.0003) as client:  # about one second
        code, key = start(client)
        student = join(client, code)
        question = client.post(f"/api/classes/{code}/question", json=QUESTION, headers=key).json()
        client.put(
            f"/api/classes/{code}/answers",
            json={"student": student, "question": question["id"], "guesses": ["local_minimum"]},
        )
        time.sleep(1.2)
        store = client.app.state.store
        for method, path, body, headers in [
            ("GET", "", None, key),
            ("POST", "/students", {}, {}),
            ("POST", "/control", {"action": "play", "step": 0}, key),
            (
                "PUT",
                "/answers",
                {"student": student, "question": question["id"], "guesses": ["local_minimum"]},
                {},
            ),
        ]:
            gone = client.request(method, f"/api/classes/{code}{path}", json=body, headers=headers)
            assert gone.status_code == 404
            assert gone.json()["error"] == f"no open class with code {code}"
        # and nothing of it is left in the store
        assert asyncio.run(store.hgetall(f"class:{code}:students")) == {}
        assert asyncio.run(store.hgetall(f"class:{code}:answers:{question['id']}")) == {}
        assert asyncio.run(store.get(f"class:{code}:question")) is None


def test_join_codes_are_drawn_from_the_unambiguous_alphabet():
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000  # 31^6 ≈ 8.9e8: no repeats in a few thousand
    assert all(re.fullmatch(f"[{ALPHABET}]{{6}}", c) for c in codes)
    assert set("".join(codes)) == set(ALPHABET)  # every character is used
    assert not set("01ILO") & set(ALPHABET)


def test_malformed_codes_are_refused_before_any_lookup(client):
    refused = client.post("/api/classes/AB1/students", json={})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "code"
