// The 1D landscape: the curve, its minima, the start, and each ball with its trail, and on
// request the tangent at the ball and the step it takes (Plotly).

import { FACTS } from "../facts.js";
import { coordinateNames } from "../landscape.js";

const CURVE = 0;
const MINIMA = 1;
const L2_CURVE = 2;
const L2_MINIMUM = 3;
const BASINS = 4;
// each ball's traces, in MARKS' order: the first ball's from FIRST_BALL, then the start, then
// the other balls' from MORE_BALLS
const MARKS = ["path", "recent hops", "tangent", "ball", "ball off the plot", "average path", "average"];
const [PATH, HOPS, TANGENT, BALL, OFF_PLOT, AVERAGE_PATH, AVERAGE] = MARKS.map((_, i) => i);
const BALL_TRACES = MARKS.length;
const FIRST_BALL = 5;
const START = FIRST_BALL + BALL_TRACES;
const MORE_BALLS = START + 1;
const BASIN_BAND = 0.07; // the basin map's band: this fraction of the plot's height, at its foot
// A trail at a high rate crosses the curve hundreds of times: the whole path is drawn as dots on
// the curve, and only the last hops as lines between them, fading with age.
const RECENT_HOPS = 12;
const TANGENT_HALF_WIDTH = 0.12; // the tangent's reach either side of the ball: this part of the x range
const MORE_BALL_SIZE = 0.6; // a later ball is smaller than the first: where they meet, both show
const OFF_PLOT_SIZE = 18; // the marker of a ball off the plot, drawn whole inside the edge
// Projector mode: the same plot drawn to be read from the back of a room.
const WIDTHS = {
  normal: { curve: 3, path: 4, hops: 2, tangent: 2, ball: 20, arrow: 2.5, font: 16 },
  projector: { curve: 6, path: 8, hops: 4, tangent: 4, ball: 30, arrow: 4, font: 26 },
};

const COLORS = {
  curve: "#1f4e79",
  trail: "#e67e22", // the first ball's trail (its ball is BALL_COLOR)
  ball: "#d62728", // BALL_COLOR
  global: FACTS.minimumColours.global,
  local: "#7f7f7f",
  start: "#444",
  l2: "#8e44ad",
};

/** The first ball's colour: its line on the loss chart too; and its name. */
export const BALL_COLOR = COLORS.ball;
export const BALL_COLOR_NAME = "red";

// what a page calls each racer colour when it names a ball by it
const COLOR_NAMES = { "#0072B2": "blue", "#009E73": "green", "#CC79A7": "pink", "#E69F00": "yellow", "#000000": "black" };

/** The styles of the balls after the first, in the order they are handed out, each with its
 * colour's name: the racers' (FACTS.racerStyles) but for the first, whose vermilion is too
 * close to the first ball's red. */
export const MORE_BALL_STYLES = FACTS.racerStyles.slice(1).map((s) => ({ ...s, name: COLOR_NAMES[s.color] }));

/** `hex` (#rrggbb) at opacity `alpha`, as Plotly's rgba(). */
function rgba(hex, alpha) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

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

/** One ball's traces: `suffix` tells a later ball's names from the first's ("path 2"). */
function ballTraces({ ball, trail }, suffix, widths) {
  const size = suffix ? MORE_BALL_SIZE * widths.ball : widths.ball;
  const named = (name) => `${name}${suffix}`;
  return [
    {
      // every point the ball has been, on the curve: no chords, so no mass at a high rate
      x: [], y: [], mode: "markers", name: named("path"),
      marker: { size: widths.path, color: rgba(trail, 0.55) },
      hoverinfo: "skip",
    },
    {
      x: [], y: [], mode: "lines+markers", name: named("recent hops"),
      line: { color: rgba(trail, 0.55), width: widths.hops },
      marker: { size: 7, color: trail, opacity: [] },
      hoverinfo: "skip",
    },
    {
      x: [], y: [], mode: "lines", name: named("tangent"),
      line: { color: ball, width: widths.tangent, dash: "dash" },
      hoverinfo: "skip",
    },
    {
      x: [], y: [], mode: "markers", name: named("ball"),
      marker: { size, color: ball, line: { color: "white", width: 2 } },
      hoverinfo: "skip",
    },
    {
      // Where the ball went when it left the drawn range: an arrow inside the edge, named.
      x: [], y: [], mode: "markers+text", name: named("ball off the plot"),
      text: [], textposition: [], textfont: { size: 15, color: ball },
      marker: { size: OFF_PLOT_SIZE, symbol: [], color: ball },
      hoverinfo: "skip",
    },
    ...averageTraces(ball, size, named),
  ];
}

// --- an averaging optimizer's averaged point (ASGD's ax: the step record's `averages`) ------

/** A ball's average: a faint path of small dots and a hollow ring around where it is now. */
function averageTraces(color, ballSize, named) {
  return [
    {
      x: [], y: [], mode: "markers", name: named("average path"),
      marker: { size: 5, color: rgba(color, 0.35) },
      hoverinfo: "skip",
    },
    {
      x: [], y: [], mode: "markers", name: named("average"),
      marker: { size: ballSize + 10, symbol: "circle-open", color, line: { width: 3 } },
      hoverinfo: "skip",
    },
  ];
}

/** The drawn curve's height at `x`, linear between its grid points: where an average sits. */
function onCurve(grid, x) {
  const { x: xs, f } = grid;
  let lo = 0;
  let hi = xs.length - 1;
  if (!(x > xs[lo])) return f[lo];
  if (!(x < xs[hi])) return f[hi];
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid;
  }
  return f[lo] + ((f[hi] - f[lo]) * (x - xs[lo])) / (xs[hi] - xs[lo]);
}

/** The average's path and ring as {x, y} each: empty for a rule without one (nulls). */
function averagesShown(grid, averages, clamp) {
  const xs = (averages || []).filter((a) => a !== null).map((a) => a[0]);
  const ys = xs.map((x) => clamp(onCurve(grid, x)));
  const n = xs.length;
  return { path: { x: xs, y: ys }, ring: { x: xs.slice(n - 1), y: ys.slice(n - 1) } };
}

export class CurvePlot {
  /** `grid` is {x, f} from /api/surfaces/{id}/grid; `surface` is the catalog entry. */
  constructor(element, surface, grid) {
    this.element = element;
    this.surface = surface;
    this.grid = grid;
    this.widths = WIDTHS.normal;
    this.styles = [{ ball: COLORS.ball, trail: COLORS.trail }]; // one per ball drawn
    this.arrows = []; // each ball's step arrow (a layout annotation), or null
    this.arrowsDrawn = "[]"; // the arrows on the plot, as JSON
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
        // The basin map (basins.js): each start's colour along the foot of the plot.
        type: "heatmap", x: [], y: [], z: [], name: "basins", showscale: false, text: [],
        hovertemplate: "%{text}<extra>click to start here</extra>",
      },
      ...ballTraces(this.styles[0], "", this.widths),
      {
        x: [], y: [], mode: "markers", name: "start",
        marker: { size: 14, symbol: "circle-open", color: COLORS.start, line: { width: 2 } },
        hoverinfo: "skip",
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
      annotations: [],
    };
    this.ready = window.Plotly.newPlot(element, traces, layout, {
      displayModeBar: false,
      responsive: true,
    });
  }

  /** The index of ball `b`'s trace `mark` (PATH, HOPS, …). */
  trace(b, mark) {
    return (b === 0 ? FIRST_BALL : MORE_BALLS + (b - 1) * BALL_TRACES) + mark;
  }

  /**
   * The balls after the first, each in its style ({color} of MORE_BALL_STYLES): their traces
   * added or taken away to match.
   */
  async setMoreBalls(styles) {
    await this.ready;
    const wanted = [this.styles[0], ...styles.map((s) => ({ ball: s.color, trail: s.color }))];
    const same = (a, b) => a.ball === b.ball && a.trail === b.trail;
    let keep = 1;
    while (keep < Math.min(wanted.length, this.styles.length) && same(wanted[keep], this.styles[keep])) keep += 1;
    const drawn = [];
    // Plotly changes the traces at once and draws them later: the indices hold from here on
    if (this.styles.length > keep) {
      const gone = [];
      for (let i = this.trace(keep, 0); i < this.trace(this.styles.length, 0); i += 1) gone.push(i);
      drawn.push(window.Plotly.deleteTraces(this.element, gone));
    }
    const added = wanted.slice(keep).flatMap((style, i) => ballTraces(style, ` ${keep + i + 1}`, this.widths));
    if (added.length) drawn.push(window.Plotly.addTraces(this.element, added));
    this.styles = wanted;
    this.arrows = this.arrows.slice(0, wanted.length);
    await Promise.all(drawn);
  }

  /** Another landscape on the same plot (a model on other points): its curve, minima, ranges. */
  setSurface(surface, grid) {
    this.surface = surface;
    this.grid = grid;
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
      [CURVE, MINIMA],
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
      window.Plotly.restyle(this.element, { "marker.color": [minimaColours], "textfont.color": [minimaColours] }, [MINIMA]),
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
    this.widths = w;
    const balls = this.styles.map((_, b) => b);
    const marks = (mark) => balls.map((b) => this.trace(b, mark));
    window.Plotly.restyle(this.element, { "line.width": w.curve }, [CURVE]);
    window.Plotly.restyle(this.element, { "marker.size": w.path }, marks(PATH));
    window.Plotly.restyle(this.element, { "line.width": w.hops }, marks(HOPS));
    window.Plotly.restyle(this.element, { "line.width": w.tangent }, marks(TANGENT));
    const sizes = balls.map((b) => (b === 0 ? w.ball : MORE_BALL_SIZE * w.ball));
    window.Plotly.restyle(this.element, { "marker.size": sizes }, marks(BALL));
    const annotations = this.annotations();
    this.arrowsDrawn = JSON.stringify(annotations);
    window.Plotly.relayout(this.element, { "font.size": w.font, annotations });
  }

  /** The first ball (and the start): see draw(). */
  update(ball) {
    this.draw([ball]);
  }

  /**
   * Redraw only the moving traces, in one restyle: the start, and for each ball
   * ({xs, losses, start, startLoss, tangent, step, averages}; the first's start is the one
   * drawn) its path, its last hops, the ball or where it went off the plot, its average (an
   * averaging optimizer's, ASGD's ax) and its path, and, when given, the tangent
   * at the ball (`tangent`: its slope) and the step arrow (`step`: {from, to} in x).
   */
  draw(shown) {
    const balls = shown.slice(0, this.styles.length); // a ball just added: drawn once its traces are
    const clamp = (y) => Math.min(Math.max(y, this.yRange[0]), this.yRange[1]);
    const [lo, hi] = this.surface.domain[0];
    const width = hi - lo;
    // a ball off the plot is marked this far inside the edge: its marker whole, and its label
    // beside it towards the middle
    const pixels = this.element._fullLayout ? this.element._fullLayout.xaxis._length : 0;
    const inset = pixels > 0 ? ((OFF_PLOT_SIZE / 2 + 2) / pixels) * width : 0;
    const data = { x: [], y: [], text: [], textposition: [], "marker.symbol": [], "marker.opacity": [] };
    const indices = [];
    const set = (index, values) => {
      indices.push(index);
      for (const name of Object.keys(data)) data[name].push(values[name]); // undefined: left as it is
    };
    const [first] = balls;
    set(START, { x: [first.start], y: [clamp(first.startLoss)] });
    this.arrows = balls.map((ball, b) => {
      const { xs, losses } = ball;
      const last = xs.length - 1;
      const x = last >= 0 ? xs[last] : null;
      const off = x !== null && (x < lo || x > hi);
      const on = x !== null && !off;
      const recent = Math.max(0, xs.length - RECENT_HOPS - 1);
      const hops = xs.length - recent;
      set(this.trace(b, PATH), { x: xs, y: losses.map(clamp) });
      set(this.trace(b, HOPS), {
        x: xs.slice(recent),
        y: losses.slice(recent).map(clamp),
        // the oldest hop drawn faintest, the latest in full
        "marker.opacity": xs.slice(recent).map((_, i) => 0.15 + (0.85 * (i + 1)) / hops),
      });
      const y = on ? clamp(losses[last]) : null;
      const reach = TANGENT_HALF_WIDTH * width;
      const tangent = on && Number.isFinite(ball.tangent);
      set(this.trace(b, TANGENT), {
        x: tangent ? [x - reach, x + reach] : [],
        y: tangent ? [y - ball.tangent * reach, y + ball.tangent * reach] : [],
      });
      set(this.trace(b, BALL), { x: on ? [x] : [], y: on ? [y] : [] });
      const average = averagesShown(this.grid, ball.averages, clamp);
      set(this.trace(b, AVERAGE_PATH), average.path);
      set(this.trace(b, AVERAGE), average.ring);
      const left = off && x < lo;
      const label = off ? `ball at x = ${Number(x.toPrecision(4))}` : "";
      set(this.trace(b, OFF_PLOT), {
        // inside the edge, the label towards the middle: all of it within the plot
        x: off ? [left ? lo + inset : hi - inset] : [],
        y: off ? [this.yRange[1] - (0.12 + 0.1 * b) * (this.yRange[1] - this.yRange[0])] : [],
        text: off ? [left ? `◀ ${label}` : `${label} ▶`] : [],
        textposition: [left ? "middle right" : "middle left"],
        "marker.symbol": [left ? "triangle-left" : "triangle-right"],
      });
      if (!on || !ball.step || ball.step.to === ball.step.from) return null;
      // the arrow's head kept on the plot: its direction and, within the plot, its length
      const head = Math.min(hi, Math.max(lo, ball.step.to));
      return { x: head, y, ax: ball.step.from, ay: y, color: this.styles[b].ball, kind: ball.step.kind };
    });
    window.Plotly.restyle(this.element, data, indices);
    // the arrows only when there are some to draw or take away
    const annotations = this.annotations();
    const text = JSON.stringify(annotations);
    if (text !== this.arrowsDrawn) window.Plotly.relayout(this.element, { annotations });
    this.arrowsDrawn = text;
  }

  /** The step arrows as Plotly annotations: from the ball along x, in the ball's colour. */
  annotations() {
    return this.arrows.filter(Boolean).map((a) => ({
      x: a.x, y: a.y, ax: a.ax, ay: a.ay,
      xref: "x", yref: "y", axref: "x", ayref: "y",
      text: "", showarrow: true, arrowhead: 2, arrowsize: 1.2,
      arrowwidth: this.widths.arrow, arrowcolor: a.color, opacity: a.kind === "last" ? 0.6 : 1,
      name: a.kind,
    }));
  }
}
