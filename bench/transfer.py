"""Bytes each page costs over the network, first visit and repeat visit, printed as figures.

Each page is opened in headless Chromium at 1280×800 in a fresh browser context (an empty
HTTP cache: the first view), then again in a new tab of the same context (the repeat view:
what the browser's HTTP cache does not spare). Transferred bytes are Chromium's own count,
`encodedDataLength` of Network.loadingFinished (headers and compressed bodies, as on the
wire; a response served from the cache counts 0).

Pages: /, /explore, /lessons, and /explore with its 3D view opened (the 3D traces load only
then). `--details` lists every response of each view, largest first.

Run: `.venv/bin/python bench/transfer.py [--details]`; needs Debian's chromium.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from playwright.sync_api import BrowserContext, Page, sync_playwright
from server import running_server

VIEWPORT = {"width": 1280, "height": 800}


def ready(selector: str) -> Callable[[Page], None]:
    """Wait until the page's simulator (`selector`) says it is ready."""
    return lambda page: page.wait_for_selector(f"{selector}[data-ready=true]", timeout=30_000)


def explorer_in_3d(page: Page) -> None:
    ready("#explorer")(page)
    page.get_by_label("3D surface").check()
    page.wait_for_function(
        "() => document.querySelector('.landscape-3d').data?.some((t) => t.type === 'surface')",
        timeout=30_000,
    )


PAGES: list[tuple[str, str, Callable[[Page], None]]] = [
    ("/", "/", ready("#sim")),
    ("/explore", "/explore", ready("#explorer")),
    ("/lessons", "/lessons", lambda page: None),
    ("/explore (3D view)", "/explore", explorer_in_3d),
]


@dataclass
class Transfer:
    """What one view of a page fetched: bytes per request id, and each request's URL."""

    sizes: dict[str, float] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)

    def sent(self, event: dict) -> None:
        self.urls.setdefault(event["requestId"], event["request"]["url"])

    def finished(self, event: dict) -> None:
        self.sizes[event["requestId"]] = event["encodedDataLength"]

    @property
    def total(self) -> float:
        return sum(self.sizes.values())


def view(context: BrowserContext, url: str, wait: Callable[[Page], None]) -> Transfer:
    """Open `url` in a new tab of `context`, let it settle, and count what came over the wire."""
    page = context.new_page()
    seen = Transfer()
    cdp = context.new_cdp_session(page)
    cdp.on("Network.requestWillBeSent", seen.sent)
    cdp.on("Network.loadingFinished", seen.finished)
    cdp.send("Network.enable")
    page.goto(url)
    wait(page)
    page.wait_for_load_state("networkidle")
    page.close()
    return seen


def kb(n: float) -> str:
    return f"{n / 1000:,.0f} KB" if n >= 10_000 else f"{n / 1000:,.1f} KB"


def details(label: str, seen: Transfer, base: str) -> None:
    print(f"  {label}:")
    for request, size in sorted(seen.sizes.items(), key=lambda item: -item[1]):
        url = seen.urls.get(request, "?")
        if size and not url.startswith("data:"):  # data: URLs cross no network
            print(f"    {kb(size):>10}  {url.removeprefix(base)}")


def main() -> None:
    chromium = os.environ.get("DESCENT_LAB_CHROMIUM") or shutil.which("chromium")
    if not chromium:
        raise SystemExit("Chromium is missing: apt-get install chromium")
    verbose = "--details" in sys.argv[1:]
    with running_server() as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium)
        print(f"{'page':<20} {'first view':>12} {'repeat view':>12}")
        for label, path, wait in PAGES:
            context = browser.new_context(viewport=VIEWPORT)
            first = view(context, server.url + path, wait)
            repeat = view(context, server.url + path, wait)
            context.close()
            print(f"{label:<20} {kb(first.total):>12} {kb(repeat.total):>12}")
            if verbose:
                details("first view", first, server.url)
                details("repeat view", repeat, server.url)
        browser.close()


if __name__ == "__main__":
    main()
