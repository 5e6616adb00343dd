// The /network page: a small neural network trained by the server, its decision regions, its
// loss on the training and test points, its weights and what each hidden unit sees, with up to
// three optimizers racing on the same network from the same initial weights.
//
// The server trains (POST /api/networks/runs/stream: `start`, `steps`, `frame`, `end`; POST
// /api/networks/runs for a step, a catch-up after Pause, and a link's `steps=`); the page shows
// what it sends, drawn at most once per animation frame. It is built from the pieces every
// simulator page uses (controltable.js for the address and hide/lock, embed.js, keyboard.js,
// the Share panel, controls.js for the optimizers' settings); the page shell's own class
// (shell.js) is for landscapes a ball rolls on, which this page has none of.

import { Announcer } from "../announce.js";
import { FACTS } from "../facts.js";
import { formatNumber } from "../format.js";
import { oncePerFrame, oneAtATime } from "../frame.js";
import { ApiError, getJSON, postJSON } from "../net/api.js";
import { readEvents } from "../net/events.js";
import { buildHyperparameterControls, choiceDefaults, fillPicker, optimizerChoices, showFormula } from "../panels/controls.js";
import { applyControlParams, startEmbedMode, wireSharePanel } from "../panels/embed.js";
import { isProjector, setProjector, wireKeyboard } from "../panels/keyboard.js";
import { attachCsvUpload } from "../panels/csvupload.js";
import { save } from "../panels/download.js";
import { racerName } from "../panels/racernames.js";
import { LandscapeSection, landscapeRows } from "../panels/netlandscape.js";
import { FULL_BATCH, openNetLesson, showNetLesson } from "../panels/netlesson.js";
import { scheduleRequest } from "../panels/options.js";
import { UpdateRulePanel } from "../panels/updaterule.js";
import { attachPointEditor, pointModeControl } from "../panels/pointeditor.js";
import { DecisionPlot, paintGrid } from "../plots/decision.js";
import { NetLossChart } from "../plots/netloss.js";
import { replayHTML } from "../plots/netreplay.js";
import { drawNetwork } from "../plots/networkdiagram.js";
import { drawUnits } from "../plots/unitthumbs.js";
import { SPEEDS } from "../state/session.js";
import { AddressBar, currentParams, readChoice, readSchedule, readValues, stepsToReplay, writeValues } from "../state/urlstate.js";
import { ControlTable, SPEED } from "./controltable.js";

const $ = (id) => document.getElementById(id);

const RACER_STYLES = FACTS.racerStyles; // colour and dash per racer, as on the explorer
const GRID = 48; // the prediction's cells a side (capped by the catalog's limit)
// The page's menus (teaching choices, not server facts): penalties, batch sizes, clipping,
// SAM's radius ρ.
const PENALTIES = [0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1];
const BATCH_SIZES = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
const CLIPS = [0, 0.1, 0.5, 1, 2, 5, 10];
const SAM_RADII = [0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5];
// A racer's starting rate where the address names none: torch's defaults (1e-3 for SGD and
// Adam) barely move a small network in a few hundred steps; these do, for each group.
const START_RATE = { classic: 0.1, adaptive: 0.01 };
const SKIPPED = ["lr", "maximize"]; // a racer's "more settings": all but the rate (and ascent)
const OWN = "own"; // the data set picker's entry for points of one's own
const RULE_INTERVAL_MS = 500; // while training: the Update rule asked at most this often
const FILM_FRAMES = 240; // the HTML replay's pictures at most (about twice that while recording)
const SETTLE_MS = 120;
const NO_OPTIONS = { options: [] }; // racernames.js's catalog: the training options are the same for every racer here // a setting's run starts once its control has been still this long

const percent = (v) => (v === null || v === undefined ? "–" : `${Math.round(v * 100)}%`);

/** A racer's accuracy at its latest step, training · test ("100% · 97%"; "– · –" before it). */
function accuracies(steps) {
  const n = steps.step.length;
  return `${percent(n ? steps.train_accuracy[n - 1] : null)} · ${percent(n ? steps.test_accuracy[n - 1] : null)}`;
}

function emptySteps() {
  return { step: [], epoch: [], batch: [], lr: [], train_loss: [], test_loss: [], train_accuracy: [], test_accuracy: [], grad_norm: [] };
}

/** `more` (a `steps` record of the wire) appended to `into`, without the steps it already has. */
function appendSteps(into, more) {
  if (!more || !more.step) return;
  const last = into.step.length ? into.step[into.step.length - 1] : -1;
  more.step.forEach((step, i) => {
    if (step <= last) return;
    for (const key of Object.keys(into)) into[key].push(more[key] ? more[key][i] : null);
  });
}

function option(select, values, format = String) {
  select.replaceChildren(...values.map((v) => new Option(format(v), String(v))));
}

/** A range's value shown beside it. */
function show(id, text) {
  $(`${id}-value`).textContent = text;
}

/** The view controls of the page as rows of the control table (controltable.js). */
function controlRows(catalog) {
  const reset = (page) => page.settingsChanged();
  const rows = [
    { param: "data", id: "dataset", default: catalog.datasets[0].id, apply: (page) => page.datasetChanged(), control: "dataset" },
    { param: "points", id: "points", default: 200, apply: (page, v) => (show("points", v), reset(page)), opened: (_, v) => show("points", v), control: "points" },
    { param: "noise", id: "noise", default: 0.1, apply: (page, v) => (show("noise", v), reset(page)), opened: (_, v) => show("noise", v), control: "noise" },
    { param: "test", id: "test-ratio", default: 0.3, apply: (page, v) => (show("test-ratio", percent(v)), reset(page)), opened: (_, v) => show("test-ratio", percent(v)), control: "test" },
    { param: "seed", id: "data-seed", default: "0", apply: reset, control: "seed" },
    { param: "features", id: "features", checks: true, default: "x1,x2", apply: reset, control: "features" },
    { param: "layers", id: "layers", default: 2, apply: (page, v) => (page.showLayers(v), reset(page)), opened: (page, v) => page.showLayers(v), control: "layers" },
  ];
  for (let layer = 1; layer <= catalog.limits.layers; layer += 1) {
    const id = `units-${layer}`;
    rows.push({ param: `u${layer}`, id, default: 4, apply: (page, v) => (show(id, v), reset(page)), opened: (_, v) => show(id, v), control: "units" });
  }
  rows.push(
    { param: "act", id: "activation", default: catalog.activations.includes("tanh") ? "tanh" : catalog.activations[0], apply: reset, control: "activation" },
    { param: "init", id: "init", default: catalog.inits[0], apply: reset, control: "init" },
    { param: "wseed", id: "init-seed", default: "0", apply: reset, control: "init" },
    { param: "l1", id: "l1", default: "0", apply: reset, control: "regularization" },
    { param: "l2", id: "l2", default: "0", apply: reset, control: "regularization" },
    { param: "batch", id: "batch-size", default: "10", apply: reset, control: "batch" },
    { param: "clip", id: "clip", default: "0", apply: reset, control: "clip" },
    { param: "sam", id: "sam-rho", default: "0", apply: reset, control: "sam" },
    { param: "run", id: "steps", default: 500, apply: (page, v) => show("steps", v), opened: (_, v) => show("steps", v), control: "steps" },
  );
  return rows;
}

/** The menus and ranges the catalog decides, filled in before the address is read. */
function fillControls(catalog) {
  const datasets = catalog.datasets.map((d) => ({ key: d.id, label: d.name }));
  fillPicker($("dataset"), [...datasets, { key: OWN, label: "Your points (click or CSV)" }], datasets[0].key);
  option($("activation"), catalog.activations);
  option($("init"), catalog.inits);
  option($("l1"), PENALTIES, (v) => (v ? String(v) : "none"));
  option($("l2"), PENALTIES, (v) => (v ? String(v) : "none"));
  const batches = [FULL_BATCH, ...BATCH_SIZES.filter((b) => b <= catalog.limits.points)];
  option($("batch-size"), batches, (v) => (v === FULL_BATCH ? "all (full batch)" : String(v)));
  option($("clip"), CLIPS, (v) => (v ? String(v) : "off"));
  option($("sam-rho"), SAM_RADII, (v) => (v ? String(v) : "off"));
  $("points").max = String(catalog.limits.points);
  $("steps").max = String(catalog.limits.steps);
  $("layers").max = String(catalog.limits.layers);
  const features = catalog.features.map((f) => {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = "features";
    box.value = f.id;
    label.append(box, ` ${f.label}`);
    return label;
  });
  $("features").replaceChildren(...features);
  const units = [];
  for (let layer = 1; layer <= catalog.limits.layers; layer += 1) {
    const row = document.createElement("div");
    row.className = "control";
    row.dataset.layer = String(layer);
    const label = document.createElement("label");
    label.htmlFor = `units-${layer}`;
    label.textContent = `Units in layer ${layer}`;
    const range = document.createElement("input");
    Object.assign(range, { type: "range", id: `units-${layer}`, min: "1", max: String(catalog.limits.units), step: "1", value: "4" });
    const output = document.createElement("output");
    output.id = `units-${layer}-value`;
    output.htmlFor = range.id;
    output.textContent = "4";
    row.append(label, range, output);
    units.push(row);
  }
  $("units-controls").replaceChildren(...units);
}

/** One racer: an optimizer choice, its hyperparameters and schedule (the request's `optimizers`). */
class Racer {
  constructor(page, index, choice, hyperparameters, schedule) {
    this.page = page;
    this.index = index;
    this.choice = choice;
    this.hyperparameters = hyperparameters;
    this.schedule = schedule;
  }

  get style() {
    return RACER_STYLES[this.index];
  }

  /** Its name in the cards, the status and the legends: the optimizer, and where another racer
   * uses the same one, the settings that tell them apart ("Gradient descent, lr 0.04"). */
  get label() {
    const named = (r) => ({ choice: r.choice, track: { hyperparameters: r.hyperparameters, options: {}, schedule: r.schedule } });
    return racerName(named(this), (this.page.racers || [this]).map(named), NO_OPTIONS);
  }

  request() {
    return { optimizer: this.choice.optimizer.id, hyperparameters: { ...this.hyperparameters }, schedule: this.schedule };
  }

  /** Written under `r1.` … : only what differs from the choice's defaults. */
  write(params) {
    const prefix = `r${this.index + 1}`;
    if (this.index > 0 || this.choice.key !== defaultChoiceKey()) params.set(prefix, this.choice.key);
    writeValues(params, `${prefix}.`, this.choice.optimizer.hyperparameters, this.hyperparameters, startingValues(this.choice));
    if (this.schedule.name !== "constant") {
      params.set(`${prefix}.schedule`, this.schedule.name);
      const entry = this.page.options.schedules.find((s) => s.id === this.schedule.name);
      const base = Object.fromEntries(entry.parameters.map((p) => [p.name, p.default]));
      writeValues(params, `${prefix}.schedule.`, entry.parameters, this.schedule.parameters, base);
    }
  }

  /** The racer's card: optimizer picker, rate, more settings, schedule, Remove. */
  build() {
    const card = $("net-racer-template").content.firstElementChild.cloneNode(true);
    card.dataset.racer = String(this.index);
    card.style.setProperty("--racer", this.style.color);
    const select = card.querySelector("select");
    select.id = `racer-${this.index}-optimizer`;
    const name = card.querySelector(".net-racer-name");
    name.htmlFor = select.id;
    name.textContent = `Racer ${this.index + 1} (${this.style.name})`;
    fillPicker(select, this.page.choices, this.choice.key);
    select.addEventListener("change", () => {
      this.choice = this.page.choices.find((c) => c.key === select.value);
      this.hyperparameters = startingValues(this.choice);
      this.buildSettings();
      this.page.racersChanged();
    });
    const remove = card.querySelector(".remove");
    remove.hidden = this.index === 0;
    remove.addEventListener("click", () => this.page.removeRacer(this));
    const schedule = card.querySelector(".net-schedule");
    schedule.id = `racer-${this.index}-schedule`;
    card.querySelector(".net-schedule-label").htmlFor = schedule.id;
    for (const s of this.page.options.schedules) schedule.append(new Option(s.name, s.id, false, s.id === this.schedule.name));
    schedule.addEventListener("change", () => {
      this.schedule = scheduleRequest(this.page.options, schedule.value);
      this.buildSchedule();
      this.page.settingsChanged();
    });
    this.card = card;
    this.buildSettings();
    this.buildSchedule();
    return card;
  }

  buildSettings() {
    const hps = this.choice.optimizer.hyperparameters;
    const onInput = () => this.page.settingsChanged();
    const prefix = `racer-${this.index}`;
    buildHyperparameterControls(this.card.querySelector(".net-racer-lr"), hps, this.hyperparameters, { only: ["lr"], idPrefix: prefix, onInput });
    buildHyperparameterControls(this.card.querySelector(".net-racer-more"), hps, this.hyperparameters, { skip: SKIPPED, idPrefix: prefix, onInput });
    applyControlParams(this.card, this.page.params);
  }

  buildSchedule() {
    const entry = this.page.options.schedules.find((s) => s.id === this.schedule.name);
    buildHyperparameterControls(this.card.querySelector(".net-schedule-parameters"), entry.parameters, this.schedule.parameters, {
      idPrefix: `racer-${this.index}-schedule`,
      onInput: () => this.page.settingsChanged(),
    });
    applyControlParams(this.card, this.page.params);
  }
}

/** The first racer's optimizer where the address names none (the explorer's first racer's). */
function defaultChoiceKey() {
  return FACTS.explorerRacers[0];
}

/** A choice's settings at the page's starting rate for its group. */
function startingValues(choice) {
  const values = choiceDefaults(choice);
  if (START_RATE[choice.optimizer.group] !== undefined) values.lr = START_RATE[choice.optimizer.group];
  return values;
}

/** The racers' runs as the server sent them: steps so far, the latest frame, the ending. */
class Runs {
  constructor(count) {
    this.data = null;
    this.initialWeights = null;
    this.steps = Array.from({ length: count }, emptySteps);
    this.grids = Array(count).fill(null);
    this.units = Array(count).fill(null);
    this.weights = Array(count).fill(null);
    this.verdicts = Array(count).fill(null);
    this.before = Array(count).fill(null); // the frame before the latest: {step, weights}
    this.frameSteps = Array(count).fill(0); // the step of the latest frame
    this.film = Array.from({ length: count }, () => []); // every picture sent: [{step, grid}] (the HTML replay)
    this.outcomes = Array(count).fill(null);
    this.states = null; // the racers' resumable states (null: none yet) …
    this.stateStep = 0; // … at this step
    this.version = 0; // bumped on every change: the page redraws what changed
  }

  lastStep() {
    return Math.max(0, ...this.steps.map((s) => (s.step.length ? s.step[s.step.length - 1] : 0)));
  }

  /** The stream's `start` event, or the start of a whole run's answer. */
  start(event) {
    this.data = event.data;
    this.initialWeights = event.initial_weights;
    event.racers.forEach((r, i) => {
      if (r.grid) this.grids[i] = r.grid;
      if (r.grid && !this.film[i].length) this.film[i].push({ step: 0, grid: r.grid });
      if (r.units) this.units[i] = r.units;
      if (!this.weights[i]) this.weights[i] = event.initial_weights;
    });
    this.version += 1;
  }

  /** A `steps` event: each racer's new steps and the running verdict. */
  more(event) {
    event.racers.forEach((r, i) => {
      appendSteps(this.steps[i], r.steps);
      if (r.verdict !== undefined) this.verdicts[i] = r.verdict;
    });
    this.version += 1;
  }

  frame(event) {
    event.racers.forEach((r, i) => {
      if (r.grid) this.grids[i] = r.grid;
      if (r.grid) this.film[i].push({ step: r.step ?? this.lastStep(), grid: r.grid });
      if (r.units) this.units[i] = r.units;
      if (r.weights) {
        if (this.weights[i]) this.before[i] = { step: this.frameSteps[i], weights: this.weights[i] };
        this.weights[i] = r.weights;
        this.frameSteps[i] = r.step ?? this.frameSteps[i];
      }
    });
    this.thinFilm();
    this.version += 1;
  }

  /** The replay's pictures thinned to every other one past FILM_FRAMES (the same for every racer). */
  thinFilm() {
    if (this.film[0].length <= FILM_FRAMES) return;
    this.film = this.film.map((pictures) => pictures.filter((_, k) => k % 2 === 0 || k === pictures.length - 1));
  }

  end(event) {
    event.racers.forEach((r, i) => {
      this.outcomes[i] = r.outcome;
      if (r.final_weights) this.weights[i] = r.final_weights;
    });
    this.states = event.racers.map((r) => r.state);
    this.stateStep = this.lastStep();
    this.version += 1;
  }

  /** A whole run's answer (POST /api/networks/runs) taken in as the events would bring it. */
  whole(answer) {
    this.start({ data: answer.data, initial_weights: answer.initial_weights, racers: answer.racers });
    this.more({ racers: answer.racers.map((r) => ({ steps: r.steps, verdict: r.outcome ? r.outcome.code : null })) });
    const step = (r) => (r.steps.step.length ? r.steps.step[r.steps.step.length - 1] : 0);
    this.frame({ racers: answer.racers.map((r) => ({ step: step(r), grid: r.grid, units: r.units, weights: r.final_weights })) });
    this.end({ racers: answer.racers });
  }
}

class NetworkPage {
  constructor(root, { params, catalog, optimizers, options }) {
    this.root = root;
    this.params = params;
    this.catalog = catalog;
    this.options = options;
    this.choices = optimizerChoices(optimizers);
    fillControls(catalog);
    this.controls = new ControlTable(root, [SPEED, ...controlRows(catalog), ...landscapeRows()]);
    this.controls.read(params);
    this.session = { changed: () => this.speedChanged() }; // the speed row's hook (controltable.js)
    this.address = new AddressBar();
    this.announcer = new Announcer($("announce"));
    this.scheduleDraw = oncePerFrame(() => this.draw());
    this.stepOnce = oneAtATime(() => this.takeStep()); // Step: one step on from the last
    this.plot = new DecisionPlot($("decision"), { projector: isProjector() });
    this.chart = new NetLossChart($("net-loss"), { projector: isProjector() });
    this.racers = this.readRacers(params);
    this.shown = 0; // the racer the big map, the readouts and the diagram show
    this.playing = false;
    this.error = "";
    this.runs = new Runs(this.racers.length);
    this.drawn = {};
    this.own = null; // {x, y, task, classes} of one's own points
    this.readOwn(params);
    this.picked = null; // the weight the Update rule panel explains …
    // … laid out by the pages' Update rule panel, asked by this page (showRule)
    this.rule = new UpdateRulePanel($("update-rule"), { balls: () => [], playing: () => this.playing, url: "/api/networks/explain" });
    $("update-rule").addEventListener("toggle", () => this.scheduleDraw());
  }

  readRacers(params) {
    const racers = [];
    for (let i = 0; i < this.catalog.limits.racers; i += 1) {
      const prefix = `r${i + 1}`;
      const { choice } = readChoice(params, prefix, this.choices);
      if (!choice && i > 0) break;
      const chosen = choice || this.choices.find((c) => c.key === defaultChoiceKey()) || this.choices[0];
      const values = startingValues(chosen);
      readValues(params, `${prefix}.`, chosen.optimizer.hyperparameters, values);
      const schedule = readSchedule(params, `${prefix}.`, this.options) || scheduleRequest(this.options, "constant");
      racers.push(new Racer(this, i, chosen, values, schedule));
    }
    return racers;
  }

  wire() {
    $("play").addEventListener("click", () => (this.playing ? this.pause() : this.play()));
    $("step").addEventListener("click", () => this.stepOnce());
    $("reset").addEventListener("click", () => this.reset());
    this.controls.wire(this);
    $("add-racer").addEventListener("click", () => this.addRacer());
    wireKeyboard({
      nudgeRate: (direction) => this.nudgeRate(direction),
      projectorChanged: (on) => this.projectorChanged(on),
    });
    wireSharePanel(this.root, { address: this.address, page: "network", title: "Descent Lab: a network learns" });
    for (const button of this.root.querySelectorAll("[data-export]")) {
      button.addEventListener("click", () => this.download(button.dataset.export));
    }
    this.root.querySelector(".download-png")?.addEventListener("click", () => this.downloadPNG());
    this.wireOwnPoints();
    this.showRacers();
    this.landscape = new LandscapeSection(this); // the Landscape section (views of the loss around the weights)
  }

  // ---- the request -------------------------------------------------------------------

  request() {
    const value = (param) => this.controls.value(param);
    const layers = value("layers");
    const hidden = Array.from({ length: layers }, (_, i) => value(`u${i + 1}`));
    const own = value("data") === OWN && this.own ? { x: this.own.x, y: this.own.y, task: this.own.task } : null;
    return {
      data: {
        dataset: own ? this.catalog.datasets[0].id : value("data"),
        points: value("points"),
        noise: value("noise"),
        seed: Number(value("seed")) || 0,
        own,
        test_ratio: value("test"),
        split_seed: Number(value("seed")) || 0,
      },
      model: {
        features: this.features(),
        hidden,
        activation: value("act"),
        init: value("init"),
        init_seed: Number(value("wseed")) || 0,
        l1: Number(value("l1")),
        l2: Number(value("l2")),
      },
      optimizers: this.racers.map((r) => r.request()),
      options: { ...this.batch(), seed: 0, clip_grad_norm: Number(value("clip")), clip_grad_value: 0, noise: 0, sam_rho: Number(value("sam")) },
      steps: value("run"),
      grid: Math.min(GRID, this.catalog.limits.grid),
    };
  }

  /** The request's batch size: left out for "all" (every training point, full batch). */
  batch() {
    const size = Number(this.controls.value("batch"));
    return size === FULL_BATCH ? {} : { batch_size: size };
  }

  /** The task of the data the request names: a built-in set's, or one's own points'. */
  task() {
    const id = this.controls.value("data");
    if (id === OWN && this.own) return this.own.task;
    return (this.catalog.datasets.find((d) => d.id === id) || this.catalog.datasets[0]).task;
  }

  /** The ticked features the data has (a regression set has x₁ only), else x₁. */
  features() {
    const usable = this.usableFeatures();
    const ticked = this.controls.value("features").split(",").filter((id) => usable.includes(id));
    return ticked.length ? ticked : [usable[0]];
  }

  usableFeatures() {
    const oneD = this.task() === "regression";
    return this.catalog.features.filter((f) => !oneD || !f.needs.includes("x2")).map((f) => f.id);
  }

  /** Features the data lacks greyed out (a regression set's points have no x₂). */
  showFeatures() {
    const usable = this.usableFeatures();
    for (const box of this.root.querySelectorAll("input[name=features]")) {
      box.disabled = Boolean(box.dataset.locked) || !usable.includes(box.value);
      box.parentElement.classList.toggle("unusable", !usable.includes(box.value));
    }
  }

  // ---- running -------------------------------------------------------------------------

  /** The first picture: the data and the untrained network's prediction (step 0). */
  async showStart() {
    await this.takeWhole({ ...this.request(), steps: 0 });
  }

  /** A whole run (`body`) answered at once, shown as where the racers now are. */
  async takeWhole(body) {
    const runs = this.runs;
    try {
      const answer = await postJSON("/api/networks/runs", body);
      if (runs !== this.runs) return; // reset meanwhile
      runs.whole(answer);
      this.dataShown();
    } catch (error) {
      this.showError(error.message);
    }
    this.scheduleDraw();
  }

  async play() {
    if (this.playing) return;
    if (this.pendingReset) {
      await this.pendingReset; // a setting just changed: play the run it makes
      if (this.playing) return;
    }
    this.error = "";
    this.playing = true;
    this.scheduleDraw();
    await this.catching; // a Pause's catch-up: go on from the step shown
    const runs = this.runs;
    runs.outcomes.fill(null); // decided again at this press's end
    const body = this.request();
    if (runs.states) body.resume = runs.states;
    const abort = new AbortController();
    this.abort = abort;
    const speed = SPEEDS[this.controls.value("speed")];
    try {
      const response = await fetch(`/api/networks/runs/stream?speed=${speed}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify(body),
        signal: abort.signal,
      });
      if (!response.ok) throw new ApiError(await response.json());
      for await (const { event, data } of readEvents(response.body)) {
        if (runs !== this.runs) break;
        if (event === "start") {
          const fresh = !runs.data;
          runs.start(data);
          if (fresh) this.dataShown();
        } else if (event === "steps") runs.more(data);
        else if (event === "frame") runs.frame(data);
        else if (event === "end") runs.end(data);
        this.scheduleDraw();
      }
    } catch (error) {
      if (error.name !== "AbortError") this.showError(error.message);
    }
    if (this.abort === abort) {
      this.abort = null;
      this.playing = false;
    }
    this.scheduleDraw();
  }

  /** Pause: the stream hung up; the racers' states at the step shown are asked for, so Play
   * and Step go on from there. */
  async pause() {
    this.stopStream();
    this.catching = this.catchUp();
    await this.catching;
  }

  stopStream() {
    if (this.abort) this.abort.abort();
    this.abort = null;
    this.playing = false;
    this.scheduleDraw();
  }

  /** The states where the steps shown end: from the last states the server sent (or the
   * start), the steps between asked for at once. */
  async catchUp() {
    const runs = this.runs;
    const shown = runs.lastStep();
    if (shown === runs.stateStep) return;
    const body = { ...this.request(), steps: shown - runs.stateStep };
    if (runs.states) body.resume = runs.states;
    try {
      const answer = await postJSON("/api/networks/runs", body);
      if (runs !== this.runs) return;
      runs.states = answer.racers.map((r) => r.state);
      runs.stateStep = shown;
    } catch (error) {
      this.showError(error.message);
    }
  }

  /** One step on from the last state (through `stepOnce`, which queues the presses). */
  async takeStep() {
    if (this.playing) await this.pause();
    const body = { ...this.request(), steps: 1 };
    if (this.runs.states) body.resume = this.runs.states;
    await this.takeWhole(body);
  }

  /** Back to step 0 with the settings as they are. */
  async reset() {
    this.stopStream();
    this.runs = new Runs(this.racers.length);
    this.error = "";
    this.drawn = {};
    await this.showStart();
  }

  /** A setting changed: the run stops at once and starts again with it once the control has
   * come to rest for SETTLE_MS (a slider passes many positions), playing on if it was. */
  settingsChanged() {
    this.resumePlaying = this.resumePlaying || this.playing;
    this.stopStream();
    clearTimeout(this.settling);
    if (!this.pendingReset) this.pendingReset = new Promise((resolve) => (this.settled = resolve));
    this.settling = setTimeout(async () => {
      const playOn = this.resumePlaying;
      this.resumePlaying = false;
      await this.reset();
      const settled = this.settled;
      this.pendingReset = null;
      settled();
      if (playOn) this.play();
    }, SETTLE_MS);
  }

  speedChanged() {
    show("speed", `${SPEEDS[this.controls.value("speed")]} steps/s`);
    if (!this.playing) return this.scheduleDraw();
    // the server paces a stream at the speed it opened with: go on at the new one
    this.pause().then(() => this.play());
  }

  showError(message) {
    this.error = message;
    this.scheduleDraw();
  }

  // ---- data ---------------------------------------------------------------------------

  datasetChanged() {
    const own = this.controls.value("data") === OWN;
    if (own && !this.own && this.runs.data) {
      const { x, y, task, classes } = this.runs.data;
      this.own = { x: x.map((p) => [...p]), y: [...y], task, classes };
    }
    this.showDatasetNote();
    this.settingsChanged();
  }

  /** Points of one's own: edited on the map (net-parts' point editor) or loaded from a CSV file. */
  wireOwnPoints() {
    this.pointMode = pointModeControl();
    $("own-tools").prepend(this.pointMode);
    attachCsvUpload($("csv-file"), {
      maxBytes: this.catalog.limits.csv_bytes,
      onPoints: ({ x, y, task, classes }) => {
        $("own-error").hidden = true;
        this.own = { x, y, task, classes };
        this.detachEditor?.();
        this.detachEditor = null;
        this.settingsChanged();
      },
      onError: (message) => {
        $("own-error").textContent = message;
        $("own-error").hidden = false;
      },
    });
  }

  /** The point editor on the map while the data are one's own (attached once the plot has them). */
  editOwnPoints() {
    const own = this.controls.value("data") === OWN && this.own;
    if (!own) {
      this.detachEditor?.();
      this.detachEditor = null;
      return;
    }
    const classes = this.own.task === "regression" ? 0 : Math.max(2, this.own.classes || 0, ...this.own.y.map((c) => c + 1));
    const select = $("own-class");
    if (select.options.length !== classes) option(select, Array.from({ length: classes }, (_, k) => k), (k) => `class ${k}`);
    select.closest(".control").hidden = classes === 0;
    if (this.detachEditor) return;
    this.detachEditor = attachPointEditor($("decision"), {
      getPoints: () => ({ x: this.own.x, y: this.own.y }),
      setPoints: (points) => (this.own = { ...this.own, ...points }),
      getClass: () => (this.own.task === "regression" ? null : Number(select.value)),
      getMode: () => this.pointMode.value,
      extent: this.runs.data.extent,
      limit: this.catalog.limits.points,
      onChange: (points) => {
        this.own = { ...this.own, ...points };
        this.settingsChanged();
      },
    });
  }

  /** One's own points in the address: `own=binary;x1,x2,class;…` (regression: `x,y`). */
  writeOwn(params) {
    if (this.controls.value("data") !== OWN || !this.own) return;
    const round = (v) => String(Number(Number(v).toPrecision(4)));
    const points = this.own.x.map((p, i) => [...p, this.own.y[i]].map(round).join(","));
    params.set("own", [this.own.task, ...points].join(";"));
  }

  readOwn(params) {
    const text = params.get("own");
    if (!text) return;
    const [task, ...rows] = text.split(";");
    const points = rows.map((r) => r.split(",").map(Number)).filter((r) => r.length >= 2 && r.every(Number.isFinite));
    const x = points.map((r) => r.slice(0, -1));
    const y = points.map((r) => r[r.length - 1]);
    this.own = { x, y, task, classes: task === "regression" ? 0 : Math.max(2, ...y.map((c) => c + 1)) };
  }

  showDatasetNote() {
    const id = this.controls.value("data");
    const info = this.catalog.datasets.find((d) => d.id === id);
    $("dataset-description").textContent = info ? info.description : "Your own points: add, move and remove them on the map, or load a CSV file.";
    $("own-tools").hidden = id !== OWN;
    this.showFeatures();
    for (const name of ["points", "noise"]) this.root.querySelector(`[data-control~="${name}"]`).hidden = id === OWN;
  }

  /** The data arrived (a new data set): the plot is built for it. */
  dataShown() {
    this.drawn = {};
    const { task, classes } = this.runs.data;
    this.plot.show(this.runs.data).then(() => this.editOwnPoints());
    this.root.dataset.task = task;
    this.showFeatures();
    $("decision-legend").textContent =
      task === "regression"
        ? "The line is the network's prediction ŷ(x); filled points train it, hollow ones test it."
        : task === "binary"
          ? "Colour: the network's p(class 1), orange (class 0) through white (unsure) to blue (class 1). Filled points train it, hollow ones test it."
          : `Colour: the class the network predicts (${classes} classes), paler where it is less sure. Filled points train it, hollow ones test it.`;
  }

  showLayers(count) {
    show("layers", count);
    for (const row of $("units-controls").children) row.hidden = Number(row.dataset.layer) > count;
  }

  // ---- racers -------------------------------------------------------------------------

  showRacers() {
    $("racers").replaceChildren(...this.racers.map((r) => r.build()));
    $("add-racer").hidden = this.racers.length >= this.catalog.limits.racers;
    this.shown = Math.min(this.shown, this.racers.length - 1);
    const strip = this.racers.map((r) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "net-racer-card";
      button.dataset.racer = String(r.index);
      button.style.setProperty("--racer", r.style.color);
      button.setAttribute("aria-pressed", String(r.index === this.shown));
      const canvas = document.createElement("canvas");
      canvas.setAttribute("aria-hidden", "true");
      const name = document.createElement("span");
      name.className = "net-racer-label";
      const colour = document.createElement("span");
      colour.className = "visually-hidden"; // the card's colour says it on screen
      colour.textContent = `${r.style.name}: `;
      name.append(colour, r.label);
      const verdict = document.createElement("span");
      verdict.className = "net-racer-verdict";
      const accuracy = document.createElement("span");
      accuracy.className = "net-racer-accuracy";
      button.append(canvas, name, verdict, accuracy);
      button.addEventListener("click", () => {
        this.shown = r.index;
        this.drawn = {};
        for (const b of $("racer-strip").children) b.setAttribute("aria-pressed", String(b === button));
        this.scheduleDraw();
      });
      return button;
    });
    $("racer-strip").replaceChildren(...strip);
    $("racer-strip").hidden = this.racers.length < 2;
  }

  addRacer() {
    if (this.racers.length >= this.catalog.limits.racers) return;
    const index = this.racers.length;
    const key = FACTS.explorerRacers[index % FACTS.explorerRacers.length];
    const choice = this.choices.find((c) => c.key === key) || this.choices[0];
    this.racers.push(new Racer(this, index, choice, startingValues(choice), scheduleRequest(this.options, "constant")));
    this.racersChanged();
  }

  removeRacer(racer) {
    this.racers = this.racers.filter((r) => r !== racer);
    this.racers.forEach((r, i) => (r.index = i));
    this.racersChanged();
  }

  racersChanged() {
    this.showRacers();
    this.settingsChanged();
  }

  nudgeRate(direction) {
    const racer = this.racers[this.shown];
    const input = racer.card.querySelector(`#racer-${racer.index}-lr`);
    if (!input || input.disabled) return;
    input.value = String(Number(input.value) + direction * Math.max(1, Math.round((input.max - input.min) / 50)));
    input.dispatchEvent(new Event("input"));
  }

  projectorChanged(on) {
    this.plot.setProjector(on);
    this.chart.setProjector(on);
    this.landscape.show();
    this.drawn = {};
    this.scheduleDraw();
  }

  // ---- drawing ------------------------------------------------------------------------

  draw() {
    const runs = this.runs;
    const i = this.shown;
    if (this.drawn.grid !== runs.grids[i] && runs.data) {
      this.plot.grid(runs.grids[i]);
      this.drawn.grid = runs.grids[i];
    }
    if (this.drawn.version !== runs.version) {
      this.drawn.version = runs.version;
      this.drawStrip();
      this.drawChart();
      this.drawInside();
    }
    this.showReadouts();
    const status = this.lesson ? this.lesson.status(this.status()) : this.status(); // a lesson waiting for a guess says so
    $("status").textContent = this.error ? `Error: ${this.error}` : status;
    $("status").classList.toggle("error", Boolean(this.error));
    this.announcer.say($("status").textContent, { rolling: this.playing && !this.error });
    $("play").textContent = this.playing ? "Pause" : "Play";
    const outcome = runs.outcomes[this.shown];
    this.root.dataset.outcome = outcome && !this.playing && runs.lastStep() > 0 ? outcome.code : "";
    this.root.dataset.state = this.playing ? "playing" : runs.outcomes.every(Boolean) ? "ended" : "idle";
    this.landscape.update();
    this.address.update(this.stateParams());
    this.showRule();
    if (this.lesson) this.lesson.update();
  }

  drawStrip() {
    const runs = this.runs;
    if (this.racers.length < 2 || !runs.data) return;
    for (const card of $("racer-strip").children) {
      const i = Number(card.dataset.racer);
      card.querySelector(".net-racer-label").lastChild.textContent = this.racers[i].label; // its rate may have changed
      const grid = runs.grids[i];
      if (grid && runs.data.task !== "regression") paintGrid(card.querySelector("canvas"), grid, runs.data.task, runs.data.classes);
      card.querySelector(".net-racer-verdict").textContent = this.shortVerdict(i);
      card.querySelector(".net-racer-accuracy").textContent = this.accuracyNow(i);
    }
  }

  /** A classifier racer's accuracy at its latest step, for its card: the racers compared side
   * by side ("accuracy 100% · 97%", training · test, as the readouts); "" before it trains. */
  accuracyNow(i) {
    const steps = this.runs.steps[i];
    const n = steps.step.length;
    if (this.runs.data.task === "regression" || !n || steps.step[n - 1] === 0) return "";
    return `accuracy ${accuracies(steps)}`;
  }

  drawChart() {
    const runs = this.runs;
    if (!runs.data) return;
    const racers = this.racers.map((r, i) => ({
      label: r.label,
      color: r.style.color,
      steps: runs.steps[i],
      // the step early stopping would keep, where the server found the run overfitting
      earlyStop: runs.outcomes[i] && runs.outcomes[i].code === "overfitting" ? runs.outcomes[i].early_stop_step : null,
    }));
    this.chart.draw(racers, { hasTest: runs.data.test.length > 0, sharpness: this.landscape.sharpness() });
  }

  /** The diagram and the hidden units' pictures for the racer shown. */
  drawInside() {
    const runs = this.runs;
    const weights = runs.weights[this.shown];
    if (!weights || !runs.data) return;
    drawNetwork($("network-diagram"), weights, {
      inputs: this.featureLabels(),
      outputs: this.outputLabels(),
      activation: this.controls.value("act"),
      onPick: (picked) => this.pickWeight(picked),
      picked: this.picked,
    });
    const units = runs.units[this.shown];
    $("unit-thumbs").closest(".net-units-panel").hidden = !units || !units.length;
    if (units && units.length) drawUnits($("unit-thumbs"), units, { extent: runs.data.extent, task: runs.data.task });
  }

  featureLabels() {
    const chosen = this.features();
    return this.catalog.features.filter((f) => chosen.includes(f.id)).map((f) => f.label);
  }

  outputLabels() {
    const { task, classes } = this.runs.data;
    if (task === "regression") return ["ŷ"];
    if (task === "binary") return ["p(class 1)"];
    return Array.from({ length: classes }, (_, k) => `class ${k}`);
  }

  showReadouts() {
    const steps = this.runs.steps[this.shown];
    const n = steps.step.length;
    const last = (key) => (n ? steps[key][n - 1] : null);
    $("readout-epoch").textContent = n ? String(last("epoch")) : "0";
    $("readout-batch").textContent = n ? String(last("batch")) : "0";
    $("readout-step").textContent = n ? String(last("step")) : "0";
    $("readout-train-loss").textContent = formatNumber(last("train_loss"));
    $("readout-test-loss").textContent = formatNumber(last("test_loss"));
    const classification = this.runs.data && this.runs.data.task !== "regression";
    this.root.querySelector(".net-accuracy").hidden = !classification;
    if (classification) $("readout-accuracy").textContent = accuracies(steps);
  }

  /** A racer's outcome in the server's words (app/outcome_words.py NET_OUTCOME_WORDS). */
  sentence(i) {
    const outcome = this.runs.outcomes[i];
    const words = FACTS.netOutcomes[outcome.code];
    const classification = this.runs.data.task !== "regression";
    const variants = words.sentence;
    const text = classification && variants.classification ? variants.classification : variants.default;
    const steps = this.runs.steps[i].step;
    const total = steps.length ? steps[steps.length - 1] : 0;
    const values = {
      steps: `${total} step${total === 1 ? "" : "s"}`,
      step: outcome.step,
      early_stop_step: outcome.early_stop_step,
      best_test_loss: formatNumber(outcome.best_test_loss),
      dead_units: outcome.dead_units,
      train_accuracy: percent(outcome.train_accuracy),
      test_accuracy: percent(outcome.test_accuracy),
    };
    return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
  }

  shortVerdict(i) {
    const steps = this.runs.steps[i].step;
    if (!steps.length || steps[steps.length - 1] === 0) return ""; // nothing trained, nothing to say
    const outcome = this.runs.outcomes[i];
    if (outcome) return FACTS.netOutcomes[outcome.code].ended;
    const code = this.runs.verdicts[i];
    return code ? FACTS.netOutcomes[code].so_far.default : "";
  }

  status() {
    const runs = this.runs;
    if (!runs.data) return "Loading the data…";
    const i = this.shown;
    const who = this.racers.length > 1 ? `The ${this.racers[i].style.name} racer (${this.racers[i].label}) ` : "The network ";
    const step = runs.lastStep();
    if (step === 0 && !this.playing) return "Press Play to train the network.";
    if (runs.outcomes[i] && !this.playing) {
      return this.racers.length > 1 ? `The ${this.racers[i].style.name} racer (${this.racers[i].label}): ${this.sentence(i)}` : this.sentence(i);
    }
    const soFar = runs.verdicts[i] ? ` — ${FACTS.netOutcomes[runs.verdicts[i]].so_far.default}` : "";
    return `${who}${this.playing ? "training" : "paused"} at step ${step}${soFar}.`;
  }

  stateParams() {
    const params = new URLSearchParams();
    this.controls.write(params);
    for (const racer of this.racers) racer.write(params);
    this.writeOwn(params);
    this.landscape.write(params);
    const step = this.runs.lastStep();
    if (step > 0) params.set("steps", String(step));
    return params;
  }

  /** A weight or bias picked in the diagram: the Update rule panel explains it. */
  pickWeight(picked) {
    this.picked = picked;
    $("update-rule").open = true;
    this.drawn = {};
    this.scheduleDraw();
  }

  /**
   * The picked parameter's next step, explained by the server (POST /api/networks/explain:
   * its value, gradient, the optimizer's buffers and rule with the numbers put in) for the
   * racer shown at the step shown: from the racers' last states, the steps since. While the
   * network trains, asked at most every RULE_INTERVAL_MS.
   */
  showRule() {
    const p = this.picked;
    const runs = this.runs;
    const layers = runs.weights[this.shown];
    const panel = $("update-rule");
    if (!p || !layers || !panel.open) return;
    const exists = layers[p.layer] && (p.kind === "weight" ? (layers[p.layer].weight[p.row] || [])[p.col] !== undefined : layers[p.layer].bias[p.row] !== undefined);
    if (!exists) return;
    const shown = runs.steps[this.shown].step.length ? runs.steps[this.shown].step.at(-1) : 0;
    const key = JSON.stringify({ p, racer: this.shown, shown, racers: this.racers.map((r) => r.request()) });
    if (key === this.rule.key) return;
    const wait = this.playing ? RULE_INTERVAL_MS - (performance.now() - this.rule.sentAt) : 0;
    if (wait > 0) {
      clearTimeout(this.ruleTimer);
      this.ruleTimer = setTimeout(() => this.scheduleDraw(), wait);
      return;
    }
    const from = runs.states && runs.stateStep <= shown ? runs.stateStep : 0;
    const request = { ...this.request(), steps: shown - from, racer: this.shown, weight: { layer: p.layer, kind: p.kind, row: p.row, col: p.col ?? 0 } };
    if (from > 0) request.resume = runs.states;
    this.rule.ask(key, request, this.weightName(p, layers));
  }

  /** A parameter as the diagram names it: "Weight x₁ → layer 1 · unit 2 (orange racer, Adam)". */
  weightName(p, layers) {
    const outputs = this.outputLabels();
    const unit = (layer, row) => (layer === layers.length - 1 ? `output ${outputs[row] ?? row + 1}` : `layer ${layer + 1} · unit ${row + 1}`);
    const source = p.layer === 0 ? this.featureLabels()[p.col] : `layer ${p.layer} · unit ${p.col + 1}`;
    const racer = this.racers[this.shown];
    const who = `${racer.style.name} racer, ${racer.label}`;
    return p.kind === "weight" ? `Weight ${source} → ${unit(p.layer, p.row)} (${who})` : `Bias of ${unit(p.layer, p.row)} (${who})`;
  }

  // ---- downloads ----------------------------------------------------------------------

  download(format) {
    const runs = this.runs;
    const names = this.racers.map((r) => `${r.style.name}: ${r.label}`);
    let blob;
    if (format === "html") {
      const racers = this.racers.map((r, i) => ({
        name: names[i],
        color: r.style.color,
        steps: runs.steps[i],
        verdict: runs.outcomes[i] && runs.lastStep() > 0 ? this.sentence(i) : this.shortVerdict(i),
      }));
      const html = replayHTML({ title: "Descent Lab: a network learns", settings: this.request(), data: runs.data, film: runs.film, racers });
      blob = new Blob([html], { type: "text/html" });
    } else if (format === "json") {
      const racers = this.racers.map((r, i) => ({ name: names[i], optimizer: r.request(), steps: runs.steps[i], outcome: runs.outcomes[i], weights: runs.weights[i] }));
      blob = new Blob([JSON.stringify({ request: this.request(), data: runs.data, initial_weights: runs.initialWeights, racers }, null, 1)], { type: "application/json" });
    } else {
      const keys = Object.keys(emptySteps());
      const lines = [["racer", ...keys].join(",")];
      runs.steps.forEach((s, i) => {
        s.step.forEach((_, k) => lines.push([JSON.stringify(names[i]), ...keys.map((key) => (s[key][k] ?? ""))].join(",")));
      });
      lines.push("", ["racer", "layer", "kind", "row", "column", "value"].join(","));
      runs.weights.forEach((layers, i) => {
        (layers || []).forEach((layer, l) => {
          layer.weight.forEach((row, r) => row.forEach((v, c) => lines.push([JSON.stringify(names[i]), l, "weight", r, c, v].join(","))));
          layer.bias.forEach((v, r) => lines.push([JSON.stringify(names[i]), l, "bias", r, "", v].join(",")));
        });
      });
      blob = new Blob([lines.join("\n") + "\n"], { type: "text/csv" });
    }
    save(blob, `descent-lab-network.${format}`);
  }

  async downloadPNG() {
    const url = await window.Plotly.toImage($("decision"), { format: "png", width: 800, height: 800 });
    const blob = await (await fetch(url)).blob();
    save(blob, "descent-lab-network.png");
  }

  /** Open: the address's run replayed (`steps=`) or the untrained network shown. */
  async open() {
    this.showDatasetNote();
    const steps = stepsToReplay(this.params);
    if (steps) await this.takeWhole({ ...this.request(), steps: Math.min(steps, this.catalog.limits.steps) });
    else await this.showStart();
  }
}

async function start(root) {
  const params = currentParams();
  startEmbedMode(params);
  if (params.get("projector") === "1") setProjector(true);
  try {
    const [catalog, optimizers, options] = await Promise.all([
      getJSON("/api/networks/catalog"),
      getJSON("/api/optimizers"),
      getJSON("/api/options"),
    ]);
    const lesson = await openNetLesson(params, optimizerChoices(optimizers)); // its scenario into `params`
    const page = new NetworkPage(root, { params, catalog, optimizers, options });
    page.wire();
    await page.controls.opened(page);
    applyControlParams(root, params);
    await page.open();
    if (lesson) page.lesson = await showNetLesson(root, params, lesson, page);
    page.landscape.opened(lesson);
    page.scheduleDraw();
    root.dataset.ready = "true";
  } catch (error) {
    $("status").textContent = `Error: ${error.message}`;
    $("status").classList.add("error");
  }
}

start(document.getElementById("network"));
