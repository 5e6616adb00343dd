// The step size an optimizer estimates for itself (Prodigy's d, the step record's
// `step_sizes`), one line per racer, in a small chart of its own under the loss chart: d grows
// by decades (from 1e-6 to about 1 in the lesson), so its axis is logarithmic, and its step
// axis is the loss chart's, so the two read together. Hidden until a run reports d: the server
// sends the field as null for every other optimizer.
//
// As on the loss chart, Plotly draws the axes and an overlay (overlay.js) the lines; the axis
// grows in whole decades, so Plotly relays out only a few times per race.

import { chartOverlay, decadeStep } from "./overlay.js";

const FIRST_DECADES = [-6, 1]; // Prodigy's d₀ (1e-6) up to a distance of 10
const MOST_LABELS = 4; // a short chart: a label every k-th power of ten, at most this many

export class StepSizeChart {
  /** `element`, the Plotly div, inside its part (`#step-size-part`: the title and caption). */
  constructor(element, { onRedrawNeeded = () => {} } = {}) {
    this.element = element;
    this.part = element.closest("#step-size-part");
    this.onRedrawNeeded = onRedrawNeeded;
    this.racers = [];
    this.lines = [];
    this.drawn = new Map();
    this.overlay = null;
    this.rebuild = true; // new racers or just shown: Plotly lays the axes out afresh
    this.building = false;
  }

  /** A new set of racers ([{color, dash}]): their lines are rebuilt when next drawn, the
   * plot area as wide as the loss chart's (`margin`: its left and right margins). */
  reset(racers, margin) {
    this.racers = racers;
    this.margin = margin;
    this.rebuild = true;
  }

  /**
   * Show the chart while some racer's run reports d (the tracks just cleared report nothing
   * yet: it stays as it was, so a Reset does not make the page jump) and draw each line on the
   * step axis `xRange` (the loss chart's).
   */
  update(tracks, xRange) {
    const known = tracks.filter((track) => track.length);
    if (known.length) {
      const shown = known.some((track) => track.carries.step_sizes);
      if (shown === this.part.hidden) {
        this.part.hidden = !shown;
        this.rebuild = shown;
      }
    }
    if (this.part.hidden || this.building) return;
    if (this.rebuild) {
      this.build(xRange);
      return;
    }
    if (!this.overlay.mapped) return;
    // a ball started over or scrubbed back: the axis starts over with it, as the loss chart's
    const restart = tracks.some((track, i) => track.length < (this.drawn.get(i) ?? 0));
    if (this.fitAxes(tracks, xRange, restart)) return; // the relayout redraws every line after it
    tracks.forEach((track, i) => {
      const line = this.lines[i];
      if (!line || this.drawn.get(i) === track.length) return;
      this.drawn.set(i, track.length);
      const values = track.trace.step_sizes.map((v) => (v > 0 ? v : null)); // null: a start
      line.setAttribute("points", this.overlay.points(track.trace.steps, values));
      line.dataset.points = String(values.filter((v) => v !== null).length);
    });
  }

  /** Lay the axes out (Plotly) and make one line per racer on the overlay. */
  async build(xRange) {
    this.building = true;
    this.rebuild = false;
    this.xRange = [...xRange];
    this.yRange = [...FIRST_DECADES];
    const layout = {
      margin: { ...this.margin, t: 6, b: 42 },
      font: { size: 14 },
      showlegend: false,
      dragmode: false,
      xaxis: { title: { text: "step" }, range: this.xRange, fixedrange: true, zeroline: false },
      yaxis: {
        title: { text: "d (log)" }, type: "log", range: this.yRange, fixedrange: true,
        exponentformat: "power", dtick: decadeStep(this.yRange, MOST_LABELS),
      },
      plot_bgcolor: "#fbfbfd",
    };
    await window.Plotly.react(this.element, [], layout, { displayModeBar: false, responsive: true });
    const overlay = chartOverlay(this);
    this.lines = overlay.racerLines(overlay.group("lines"), this.racers, (r) => ({
      class: "step-size-line", "stroke-width": "2.5", "stroke-dasharray": r.dash,
    }));
    this.drawn.clear();
    this.building = false;
    this.onRedrawNeeded();
  }

  /** Follow the loss chart's step axis, and grow the log axis by whole decades to hold d
   * (`restart`: from its first range). */
  fitAxes(tracks, xRange, restart) {
    const update = {};
    if (xRange[1] !== this.xRange[1]) {
      this.xRange = [...xRange];
      update["xaxis.range"] = this.xRange;
    }
    let [lo, hi] = restart ? FIRST_DECADES : this.yRange;
    for (const track of tracks) {
      for (const v of track.trace.step_sizes) {
        if (!(v > 0) || !Number.isFinite(v)) continue;
        lo = Math.min(lo, Math.floor(Math.log10(v)));
        hi = Math.max(hi, Math.ceil(Math.log10(v)));
      }
    }
    if (lo !== this.yRange[0] || hi !== this.yRange[1]) {
      this.yRange = [lo, hi];
      update["yaxis.range"] = this.yRange;
      update["yaxis.dtick"] = decadeStep(this.yRange, MOST_LABELS);
    }
    if (!Object.keys(update).length) return false;
    window.Plotly.relayout(this.element, update); // the overlay re-maps after it
    return true;
  }
}
