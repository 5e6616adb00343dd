// The Roll Downhill page: one ball, one optimizer, a learning-rate slider.

import { Announcer } from "../announce.js";
import { getJSON } from "../net/api.js";
import { downloadPNG, wireDownloads } from "../panels/download.js";
import { buildHyperparameterControls, choiceDefaults, fillPicker, optimizerChoices, showFormula } from "../panels/controls.js";
import { formatFixed, formatNumber } from "../format.js";
import {
  FORMULA_KEY, FormulaForm, MODEL_KEY, defaultDomain, isDefaultDomain, markPicker, ownKey, readFormula,
  refusalText,
} from "../panels/formula.js";
import { oncePerFrame } from "../frame.js";
import { l2Strength, lowestPoint, regularized1d } from "../l2.js";
import { applyControlParams, isLocked, startEmbedMode, usable, wireSharePanel } from "../panels/embed.js";
import { isProjector, setProjector, wireKeyboard } from "../panels/keyboard.js";
import { startLesson } from "../panels/lesson.js";
import { LossChart } from "../plots/losschart.js";
import { dataSize } from "../landscape.js";
import { DataPanel, LatestReader, ModelForm, readModel, withPoints } from "../panels/model.js";
import { buildTrainingControls, defaultOptions } from "../panels/options.js";
import { BALL_COLOR, CurvePlot } from "../plots/plot1d.js";
import { showReadouts } from "../panels/readouts.js";
import { SPEEDS, Session } from "../state/session.js";
import { Track } from "../state/track.js";
import { UpdateRulePanel } from "../panels/updaterule.js";
import {
  AddressBar,
  currentParams,
  decodePoint,
  encodePoint,
  readSchedule,
  readFormulaParam,
  readModelParam,
  readValues,
  stepsToReplay,
  writeFormula,
  writeModel,
  writeTraining,
  writeValues,
} from "../state/urlstate.js";
import { describe } from "../verdict.js";
import { wireWholeLandscape } from "../maps/wholelandscape.js";

const DEFAULT_CHOICE = "gd";
const DEFAULT_LR = 0.1; // the slider's first position
const DEFAULT_SPEED = 3; // slider position: 10 steps/s
const LR_NUDGE = 0.01; // ↑/↓: one slider notch

const $ = (id) => document.getElementById(id);

class RollDownhill {
  constructor(root, surface, grid, optimizers, catalog, surfaces, params, { models, datasets }) {
    this.root = root;
    this.surface = surface;
    this.surfaces = surfaces.filter((s) => s.dim === 1);
    this.catalog = catalog;
    this.choices = optimizerChoices(optimizers);
    this.address = new AddressBar();
    this.params = params; // hide/lock apply to controls rebuilt later too
    this.track = this.trackFrom(params);
    this.form = new FormulaForm(root, { dim: 1, onUse: (typed) => this.useFormula(typed) });
    this.modelForm = new ModelForm(root, { dim: 1, models, datasets, onUse: (request) => this.useModel(request) });
    this.dataPanel = new DataPanel(root, { onPoints: (points) => this.usePoints(points) });
    this.reader = new LatestReader(); // model requests: an older answer is not shown
    this.grid = grid;
    this.plot = new CurvePlot($("plot"), surface, grid);
    this.scheduleDraw = oncePerFrame(() => this.draw());
    this.announcer = new Announcer($("announce"));
    // The loss chart sits in a panel closed at first: it is built when the panel opens (a
    // Plotly plot drawn while hidden has no size), and until then draws nothing.
    this.chart = new LossChart($("loss-chart"), { onRedrawNeeded: this.scheduleDraw });
    this.session = new Session({ speed: () => this.speed(), onChange: this.scheduleDraw });
    this.session.tracks = [this.track];
    this.rule = new UpdateRulePanel($("update-rule"), {
      balls: () => [{ id: 1, label: "", track: this.track }],
      playing: () => this.session.playing,
    });
    this.wireControls();
    this.maps = wireWholeLandscape(root, {
      dim: 1,
      surface: () => this.surface,
      run: () => this.track.replayRequest(0),
      start: () => this.track.start,
      optimizer: () => this.choice.optimizer,
      label: () => this.choice.label,
      plot: this.plot,
    });
    this.plot.ready.then(() => {
      this.plot.onPick((x) => this.setStart(x));
      if (isProjector()) this.plot.setProjector(true);
    });
  }

  /** The ball the address describes (defaults for what it leaves out). */
  trackFrom(params) {
    this.choice =
      this.choices.find((c) => c.key === params.get("optimizer")) ||
      this.choices.find((c) => c.key === DEFAULT_CHOICE) ||
      this.choices[0];
    const hyperparameters = { ...choiceDefaults(this.choice), lr: DEFAULT_LR };
    readValues(params, "", this.choice.optimizer.hyperparameters, hyperparameters);
    const options = defaultOptions(this.catalog, dataSize(this.surface));
    readValues(params, "", this.catalog.options, options);
    const start = decodePoint(params.get("start"), 1) || [this.surface.start[0]];
    const [lo, hi] = this.surface.domain[0];
    // the slider's range (0.01–1.20): a rate outside it is brought inside
    hyperparameters.lr = Math.min(Number($("lr").max), Math.max(Number($("lr").min), hyperparameters.lr));
    $("lr").value = String(hyperparameters.lr);
    const speed = SPEEDS.indexOf(Number(params.get("speed")));
    $("speed").value = String(speed >= 0 ? speed : DEFAULT_SPEED);
    $("l2").checked = params.get("l2") === "1";
    $("sharpness").checked = params.get("sharpness") === "1";
    if ($("sharpness").checked) $("chart-panel").open = true; // a link with sharpness shows it
    return new Track({
      surface: this.surface,
      optimizer: this.choice.optimizer,
      hyperparameters,
      start: [Math.min(hi, Math.max(lo, start[0]))],
      options,
      schedule: readSchedule(params, "", this.catalog),
      sharpness: $("sharpness").checked,
    });
  }

  /** Everything that makes this scenario, as address parameters (only what differs). */
  stateParams() {
    const params = new URLSearchParams();
    if (this.surface.typed) writeFormula(params, this.surface.typed, isDefaultDomain);
    else if (this.surface.modelled) writeModel(params, this.surface.modelled);
    else if (this.surface.id !== "roll_downhill") params.set("surface", this.surface.id);
    if (this.choice.key !== DEFAULT_CHOICE) params.set("optimizer", this.choice.key);
    const hp = this.track.hyperparameters;
    writeValues(params, "", this.choice.optimizer.hyperparameters, hp, {
      ...choiceDefaults(this.choice),
      lr: DEFAULT_LR,
    });
    if (this.track.start[0] !== this.surface.start[0]) params.set("start", encodePoint(this.track.start));
    writeTraining(params, "", this.catalog, this.track, defaultOptions(this.catalog, dataSize(this.surface)));
    if (Number($("speed").value) !== DEFAULT_SPEED) params.set("speed", String(this.speed()));
    if ($("l2").checked) params.set("l2", "1");
    if ($("sharpness").checked) params.set("sharpness", "1");
    const last = this.track.last();
    if (last && last.step > 0) params.set("steps", String(last.step));
    return params;
  }

  /** The landscape's own fields: the start slider's range, its formula and description. */
  showLandscape() {
    const [lo, hi] = this.surface.domain[0];
    const start = $("start");
    start.min = String(lo);
    start.max = String(hi);
    start.value = String(this.track.start[0]);
    this.form.showLandscape(this.surface, $("formula"));
    $("surface-description").textContent = this.surface.description;
    markPicker($("surface"), ownKey(this.surface));
    this.modelForm.show(this.surface.modelled || null);
  }

  wireControls() {
    fillPicker($("surface"), this.surfaces.map((s) => ({ key: s.id, label: s.name })), this.surface.id);
    this.showLandscape();
    const start = $("start");
    $("surface").addEventListener("change", () => {
      if ($("surface").value === MODEL_KEY) this.useModel(this.modelForm.request());
      if ($("surface").value === FORMULA_KEY || $("surface").value === MODEL_KEY) return;
      this.openLandscape((url) => url.searchParams.set("surface", $("surface").value));
    });

    $("lr").addEventListener("input", () => this.setLearningRate(Number($("lr").value)));
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
      this.maps.settingsChanged();
      this.showChart(); // the legend names the optimizer
      this.session.reset({ keepPlaying: true });
    });
    $("l2").addEventListener("change", () => this.showL2());
    this.buildTraining();
    $("chart-panel").addEventListener("toggle", () => this.showChart());
    $("sharpness").addEventListener("change", () => {
      // the steps again from the start, now with (or without) f″ at each
      this.track.sharpness = $("sharpness").checked;
      this.showChart();
      this.session.reset({ keepPlaying: true });
    });
    this.plot.ready.then(() => this.showL2());
    this.buildHyperparameters();
    this.showSpeed();
    this.showLearningRate();
    this.showStart();
    wireKeyboard({
      playPause: () => usable($("play")) && $("play").click(),
      step: () => usable($("step")) && $("step").click(),
      reset: () => usable($("reset")) && $("reset").click(),
      nudgeRate: (direction) => {
        if (usable($("lr"))) this.setLearningRate(Number($("lr").value) + direction * LR_NUDGE);
      },
      projectorChanged: (on) => this.plot.setProjector(on),
    });
    wireSharePanel(this.root, {
      href: () => this.address.href(),
      page: "roll",
      title: `Descent Lab: ${this.surface.name}`,
    });
    wireDownloads(this.root, {
      runs: () => [this.track.replayRequest(this.track.last() ? this.track.last().step : 0)],
      png: () => downloadPNG($("plot"), [], `descent-lab-${this.surface.id}.png`),
      onError: (message) => {
        this.session.error = message;
        this.scheduleDraw();
      },
    });
  }

  /**
   * Another landscape, as the page opens with it: keep the settings, not this one's start or
   * steps. `change(url)` names the landscape (a catalog id or a formula) in the address.
   */
  openLandscape(change) {
    const url = new URL(this.address.href());
    for (const name of ["surface", "formula", "domain", "start", "steps"]) url.searchParams.delete(name);
    change(url);
    window.location.assign(url);
  }

  buildTraining() {
    buildTrainingControls($("training"), this.catalog, this.track, {
      idPrefix: "training",
      onInput: () => this.session.changed(),
    });
    applyControlParams(this.root, this.params);
  }

  /**
   * A model landscape in place of this one (`entry` from readModel): the ball keeps its
   * settings; `reshape` (the same model on other points) keeps its start too.
   */
  async setLandscape(entry, { reshape = false } = {}) {
    this.session.stop();
    const before = dataSize(this.surface);
    this.surface = entry;
    this.grid = entry.grid;
    this.track.surface = entry;
    const [lo, hi] = entry.domain[0];
    const x = reshape ? this.track.start[0] : entry.start[0];
    this.track.start = [Math.min(hi, Math.max(lo, x))];
    const options = this.track.options;
    if (!before || options.batch_size >= before) {
      options.batch_size = dataSize(entry); // a whole-data batch stays whole
      this.buildTraining();
    }
    if (reshape) this.dataPanel.accepted(entry);
    else await this.showData(entry);
    this.showLandscape();
    this.showStart();
    await this.plot.setSurface(entry, entry.grid);
    this.showL2();
    this.maps.surfaceChanged();
    await this.showChart();
    await this.session.reset();
  }

  /** The data panel for a model landscape (null: none), the curve resized to share the row. */
  async showData(entry) {
    const shown = !this.dataPanel.section.hidden;
    await this.dataPanel.show(entry);
    if (shown !== Boolean(entry)) {
      await this.plot.ready;
      await window.Plotly.Plots.resize($("plot"));
    }
  }

  /** The model chooser's landscape (read by the server; refused, its reason shows there). */
  async useModel(request) {
    try {
      const entry = await this.reader.read(request);
      if (entry) await this.setLandscape(entry);
    } catch (error) {
      this.modelForm.showError(refusalText(error));
    }
  }

  /** Points added, dragged or typed on the data panel: the landscape they make, in place. */
  async usePoints(points) {
    try {
      const entry = await this.reader.read(withPoints(this.surface, points));
      if (entry) await this.setLandscape(entry, { reshape: true });
    } catch (error) {
      this.dataPanel.showError(refusalText(error));
    }
  }

  /** "Use it": the server reads the formula; refused, its reason shows by the input. */
  async useFormula(typed) {
    try {
      await readFormula(typed); // the page opening on it reads it again, from the cache
    } catch (error) {
      this.form.showError(error);
      return;
    }
    this.openLandscape((url) => writeFormula(url.searchParams, typed, isDefaultDomain));
  }

  /** (Re)build the loss chart while its panel is open: its axes, legend and sharpness axis. */
  showChart() {
    // one rebuild after another: the panel's toggle event and a sharpness link's first
    // rebuild may come together
    this.chartReady = (this.chartReady || Promise.resolve()).then(async () => {
      if (!$("chart-panel").open) return;
      const racer = { label: this.choice.label, color: BALL_COLOR, dash: "none", plotlyDash: "solid" };
      await this.chart.reset(this.surface, [racer], { sharpness: $("sharpness").checked });
      this.scheduleDraw();
    });
    return this.chartReady;
  }

  /** A new rate from the slider or the keyboard (clamped to the slider's range). */
  setLearningRate(value) {
    const lr = $("lr");
    const clamped = Math.min(Number(lr.max), Math.max(Number(lr.min), value));
    lr.value = String(clamped);
    this.track.hyperparameters.lr = Number(Number(lr.value).toFixed(2));
    this.showLearningRate();
    this.session.changed();
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
    showFormula($("optimizer-rule"), this.choice.optimizer.formula, this.choice.optimizer.symbols);
    applyControlParams(this.root, this.params);
  }

  /** With coupled weight decay λ the ball descends f + (λ/2)·x²: draw it on request. */
  showL2() {
    const lambda = l2Strength(this.choice.optimizer, this.track.hyperparameters);
    const box = $("l2");
    box.disabled = lambda === 0 || Boolean(box.dataset.locked);
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
    if (isLocked(this.params, "start")) return; // a click on the curve must not move it
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
    this.chart.update([this.track]);
    if (this.surface.modelled) {
      const last = this.track.last();
      const weights = last ? last.position : this.track.start;
      this.dataPanel.update([{ weights, colour: BALL_COLOR }], last && last.batchPoints);
    }
    const { error, notice, playing } = this.session;
    const idle = !this.track.length || (this.track.last().step === 0 && !playing);
    $("status").textContent = error
      ? `Error: ${error}`
      : notice ||
        (idle
          ? "Press Play to let the ball roll, or click the curve to choose where it starts."
          : describe(this.track, { playing }));
    $("status").classList.toggle("error", Boolean(error));
    this.announcer.say($("status").textContent, { rolling: playing && !error });
    $("play").textContent = playing ? "Pause" : "Play";
    this.root.dataset.state = playing ? "playing" : this.track.status || "idle";
    this.address.update(this.stateParams());
    if (this.lesson) this.lesson.update();
    this.rule.update();
  }
}

async function main() {
  const root = $("sim");
  const params = currentParams();
  startEmbedMode(params);
  if (params.get("projector") === "1") setProjector(true);
  const surfaceId = root.dataset.surface;
  // a link's formula: refused, the page opens on its landscape and says why by the input
  const typed = readFormulaParam(params, 1, defaultDomain(1));
  const modelled = typed ? null : readModelParam(params, 1);
  try {
    const [surfaces, optimizers, catalog, models, datasets, own] = await Promise.all([
      getJSON("/api/surfaces"),
      getJSON("/api/optimizers"),
      getJSON("/api/options"),
      getJSON("/api/models"),
      getJSON("/api/datasets"),
      typed ? readFormula(typed).catch((error) => error) : modelled ? readModel(modelled).catch((error) => error) : null,
    ]);
    const refusal = own instanceof Error ? own : null;
    const surface = own && !refusal ? own : surfaces.find((s) => s.id === surfaceId);
    const grid = ownKey(surface) ? surface.grid : await getJSON(`/api/surfaces/${surfaceId}/grid`);
    const sim = new RollDownhill(root, surface, grid, optimizers, catalog, surfaces, params, { models, datasets });
    if (typed) sim.form.fill(typed);
    if (refusal && typed) sim.form.showError(refusal);
    if (refusal && modelled) sim.modelForm.showError(refusalText(refusal));
    if (surface.modelled) await sim.showData(surface);
    applyControlParams(root, params);
    await sim.showChart();
    const steps = stepsToReplay(params);
    if (steps) await sim.session.replay(steps);
    else await sim.session.reset();
    sim.lesson = await startLesson(root, params, {
      anchor: root.querySelector(".intro"),
      firstTrack: () => sim.track,
      buttons: [$("play"), $("step")],
    });
    sim.scheduleDraw();
    root.dataset.ready = "true";
  } catch (error) {
    $("status").textContent = `Error: ${error.message}`;
    $("status").classList.add("error");
  }
}

main();
