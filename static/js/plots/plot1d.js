// The 1D landscape: the curve, its minima, the start, the ball and its trail (Plotly).

import { FACTS } from "../facts.js";
import { coordinateNames } from "../landscape.js";

const CURVE = 0;
const TRAIL = 2;
const START = 3;
const BALL = 4;
const L2_CURVE = 5;
const L2_MINIMUM = 6;
const OFF_PLOT = 7;
const BASINS = 8;
const BASIN_BAND = 0.07; // the basin map's band: this fraction of the plot's height, at its foot
// Projector mode: the same plot drawn to be read from the back of a room.
const WIDTHS = { normal: { curve: 3, trail: 2, ball: 20, font: 16 }, projector: { curve: 6, trail: 4, ball: 30, font: 26 } };

const COLORS = {
  curve: "#1f4e79",
  trail: "rgba(230, 126, 34, 0.75)",
  ball: "#d62728", // BALL_COLOR
  global: FACTS.minimumColours.global,
  local: "#7f7f7f",
  start: "#444",
  l2: "#8e44ad",
};

/** The ball's colour: its line on the loss chart too. */
export const BALL_COLOR = COLORS.ball;

/** The y range that shows the whole curve, with a margin. */
function yRange(grid) {
  const lows = Math.min(...grid.f);
  const highs = Math.max(...grid.f);
  const pad = 0.08 * (highs - lows || 1);
  return [lows - pad, highs + pad];
}

/** The minima's markers: a star for the global one(s), a diamond for the rest. */
function minimaMarks(minima) {
  return {
    x: minima.map((m) => m.position[0]),
    y: minima.map((m) => m.value),
    text: minima.map((m) => (m.kind === "global" ? "global min" : "local min")),
    textfont: { size: 14, color: minima.map((m) => COLORS[m.kind]) },
    marker: {
      size: minima.map((m) => (m.kind === "global" ? 18 : 12)),
      symbol: minima.map((m) => (m.kind === "global" ? "star" : "diamond")),
      color: minima.map((m) => COLORS[m.kind]),
    },
  };
}

export class CurvePlot {
  /** `grid` is {x, f} from /api/surfaces/{id}/grid; `surface` is the catalog entry. */
  constructor(element, surface, grid) {
    this.element = element;
    this.surface = surface;
    const minima = surface.minima;
    this.yRange = yRange(grid);
    const traces = [
      {
        x: grid.x, y: grid.f, mode: "lines", name: "f(x)",
        line: { color: COLORS.curve, width: 3 },
        hovertemplate: "x = %{x:.3f}<br>f(x) = %{y:.3f}<extra>click to start here</extra>",
      },
      {
        ...minimaMarks(minima),
        mode: "markers+text",
        name: "minima",
        textposition: "bottom center",
        hoverinfo: "skip",
      },
      {
        x: [], y: [], mode: "lines+markers", name: "path",
        line: { color: COLORS.trail, width: 2 },
        marker: { size: 6, color: COLORS.trail },
        hoverinfo: "skip",
      },
      {
        x: [], y: [], mode: "markers", name: "start",
        marker: { size: 14, symbol: "circle-open", color: COLORS.start, line: { width: 2 } },
        hoverinfo: "skip",
      },
      {
        x: [], y: [], mode: "markers", name: "ball",
        marker: { size: 20, color: COLORS.ball, line: { color: "white", width: 2 } },
        hoverinfo: "skip",
      },
      {
        x: [], y: [], mode: "lines", name: "f(x) + (λ/2)·x²",
        line: { color: COLORS.l2, width: 2.5, dash: "dash" },
        hoverinfo: "skip",
      },
      {
        x: [], y: [], mode: "markers+text", name: "lowest with L2",
        text: ["lowest with L2"], textposition: "top center",
        textfont: { size: 14, color: COLORS.l2 },
        marker: { size: 16, symbol: "star-open", color: COLORS.l2, line: { width: 2 } },
        hoverinfo: "skip",
      },
      {
        // Where the ball went when it left the drawn range: an arrow at the edge, named.
        x: [], y: [], mode: "markers+text", name: "ball off the plot",
        text: [], textposition: [], textfont: { size: 15, color: COLORS.ball },
        marker: { size: 18, symbol: [], color: COLORS.ball },
        hoverinfo: "skip",
      },
      {
        // The basin map (basins.js): each start's colour along the foot of the plot.
        type: "heatmap", x: [], y: [], z: [], name: "basins", showscale: false, text: [],
        hovertemplate: "%{text}<extra>click to start here</extra>",
      },
    ];
    const layout = {
      margin: { l: 56, r: 16, t: 12, b: 48 },
      showlegend: false,
      hovermode: "x",
      dragmode: false,
      font: { size: 16 },
      xaxis: { title: { text: coordinateNames(surface)[0] }, range: surface.domain[0], fixedrange: true, zeroline: false },
      yaxis: { title: { text: `loss f(${coordinateNames(surface)[0]})` }, range: this.yRange, fixedrange: true },
      plot_bgcolor: "#fbfbfd",
    };
    this.ready = window.Plotly.newPlot(element, traces, layout, {
      displayModeBar: false,
      responsive: true,
    });
  }

  /** Another landscape on the same plot (a model on other points): its curve, minima, ranges. */
  setSurface(surface, grid) {
    this.surface = surface;
    this.yRange = yRange(grid);
    const marks = minimaMarks(surface.minima);
    return window.Plotly.update(
      this.element,
      {
        x: [grid.x, marks.x],
        y: [grid.f, marks.y],
        text: [undefined, marks.text],
        textfont: [undefined, marks.textfont],
        marker: [undefined, marks.marker],
      },
      {
        "xaxis.range": surface.domain[0],
        "xaxis.title.text": coordinateNames(surface)[0],
        "yaxis.range": this.yRange,
        "yaxis.title.text": `loss f(${coordinateNames(surface)[0]})`,
      },
      [CURVE, 1],
    );
  }

  /** Clicking anywhere over the curve picks the x under the pointer (a basin cell's own x). */
  onPick(callback) {
    this.element.on("plotly_click", (event) => {
      const point =
        event.points.find((p) => p.curveNumber === BASINS) || event.points.find((p) => p.curveNumber === CURVE);
      if (point) callback(point.x);
    });
  }

  /**
   * The basin map as a band along the foot of the plot (`layer`: {x, z, text, colorscale,
   * zmin, zmax, minimaColours} from basins.js), the minima marked in their basins' colours;
   * or none with null.
   */
  showBasins(layer) {
    const [lo, hi] = this.yRange;
    const minimaColours = layer ? layer.minimaColours : this.surface.minima.map((m) => COLORS[m.kind]);
    return Promise.all([
      window.Plotly.restyle(
        this.element,
        {
          x: [layer ? layer.x : []],
          y: [layer ? [lo, lo + BASIN_BAND * (hi - lo)] : []],
          z: [layer ? [layer.z] : []],
          text: [layer ? [layer.text] : []],
          colorscale: [layer ? layer.colorscale : [[0, "#fff"], [1, "#fff"]]],
          zmin: [layer ? layer.zmin : 0],
          zmax: [layer ? layer.zmax : 1],
        },
        [BASINS],
      ),
      window.Plotly.restyle(this.element, { "marker.color": [minimaColours], "textfont.color": [minimaColours] }, [1]),
    ]);
  }

  /** Draw the L2 landscape (`curve` = {x, y}, `lowest` = {x, y}), or hide it with null. */
  showL2(curve, lowest) {
    window.Plotly.restyle(
      this.element,
      {
        x: [curve ? curve.x : [], lowest ? [lowest.x] : []],
        y: [curve ? curve.y : [], lowest ? [lowest.y] : []],
      },
      [L2_CURVE, L2_MINIMUM],
    );
  }

  /** Thick lines and large type for a projector, or back. */
  setProjector(on) {
    const w = on ? WIDTHS.projector : WIDTHS.normal;
    window.Plotly.restyle(this.element, { "line.width": [w.curve, w.trail] }, [CURVE, TRAIL]);
    window.Plotly.restyle(this.element, { "marker.size": w.ball }, [BALL]);
    window.Plotly.relayout(this.element, { "font.size": w.font });
  }

  /** Redraw only the moving traces: trail, start, ball, and where it went off the plot. */
  update({ xs, losses, start, startLoss }) {
    const last = xs.length - 1;
    const clamp = (y) => Math.min(Math.max(y, this.yRange[0]), this.yRange[1]);
    const [lo, hi] = this.surface.domain[0];
    const x = last >= 0 ? xs[last] : null;
    const off = x !== null && (x < lo || x > hi);
    const edge = off ? (x < lo ? lo : hi) : null;
    const label = off ? `ball at x = ${Number(x.toPrecision(4))}` : "";
    window.Plotly.restyle(
      this.element,
      {
        x: [xs, [start], x !== null && !off ? [x] : [], off ? [edge] : []],
        y: [
          losses.map(clamp),
          [clamp(startLoss)],
          x !== null && !off ? [clamp(losses[last])] : [],
          off ? [this.yRange[1] - 0.12 * (this.yRange[1] - this.yRange[0])] : [],
        ],
        // undefined: leave that trace's attribute as it is (one restyle a frame)
        text: [undefined, undefined, undefined, off ? [x < lo ? `◀ ${label}` : `${label} ▶`] : []],
        textposition: [undefined, undefined, undefined, [x < lo ? "middle right" : "middle left"]],
        "marker.symbol": [undefined, undefined, undefined, [x < lo ? "triangle-left" : "triangle-right"]],
      },
      [TRAIL, START, BALL, OFF_PLOT],
    );
  }
}
