// The learning-rate sweep: a bifurcation diagram. One ball per rate (log-spaced) from the
// current start; each rate's last K positions (1D) or losses (2D) against the rate, its final
// loss below, and where each minimum stops being stable for gradient descent (2/f″, or 2/λmax
// of the Hessian in 2D) as vertical lines, with the optimizer's own limit where it has one.
// Every number on the chart is the server's; this module only draws and words them.

import { formatNumber } from "../format.js";
import { categories, categoryIndex, minimumColour } from "./mapcolours.js";
import { MAP_STEPS, MapJob, mapBody, mapURL } from "./maps.js";
import { coordinateNames } from "../landscape.js";
import { formatPoint, minimumName, shareWords } from "../verdict.js";

const KEEP = 32; // last positions kept per rate
const GONE = new Set(["diverged", "ran_away"]);
const LIMIT_COLOUR = "#000";
// The server's name for how an optimizer's own limit follows from the curvature λ there.
const LIMIT_RULES = {
  descent: "2/λ, as for plain gradient descent",
  heavy_ball: "2(1 + μ)/((1 − τ)·λ) with momentum μ and dampening τ",
  nesterov: "2(1 + μ)/((1 + 2μ)·λ) with Nesterov momentum μ",
};
const SAME = 1e-3; // an own limit this close (relatively) to 2/λ gets no line of its own
// Limits within this factor of each other get one label between them (the lines are still
// drawn one per minimum): Roll Downhill's four minima have 2/f″ from 0.148 to 0.155, and four
// labels there would be drawn over each other.
const CLUSTER = 1.1;
const CLUSTER_COLOUR = "#333";
const ROW_PX = 19; // a label's height: the labels stack above the chart, one row each
const TOP_PX = 8; // the chart's top margin without labels

function finiteRange(values) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v === null || !Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo)) return [-1, 1];
  const pad = 0.06 * (hi - lo || Math.abs(hi) || 1);
  return [lo - pad, hi + pad];
}

/** A vertical line at rate `x` (`colour`, `dash`). */
function limitLine(x, colour, dash) {
  return {
    type: "line", xref: "x", yref: "paper", x0: x, x1: x, y0: 0, y1: 1,
    line: { color: colour, width: 2, dash },
  };
}

/** "1–4" for minima 0…3, "1, 3, 4" for 0, 2, 3 (shown counted from one). */
export function minimaNumbers(indices) {
  const sorted = [...indices].sort((a, b) => a - b).map((i) => i + 1);
  const consecutive = sorted.every((n, k) => k === 0 || n === sorted[k - 1] + 1);
  return consecutive && sorted.length > 2 ? `${sorted[0]}–${sorted[sorted.length - 1]}` : sorted.join(", ");
}

/**
 * Limits ({x, minimum, colour}) in runs of rates within CLUSTER of the run's smallest: one
 * label each, "2/f″ at minima 1–4: 0.148–0.155", or "2/f″ at minimum 2" for one alone.
 */
export function clusterLimits(limits, name) {
  const sorted = [...limits].sort((a, b) => a.x - b.x);
  const runs = [];
  for (const limit of sorted) {
    const run = runs[runs.length - 1];
    if (run && limit.x <= run[0].x * CLUSTER) run.push(limit);
    else runs.push([limit]);
  }
  return runs.map((run) => {
    const lo = run[0].x;
    const hi = run[run.length - 1].x;
    if (run.length === 1) return { x: lo, text: `${name} at minimum ${run[0].minimum + 1}`, colour: run[0].colour };
    const [a, b] = [formatNumber(lo, 3), formatNumber(hi, 3)];
    const span = a === b ? a : `${a}–${b}`;
    return {
      x: Math.sqrt(lo * hi), // the middle of the run on the log axis
      text: `${name} at minima ${minimaNumbers(run.map((l) => l.minimum))}: ${span}`,
      colour: CLUSTER_COLOUR,
    };
  });
}

/** A label above the chart at rate `x`, in row `row` counted up from the chart's top; on the
 * right half of the axis it ends at its line rather than starting there, so that it stays on
 * the chart. */
function limitLabel({ x, text, colour }, row, [lo, hi]) {
  const right = Math.log10(x) > (Math.log10(lo) + Math.log10(hi)) / 2;
  return {
    x: Math.log10(x), xref: "x", yref: "paper", y: 1, yanchor: "bottom", yshift: 2 + ROW_PX * row, text,
    showarrow: false, font: { size: 12, color: colour }, bgcolor: "rgba(255,255,255,0.8)",
    xanchor: right ? "right" : "left",
  };
}

/**
 * `panel` is the tool's section (templates/_maps.html); `host` is the page: {dim, run(),
 * start(), describeRun(), optimizerName(), detail()}.
 */
export class SweepTool {
  constructor(panel, host) {
    this.panel = panel;
    this.host = host;
    this.job = new MapJob(panel, { working: "Rolling a ball for every learning rate…" });
    this.chart = panel.querySelector(".map-chart");
    this.notes = panel.querySelector(".map-notes");
    this.lo = panel.querySelector("#sweep-lr-min");
    this.hi = panel.querySelector("#sweep-lr-max");
    panel.querySelector(".map-compute").addEventListener("click", () => this.compute());
    for (const field of [this.lo, this.hi]) field.addEventListener("change", () => (field.dataset.edited = "true"));
  }

  /** The rates to sweep, unless the user has typed others. */
  setRange(lo, hi) {
    if (!this.lo.dataset.edited) this.lo.value = String(Number(lo.toPrecision(3)));
    if (!this.hi.dataset.edited) this.hi.value = String(Number(hi.toPrecision(3)));
  }

  async compute() {
    const lrMin = this.lo.valueAsNumber;
    const lrMax = this.hi.valueAsNumber;
    const run = this.host.run();
    const body = {
      ...mapBody(run), start: this.host.start(), lr_min: lrMin, lr_max: lrMax, detail: this.host.detail(), keep: KEEP,
    };
    const about = this.host.describeRun({ withRate: false });
    const result = await this.job.run(mapURL("sweep"), body);
    if (!result) return;
    await this.show(result, { about, start: body.start, maximize: Boolean(run.hyperparameters.maximize) });
  }

  async show(result, { about, start, maximize }) {
    const { dim } = this.host;
    const minima = this.host.surface().minima;
    const names = coordinateNames(this.host.surface());
    const colours = categories(minima).map((c) => c.color);
    const xs = [];
    const ys = [];
    const dots = [];
    const hover = [];
    result.lr.forEach((lr, r) => {
      const colour = colours[categoryIndex(minima, result.outcome[r], result.minimum[r])];
      const words = shareWords(result.outcome[r], result.minimum[r], minima, { steps: MAP_STEPS, maximize, names });
      const values = dim === 1 ? result.last[r].map((p) => p[0]) : result.last_loss[r];
      for (const v of values) {
        xs.push(lr);
        ys.push(v);
        dots.push(colour);
        hover.push(`Runs with lr = ${formatNumber(lr)} ${words}`);
      }
    });
    const kept = result.lr.map((_, r) => !GONE.has(result.outcome[r]));
    const topRange =
      dim === 1 ? this.host.surface().domain[0] : finiteRange(ys.filter((_, i) => kept[Math.floor(i / KEEP)]));
    const finals = result.final_loss.map((v, r) => (kept[r] ? v : null));
    const descent = [];
    const own = [];
    for (const s of result.stability) {
      if (s.descent_limit !== null) descent.push({ x: s.descent_limit, minimum: s.minimum, colour: minimumColour(minima, s.minimum) });
      if (s.limit !== null && !(s.descent_limit !== null && Math.abs(s.limit - s.descent_limit) <= SAME * s.descent_limit)) {
        own.push({ x: s.limit, minimum: s.minimum, colour: LIMIT_COLOUR });
      }
    }
    const shapes = [...descent.map((l) => limitLine(l.x, l.colour, "dash")), ...own.map((l) => limitLine(l.x, l.colour, "dot"))];
    const rates = [result.lr[0], result.lr[result.lr.length - 1]];
    const annotations = [
      ...clusterLimits(descent, dim === 1 ? "2/f″" : "2/λmax"),
      ...clusterLimits(own, `${this.host.optimizerName()}'s limit`),
    ].map((label, row) => limitLabel(label, row, rates));
    const traces = [
      {
        type: "scatter", mode: "markers", x: xs, y: ys, name: dim === 1 ? "last positions" : "last losses",
        marker: { size: 3, color: dots }, text: hover, hovertemplate: "%{text}<extra></extra>",
      },
      {
        type: "scatter", mode: "lines", x: result.lr, y: finals, name: "final loss", yaxis: "y2",
        line: { color: "#1f4e79", width: 2 }, connectgaps: false,
        hovertemplate: "lr = %{x:.4g}<br>final loss %{y:.4g}<extra></extra>",
      },
    ];
    const layout = {
      margin: { l: 64, r: 16, t: TOP_PX + ROW_PX * annotations.length, b: 48 },
      showlegend: false,
      font: { size: 14 },
      hovermode: "closest",
      dragmode: false,
      xaxis: { anchor: "y2", type: "log", title: { text: "learning rate (log)" }, fixedrange: true, range: [Math.log10(result.lr[0]), Math.log10(result.lr[result.lr.length - 1])] },
      yaxis: { domain: [0.4, 1], title: { text: dim === 1 ? "last x" : "last losses" }, range: topRange, fixedrange: true, zeroline: false },
      yaxis2: { domain: [0, 0.3], title: { text: "final loss" }, range: finiteRange(finals), fixedrange: true, zeroline: false },
      shapes,
      annotations,
      plot_bgcolor: "#fbfbfd",
    };
    this.chart.hidden = false;
    await window.Plotly.react(this.chart, traces, layout, { displayModeBar: false, responsive: true });
    const gone = kept.filter((k) => !k).length;
    this.panel.querySelector(".map-for").textContent =
      `${result.lr.length} rates from ${formatNumber(result.lr[0])} to ${formatNumber(result.lr[result.lr.length - 1])} ` +
      `with ${about}, each from ${formatPoint(start, names)} for up to ${MAP_STEPS} steps; the last ${KEEP} are shown` +
      (gone ? ` (${gone} rates diverged or ran away: nothing to show for them).` : ".");
    this.notes.replaceChildren(...result.stability.map((s) => this.note(s, minima, dim, names)));
    this.panel.dataset.shown = "true";
  }

  /** What the stability of one minimum says, in words. */
  note(s, minima, dim, names) {
    const item = document.createElement("li");
    item.style.setProperty("--swatch", minimumColour(minima, s.minimum));
    const name = minimumName(minima, s.minimum);
    const at = formatPoint(minima[s.minimum].position, names);
    const curvature = dim === 1 ? `f″ = ${formatNumber(s.sharpness)}` : `the Hessian's largest eigenvalue λmax = ${formatNumber(s.sharpness)}`;
    const limit = dim === 1 ? "2/f″" : "2/λmax";
    let text =
      s.descent_limit === null
        ? `Minimum ${s.minimum + 1} (${name.replace(/^the /, "")}, ${at}): ${curvature}, so no rate limit follows from it.`
        : `Minimum ${s.minimum + 1} (${name.replace(/^the /, "")}, ${at}): ${curvature}, so plain gradient descent ` +
          `settles there only for a learning rate below ${limit} = ${formatNumber(s.descent_limit)}.`;
    if (s.limit !== null && !(s.descent_limit !== null && Math.abs(s.limit - s.descent_limit) <= SAME * s.descent_limit)) {
      const rule = LIMIT_RULES[s.limit_rule] || s.limit_rule;
      text += ` ${this.host.optimizerName()}: below ${formatNumber(s.limit)} (${rule}).`;
    }
    item.textContent = text;
    return item;
  }
}
