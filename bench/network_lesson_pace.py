"""How long a class waits in each network lesson, from Play to what it is there to see.

Each lesson of GET /api/networks/lessons is opened on /network in headless Chromium
(1280×800) against a fresh server at its own speed, Play pressed (after a guess, for a
predict-first lesson): the seconds from the press to the verdict ("You predicted it" /
"Not quite") or, for any other lesson, to the run's end, and for a lesson with a landscape view
to the view shown. Beside them: the lesson's run at its speed (steps ÷ speed, at most 10 s by
the catalog's check) and its view's compute seconds in the engine alone (views.compute at the
page's default detail, in this process) with its work units (views.work). Printed per lesson:
figures, not a test (tests/engine/test_network_lessons.py bounds the steps, speed and units).

Run: `.venv/bin/python bench/network_lesson_pace.py`; needs Debian's chromium.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright
from server import running_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.engine.networks.scenario import build  # noqa: E402
from app.engine.networks.views import DETAIL, ViewRequest, compute, work  # noqa: E402
from app.lessons.network_lessons import NETWORK_LESSONS  # noqa: E402

VIEWPORT = {"width": 1280, "height": 800}
ENDED = "#network[data-state=ended]"
VERDICT = "#prediction-result.right, #prediction-result.wrong"
VIEW = "#netview-result:not([hidden]) #netview-plot .main-svg"


def engine_view(lesson_id: str) -> tuple[float, int] | None:
    """The lesson's view computed by the engine once its run has ended: seconds, work units."""
    lesson = NETWORK_LESSONS[lesson_id]
    if lesson.view is None:
        return None
    v = lesson.view
    scenario = build(lesson.scenario())
    request = ViewRequest(v.kind, DETAIL["normal"], v.racer, v.seed, v.span, v.second_seed)
    start = time.perf_counter()
    compute(scenario, request)
    return time.perf_counter() - start, work(scenario, request)


def main() -> None:
    chromium = os.environ.get("DESCENT_LAB_CHROMIUM") or shutil.which("chromium")
    if not chromium:
        raise SystemExit("Chromium is missing: apt-get install chromium")
    with running_server() as served, sync_playwright() as p:
        lessons = httpx.get(f"{served.url}/api/networks/lessons", timeout=30).json()
        browser = p.chromium.launch(executable_path=chromium)
        print(
            f"{'lesson':26} {'steps':>6} {'speed':>6} {'run s':>6} {'view s':>7} {'units':>6}"
            f" {'Play→verdict/end s':>19} {'Play→view s':>12}"
        )
        for lesson in lessons:
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(served.url + lesson["url"])
            page.wait_for_selector("#network[data-ready=true]", state="attached", timeout=30_000)
            for group in page.locator("#predict fieldset").all():
                group.locator("input").first.check()
            start = time.perf_counter()
            page.locator("#play").click()
            page.wait_for_selector(
                VERDICT if lesson["predict"] else ENDED, state="attached", timeout=60_000
            )
            ended = time.perf_counter() - start
            shown = "–"
            if lesson["view"]:
                page.wait_for_selector(VIEW, timeout=60_000)
                shown = f"{time.perf_counter() - start:.1f}"
            page.close()
            view = engine_view(lesson["id"])
            seconds, units = (f"{view[0]:.2f}", str(view[1])) if view else ("–", "–")
            print(
                f"{lesson['id']:26} {lesson['steps']:6} {lesson['speed']:6} "
                f"{lesson['steps'] / lesson['speed']:6.1f} {seconds:>7} {units:>6} "
                f"{ended:19.1f} {shown:>12}"
            )
        browser.close()


if __name__ == "__main__":
    main()
