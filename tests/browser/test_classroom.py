"""Classroom and course pages in a real browser: state in the address, embedding, projector
mode, keyboard shortcuts, and pages that fit from a phone to a projector."""

from __future__ import annotations

import functools
import http.server
import json
import re
import signal
import threading
import time

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.test_roll_downhill import step_number, trail_x
from tests.conftest import start_server, stop_server

TRAIL = "document.getElementById('plot').data.find((t) => t.name === 'path').x"


def new_page(watched, width=1280, height=800):
    """A second, fresh page (its own context: no shared storage) on the same server."""
    context = watched.page.context.browser.new_context(viewport={"width": width, "height": height})
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(watched.base_url) else route.abort()
        ),
    )
    return context.new_page()


def test_a_copied_link_reproduces_the_run_in_a_fresh_page(watched):
    page = watched.open()
    page.get_by_label("Optimizer", exact=True).select_option(label="Momentum")
    page.get_by_label("Learning rate", exact=True).fill("0.3")
    page.get_by_label("Start position", exact=True).fill("-2")
    for _ in range(7):
        page.get_by_role("button", name="Step").click()
    expect(page.locator("#readout-step")).to_have_text("7")
    page.locator(".share summary").click()
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator(".share-link")).to_have_value(re.compile(r"steps=7"))
    link = page.locator(".share-link").input_value()
    assert re.search(r"optimizer=momentum", link) and "lr=0.3" in link and "steps=7" in link
    positions = page.evaluate(TRAIL)

    fresh = new_page(watched)
    fresh.goto(link)
    fresh.wait_for_selector("#sim[data-ready=true]")
    expect(fresh.locator("#readout-step")).to_have_text("7")
    assert fresh.evaluate(TRAIL) == positions  # the same positions at every step
    expect(fresh.get_by_label("Optimizer", exact=True)).to_have_value("momentum")
    expect(fresh.locator("#lr-value")).to_have_text("0.30")
    fresh.context.close()


def test_the_share_fields_follow_every_change(watched):
    page = watched.open()
    page.locator(".share summary").click()
    expect(page.locator(".share-link")).not_to_have_value(re.compile(r"lr="))
    page.get_by_label("Learning rate", exact=True).fill("0.3")
    expect(page.locator(".share-link")).to_have_value(re.compile(r"[?&]lr=0\.3(&|$)"))
    expect(page.locator(".share-embed")).to_have_value(re.compile(r"lr=0\.3&amp;embed=1"))
    page.get_by_label("Optimizer", exact=True).select_option(label="Adam")
    expect(page.locator(".share-link")).to_have_value(re.compile(r"optimizer=adam"))
    page.get_by_role("button", name="Step", exact=True).click()
    expect(page.locator(".share-link")).to_have_value(re.compile(r"steps=1"))


def test_a_link_with_an_unknown_optimizer_says_so(watched):
    page = watched.open("/?optimizer=foo&lr=0.3")
    expect(page.get_by_role("status").filter(has_text="Unknown optimizer")).to_have_text(
        "Unknown optimizer 'foo' in the link: using Gradient descent."
    )
    expect(page.get_by_label("Optimizer", exact=True)).to_have_value("gd")
    expect(page.locator("#lr-value")).to_have_text("0.30")  # the rest of the link holds

    page = watched.open("/explore?r1=adam&r2=sgdx", ready="#explorer")
    cards = page.locator(".racer")
    expect(cards.nth(1).locator(".link-note")).to_have_text(
        re.compile(r"^Unknown optimizer 'sgdx' in the link: using \w")
    )
    expect(cards.nth(0).locator(".link-note")).to_have_count(0)
    assert watched.errors == []


def test_the_explorer_keeps_its_race_in_the_address(watched):
    page = watched.open(
        "/explore?surface=ravine&kappa=50&start=-2,0.5&r1=gd&r1.lr=0.03&r2=adam&r2.noise=0.5"
        "&view=contour&steps=20",
        ready="#explorer",
    )
    cards = page.locator(".racer")
    expect(cards).to_have_count(2)
    expect(cards.nth(0).get_by_label("Optimizer", exact=True)).to_have_value("gd")
    expect(cards.nth(1).get_by_label("Optimizer", exact=True)).to_have_value("adam")
    expect(page.get_by_label("Condition number κ")).to_be_visible()
    expect(page.locator("#start-x")).to_have_value("-2")
    expect(cards.nth(0).locator("[data-readout=step]")).to_have_text("20")
    page.wait_for_function("location.search.includes('steps=20')")
    assert "kappa=50" in page.url and "r1.lr=0.03" in page.url and "steps=20" in page.url


@pytest.fixture
def course_site(tmp_path):
    """A course page's own web server: another local origin (its own port)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_embedded_in_another_origin_it_hides_locks_and_posts_its_height(watched, course_site):
    folder, origin = course_site
    src = f"{watched.base_url}/?embed=1&hide=speed,training&lock=optimizer&optimizer=adam"
    (folder / "course.html").write_text(
        "<!doctype html><title>Course page</title><h1>Week 3</h1>"
        "<script>window.messages = []; addEventListener('message', (e) => messages.push(e.data));"
        "</script>"
        f'<iframe src="{src}" width="900" height="400" title="Descent Lab"></iframe>'
    )
    page = watched.page
    page.goto(f"{origin}/course.html")
    frame = page.frame_locator("iframe")
    frame.locator("#sim[data-ready=true]").wait_for(state="attached", timeout=20_000)
    expect(frame.locator("header.site")).to_be_hidden()
    expect(frame.get_by_label("Speed", exact=True)).to_be_hidden()
    expect(frame.locator("#training-panel")).to_be_hidden()
    picker = frame.get_by_label("Optimizer", exact=True)
    expect(picker).to_be_visible()
    expect(picker).to_be_disabled()
    expect(picker).to_have_value("adam")
    page.wait_for_function("messages.some((m) => m.type === 'descent-lab:resize')")
    messages = page.evaluate("messages")
    heights = [m["height"] for m in messages if m.get("type") == "descent-lab:resize"]
    canvas = [m["height"] for m in messages if m.get("subject") == "lti.frameResize"]
    assert heights and canvas and heights[-1] == canvas[-1] > 400
    assert page.context.cookies() == []  # no cookies, no session


def test_keyboard_shortcuts_and_never_while_typing(watched):
    page = watched.open()
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("ArrowUp")
    expect(page.locator("#lr-value")).to_have_text("0.11")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#readout-step")).to_have_text("1")
    page.get_by_label("Start position", exact=True).focus()
    page.keyboard.press("ArrowUp")  # moves the slider, not the rate
    expect(page.locator("#lr-value")).to_have_text("0.11")
    expect(page.locator("#start-value")).to_have_text("3.51")
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()
    page.evaluate("document.activeElement.blur()")  # wherever the dialog gave focus back
    page.keyboard.press(" ")
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    page.keyboard.press("r")
    expect(page.locator("#readout-step")).to_have_text("0")


def test_projector_mode_is_readable_from_the_back_of_the_room(watched):
    page = new_page(watched, 1920, 1080)
    page.goto(f"{watched.base_url}/?projector=1")
    page.wait_for_selector("#sim[data-ready=true]")
    size = page.evaluate(
        "parseFloat(getComputedStyle(document.getElementById('readout-x')).fontSize)"
    )
    assert size >= 32
    width = page.evaluate("document.getElementById('plot').data[0].line.width")
    assert width >= 5  # thick lines
    # Play, the rate and the picker share the screen with the plot
    for name in ["Play", "Step", "Reset"]:
        expect(page.get_by_role("button", name=name)).to_be_in_viewport()
    expect(page.get_by_label("Learning rate", exact=True)).to_be_in_viewport()
    for path, ready in [("/", "#sim"), ("/explore", "#explorer")]:  # large type still fits
        page.goto(f"{watched.base_url}{path}?projector=1")
        page.wait_for_selector(f"{ready}[data-ready=true]")
        page.evaluate("document.querySelectorAll('details').forEach((d) => (d.open = true))")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1920, path
    page.context.close()


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (1920, 1080)])
def test_the_run_controls_share_one_screen_with_the_plot(watched, width, height):
    for path, ready in [("/", "#sim"), ("/explore", "#explorer")]:
        page = new_page(watched, width, height)
        page.goto(watched.base_url + path)
        page.wait_for_selector(f"{ready}[data-ready=true]")
        for name in ["Play", "Step", "Reset"]:
            expect(page.get_by_role("button", name=name)).to_be_in_viewport()
        expect(page.get_by_label("Learning rate", exact=True).first).to_be_in_viewport()
        if path == "/" or width == 1920:
            # a racer's rate beside the map on a projector; the picker under the plot
            expect(page.get_by_label("Optimizer", exact=True).first).to_be_in_viewport()
        page.context.close()


def test_a_phone_never_scrolls_sideways(watched):
    for path, ready in [("/", "#sim"), ("/explore", "#explorer")]:
        page = new_page(watched, 360, 740)
        page.goto(watched.base_url + path)
        page.wait_for_selector(f"{ready}[data-ready=true]")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
        page.context.close()


def test_the_first_screen_shows_the_four_readouts_of_the_course_widget(watched):
    page = watched.open()
    visible = page.locator(".readouts div:visible dt").all_inner_texts()
    assert visible == ["Step #", "Position x", "Loss f(x)", "Gradient f′(x)"]
    page = watched.open("/?schedule=cosine&schedule.T_max=50")
    expect(page.get_by_text("Learning rate in effect")).to_be_visible()


def test_a_ball_that_leaves_the_plot_is_marked_where_it_went(watched):
    page = watched.open("/?optimizer=momentum&lr=1&steps=300")
    marker = page.evaluate(
        "document.getElementById('plot').data.find((t) => t.name === 'ball off the plot').text"
    )
    assert len(marker) == 1 and re.search(r"ball at x = -?\d", marker[0])


def test_the_steps_and_the_plot_download_from_the_page(watched):
    page = watched.open("/?optimizer=momentum&lr=0.3&steps=12")
    page.locator(".share summary").click()
    with page.expect_download() as got:
        page.get_by_role("button", name="Steps as CSV").click()
    rows = got.value.path().read_text().splitlines()
    assert rows[0].startswith("run,surface,optimizer,step,x,")
    assert len(rows) == 1 + 13  # the start and 12 steps, as on the page
    last_x = float(rows[-1].split(",")[4])
    assert f"{last_x:.4g}" == page.locator("#readout-x").inner_text()
    with page.expect_download() as got:
        page.get_by_role("button", name="Plot as PNG").click()
    assert got.value.suggested_filename == "descent-lab-roll_downhill.png"
    assert got.value.path().read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    page = watched.open("/explore?surface=himmelblau&r1=gd&r2=adam&steps=5", ready="#explorer")
    page.locator(".share summary").click()
    with page.expect_download() as got:
        page.get_by_role("button", name="Plot as PNG").click()
    assert got.value.path().stat().st_size > 20_000  # the map with its paths drawn over it
    assert watched.errors == []


def test_every_symbol_of_the_formula_is_named_on_the_page(watched):
    page = watched.open("/?optimizer=momentum&dampening=0.5")  # τ is in effect only then
    page.locator("#optimizer-rule summary").click()
    symbols = page.locator("#optimizer-rule dt").all_inner_texts()
    assert "τ" in symbols and "μ" in symbols
    tau = page.locator("#optimizer-rule dt", has_text="τ").locator("xpath=following-sibling::dd[1]")
    expect(tau).to_contain_text("dampening")


def test_a_touch_places_the_start_on_a_phone(watched):
    context = watched.page.context.browser.new_context(
        viewport={"width": 360, "height": 740}, has_touch=True, is_mobile=True
    )
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(watched.base_url) else route.abort()
        ),
    )
    page = context.new_page()
    page.goto(watched.base_url + "/")
    page.wait_for_selector("#sim[data-ready=true]")
    box = page.locator("#plot .nsewdrag").first.bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.5)
    expect(page.locator("#start-value")).not_to_have_text("3.50")
    start = float(page.locator("#start-value").inner_text())
    assert -3.5 < start < -1.5  # a quarter of the way along [-5, 5]
    context.close()


def test_rotating_the_3d_view_never_moves_the_start(watched):
    page = watched.open("/explore?surface=himmelblau&view=3d", ready="#explorer")
    scene = page.locator(".landscape-3d")
    expect(scene.locator("canvas").first).to_be_visible()
    before = (page.locator("#start-x").input_value(), page.locator("#start-y").input_value())
    box = scene.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 11):  # drag to rotate
        page.mouse.move(x + 12 * i, y + 4 * i)
    page.mouse.up()
    page.wait_for_timeout(300)
    after = (page.locator("#start-x").input_value(), page.locator("#start-y").input_value())
    assert after == before


def test_a_full_server_is_waited_for_with_a_notice(watched, busy_server):
    # The server serves one stream at a time; a student presses Play while it is taken.
    runs = json.dumps([{"surface": "parabola", "optimizer": "sgd", "steps": 60}])
    context = watched.page.context.browser.new_context(
        viewport={"width": 1280, "height": 800},
        bypass_csp=True,  # wait_for_function evals
    )
    page = context.new_page()
    page.goto(busy_server.url + "/")
    page.wait_for_selector("#sim[data-ready=true]")
    with (
        httpx.Client(base_url=busy_server.url, timeout=30) as c,
        c.stream("GET", "/api/stream", params={"runs": runs, "speed": 20}) as held,
    ):
        assert held.status_code == 200
        page.get_by_role("button", name="Play").click()
        expect(page.locator("#status")).to_have_text(
            re.compile(r"^The server is busy with many viewers: trying again in \d+ s"),
            timeout=10_000,
        )
    # the slot frees: the page tries again by itself and the ball rolls
    page.wait_for_function(
        "Number(document.getElementById('readout-step').textContent) >= 3", timeout=15_000
    )
    expect(page.locator("#status")).not_to_contain_text("busy")
    context.close()


def test_a_server_restart_mid_run_is_said_and_the_run_carries_on(browser, tmp_path):
    # A new release while a class is watching: the server ends every stream with `closing`
    # and is gone for a while; the page says so, waits, and carries the run on.
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    first = start_server(tmp_path / "before")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(first.url + "/?speed=10&lr=0.02")
        page.wait_for_selector("#sim[data-ready=true]")
        page.get_by_role("button", name="Play").click()
        page.wait_for_function("Number(document.getElementById('readout-step').textContent) >= 3")
        first.process.send_signal(signal.SIGTERM)
        expect(page.locator("#status")).to_have_text(
            re.compile(r"^The server is restarting"), timeout=10_000
        )
        first.process.wait(10)
        time.sleep(2.5)  # down for longer than the page first waits: it keeps trying
        second = start_server(tmp_path / "after", port=first.port)
        try:
            at = step_number(page)
            page.wait_for_function(
                f"Number(document.getElementById('readout-step').textContent) >= {at + 5}",
                timeout=20_000,
            )
            expect(page.locator("#status")).not_to_contain_text("restarting")
            page.get_by_role("button", name="Pause").click()
            # the path is the one an uninterrupted run takes, step for step
            trail = trail_x(page)
            run = {"surface": "roll_downhill", "optimizer": "sgd"}
            run |= {"hyperparameters": {"lr": 0.02}, "start": [3.5], "steps": len(trail) - 1}
            (whole,) = httpx.post(f"{second.url}/api/runs", json={"runs": [run]}).json()["runs"]
            assert trail == [p[0] for p in whole["positions"]]
        finally:
            stop_server(second)
    finally:
        context.close()
        stop_server(first)


def test_an_embedded_explorer_settles_on_a_height(watched, course_site):
    # A course page that sizes the frame to every height it is told (as Canvas does): the
    # page must not grow with its frame for ever.
    folder, origin = course_site
    src = f"{watched.base_url}/explore?embed=1&lesson=plateau&surface=plateau&r1=gd"
    (folder / "resize.html").write_text(
        "<!doctype html><title>Course</title><script>window.heights = [];"
        "addEventListener('message', (e) => { if (e.data.type === 'descent-lab:resize') {"
        " heights.push(e.data.height);"
        " document.querySelector('iframe').style.height = e.data.height + 'px'; } });</script>"
        f'<iframe src="{src}" style="width: 1280px; height: 600px" title="Descent Lab"></iframe>'
    )
    page = watched.page
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{origin}/resize.html")
    page.frame_locator("iframe").locator("#explorer[data-ready=true]").wait_for(
        state="attached", timeout=20_000
    )
    page.wait_for_timeout(3000)
    first = page.evaluate("heights.length")
    page.wait_for_timeout(2000)
    assert page.evaluate("heights.length") == first  # settled: no more messages
    assert page.evaluate("Math.max(...heights)") < 4000


def test_an_embedded_lesson_below_the_fold_posts_each_new_height(watched, course_site):
    # A course page with the lesson further down: the browser stops rendering a cross-origin
    # frame out of view, and with it every ResizeObserver in it. The lesson grows after load
    # (a racer added, a section opened) and the course page must hear the new height.
    folder, origin = course_site
    src = f"{watched.base_url}/explore?embed=1&lesson=plateau&surface=plateau&r1=gd"
    (folder / "below.html").write_text(
        "<!doctype html><title>Course</title><script>window.heights = [];"
        "addEventListener('message', (e) => { if (e.data.type === 'descent-lab:resize')"
        " heights.push(e.data.height); });</script>"
        "<h1>Week 3</h1><div style='height: 3000px'>Reading before the simulator.</div>"
        f'<iframe src="{src}" width="1280" height="600" title="Descent Lab"></iframe>'
    )
    page = watched.page
    page.goto(f"{origin}/below.html")
    page.frame_locator("iframe").locator("#explorer[data-ready=true]").wait_for(
        state="attached", timeout=20_000
    )
    frame = page.frame(url=lambda url: "/explore" in url)
    page.wait_for_timeout(1000)
    loaded = frame.evaluate("document.documentElement.scrollHeight")
    page.wait_for_function(f"heights.at(-1) >= {loaded}")

    frame.evaluate("document.getElementById('add-racer').click()")
    frame.evaluate("document.querySelectorAll('details').forEach((d) => (d.open = true))")
    grown = frame.evaluate("document.documentElement.scrollHeight")
    assert grown > loaded + 300
    page.wait_for_function(f"heights.at(-1) >= {grown}", timeout=5_000)
    assert page.evaluate("scrollY") == 0  # never scrolled to the frame


def test_locks_hold_when_controls_are_rebuilt(watched):
    page = watched.open("/?lock=settings,start&hide=lr")
    page.get_by_label("Optimizer", exact=True).select_option(label="Adam")
    page.locator("#hyper-panel > summary").click()
    for field in page.locator("#hyperparameters input").all():
        expect(field).to_be_disabled()
    box = page.locator("#plot .nsewdrag").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.5)
    expect(page.locator("#start-value")).to_have_text("3.50")  # the start is locked
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("ArrowUp")  # the rate is hidden: out of the keyboard's reach too
    expect(page.locator("#lr-value")).to_have_text("0.10")
