"""Seconds from Play to verdict for each lesson at its default speed, from the engine.

For every racer of every lesson, the run the page streams (``end_early``) is taken step by
step as the stream does: the step at which its outcome is settled is the first step from
which its running verdict (``Run.verdict``) equals the outcome it ends with, for good, or
the step at which it ended early ("end s": when the run ends, which a predict-first lesson
waits for before it reveals the answer).  Divided by the lesson's speed (steps per second), that
is how long a class waits for the phenomenon.  Prints one line per racer and the slowest
racer per lesson.

    .venv/bin/python bench/verdict_time.py [lesson ids...]
"""

from __future__ import annotations

import sys

from app.lessons import LESSONS
from app.lessons.timing import settled_step

ASKED = ("lr_too_large", "true_divergence", "separable_runs_away", "lbfgs_vs_adam", "saddle_point")


def main(ids: list[str]) -> None:
    head = ("lesson", "racer", "speed", "ended", "status", "end s", "settled", "s")
    print("{:24} {:28} {:>6} {:>7} {:>9} {:>6} {:>7} {:>6}".format(*head))
    slowest: dict[str, float] = {}
    for lesson_id in ids or list(LESSONS):
        lesson = LESSONS[lesson_id]
        for i, racer in enumerate(lesson.racers):
            timing = settled_step(lesson, racer)
            seconds = timing.settled / lesson.speed
            # "!" marks an outcome the lesson does not expect
            name = f"{i + 1} {racer.choice} {timing.outcome}" + ("" if timing.expected else "!")
            slowest[lesson_id] = max(slowest.get(lesson_id, 0.0), seconds)
            print(
                f"{lesson_id:24} {name:28} "
                f"{lesson.speed:6} {timing.ended:7} {timing.status:>9} "
                f"{timing.ended / lesson.speed:6.1f} {timing.settled:7} "
                f"{seconds:6.1f}"
            )
    print()
    for lesson_id, seconds in slowest.items():
        mark = " <- asked" if lesson_id in ASKED else ""
        print(f"{lesson_id:24} verdict after {seconds:5.1f} s{mark}")


if __name__ == "__main__":
    main(sys.argv[1:])
