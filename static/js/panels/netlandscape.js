// The network page's "Landscape" section (templates/_netviews.html): a view of the loss around
// the racers' weights at the step the page is at — the line from the initial weights, a random
// plane, the paths' own plane, the Hessian's sharpness, two seeds matched — computed by the
// server (POST /api/networks/views/stream) with a progress bar and Cancel (maps.js's MapJob),
// drawn by plots/netviews.js and worded here: every number the server sent, named, with its
// unit. The section's controls are in the address (`view`, `detail`, `vracer`, `vseed`,
// `vspan`, `vseed2`); a link with `view=` and `steps=` computes that view on opening, and a
// lesson with a view computes it once its run has ended.

import { formatNumber } from "../format.js";
import { MapJob } from "../maps/maps.js";
import { listParam } from "../state/urlstate.js";
import { drawLine, drawPlane, drawPlane3d, drawSeeds, drawSharpness, movePicked } from "../plots/netviews.js";
import { isProjector } from "./keyboard.js";
import { viewReadouts } from "./netviewwords.js";

const $ = (id) => document.getElementById(id);

const VIEWS_URL = "/api/networks/views/stream";
const PLANES = ["plane", "pca"];
const WORKING = {
  line: "Walking the straight line from the initial weights…",
  plane: "Measuring the loss over a random plane…",
  pca: "Finding the paths' plane and the loss over it…",
  sharpness: "Finding the Hessian's top eigenvalues…",
  seeds: "Training two copies and matching them…",
};
const PLOT_LABELS = {
  line: "The training and test loss along the straight line from the initial weights to the weights now, per racer",
  plane: "Contour map of the training loss over a random plane through the weights now, with each racer's path flattened onto it",
  pca: "Contour map of the training loss over the plane of the paths' two principal components, with each racer's path on it",
  sharpness: "The Hessian's top eigenvalue at sampled steps, per racer, with 2/lr dashed",
  seeds: "The loss along the straight line between two networks trained from different seeds, before and after matching their hidden units",
};
const NARROW = 560; // px: below this the plots put their legend and colour bar underneath

/** The section's controls as rows of the page's control table (pages/controltable.js). */
export function landscapeRows() {
  const changed = (page) => page.landscape.controlsChanged();
  return [
    { param: "view", id: "netview", radios: true, default: "line", apply: changed, control: "view" },
    { param: "detail", id: "netview-detail", default: "normal", apply: changed, control: "detail" },
    { param: "vracer", id: "netview-racer", default: "1", apply: changed, control: "view-racer" },
    { param: "vseed", id: "netview-seed", default: "0", apply: changed, control: "view-seed" },
    { param: "vspan", id: "netview-span", default: "1", apply: changed, control: "view-span" },
    { param: "vseed2", id: "netview-second-seed", default: "", apply: changed, control: "view-seed2" },
  ];
}

export class LandscapeSection {
  /**
   * `page`: network.js's NetworkPage (its request(), runs, racers, params and redraw), whose
   * control table has read landscapeRows() from the address.
   */
  constructor(page) {
    this.page = page;
    this.root = $("landscape");
    this.table = page.controls;
    this.fillRacers(page.params.get("vracer")); // (its entries exist only now)
    this.job = new MapJob(this.root.querySelector(".netview-job"), { working: WORKING.line });
    this.results = {}; // per view: {answer, runs, step, racers} of its last computation
    this.picked = null; // {racer, index}: the path's point the readout tells
    this.lesson = null; // a lesson's view, computed once its run has ended …
    this.lessonRun = null; // … for this run and step
    $("netview-compute").addEventListener("click", () => this.compute());
    for (const radio of document.querySelectorAll("input[name=netview-shape]")) radio.addEventListener("change", () => this.show());
    $("netview-point-racer").addEventListener("change", () => this.pick(Number($("netview-point-racer").value), null));
    $("netview-point-index").addEventListener("input", () => this.pick(this.picked.racer, Number($("netview-point-index").value)));
    this.kindChanged();
  }

  get kind() {
    return this.table.value("view");
  }

  /** The racer picker's entries: one per racer on the page, keeping `keep` (1-based) if it still exists. */
  fillRacers(keep) {
    const select = $("netview-racer");
    const wanted = keep ?? select.value;
    select.replaceChildren(...this.page.racers.map((r, i) => new Option(`${i + 1}: ${r.style.name}, ${r.label}`, String(i + 1))));
    select.value = Number(wanted) >= 1 && Number(wanted) <= this.page.racers.length ? String(wanted) : "1";
    this.racerCount = this.page.racers.length;
    this.racerLabels = this.page.racers.map((r) => r.label).join("|");
  }

  controlsChanged() {
    this.kindChanged();
    this.page.scheduleDraw(); // the address follows
  }

  /** The picked view's own settings and "how to read this" shown, and its last answer if any. */
  kindChanged() {
    const kind = this.kind;
    const hidden = listParam(this.page.params, "hide"); // ?hide= keeps a control hidden whatever the view
    for (const el of this.root.querySelectorAll("[data-views]")) {
      el.hidden = !el.dataset.views.split(" ").includes(kind) || el.dataset.control.split(" ").some((name) => hidden.has(name));
    }
    for (const p of this.root.querySelectorAll(".netview-howto [data-view]")) p.hidden = p.dataset.view !== kind;
    $("netview-compute").textContent = `Compute: ${this.root.querySelector(`input[name=netview][value=${kind}]`).parentElement.textContent.trim()}`;
    this.root.dataset.view = kind;
    this.show();
  }

  /** The request: the page's run as it stands (its `steps`: the step the racers are at) and the view. */
  body(view) {
    const page = this.page;
    const body = { ...page.request(), steps: page.runs.lastStep(), view: view.kind, detail: this.table.value("detail") };
    delete body.grid; // the decision map's resolution: no part of a view
    for (const name of ["racer", "seed", "span", "second_seed"]) if (view[name] !== null && view[name] !== undefined) body[name] = view[name];
    return body;
  }

  /** The view the controls ask for. */
  asked() {
    const number = (id) => ($(id).value === "" ? null : Number($(id).value));
    return { kind: this.kind, racer: number("netview-racer") - 1, seed: number("netview-seed"), span: number("netview-span"), second_seed: number("netview-second-seed") };
  }

  /** Compute `view` (the controls' by default) for the page as it is; shown when it comes
   * (`lesson`: the lesson's view, shown where the teacher is looking: present()). */
  async compute(view = this.asked(), { lesson = false } = {}) {
    const page = this.page;
    const runs = page.runs;
    const step = runs.lastStep();
    const racers = page.racers.map((r) => ({ label: `${r.style.name}: ${r.label}`, optimizer: r.label, name: r.style.name, color: r.style.color, dash: r.style.plotlyDash }));
    this.job.working = WORKING[view.kind];
    const answer = await this.job.run(VIEWS_URL, this.body(view));
    if (!answer) return;
    this.results[view.kind] = { answer, runs, step, racers };
    this.picked = null;
    if (lesson) this.present();
    if (this.kind === view.kind) this.show();
    if (lesson) $("netview-plot").scrollIntoView({ block: "nearest", behavior: "smooth" });
    page.drawn = {}; // the loss chart takes the sharpness in
    page.scheduleDraw();
  }

  /** A lesson's view: its result (the plot, the readouts) over the decision map, on the first
   * screen beside the verdict and Play; the section keeps its controls and Compute. */
  present() {
    const result = $("netview-result");
    const stage = document.querySelector(".net-view");
    if (result.parentElement !== stage) stage.prepend(result);
  }

  /** The picked view's last answer, or nothing. */
  show() {
    const result = this.results[this.kind];
    $("netview-result").hidden = !result;
    this.root.dataset.shown = result ? this.kind : "";
    if (!result) return;
    const { answer, racers, step } = result;
    const kind = answer.view;
    const plane = PLANES.includes(kind);
    const three = plane && document.querySelector("input[name=netview-shape]:checked").value === "3d";
    $("netview-shape").hidden = !plane;
    $("netview-plot").hidden = three;
    $("netview-3d").hidden = !three;
    $("netview-point").hidden = !plane;
    $("netview-for").textContent = `At step ${step} (each racer's steps: ${answer.steps.join(", ")}); losses in ${answer.loss_name}.`;
    $("netview-readouts").replaceChildren(...viewReadouts(answer, racers));
    const options = { projector: isProjector(), narrow: $("netview-result").clientWidth < NARROW };
    const plot = $("netview-plot");
    plot.setAttribute("aria-label", PLOT_LABELS[kind]);
    if (plane) {
      this.fillPoints(answer, racers);
      if (three) drawPlane3d($("netview-3d"), answer, racers, { ...options, picked: this.picked });
      else drawPlane(plot, answer, racers, { ...options, picked: this.picked }).then(() => this.wireClicks(plot));
    } else if (kind === "line") drawLine(plot, answer, racers, options);
    else if (kind === "sharpness") drawSharpness(plot, answer, racers, options);
    else drawSeeds(plot, answer, racers[answer.racer].color, options);
  }

  /** A click on a path's point picks it (the contour picture). */
  wireClicks(plot) {
    if (plot.dataset.wired) return;
    plot.dataset.wired = "true";
    plot.on("plotly_click", (event) => {
      const result = this.results[this.kind];
      const point = event.points.find((p) => p.data.type === "scatter" && p.customdata);
      if (!result || !point) return;
      const racer = result.answer.paths.findIndex((_, i) => result.racers[i].label === point.data.name);
      if (racer >= 0) this.pick(racer, point.pointIndex);
    });
  }

  /** The point picker: a racer, and a range over its path's points. */
  fillPoints(answer, racers) {
    const select = $("netview-point-racer");
    select.replaceChildren(...answer.paths.map((_, i) => new Option(`${racers[i].name} racer (${racers[i].optimizer})`, String(i))));
    // the random plane's path is told from its start (furthest off the plane), the paths' plane's from now
    if (!this.picked) this.picked = { racer: 0, index: answer.view === "plane" ? 0 : answer.paths[0].step.length - 1 };
    select.value = String(this.picked.racer);
    const range = $("netview-point-index");
    range.max = String(answer.paths[this.picked.racer].step.length - 1);
    range.value = String(this.picked.index);
    this.tellPoint();
  }

  /** Pick point `index` of racer `racer`'s path (null: its last). */
  pick(racer, index) {
    const result = this.results[this.kind];
    if (!result || !PLANES.includes(result.answer.view)) return;
    const path = result.answer.paths[racer];
    this.picked = { racer, index: index ?? path.step.length - 1 };
    $("netview-point-racer").value = String(racer);
    const range = $("netview-point-index");
    range.max = String(path.step.length - 1);
    range.value = String(this.picked.index);
    this.tellPoint();
    const three = !$("netview-3d").hidden;
    movePicked(three ? $("netview-3d") : $("netview-plot"), result.answer, this.picked, three);
  }

  /** The picked point in words: its step, how far off the plane, the true loss and the picture's. */
  tellPoint() {
    const { answer, racers } = this.results[this.kind];
    const { racer, index } = this.picked;
    const path = answer.paths[racer];
    const share = path.distance[index] > 0 ? path.off[index] / path.distance[index] : 0;
    const from = answer.view === "pca" ? "the initial weights" : "the centre";
    $("netview-point-index").setAttribute("aria-valuetext", `step ${path.step[index]}`);
    $("netview-point-words").textContent =
      `Step ${path.step[index]} of the ${racers[racer].name} racer: ${formatNumber(path.off[index])} off the plane ` +
      `(weight-space distance), ${Math.round(share * 100)}% of its ${formatNumber(path.distance[index])} from ${from}. ` +
      `True training loss ${formatNumber(path.train[index])}; the picture shows ${formatNumber(path.plane_train[index])} there.`;
  }

  /** Per racer, the sharpness view's {step, top, limit} for the loss chart while it is of this run. */
  sharpness() {
    const result = this.results.sharpness;
    if (!result || result.runs !== this.page.runs) return null;
    return this.page.racers.map((_, i) => result.answer.racers[i] || null);
  }

  /** Each draw of the page: the racer picker, whether the answer shown is still the page's, a lesson's view. */
  update() {
    const labels = this.page.racers.map((r) => r.label).join("|");
    if (labels !== this.racerLabels) this.fillRacers();
    const result = this.results[this.kind];
    const runs = this.page.runs;
    let note = "";
    if (result && result.runs !== runs) note = "The settings have changed since this was computed: press Compute for the network as it is now.";
    else if (result && result.step !== runs.lastStep()) note = `Computed at step ${result.step}; the racers are now at step ${runs.lastStep()}: press Compute to see them there.`;
    if ($("netview-stale").textContent !== note) $("netview-stale").textContent = note;
    const chart = document.querySelector(".net-chart .chart-title .caption");
    if (chart) chart.textContent = this.sharpness() ? "(training solid, test dashed; right axis: top eigenvalue ◆, 2/lr long dashes)" : "(training solid, test dashed)";
    this.followLesson();
  }

  /** The address (after the control table's): `view=` whenever the picked view has an answer, even the default one. */
  write(params) {
    if (this.results[this.kind]) params.set("view", this.kind);
  }

  /** Opening: a lesson's view followed, or a link naming a view, with the run replayed, computes it. */
  opened(lesson) {
    if (lesson && lesson.view) this.forLesson(lesson);
    else if (this.page.params.has("view") && this.page.runs.lastStep() > 0) this.compute();
  }

  /** A lesson with a view (GET /api/networks/lessons `view`): its controls set, and computed
   * once the lesson's run has ended. */
  forLesson(lesson) {
    const view = lesson.view;
    if (!view) return;
    this.lesson = { ...lesson, view };
    if (!this.page.params.has("view")) {
      this.table.set(this.table.rows.find((row) => row.param === "view"), view.kind);
      if (view.racer !== undefined && view.racer !== null) $("netview-racer").value = String(view.racer + 1);
      if (view.seed !== undefined && view.seed !== null) $("netview-seed").value = String(view.seed);
      if (view.span !== undefined && view.span !== null) $("netview-span").value = String(view.span);
      if (view.second_seed !== undefined && view.second_seed !== null) $("netview-second-seed").value = String(view.second_seed);
      this.kindChanged();
    }
  }

  /** Every racer's run has ended (the lesson's steps, or stopped by the server): compute the lesson's view, once per run. */
  followLesson() {
    const lesson = this.lesson;
    const page = this.page;
    if (!lesson || page.playing || this.job.running) return;
    const runs = page.runs;
    const step = runs.lastStep();
    if (this.lessonRun && this.lessonRun.runs === runs && this.lessonRun.step === step) return;
    const ended = page.racers.every((_, i) => {
      const steps = runs.steps[i].step;
      const last = steps.length ? steps[steps.length - 1] : 0;
      const state = runs.states ? runs.states[i] : null;
      return runs.outcomes[i] && last > 0 && (last >= lesson.steps || (state && state.status !== "running"));
    });
    if (!ended) return;
    this.lessonRun = { runs, step };
    this.compute({ ...this.asked(), ...lesson.view }, { lesson: true });
  }
}
