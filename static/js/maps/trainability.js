// The trainability map: one ball for every pair of two settings (learning rate × momentum,
// β₁ × β₂, …) from the current start, coloured by what happened (the server's outcome and
// minimum), paler where it took more steps. A ball that reached a minimum's neighbourhood
// but never converged there (the server's `steps` is null) is drawn at the palest shade and
// hatched, with a legend entry of its own: it is the slowest, never a "fast" dark cell.
// Each axis's range comes from the server (POST /api/maps/trainability/axes) for the
// landscape and racer, asked again whenever either changes. Dragging a rectangle recomputes
// that range.

import { formatNumber, partLabel } from "../format.js";
import { postJSON } from "../net/api.js";
import { categories, categoryIndex } from "./mapcolours.js";
import { MAP_STEPS, MapJob, mapBody, mapURL } from "./maps.js";
import { coordinateNames } from "../landscape.js";
import { formatPoint, minimumName, shareWords } from "../verdict.js";

const SHADE = 0.7; // the slowest run that converged is drawn this far from its colour to white
const NEVER = 0.85; // and one that never did, further still (and hatched)
const PALE = 0.7; // how close to white "far" is
const HATCH = "rgba(27, 31, 36, 0.6)"; // the strokes over a cell that never settled
const MARGIN = { l: 64, r: 16, t: 12, b: 52 };
const PREFERRED_Y = ["momentum", "betas.0", "alpha", "rho"];
const BETA_LABELS = ["β₁", "β₂"];

function paler(hex) {
  const n = parseInt(hex.slice(1), 16);
  const mix = (c) => Math.round(c + (255 - c) * PALE);
  return `rgb(${mix(n >> 16)}, ${mix((n >> 8) & 255)}, ${mix(n & 255)})`;
}

/** Each category from its colour (fast) to a pale shade (slow), z = category + SHADE · slowness
 * (category + NEVER for a ball that never converged). */
function shadedScale(colours) {
  const n = colours.length;
  const scale = [];
  colours.forEach((c, i) => scale.push([i / n, c], [(i + 1) / n, paler(c)]));
  return scale;
}

/** The settings of `optimizer` a map can vary: numeric, not integer; betas as β₁ and β₂. */
export function axisChoices(optimizer) {
  const out = [];
  for (const h of optimizer.hyperparameters) {
    if ((h.scale !== "log" && h.scale !== "linear") || h.integer) continue;
    if (Array.isArray(h.default)) {
      const label = (k) => (h.name === "betas" ? BETA_LABELS[k] : partLabel(h.label, k));
      h.default.forEach((_, k) => out.push({ name: `${h.name}.${k}`, label: label(k), h, k }));
    } else {
      out.push({ name: h.name, label: h.label, h, k: null });
    }
  }
  return out;
}

/** Whether a cell's ball reached a minimum (its category is one) but never converged. */
export function unfinished(category, minima, steps) {
  return category < minima.length && steps === null;
}

/**
 * `panel` is the tool's section (templates/_maps.html); `host` is the page: {run(), start(),
 * surface(), optimizer(), describeRun(), detail()}.
 */
export class TrainabilityTool {
  constructor(panel, host) {
    this.panel = panel;
    this.host = host;
    this.job = new MapJob(panel, { working: "Rolling a ball for every pair of settings…" });
    this.chart = panel.querySelector(".map-chart");
    this.legend = panel.querySelector(".map-legend");
    this.resetButton = panel.querySelector(".map-reset");
    this.axes = ["x", "y"].map((a) => ({
      name: panel.querySelector(`#train-${a}-name`),
      min: panel.querySelector(`#train-${a}-min`),
      max: panel.querySelector(`#train-${a}-max`),
    }));
    this.home = null; // the ranges asked for before any zoom
    this.wired = false;
    this.ranges = Promise.resolve(); // the server's ranges being filled in
    this.asked = 0; // the last ranges asked for: an older answer is dropped
    panel.querySelector(".map-compute").addEventListener("click", async () => {
      await this.ranges;
      this.home = null;
      this.compute();
    });
    this.resetButton.addEventListener("click", () => this.resetZoom());
    for (const [i, axis] of this.axes.entries()) {
      axis.name.addEventListener("change", () => this.fillRanges([i]));
    }
    this.refresh();
  }

  /**
   * The landscape, the racer or its optimizer changed: offer the optimizer's settings,
   * keeping the chosen ones, and ask the server for each axis's range afresh.
   */
  refresh() {
    const optimizer = this.host.optimizer();
    this.choices = axisChoices(optimizer);
    const names = this.choices.map((c) => c.name);
    const keep = this.axes.map((a) => (names.includes(a.name.value) ? a.name.value : null));
    const x = keep[0] || (names.includes("lr") ? "lr" : names[0]);
    const y = keep[1] && keep[1] !== x ? keep[1] : PREFERRED_Y.find((n) => names.includes(n) && n !== x) || names.find((n) => n !== x);
    [x, y].forEach((chosen, i) => {
      const select = this.axes[i].name;
      select.replaceChildren(...this.choices.map((c) => new Option(c.label, c.name, false, c.name === chosen)));
    });
    const usable = this.choices.length >= 2;
    this.panel.querySelector(".map-compute").disabled = !usable;
    this.job.say(usable ? "" : `${optimizer.name} has fewer than two numeric settings to map.`);
    this.home = null;
    if (usable) this.fillRanges([0, 1]);
  }

  /** Fill axes `which` (0: x, 1: y) with the server's ranges for the current run. */
  fillRanges(which) {
    const asked = (this.asked += 1);
    const body = { ...mapBody(this.host.run()), x_name: this.axes[0].name.value, y_name: this.axes[1].name.value };
    this.panel.dataset.ranges = "asking";
    this.ranges = postJSON("/api/maps/trainability/axes", body)
      .then((answer) => {
        if (asked !== this.asked) return;
        for (const i of which) {
          const axis = answer[i === 0 ? "x_axis" : "y_axis"];
          this.axes[i].min.value = String(Number(axis.min.toPrecision(3)));
          this.axes[i].max.value = String(Number(axis.max.toPrecision(3)));
        }
        this.panel.dataset.ranges = "ready";
      })
      .catch((error) => {
        if (asked !== this.asked) return;
        this.panel.dataset.ranges = "error";
        this.job.say(error.message, { error: true });
      });
    return this.ranges;
  }

  axisRequest(i) {
    const choice = this.choices.find((c) => c.name === this.axes[i].name.value);
    return {
      name: choice.name,
      min: this.axes[i].min.valueAsNumber,
      max: this.axes[i].max.valueAsNumber,
      scale: choice.h.scale,
    };
  }

  async compute() {
    const run = this.host.run();
    const [xAxis, yAxis] = [this.axisRequest(0), this.axisRequest(1)];
    if (!this.home) this.home = [xAxis, yAxis].map((a) => [a.min, a.max]);
    const body = { ...mapBody(run), start: this.host.start(), x_axis: xAxis, y_axis: yAxis, detail: this.host.detail() };
    const about = this.host.describeRun({ without: [xAxis.name, yAxis.name] });
    const result = await this.job.run(mapURL("trainability"), body);
    if (!result) return;
    await this.show(result, { xAxis, yAxis, about, start: body.start, maximize: Boolean(run.hyperparameters.maximize) });
  }

  label(name) {
    const choice = this.choices.find((c) => c.name === name);
    return choice ? choice.label : name;
  }

  async show(result, { xAxis, yAxis, about, start, maximize }) {
    this.chart.hidden = false; // (shown first: the hatch is sized to its cells)
    const minima = this.host.surface().minima;
    const names = coordinateNames(this.host.surface());
    const cats = categories(minima);
    const colours = cats.map((c) => c.color);
    const [xl, yl] = [this.label(result.x_name), this.label(result.y_name)];
    const seen = new Set();
    const hatched = { x: [], y: [] };
    const z = result.outcome.map((row, j) =>
      row.map((o, i) => {
        const c = categoryIndex(minima, o, result.minimum[j][i]);
        seen.add(c);
        const steps = result.steps[j][i];
        if (unfinished(c, minima, steps)) {
          hatched.x.push(result.x[i]);
          hatched.y.push(result.y[j]);
          return c + NEVER; // slower than any that converged
        }
        // (a ball that never settles anywhere — bouncing, diverged — has one flat colour)
        const slow = steps === null ? 0 : Math.log1p(steps) / Math.log1p(MAP_STEPS);
        return c + SHADE * Math.min(1, slow);
      }),
    );
    const text = result.outcome.map((row, j) =>
      row.map((o, i) => {
        const steps = result.steps[j][i];
        const words = shareWords(o, result.minimum[j][i], minima, { steps: MAP_STEPS, maximize, names });
        const c = categoryIndex(minima, o, result.minimum[j][i]);
        const took = unfinished(c, minima, steps)
          ? `, but did not settle within ${MAP_STEPS} steps`
          : steps === null ? "" : ` in ${steps} step${steps === 1 ? "" : "s"}`;
        return `Runs with ${xl} = ${formatNumber(result.x[i])}, ${yl} = ${formatNumber(result.y[j])}<br>${words}${took}`;
      }),
    );
    const axis = (a, title) => ({
      title: { text: title }, type: a.scale === "log" ? "log" : "linear", zeroline: false, showgrid: false,
    });
    const traces = [
      {
        type: "heatmap", x: result.x, y: result.y, z, text, showscale: false,
        colorscale: shadedScale(colours), zmin: 0, zmax: colours.length,
        hovertemplate: "%{text}<extra></extra>",
      },
      {
        // a diagonal stroke across each cell that never settled (Plotly has no hatched fill)
        type: "scatter", mode: "markers", name: "not settled in time", x: hatched.x, y: hatched.y,
        marker: { symbol: "line-ne", size: this.cellSize(result), line: { color: HATCH, width: 1.5 } },
        hoverinfo: "skip",
      },
    ];
    const layout = {
      margin: MARGIN,
      font: { size: 14 },
      dragmode: "zoom",
      xaxis: axis(xAxis, `${xl}${xAxis.scale === "log" ? " (log)" : ""}`),
      yaxis: axis(yAxis, `${yl}${yAxis.scale === "log" ? " (log)" : ""}`),
      plot_bgcolor: "#fbfbfd",
    };
    this.drawing = true;
    await window.Plotly.react(this.chart, traces, layout, { displayModeBar: false, responsive: true, doubleClick: false });
    this.drawing = false;
    if (!this.wired) {
      this.wired = true;
      this.chart.on("plotly_relayout", (event) => this.zoomed(event));
    }
    this.chart.dataset.xRange = `${xAxis.min},${xAxis.max}`;
    this.chart.dataset.yRange = `${yAxis.min},${yAxis.max}`;
    // shown only when zoomed in (and then the only "Reset…" besides the page's own Reset)
    this.resetButton.hidden = !this.zoomedIn(xAxis, yAxis);
    this.panel.querySelector(".map-for").textContent =
      `${result.x.length} × ${result.y.length} runs with ${about}, each from ${formatPoint(start, names)} for up to ${MAP_STEPS} steps.`;
    this.legend.replaceChildren(
      ...[...seen].sort((a, b) => a - b).map((c) => {
        const item = document.createElement("li");
        item.style.setProperty("--swatch", colours[c]);
        const cat = cats[c];
        item.textContent =
          cat.minimum !== undefined
            ? `Minimum ${cat.minimum + 1}: ${minimumName(minima, cat.minimum)} at ${formatPoint(minima[cat.minimum].position, names)}`
            : cat.label[0].toUpperCase() + cat.label.slice(1);
        return item;
      }),
      this.paleNote(),
      ...(hatched.x.length ? [this.unfinishedNote()] : []),
    );
    this.panel.dataset.shown = "true";
  }

  paleNote() {
    const item = document.createElement("li");
    item.className = "map-note";
    item.textContent = "A paler shade: more steps to get there.";
    return item;
  }

  unfinishedNote() {
    const item = document.createElement("li");
    item.className = "map-unfinished";
    item.textContent = `Hatched: reached a minimum's neighbourhood but did not settle within ${MAP_STEPS} steps.`;
    return item;
  }

  /** A cell's side in pixels on the chart as it is now (the hatch strokes' length). */
  cellSize(result) {
    const width = (this.chart.clientWidth || 600) - MARGIN.l - MARGIN.r;
    const height = (this.chart.clientHeight || 420) - MARGIN.t - MARGIN.b;
    return Math.max(3, Math.min(width / result.x.length, height / result.y.length));
  }

  zoomedIn(xAxis, yAxis) {
    if (!this.home) return false;
    const [hx, hy] = this.home;
    return xAxis.min !== hx[0] || xAxis.max !== hx[1] || yAxis.min !== hy[0] || yAxis.max !== hy[1];
  }

  /** A rectangle dragged on the map: compute that range (within the one first asked for). */
  zoomed(event) {
    if (this.drawing || event["xaxis.range[0]"] === undefined || event["yaxis.range[0]"] === undefined) return;
    const ranges = ["xaxis", "yaxis"].map((name, i) => {
      const log = this.axisRequest(i).scale === "log";
      const ends = [event[`${name}.range[0]`], event[`${name}.range[1]`]].map((v) => (log ? 10 ** v : v));
      const [lo, hi] = this.home[i];
      return [Math.max(lo, Math.min(...ends)), Math.min(hi, Math.max(...ends))];
    });
    ranges.forEach(([lo, hi], i) => {
      this.axes[i].min.value = String(Number(lo.toPrecision(4)));
      this.axes[i].max.value = String(Number(hi.toPrecision(4)));
    });
    this.compute();
  }

  resetZoom() {
    if (!this.home) return;
    this.home.forEach(([lo, hi], i) => {
      this.axes[i].min.value = String(lo);
      this.axes[i].max.value = String(hi);
    });
    this.compute();
  }
}
