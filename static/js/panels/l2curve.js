// Roll Downhill's L2 box (#l2) and note: with coupled weight decay λ the ball descends
// f + (λ/2)·x², drawn on request over the curve.

import { formatNumber } from "../format.js";
import { l2Strength, lowestPoint, regularized1d } from "../l2.js";

const NO_DECAY =
  "Set a weight decay in the optimizer settings. Most optimizers add λ·x to the gradient, which is descending this landscape; AdamW and Lion decouple it and have none.";

/** The box enabled when there is a coupled decay; ticked, the curve and where its lowest point went. */
export function showL2Curve(plot, { grid, surface, optimizer, hyperparameters }) {
  const lambda = l2Strength(optimizer, hyperparameters);
  const box = document.getElementById("l2");
  const note = document.getElementById("l2-note");
  box.disabled = lambda === 0 || Boolean(box.dataset.locked);
  if (lambda === 0 || !box.checked) {
    plot.showL2(null, null);
    note.textContent = lambda === 0 ? NO_DECAY : "";
    return;
  }
  const curve = { x: grid.x, y: regularized1d(grid.x, grid.f, lambda) };
  const lowest = lowestPoint(curve.x, curve.y);
  const before = surface.minima.find((m) => m.kind === "global").position[0];
  plot.showL2(curve, lowest);
  note.textContent =
    `With λ = ${formatNumber(lambda)} the lowest point moves from x = ${formatNumber(before)} ` +
    `to x = ${formatNumber(lowest.x)}: the penalty pulls it toward 0.`;
}
