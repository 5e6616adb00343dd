"""What the pages fetch: plotly.js only where something is plotted, its 3D part only in 3D."""

from __future__ import annotations

from playwright.sync_api import expect


def record_requests(watched) -> list[str]:
    requests: list[str] = []
    watched.page.on("request", lambda r: requests.append(r.url))
    return requests


def test_the_lessons_page_loads_no_plotly(watched):
    requests = record_requests(watched)
    page = watched.page
    page.goto(watched.base_url + "/lessons")
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", name="Lessons", exact=True)).to_be_visible()
    assert requests and not [url for url in requests if "plotly" in url]
    assert page.evaluate("typeof window.Plotly") == "undefined"
    assert watched.errors == []


def test_the_3d_traces_load_when_the_3d_view_first_opens_into_the_same_plotly(watched):
    requests = record_requests(watched)
    page = watched.open("/explore?surface=himmelblau", ready="#explorer")

    def gl3d() -> list[str]:
        return [url for url in requests if "/vendor/plotly-" in url and "/gl3d-" in url]

    assert [url for url in requests if url.endswith("/plotly.js")]  # the contour map's
    assert gl3d() == []
    page.evaluate("window.__plotlyBefore3d = window.Plotly")
    page.get_by_label("3D surface").check()
    page.wait_for_function(
        "document.querySelector('.landscape-3d').data?.some((t) => t.type === 'surface')"
    )
    expect(page.locator(".landscape-3d canvas").first).to_be_visible()
    assert len(gl3d()) == 1
    # one Plotly draws both views (the page's restyles are counted on it: tests/browser/conftest)
    assert page.evaluate("window.Plotly === window.__plotlyBefore3d")
    before = page.evaluate("window.__draws.total")
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(f"window.__draws.total > {before + 5}")  # the paths move in 3D
    page.get_by_role("button", name="Pause").click()
    # back to the map and into 3D again: drawn at once, nothing fetched again
    page.get_by_label("Contour map").check()
    expect(page.locator(".landscape-map")).to_be_visible()
    page.get_by_label("3D surface").check()
    expect(page.locator(".landscape-3d canvas").first).to_be_visible()
    assert len(gl3d()) == 1
    assert watched.errors == []
