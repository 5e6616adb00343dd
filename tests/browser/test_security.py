"""The pages under their Content-Security-Policy, in a real browser with the network blocked."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.csp  # the policy is enforced

# Every CSP violation the page reports, recorded before the page's own scripts run.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__violations.push(`${e.effectiveDirective} ${e.blockedURI} ${where}`);
});
"""

# Proof that the policy is in force: the page compiling code at run time is refused. (Run from a
# timer: Playwright's own evaluation may be let through the policy while it runs.)
TRY_EVAL = """
new Promise((resolve) => setTimeout(() => {
  try { resolve(new Function("return 'ran'")()); } catch (e) { resolve(e.name); }
}))
"""


def open_under_policy(watched, path: str, ready: str) -> tuple[Page, str]:
    """Open a page with violations recorded; return it and the policy it was served with."""
    page = watched.page
    page.add_init_script(RECORD_VIOLATIONS)
    with page.expect_response(lambda r: r.url == watched.base_url + path) as served:
        watched.open(path, ready=ready)
    return page, served.value.headers["content-security-policy"]


def violations(page: Page) -> list[str]:
    return page.evaluate("window.__violations")


def assert_eval_is_refused(page: Page) -> None:
    assert violations(page) == []
    assert page.evaluate(TRY_EVAL) == "EvalError"
    (refused,) = violations(page)
    assert refused.startswith("script-src eval")


def test_the_explorer_3d_view_plays_without_eval(watched):
    page, csp = open_under_policy(watched, "/explore?surface=himmelblau", "#explorer")
    assert "'unsafe-eval'" not in csp
    page.get_by_label("3D surface").check()
    page.wait_for_function(
        "() => document.querySelector('.landscape-3d').data?.some((t) => t.type === 'surface')"
    )
    page.get_by_role("button", name="Play").click()
    path = "document.querySelector('.landscape-3d').data.find((t) => t.name === 'Gradient descent')"
    page.wait_for_function(f"() => ({path}.x || []).length >= 20", timeout=20_000)
    page.get_by_role("button", name="Pause").click()
    # Plotly's PNG export works under img-src (it rasterizes a blob: SVG)
    png = page.evaluate(
        "Plotly.toImage(document.querySelector('.landscape-3d'), {format: 'png'})"
        ".then((url) => url.slice(0, 22), (e) => String(e))"
    )
    assert png == "data:image/png;base64,"
    assert watched.errors == []
    assert_eval_is_refused(page)


def test_roll_downhill_plays_without_eval(watched):
    page, csp = open_under_policy(watched, "/", "#sim")
    assert "'unsafe-eval'" not in csp
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("() => Number(document.getElementById('readout-step').textContent) >= 5")
    assert watched.errors == []
    assert_eval_is_refused(page)


def test_api_docs_render_offline_under_the_policy(watched):
    page = watched.page
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(watched.base_url + "/docs")
    expect(page.locator(".opblock-summary-path[data-path='/api/runs']")).to_be_visible(
        timeout=20_000
    )
    expect(page.locator(".opblock-summary-path[data-path='/api/stream']")).to_be_visible()
    assert violations(page) == []
    assert watched.errors == []
    assert watched.blocked == []  # nothing asked of a CDN
