// The "Whole landscape" section of both simulator pages: the basin map, the learning-rate
// sweep and the trainability map, each a tool of its own over one page adapter.

import { BasinTool } from "./basins.js";
import { formatNumber } from "../format.js";
import { detailOf } from "./maps.js";
import { SweepTool } from "./sweep.js";
import { TrainabilityTool } from "./trainability.js";

/** Whose settings a map used, in words: "Momentum, lr = 0.1". */
export function describeSettings(label, hyperparameters, { withRate = true } = {}) {
  return withRate ? `${label}, lr = ${formatNumber(hyperparameters.lr)}` : label;
}

/**
 * Wire the section under `root` (templates/_maps.html). `host` is the page:
 *   dim                      1 or 2
 *   surface()                the surface's catalog entry
 *   run()                    the chosen ball's run request (track.replayRequest(0))
 *   start()                  its start
 *   optimizer()              its optimizer's catalog entry (for the trainability axes)
 *   label()                  its name ("Gradient descent", "Adam 2")
 *   plot                     the page's plot, with showBasins(layer | null)
 * Clicking a basin cell reaches the page through the plot's own click handler.
 */
export function wireWholeLandscape(root, host) {
  const page = {
    ...host,
    describeRun: ({ withRate = true, without = [] } = {}) =>
      describeSettings(host.label(), host.run().hyperparameters, { withRate: withRate && !without.includes("lr") }),
    optimizerName: () => host.label(),
    detail: () => detailOf(root.querySelector("#maps-detail")),
  };
  const tools = {
    basins: new BasinTool(root.querySelector("#basins-tool"), page),
    sweep: new SweepTool(root.querySelector("#sweep-tool"), page),
    trainability: new TrainabilityTool(root.querySelector("#trainability-tool"), page),
  };
  const rates = () => {
    const lr = host.run().hyperparameters.lr;
    // the 1D page's slider range; in 2D a wide bracket around the racer's rate
    if (host.dim === 1) tools.sweep.setRange(0.01, 1.2);
    else tools.sweep.setRange(lr / 10, lr * 10);
  };
  rates();
  return {
    ...tools,
    /** The chosen ball's optimizer or settings changed. */
    settingsChanged() {
      tools.trainability.refresh();
      rates();
    },
    /** A new surface: the basin map no longer applies. */
    surfaceChanged() {
      tools.basins.clear({ redraw: false });
    },
  };
}
