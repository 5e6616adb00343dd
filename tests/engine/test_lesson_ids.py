"""A lesson's id is unique across both catalogs, ball (lessons.toml) and network
(networks.toml): the gallery anchors each card by it (``#lesson-<id>``) and a page's
``?lesson=<id>`` opens the one lesson it names (once, both had ``minibatch_noise``: the
gallery showed two cards with one anchor, and the ball lesson's card named the network's data
set)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.lessons import LESSONS
from app.lessons.network_lessons import NETWORK_LESSONS, NETWORK_LESSONS_FILE, RENAMED, load


def test_no_id_names_a_ball_lesson_and_a_network_lesson() -> None:
    assert set(LESSONS).isdisjoint(NETWORK_LESSONS), set(LESSONS) & set(NETWORK_LESSONS)


def test_the_network_catalog_refuses_a_ball_lessons_id(tmp_path: Path) -> None:
    text = NETWORK_LESSONS_FILE.read_text(encoding="utf-8")
    clash = tmp_path / "networks.toml"
    clash.write_text(text.replace('id = "relu_dies"', 'id = "lr_too_large"'), encoding="utf-8")
    with pytest.raises(ValueError, match="lr_too_large: a ball lesson"):
        load(clash)


def test_a_renamed_network_lesson_names_a_lesson_under_its_new_id() -> None:
    assert RENAMED == {"minibatch_noise": "minibatch_loss_curve"}
    for old, new in RENAMED.items():
        assert old not in NETWORK_LESSONS and new in NETWORK_LESSONS
    assert NETWORK_LESSONS["minibatch_loss_curve"].title.startswith("Mini-batches make the loss")
