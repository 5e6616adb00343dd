"""The network page (/network) in a real browser against the real server: a small network trained
by the server's stream, its decision regions, loss chart, readouts and the server's verdict."""

from __future__ import annotations

import json

import httpx
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

from app.engine.optimizers.muon import MATRIX_FORMULA
from app.outcome_words import NET_OUTCOME_WORDS
from tests.browser.test_accessibility import serious_violations

READY = "#network"
STEP = "#readout-step"
# Too big a network for thirty noisy points, half of them kept aside, trained long: it learns
# the training points' noise and its test loss rises again (the engine says "overfitting").
OVERFIT = (
    "?data=circle&points=40&noise=0.3&test=0.5&layers=3&u1=16&u2=16&u3=16&act=relu"
    "&init=he&batch=20&r1=adam&r1.lr=0.03&run=1500"
)


def open_network(watched, query: str = "") -> Page:
    return watched.open(f"/network{query}", ready=READY)


def fastest(page: Page) -> None:
    page.get_by_label("Speed").focus()
    page.keyboard.press("End")
    expect(page.locator("#speed-value")).to_have_text("500 steps/s")


def step_shown(page: Page) -> int:
    return int(page.locator(STEP).inner_text())


def loss_shown(page: Page) -> float:
    return float(page.locator("#readout-train-loss").inner_text())


def map_image(page: Page) -> str:
    """The decision regions' picture (a data: URL) under the points."""
    return page.evaluate(
        "(document.getElementById('decision').layout.images[0] || {}).source || ''"
    )


def wait_for_step(page: Page, beyond: int) -> None:
    page.wait_for_function(
        f"Number(document.querySelector('{STEP}').textContent) > {beyond}", timeout=30_000
    )


def trains_a_little(page: Page, optimizer: str) -> None:
    """The first racer, `optimizer` in its picker, trains 30-odd steps at full speed and its
    training loss falls below where it began."""
    expect(page.locator("#racer-0-optimizer option:checked")).to_have_text(optimizer)
    fastest(page)
    page.get_by_role("button", name="Play").click()
    wait_for_step(page, 30)
    page.get_by_role("button", name="Pause").click()
    first = float(page.evaluate("document.getElementById('net-loss').data[0].y[0]"))
    assert loss_shown(page) < first


def pick_the_first_weight(page: Page) -> Locator:
    """Pick the diagram's first weight from the keyboard: the Update rule panel opens on it."""
    page.locator("#network-diagram svg").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    rule = page.locator("#update-rule")
    expect(rule).to_have_attribute("open", "")
    expect(rule.locator("[data-rule=who]")).to_contain_text("Weight x₂ → layer 1 · unit 1")
    return rule


def test_the_page_loads_offline_with_no_errors(watched):
    page = open_network(watched)
    expect(page.get_by_role("heading", name="A network learns")).to_be_visible()
    expect(page.locator("#status")).to_have_text("Press Play to train the network.")
    assert step_shown(page) == 0
    # the data set menu is the server's catalog, then points of one's own
    catalog = httpx.get(f"{watched.base_url}/api/networks/catalog", timeout=20).json()
    options = page.locator("#dataset option").all_inner_texts()
    assert options[:-1] == [d["name"] for d in catalog["datasets"]]
    assert map_image(page).startswith("data:image/png")  # the untrained network's regions
    assert watched.errors == [] and watched.blocked == []


def test_the_other_pages_link_to_it(watched):
    page = watched.open("/")
    page.get_by_role("link", name="A network learns").click()
    page.wait_for_selector(f"{READY}[data-ready=true]")
    page.goto(watched.base_url + "/lessons")
    page.get_by_role("link", name="watch a real network learn").click()
    page.wait_for_selector(f"{READY}[data-ready=true]")


def test_play_trains_the_network(watched):
    page = open_network(watched)
    fastest(page)
    before = map_image(page)
    page.get_by_role("button", name="Play").click()
    wait_for_step(page, 150)
    first = float(page.evaluate("document.getElementById('net-loss').data[0].y[0]"))
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Play")).to_be_visible()
    assert loss_shown(page) < first  # the training loss fell
    assert map_image(page) != before  # the decision regions moved
    assert float(page.locator("#decision").get_attribute("data-frames")) > 1
    assert watched.errors == []


def test_adafactor_trains_the_network_per_parameter_tensor(watched):
    # The per-tensor path (each weight matrix factored, each bias a vector) through the
    # page's picker, its sliders (ε₁'s default is 2⁻⁵²) and the stream.
    page = open_network(watched, "?r1=adafactor&r1.lr=0.05")
    trains_a_little(page, "Adafactor")
    assert "r1=adafactor" in page.url
    assert watched.errors == []


def test_an_added_racer_shows_on_the_loss_chart(watched):
    page = open_network(watched)
    fastest(page)
    page.get_by_role("button", name="Add racer").click()
    expect(page.locator(".net-racer")).to_have_count(2)
    expect(page.locator(".net-racer-card")).to_have_count(2)
    verdict = page.locator(".net-racer-verdict").first
    # the starting picture drawn, nothing trained yet: no verdict to give
    page.wait_for_function(
        "document.querySelector('.net-racer-card canvas').toDataURL().length > 2000"
    )
    expect(verdict).to_have_text("")
    page.get_by_role("button", name="Play").click()
    wait_for_step(page, 50)
    expect(verdict).not_to_have_text("")
    names = page.evaluate("document.getElementById('net-loss').data.map((t) => t.name)")
    second = page.locator("#racer-1-optimizer option:checked").inner_text()
    assert f"{second}: training loss" in names and f"{second}: test loss" in names
    assert len(names) == 4
    assert "r2=" in page.url


def test_a_changed_control_is_in_the_address_and_a_reload_restores_it(watched):
    page = open_network(watched)
    page.get_by_label("Activation").select_option("relu")
    page.get_by_role("slider", name="Hidden layers").focus()
    page.keyboard.press("ArrowRight")
    page.get_by_role("checkbox", name="x₁²").check()
    page.wait_for_function(
        "location.search.includes('act=relu') && location.search.includes('layers=3')"
    )
    assert "features=x1%2Cx2%2Cx1sq" in page.url or "features=x1,x2,x1sq" in page.url
    page.reload()
    page.wait_for_selector(f"{READY}[data-ready=true]")
    expect(page.get_by_label("Activation")).to_have_value("relu")
    expect(page.get_by_role("slider", name="Hidden layers")).to_have_value("3")
    expect(page.get_by_role("checkbox", name="x₁²")).to_be_checked()
    expect(page.get_by_label("Units in layer 3")).to_be_visible()


def test_an_overfitting_run_marks_early_stopping_in_the_servers_words(watched):
    page = open_network(watched, OVERFIT + "&steps=1500")
    outcome = page.evaluate("document.getElementById('network').dataset.outcome")
    assert outcome == "overfitting"
    early = page.locator("#net-loss").get_attribute("data-early-stop")
    assert early and int(early) > 0
    shapes = page.evaluate("document.getElementById('net-loss').layout.shapes.map((s) => s.x0)")
    assert shapes == [int(early)]
    status = page.locator("#status").inner_text()
    words = NET_OUTCOME_WORDS["overfitting"]["sentence"]["classification"]
    assert status.startswith(words.split("{")[0])
    assert f"lowest at step {early}" in status


def test_space_plays_and_pauses(watched):
    page = open_network(watched)
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    wait_for_step(page, 0)
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Play")).to_be_visible()


def test_projector_mode_fits_plot_play_and_verdict_on_one_screen(watched):
    watched.page.set_viewport_size({"width": 1920, "height": 1080})
    page = open_network(watched, "?projector=1")
    for selector in ("#decision", "#play", "#status"):
        box = page.locator(selector).bounding_box()
        assert box and box["y"] + box["height"] <= 1080, selector
    assert page.evaluate("document.documentElement.scrollWidth") <= 1920


def test_a_laptop_screen_shows_map_play_readouts_and_verdict(watched):
    watched.page.set_viewport_size({"width": 1280, "height": 800})
    page = open_network(watched)
    for selector in ("#decision", "#play", "#status", "#readout-test-loss"):
        box = page.locator(selector).bounding_box()
        assert box and box["y"] + box["height"] <= 800, selector


def test_a_phone_has_no_sideways_scrolling(watched):
    watched.page.set_viewport_size({"width": 360, "height": 780})
    page = open_network(watched)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    expect(page.get_by_role("button", name="Play")).to_be_visible()


def test_embedded_with_hidden_and_locked_controls(watched):
    page = open_network(watched, "?embed=1&hide=activation,racers&lock=dataset")
    expect(page.locator("header.site")).to_be_hidden()
    expect(page.get_by_label("Activation")).to_be_hidden()
    expect(page.get_by_role("button", name="Add racer")).to_be_hidden()
    expect(page.get_by_label("Data set")).to_be_disabled()


def test_no_serious_accessibility_violations(watched):
    axe = Axe()
    for query in ("", "?projector=1", "?embed=1", "?r2=adam"):
        page = open_network(watched, query)
        serious = serious_violations(axe, page)
        assert serious == [], f"{query}: " + "\n".join(serious)


def test_a_weight_picked_in_the_diagram_is_explained_with_the_optimizers_rule(watched):
    page = open_network(watched, "?r1=adam&r1.lr=0.02&steps=20")
    expect(page.locator("#update-rule [data-rule=body]")).to_be_hidden()
    rule = pick_the_first_weight(page)
    expect(rule.locator("[data-rule=shown-step]")).to_have_text("20")
    # the server's numbers for that weight: its gradient and the rule with them put in
    expect(rule.locator("tr[data-symbol='g']")).to_be_visible()
    adam = next(
        o
        for o in httpx.get(f"{watched.base_url}/api/optimizers", timeout=20).json()
        if o["id"] == "adam"
    )
    expect(rule.locator("[data-rule=formula]")).to_have_text(adam["formula"])
    assert rule.locator("[data-rule=lines] li").first.inner_text().startswith("g = ∂L/∂θ = ")
    assert watched.errors == []


def test_points_of_ones_own_are_added_on_the_map_and_kept_in_the_address(watched):
    page = open_network(watched, "?data=gaussians&points=20")
    page.get_by_label("Data set").select_option("own")
    expect(page.locator("#own-tools")).to_be_visible()
    page.wait_for_function("location.search.includes('own=binary')")
    count = "document.getElementById('decision').data.reduce((n, t) => n + (t.x || []).length, 0)"
    before = page.evaluate(count)
    at = page.evaluate(
        """() => { const gd = document.getElementById('decision');
                   const {xaxis, yaxis} = gd._fullLayout; const box = gd.getBoundingClientRect();
                   return {x: box.left + xaxis._offset + xaxis.d2p(0.5),
                           y: box.top + yaxis._offset + yaxis.d2p(0.5)}; }"""
    )
    page.mouse.click(at["x"], at["y"])
    page.wait_for_function(f"{count} > {before}")
    own = "(new URLSearchParams(location.search).get('own') || '').split(';').length"
    page.wait_for_function(f"{own} === 22")  # the task, then 20 points and the new one
    page.reload()
    page.wait_for_selector(f"{READY}[data-ready=true]")
    expect(page.get_by_label("Data set")).to_have_value("own")
    assert page.evaluate(count) == before + 1


def test_a_regression_set_is_fitted_by_a_curve_over_x1_alone(watched):
    page = open_network(watched, "?data=sine&features=x1,x2,sinx1&steps=100")
    expect(page.get_by_role("checkbox", name="x₂", exact=True)).to_be_disabled()
    curve = page.evaluate("document.getElementById('decision').data[0]")
    assert curve["name"] == "the network's fit" and len(curve["x"]) > 10
    assert page.locator("#readout-accuracy").is_hidden()
    inputs = page.locator("#network-diagram svg").get_attribute("aria-label")
    assert "2 inputs (x₁, sin x₁)" in inputs
    assert watched.errors == []


def test_downloads_losses_and_weights_and_a_self_contained_replay(watched, tmp_path):
    page = open_network(watched, "?r2=adam")
    fastest(page)
    page.get_by_role("button", name="Play").click()
    wait_for_step(page, 100)
    page.get_by_role("button", name="Pause").click()
    page.get_by_text("Share or embed this scenario").click()
    files = {}
    for name in ("Steps as CSV", "Steps as JSON", "Replay as HTML"):
        with page.expect_download() as download:
            page.get_by_role("button", name=name).click()
        path = tmp_path / download.value.suggested_filename
        download.value.save_as(path)
        files[path.suffix] = path.read_text()
    csv_rows = files[".csv"].splitlines()
    assert csv_rows[0].startswith("racer,step,epoch,batch,lr,train_loss,test_loss")
    assert "racer,layer,kind,row,column,value" in csv_rows
    saved = json.loads(files[".json"])
    assert [len(r["weights"]) for r in saved["racers"]] == [3, 3]  # 2 hidden layers + output
    assert saved["racers"][1]["steps"]["step"][-1] > 100
    html = files[".html"]
    assert "http://" not in html and "https://" not in html  # nothing fetched: one file
    # the replay on its own: the slider steps through the pictures of both racers
    page.set_content(html)
    first = page.locator("#racer-0").get_attribute("src")
    assert first.startswith("data:image/png")
    page.locator("#frame").fill("0")
    expect(page.locator("#step")).to_have_text("step 0")
    assert page.locator("#racer-0").get_attribute("src") != first
    assert page.locator("#racer-1").get_attribute("src").startswith("data:image/png")
    assert watched.errors == []


def test_muon_trains_as_its_recipe_and_explains_a_hidden_weight_by_muons_quantities(watched):
    # Muon on the hidden layers' weight matrices, AdamW on the rest: it trains like any
    # optimizer, and a first-layer weight (a hidden matrix's) is explained by Muon's rule.
    page = open_network(watched, "?r1=muon&r1.lr=0.02")
    trains_a_little(page, "Muon")
    expect(page.locator("#status")).not_to_contain_text("Error")
    rule = pick_the_first_weight(page)
    for symbol in ("B", "O", "η"):
        expect(rule.locator(f"tr[data-symbol='{symbol}']")).to_be_visible()
    expect(rule.locator("[data-rule=formula]")).to_have_text(MATRIX_FORMULA)
    assert watched.errors == []


def test_sam_is_a_training_option_and_lbfgs_refuses_it_in_the_servers_words(watched):
    page = open_network(watched, "?r1=adam&r1.lr=0.03")
    fastest(page)
    page.get_by_label("SAM radius ρ").select_option("0.05")
    page.wait_for_function("location.search.includes('sam=0.05')")
    page.get_by_role("button", name="Play").click()
    wait_for_step(page, 30)
    page.get_by_role("button", name="Pause").click()
    assert watched.errors == []
    refused = open_network(watched, "?r1=lbfgs&sam=0.05")
    refused.get_by_role("button", name="Play").click()
    expect(refused.locator("#status")).to_contain_text("options.sam_rho")
    expect(refused.locator("#status")).to_contain_text("L-BFGS")


def test_two_quick_presses_of_step_are_two_steps(watched):
    # The second press asked for the same step as the first (from the state before it), and
    # the page kept one of the two answers: a double click moved the network one step.
    page = open_network(watched)
    page.get_by_role("button", name="Step").dblclick()
    expect(page.locator(STEP)).to_have_text("2")
    page.get_by_role("button", name="Step").click()
    expect(page.locator(STEP)).to_have_text("3")
    assert watched.errors == []
