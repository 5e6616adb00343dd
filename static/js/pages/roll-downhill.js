// The Roll Downhill page: one ball, one optimizer, a learning-rate slider. The shell
// (shell.js) does what every page does; this is what only this page does.

import { FACTS } from "../facts.js";
import { formatFixed } from "../format.js";
import { dataSize } from "../landscape.js";
import { getJSON } from "../net/api.js";
import { buildHyperparameterControls, choiceDefaults, fillPicker, showFormula } from "../panels/controls.js";
import { downloadPNG } from "../panels/download.js";
import { applyControlParams, isLocked, usable } from "../panels/embed.js";
import { isDefaultDomain, markPicker, ownKey } from "../panels/formula.js";
import { isProjector } from "../panels/keyboard.js";
import { showL2Curve } from "../panels/l2curve.js";
import { buildTrainingControls, defaultOptions } from "../panels/options.js";
import { showReadouts } from "../panels/readouts.js";
import { wireWholeLandscape } from "../maps/wholelandscape.js";
import { BALL_COLOR, CurvePlot } from "../plots/plot1d.js";
import { Track } from "../state/track.js";
import { decodePoint, encodePoint, readSchedule, readValues, writeFormula, writeTraining, writeValues } from "../state/urlstate.js";
import { describe } from "../verdict.js";
import { PageShell, startPage } from "./shell.js";

const DEFAULT_CHOICE = "gd";
const DEFAULT_LR = 0.1; // the slider's first position
const LR_NUDGE = 0.01; // ↑/↓: one slider notch

const $ = (id) => document.getElementById(id);

// This page's view controls (shell.js adds the speed slider): see controltable.js.
const CONTROLS = [
  { param: "l2", id: "l2", default: false, apply: (page) => page.showL2(), control: "l2" },
  {
    param: "sharpness",
    id: "sharpness",
    default: false,
    apply: (page, on) => {
      // the steps again from the start, now with (or without) f″ at each
      page.track.sharpness = on;
      page.showChart();
      page.session.reset({ keepPlaying: true });
    },
    opened: (page, on) => {
      if (on) $("chart-panel").open = true; // a link with sharpness shows it
      return page.showChart();
    },
    control: "sharpness",
  },
];

class RollDownhill extends PageShell {
  /** The page on the address's landscape: `own`, a linked formula or model, or the catalog's. */
  static async create(root, { params, catalogs, own }) {
    const surface = own || catalogs.surfaces.find((s) => s.id === root.dataset.surface);
    const grid = ownKey(surface) ? surface.grid : await getJSON(`/api/surfaces/${surface.id}/grid`);
    return new RollDownhill(root, { params, catalogs, surface, grid });
  }

  constructor(root, { params, catalogs, surface, grid }) {
    super(root, { params, catalogs, page: "roll", dim: 1, controls: CONTROLS, defaultSurface: FACTS.pageSurfaces.roll });
    this.surface = surface;
    this.track = this.trackFrom(params);
    this.session.tracks = [this.track];
    this.grid = grid;
    this.plot = new CurvePlot($("plot"), surface, grid);
    this.wireControls();
    this.wireShell();
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

  scenarioParams(params) {
    if (this.choice.key !== DEFAULT_CHOICE) params.set("optimizer", this.choice.key);
    const base = { ...choiceDefaults(this.choice), lr: DEFAULT_LR };
    writeValues(params, "", this.choice.optimizer.hyperparameters, this.track.hyperparameters, base);
    if (this.track.start[0] !== this.surface.start[0]) params.set("start", encodePoint(this.track.start));
    writeTraining(params, "", this.catalog, this.track, defaultOptions(this.catalog, dataSize(this.surface)));
  }

  tracks() {
    return [this.track];
  }

  balls() {
    return [{ id: 1, label: "", track: this.track }];
  }

  png() {
    return downloadPNG($("plot"), [], `descent-lab-${this.surface.id}.png`);
  }

  shareTitle() {
    return `Descent Lab: ${this.surface.name}`;
  }

  nudgeRate(direction) {
    if (usable($("lr"))) this.setLearningRate(Number($("lr").value) + direction * LR_NUDGE);
  }

  /** A link's model landscape shows its data; the loss chart is drawn if its panel is open. */
  async open() {
    if (this.surface.modelled) await this.showData(this.surface);
    await this.showChart();
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
    this.wirePicker(this.surface.id, (id) => this.openLandscape((url) => url.searchParams.set("surface", id)));
    this.showLandscape();
    $("lr").addEventListener("input", () => this.setLearningRate(Number($("lr").value)));
    $("start").addEventListener("input", () => this.setStart(Number($("start").value)));
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
    this.buildTraining();
    $("chart-panel").addEventListener("toggle", () => this.showChart());
    this.plot.ready.then(() => this.showL2());
    this.buildHyperparameters();
    this.showLearningRate();
    this.showStart();
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

  /** A typed formula opens the page anew on it (the server reads it again, from its cache). */
  openFormula(formula) {
    this.openLandscape((url) => writeFormula(url.searchParams, formula.typed, isDefaultDomain));
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
    lr.value = String(Math.min(Number(lr.max), Math.max(Number(lr.min), value)));
    this.track.hyperparameters.lr = Number(Number(lr.value).toFixed(2));
    this.showLearningRate();
    this.session.changed();
  }

  buildHyperparameters() {
    const { hyperparameters, formula, symbols, decoupled_by: decoupledBy } = this.choice.optimizer;
    buildHyperparameterControls($("hyperparameters"), hyperparameters, this.track.hyperparameters, {
      skip: ["lr"],
      onInput: (name) => {
        if (name === "weight_decay" || name === decoupledBy) this.showL2();
        this.session.changed();
      },
    });
    showFormula($("optimizer-rule"), formula, symbols);
    applyControlParams(this.root, this.params);
  }

  showL2() {
    const { grid, surface, track } = this;
    showL2Curve(this.plot, { grid, surface, optimizer: this.choice.optimizer, hyperparameters: track.hyperparameters });
  }

  showLearningRate() {
    $("lr-value").textContent = formatFixed(this.track.hyperparameters.lr, 2);
  }

  showStart() {
    $("start-value").textContent = formatFixed(this.track.start[0], 2);
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
    if (xs.length) this.plot.update({ xs, losses: trace.losses, start: xs[0], startLoss: trace.losses[0] });
    showReadouts(this.root, this.track);
    this.chart.update([this.track]);
    const last = this.track.last();
    if (this.surface.modelled) {
      const weights = last ? last.position : this.track.start;
      this.dataPanel.update([{ weights, colour: BALL_COLOR }], last && last.batchPoints);
    }
    const { playing } = this.session;
    const idle = !this.track.length || (last.step === 0 && !playing);
    const status = idle
      ? "Press Play to let the ball roll, or click the curve to choose where it starts."
      : describe(this.track, { playing });
    this.root.dataset.state = playing ? "playing" : this.track.status || "idle";
    this.finishDraw(status, { rolling: playing });
  }
}

startPage(document.getElementById("sim"), RollDownhill, 1);
