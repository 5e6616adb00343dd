// The numbers under a ball: Step #, position, loss and gradient, as a student reads them.

import { formatNumber } from "../format.js";
import { coordinateNames } from "../landscape.js";

function gradientText(g) {
  return formatNumber(g.length === 1 ? g[0] : Math.hypot(...g));
}

/**
 * Text for each readout of a track: 1D shows f′(x) with its sign, 2D the norm ‖∇f‖; `lr`
 * is the learning rate of the last step (after any schedule), `applied` the gradient the
 * optimizer was given, `evaluations` the function evaluations so far, `batch` the last step's
 * epoch and mini-batch on a model landscape, `step_size` the step size the optimizer
 * estimated for itself (Prodigy's d).
 */
export function readouts(track) {
  const last = track.last();
  if (!last) {
    return { step: "0", position: "–", loss: "–", gradient: "–", lr: "–", applied: "–", evaluations: "0", batch: "–", step_size: "–" };
  }
  const g = last.gradient;
  let applied = "–";
  if (last.applied) {
    applied = last.applied.some((v) => v === null) ? "not finite" : gradientText(last.applied);
    if (last.underflow) {
      applied += last.underflow === g.length ? " (float16 underflow)" : ` (${last.underflow} of ${g.length} underflowed in float16)`;
    }
  }
  return {
    lr: last.lr === null || last.lr === undefined ? "–" : formatNumber(last.lr),
    applied,
    evaluations: String(track.evaluationsTotal),
    step: String(last.step),
    position:
      last.position.length === 1
        ? formatNumber(last.position[0])
        : `(${last.position.map((v) => formatNumber(v, 3)).join(", ")})`,
    loss: formatNumber(last.loss),
    gradient: gradientText(g),
    batch: last.epoch
      ? `epoch ${last.epoch} · batch ${last.batch} (${last.batchPoints.length} point${last.batchPoints.length === 1 ? "" : "s"})`
      : "–",
    step_size: formatNumber(last.stepSize),
  };
}

// Readouts that mean something only when a setting gives them meaning: shown only when the
// server sends their field (not one null) — a schedule, training options, L-BFGS, mini-batches,
// an optimizer that estimates its own step size.
const CARRIED_BY = {
  lr: "lrs", applied: "applied_gradients", evaluations: "evaluations", batch: "epochs", step_size: "step_sizes",
};

/** Write readouts into elements found by `data-readout="step|position|loss|gradient|…"`. */
export function showReadouts(container, track) {
  const values = readouts(track);
  const names = coordinateNames(track.surface); // x (and y), or a model's weights
  const where = names.length === 1 ? `Position ${names[0]}` : `Position (${names.join(", ")})`;
  for (const el of container.querySelectorAll("[data-readout]")) {
    el.textContent = values[el.dataset.readout];
    // the labels name the coordinates as the landscape does: "Loss f(w)" on a model
    const label = el.previousElementSibling;
    label.dataset.label ??= label.textContent;
    label.textContent = el.dataset.readout === "position" ? where : label.dataset.label.replace("(x)", `(${names[0]})`);
    const field = CARRIED_BY[el.dataset.readout];
    if (field) el.parentElement.hidden = !track.carries[field];
  }
}
