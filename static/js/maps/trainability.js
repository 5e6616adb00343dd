// The trainability map: one ball for every pair of two settings (learning rate × momentum,
// β₁ × β₂, …) from the current start, coloured by what happened (the server's outcome and
// minimum), paler where it took more steps. Dragging a rectangle recomputes that range.

import { formatNumber } from "../format.js";
import { categories, categoryIndex } from "./mapcolours.js";
import { MAP_STEPS, MapJob, mapBody } from "./maps.js";
import { coordinateNames } from "../landscape.js";
import { formatPoint, minimumName, shareWords } from "../verdict.js";

const SHADE = 0.85; // the slowest run is drawn this far from its colour towards white
const PALE = 0.7; // how close to white "far" is
const LOG_SPAN = 30; // a log-scale setting's default range: its value ÷ and × this
const PREFERRED_Y = ["momentum", "betas.0", "alpha", "rho"];
const BETA_LABELS = ["β₁", "β₂"];

function paler(hex) {
  const n = parseInt(hex.slice(1), 16);
  const mix = (c) => Math.round(c + (255 - c) * PALE);
  return `rgb(${mix(n >> 16)}, ${mix((n >> 8) & 255)}, ${mix(n & 255)})`;
}

/** Each category from its colour (fast) to a pale shade (slow), z = category + SHADE · slowness. */
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
      h.default.forEach((_, k) => out.push({ name: `${h.name}.${k}`, label: BETA_LABELS[k] || `${h.label} ${k + 1}`, h, k }));
    } else {
      out.push({ name: h.name, label: h.label, h, k: null });
    }
  }
  return out;
}

/** A setting's default range around its `value`. */
function defaultRange(choice, value) {
  const { h } = choice;
  if (h.scale === "linear") return [h.min, h.max];
  const lo = value > 0 ? value / LOG_SPAN : 1e-4;
  const hi = value > 0 ? value * LOG_SPAN : 1;
  return [Math.max(lo, h.min > 0 ? h.min : 0), Math.min(hi, h.max)];
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
    panel.querySelector(".map-compute").addEventListener("click", () => {
      this.home = null;
      this.compute();
    });
    this.resetButton.addEventListener("click", () => this.resetZoom());
    for (const [i, axis] of this.axes.entries()) {
      axis.name.addEventListener("change", () => this.fillRange(i));
    }
    this.refresh();
  }

  /** The optimizer (or its settings) changed: offer its settings, keeping the chosen ones. */
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
      if (keep[i] !== chosen) this.fillRange(i);
    });
    const usable = this.choices.length >= 2;
    this.panel.querySelector(".map-compute").disabled = !usable;
    this.job.say(usable ? "" : `${optimizer.name} has fewer than two numeric settings to map.`);
  }

  fillRange(i) {
    const choice = this.choices.find((c) => c.name === this.axes[i].name.value);
    if (!choice) return;
    const hp = this.host.run().hyperparameters[choice.h.name];
    const value = choice.k === null ? hp : hp[choice.k];
    const [lo, hi] = defaultRange(choice, value);
    this.axes[i].min.value = String(Number(lo.toPrecision(3)));
    this.axes[i].max.value = String(Number(hi.toPrecision(3)));
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
    const result = await this.job.run("trainability", body);
    if (!result) return;
    await this.show(result, { xAxis, yAxis, about, start: body.start, maximize: Boolean(run.hyperparameters.maximize) });
  }

  label(name) {
    const choice = this.choices.find((c) => c.name === name);
    return choice ? choice.label : name;
  }

  async show(result, { xAxis, yAxis, about, start, maximize }) {
    const minima = this.host.surface().minima;
    const names = coordinateNames(this.host.surface());
    const cats = categories(minima);
    const colours = cats.map((c) => c.color);
    const [xl, yl] = [this.label(result.x_name), this.label(result.y_name)];
    const seen = new Set();
    const z = result.outcome.map((row, j) =>
      row.map((o, i) => {
        const c = categoryIndex(minima, o, result.minimum[j][i]);
        seen.add(c);
        const steps = result.steps[j][i];
        const slow = steps === null ? 0 : Math.log1p(steps) / Math.log1p(MAP_STEPS);
        return c + SHADE * Math.min(1, slow);
      }),
    );
    const text = result.outcome.map((row, j) =>
      row.map((o, i) => {
        const steps = result.steps[j][i];
        const words = shareWords(o, result.minimum[j][i], minima, { steps: MAP_STEPS, maximize, names });
        const took = steps === null ? "" : ` in ${steps} step${steps === 1 ? "" : "s"}`;
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
    ];
    const layout = {
      margin: { l: 64, r: 16, t: 12, b: 52 },
      font: { size: 14 },
      dragmode: "zoom",
      xaxis: axis(xAxis, `${xl}${xAxis.scale === "log" ? " (log)" : ""}`),
      yaxis: axis(yAxis, `${yl}${yAxis.scale === "log" ? " (log)" : ""}`),
      plot_bgcolor: "#fbfbfd",
    };
    this.chart.hidden = false;
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
    );
    this.panel.dataset.shown = "true";
  }

  paleNote() {
    const item = document.createElement("li");
    item.className = "map-note";
    item.textContent = "A paler shade: more steps to get there.";
    return item;
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
