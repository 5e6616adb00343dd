// The page shell: everything both simulator pages share, written once. A page (roll-downhill.js,
// explorer.js) extends PageShell, declares its view controls in one table (controltable.js) and
// fills in the hooks below; startPage() opens it:
//
//   address → embed, projector → catalogs (and a linked formula or model, read by the server)
//   → the page → its controls from the address → page.open() → hide/lock → replay `steps=`
//   → the lesson → first draw → data-ready
//
// Hooks a page defines: setLandscape(entry, {reshape}) (a formula or model landscape in
// place), openFormula(typed) (the page's way to open a typed formula), open(own) (build the
// plot), draw(), scenarioParams(params) (what the address says beyond the table), tracks(),
// balls() (for the Update rule panel and a lesson's guesses; their labels name the downloads'
// runs unless the page defines names()), png() (the plot's download), nudgeRate(±1) and
// shareTitle(); a page's `plot` follows projector mode.

import { Announcer } from "../announce.js";
import { oncePerFrame } from "../frame.js";
import { getJSON } from "../net/api.js";
import { fillPicker, optimizerChoices } from "../panels/controls.js";
import { wireDownloads } from "../panels/download.js";
import { startClassroom } from "../panels/classroom.js";
import { applyControlParams, startEmbedMode, wireSharePanel } from "../panels/embed.js";
import {
  FORMULA_KEY,
  FormulaForm,
  MODEL_KEY,
  defaultDomain,
  isDefaultDomain,
  readFormula,
  refusalText,
} from "../panels/formula.js";
import { setProjector, wireKeyboard } from "../panels/keyboard.js";
import { startLesson } from "../panels/lesson.js";
import { TimeControls } from "../panels/timecontrols.js";
import { DataPanel, LatestReader, ModelForm, readModel, withPoints } from "../panels/model.js";
import { UpdateRulePanel } from "../panels/updaterule.js";
import { LossChart } from "../plots/losschart.js";
import { SPEEDS, Session } from "../state/session.js";
import {
  AddressBar,
  currentParams,
  readFormulaParam,
  readModelParam,
  stepsToReplay,
  writeFormula,
  writeModel,
} from "../state/urlstate.js";
import { ControlTable, SPEED } from "./controltable.js";

const $ = (id) => document.getElementById(id);

/** One racer's line under the status: its words, after a dot in its colour. */
function statusLine({ color, text }) {
  const line = document.createElement("span");
  line.className = "status-racer";
  line.style.setProperty("--racer", color);
  line.textContent = text;
  return line;
}

export class PageShell {
  /**
   * `page`: "roll" or "explore" (embed size); `dim`: 1 or 2; `controls`: the page's rows of
   * the control table (speed is every page's and comes first); `defaultSurface`: the
   * catalog landscape the address may leave out (null: always written).
   */
  constructor(root, { params, catalogs, page, dim, controls, defaultSurface = null }) {
    this.root = root;
    this.params = params; // the address the page opened with: hide/lock apply to rebuilt controls too
    this.page = page;
    this.dim = dim;
    this.defaultSurface = defaultSurface;
    this.catalog = catalogs.options;
    this.choices = optimizerChoices(catalogs.optimizers);
    this.surfaces = catalogs.surfaces.filter((s) => s.dim === dim);
    this.address = new AddressBar();
    this.controls = new ControlTable(root, [SPEED, ...controls]);
    this.controls.read(params);
    this.scheduleDraw = oncePerFrame(() => this.draw());
    this.announcer = new Announcer($("announce"));
    this.session = new Session({ speed: () => SPEEDS[this.controls.value("speed")], onChange: this.scheduleDraw });
    this.chart = new LossChart($("loss-chart"), { stepSizes: $("step-size-chart"), onRedrawNeeded: this.scheduleDraw });
    const { models, datasets } = catalogs;
    this.form = new FormulaForm(root, { dim, onUse: (typed) => this.useFormula(typed) });
    this.modelForm = new ModelForm(root, { dim, models, datasets, onUse: (request) => this.useModel(request) });
    this.dataPanel = new DataPanel(root, { onPoints: (points) => this.usePoints(points) });
    this.reader = new LatestReader(); // model requests: an older answer is not shown
    this.rule = new UpdateRulePanel($("update-rule"), {
      balls: () => this.balls(),
      playing: () => this.session.playing,
      caption: $("optimizer-rule"), // Roll Downhill's rule under the picker; the explorer has none
    });
  }

  /** Play, Step, Reset, the table's controls, keyboard, Share and downloads. */
  wireShell() {
    $("play").addEventListener("click", () => (this.session.playing ? this.session.pause() : this.session.play()));
    $("step").addEventListener("click", () => this.session.stepOnce());
    $("reset").addEventListener("click", () => this.session.reset());
    this.time = new TimeControls(this.session);
    this.controls.wire(this);
    wireKeyboard({
      nudgeRate: (direction) => this.nudgeRate(direction),
      projectorChanged: (on) => this.projectorChanged(on),
    });
    wireSharePanel(this.root, { address: this.address, page: this.page, title: this.shareTitle() });
    wireDownloads(this.root, {
      runs: () => this.runs(),
      names: () => this.names(),
      png: () => this.png(),
      onError: (message) => this.showError(message),
    });
  }

  /**
   * The landscape picker: the catalog's landscapes for this page (`selected` chosen), then a
   * formula of one's own and a model on data; `open(id)` opens a catalog landscape.
   */
  wirePicker(selected, open) {
    const picker = $("surface");
    fillPicker(picker, this.surfaces.map((s) => ({ key: s.id, label: s.name })), selected);
    picker.addEventListener("change", () => {
      if (picker.value === MODEL_KEY) this.useModel(this.modelForm.request());
      if (picker.value !== FORMULA_KEY && picker.value !== MODEL_KEY) open(picker.value);
    });
  }

  /** An error to say in the status line (the next draw shows it). */
  showError(message) {
    this.session.error = message;
    this.scheduleDraw();
  }

  /** Every ball's run as the address would replay it (the downloads). A ball at rest
   * stopped where the engine ended its run (a diverging step refused, a minimum reached):
   * asked for a step more, its download ends there the same way, with the same verdict. */
  runs() {
    const steps = this.steps();
    return this.tracks().map((t) => t.replayRequest(t.settled ? Math.max(steps, t.lastStep + 1) : steps));
  }

  /** What the page calls each ball, in the order of runs() (the replay's captions). */
  names() {
    return this.balls().map((b) => b.label);
  }

  projectorChanged(on) {
    if (this.plot) this.plot.setProjector(on);
  }

  /** The most steps any ball has taken. */
  steps() {
    return Math.max(0, ...this.tracks().map((t) => (t.last() ? t.last().step : 0)));
  }

  /** Everything that makes this scenario, as address parameters (only what differs). */
  stateParams() {
    const params = new URLSearchParams();
    const surface = this.surface;
    if (surface.typed) writeFormula(params, surface.typed, isDefaultDomain);
    else if (surface.modelled) writeModel(params, surface.modelled);
    else if (surface.id !== this.defaultSurface) params.set("surface", surface.id);
    this.scenarioParams(params);
    this.controls.write(params);
    const steps = this.steps();
    if (steps > 0) params.set("steps", String(steps));
    return params;
  }

  /**
   * The status line, the announcement, Play's label, the address and the panels that follow.
   * `racers` ([{color, text}]): a line each under the status, marked in the racer's colour —
   * how each racer's run stands, beside the plot — unless an error, a notice or a lesson
   * waiting for a guess speaks instead. `also`: more for a screen reader only.
   */
  finishDraw(status, { rolling, also = [], racers = [] }) {
    const own = this.lesson ? this.lesson.status(status) : status; // a lesson waiting for a guess says so
    const { error, notice } = this.session;
    const text = error ? `Error: ${error}` : notice || own;
    const lines = text === status ? racers : [];
    $("status").replaceChildren(text, ...lines.map(statusLine));
    $("status").classList.toggle("error", Boolean(error));
    const said = [text, ...lines.map((line) => line.text), ...also];
    this.announcer.say(said.join(" "), { rolling: rolling && !error });
    $("play").textContent = this.session.playing ? "Pause" : "Play";
    this.address.update(this.stateParams());
    if (this.lesson) this.lesson.update();
    this.rule.update();
    if (this.time) this.time.update();
  }

  /** "Use it": the server reads the formula; refused, its reason shows by the input. */
  async useFormula(typed) {
    let formula;
    try {
      formula = await readFormula(typed);
    } catch (error) {
      this.form.showError(error);
      return;
    }
    try {
      await this.openFormula(formula);
    } catch (error) {
      this.showError(error.message);
    }
  }

  /** "Use it" on the model chooser: the server reads the model and data; refused, its reason
   * shows there. */
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
}

/** The catalogs every page builds from, and the landscape a link's formula or model names
 * (an Error when the server refused it). */
async function loadCatalogs(typed, modelled) {
  const [surfaces, optimizers, options, models, datasets, own] = await Promise.all([
    getJSON("/api/surfaces"),
    getJSON("/api/optimizers"),
    getJSON("/api/options"),
    getJSON("/api/models"),
    getJSON("/api/datasets"),
    typed ? readFormula(typed).catch((error) => error) : modelled ? readModel(modelled).catch((error) => error) : null,
  ]);
  return { catalogs: { surfaces, optimizers, options, models, datasets }, own };
}

/**
 * The plot as tall as the screen leaves under it: app.css sizes #plot and #landscape by
 * `--plot-top`, where the plot starts on the page, so the title, the picker, a landscape's
 * parameters or a model's long formula above it never push it (or the column of buttons and
 * verdict beside it) off the first screen. Measured again when what is above it changes.
 */
function fitPlotToScreen(root) {
  const plot = $("plot") || $("landscape");
  let top = null;
  const measure = () => {
    const now = Math.round(plot.getBoundingClientRect().top + window.scrollY);
    if (now === top) return;
    top = now;
    root.style.setProperty("--plot-top", `${now}px`);
    window.dispatchEvent(new Event("resize")); // Plotly's plots follow their new height
  };
  const above = new ResizeObserver(measure);
  for (const el of root.querySelectorAll(".intro, .surface-bar, .view-bar")) above.observe(el);
  window.addEventListener("resize", measure);
  measure();
}

/**
 * The racers' lines under the status (the explorer's race) take room the lesson's box beside
 * the plot gives up: app.css subtracts `--status-lines`, their height, from the box's, so Play
 * under them stays on the first screen however many racers there are.
 */
function fitLessonToStatus(root) {
  const status = $("status");
  const measure = () => {
    const lines = status.querySelectorAll(".status-racer");
    const height = lines.length
      ? lines[lines.length - 1].getBoundingClientRect().bottom - lines[0].getBoundingClientRect().top
      : 0;
    root.style.setProperty("--status-lines", `${Math.ceil(height)}px`);
  };
  new ResizeObserver(measure).observe(status);
}

/** A lesson opened: the landscape's own panels (a model's chooser) fold, unless one has
 * something to say (a refusal), so the lesson's box, the plot and Play share the screen. */
function foldSettings(root) {
  for (const panel of root.querySelectorAll(".intro details[open], .surface-bar details[open]")) {
    if (!panel.querySelector(".formula-error:not([hidden])")) panel.open = false;
  }
}

/** Open the page `Page` (a PageShell) in `root` for a `dim`-dimensional landscape. */
export async function startPage(root, Page, dim) {
  const params = currentParams();
  startEmbedMode(params);
  if (params.get("projector") === "1") setProjector(true);
  // a link's formula or model: refused, the page opens on the linked (or default) landscape
  // and says why by the form
  const typed = readFormulaParam(params, dim, defaultDomain(dim));
  const modelled = typed ? null : readModelParam(params, dim);
  try {
    const { catalogs, own } = await loadCatalogs(typed, modelled);
    const refusal = own instanceof Error ? own : null;
    const page = await Page.create(root, { params, catalogs, own: refusal ? null : own });
    if (typed) page.form.fill(typed);
    if (refusal && typed) page.form.showError(refusal);
    if (refusal && modelled) page.modelForm.showError(refusalText(refusal));
    await page.open();
    await page.controls.opened(page);
    applyControlParams(root, params);
    const steps = stepsToReplay(params);
    if (steps) await page.session.replay(steps);
    else if (page.tracks().some((t) => !t.length)) await page.session.reset(); // not yet placed
    page.lesson = await startLesson(root, params, {
      anchor: $("lesson-slot"), // beside the plot, above Play and the verdict (app.css)
      balls: () => page.balls(),
      buttons: [$("play"), $("step"), $("jump-end")],
      redraw: page.scheduleDraw,
    });
    page.rule.update();
    await page.rule.captionAnswer; // the rule under the picker is there when the page is ready
    if (params.get("lesson")) foldSettings(root);
    page.classroom = await startClassroom(root, page, params); // with class=CODE: the class's bar
    fitPlotToScreen(root);
    fitLessonToStatus(root);
    page.scheduleDraw();
    root.dataset.ready = "true";
  } catch (error) {
    $("status").textContent = `Error: ${error.message}`;
    $("status").classList.add("error");
  }
}
