"""Render budget of the 2D explorer in headless Chromium, printed as figures.

Three racers (gradient descent, momentum, Adam) race on the default landscape at 60 steps/s
while the page records every animation frame.  Printed:

* frame interval p50/p95 (target p95 <= 16.7 ms: one vsync, timestamps jitter by 0.1 ms)
  and the frames that took over 25 ms (dropped);
* main-thread time per frame from Chromium's sampling profiler: all work (script, style,
  layout, paint) and script alone;
* for the 3D view, the achieved update rate (Plotly redraws of the scene per second) and
  the time each takes.

Run: `make bench` (or `.venv/bin/python bench/render_2d.py`); needs Debian's chromium.
"""

from __future__ import annotations

import collections
import os
import shutil

from playwright.sync_api import Page, sync_playwright
from server import running_server

SECONDS = 8.0  # measured per view
SPEED_INDEX = 6  # the speed slider's position for 60 steps/s

# Installed before the page's scripts: frame timestamps, and how long each restyle takes.
RECORD = """
(() => {
  const rec = { frames: [], draws: [], recording: false };
  window.__render = rec;
  const tick = (t) => {
    if (rec.recording) rec.frames.push(t);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  let plotly;
  Object.defineProperty(window, "Plotly", {
    configurable: true,
    get() { return plotly; },
    set(value) {
      const restyle = value.restyle;
      value.restyle = function (el, ...rest) {
        const t0 = performance.now();
        const out = restyle.call(this, el, ...rest);
        if (rec.recording) rec.draws.push({ ms: performance.now() - t0, on: el.className });
        return out;
      };
      plotly = value;
    },
  });
})();
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main_thread_ms(profile: dict) -> tuple[float, float]:
    """(all work, script only) in ms from a CDP CPU profile; the rest was idle."""
    nodes = {n["id"]: n["callFrame"]["functionName"] for n in profile["nodes"]}
    spent: collections.Counter[str] = collections.Counter()
    for sample, dt in zip(profile["samples"], profile["timeDeltas"], strict=True):
        spent[nodes[sample]] += dt
    busy = sum(spent.values()) - spent["(idle)"]
    script = busy - spent["(program)"] - spent["(garbage collector)"]
    return busy / 1000, script / 1000


def race(page: Page, view: str) -> dict:
    page.get_by_role("button", name="Reset").click()
    page.wait_for_function("document.getElementById('explorer').dataset.state === 'idle'")
    page.wait_for_timeout(500)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 250})
    page.evaluate("Object.assign(window.__render, {frames: [], draws: [], recording: true})")
    cdp.send("Profiler.start")
    page.get_by_role("button", name="Play").click()
    page.wait_for_timeout(SECONDS * 1000)
    rec = page.evaluate("Object.assign(window.__render, {recording: false})")
    busy, script = main_thread_ms(cdp.send("Profiler.stop")["profile"])
    cdp.detach()
    steps = [int(t) for t in page.locator(".racer [data-readout=step]").all_inner_texts()]
    page.get_by_role("button", name="Pause").click()
    frames = rec["frames"]
    intervals = [b - a for a, b in zip(frames, frames[1:], strict=False)]
    restyles = [d["ms"] for d in rec["draws"]]
    scene = [d["ms"] for d in rec["draws"] if "landscape-3d" in d["on"]]
    return {
        "view": view,
        "frames": len(frames),
        "interval_p50": percentile(intervals, 0.5),
        "interval_p95": percentile(intervals, 0.95),
        "dropped": sum(1 for d in intervals if d > 25.0),
        "busy_per_frame": busy / max(1, len(frames)),
        "script_per_frame": script / max(1, len(frames)),
        "restyles": len(restyles),
        "scene_per_s": len(scene) / SECONDS,
        "scene_p50": percentile(scene, 0.5) if scene else float("nan"),
        "scene_p95": percentile(scene, 0.95) if scene else float("nan"),
        "steps_per_s": min(steps) / SECONDS,
    }


def report(r: dict) -> None:
    print(f"{r['view']} view, 3 racers at 60 steps/s for {SECONDS:.0f} s ({r['frames']} frames):")
    print(f"  frame interval p50 / p95:  {r['interval_p50']:6.2f} / {r['interval_p95']:6.2f} ms"
          "   (target p95 <= 16.7 ms)")  # fmt: skip
    print(f"  frames over 25 ms:         {r['dropped']:6d}")
    print(f"  main thread per frame:     {r['busy_per_frame']:6.2f} ms"
          f" (script {r['script_per_frame']:.2f} ms)")  # fmt: skip
    print(f"  steps per racer:           {r['steps_per_s']:6.1f} per s")
    if r["view"] == "3D":
        print(f"  3D scene updates:          {r['scene_per_s']:6.1f} per s")
        print(f"  3D Plotly.restyle p50/p95: {r['scene_p50']:6.1f} / {r['scene_p95']:.1f} ms")
    else:
        print(f"  Plotly redraws:            {r['restyles']:6d}   (moving marks are SVG)")


def main() -> None:
    chromium = os.environ.get("DESCENT_LAB_CHROMIUM") or shutil.which("chromium")
    if not chromium:
        raise SystemExit("Chromium is missing: apt-get install chromium")
    with running_server() as server, sync_playwright() as p:
        # Chromium's defaults: forcing SwiftShader for everything (--use-angle=swiftshader)
        # makes every frame four times slower, and WebGL works without it.
        browser = p.chromium.launch(executable_path=chromium)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.add_init_script(RECORD)
        page.goto(f"{server.url}/explore")
        page.wait_for_selector("#explorer[data-ready=true]", timeout=30_000)
        page.get_by_label("Speed").focus()
        page.keyboard.press("Home")
        for _ in range(SPEED_INDEX):
            page.keyboard.press("ArrowRight")
        assert page.locator("#speed-value").inner_text() == "60 steps/s"
        report(race(page, "contour"))
        page.get_by_label("3D surface").check()
        page.wait_for_function("document.querySelector('.landscape-3d').data?.[0]?.type")
        report(race(page, "3D"))
        browser.close()


if __name__ == "__main__":
    main()
