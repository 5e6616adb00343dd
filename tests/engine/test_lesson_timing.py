"""Every lesson's phenomenon shows within 10 s at its default speed.

The page streams each racer with early ending and words the engine's running verdict as it
plays (``app.lessons.timing``): for every racer of every lesson, the run ends in one of its
expected outcomes, and the step from which its running verdict is that outcome for good —
for a predict-first lesson, whose answer is revealed once the run has ended, the step where
it ends — divided by the lesson's speed is at most 10 s.
"""

from __future__ import annotations

import pytest

from app.lessons import LESSONS, Lesson, Racer
from app.lessons.timing import settled_step

WAIT_S = 10.0

RACERS = [
    pytest.param(lesson, racer, id=f"{lesson.id}-{i}")
    for lesson in LESSONS.values()
    for i, racer in enumerate(lesson.racers, 1)
]


@pytest.mark.parametrize(("lesson", "racer"), RACERS)
def test_each_racer_is_decided_within_ten_seconds(lesson: Lesson, racer: Racer) -> None:
    timing = settled_step(lesson, racer)
    assert timing.expected, f"ends {timing.outcome} with early ending, not {racer.expected}"
    step = timing.ended if lesson.predict else timing.settled
    seconds = step / lesson.speed
    assert seconds <= WAIT_S, (
        f"{timing.outcome} shows at step {step}, {seconds:.1f} s at {lesson.speed} steps/s"
    )


def test_a_slow_lesson_would_fail() -> None:
    """The bound can fail: lbfgs_vs_adam at 10 steps/s takes far longer than 10 s."""
    lesson = LESSONS["lbfgs_vs_adam"]
    slow = Lesson.model_validate({**dict(lesson), "speed": 10})
    worst = max(settled_step(slow, r).settled for r in slow.racers)
    assert worst / slow.speed > WAIT_S


def test_a_lesson_speed_is_a_position_of_the_slider() -> None:
    lesson = LESSONS["lr_too_large"]
    with pytest.raises(ValueError, match="no speed of the slider"):
        Lesson.model_validate({**dict(lesson), "speed": 7})
