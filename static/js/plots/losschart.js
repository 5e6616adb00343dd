// Loss against step, one line per racer.  With a known global minimum f*, the chart shows
// the gap f − f* on a log axis, where linear and exponential convergence look different
// (and surfaces whose loss goes negative still fit); without one (a saddle), f itself.
//
// Plotly draws the axes and the legend; the lines are drawn on an overlay (overlay.js), so
// a frame does not cost a Plotly redraw.  The axes grow in coarse jumps (the step range
// doubles, the log range gains decades), so Plotly relays out only a few times per race.

import { chartOverlay, decadeStep } from "./overlay.js";
import { StepSizeChart } from "./stepsizechart.js";

const GAP_FLOOR = 1e-16; // a ball exactly at the minimum still needs a place on a log axis
const FIRST_STEPS = 100; // the step axis starts at [0, 100] and doubles as needed
const DECADES_BELOW = 3; // when the log axis grows downwards, it grows this much further
const FIRST_DECADES = [-6, 2]; // the log axis's first range, in powers of ten
const MOST_LOG_LABELS = 8; // labels on the log axis (10² to 10⁻¹⁶ would be 19 of them)
// Sharpness (the edge of stability, Cohen et al. 2021): f″ or the Hessian's top eigenvalue per
// step on a right-hand axis, beside 2/lr. Gradient descent is stable at a minimum only while
// the sharpness stays below 2/lr; in training it tends to rise until it meets that line.
const SHARP_MARGIN_R = 72;


export class LossChart {
  /** `stepSizes`: the div of the small chart under this one, where an optimizer that
   * estimates its own step size (Prodigy) shows it (stepsizechart.js). */
  constructor(element, { stepSizes = null, onRedrawNeeded = () => {} } = {}) {
    this.element = element;
    this.onRedrawNeeded = onRedrawNeeded;
    this.drawn = new Map();
    this.lines = [];
    this.overlay = null;
    this.stepSizes = stepSizes && new StepSizeChart(stepSizes, { onRedrawNeeded });
  }

  /**
   * A new surface or a new set of racers ([{label, color}]): rebuild the chart. With
   * `sharpness`, each racer's sharpness and 2/lr are drawn too (on a right-hand axis).
   */
  async reset(surface, racers, { sharpness = false } = {}) {
    this.sharp = sharpness;
    const global = surface.minima.find((m) => m.kind === "global");
    this.best = global ? global.value : null;
    this.log = this.best !== null;
    this.restartAxes();
    this.legend(racers);
    const layout = {
      margin: { l: 64, r: sharpness ? SHARP_MARGIN_R : 12, t: 8, b: 44 },
      font: { size: 14 },
      showlegend: false,
      dragmode: false,
      xaxis: { title: { text: "step" }, range: this.xRange, fixedrange: true, zeroline: false },
      yaxis: this.log
        ? {
            title: { text: "f − f* (log)" }, type: "log", range: FIRST_DECADES, fixedrange: true,
            // a label at powers of ten only (Plotly's 2…9 in-between labels collide), and
            // only at every k-th where all of them would be drawn over each other
            exponentformat: "power", dtick: decadeStep(FIRST_DECADES, MOST_LOG_LABELS),
          }
        : { title: { text: "loss f" }, range: [-1, 1], fixedrange: true },
      plot_bgcolor: "#fbfbfd",
    };
    if (sharpness) {
      layout.yaxis2 = {
        title: { text: "sharpness · 2/lr" }, overlaying: "y", side: "right", range: [0, 1],
        fixedrange: true, showgrid: false, zeroline: true,
        // Plotly 3+ gives an overlaying axis tickmode "sync", its ticks at the left axis's: on
        // a log left axis that left only the two ends labelled
        tickmode: "auto", nticks: 6,
      };
    }
    // No traces: Plotly draws the axes, the overlay draws the lines. (With a second y-axis,
    // Plotly builds only the axes some trace is on: an empty trace on each.)
    const empty = (yaxis) => ({ type: "scatter", x: [], y: [], yaxis, hoverinfo: "skip" });
    const traces = sharpness ? [empty("y"), empty("y2")] : [];
    await window.Plotly.react(this.element, traces, layout, { displayModeBar: false, responsive: true });
    const overlay = chartOverlay(this);
    const group = overlay.group("lines");
    this.lines = overlay.racerLines(group, racers, (r) => ({
      class: "loss-line", "stroke-width": "2.5", "stroke-dasharray": r.dash,
    }));
    this.sharpLines = [];
    if (sharpness) {
      const sharp = overlay.racerLines(group, racers, () => ({
        class: "sharpness-line", "stroke-width": "1.5", opacity: "0.85",
      }));
      const edges = overlay.racerLines(group, racers, () => ({
        class: "edge-line", "stroke-width": "1.5", "stroke-dasharray": "7 4", opacity: "0.7",
      }));
      this.sharpLines = sharp.map((line, i) => ({ sharpness: line, edge: edges[i] }));
    }
    this.drawn.clear();
    if (this.stepSizes) this.stepSizes.reset(racers, { l: layout.margin.l, r: layout.margin.r });
  }

  /** The axes as a new chart has them: set afresh from the next data drawn. */
  restartAxes() {
    this.xRange = [0, FIRST_STEPS];
    this.yRange = null; // set from the first losses
    this.sharpRange = null;
    this.xRestarted = true; // the step axis goes back to its first range on the next relayout
  }

  /** Each step's sharpness and 2/lr (the rate that step used), null where there is none. */
  sharpnessValues(track) {
    const { sharpness, lrs } = track.trace;
    const rate = (i) => lrs[i] ?? lrs[i + 1] ?? track.hyperparameters.lr; // a start has no step
    return {
      sharpness: (sharpness || []).map((v) => (v === null || v === undefined ? null : v)),
      edge: track.trace.steps.map((_, i) => {
        const lr = rate(i);
        return lr > 0 ? 2 / lr : null;
      }),
    };
  }

  /** Grow the right-hand axis in coarse jumps (its top doubles) to hold `series`. */
  fitSharpAxis(series) {
    let lo = 0;
    let hi = 0;
    for (const { sharpness, edge } of series) {
      for (const v of [...sharpness, ...edge]) {
        if (v === null || !Number.isFinite(v)) continue;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    const [rlo, rhi] = this.sharpRange || [0, 0];
    if (this.sharpRange && lo >= rlo && hi <= rhi) return null;
    let top = rhi > 0 ? rhi : 1;
    while (top < hi * 1.05) top *= 2;
    let bottom = rlo;
    while (bottom > lo * 1.05) bottom = bottom ? bottom * 2 : -top / 8;
    this.sharpRange = [bottom, top];
    return this.sharpRange;
  }

  /** A legend above the chart: one swatch and name per racer. */
  legend(racers) {
    let list = this.element.parentElement.querySelector(".chart-legend");
    if (!list) {
      list = document.createElement("ul");
      list.className = "chart-legend";
      this.element.parentElement.prepend(list);
    }
    list.replaceChildren(
      ...racers.map((r) => {
        const item = document.createElement("li");
        item.style.setProperty("--racer", r.color);
        item.dataset.dash = r.plotlyDash;
        item.textContent = r.label;
        return item;
      }),
    );
  }

  values(track) {
    const { losses } = track.trace;
    return this.log ? losses.map((v) => Math.max(v - this.best, GAP_FLOOR)) : losses;
  }

  /** Grow the axes in coarse jumps when the data (`values[i]` of `tracks[i]`) leaves them. */
  fitAxes(tracks, values) {
    let steps = 0;
    let lo = Infinity;
    let hi = -Infinity;
    tracks.forEach((track, i) => {
      const last = track.last();
      if (last) steps = Math.max(steps, last.step);
      for (const v of values[i]) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    });
    if (!Number.isFinite(lo)) return false;
    const update = {};
    if (steps > this.xRange[1] || this.xRestarted) {
      let top = this.xRange[1];
      while (top < steps) top *= 2;
      this.xRange = [0, top];
      this.xRestarted = false;
      update["xaxis.range"] = this.xRange;
    }
    let [ylo, yhi] = this.yRange || [Infinity, -Infinity];
    if (this.log) {
      const [llo, lhi] = [Math.log10(lo), Math.log10(hi)];
      if (llo < ylo) ylo = Math.max(Math.log10(GAP_FLOOR), Math.floor(llo) - (this.yRange ? DECADES_BELOW : 0));
      if (lhi > yhi) yhi = Math.ceil(lhi + 0.05);
    } else {
      const pad = 0.1 * Math.max(hi - lo, Math.abs(hi), 1e-9);
      if (lo < ylo) ylo = lo - (this.yRange ? 5 : 1) * pad;
      if (hi > yhi) yhi = hi + pad;
    }
    if (!this.yRange || ylo !== this.yRange[0] || yhi !== this.yRange[1]) {
      this.yRange = [ylo, yhi];
      update["yaxis.range"] = this.yRange;
      if (this.log) update["yaxis.dtick"] = decadeStep(this.yRange, MOST_LOG_LABELS);
    }
    if (this.sharp) {
      const range = this.fitSharpAxis(tracks.map((track) => this.sharpnessValues(track)));
      if (range) update["yaxis2.range"] = range;
    }
    if (!Object.keys(update).length) return false;
    window.Plotly.relayout(this.element, update); // redraws; the overlay re-maps after it
    return true;
  }

  /** Redraw the lines of racers with new steps (here and in the step size chart under it). */
  update(tracks) {
    if (!this.overlay || !this.overlay.mapped) return;
    this.drawLines(tracks);
    // not while out of sight (Roll Downhill's panel closed, ?hide=chart): Plotly could not size it
    if (this.stepSizes && !this.element.closest("details:not([open]), [hidden]")) {
      this.stepSizes.update(tracks, this.xRange);
    }
  }

  /** Redraw the lines of racers with new steps; nothing at all when none has any. */
  drawLines(tracks) {
    const stale = tracks.map((track, i) => Boolean(this.lines[i]) && this.drawn.get(i) !== track.length);
    if (!stale.includes(true)) return;
    // a ball started over (Reset, a new start or setting): the axes start over with it,
    // instead of keeping the last run's thousand steps and its lowest loss
    if (tracks.some((track, i) => track.length < (this.drawn.get(i) ?? 0))) this.restartAxes();
    const values = tracks.map((track) => this.values(track));
    if (this.fitAxes(tracks, values)) return; // the relayout triggers a full redraw
    tracks.forEach((track, i) => {
      if (!stale[i]) return;
      this.drawn.set(i, track.length);
      this.lines[i].setAttribute("points", this.overlay.points(track.trace.steps, values[i]));
      this.lines[i].dataset.points = String(track.length);
      const pair = this.sharpLines[i];
      if (pair && this.overlay.py2) {
        const { sharpness, edge } = this.sharpnessValues(track);
        pair.sharpness.setAttribute("points", this.overlay.points(track.trace.steps, sharpness, this.overlay.py2));
        pair.edge.setAttribute("points", this.overlay.points(track.trace.steps, edge, this.overlay.py2));
        pair.sharpness.dataset.points = String(sharpness.filter((v) => v !== null).length);
        pair.edge.dataset.points = String(edge.filter((v) => v !== null).length);
      }
    });
  }
}
