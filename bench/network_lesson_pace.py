"""How long a class waits in each predict-first network lesson, from the guess to the reveal.

Each predict-first lesson of GET /api/networks/lessons is opened on /network in headless
Chromium (1280×800) against a fresh server, a guess made, Play pressed: the seconds from the
press to the verdict ("You predicted it" / "Not quite") and the revealed title, beside the
lesson's own budget (steps ÷ speed, at most 10 s by the catalog's check). Printed per lesson.

Run: `.venv/bin/python bench/network_lesson_pace.py`; needs Debian's chromium.
"""

from __future__ import annotations

import os
import shutil
import time

import httpx
from playwright.sync_api import sync_playwright
from server import running_server

VIEWPORT = {"width": 1280, "height": 800}


def main() -> None:
    chromium = os.environ.get("DESCENT_LAB_CHROMIUM") or shutil.which("chromium")
    if not chromium:
        raise SystemExit("Chromium is missing: apt-get install chromium")
    with running_server() as served, sync_playwright() as p:
        lessons = httpx.get(f"{served.url}/api/networks/lessons", timeout=30).json()
        browser = p.chromium.launch(executable_path=chromium)
        print(f"{'lesson':26} {'steps':>6} {'speed':>6} {'budget s':>9} {'guess→reveal s':>15}")
        for lesson in lessons:
            if not lesson["predict"]:
                continue
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(served.url + lesson["url"])
            page.wait_for_selector("#network[data-ready=true]", state="attached", timeout=30_000)
            page.locator("#predict input").first.check()
            start = time.perf_counter()
            page.locator("#play").click()
            page.wait_for_selector(
                "#prediction-result.right, #prediction-result.wrong", timeout=60_000
            )
            seconds = time.perf_counter() - start
            budget = lesson["steps"] / lesson["speed"]
            print(
                f"{lesson['id']:26} {lesson['steps']:6} {lesson['speed']:6} "
                f"{budget:9.1f} {seconds:15.1f}"
            )
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
