"""axe-core on every page, as a student, a teacher at a projector and a course page see it:
no serious or critical violations."""

from __future__ import annotations

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe

PAGES = [
    ("/", "#sim"),
    ("/?embed=1", "#sim"),
    ("/?projector=1", "#sim"),
    ("/?lesson=lr_too_large&predict=1&optimizer=gd&lr=1", "#sim"),
    ("/explore", "#explorer"),
    ("/explore?embed=1", "#explorer"),
    ("/explore?projector=1&view=3d", "#explorer"),
    ("/explore?surface=ravine&lesson=momentum_ravine&r1=gd&r1.lr=0.019&r2=momentum", "#explorer"),
    # a typed formula: active (MathML, "Your formula"), and refused (its reason by the input)
    ("/?formula=0.12*x%5E2%20%2B%20sin(2.4*x)", "#sim"),
    ("/explore?formula=(1-x)%5E2%20%2B%20100*(y-x%5E2)%5E2", "#explorer"),
    ("/explore?formula=2x", "#explorer"),
    # a model on data: the chooser and the data panel, with mini-batches ringed
    ("/?model=logistic&loss=bce&data=separable&steps=20", "#sim"),
    (
        "/explore?model=linear&loss=mse&data=outlier&r1=gd&r1.lr=0.1&r1.batch_size=4&steps=20",
        "#explorer",
    ),
    ("/lessons", "main"),
    # a live class: starting one, and a student's way in (with a code from the QR's address)
    ("/class/new", "#class-new"),
    ("/join", "#class-join"),
    ("/join?code=ABC234", "#class-join"),
]


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


@pytest.mark.parametrize(("path", "ready"), PAGES)
def test_no_serious_or_critical_accessibility_violations(watched, axe, path, ready):
    if ready == "main":
        watched.page.goto(watched.base_url + path)
        page = watched.page
    else:
        page = watched.open(path, ready=ready)
    # the panels a user opens count too
    serious = serious_violations(axe, page)
    assert serious == [], "\n".join(serious)


def serious_violations(axe: Axe, page) -> list[str]:
    """axe's serious and critical findings, with every <details> open."""
    page.evaluate("document.querySelectorAll('details').forEach((d) => (d.open = true))")
    results = axe.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:4]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_a_live_class_has_no_serious_or_critical_accessibility_violations(watched, axe):
    """The teacher's class home on a projector, a lesson led from it with the tally showing,
    and a student's page with the class bar."""
    made = httpx.post(f"{watched.base_url}/api/classes", json={}).json()
    page = watched.page
    page.goto(f"{watched.base_url}{made['teach_url']}?projector=1#key={made['key']}")
    page.wait_for_selector("#class-teach[data-ready=true]")
    assert serious_violations(axe, page) == []
    page = watched.open(
        f"/?lesson=lr_too_large&predict=1&class={made['code']}&role=teacher&projector=1"
    )
    page.get_by_role("button", name="Ask the class").click()
    page.wait_for_selector(".class-tally-row")
    assert serious_violations(axe, page) == []
    student = page.context.browser.new_context(viewport={"width": 360, "height": 740})
    student.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(watched.base_url) else route.abort()
        ),
    )
    phone = student.new_page()
    phone.goto(f"{watched.base_url}/join?code={made['code']}")
    phone.get_by_role("button", name="Join").click()
    phone.wait_for_url("**/?**class=**")
    phone.wait_for_selector("#sim[data-ready=true]")
    phone.wait_for_selector("#class-answer:not(:empty)")
    assert serious_violations(axe, phone) == []
    student.close()
