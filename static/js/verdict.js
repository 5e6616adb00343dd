// What happened to a ball, in words: the status line of each run. The engine decides what
// happened (the `outcome` of a run result or `end` event); the server words it
// (app/outcome_words.py); this module picks the variant and fills in the numbers.

import { FACTS } from "./facts.js";
import { formatNumber } from "./format.js";
import { l2Strength } from "./l2.js";
import { coordinateNames, dataSize } from "./landscape.js";

/** "x = 1.5" or "(x, y) = (1, 2)"; a model's weights by their names: "(w, b) = (1, 2)". */
export function formatPoint(position, names = ["x", "y"]) {
  if (position.length === 1) return `${names[0]} = ${formatNumber(position[0])}`;
  return `(${names.join(", ")}) = (${position.map((v) => formatNumber(v)).join(", ")})`;
}

function stepsText(step) {
  return `${step} step${step === 1 ? "" : "s"}`;
}

/**
 * An outcome's words (app/outcome_words.py): of its `variants`, the first whose condition in
 * `c` holds, else the default, with each {name} filled in from `c`.
 */
function worded(variants, c) {
  const holds = {
    maximize: c.maximize,
    without_minimum: !c.minimum,
    float16: c.float16,
    minibatch: c.minibatch,
    l2: c.l2,
    lbfgs: c.lbfgs,
    sam: c.sam,
    no_minimum: Boolean(c.no_minimum),
  };
  const key = Object.keys(variants).find((k) => k !== "default" && holds[k]) || "default";
  return variants[key].replace(/\{(\w+)\}/g, (_, name) => c[name]);
}

/**
 * The engine's running verdict on a track at the step shown ("bouncing so far", "still
 * crawling"), worded by the server (app/outcome_words.py `so_far`); "" while too early.
 */
export function soFar(track) {
  const last = track.last();
  const verdict = last && track.verdictAt(last.step);
  if (!verdict) return "";
  const { minima } = track.surface;
  const minimum = verdict.minimum === null ? null : minima[verdict.minimum];
  const maximize = Boolean(track.hyperparameters.maximize);
  return worded(FACTS.outcomes[verdict.kind].so_far, {
    minimum,
    name: minimum ? minimumName(minima, verdict.minimum) : "",
    goal: FACTS.goals[maximize ? "ascent" : "descent"],
    maximize,
  });
}

/**
 * How a racer's run ended, for a race's status line ("reached the global minimum", worded by
 * the server: app/outcome_words.py `ended`); while it has not ended, its running verdict
 * ("bouncing so far"); "" when there is nothing to say yet.
 */
export function ended(track) {
  if (!track.outcome || track.scrubbed) return soFar(track);
  const { minima } = track.surface;
  const minimum = track.outcome.minimum === null ? null : minima[track.outcome.minimum];
  const maximize = Boolean(track.hyperparameters.maximize);
  return worded(FACTS.outcomes[track.outcome.kind].ended, {
    minimum,
    name: minimum ? minimumName(minima, track.outcome.minimum) : "",
    goal: FACTS.goals[maximize ? "ascent" : "descent"],
    maximize,
    l2: l2Strength(track.optimizer, track.hyperparameters) > 0,
  });
}

function capital(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** One sentence on a track (see track.js) for a student; `playing` while its stream runs. */
export function describe(track, { playing }) {
  const last = track.last();
  if (!last) return "";
  const step = last.step;
  const names = coordinateNames(track.surface);
  const at = formatPoint(last.position, names);
  const verdict = soFar(track);
  // scrubbed back: the step shown, and how the run stood then
  if (track.scrubbed) {
    const then = verdict ? ` — ${verdict}` : "";
    return `Step ${step} of ${track.lastStep}, ${at}${then}. Play goes on from here.`;
  }
  // still rolling: the running verdict (a racer that stopped mid-race has its outcome)
  if (playing && !track.outcome) {
    return verdict ? `${capital(verdict)} — step ${step} at ${at}` : `Rolling… step ${step} at ${at}`;
  }
  if (!track.outcome) {
    if (step === 0) return "Ready at the start.";
    return `Paused at step ${step}, ${at}${verdict ? ` — ${verdict}` : ""}.`;
  }
  const { minima } = track.surface;
  const global = minima.find((m) => m.kind === "global");
  const minimum = track.outcome.minimum === null ? null : minima[track.outcome.minimum];
  const maximize = Boolean(track.hyperparameters.maximize);
  return worded(FACTS.outcomes[track.outcome.kind].sentence, {
    at,
    steps: stepsText(step),
    // a rejected step: the ball stays where it was before it
    when: track.status === "diverged" ? `on step ${step + 1}, from ${at}` : `after ${stepsText(step)}, past ${at}`,
    minimum,
    kind: minimum ? minimum.kind : "",
    minimum_at: minimum ? formatPoint(minimum.position, names) : "",
    global: global ? formatPoint(global.position, names) : "",
    goal: FACTS.goals[maximize ? "ascent" : "descent"],
    maximize,
    l2: l2Strength(track.optimizer, track.hyperparameters) > 0,
    lbfgs: track.optimizer.id === "lbfgs",
    sam: Boolean(track.options && track.options.sam_rho > 0),
    float16: Boolean(track.options && track.options.precision === "float16"),
    // the run's own options: a batch smaller than the model's data set (mini-batches)
    minibatch: Boolean(track.options && track.options.batch_size < dataSize(track.surface)),
    batch_size: track.options ? track.options.batch_size : "",
    no_minimum: track.surface.no_minimum || "", // the engine's reason there is none at all
  });
}

// --- many balls at once (the whole-landscape maps) ----------------------------------------

/** A minimum by its place in the surface's list: "the global minimum", "local minimum 3". */
export function minimumName(minima, i) {
  const m = minima[i];
  return m.kind === "global" ? "the global minimum" : `local minimum ${i + 1}`;
}

function percent(fraction) {
  if (fraction > 0 && fraction < 0.005) return "under 1%";
  return `${Math.round(100 * fraction)}%`;
}

/** What balls with this outcome and minimum did, as a verb phrase (plural). */
export function shareWords(outcome, minimumIndex, minima, { steps, maximize = false, names = undefined }) {
  const minimum = minimumIndex === null || minimumIndex === undefined ? null : minima[minimumIndex];
  return worded(FACTS.outcomes[outcome].share, {
    minimum,
    name: minimum ? minimumName(minima, minimumIndex) : "",
    at: minimum ? formatPoint(minimum.position, names) : "",
    steps: stepsText(steps),
    maximize,
  });
}

/**
 * One line of a map's legend from the server's summary entry {outcome, minimum, count,
 * fraction}: "62% of the starts (248) reach the global minimum at x = -0.628."
 */
export function describeShare(entry, minima, { steps, maximize = false, noun = "starts", names = undefined }) {
  const what = shareWords(entry.outcome, entry.minimum, minima, { steps, maximize, names });
  return `${percent(entry.fraction)} of the ${noun} (${entry.count}) ${what}.`;
}
