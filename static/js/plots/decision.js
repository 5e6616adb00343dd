// A network's decision regions (the /network page): the server's prediction over the data's
// plane painted as an image under the data points, or for regression the fitted curve over
// them. Train points filled, test points hollow.
//
//   binary      p(class 1) on a diverging scale: orange (class 0) ↔ white (unsure) ↔ blue (class 1)
//   multiclass  each cell in its class's colour, paler the less confident the network is
//   regression  the fitted curve ŷ(x) over the points
//
// The painting is a canvas made into a data: URL and laid under the points as a Plotly layout
// image, so a new frame costs one relayout, not a heatmap rebuild.

import { CLASS_COLOURS, divergingRgb } from "./netcolours.js";

const WHITE = [255, 255, 255];
const INK = "#1b1f24"; // a training point's outline: seen on either colour of the regions
const CURVE_COLOUR = "#2b2b2b";
const PALE = 0.3; // the regions are this much paler than the points, so the points stand out

function rgb(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

function mix(a, b, t) {
  return a.map((v, i) => Math.round(v + (b[i] - v) * t));
}

/** A point's colour: its class's. */
export function pointColour(k) {
  return CLASS_COLOURS[k % CLASS_COLOURS.length];
}

/** A binary prediction p(class 1): the page's diverging palette from orange (0) to blue (1). */
export function probabilityColour(p) {
  return mix(divergingRgb(2 * Math.min(1, Math.max(0, p)) - 1), WHITE, PALE);
}

/** A multiclass cell: its class's colour, toward white as the confidence falls to 1/K. */
export function confidenceColour(k, confidence, classes) {
  const floor = 1 / Math.max(2, classes);
  const sure = Math.min(1, Math.max(0, (confidence - floor) / (1 - floor)));
  return mix(WHITE, rgb(pointColour(k)), (0.1 + 0.9 * sure) * (1 - PALE));
}

/**
 * Paint a classification `grid` ({size, values, confidence?}: rows over x2 from its lowest, columns
 * over x1) into `canvas`, one pixel a cell, the highest x2 on top.
 */
export function paintGrid(canvas, grid, task, classes) {
  const n = grid.size;
  canvas.width = n;
  canvas.height = n;
  const context = canvas.getContext("2d");
  const image = context.createImageData(n, n);
  for (let i = 0; i < n; i += 1) {
    for (let j = 0; j < n; j += 1) {
      const v = grid.values[i][j];
      const colour = task === "multiclass" ? confidenceColour(v, grid.confidence[i][j], classes) : probabilityColour(v);
      const at = ((n - 1 - i) * n + j) * 4;
      image.data.set([...colour, 255], at);
    }
  }
  context.putImageData(image, 0, 0);
}

function pointColours(data) {
  return data.y.map(pointColour);
}

function pick(list, indices) {
  return indices.map((i) => list[i]);
}

const WIDTHS = { normal: { marker: 8, outline: 1, hollow: 2, curve: 3, font: 14 }, projector: { marker: 13, outline: 2, hollow: 3.5, curve: 6, font: 22 } };

export class DecisionPlot {
  constructor(element, { projector = false } = {}) {
    this.element = element;
    this.widths = projector ? WIDTHS.projector : WIDTHS.normal;
    this.canvas = document.createElement("canvas");
    this.ready = Promise.resolve();
  }

  /** The data (the stream's `start` event's `data`): points, split, task and extent. */
  show(data) {
    this.data = data;
    const w = this.widths;
    const regression = data.task === "regression";
    const xs = data.x.map((p) => p[0]);
    const ys = regression ? data.y : data.x.map((p) => p[1]);
    const colours = regression ? data.y.map(() => CURVE_COLOUR) : pointColours(data);
    const points = (indices, hollow) => ({
      type: "scatter",
      mode: "markers",
      name: hollow ? "test points" : "training points",
      x: pick(xs, indices),
      y: pick(ys, indices),
      hoverinfo: "skip",
      // a test point hollow: white inside its class's ring; a training point filled, outlined
      marker: hollow
        ? { size: w.marker, color: "#ffffff", line: { color: pick(colours, indices), width: w.hollow } }
        : { size: w.marker, color: pick(colours, indices), line: { color: INK, width: w.outline } },
    });
    const traces = [points(data.train, false), points(data.test, true)];
    if (regression) {
      traces.unshift({ type: "scatter", mode: "lines", name: "the network's fit", x: [], y: [], hoverinfo: "skip", line: { color: "#D55E00", width: w.curve } });
    }
    const [x1, x2] = data.extent;
    const layout = {
      margin: { l: 40, r: 8, t: 8, b: 32 },
      font: { size: w.font },
      showlegend: false,
      dragmode: false,
      xaxis: { range: x1, fixedrange: true, zeroline: false, showgrid: false, title: { text: "" } },
      yaxis: regression
        ? { fixedrange: true, zeroline: false, showgrid: true }
        : { range: x2, fixedrange: true, zeroline: false, showgrid: false, scaleanchor: "x", scaleratio: 1, constrain: "domain" },
      images: [],
      plot_bgcolor: "#ffffff",
    };
    this.ready = window.Plotly.react(this.element, traces, layout, { displayModeBar: false, responsive: true });
    return this.ready;
  }

  /** A new prediction (`grid` of the wire) over the plane, or the fitted curve. */
  grid(grid) {
    if (!this.data || !grid) return;
    if (this.data.task === "regression") {
      window.Plotly.restyle(this.element, { x: [grid.x1], y: [grid.values] }, [0]);
      return;
    }
    paintGrid(this.canvas, grid, this.data.task, this.data.classes);
    const [x1, x2] = this.data.extent;
    window.Plotly.relayout(this.element, {
      images: [{
        source: this.canvas.toDataURL(),
        xref: "x",
        yref: "y",
        x: x1[0],
        y: x2[1],
        sizex: x1[1] - x1[0],
        sizey: x2[1] - x2[0],
        sizing: "stretch",
        layer: "below",
      }],
    });
    this.element.dataset.frames = String(Number(this.element.dataset.frames || 0) + 1);
  }

  setProjector(on) {
    this.widths = on ? WIDTHS.projector : WIDTHS.normal;
    if (this.data) {
      const images = this.element.layout?.images || [];
      this.show(this.data).then(() => images.length && window.Plotly.relayout(this.element, { images }));
    }
  }
}
