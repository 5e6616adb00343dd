// A model on data as the page's landscape: the "Learn from data" chooser (templates/_model.html),
// the data panel beside the landscape (templates/_data_panel.html: the points, each ball's
// prediction at its weights, the step's mini-batch) and the server's reading of both
// (POST /api/surfaces/model).
//
// A model landscape is the server's answer, a catalog-like entry with `modelled` added: the
// request as the server filled it in ({model, loss, data, dim}), what every run, stream and
// map request then sends as its surface (landscape.js: surfaceValue). Its minima, its
// `no_minimum` and its suggested rates come from the engine; the page only draws the
// prediction ŷ(x) at a ball's weights (predict) and words what the server sent.

import { postJSON } from "../net/api.js";
import { FACTS } from "../facts.js";
import { formatNumber } from "../format.js";
import { predict } from "../landscape.js";

const DRAG_DELAY_MS = 250; // a drag reshapes the landscape at most this often
const GRAB_PX = 14; // a press this close to a point grabs it
const CLICK_PX = 4; // a press that moves less than this is a click
const X_RANGE = [-3, 3]; // the panel's axes, widened to hold every point
const Y_RANGE = { regression: [-4, 4], classes: [-0.2, 1.2] };
const LIMIT = FACTS.data.maxValue; // |x|, |y| the server takes
const CLASS_COLOURS = ["#1f77b4", "#d62728"];
// classes: where the predicted chance is ½, across the panel
const HALF = { type: "line", xref: "paper", x0: 0, x1: 1, y0: 0.5, y1: 0.5, line: { color: "#999", width: 1, dash: "dot" } };

/** The server's reading of a model landscape `request` ({model, loss, data, dim}). */
export async function readModel(request) {
  const body = await postJSON("/api/surfaces/model", request);
  return { ...body, modelled: body.request };
}

/**
 * Model requests of which only the latest counts (a drag sends one after another):
 * `read(request)` gives its landscape entry, or null when a later request was sent
 * meanwhile; the latest one's refusal throws (ApiError).
 */
export class LatestReader {
  constructor() {
    this.sent = 0;
  }

  async read(request) {
    const ticket = ++this.sent;
    try {
      const entry = await readModel(request);
      return ticket === this.sent ? entry : null;
    } catch (error) {
      if (ticket === this.sent) throw error;
      return null;
    }
  }
}

/** The request for the same model on `points` ({x, y}) instead. */
export function withPoints(entry, points) {
  return { ...entry.modelled, data: { x: [...points.x], y: [...points.y] } };
}

function range(values, base) {
  let [lo, hi] = base;
  for (const v of values) {
    lo = Math.min(lo, v - 0.3);
    hi = Math.max(hi, v + 0.3);
  }
  return [lo, hi];
}

/**
 * The chooser (templates/_model.html): a model, a loss it takes and a data set, shown while a
 * model landscape is active; `onUse(request)` opens the landscape a change asks for.
 */
export class ModelForm {
  constructor(root, { dim, models, datasets, onUse }) {
    this.dim = dim;
    this.models = models;
    this.datasets = datasets;
    this.onUse = onUse;
    this.panel = root.querySelector("#model-panel");
    this.model = root.querySelector("#model-model");
    this.loss = root.querySelector("#model-loss");
    this.data = root.querySelector("#model-data");
    this.error = root.querySelector("#model-error");
    this.active = null; // the active landscape's request, or null
    for (const m of models) this.model.append(new Option(`${m.name}: ${m.prediction}`, m.id));
    this.model.addEventListener("change", () => {
      this.fillLosses();
      this.fillData();
      this.changed();
    });
    this.loss.addEventListener("change", () => {
      this.fillData();
      this.changed();
    });
    this.data.addEventListener("change", () => this.changed());
    root.querySelector("#model-form").addEventListener("submit", (event) => event.preventDefault());
    this.fillLosses();
    this.fillData();
  }

  fillLosses() {
    const model = this.models.find((m) => m.id === this.model.value);
    const chosen = this.loss.value;
    this.loss.replaceChildren(...model.losses.map((l) => new Option(l.name, l.id)));
    if (model.losses.some((l) => l.id === chosen)) this.loss.value = chosen;
  }

  /** The data sets that suit the loss: classes (labels 0 and 1) for cross-entropy. */
  fillData() {
    const kind = this.loss.value === "bce" ? "classes" : "regression";
    const chosen = this.data.value;
    const sets = this.datasets.filter((d) => d.kind === kind);
    this.data.replaceChildren(...sets.map((d) => new Option(d.name, d.id)));
    if (this.active && typeof this.active.data !== "string") this.data.append(new Option("Your points", ""));
    if ([...this.data.options].some((o) => o.value === chosen)) this.data.value = chosen;
  }

  /** What the chooser holds, as a request; "Your points" keeps the active points. */
  request() {
    const data = this.data.value || (this.active && this.active.data);
    return { model: this.model.value, loss: this.loss.value, data, dim: this.dim };
  }

  changed() {
    this.onUse(this.request());
  }

  /** Show the active landscape's choices (`request`, or null when not a model). */
  show(request) {
    this.active = request;
    this.panel.hidden = !request; // off a model, the picker's "A model on data" opens one
    this.panel.open = Boolean(request);
    if (!request) return;
    this.model.value = request.model;
    this.fillLosses();
    this.loss.value = request.loss;
    this.fillData();
    this.data.value = typeof request.data === "string" ? request.data : "";
    this.showError("");
  }

  showError(text) {
    this.error.textContent = text;
    this.error.hidden = !text;
    if (text) this.panel.open = true;
  }
}

/**
 * The data panel (templates/_data_panel.html): the points, each ball's prediction, and the
 * step's mini-batch ringed. Drag a point to move it, click empty ground to add one, click a
 * point to take it away; the text box below edits the same points from the keyboard.
 * `onPoints({x, y})` is called as they change (a drag: at most every DRAG_DELAY_MS).
 */
export class DataPanel {
  constructor(root, { onPoints }) {
    this.section = root.querySelector("#data-panel");
    this.element = root.querySelector("#data-plot");
    this.caption = root.querySelector("#data-caption");
    this.text = root.querySelector("#data-points");
    this.error = root.querySelector("#data-error");
    this.batchNote = root.querySelector("#data-batch");
    this.onPoints = onPoints;
    this.entry = null;
    this.points = null;
    this.drag = null;
    this.timer = null;
    this.ready = null;
    root.querySelector("#data-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.readText();
    });
    this.element.addEventListener("pointerdown", (event) => this.press(event));
    this.element.addEventListener("pointermove", (event) => this.move(event));
    this.element.addEventListener("pointerup", (event) => this.release(event));
  }

  get kind() {
    return this.entry.data.kind;
  }

  /** Show `entry`'s points (a model landscape), or hide the panel (null). */
  show(entry) {
    this.entry = entry;
    this.section.hidden = !entry;
    if (!entry) return Promise.resolve();
    this.points = { x: [...entry.data.x], y: [...entry.data.y] };
    this.writeText();
    this.showError("");
    const classes = this.kind === "classes";
    this.caption.textContent = classes
      ? `${entry.model.prediction}: the curve is the chance of class 1, the dashed line where it crosses ½ (the decision boundary).`
      : `${entry.model.prediction}: the line each ball's weights draw through the points.`;
    const traces = [
      {
        x: [], y: [], mode: "markers", name: "points", hoverinfo: "skip",
        marker: { size: 11, line: { color: "white", width: 1.5 } },
      },
      {
        x: [], y: [], mode: "markers", name: "mini-batch", hoverinfo: "skip",
        marker: { size: 21, symbol: "circle-open", color: "#111", line: { width: 2.5 } },
      },
    ];
    const layout = {
      margin: { l: 44, r: 10, t: 8, b: 40 },
      showlegend: false,
      dragmode: false,
      font: { size: 14 },
      xaxis: { title: { text: "x" }, fixedrange: true, zeroline: false },
      yaxis: { title: { text: classes ? "class / p" : "y" }, fixedrange: true, zeroline: false },
      shapes: classes ? [HALF] : [],
      plot_bgcolor: "#fbfbfd",
    };
    this.curves = 0;
    this.ready = window.Plotly.newPlot(this.element, traces, layout, { displayModeBar: false, responsive: true, staticPlot: true })
      .then(() => this.drawPoints());
    return this.ready;
  }

  drawPoints() {
    const { x, y } = this.points;
    const colours = this.kind === "classes" ? y.map((v) => CLASS_COLOURS[v >= 0.5 ? 1 : 0]) : "#1f4e79";
    this.xRange = range(x, X_RANGE);
    this.yRange = this.kind === "classes" ? Y_RANGE.classes : range(y, Y_RANGE.regression);
    return window.Plotly.update(
      this.element,
      { x: [x], y: [y], "marker.color": [colours] },
      { "xaxis.range": this.xRange, "yaxis.range": this.yRange },
      [0],
    );
  }

  /**
   * Each ball's prediction at its weights (`balls`: [{weights, colour, dash}]), the first's
   * decision boundary (classes), and the mini-batch of the first ball that has one.
   */
  update(balls, batchPoints) {
    if (!this.entry || !this.ready) return;
    const n = 121;
    const [lo, hi] = this.xRange;
    const xs = Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
    const curves = balls.map((b) => ({
      x: xs, y: predict(this.entry.model, b.weights, xs), mode: "lines", hoverinfo: "skip",
      line: { color: b.colour, width: 3, dash: b.dash || "solid" },
    }));
    const { x, y } = this.points;
    const ringed = (batchPoints || []).filter((i) => i < x.length);
    const shapes = this.kind === "classes" ? [this.boundary(balls[0])].filter(Boolean) : [];
    this.ready = this.ready.then(async () => {
      const plot = this.element;
      if (this.curves !== curves.length) {
        const extra = plot.data.length - 2;
        if (extra) await window.Plotly.deleteTraces(plot, Array.from({ length: extra }, (_, i) => i + 2));
        if (curves.length) await window.Plotly.addTraces(plot, curves);
        this.curves = curves.length;
      } else if (curves.length) {
        await window.Plotly.restyle(plot, { x: curves.map((c) => c.x), y: curves.map((c) => c.y) }, curves.map((_, i) => i + 2));
      }
      await window.Plotly.restyle(plot, { x: [ringed.map((i) => x[i])], y: [ringed.map((i) => y[i])] }, [1]);
      if (this.kind === "classes") {
        await window.Plotly.relayout(plot, { shapes: [HALF, ...shapes] });
      }
    });
    this.batchNote.textContent = ringed.length
      ? `Ringed: the ${ringed.length} point${ringed.length > 1 ? "s" : ""} of this step's mini-batch.`
      : "";
  }

  /** Where p = ½ for a ball (x = −b/w), as a dashed vertical line, if it is on the panel. */
  boundary(ball) {
    if (!ball) return null;
    const [w, b = this.entry.model.fixed] = ball.weights;
    if (w === 0) return null;
    const at = -b / w;
    if (!(at > this.xRange[0] && at < this.xRange[1])) return null;
    return { type: "line", x0: at, x1: at, yref: "paper", y0: 0, y1: 1, line: { color: ball.colour, width: 2, dash: "dash" } };
  }

  // --- editing the points -----------------------------------------------------------------

  /** The pointer's place in data coordinates, or null off the plotting area. */
  where(event) {
    const layout = this.element._fullLayout;
    if (!layout) return null;
    const box = this.element.getBoundingClientRect();
    const px = event.clientX - box.left - layout.xaxis._offset;
    const py = event.clientY - box.top - layout.yaxis._offset;
    if (px < 0 || py < 0 || px > layout.xaxis._length || py > layout.yaxis._length) return null;
    return { x: layout.xaxis.p2l(px), y: layout.yaxis.p2l(py), px, py };
  }

  nearest(at) {
    const layout = this.element._fullLayout;
    let best = -1;
    let bestD = GRAB_PX;
    this.points.x.forEach((x, i) => {
      const d = Math.hypot(layout.xaxis.l2p(x) - at.px, layout.yaxis.l2p(this.points.y[i]) - at.py);
      if (d <= bestD) {
        best = i;
        bestD = d;
      }
    });
    return best;
  }

  press(event) {
    if (!this.entry) return;
    const at = this.where(event);
    if (!at) return;
    event.preventDefault();
    this.element.setPointerCapture(event.pointerId);
    this.drag = { index: this.nearest(at), from: at, moved: false };
  }

  move(event) {
    if (!this.drag || this.drag.index < 0) return;
    const at = this.where(event) || this.drag.from;
    if (!this.drag.moved && Math.hypot(at.px - this.drag.from.px, at.py - this.drag.from.py) < CLICK_PX) return;
    this.drag.moved = true;
    this.place(this.drag.index, at);
    this.drawPoints();
    this.changeSoon();
  }

  release(event) {
    const drag = this.drag;
    this.drag = null;
    if (!drag) return;
    if (drag.moved) return this.changeNow();
    if (drag.index >= 0) {
      this.points.x.splice(drag.index, 1);
      this.points.y.splice(drag.index, 1);
    } else {
      this.points.x.push(0);
      this.points.y.push(0);
      this.place(this.points.x.length - 1, this.where(event) || drag.from);
    }
    this.drawPoints();
    this.changeNow();
  }

  /** Point `i` to `at` (rounded as the text shows it; a class label snaps to 0 or 1). */
  place(i, at) {
    const clamp = (v) => Math.max(-LIMIT, Math.min(LIMIT, Number(v.toFixed(2))));
    this.points.x[i] = clamp(at.x);
    this.points.y[i] = this.kind === "classes" ? (at.y >= 0.5 ? 1 : 0) : clamp(at.y);
  }

  changeSoon() {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.changeNow();
    }, DRAG_DELAY_MS);
  }

  changeNow() {
    clearTimeout(this.timer);
    this.timer = null;
    this.writeText();
    this.onPoints({ x: [...this.points.x], y: [...this.points.y] });
  }

  writeText() {
    this.text.value = this.points.x.map((x, i) => `${formatNumber(x)}, ${formatNumber(this.points.y[i])}`).join("\n");
  }

  /** The text box's points ("x, y" a line); an unreadable line is named, nothing is lost. */
  readText() {
    const x = [];
    const y = [];
    const lines = this.text.value.split("\n").map((l) => l.trim()).filter(Boolean);
    for (const [i, line] of lines.entries()) {
      const parts = line.split(/[\s,;]+/).filter(Boolean).map(Number);
      if (parts.length !== 2 || !parts.every(Number.isFinite)) {
        this.showError(`Line ${i + 1} (“${line}”): write two numbers, x and y, such as 1.5, -0.3.`);
        return;
      }
      x.push(parts[0]);
      y.push(parts[1]);
    }
    this.showError("");
    this.onPoints({ x, y });
  }

  /** The server refused the points: say why; the points stay as they are on the panel. */
  showError(text) {
    this.error.textContent = text;
    this.error.hidden = !text;
  }

  /** The server took the points: they are the landscape's now. */
  accepted(entry) {
    this.entry = entry;
    this.showError("");
    if (!this.drag) {
      this.points = { x: [...entry.data.x], y: [...entry.data.y] };
      this.drawPoints();
    }
  }
}
