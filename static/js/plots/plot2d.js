// The 2D landscape: a contour map or a 3D surface, with each racer's path, ball and arrows.
//
// Contour view: Plotly draws the map and the minima once per surface and takes the clicks;
// the moving marks (start, paths, balls, arrows) are SVG on an overlay (see overlay.js),
// so a frame costs a few attribute changes instead of a Plotly redraw.  3D view: the paths
// must live in the same WebGL scene as the surface, so Plotly restyles them there.

import { FACTS } from "../facts.js";
import { formatNumber } from "../format.js";
import { coordinateNames } from "../landscape.js";
import { Overlay } from "./overlay.js";
import { plotly3d } from "./plotly3d.js";

const DRAG_PX = 5; // a pointer that moves further than this between down and up is dragging
// Racers: the Okabe–Ito colours (told apart with any colour vision), each with its own dash
// pattern too, so even a grey-scale printout or a washed-out projector keeps them apart.
export const RACER_STYLES = FACTS.racerStyles;
export const MAX_RACERS = FACTS.maxRacers;
const CONTOUR_SCALE = [
  [0, "#ffffff"],
  [0.35, "#dbe8f5"],
  [0.7, "#a9c4e0"],
  [1, "#6f93ba"],
];
const MINIMUM_COLORS = FACTS.minimumColours;
const BASIN_TRACE = 4; // after the map, the minima and the two L2 traces
const MARGIN = { l: 56, r: 96, t: 12, b: 44, autoexpand: false };
// A phone: the colour bar under the map, so the map keeps (nearly) the screen's width.
const NARROW = 500; // px: the map's container below this is a phone's
const NARROW_MARGIN = { l: 40, r: 8, t: 8, b: 112, autoexpand: false };
const NARROW_COLORBAR = { orientation: "h", x: 0.6, xanchor: "center", y: -0.2, yanchor: "top", thickness: 10, len: 0.75 };
const ARROW_MAX = 0.15; // the longest arrow, as a fraction of the domain's smaller side
const STEP_REF = 0.01; // a step of this fraction of the domain draws a half-length arrow
const MIN_3D_MS = 100; // the 3D scene is redrawn at most this often while a race plays
const AWAY_PX = 14; // an off-the-map label starts this far beside its ball (radius 8)

function colourData(grid) {
  // A loop, not Math.min(...values): a 400 × 400 grid has more values than a call takes.
  let fmin = Infinity;
  let fmax = -Infinity;
  for (const row of grid.f) {
    for (const v of row) {
      if (v === null) continue;
      if (v < fmin) fmin = v;
      if (v > fmax) fmax = v;
    }
  }
  if (grid.colour_scale !== "log") {
    return { z: grid.f, title: "f", tickvals: null, ticktext: null, fmin, fmax };
  }
  const floor = FACTS.logFloor * (fmax - fmin); // f − min f down to this fraction of its range
  const z = grid.f.map((row) => row.map((v) => (v === null ? null : Math.log10(v - fmin + floor))));
  const tickvals = [];
  for (let k = Math.ceil(Math.log10(floor)); k <= Math.log10(fmax - fmin + floor); k += 1) tickvals.push(k);
  const ticktext = tickvals.map((k) => formatNumber(fmin + 10 ** k, 2));
  return { z, title: "f (log)", tickvals, ticktext, fmin, fmax };
}

/** Median |∇f| over the grid by central differences: what counts as a "typical" gradient. */
function typicalGradient(grid) {
  const { x, y, f } = grid;
  const norms = [];
  for (let j = 1; j < y.length - 1; j += 1) {
    for (let i = 1; i < x.length - 1; i += 1) {
      const gx = (f[j][i + 1] - f[j][i - 1]) / (x[i + 1] - x[i - 1]);
      const gy = (f[j + 1][i] - f[j - 1][i]) / (y[j + 1] - y[j - 1]);
      const n = Math.hypot(gx, gy);
      if (Number.isFinite(n)) norms.push(n);
    }
  }
  norms.sort((a, b) => a - b);
  return norms[Math.floor(norms.length / 2)] || 1;
}

/** The tip of an arrow from `at` along `direction`: longer for larger magnitudes, saturating. */
function arrowTip(at, direction, reference, maxLength) {
  const m = Math.hypot(...direction);
  if (!m || !Number.isFinite(m)) return null;
  const length = (maxLength * m) / (m + reference);
  return [at[0] + (direction[0] / m) * length, at[1] + (direction[1] / m) * length];
}

/** Momentum methods carry a velocity: SGD with momentum, RMSprop with momentum, Adam's mean. */
export function hasMomentum(track) {
  const buffers = (track.runState && track.runState.buffers) || {};
  return ["momentum_buffer", "exp_avg"].some((name) => Array.isArray(buffers[name]));
}

function axis(title, range) {
  // constrain "domain": equal scales shrink the plot area, never widen the domain shown
  return { title: { text: title }, range, fixedrange: true, zeroline: false, showgrid: false, constrain: "domain" };
}

function nearestIndex(values, v) {
  const step = (values[values.length - 1] - values[0]) / (values.length - 1);
  return Math.max(0, Math.min(values.length - 1, Math.round((v - values[0]) / step)));
}

export class LandscapePlot {
  /** `container` holds the views; `surface` is the catalog entry, `grid` its 2D grid. */
  constructor(container, surface, grid, { onRedrawNeeded = () => {} } = {}) {
    this.onRedrawNeeded = onRedrawNeeded;
    container.classList.add("landscape");
    this.map = this.layer(container, "landscape-map");
    this.scene = this.layer(container, "landscape-3d");
    this.scene.hidden = true;
    this.view = "contour";
    this.arrows = true;
    this.racers = [];
    this.marks = []; // per racer: its SVG elements on the contour view
    this.drawn = new Map(); // racer index -> what was last drawn, so unchanged racers are skipped
    this.drawnStart = null;
    this.pickHandlers = [];
    this.busy = 0; // rebuilds under way: updates wait for them
    this.ready = Promise.resolve();
    this.overlay = null;
    this.l2Shown = false; // whether the map shows an L2 landscape
    this.turning = false; // a pointer is down on the 3D scene (see update3d)
    this.next3d = 0; // when the 3D scene may be redrawn next (see update3d)
    this.later3d = null; // the timer that draws then
    this.setSurface(surface, grid);
  }

  layer(container, className) {
    const div = document.createElement("div");
    div.className = className;
    container.append(div);
    return div;
  }

  layout() {
    const [xr, yr] = this.surface.domain;
    const names = coordinateNames(this.surface);
    return {
      margin: this.narrow() ? NARROW_MARGIN : MARGIN,
      showlegend: false,
      dragmode: false,
      hovermode: "closest",
      font: { size: 15 },
      xaxis: axis(names[0], xr),
      yaxis: { ...axis(names[1], yr), scaleanchor: "x" },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
    };
  }

  narrow() {
    return this.map.parentElement.clientWidth < NARROW;
  }

  /** A new surface (or new surface parameters): the only time the landscape is computed. */
  setSurface(surface, grid) {
    this.surface = surface;
    this.grid = grid;
    this.colours = colourData(grid);
    const [xr, yr] = surface.domain;
    this.span = Math.min(xr[1] - xr[0], yr[1] - yr[0]);
    this.gradientRef = typicalGradient(grid);
    // Markers float this far above the 3D surface so it does not hide them.
    this.lift3d = 0.01 * (this.colours.fmax - this.colours.fmin);
    this.l2Shown = false;
    const contour = {
      type: "contour",
      name: "landscape",
      x: grid.x,
      y: grid.y,
      z: this.colours.z,
      customdata: grid.f,
      colorscale: CONTOUR_SCALE,
      ncontours: 26,
      contours: { coloring: "heatmap", showlines: true },
      line: { width: 0.6, color: "rgba(40, 60, 90, 0.35)" },
      colorbar: {
        title: { text: this.colours.title, side: "right" },
        thickness: 14,
        x: 1.02,
        xpad: 0,
        ...(this.narrow() ? { ...NARROW_COLORBAR, title: { text: this.colours.title, side: "right" } } : {}),
        ...(this.colours.tickvals ? { tickvals: this.colours.tickvals, ticktext: this.colours.ticktext } : {}),
      },
      hovertemplate: "x = %{x:.3f}<br>y = %{y:.3f}<br>f = %{customdata:.4g}<extra>click to start here</extra>",
    };
    const minima = surface.minima;
    const minimaTrace = {
      type: "scatter",
      x: minima.map((m) => m.position[0]),
      y: minima.map((m) => m.position[1]),
      mode: "markers",
      name: "minima",
      marker: {
        size: minima.map((m) => (m.kind === "global" ? 17 : 8)),
        symbol: minima.map((m) => (m.kind === "global" ? "star" : "diamond")),
        color: minima.map((m) => MINIMUM_COLORS[m.kind]),
        opacity: minima.map((m) => (m.kind === "global" ? 1 : 0.75)),
        line: { color: "white", width: 1 },
      },
      hovertemplate: minima.map((m) => `${m.kind} minimum<br>f = ${formatNumber(m.value)}<extra></extra>`),
    };
    const l2Traces = [
      {
        type: "contour", x: [], y: [], z: [], name: "L2 landscape", showscale: false,
        contours: { coloring: "lines" }, ncontours: 18, line: { width: 1.6, dash: "dash" },
        hoverinfo: "skip",
      },
      {
        type: "scatter", x: [], y: [], mode: "markers+text", name: "lowest with L2",
        text: ["lowest with L2"], textposition: "top center", textfont: { size: 13 },
        marker: { size: 16, symbol: "star-open", line: { width: 2 } }, hoverinfo: "skip",
      },
    ];
    // The basin map (basins.js): a see-through layer of each start's colour, over the map.
    // A contour trace coloured as a heatmap (cells, no lines), not a heatmap trace: Plotly
    // draws every heatmap below every contour, so the filled landscape would hide it.
    const basinTrace = {
      type: "contour", x: [], y: [], z: [], name: "basins", showscale: false, opacity: 0.55,
      contours: { coloring: "heatmap", showlines: false }, zsmooth: false, line: { width: 0 },
      text: [], hovertemplate: "%{text}<extra>click to start here</extra>",
    };
    return this.rebuild(async () => {
      await window.Plotly.react(this.map, [contour, minimaTrace, ...l2Traces, basinTrace], this.layout(), {
        displayModeBar: false,
        responsive: true,
      });
      if (!this.overlay) {
        this.overlay = new Overlay(this.map, {
          onResize: () => {
            this.forget();
            this.onRedrawNeeded();
          },
        });
        this.map.on("plotly_click", (event) => this.picked(event));
        this.buildMarks();
      }
      this.overlay.sync();
      if (this.view === "3d") await this.draw3d();
    });
  }

  /**
   * Contour lines of an L2 landscape ({z} from l2.js, `lowest` {x, y} from the server or null)
   * in `color` over the map, or none with null.
   */
  showL2(landscape, color) {
    const grid = this.grid;
    const on = Boolean(landscape);
    if (!on && !this.l2Shown) return this.ready;
    this.l2Shown = on;
    const c = color || "#000";
    return this.rebuild(async () => {
      await window.Plotly.restyle(
        this.map,
        { x: [on ? grid.x : []], y: [on ? grid.y : []], z: [on ? landscape.z : []], colorscale: [[[0, c], [1, c]]] },
        [2],
      );
      await window.Plotly.restyle(
        this.map,
        {
          x: [on && landscape.lowest ? [landscape.lowest.x] : []],
          y: [on && landscape.lowest ? [landscape.lowest.y] : []],
          "marker.color": c,
          "textfont.color": c,
        },
        [3],
      );
    });
  }

  /**
   * The basin map over the contour map (`layer`: {x, y, z, text, colorscale, zmin, zmax,
   * minimaColours} from basins.js), the minima marked in their basins' colours; or none with null.
   */
  showBasins(layer) {
    const minima = this.surface.minima;
    const colours = layer ? layer.minimaColours : minima.map((m) => MINIMUM_COLORS[m.kind]);
    return this.rebuild(async () => {
      await window.Plotly.restyle(
        this.map,
        {
          x: [layer ? layer.x : []],
          y: [layer ? layer.y : []],
          z: [layer ? layer.z : []],
          text: [layer ? layer.text : []],
          colorscale: [layer ? layer.colorscale : [[0, "#fff"], [1, "#fff"]]],
          zmin: [layer ? layer.zmin : 0],
          zmax: [layer ? layer.zmax : 1],
        },
        [BASIN_TRACE],
      );
      await window.Plotly.restyle(this.map, { "marker.color": [colours], "marker.opacity": [layer ? 1 : minima.map((m) => (m.kind === "global" ? 1 : 0.75))] }, [1]);
    });
  }

  /** Run `work` after earlier rebuilds; updates are skipped until it is done. */
  rebuild(work) {
    this.busy += 1;
    this.ready = this.ready.then(work).finally(() => {
      this.busy -= 1;
      this.forget();
      this.onRedrawNeeded();
    });
    return this.ready;
  }

  /** Everything must be drawn afresh on the next update. */
  forget() {
    this.drawn.clear();
    this.drawnStart = null;
  }

  picked(event) {
    const point = event.points.find((p) => ["contour", "surface"].includes(p.data.type));
    if (point) for (const handler of this.pickHandlers) handler([point.x, point.y]);
  }

  /**
   * Plotly's 3D scene reports a click on mouse-down, so dragging to rotate would also move
   * the start: a 3D click counts only if the pointer did not move before it came up.
   */
  wirePick3d() {
    const scene = this.scene;
    let down = null;
    let moved = false;
    let pending = null;
    scene.addEventListener("pointerdown", (e) => {
      down = [e.clientX, e.clientY];
      moved = false;
      pending = null;
      this.turning = true;
    }, true);
    const released = () => {
      if (!this.turning) return;
      this.turning = false;
      this.onRedrawNeeded(); // (after Plotly has saved the camera, on this same event)
    };
    window.addEventListener("pointerup", released, true);
    window.addEventListener("pointercancel", released, true);
    scene.addEventListener("pointermove", (e) => {
      if (down && Math.hypot(e.clientX - down[0], e.clientY - down[1]) > DRAG_PX) moved = true;
    }, true);
    scene.addEventListener("pointerup", () => {
      if (pending && !moved) this.picked(pending);
      pending = null;
      down = null;
    }, true);
    scene.on("plotly_click", (event) => {
      if (down) pending = event; // wait: a click, or the start of a drag?
      else if (!moved) this.picked(event);
    });
  }

  /** `callback([x, y])` when the user clicks the landscape (either view). */
  onPick(callback) {
    this.pickHandlers.push(callback);
  }

  /** `racers`: [{label, color, dash, plotlyDash}] in order (see RACER_STYLES). */
  setRacers(racers) {
    this.racers = racers;
    return this.rebuild(async () => {
      if (this.overlay) this.buildMarks();
      if (this.view === "3d") await this.draw3d();
    });
  }

  /** The overlay's elements: the start, then a group per racer. */
  buildMarks() {
    const o = this.overlay;
    o.clear();
    this.startMark = o.circle(o.group("start"), { r: "8", fill: "none", stroke: "#222", "stroke-width": "3" });
    this.marks = this.racers.map((racer, i) => {
      const g = o.group("racer-marks", racer.color);
      g.dataset.racer = String(i);
      const head = o.arrowhead(racer.color);
      return {
        path: o.polyline(g, {
          class: "path", "stroke-width": "2.5", "stroke-linejoin": "round", opacity: "0.9", "stroke-dasharray": racer.dash,
        }),
        // −∇f: an outlined arrow (a white core in a coloured casing, a hollow head), a look
        // no trail has; a dotted one was taken for the dotted trail of the third racer
        gradient: o.line(g, { class: "gradient", "stroke-width": "4", "marker-end": o.arrowhead(racer.color, { open: true }) }),
        gradientCore: o.line(g, { class: "gradient-core", stroke: "white", "stroke-width": "1.6" }),
        velocity: o.line(g, { class: "velocity", "stroke-width": "4", "marker-end": head }),
        // SAM's last step: the climb e from where it started, the ascent point x + e (a
        // hollow ring) and −∇f there, the gradient the optimizer was handed (thin, dashed)
        samClimb: o.line(g, { class: "sam-climb", "stroke-width": "2", "stroke-dasharray": "2 3" }),
        samAscent: o.circle(g, { class: "sam-ascent", r: "5", fill: "white", stroke: racer.color, "stroke-width": "2" }),
        samGradient: o.line(g, {
          class: "sam-gradient", "stroke-width": "2.5", "stroke-dasharray": "6 3", "marker-end": o.arrowhead(racer.color, { open: true }),
        }),
        ball: o.circle(g, { class: "ball", r: "8", fill: racer.color, stroke: "white", "stroke-width": "2" }),
        // where a ball went when it left the map: the ball waits at the edge, named
        away: o.text(g, {
          class: "away", "font-size": "14", "font-weight": "600", fill: "#1b1f24", visibility: "hidden",
          stroke: "white", "stroke-width": "3", "paint-order": "stroke", // readable over the lines
        }),
        ...this.averageMarks(g),
      };
    });
  }

  // --- an averaging optimizer's averaged point (ASGD's ax: the step record's `averages`) ----

  /** A racer's average in its group `g`: a faint path and a hollow ring around where it is. */
  averageMarks(g) {
    const o = this.overlay;
    return {
      averagePath: o.polyline(g, { class: "average-path", "stroke-width": "1.5", opacity: "0.45" }),
      average: o.circle(g, { class: "average", r: "12", fill: "none", stroke: "currentColor", "stroke-width": "2.5" }),
    };
  }

  /** Draw a racer's `averages` (null entries: none yet, or a rule without an average). */
  drawAverage(marks, averages) {
    const o = this.overlay;
    const shown = (averages || []).filter((a) => a !== null);
    const last = shown.length ? shown[shown.length - 1] : null;
    marks.averagePath.setAttribute("points", o.points(shown.map((a) => a[0]), shown.map((a) => a[1])));
    o.place(marks.average, last && last[0], last && last[1]);
  }

  setView(view) {
    this.view = view;
    const is3d = view === "3d";
    this.map.hidden = is3d;
    this.overlay.svg.style.display = is3d ? "none" : "";
    this.scene.hidden = !is3d;
    return this.rebuild(() => (is3d ? this.draw3d() : window.Plotly.Plots.resize(this.map)));
  }

  setArrows(on) {
    this.arrows = on;
    this.forget();
  }

  /** Large type for a projector (the marks over the map thicken through CSS). */
  setProjector(on) {
    this.fontSize = on ? 22 : 15;
    window.Plotly.relayout(this.map, { "font.size": this.fontSize });
  }

  /** The 3D scene: the surface (coloured like the map), the minima, a path and ball per racer. */
  async draw3d() {
    await plotly3d();
    const grid = this.grid;
    const minima = this.surface.minima;
    const traces = [
      {
        type: "surface",
        name: "landscape",
        x: grid.x,
        y: grid.y,
        z: grid.f,
        surfacecolor: this.colours.z,
        colorscale: CONTOUR_SCALE,
        showscale: false,
        opacity: 0.95,
        hovertemplate: "x = %{x:.3f}<br>y = %{y:.3f}<br>f = %{z:.4g}<extra>click to start here</extra>",
      },
      {
        type: "scatter3d",
        x: minima.map((m) => m.position[0]),
        y: minima.map((m) => m.position[1]),
        z: minima.map((m) => m.value + this.lift3d),
        mode: "markers",
        name: "minima",
        marker: {
          size: minima.map((m) => (m.kind === "global" ? 7 : 4)),
          color: minima.map((m) => MINIMUM_COLORS[m.kind]),
          symbol: "diamond",
        },
        hoverinfo: "skip",
      },
      {
        type: "scatter3d", x: [], y: [], z: [], mode: "markers", name: "start",
        marker: { size: 5, color: "#222", symbol: "circle-open" }, hoverinfo: "skip",
      },
    ];
    for (const racer of this.racers) {
      traces.push(
        { type: "scatter3d", x: [], y: [], z: [], mode: "lines", name: racer.label,
          line: { color: racer.color, width: 6, dash: racer.plotlyDash }, hoverinfo: "skip" },
        { type: "scatter3d", x: [], y: [], z: [], mode: "markers", name: `${racer.label} ball`,
          marker: { size: 7, color: racer.color, line: { color: "white", width: 1 } }, hoverinfo: "skip" },
      );
    }
    const [xr, yr] = this.surface.domain;
    const layout = {
      margin: { l: 0, r: 0, t: 0, b: 0 },
      showlegend: false,
      font: { size: 14 },
      scene: {
        xaxis: { title: { text: coordinateNames(this.surface)[0] }, range: xr },
        yaxis: { title: { text: coordinateNames(this.surface)[1] }, range: yr },
        zaxis: { title: { text: "f" } },
        aspectmode: "manual",
        aspectratio: { x: 1, y: (yr[1] - yr[0]) / (xr[1] - xr[0]), z: 0.6 },
        // the way the user last turned it (a new surface or new racers keep the view)
        camera: this.camera3d(),
      },
    };
    return window.Plotly.react(this.scene, traces, layout, { displayModeBar: false, responsive: true }).then(() => {
      if (!this.scene.dataset.wired) {
        this.scene.dataset.wired = "true";
        this.wirePick3d();
      }
    });
  }

  /** The 3D camera: as the user or a relayout left it, else the first view. */
  camera3d() {
    const scene = this.scene.layout && this.scene.layout.scene;
    return (scene && scene.camera) || { eye: { x: 1.25, y: -1.25, z: 0.95 } };
  }

  /**
   * Draw the racers' paths so far: `tracks[i]` belongs to the i-th racer of setRacers and
   * `start` is the shared start.  Racers without new steps are left alone.
   */
  update(tracks, start) {
    if (this.busy || !this.overlay || !this.overlay.mapped) return;
    if (this.view === "3d") this.update3d(tracks, start);
    else this.updateMap(tracks, start);
  }

  updateMap(tracks, start) {
    const o = this.overlay;
    const startKey = start.join(",");
    if (this.drawnStart !== startKey) {
      this.drawnStart = startKey;
      o.place(this.startMark, start[0], start[1]);
    }
    tracks.forEach((track, r) => {
      const version = `${track.length}:${track.status}:${this.arrows}`;
      const marks = this.marks[r];
      if (!marks || this.drawn.get(r) === version) return;
      this.drawn.set(r, version);
      const { positions, gradients } = track.trace;
      const n = positions.length;
      const at = n ? positions[n - 1] : null;
      marks.path.setAttribute("points", o.points(positions.map((p) => p[0]), positions.map((p) => p[1])));
      marks.path.dataset.points = String(n);
      const [[x0, x1], [y0, y1]] = this.surface.domain;
      const off = at && (at[0] < x0 || at[0] > x1 || at[1] < y0 || at[1] > y1);
      const shown = off ? [Math.min(x1, Math.max(x0, at[0])), Math.min(y1, Math.max(y0, at[1]))] : at;
      o.place(marks.ball, shown && shown[0], shown && shown[1]);
      marks.ball.classList.toggle("off-map", Boolean(off));
      marks.ball.dataset.x = at ? String(at[0]) : "";
      marks.ball.dataset.y = at ? String(at[1]) : "";
      this.drawAverage(marks, track.trace.averages);
      // beside the ball, towards the middle of the map, and kept inside the plot at a corner
      const leftwards = off && shown[0] > (x0 + x1) / 2;
      marks.away.setAttribute("text-anchor", leftwards ? "end" : "start");
      const words = off ? `off the map at (${formatNumber(at[0], 3)}, ${formatNumber(at[1], 3)})` : "";
      o.label(marks.away, shown && shown[0], shown && shown[1], words, { dx: leftwards ? -AWAY_PX : AWAY_PX, dy: 5, inside: true });
      let gradientTip = null;
      let velocityTip = null;
      if (this.arrows && at && track.status !== "diverged") {
        const g = gradients[n - 1];
        const maxLength = ARROW_MAX * this.span;
        gradientTip = arrowTip(at, [-g[0], -g[1]], this.gradientRef, maxLength);
        if (n > 1 && hasMomentum(track)) {
          const prev = positions[n - 2];
          velocityTip = arrowTip(at, [at[0] - prev[0], at[1] - prev[1]], STEP_REF * this.span, maxLength);
        }
      }
      o.segment(marks.gradient, gradientTip && at, gradientTip);
      o.segment(marks.gradientCore, gradientTip && at, gradientTip);
      o.segment(marks.velocity, velocityTip && at, velocityTip);
      this.drawSam(marks, track, Boolean(this.arrows && at && track.status !== "diverged"));
    });
  }

  /** SAM's climb, ascent point and the gradient there for the track's last step (hidden
   * for a run without SAM, at the start, with the arrows off, or once it has diverged). */
  drawSam(marks, track, arrows) {
    const o = this.overlay;
    const { positions, ascent_points: ascents, ascent_gradients: slopes } = track.trace;
    const n = positions.length;
    const ascent = arrows && n > 1 && ascents ? ascents[n - 1] : null;
    const from = ascent ? positions[n - 2] : null;
    const g = ascent ? slopes[n - 1] : null;
    const tip = g && g.every(Number.isFinite) ? arrowTip(ascent, [-g[0], -g[1]], this.gradientRef, ARROW_MAX * this.span) : null;
    o.segment(marks.samClimb, from, ascent);
    o.place(marks.samAscent, ascent && ascent[0], ascent && ascent[1]);
    o.segment(marks.samGradient, tip && ascent, tip);
  }

  /**
   * The 3D scene's paths and balls. Plotly redraws a WebGL scene whole (the surface too) on
   * any change, so while a race plays it is redrawn at most every MIN_3D_MS, or twice as
   * long as the last redraw took, whichever is longer: between redraws the page stays free
   * to turn the scene at full speed. A skipped frame asks for a draw when the wait is over.
   */
  update3d(tracks, start) {
    // While a drag turns the scene, Plotly keeps the camera to itself until the pointer
    // comes up, and a redraw put it back where the layout had it: a playing race undid
    // every turn. The paths wait for the drag to end (wirePick3d asks for a draw then).
    if (this.turning) return;
    const now = performance.now();
    if (now < this.next3d) {
      this.later3d ??= setTimeout(() => {
        this.later3d = null;
        this.onRedrawNeeded();
      }, this.next3d - now);
      return;
    }
    const data = { x: [], y: [], z: [] };
    const indices = [];
    const startKey = start.join(",");
    if (this.drawnStart !== startKey) {
      this.drawnStart = startKey;
      const { x, y, f } = this.grid;
      data.x.push([start[0]]);
      data.y.push([start[1]]);
      data.z.push([(f[nearestIndex(y, start[1])][nearestIndex(x, start[0])] ?? 0) + this.lift3d]);
      indices.push(2);
    }
    tracks.forEach((track, r) => {
      const version = `${track.length}:${track.status}`;
      if (this.drawn.get(r) === version) return;
      this.drawn.set(r, version);
      const { positions, losses } = track.trace;
      const n = positions.length;
      const lifted = losses.map((v) => v + this.lift3d);
      data.x.push(positions.map((p) => p[0]), n ? [positions[n - 1][0]] : []);
      data.y.push(positions.map((p) => p[1]), n ? [positions[n - 1][1]] : []);
      data.z.push(lifted, n ? [lifted[n - 1]] : []);
      indices.push(3 + 2 * r, 4 + 2 * r);
    });
    if (!indices.length) return;
    window.Plotly.restyle(this.scene, data, indices);
    const took = performance.now() - now;
    this.next3d = performance.now() + Math.max(MIN_3D_MS, 2 * took);
  }
}
