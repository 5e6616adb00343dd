"""What happened, in words: every outcome the engine decides, as the page words it.

The engine decides each run's outcome (app/engine/run/outcome.py); the pages only word it
(static/js/verdict.js).  The first test runs one real scenario per outcome through the
server and the page's own modules in Chromium; the others play the runs that the old
page-side verdict got wrong, as a student would.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from app.engine.run.outcome import OUTCOMES


def run(surface, optimizer, start, steps=1000, options=None, **hp):
    return {
        "surface": surface,
        "optimizer": optimizer,
        "hyperparameters": hp,
        "start": start,
        "steps": steps,
        "options": options or {},
    }


# outcome -> (a run that ends that way, what the status line must say)
SCENARIOS = {
    "global_minimum": (
        run("himmelblau", "adagrad", [0.0, -1.0], lr=0.1),
        r"^Reached the global minimum at \(x, y\) = \(3, 2\.001\) after 1000 steps\.$",
    ),
    "local_minimum": (
        run("roll_downhill", "lbfgs", [1.5]),
        r"^Settled in a local minimum at x = 1\.885 after 1000 steps — the global minimum is "
        r"at x = -0\.62",
    ),
    "saddle": (
        run("saddle", "sgd", [1.8, 0.0], lr=0.1),
        r"^Stuck at .* the gradient vanishes here, but it is no minimum — a saddle point\.$",
    ),
    "maximum": (
        run("roll_downhill", "newton", [3.632]),
        r"^Came to rest on a hilltop at x = 3\.632 after 2 steps",
    ),
    "plateau": (
        run("plateau_wall", "sgd", [12.0], lr=0.1),
        r"^Stranded on a plateau at x = 12 after 1 step: the gradient here is too small",
    ),
    "ran_away": (
        run("saddle", "lbfgs", [1.8, 0.01]),
        r"^Ran away downhill on step 1, from \(x, y\) = \(1\.8, 0\.01\): in this direction "
        r"the surface has no bottom\.$",
    ),
    "diverged": (
        run("parabola", "sgd", [2.5], lr=1.01),
        r"^Diverged on step \d+, from x = .*: the step threw the ball off\. The learning rate "
        r"is too large\.$",
    ),
    "float16_stuck": (
        run("plateau_wall", "sgd", [12.0], options={"precision": "float16"}, lr=0.1),
        r"^Stuck at x = 12: float16 rounds every gradient component to zero here",
    ),
    "stalled": (
        run("rosenbrock", "lbfgs", [-1.5, 2.5], 200, tolerance_change=0.01),
        r"^Stopped at .* short of a minimum: the steps have shrunk to nothing",
    ),
    "bouncing": (
        run("roll_downhill", "sgd", [3.5], lr=1.0, momentum=0.9),
        r"^Still bouncing after 1000 steps, now at x = 24\.79: the learning rate is too "
        r"large to settle\.",
    ),
    "crawling": (
        run("rosenbrock", "sgd", [-1.5, 2.5], lr=0.0002),
        r"^Still crawling after 1000 steps, now at .*: the steps are small here\.",
    ),
    "jittering": (
        run("roll_downhill", "sgd", [2.5], 400, options={"noise": 0.5, "seed": 1}, lr=0.05),
        r"^Jittering around the local minimum at x = 1\.885 after 400 steps: the noise keeps "
        r"the ball moving",
    ),
}

# In the page: run each scenario on the server and word its end with verdict.js, the
# way the page does after a run (Track.append, Track.ended, describe).
WORD_EACH = """
async (scenarios) => {
  const base = new URL("../", document.querySelector("script[src*='/static/']").src).href;
  const { Track } = await import(base + "state/track.js");
  const { describe } = await import(base + "verdict.js");
  const { getJSON, postRuns } = await import(base + "net/api.js");
  const surfaces = await getJSON("/api/surfaces");
  const optimizers = await getJSON("/api/optimizers");
  const out = {};
  for (const [name, request] of Object.entries(scenarios)) {
    const [result] = await postRuns([request]);
    const track = new Track({
      surface: surfaces.find((s) => s.id === request.surface),
      optimizer: optimizers.find((o) => o.id === request.optimizer),
      hyperparameters: request.hyperparameters,
      start: request.start,
      options: request.options,
    });
    track.append(result);
    track.ended(result);
    out[name] = { outcome: result.outcome, sentence: describe(track, { playing: false }) };
  }
  return out;
}
"""


def test_every_outcome_has_a_scenario():
    assert set(SCENARIOS) == set(OUTCOMES)


def test_the_page_words_every_outcome_the_engine_decides(watched):
    page = watched.open()
    worded = page.evaluate(WORD_EACH, {k: request for k, (request, _) in SCENARIOS.items()})
    for name, (_, sentence) in SCENARIOS.items():
        assert worded[name]["outcome"] == name
        assert re.search(sentence, worded[name]["sentence"]), (name, worded[name]["sentence"])
    assert watched.errors == []


def play_to_the_end(page, speed_label="Speed"):
    page.get_by_label(speed_label, exact=True).focus()
    page.keyboard.press("End")  # 500 steps/s
    page.get_by_role("button", name="Play").click()


def test_heavy_momentum_off_the_plot_is_bouncing_not_crawling(watched):
    # Momentum 0.9 at lr 1.0 swings between about ±20, far off the drawn [-5, 5]; the old
    # page called it "still crawling: the steps are small".
    page = watched.open()
    page.get_by_label("Optimizer", exact=True).select_option(label="Momentum")
    page.get_by_label("Learning rate", exact=True).fill("1")
    expect(page.locator("#lr-value")).to_have_text("1.00")
    play_to_the_end(page)
    # the engine ends the run once it has bounced for two full windows
    expect(page.locator("#status")).to_have_text(
        re.compile(r"^Still bouncing after 144 steps, now at x = -17\.62"), timeout=15_000
    )


def test_newton_on_the_hilltop_says_maximum(watched):
    # Undamped Newton heads for any flat point: from 3.5 it climbs to the hilltop at 3.632.
    page = watched.open()
    page.get_by_label("Optimizer", exact=True).select_option(label="Newton")
    play_to_the_end(page)
    expect(page.locator("#status")).to_have_text(
        re.compile(r"^Came to rest on a hilltop at x = 3\.632 "), timeout=15_000
    )


def test_gradient_descent_from_far_out_on_the_plateau_says_plateau(watched):
    # Its gradient (3e-10) is under the tolerance, so the run ends after one step: the
    # old page said "converged".
    page = watched.open("/?surface=plateau_wall")
    page.get_by_label("Start position", exact=True).fill("12")
    play_to_the_end(page)
    expect(page.locator("#status")).to_have_text(
        re.compile(r"^Stranded on a plateau at x = 12 after 1 step"), timeout=15_000
    )


def test_lbfgs_on_the_saddle_runs_away_downhill(watched):
    # Its first step throws the ball to (−317, 10442): the old page said "diverged after
    # step 0" at its start.
    page = watched.open("/explore?surface=saddle", ready="#explorer")
    card = page.locator(".racer").first
    card.get_by_label("Optimizer", exact=True).select_option(label="L-BFGS")
    play_to_the_end(page)
    expect(card.locator(".racer-status")).to_have_text(
        re.compile(r"^Ran away downhill on step 1, from \(x, y\) = \(1\.8, 0\.01\)"),
        timeout=15_000,
    )


def test_a_finished_race_says_it_is_over(watched):
    # On the ravine every default racer reaches the minimum within one press of Play
    # (at the engine's suggested rates): the page must not say "Paused … go on".
    page = watched.open("/explore?surface=ravine", ready="#explorer")
    play_to_the_end(page)
    status = page.locator("#status")
    expect(status).to_contain_text(re.compile(r"^Race over after \d+ steps\."), timeout=15_000)
    race = int(re.match(r"Race over after (\d+) steps", status.inner_text()).group(1))
    # under it, beside the plot, how each racer's run ended: the steps of those that ended
    # before the race did (who won), in the racer's colour
    lines = status.locator(".status-racer")
    expect(lines).to_have_count(3)
    cards = page.locator(".racer").all()
    names = ["Gradient descent", "Momentum", "Adam"]
    for line, card, name in zip(lines.all(), cards, names, strict=True):
        said = re.fullmatch(
            rf"{name}: reached the global minimum(?: after (\d+) steps)?", line.inner_text()
        )
        assert said, line.inner_text()
        steps = int(said.group(1) or race)
        assert steps <= race
        expect(card.locator(".racer-status")).to_have_text(
            re.compile(rf"^Reached the global minimum at .* after {steps} steps")
        )
        dot = line.evaluate("(el) => getComputedStyle(el, '::before').backgroundColor")
        assert dot == card.locator(".swatch").evaluate(
            "(el) => getComputedStyle(el).backgroundColor"
        )


def test_a_paused_race_says_how_each_racer_stands_beside_the_plot(watched):
    # The SAM lesson's two Adams: plain Adam drops into the pit and stops; Adam + SAM jitters
    # in the bowl until its 1000 steps run out. The page said only "Paused after 1000 steps".
    page = watched.open("/explore?lesson=sam_wide_minimum", ready="#explorer")
    play_to_the_end(page)
    status = page.locator("#status")
    expect(status).to_contain_text("Paused after 1000 steps. Press Play to go on.", timeout=20_000)
    lines = status.locator(".status-racer").all_inner_texts()
    assert len(lines) == 2
    assert re.fullmatch(
        r"Adam, SAM radius ρ 0: reached the global minimum after \d+ steps", lines[0]
    )
    assert lines[1] == "Adam, SAM radius ρ 0.2: jittering around the global minimum"


def test_while_racing_each_racer_s_running_verdict_is_under_the_status(watched):
    page = watched.open("/explore?surface=ravine&r1=gd&r1.lr=0.001&speed=100", ready="#explorer")
    page.get_by_role("button", name="Play").click()
    # the engine judges after a window of 64 steps
    line = page.locator("#status .status-racer")
    expect(line).to_have_text("Gradient descent: still crawling", timeout=10_000)
    expect(page.locator("#status")).to_contain_text("Racing 1 optimizer on Ravine… step")


def test_a_racer_that_stops_mid_race_says_so_while_the_others_roll(watched):
    # L-BFGS leaves the saddle on its first step; gradient descent keeps rolling for a while.
    page = watched.open("/explore?surface=saddle&r1=lbfgs&r2=gd&speed=10", ready="#explorer")
    page.get_by_role("button", name="Play").click()
    first, second = page.locator(".racer-status").all()
    expect(first).to_have_text(re.compile(r"^Ran away downhill on step 1"), timeout=10_000)
    expect(second).to_have_text(re.compile(r"^Rolling… step \d+"))
    expect(page.get_by_role("button", name="Pause")).to_be_visible()


def test_weight_decay_at_rest_is_worded_as_the_l2_landscape_not_as_a_stall(watched):
    page = watched.open(
        "/?surface=double_well&start=-1.8&optimizer=gd&lr=0.05&weight_decay=1&steps=1000"
    )
    expect(page.locator("#status")).to_have_text(
        re.compile(r"^Came to rest at x = .* weight decay's pull toward 0 balances the slope")
    )


def test_a_sam_ball_jittering_in_the_wide_bowl_is_worded_as_sams_climb(watched):
    # SAM never comes to rest: the gradient ρ uphill is not zero at the minimum.  The page
    # says so, not that noise keeps the ball moving (there is none).
    page = watched.open()
    sam = run("sharp_and_wide", "adam", [1.1, 0.6], options={"sam_rho": 0.2}, lr=0.05)
    worded = page.evaluate(WORD_EACH, {"sam": sam})["sam"]
    assert worded["outcome"] == "jittering"
    assert re.search(
        r"^Jittering around the global minimum at \(x, y\) = \(-0\.5, -0\.5\) after 1000 steps: "
        r"SAM takes each gradient a distance ρ uphill",
        worded["sentence"],
    ), worded["sentence"]
    assert "noise" not in worded["sentence"]
    assert watched.errors == []
