// The Roll Downhill page: a ball, its optimizer, a learning-rate slider, and on request more
// balls racing it and the tangent and step at each. The shell (shell.js) does what every page
// does; the first ball's settings and the others are panels (panels/ball.js, rollballs.js);
// this is what only this page does.

import { FACTS } from "../facts.js";
import { formatNumber } from "../format.js";
import { getJSON } from "../net/api.js";
import { Ball, stepShown } from "../panels/ball.js";
import { downloadPNG } from "../panels/download.js";
import { isDefaultDomain, markPicker, ownKey, suggestedRate } from "../panels/formula.js";
import { isProjector } from "../panels/keyboard.js";
import { showL2Curve } from "../panels/l2curve.js";
import { showReadouts } from "../panels/readouts.js";
import { MoreBalls } from "../panels/rollballs.js";
import { wireWholeLandscape } from "../maps/wholelandscape.js";
import { BALL_COLOR, BALL_COLOR_NAME, CurvePlot, MORE_BALL_STYLES } from "../plots/plot1d.js";
import { writeFormula } from "../state/urlstate.js";
import { describe } from "../verdict.js";
import { PageShell, startPage } from "./shell.js";

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
      for (const track of page.tracks()) track.sharpness = on;
      page.showChart();
      page.session.reset({ keepPlaying: true });
    },
    opened: (page, on) => {
      if (on) $("chart-panel").open = true; // a link with sharpness shows it
      return page.showChart();
    },
    control: "sharpness",
  },
  {
    param: "tangent",
    id: "tangent",
    default: false,
    apply: (page) => page.scheduleDraw(),
    control: "tangent",
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
    this.ball = new Ball(this, surface);
    this.more = new MoreBalls(this, MORE_BALL_STYLES);
    this.more.read(params);
    this.session.tracks = this.tracks();
    this.grid = grid;
    this.plot = new CurvePlot($("plot"), surface, grid);
    this.wirePicker(surface.id, (id) => this.openLandscape((url) => url.searchParams.set("surface", id)));
    this.showLandscape();
    this.ball.wire();
    $("chart-panel").addEventListener("toggle", () => this.showChart());
    this.plot.ready.then(() => this.showL2());
    this.wireShell();
    this.maps = wireWholeLandscape(root, {
      dim: 1,
      surface: () => this.surface,
      run: () => this.ball.track.replayRequest(0),
      start: () => this.ball.track.start,
      optimizer: () => this.ball.choice.optimizer,
      label: () => this.ball.choice.label,
      plot: this.plot,
    });
    this.plot.ready.then(async () => {
      this.plot.onPick((x) => this.ball.setStart(x));
      await this.showBalls();
      if (isProjector()) this.plot.setProjector(true);
    });
  }

  scenarioParams(params) {
    this.ball.write(params);
    this.more.write(params);
  }

  tracks() {
    return [this.ball.track, ...this.more.list.map((b) => b.track)];
  }

  /** The first ball's start moved: every ball starts there, from the start. */
  startChanged() {
    this.more.startAt(this.ball.track.start);
    this.session.reset({ keepPlaying: true });
  }

  /** A ball added or taken away, or its optimizer switched: the plot, the chart and the run follow. */
  ballsChanged() {
    this.session.tracks = this.tracks();
    this.showBalls();
    this.showChart();
    this.session.reset({ keepPlaying: true });
  }

  /** Each ball's marks on the plot; with more than one, the first named by its colour. */
  async showBalls() {
    const more = this.more.list.length > 0;
    $("first-ball").hidden = !more;
    $("first-ball-name").textContent = `The ${BALL_COLOR_NAME} ball`;
    $("first-ball").style.setProperty("--ball", BALL_COLOR);
    await this.plot.setMoreBalls(this.more.list.map((b) => b.style));
    this.scheduleDraw();
  }

  balls() {
    return [{ id: 1, label: "", track: this.ball.track }];
  }

  names() {
    return [this.ball.choice.label]; // balls() leaves the one ball unnamed (no picker)
  }

  png() {
    return downloadPNG($("plot"), [], `descent-lab-${this.surface.id}.png`);
  }

  shareTitle() {
    return `Descent Lab: ${this.surface.name}`;
  }

  nudgeRate(direction) {
    this.ball.nudge(direction);
  }

  /** A link's model landscape shows its data; the loss chart is drawn if its panel is open. */
  async open() {
    if (this.surface.modelled) await this.showData(this.surface);
    await this.showChart();
  }

  /** The landscape's own fields: the start slider's range, its formula and description. */
  showLandscape() {
    this.ball.showStart();
    this.form.showLandscape(this.surface, $("formula"));
    $("surface-description").textContent = this.surface.description;
    markPicker($("surface"), ownKey(this.surface));
    this.modelForm.show(this.surface.modelled || null);
  }

  /** Another optimizer: its L2 curve, the maps' settings and the chart's legend follow. */
  optimizerChanged() {
    this.showL2();
    this.maps.settingsChanged();
    this.showChart(); // the legend names the optimizer
    this.session.reset({ keepPlaying: true });
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

  /** A typed formula opens the page anew on it (the server reads it again, from its cache),
   * at the engine's suggested rate for the ball's optimizer on it. */
  openFormula(formula) {
    const rate = suggestedRate(formula, this.ball.choice);
    this.openLandscape((url) => {
      writeFormula(url.searchParams, formula.typed, isDefaultDomain);
      if (rate !== undefined) url.searchParams.set("lr", String(rate));
    });
  }

  /**
   * A model landscape in place of this one (`entry` from readModel): the ball keeps its
   * settings; `reshape` (the same model on other points) keeps its start too.
   */
  async setLandscape(entry, { reshape = false } = {}) {
    this.session.stop();
    this.surface = entry;
    this.grid = entry.grid;
    this.ball.moveTo(entry, { reshape });
    this.more.moveTo(entry, this.ball.track.start);
    if (reshape) this.dataPanel.accepted(entry);
    else await this.showData(entry);
    this.showLandscape();
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
      const { label } = this.ball.choice;
      const more = this.more.list;
      const first = { label: more.length ? `${BALL_COLOR_NAME} ball: ${label}` : label, color: BALL_COLOR };
      const racers = [
        { ...first, dash: "none", plotlyDash: "solid" },
        ...more.map((b) => ({ ...b.style, label: `${b.style.name} ball: ${b.choice.label}` })),
      ];
      await this.chart.reset(this.surface, racers, { sharpness: $("sharpness").checked });
      this.scheduleDraw();
    });
    return this.chartReady;
  }

  showL2() {
    const { grid, surface } = this;
    const { choice, track } = this.ball;
    showL2Curve(this.plot, { grid, surface, optimizer: choice.optimizer, hyperparameters: track.hyperparameters });
  }

  draw() {
    const { track } = this.ball;
    const balls = [{ track, choice: this.ball.choice, style: { color: BALL_COLOR } }, ...this.more.list];
    const mechanics = $("tangent").checked;
    const drawn = balls.map((b) => this.ballMarks(b.track, b.choice, mechanics));
    if (drawn[0].xs.length) this.plot.draw(drawn);
    this.showStepNote(mechanics && drawn[0].step);
    showReadouts(this.root, track);
    this.chart.update(this.tracks());
    const last = track.last();
    if (this.surface.modelled) {
      const weight = (t) => (t.last() ? t.last().position : t.start);
      const shown = balls.map((b) => ({ weights: weight(b.track), colour: b.style.color }));
      this.dataPanel.update(shown, last && last.batchPoints);
    }
    const { playing } = this.session;
    const idle = !track.length || (last.step === 0 && !playing);
    const verdict = describe(track, { playing });
    const more = this.more.list.length > 0;
    const status = idle
      ? "Press Play to let the ball roll, or click the curve to choose where it starts."
      : more ? `The ${BALL_COLOR_NAME} ball: ${verdict}` : verdict;
    const also = this.more.showVerdicts(playing);
    this.root.dataset.state = playing ? "playing" : track.status || "idle";
    this.finishDraw(status, { rolling: playing, also });
  }

  /** A ball's marks for the plot: its path, and with `mechanics` its tangent's slope (the
   * gradient the server sent) and its step (see stepShown). */
  ballMarks(track, choice, mechanics) {
    const { positions, losses } = track.trace;
    const xs = positions.map((p) => p[0]);
    const last = track.last();
    return {
      xs,
      losses,
      start: xs[0],
      startLoss: losses[0],
      tangent: mechanics && last ? last.gradient[0] : null,
      step: mechanics ? stepShown(track, choice) : null,
      averages: track.trace.averages, // an averaging optimizer's (ASGD's ax); nulls otherwise
    };
  }

  /** The first ball's step in numbers, beside the arrow (hidden without it). */
  showStepNote(step) {
    const note = $("step-note");
    note.hidden = !step;
    if (!step) return;
    const delta = formatNumber(step.to - step.from);
    const factor = (v) => (v < 0 ? `(${formatNumber(v)})` : formatNumber(v));
    note.textContent =
      step.kind === "next"
        ? `Next step: −lr·f′(x) = −${formatNumber(step.lr)} × ${factor(step.gradient)} = ${delta}`
        : `Last step: Δx = ${delta}, from x = ${formatNumber(step.from)} to ${formatNumber(step.to)}`;
  }
}

startPage(document.getElementById("sim"), RollDownhill, 1);
