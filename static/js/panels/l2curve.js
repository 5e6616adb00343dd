// Roll Downhill's L2 box (#l2) and note: with coupled weight decay λ the ball descends
// f + (λ/2)·x², drawn on request over the curve, with its lowest point as the server finds it.

import { formatNumber } from "../format.js";
import { l2Strength, regularized1d } from "../l2.js";
import { L2Lowest } from "../net/l2.js";

const NO_DECAY =
  "Set a weight decay in the optimizer settings. Most optimizers add λ·x to the gradient, which is descending this landscape; AdamW and Lion decouple it and have none.";

const reader = new L2Lowest(); // one L2 box per page: an older answer is not shown

/** The box enabled when there is a coupled decay; ticked, the curve and where its lowest point went. */
export async function showL2Curve(plot, { grid, surface, optimizer, hyperparameters }) {
  const lambda = l2Strength(optimizer, hyperparameters);
  const box = document.getElementById("l2");
  const note = document.getElementById("l2-note");
  box.disabled = lambda === 0 || Boolean(box.dataset.locked);
  if (lambda === 0 || !box.checked) {
    reader.forget();
    plot.showL2(null, null);
    note.textContent = lambda === 0 ? NO_DECAY : "";
    return;
  }
  let lowest;
  try {
    lowest = await reader.read(surface, {}, lambda);
  } catch (error) {
    note.textContent = error.message;
    return;
  }
  if (lowest === undefined) return; // a later request, or the box unticked, meanwhile
  const curve = { x: grid.x, y: regularized1d(grid.x, grid.f, lambda) };
  plot.showL2(curve, lowest && { x: lowest.position[0], y: lowest.value });
  const global = surface.minima.find((m) => m.kind === "global");
  const from = global ? ` from x = ${formatNumber(global.position[0])}` : "";
  note.textContent = lowest
    ? `With λ = ${formatNumber(lambda)} the lowest point moves${from} ` +
      `to x = ${formatNumber(lowest.position[0])}: the penalty pulls it toward 0.`
    : `With λ = ${formatNumber(lambda)} this landscape has no lowest point on the plot.`;
}
