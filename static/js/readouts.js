// The numbers under a ball: Step #, position, loss and gradient, as a student reads them.

import { formatNumber } from "./format.js";

/** Text for each readout of a track: 1D shows f′(x) with its sign, 2D the norm ‖∇f‖. */
export function readouts(track) {
  const last = track.last();
  if (!last) return { step: "0", position: "–", loss: "–", gradient: "–" };
  const g = last.gradient;
  return {
    step: String(last.step),
    position:
      last.position.length === 1
        ? formatNumber(last.position[0])
        : `(${last.position.map((v) => formatNumber(v, 3)).join(", ")})`,
    loss: formatNumber(last.loss),
    gradient: formatNumber(g.length === 1 ? g[0] : Math.hypot(...g)),
  };
}

/** Write readouts into elements found by `data-readout="step|position|loss|gradient"`. */
export function showReadouts(container, track) {
  const values = readouts(track);
  for (const el of container.querySelectorAll("[data-readout]")) {
    el.textContent = values[el.dataset.readout];
  }
}
