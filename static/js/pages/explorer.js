// The 2D explorer: a landscape, a shared start, and up to six optimizers racing on it. The
// shell (shell.js) does what every page does; this is what only this page does.

import { FACTS } from "../facts.js";
import { formatNumber } from "../format.js";
import { l2Strength, regularized2d } from "../l2.js";
import { dataSize } from "../landscape.js";
import { getJSON } from "../net/api.js";
import { buildHyperparameterControls, choiceDefaults, fillPicker, showFormula } from "../panels/controls.js";
import { downloadPNG } from "../panels/download.js";
import { applyControlParams, isLocked, usable } from "../panels/embed.js";
import { markPicker, ownKey } from "../panels/formula.js";
import { isProjector } from "../panels/keyboard.js";
import { buildTrainingControls, defaultOptions } from "../panels/options.js";
import { showReadouts } from "../panels/readouts.js";
import { wireWholeLandscape } from "../maps/wholelandscape.js";
import { LandscapePlot, MAX_RACERS, RACER_STYLES } from "../plots/plot2d.js";
import { Track } from "../state/track.js";
import { decodePoint, encodePoint, readSchedule, readValues, writeTraining, writeValues } from "../state/urlstate.js";
import { describe } from "../verdict.js";
import { PageShell, startPage } from "./shell.js";

const DEFAULT_SURFACE = FACTS.pageSurfaces.explore;
const FIRST_RACERS = ["gd", "momentum", "adam"];
const NEXT_RACERS = ["rmsprop", "nesterov", "adagrad", "gd", "momentum", "adam"];
const GRID_DELAY_MS = 150; // a surface-parameter drag refetches the grid at most this often

const $ = (id) => document.getElementById(id);

function gridURL(surface, parameters, extra = {}) {
  const query = new URLSearchParams({ ...parameters, ...extra });
  const q = query.toString();
  return `/api/surfaces/${surface.id}/grid${q ? `?${q}` : ""}`;
}

const RATE_NUDGE = 10 ** 0.1; // ↑/↓: every racer's lr times or over 1.26 (ten presses: ×10)

// This page's view controls (shell.js adds the speed slider): see controltable.js.
const CONTROLS = [
  {
    param: "view",
    id: "view",
    radios: true,
    default: "contour",
    apply: (page, view) => page.setView(view),
    opened: (page, view) => view !== "contour" && page.setView(view),
    control: "view",
  },
  {
    param: "arrows",
    id: "arrows",
    default: true,
    apply: (page, on) => {
      page.plot.setArrows(on);
      page.scheduleDraw();
    },
    opened: (page, on) => page.plot.setArrows(on),
    control: "view", // beside the view's radios, hidden and locked with them
  },
  {
    param: "sharpness",
    id: "sharpness",
    default: false,
    apply: (page, on) => {
      // every racer's steps again, now with (or without) their sharpness
      for (const racer of page.racers) racer.track.sharpness = on;
      page.racersChanged();
    },
    control: "sharpness",
  },
];

class Explorer extends PageShell {
  static async create(root, { params, catalogs, own }) {
    return new Explorer(root, { params, catalogs, own });
  }

  constructor(root, { params, catalogs, own }) {
    super(root, { params, catalogs, page: "explore", dim: 2, controls: CONTROLS });
    this.own = own; // a linked formula or model landscape, opened by open()
    this.racers = [];
    this.nextRacerId = 1;
    this.l2Racer = null; // the racer whose L2 landscape the map shows
    this.plot = null;
    this.gridTimer = null;
    this.wireControls();
    this.wireShell();
    this.maps = null; // the whole-landscape tools, once the plot exists (open)
  }

  /** The address's landscape, its racers and start; then the maps beside it. */
  async open() {
    await this.setSurface(this.params.get("surface") || this.root.dataset.surface, this.params, this.own);
    this.wireMaps();
    if (isProjector()) this.plot.setProjector(true);
  }

  async setView(view) {
    this.root.dataset.view = view;
    await this.plot.setView(view);
    this.scheduleDraw();
  }

  tracks() {
    return this.racers.map((r) => r.track);
  }

  balls() {
    return this.racers.map((r) => ({ id: r.id, label: this.label(r), track: r.track }));
  }

  runs() {
    const steps = this.steps();
    return this.racers.map((r) => r.track.replayRequest(steps));
  }

  png() {
    const shown = this.root.dataset.view === "3d" ? this.plot.scene : this.plot.map;
    return downloadPNG(shown, [...$("landscape").querySelectorAll("svg.overlay")], `descent-lab-${this.surface.id}.png`);
  }

  shareTitle() {
    return "Descent Lab: landscape explorer";
  }

  projectorChanged(on) {
    if (this.plot) this.plot.setProjector(on);
  }

  // --- the whole landscape ----------------------------------------------------------------

  /** The racer whose settings the maps use (chosen in the section; the first by default). */
  mapRacer() {
    return this.racers.find((r) => r.id === $("maps-racer").value) || this.racers[0];
  }

  wireMaps() {
    this.maps = wireWholeLandscape(this.root, {
      dim: 2,
      surface: () => this.surface,
      run: () => this.mapRacer().track.replayRequest(0),
      start: () => this.start,
      optimizer: () => this.mapRacer().choice.optimizer,
      label: () => this.label(this.mapRacer()),
      plot: this.plot,
    });
    $("maps-racer").addEventListener("change", () => this.maps.settingsChanged());
  }

  /** The racers' names in the maps' racer picker, keeping the chosen one. */
  showMapRacers() {
    const chosen = this.mapRacer();
    fillPicker($("maps-racer"), this.racers.map((r) => ({ key: r.id, label: this.label(r) })), chosen && chosen.id);
    if (this.maps) this.maps.settingsChanged();
  }

  // --- the surface ------------------------------------------------------------------------

  /**
   * Switch landscape: the catalog's `id`, or `own`, a typed formula's or a model's entry
   * (readFormula, readModel); `params` (the address, on first load) gives its settings and
   * racers. `reshape`: the same model on other points, so the start and the racers' rates
   * stay as they are.
   */
  async setSurface(id, params = null, own = null, { reshape = false } = {}) {
    this.session.stop();
    const before = dataSize(this.surface);
    this.surface = own || this.surfaces.find((s) => s.id === id) || this.surfaces[0];
    markPicker($("surface"), ownKey(this.surface));
    if (!ownKey(this.surface)) $("surface").value = this.surface.id;
    this.modelForm.show(this.surface.modelled || null);
    if (reshape) this.dataPanel.accepted(this.surface);
    else await this.dataPanel.show(this.surface.modelled ? this.surface : null);
    this.form.showLandscape(this.surface, $("surface-formula"));
    $("surface-description").textContent = this.surface.description;
    this.surfaceParameters = {};
    for (const p of this.surface.parameters) this.surfaceParameters[p.name] = p.default;
    if (params) readValues(params, "", this.surface.parameters, this.surfaceParameters);
    $("surface-parameters").hidden = !this.surface.parameters.length;
    buildHyperparameterControls($("surface-parameters"), this.surface.parameters, this.surfaceParameters, {
      idPrefix: "surface",
      onInput: () => this.surfaceParametersChanged(),
    });
    const grid = ownKey(this.surface) ? this.surface.grid : await getJSON(gridURL(this.surface, this.surfaceParameters));
    if (this.plot) this.plot.setSurface(this.surface, grid);
    else {
      this.plot = new LandscapePlot($("landscape"), this.surface, grid, { onRedrawNeeded: this.scheduleDraw });
      this.plot.onPick((point) => this.setStart(point));
    }
    if (this.maps) this.maps.surfaceChanged();
    const asked = (params && decodePoint(params.get("start"), 2)) || (reshape ? this.start : this.surface.start);
    const [dx, dy] = this.surface.domain;
    this.setStartFields([Math.min(dx[1], Math.max(dx[0], asked[0])), Math.min(dy[1], Math.max(dy[0], asked[1]))]);
    if (params && params.has("r1")) {
      for (let i = 1; i <= MAX_RACERS && params.has(`r${i}`); i += 1) {
        this.addRacer(params.get(`r${i}`), { quiet: true, params, prefix: `r${i}.` });
      }
    } else if (!this.racers.length) {
      for (const key of FIRST_RACERS) this.addRacer(key, { quiet: true });
    } else {
      const size = dataSize(this.surface);
      for (const racer of this.racers) {
        racer.track.surface = this.surface;
        racer.track.surfaceParameters = this.surfaceParameters;
        // a whole-data batch stays whole as points come and go (and is 1 off a model)
        const options = racer.track.options;
        if (!before || options.batch_size >= before) options.batch_size = size || 1;
        if (reshape) this.buildSettings(racer);
        else this.applySuggestedRate(racer);
      }
    }
    await this.racersChanged();
  }

  /** A formula or model landscape in place; `reshape`: the same model on other points. */
  setLandscape(entry, { reshape = false } = {}) {
    return this.setSurface(null, null, entry, { reshape });
  }

  openFormula(formula) {
    return this.setSurface(null, null, formula);
  }

  /** Every option at its default for this landscape (a model's batch: all its points). */
  optionDefaults() {
    return defaultOptions(this.catalog, dataSize(this.surface));
  }

  scenarioParams(params) {
    const surfaceDefaults = Object.fromEntries(this.surface.parameters.map((p) => [p.name, p.default]));
    writeValues(params, "", this.surface.parameters, this.surfaceParameters, surfaceDefaults);
    if (this.start.some((v, i) => v !== this.surface.start[i])) params.set("start", encodePoint(this.start));
    this.racers.forEach((racer, i) => {
      const prefix = `r${i + 1}.`;
      params.set(`r${i + 1}`, racer.choice.key);
      writeValues(params, prefix, racer.choice.optimizer.hyperparameters, racer.track.hyperparameters, this.racerDefaults(racer.choice));
      writeTraining(params, prefix, this.catalog, racer.track, this.optionDefaults());
    });
  }

  /** A racer's settings before anyone touches them: the choice's, at the suggested rate. */
  racerDefaults(choice) {
    const values = choiceDefaults(choice);
    const rate = this.suggestedRate(choice);
    if (rate !== undefined) values.lr = rate;
    return values;
  }

  surfaceParametersChanged() {
    for (const racer of this.racers) racer.track.surfaceParameters = this.surfaceParameters;
    this.session.changed();
    if (this.gridTimer) return;
    this.gridTimer = setTimeout(async () => {
      this.gridTimer = null;
      try {
        const grid = await getJSON(gridURL(this.surface, this.surfaceParameters));
        await this.plot.setSurface(this.surface, grid);
        this.showL2();
      } catch (error) {
        this.showError(error.message);
      }
      this.scheduleDraw();
    }, GRID_DELAY_MS);
  }

  // --- the start --------------------------------------------------------------------------

  setStartFields(point) {
    const [domainX, domainY] = this.surface.domain;
    $("start-x").min = String(domainX[0]);
    $("start-x").max = String(domainX[1]);
    $("start-y").min = String(domainY[0]);
    $("start-y").max = String(domainY[1]);
    this.start = point.map((v) => Number(v.toFixed(3)));
    $("start-x").value = String(this.start[0]);
    $("start-y").value = String(this.start[1]);
    for (const racer of this.racers) racer.track.start = this.start;
  }

  setStart(point) {
    if (isLocked(this.params, "start")) return; // a click on the map must not move it
    const clamped = point.map((v, i) => Math.min(this.surface.domain[i][1], Math.max(this.surface.domain[i][0], v)));
    this.setStartFields(clamped);
    this.session.reset({ keepPlaying: true });
  }

  // --- racers -----------------------------------------------------------------------------

  /** A racer of choice `key`; its settings from the address under `prefix` when given. */
  addRacer(key, { quiet = false, params = null, prefix = "" } = {}) {
    if (this.racers.length >= MAX_RACERS) return;
    const used = new Set(this.racers.map((r) => r.choice.key));
    const choice =
      this.choices.find((c) => c.key === key) ||
      this.choices.find((c) => c.key === NEXT_RACERS.find((k) => !used.has(k))) ||
      this.choices[0];
    const taken = new Set(this.racers.map((r) => r.style));
    const racer = {
      id: `r${this.nextRacerId++}`,
      style: RACER_STYLES.find((s) => !taken.has(s)),
      choice,
      track: new Track({
        surface: this.surface,
        surfaceParameters: this.surfaceParameters,
        optimizer: choice.optimizer,
        hyperparameters: choiceDefaults(choice),
        start: this.start,
        options: this.optionDefaults(),
        sharpness: $("sharpness").checked,
      }),
    };
    this.applySuggestedRate(racer);
    if (params) {
      readValues(params, prefix, choice.optimizer.hyperparameters, racer.track.hyperparameters);
      readValues(params, prefix, this.catalog.options, racer.track.options);
      racer.track.schedule = readSchedule(params, prefix, this.catalog);
    }
    racer.card = this.buildCard(racer);
    this.racers.push(racer);
    $("racers").append(racer.card);
    if (!quiet) this.racersChanged();
  }

  removeRacer(racer) {
    if (this.racers.length <= 1) return;
    this.racers = this.racers.filter((r) => r !== racer);
    racer.card.remove();
    this.racersChanged();
  }

  /** The engine's starting rate for this racer's method on this landscape (a preset such
   * as Nesterov may have its own). */
  applySuggestedRate(racer) {
    if (!this.surface) return;
    const rate = this.suggestedRate(racer.choice);
    if (rate !== undefined) racer.track.hyperparameters.lr = rate;
    this.buildSettings(racer);
  }

  suggestedRate(choice) {
    const rates = this.surface.suggested_lr;
    return rates[choice.key] ?? rates[choice.optimizer.id];
  }

  /** ↑/↓: every racer's learning rate up or down (not a locked one). */
  nudgeRate(direction) {
    for (const racer of this.racers) {
      const slider = racer.card.querySelector(".racer-lr input");
      if (!usable(slider)) continue;
      const lr = racer.track.hyperparameters.lr * RATE_NUDGE ** direction;
      racer.track.hyperparameters.lr = Number(lr.toPrecision(3));
      this.buildSettings(racer);
    }
    this.session.changed();
  }

  /** The legend name: the optimizer, numbered when two racers share it. */
  label(racer) {
    const same = this.racers.filter((r) => r.choice.key === racer.choice.key);
    return same.length > 1 ? `${racer.choice.label} ${same.indexOf(racer) + 1}` : racer.choice.label;
  }

  buildCard(racer) {
    const card = $("racer-template").content.firstElementChild.cloneNode(true);
    card.dataset.racer = racer.id;
    card.style.setProperty("--racer", racer.style.color);
    const select = card.querySelector("select");
    select.id = `${racer.id}-optimizer`;
    card.querySelector(".racer-name").htmlFor = select.id;
    fillPicker(select, this.choices, racer.choice.key);
    select.addEventListener("change", () => {
      racer.choice = this.choices.find((c) => c.key === select.value);
      racer.track.optimizer = racer.choice.optimizer;
      racer.track.hyperparameters = choiceDefaults(racer.choice);
      this.applySuggestedRate(racer);
      this.racersChanged();
    });
    card.querySelector(".remove").addEventListener("click", () => this.removeRacer(racer));
    const l2 = card.querySelector(".racer-l2");
    l2.id = `${racer.id}-l2`;
    card.querySelector(".racer-l2-label").htmlFor = l2.id;
    l2.addEventListener("change", () => {
      this.l2Racer = l2.checked ? racer : null;
      this.showL2();
    });
    racer.card = card;
    this.buildSettings(racer);
    buildTrainingControls(card.querySelector(".racer-training"), this.catalog, racer.track, {
      idPrefix: `${racer.id}-training`,
      onInput: () => this.session.changed(),
    });
    applyControlParams(card, this.params);
    return card;
  }

  /**
   * The L2 landscape of the racer whose box is ticked (one at a time): with coupled weight
   * decay λ it descends f + (λ/2)·‖x‖², drawn as contour lines in its colour.
   */
  showL2() {
    for (const racer of this.racers) {
      const lambda = l2Strength(racer.choice.optimizer, racer.track.hyperparameters);
      const box = racer.card.querySelector(".racer-l2");
      box.disabled = lambda === 0 || Boolean(box.dataset.locked);
      box.checked = racer === this.l2Racer && lambda > 0;
      racer.card.querySelector(".racer-l2-note").textContent =
        lambda === 0 ? "Needs a weight decay that is added to the gradient (not AdamW's or Lion's)." : "";
    }
    const racer = this.l2Racer;
    const lambda = racer ? l2Strength(racer.choice.optimizer, racer.track.hyperparameters) : 0;
    if (!racer || !this.racers.includes(racer) || lambda === 0) {
      this.l2Racer = null;
      this.plot.showL2(null);
      return;
    }
    const landscape = regularized2d(this.plot.grid, lambda);
    this.plot.showL2(landscape, racer.style.color);
    const global = this.surface.minima.find((m) => m.kind === "global");
    const from = global ? ` from (${global.position.map((v) => formatNumber(v, 3)).join(", ")})` : "";
    racer.card.querySelector(".racer-l2-note").textContent =
      `With λ = ${formatNumber(lambda)} the lowest point moves${from} to about ` +
      `(${formatNumber(landscape.lowest.x, 3)}, ${formatNumber(landscape.lowest.y, 3)}).`;
  }

  buildSettings(racer) {
    if (!racer.card) return;
    const values = racer.track.hyperparameters;
    const onInput = (name) => {
      if (name === "weight_decay" || name === racer.choice.optimizer.decoupled_by) this.showL2();
      this.session.changed();
    };
    const hps = racer.choice.optimizer.hyperparameters;
    buildHyperparameterControls(racer.card.querySelector(".racer-lr"), hps, values, {
      only: ["lr"], idPrefix: racer.id, onInput,
    });
    buildHyperparameterControls(racer.card.querySelector(".racer-more"), hps, values, {
      skip: ["lr"], idPrefix: racer.id, onInput,
    });
    const { formula, symbols } = racer.choice.optimizer;
    showFormula(racer.card.querySelector(".racer-rule"), formula, symbols);
    applyControlParams(racer.card, this.params);
  }

  /** Racers added, removed or switched: rebuild the legends and start every ball over. */
  async racersChanged() {
    this.session.tracks = this.racers.map((r) => r.track);
    const legend = this.racers.map((r) => ({ label: this.label(r), ...r.style }));
    const addRacer = $("add-racer");
    if (!addRacer.dataset.locked) addRacer.disabled = this.racers.length >= MAX_RACERS;
    for (const r of this.racers) {
      const remove = r.card.querySelector(".remove");
      if (!remove.dataset.locked) remove.disabled = this.racers.length <= 1;
    }
    this.showMapRacers();
    await Promise.all([
      this.plot.setRacers(legend),
      this.chart.reset(this.surface, legend, { sharpness: $("sharpness").checked }),
    ]);
    this.showL2();
    await this.session.reset({ keepPlaying: true });
  }

  // --- controls ---------------------------------------------------------------------------

  wireControls() {
    this.wirePicker(DEFAULT_SURFACE, (id) => this.setSurface(id).catch((error) => this.showError(error.message)));
    for (const field of [$("start-x"), $("start-y")]) {
      field.addEventListener("change", () => {
        // valueAsNumber is NaN for an empty or unreadable field: then the old start stays
        const point = [$("start-x").valueAsNumber, $("start-y").valueAsNumber];
        if (point.every(Number.isFinite)) this.setStart(point);
        else this.setStartFields(this.start);
      });
    }
    $("add-racer").addEventListener("click", () => this.addRacer());
  }

  // --- drawing ----------------------------------------------------------------------------

  draw() {
    const tracks = this.racers.map((r) => r.track);
    this.plot.update(tracks, this.start);
    this.chart.update(tracks);
    if (this.surface.modelled) {
      const balls = this.racers.map((r) => {
        const last = r.track.last();
        return { weights: last ? last.position : r.track.start, colour: r.style.color, dash: r.style.plotlyDash };
      });
      const batched = tracks.map((t) => t.last()).find((last) => last && last.batchPoints);
      this.dataPanel.update(balls, batched ? batched.batchPoints : null);
    }
    const { playing } = this.session;
    for (const racer of this.racers) {
      showReadouts(racer.card, racer.track);
      racer.card.querySelector(".racer-status").textContent = describe(racer.track, { playing });
    }
    const done = tracks.length && tracks.every((t) => t.settled);
    this.root.dataset.state = playing ? "playing" : done ? "finished" : "idle";
    // one line for a screen reader: the race, then each racer that has finished
    const finished = this.racers
      .filter((r) => r.track.outcome)
      .map((r) => `${this.label(r)}: ${r.card.querySelector(".racer-status").textContent}`);
    this.finishDraw(this.summary(), { rolling: playing, also: finished });
  }

  summary() {
    const n = this.racers.length;
    const steps = this.steps();
    if (this.session.playing) return `Racing ${n} optimizer${n > 1 ? "s" : ""} on ${this.surface.name}… step ${steps}`;
    if (steps === 0) {
      return `${n} optimizer${n > 1 ? "s" : ""} ready on ${this.surface.name}. Press Play, or click the map to choose the start.`;
    }
    if (this.racers.every((r) => r.track.settled)) {
      return `Race over after ${steps} step${steps === 1 ? "" : "s"}: every racer has stopped. Press Play to race again.`;
    }
    return `Paused after ${steps} step${steps === 1 ? "" : "s"}. Press Play to go on.`;
  }
}

startPage(document.getElementById("explorer"), Explorer, 2);
