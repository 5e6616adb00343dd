"""Playwright driving Debian's Chromium against the real server, with the network blocked."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]"}

# Frame and draw counters installed before the page's own scripts run: a continuous
# requestAnimationFrame loop opens a new frame, and every Plotly.restyle is counted in it.
COUNT_DRAWS = """
(() => {
  window.__draws = { total: 0, inFrame: 0, maxPerFrame: 0, frames: 0 };
  const tick = () => {
    window.__draws.frames++;
    window.__draws.inFrame = 0;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  let plotly;
  Object.defineProperty(window, "Plotly", {
    configurable: true,
    get() { return plotly; },
    set(value) {
      const restyle = value.restyle;
      value.restyle = function (...args) {
        const d = window.__draws;
        d.total++; d.inFrame++; d.maxPerFrame = Math.max(d.maxPerFrame, d.inFrame);
        return restyle.apply(this, args);
      };
      plotly = value;
    },
  });
})();
"""


def chromium_path() -> str:
    path = os.environ.get("DESCENT_LAB_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail(
            "Chromium is missing: install Debian's package (apt-get install chromium) "
            "or set DESCENT_LAB_CHROMIUM to a Chromium binary; `make test` installs it as root."
        )
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=chromium_path(),
            args=[
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


class Watched:
    """A page plus what it did: console errors and the non-local requests it tried."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.errors: list[str] = []
        self.blocked: list[str] = []

    def open(self, path: str = "/", ready: str = "#sim") -> Page:
        """Load a page and wait until its simulator (the element `ready`) says it is ready."""
        self.page.goto(self.base_url + path)
        self.page.wait_for_selector(f"{ready}[data-ready=true]", timeout=20_000)
        return self.page


@pytest.fixture
def watched(browser: Browser, server, request: pytest.FixtureRequest) -> Iterator[Watched]:
    # Playwright's wait_for_function evaluates its predicate with eval, which the pages'
    # Content-Security-Policy refuses. Tests marked `csp` (tests/browser/test_security.py) keep
    # the policy and wait with function predicates; the others bypass it.
    enforce_csp = request.node.get_closest_marker("csp") is not None
    context = browser.new_context(
        viewport={"width": 1280, "height": 1000}, bypass_csp=not enforce_csp
    )
    context.add_init_script(COUNT_DRAWS)
    page = context.new_page()
    w = Watched(page, server.url)

    def route(route):
        host = urlsplit(route.request.url).hostname or ""
        if host in LOCAL_HOSTS or f"[{host}]" in LOCAL_HOSTS:
            route.continue_()
        else:
            w.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    page.on("console", lambda m: m.type == "error" and w.errors.append(m.text))
    page.on("pageerror", lambda e: w.errors.append(str(e)))
    yield w
    context.close()
    server.check_alive()
