// The basin map: one ball from every point of a grid over the drawn landscape, coloured by
// where it ended up (the server's outcome and minimum for each start), drawn on the page's
// own plot, with a legend worded from the server's summary. Clicking a cell starts a ball there.

import { categories, categoryIndex, discreteScale, minimumColour } from "./mapcolours.js";
import { MAP_STEPS, MapJob, mapBody, mapURL } from "./maps.js";
import { describeShare, formatPoint, shareWords } from "../verdict.js";
import { coordinateNames } from "../landscape.js";

/**
 * `panel` is the tool's section (templates/_maps.html); `host` is the page:
 * {dim, surface(), run(), describeRun(), detail(), plot} where `run()` is the chosen ball's run
 * request, `describeRun()` says whose settings those are, `detail()` the Detail picker's level
 * (the server sizes the grid for it), and `plot.showBasins(layer | null)` draws.
 */
export class BasinTool {
  constructor(panel, host) {
    this.panel = panel;
    this.host = host;
    this.job = new MapJob(panel, { working: "Rolling a ball from every start…" });
    this.legend = panel.querySelector(".map-legend");
    this.clearButton = panel.querySelector(".map-clear");
    panel.querySelector(".map-compute").addEventListener("click", () => this.compute());
    this.clearButton.addEventListener("click", () => this.clear());
  }

  async compute() {
    const { dim } = this.host;
    const run = this.host.run();
    const body = { ...mapBody(run), detail: this.host.detail() };
    const about = this.host.describeRun();
    const result = await this.job.run(mapURL("basins"), body);
    if (!result) return;
    await this.show(result, { about, maximize: Boolean(run.hyperparameters.maximize) });
  }

  /** Draw a basin map answer and word its summary. */
  async show(result, { about, maximize }) {
    const { minima } = result;
    const names = coordinateNames(this.host.surface());
    const colours = categories(minima).map((c) => c.color);
    const cell = (outcome, minimum, x, y) => {
      const where = formatPoint(y === undefined ? [x] : [x, y], names);
      return `Balls from ${where} ${shareWords(outcome, minimum, minima, { steps: MAP_STEPS, maximize, names })}`;
    };
    let z;
    let text;
    if (this.host.dim === 1) {
      z = result.outcome.map((o, i) => categoryIndex(minima, o, result.minimum[i]));
      text = result.outcome.map((o, i) => cell(o, result.minimum[i], result.x[i]));
    } else {
      z = result.outcome.map((row, j) => row.map((o, i) => categoryIndex(minima, o, result.minimum[j][i])));
      text = result.outcome.map((row, j) => row.map((o, i) => cell(o, result.minimum[j][i], result.x[i], result.y[j])));
    }
    await this.host.plot.showBasins({
      x: result.x,
      y: result.y,
      z,
      text,
      colorscale: discreteScale(colours),
      zmin: -0.5,
      zmax: colours.length - 0.5,
      minimaColours: minima.map((_, i) => minimumColour(minima, i)),
    });
    const starts = this.host.dim === 1 ? result.x.length : result.x.length * result.y.length;
    this.panel.querySelector(".map-for").textContent =
      `${starts} starts with ${about}; each ball took up to ${MAP_STEPS} steps.`;
    this.legend.replaceChildren(
      ...result.summary.map((entry) => {
        const item = document.createElement("li");
        item.style.setProperty("--swatch", colours[categoryIndex(minima, entry.outcome, entry.minimum)]);
        item.textContent = describeShare(entry, minima, { steps: MAP_STEPS, maximize, names });
        return item;
      }),
    );
    this.clearButton.disabled = false;
    this.panel.dataset.shown = "true";
  }

  /** Take the map off the plot (a new surface: it no longer applies). */
  clear({ redraw = true } = {}) {
    this.job.cancel();
    this.job.say("");
    if (redraw) this.host.plot.showBasins(null);
    this.legend.replaceChildren();
    this.panel.querySelector(".map-for").textContent = "";
    this.clearButton.disabled = true;
    delete this.panel.dataset.shown;
  }
}
