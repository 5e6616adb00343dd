// The Roll Downhill page: one ball, one optimizer, a learning-rate slider.

import { getJSON, postRuns } from "./api.js";
import { buildHyperparameterControls, choiceDefaults, fillPicker, optimizerChoices } from "./controls.js";
import { formatFixed, formatNumber } from "./format.js";
import { CurvePlot } from "./plot1d.js";
import { openStream } from "./stream.js";
import { describe } from "./verdict.js";

const SPEEDS = [1, 2, 5, 10, 20, 50, 100, 200, 500]; // steps per second, by slider position
const PLAY_STEPS = 1000; // steps per press of Play
const RESTART_DELAY_MS = 120; // a slider drag restarts the stream at most this often
const DEFAULT_CHOICE = "gd";

const $ = (id) => document.getElementById(id);

class RollDownhill {
  constructor(root, surface, grid, optimizers) {
    this.root = root;
    this.surface = surface;
    this.choices = optimizerChoices(optimizers);
    this.choice = this.choices.find((c) => c.key === DEFAULT_CHOICE) || this.choices[0];
    this.hp = choiceDefaults(this.choice);
    this.lr = Number($("lr").value);
    this.start = surface.start[0];
    this.plot = new CurvePlot($("plot"), surface, grid);
    this.stream = null;
    this.playing = false;
    this.restartTimer = null;
    this.framePending = false;
    this.clear();
    this.wireControls();
    this.plot.ready.then(() => this.plot.onPick((x) => this.setStart(x)));
  }

  clear() {
    this.trace = { steps: [], xs: [], losses: [], grads: [] };
    this.runState = null;
    this.status = null;
    this.error = null;
  }

  // --- controls -------------------------------------------------------------------------

  wireControls() {
    const [lo, hi] = this.surface.domain[0];
    const start = $("start");
    start.min = String(lo);
    start.max = String(hi);
    start.value = String(this.start);
    $("formula").textContent = this.surface.formula;

    $("lr").addEventListener("input", () => {
      this.lr = Number($("lr").value);
      this.hyperparametersChanged();
    });
    start.addEventListener("input", () => this.setStart(Number(start.value)));
    $("speed").addEventListener("input", () => {
      this.showSpeed();
      if (this.playing) this.restartSoon();
    });
    $("play").addEventListener("click", () => (this.playing ? this.pause() : this.play()));
    $("step").addEventListener("click", () => this.stepOnce());
    $("reset").addEventListener("click", () => this.reset());
    fillPicker($("optimizer"), this.choices, this.choice.key);
    $("optimizer").addEventListener("change", () => {
      this.choice = this.choices.find((c) => c.key === $("optimizer").value);
      this.hp = choiceDefaults(this.choice);
      this.buildHyperparameters();
      this.reset({ keepPlaying: true });
    });
    this.buildHyperparameters();
    this.showSpeed();
    this.showLearningRate();
  }

  buildHyperparameters() {
    buildHyperparameterControls($("hyperparameters"), this.choice.optimizer, this.hp, {
      skip: ["lr"],
      onInput: () => this.hyperparametersChanged(),
    });
    $("optimizer-rule").textContent = this.choice.optimizer.formula;
  }

  showLearningRate() {
    $("lr-value").textContent = formatFixed(this.lr, 2);
  }

  showSpeed() {
    $("speed-value").textContent = `${this.speed()} steps/s`;
  }

  speed() {
    return SPEEDS[Number($("speed").value)];
  }

  /** A new learning rate or setting applies from the next step; momentum keeps its velocity. */
  hyperparametersChanged() {
    this.showLearningRate();
    if (this.playing) this.restartSoon();
  }

  setStart(x) {
    const [lo, hi] = this.surface.domain[0];
    this.start = Math.min(hi, Math.max(lo, Number(x.toFixed(2))));
    $("start").value = String(this.start);
    $("start-value").textContent = formatFixed(this.start, 2);
    this.reset({ keepPlaying: true });
  }

  // --- running --------------------------------------------------------------------------

  request(steps) {
    const run = {
      surface: this.surface.id,
      optimizer: this.choice.optimizer.id,
      hyperparameters: { ...this.hp, lr: this.lr },
      steps,
    };
    if (this.runState) run.resume = this.runState;
    else run.start = [this.start];
    return run;
  }

  async reset({ keepPlaying = false } = {}) {
    const wasPlaying = this.playing;
    this.stop();
    this.clear();
    $("start-value").textContent = formatFixed(this.start, 2);
    try {
      const [run] = await postRuns([this.request(0)]);
      this.clear();
      this.append(run);
      this.runState = run.state;
    } catch (error) {
      this.error = error.message;
    }
    this.scheduleDraw();
    if (keepPlaying && wasPlaying) this.play();
  }

  play() {
    if (this.status === "converged" || this.status === "diverged") {
      // The ball is at rest (or gone): Play starts over from the start position.
      this.reset().then(() => this.play());
      return;
    }
    this.status = null;
    this.error = null;
    this.openStream();
  }

  openStream() {
    this.stop();
    this.playing = true;
    this.stream = openStream([this.request(PLAY_STEPS)], this.speed(), {
      onStep: (event) => {
        this.append(event);
        this.runState = event.state;
        this.scheduleDraw();
      },
      onEnd: (event) => {
        this.runState = event.state;
        this.status = event.status;
        this.playing = false;
        this.stream = null;
        this.scheduleDraw();
      },
      onError: (message) => {
        this.error = message;
        this.playing = false;
        this.stream = null;
        this.scheduleDraw();
      },
    });
    this.scheduleDraw();
  }

  restartSoon() {
    if (this.restartTimer) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.playing) this.openStream();
    }, RESTART_DELAY_MS);
  }

  stop() {
    if (this.stream) this.stream.close();
    this.stream = null;
    this.playing = false;
    clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }

  pause() {
    this.stop();
    this.scheduleDraw();
  }

  async stepOnce() {
    this.stop();
    if (this.status === "converged" || this.status === "diverged") return;
    try {
      const [run] = await postRuns([this.request(1)]);
      this.append(run);
      this.runState = run.state;
      this.status = run.status === "max_steps" ? null : run.status;
      this.error = null;
    } catch (error) {
      this.error = error.message;
    }
    this.scheduleDraw();
  }

  /** Add steps we have not seen (a resumed stream repeats its first point). */
  append(data) {
    const t = this.trace;
    const last = t.steps.length ? t.steps[t.steps.length - 1] : -1;
    data.steps.forEach((step, i) => {
      if (step <= last) return;
      t.steps.push(step);
      t.xs.push(data.positions[i][0]);
      t.losses.push(data.losses[i]);
      t.grads.push(data.gradients[i][0]);
    });
  }

  // --- drawing: at most once per animation frame ---------------------------------------

  scheduleDraw() {
    if (this.framePending) return;
    this.framePending = true;
    requestAnimationFrame(() => {
      this.framePending = false;
      this.draw();
    });
  }

  draw() {
    const t = this.trace;
    const n = t.steps.length;
    if (n) {
      this.plot.update({ xs: t.xs, losses: t.losses, start: t.xs[0], startLoss: t.losses[0] });
      $("readout-step").textContent = String(t.steps[n - 1]);
      $("readout-x").textContent = formatNumber(t.xs[n - 1]);
      $("readout-loss").textContent = formatNumber(t.losses[n - 1]);
      $("readout-grad").textContent = formatNumber(t.grads[n - 1]);
    }
    $("status").textContent = this.error
      ? `Error: ${this.error}`
      : describe({
          status: this.status,
          xs: t.xs,
          step: n ? t.steps[n - 1] : 0,
          surface: this.surface,
          playing: this.playing,
        });
    $("status").classList.toggle("error", Boolean(this.error));
    $("play").textContent = this.playing ? "Pause" : "Play";
    this.root.dataset.state = this.playing ? "playing" : this.status || "idle";
  }
}

async function main() {
  const root = $("sim");
  const surfaceId = root.dataset.surface;
  try {
    const [surfaces, optimizers, grid] = await Promise.all([
      getJSON("/api/surfaces"),
      getJSON("/api/optimizers"),
      getJSON(`/api/surfaces/${surfaceId}/grid`),
    ]);
    const surface = surfaces.find((s) => s.id === surfaceId);
    const sim = new RollDownhill(root, surface, grid, optimizers);
    await sim.reset();
    root.dataset.ready = "true";
  } catch (error) {
    $("status").textContent = `Error: ${error.message}`;
    $("status").classList.add("error");
  }
}

main();
