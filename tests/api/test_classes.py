"""/api/classes in process: starting a class, joining it, the teacher's scene and controls,
questions whose right answers the engine decides, experiments whose runs it runs."""

from __future__ import annotations

import asyncio
import io
import re

import pytest
import segno

from app.api.schemas.runs import RunRequest
from app.api.service import execute, prepare_run
from app.classes.codes import ALPHABET
from app.settings import Settings

RUN = {"surface": "roll_downhill", "optimizer": "sgd", "hyperparameters": {"lr": 0.1}, "steps": 200}
CHOICES = ["global_minimum", "local_minimum", "bouncing", "diverged"]


def start(client):
    created = client.post("/api/classes")
    assert created.status_code == 201
    body = created.json()
    return body["code"], {"X-Class-Key": body["key"]}


def join(client, code):
    joined = client.post(f"/api/classes/{code}/students", json={})
    assert joined.status_code == 201, joined.text
    return joined.json()["student"]


def ask(client, code, key, runs=(RUN,), choices=CHOICES):
    asked = client.post(
        f"/api/classes/{code}/question",
        json={
            "asks": [{"label": f"ball {i}"} for i in range(len(runs))],
            "choices": choices,
            "runs": list(runs),
        },
        headers=key,
    )
    assert asked.status_code == 201, asked.text
    return asked.json()


def engine_outcome(run):
    return execute(prepare_run(RunRequest.model_validate(run), Settings()))["outcome"]


def test_a_new_class_has_a_code_a_key_and_its_addresses(client):
    body = client.post("/api/classes").json()
    code = body["code"]
    assert re.fullmatch(f"[{ALPHABET}]{{6}}", code)
    assert len(body["key"]) >= 40
    assert body["join_url"] == f"/join?code={code}"
    assert body["teach_url"] == f"/class/{code}/teach"
    assert body["qr_url"] == f"/api/classes/{code}/qr.svg"
    assert body["expires_at"].endswith("Z")
    other = client.post("/api/classes").json()
    assert other["code"] != code and other["key"] != body["key"]


def test_the_qr_code_is_an_svg_of_the_absolute_join_address(client):
    code, _ = start(client)
    qr = client.get(f"/api/classes/{code}/qr.svg")
    assert qr.status_code == 200
    assert qr.headers["content-type"] == "image/svg+xml"
    expected = io.BytesIO()
    segno.make(f"http://testserver/join?code={code}", error="m").save(
        expected, kind="svg", scale=8, border=2, xmldecl=False
    )
    assert qr.text == expected.getvalue().decode()  # the absolute address, the code in it
    assert client.get("/api/classes/ABCDEF/qr.svg").status_code == 404


def test_a_student_joins_with_the_code_in_any_case_and_gets_the_scene(client):
    code, key = start(client)
    first = client.post(f"/api/classes/{code.lower()}/students", json={}).json()
    assert first["scene"] is None  # before the teacher opens one
    scene = client.put(
        f"/api/classes/{code}/scene", json={"page": "roll", "params": "lesson=bowl_lr"}, headers=key
    ).json()
    assert scene == {"page": "roll", "params": "lesson=bowl_lr", "mode": "follow", "version": 1}
    second = client.post(f"/api/classes/{code}/students", json={}).json()
    assert second["scene"] == scene and second["student"] != first["student"]
    state = client.get(f"/api/classes/{code}", headers=key).json()
    assert state["joined"] == 2 and state["open"] is True and state["scene"] == scene


def test_each_scene_has_a_higher_version(client):
    code, key = start(client)
    versions = [
        client.put(
            f"/api/classes/{code}/scene", json={"page": p, "params": "", "mode": m}, headers=key
        ).json()["version"]
        for p, m in (("roll", "follow"), ("explore", "free"), ("roll", "follow"))
    ]
    assert versions == [1, 2, 3]


def test_a_control_is_accepted_and_kept_for_late_joiners(client):
    code, key = start(client)
    sent = client.post(
        f"/api/classes/{code}/control", json={"action": "step", "step": 7}, headers=key
    )
    assert sent.status_code == 202 and sent.json() == {"action": "step", "step": 7}
    assert client.get(f"/api/classes/{code}", headers=key).json()["control"] == sent.json()


def test_the_reveal_is_the_engines_outcome_with_the_share_who_were_right(client):
    code, key = start(client)
    runs = [RUN, {**RUN, "hyperparameters": {"lr": 1.2}, "start": [3.5]}]
    right = [engine_outcome(r) for r in runs]
    assert right[0] != right[1]  # two different outcomes: the reveal must tell them apart
    question = ask(client, code, key, runs=runs, choices=sorted({*right, "diverged"}))
    assert question["right"] is None and question["revealed"] is False
    students = [join(client, code) for _ in range(4)]
    guesses = [
        [right[0], right[1]],
        [right[0], right[0]],
        [right[1], right[1]],
        [right[0], right[1]],
    ]
    for student, guess in zip(students, guesses, strict=True):
        answered = client.put(
            f"/api/classes/{code}/answers",
            json={"student": student, "question": question["id"], "guesses": guess},
        )
        assert answered.json() == {"ok": True}
    revealed = client.post(f"/api/classes/{code}/question/reveal", headers=key).json()
    assert revealed["right"] == right
    assert revealed["share_right"] == [0.75, 0.75]
    assert revealed["tally"]["answered"] == 4 and revealed["tally"]["joined"] == 4
    # a second reveal says the same, and the question is closed to answers
    assert client.post(f"/api/classes/{code}/question/reveal", headers=key).json() == revealed
    late = client.put(
        f"/api/classes/{code}/answers",
        json={"student": students[0], "question": question["id"], "guesses": right},
    )
    assert late.status_code == 409 and "revealed" in late.json()["error"]


def test_an_answer_can_change_until_the_reveal_and_counts_once(client):
    code, key = start(client)
    question = ask(client, code, key)
    student = join(client, code)
    for guess in ("bouncing", "diverged", "local_minimum"):
        client.put(
            f"/api/classes/{code}/answers",
            json={"student": student, "question": question["id"], "guesses": [guess]},
        )
    tally = client.get(f"/api/classes/{code}", headers=key).json()["tally"]
    assert tally["answered"] == 1 and tally["counts"] == [[0, 1, 0, 0]]


def test_a_new_question_closes_the_old_one(client):
    code, key = start(client)
    old = ask(client, code, key)
    new = ask(client, code, key)
    student = join(client, code)
    stale = client.put(
        f"/api/classes/{code}/answers",
        json={"student": student, "question": old["id"], "guesses": ["bouncing"]},
    )
    assert stale.status_code == 409 and "not the open question" in stale.json()["error"]
    fresh = client.put(
        f"/api/classes/{code}/answers",
        json={"student": student, "question": new["id"], "guesses": ["bouncing"]},
    )
    assert fresh.status_code == 200


@pytest.mark.parametrize(
    ("guesses", "field"),
    [(["saddle"], "guesses.0"), (["bouncing", "bouncing"], "guesses")],
)
def test_a_guess_must_be_one_of_the_choices_one_per_ask(client, guesses, field):
    code, key = start(client)
    question = ask(client, code, key)
    refused = client.put(
        f"/api/classes/{code}/answers",
        json={"student": join(client, code), "question": question["id"], "guesses": guesses},
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == [field]


def test_question_runs_are_checked_like_post_runs(client):
    code, key = start(client)
    bad = {**RUN, "hyperparameters": {"lr": -1}, "steps": 10**9}
    refused = client.post(
        f"/api/classes/{code}/question",
        json={"asks": [{"label": "a"}, {"label": "b"}], "choices": CHOICES, "runs": [RUN, bad]},
        headers=key,
    )
    assert refused.status_code == 422
    fields = {e["field"] for e in refused.json()["errors"]}
    assert fields == {"runs.1.steps", "runs.1.hyperparameters.lr"}
    mismatched = client.post(
        f"/api/classes/{code}/question",
        json={"asks": [{"label": "a"}, {"label": "b"}], "choices": CHOICES, "runs": [RUN]},
        headers=key,
    )
    assert mismatched.status_code == 422 and mismatched.json()["errors"][0]["field"] == "runs"


def test_revealing_before_asking_is_a_conflict(client):
    code, key = start(client)
    assert client.post(f"/api/classes/{code}/question/reveal", headers=key).status_code == 409


@pytest.mark.parametrize(
    ("kind", "value", "change"),
    [
        ("lr", 1.2, {"hyperparameters": {"lr": 1.2}}),
        ("start", [-2.0], {"start": [-2.0]}),
        ("optimizer", "adam", {"optimizer": "adam", "hyperparameters": {"lr": 0.1}}),
    ],
)
def test_an_experiment_run_is_the_engines_run_of_the_base_with_the_value(
    client, kind, value, change
):
    code, key = start(client)
    experiment = client.post(
        f"/api/classes/{code}/experiment", json={"kind": kind, "run": RUN}, headers=key
    )
    assert experiment.status_code == 201
    experiment = experiment.json()
    student = join(client, code)
    ran = client.put(
        f"/api/classes/{code}/experiment/runs",
        json={"student": student, "experiment": experiment["id"], "value": value},
    )
    assert ran.status_code == 200, ran.text
    ran = ran.json()
    bulk = client.post("/api/runs", json={"runs": [{**RUN, **change}]}).json()["runs"][0]
    assert ran["end"] == bulk["positions"][-1]
    assert ran["loss"] == bulk["losses"][-1]
    assert ran["outcome"] == {"kind": bulk["outcome"], "minimum": bulk["minimum"]}
    assert ran["steps"] == bulk["steps"][-1] and ran["value"] == value
    assert student not in ran["by"]  # an anonymous tag, not the token
    runs = client.get(f"/api/classes/{code}", headers=key).json()["runs"]
    assert runs == [ran]


def test_a_students_latest_run_replaces_their_earlier_one(client):
    code, key = start(client)
    experiment = client.post(
        f"/api/classes/{code}/experiment", json={"kind": "lr", "run": RUN}, headers=key
    ).json()
    student, other = join(client, code), join(client, code)
    for who, lr in ((student, 0.1), (student, 0.3), (other, 0.2)):
        client.put(
            f"/api/classes/{code}/experiment/runs",
            json={"student": who, "experiment": experiment["id"], "value": lr},
        )
    runs = client.get(f"/api/classes/{code}", headers=key).json()["runs"]
    assert sorted(r["value"] for r in runs) == [0.2, 0.3]


@pytest.mark.parametrize(
    ("kind", "value", "reason"),
    [
        ("lr", -0.5, "positive"),
        ("lr", "adam", "give a positive number"),
        ("start", [99.0], "outside the domain"),
        ("start", [1.0, 2.0], "give 1 coordinate"),
        ("optimizer", "sgdd", "unknown optimizer"),
    ],
)
def test_a_value_the_run_cannot_take_is_refused_on_value(client, kind, value, reason):
    code, key = start(client)
    experiment = client.post(
        f"/api/classes/{code}/experiment", json={"kind": kind, "run": RUN}, headers=key
    ).json()
    refused = client.put(
        f"/api/classes/{code}/experiment/runs",
        json={"student": join(client, code), "experiment": experiment["id"], "value": value},
    )
    assert refused.status_code == 422
    (error,) = refused.json()["errors"]
    assert error["field"] == "value" and reason in error["reason"]


def test_a_closed_experiment_takes_no_runs(client):
    code, key = start(client)
    experiment = client.post(
        f"/api/classes/{code}/experiment", json={"kind": "lr", "run": RUN}, headers=key
    ).json()
    assert client.delete(f"/api/classes/{code}/experiment", headers=key).json() == {"ok": True}
    refused = client.put(
        f"/api/classes/{code}/experiment/runs",
        json={"student": join(client, code), "experiment": experiment["id"], "value": 0.1},
    )
    assert refused.status_code == 409
    assert client.get(f"/api/classes/{code}", headers=key).json()["experiment"] is None


def test_the_experiments_base_run_is_checked_like_post_runs(client):
    code, key = start(client)
    refused = client.post(
        f"/api/classes/{code}/experiment",
        json={"kind": "lr", "run": {**RUN, "optimizer": "nope"}},
        headers=key,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "run.optimizer"


def test_ending_a_class_removes_it(client):
    code, key = start(client)
    join(client, code)
    assert client.delete(f"/api/classes/{code}", headers=key).json() == {"ok": True}
    gone = client.get(f"/api/classes/{code}", headers=key)
    assert gone.status_code == 404 and gone.json()["error"] == f"no open class with code {code}"
    assert client.post(f"/api/classes/{code}/students", json={}).status_code == 404


def test_each_value_of_an_experiment_is_run_once(client):
    """Students who choose the same value share one engine run (kept in the store)."""
    code, key = start(client)
    experiment = client.post(
        f"/api/classes/{code}/experiment", json={"kind": "lr", "run": RUN}, headers=key
    ).json()
    results = []
    for lr in (0.3, 0.3, 0.3, 0.2):
        results.append(
            client.put(
                f"/api/classes/{code}/experiment/runs",
                json={"student": join(client, code), "experiment": experiment["id"], "value": lr},
            ).json()
        )
    store = client.app.state.store
    kept = asyncio.run(store.hgetall(f"class:{code}:results:{experiment['id']}"))
    assert sorted(kept) == ["0.2", "0.3"]
    same = [{k: v for k, v in r.items() if k != "by"} for r in results[:3]]
    assert same[0] == same[1] == same[2]
    assert len({r["by"] for r in results}) == 4  # one run per student all the same


def test_an_experiment_is_short_enough_for_a_whole_class(client):
    code, key = start(client)
    refused = client.post(
        f"/api/classes/{code}/experiment",
        json={"kind": "lr", "run": {**RUN, "steps": 2001}},
        headers=key,
    )
    assert refused.status_code == 422
    (error,) = refused.json()["errors"]
    assert error["field"] == "run.steps" and "at most 2000 steps" in error["reason"]


@pytest.mark.parametrize("name", ["key", "class", "role"])
def test_a_scene_never_carries_the_class_parameters(client, name):
    """The scene goes to every student: a page address with the teacher's key in it (or the
    class's own parameters) is refused, so the key cannot leak through it."""
    code, key = start(client)
    params = f"lesson=bowl_lr&{name}={key['X-Class-Key']}"
    refused = client.put(
        f"/api/classes/{code}/scene", json={"page": "roll", "params": params}, headers=key
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "params"
    assert client.get(f"/api/classes/{code}", headers=key).json()["scene"] is None
