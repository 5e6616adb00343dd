// The Roll Downhill page: one ball, one optimizer, a learning-rate slider.

import { getJSON } from "./api.js";
import { buildHyperparameterControls, choiceDefaults, fillPicker, optimizerChoices } from "./controls.js";
import { formatFixed, formatNumber } from "./format.js";
import { oncePerFrame } from "./frame.js";
import { l2Strength, lowestPoint, regularized1d } from "./l2.js";
import { buildTrainingControls, defaultOptions } from "./options.js";
import { CurvePlot } from "./plot1d.js";
import { showReadouts } from "./readouts.js";
import { SPEEDS, Session } from "./session.js";
import { Track } from "./track.js";
import { describe } from "./verdict.js";

const DEFAULT_CHOICE = "gd";

const $ = (id) => document.getElementById(id);

class RollDownhill {
  constructor(root, surface, grid, optimizers, catalog, surfaces) {
    this.root = root;
    this.surface = surface;
    this.surfaces = surfaces.filter((s) => s.dim === 1);
    this.catalog = catalog;
    this.choices = optimizerChoices(optimizers);
    this.choice = this.choices.find((c) => c.key === DEFAULT_CHOICE) || this.choices[0];
    this.track = new Track({
      surface,
      optimizer: this.choice.optimizer,
      hyperparameters: { ...choiceDefaults(this.choice), lr: Number($("lr").value) },
      start: [surface.start[0]],
      options: defaultOptions(catalog),
    });
    this.grid = grid;
    this.plot = new CurvePlot($("plot"), surface, grid);
    this.scheduleDraw = oncePerFrame(() => this.draw());
    this.session = new Session({ speed: () => this.speed(), onChange: this.scheduleDraw });
    this.session.tracks = [this.track];
    this.wireControls();
    this.plot.ready.then(() => this.plot.onPick((x) => this.setStart(x)));
  }

  wireControls() {
    const [lo, hi] = this.surface.domain[0];
    const start = $("start");
    start.min = String(lo);
    start.max = String(hi);
    start.value = String(this.track.start[0]);
    $("formula").textContent = this.surface.formula;
    $("surface-description").textContent = this.surface.description;
    fillPicker($("surface"), this.surfaces.map((s) => ({ key: s.id, label: s.name })), this.surface.id);
    $("surface").addEventListener("change", () => {
      const url = new URL(window.location.href);
      url.searchParams.set("surface", $("surface").value);
      window.location.assign(url);
    });

    $("lr").addEventListener("input", () => {
      this.track.hyperparameters.lr = Number($("lr").value);
      this.showLearningRate();
      this.session.changed();
    });
    start.addEventListener("input", () => this.setStart(Number(start.value)));
    $("speed").addEventListener("input", () => {
      this.showSpeed();
      this.session.changed();
    });
    $("play").addEventListener("click", () =>
      this.session.playing ? this.session.pause() : this.session.play(),
    );
    $("step").addEventListener("click", () => this.session.stepOnce());
    $("reset").addEventListener("click", () => this.session.reset());
    fillPicker($("optimizer"), this.choices, this.choice.key);
    $("optimizer").addEventListener("change", () => {
      this.choice = this.choices.find((c) => c.key === $("optimizer").value);
      this.track.optimizer = this.choice.optimizer;
      this.track.hyperparameters = { ...choiceDefaults(this.choice), lr: this.track.hyperparameters.lr };
      this.buildHyperparameters();
      this.showL2();
      this.session.reset({ keepPlaying: true });
    });
    $("l2").addEventListener("change", () => this.showL2());
    this.plot.ready.then(() => this.showL2());
    this.buildHyperparameters();
    buildTrainingControls($("training"), this.catalog, this.track, {
      idPrefix: "training",
      onInput: () => this.session.changed(),
    });
    this.showSpeed();
    this.showLearningRate();
    this.showStart();
  }

  buildHyperparameters() {
    buildHyperparameterControls(
      $("hyperparameters"),
      this.choice.optimizer.hyperparameters,
      this.track.hyperparameters,
      {
        skip: ["lr"],
        onInput: (name) => {
          if (name === "weight_decay" || name === this.choice.optimizer.decoupled_by) this.showL2();
          this.session.changed();
        },
      },
    );
    $("optimizer-rule").textContent = this.choice.optimizer.formula;
  }

  /** With coupled weight decay λ the ball descends f + (λ/2)·x²: draw it on request. */
  showL2() {
    const lambda = l2Strength(this.choice.optimizer, this.track.hyperparameters);
    const box = $("l2");
    box.disabled = lambda === 0;
    if (lambda === 0 || !box.checked) {
      this.plot.showL2(null, null);
      $("l2-note").textContent =
        lambda === 0
          ? "Set a weight decay in the optimizer settings. Most optimizers add λ·x to the gradient, which is descending this landscape; AdamW and Lion decouple it and have none."
          : "";
      return;
    }
    const { x, f } = this.grid;
    const curve = { x, y: regularized1d(x, f, lambda) };
    const lowest = lowestPoint(curve.x, curve.y);
    const before = this.surface.minima.find((m) => m.kind === "global").position[0];
    this.plot.showL2(curve, lowest);
    $("l2-note").textContent =
      `With λ = ${formatNumber(lambda)} the lowest point moves from x = ${formatNumber(before)} ` +
      `to x = ${formatNumber(lowest.x)}: the penalty pulls it toward 0.`;
  }

  showLearningRate() {
    $("lr-value").textContent = formatFixed(this.track.hyperparameters.lr, 2);
  }

  showSpeed() {
    $("speed-value").textContent = `${this.speed()} steps/s`;
  }

  showStart() {
    $("start-value").textContent = formatFixed(this.track.start[0], 2);
  }

  speed() {
    return SPEEDS[Number($("speed").value)];
  }

  setStart(x) {
    const [lo, hi] = this.surface.domain[0];
    this.track.start = [Math.min(hi, Math.max(lo, Number(x.toFixed(2))))];
    $("start").value = String(this.track.start[0]);
    this.showStart();
    this.session.reset({ keepPlaying: true });
  }

  draw() {
    const { trace } = this.track;
    const xs = trace.positions.map((p) => p[0]);
    if (xs.length) {
      this.plot.update({ xs, losses: trace.losses, start: xs[0], startLoss: trace.losses[0] });
    }
    showReadouts(this.root, this.track);
    const { error, playing } = this.session;
    const idle = !this.track.length || (this.track.last().step === 0 && !playing);
    $("status").textContent = error
      ? `Error: ${error}`
      : idle
        ? "Press Play to let the ball roll, or click the curve to choose where it starts."
        : describe(this.track, { playing });
    $("status").classList.toggle("error", Boolean(error));
    $("play").textContent = playing ? "Pause" : "Play";
    this.root.dataset.state = playing ? "playing" : this.track.status || "idle";
  }
}

async function main() {
  const root = $("sim");
  const surfaceId = root.dataset.surface;
  try {
    const [surfaces, optimizers, catalog, grid] = await Promise.all([
      getJSON("/api/surfaces"),
      getJSON("/api/optimizers"),
      getJSON("/api/options"),
      getJSON(`/api/surfaces/${surfaceId}/grid`),
    ]);
    const surface = surfaces.find((s) => s.id === surfaceId);
    const sim = new RollDownhill(root, surface, grid, optimizers, catalog, surfaces);
    await sim.session.reset();
    root.dataset.ready = "true";
  } catch (error) {
    $("status").textContent = `Error: ${error.message}`;
    $("status").classList.add("error");
  }
}

main();
