// What happened to a ball, in words: the status line of each run. The engine decides what
// happened (the `outcome` of a run result or `end` event); this module only words it.

import { formatNumber } from "./format.js";
import { l2Strength } from "./l2.js";
import { coordinateNames } from "./landscape.js";

/** "x = 1.5" or "(x, y) = (1, 2)"; a model's weights by their names: "(w, b) = (1, 2)". */
export function formatPoint(position, names = ["x", "y"]) {
  if (position.length === 1) return `${names[0]} = ${formatNumber(position[0])}`;
  return `(${names.join(", ")}) = (${position.map((v) => formatNumber(v)).join(", ")})`;
}

function stepsText(step) {
  return `${step} step${step === 1 ? "" : "s"}`;
}

/** One sentence per outcome (the engine's list, app/engine/run/outcome.py); `c` holds what
 * the sentences need (see describe()). */
const SENTENCES = {
  global_minimum: (c) => `Reached the global minimum at ${c.at} after ${c.steps}.`,
  local_minimum: (c) =>
    c.minimum
      ? `Settled in a local minimum at ${c.at} after ${c.steps} — the global minimum is at ${c.global}.`
      : `Settled in a valley at ${c.at} after ${c.steps}: the lowest point nearby lies outside the drawn landscape.`,
  saddle: (c) =>
    `Stuck at ${c.at} after ${c.steps}: the gradient vanishes here, but it is no minimum — a saddle point.`,
  maximum: (c) =>
    c.maximize
      ? `Reached a hilltop at ${c.at} after ${c.steps}: gradient ascent climbs to a maximum.`
      : `Came to rest on a hilltop at ${c.at} after ${c.steps}: the gradient vanishes at a maximum too, and this method heads for any flat point.`,
  plateau: (c) =>
    `Stranded on a plateau at ${c.at} after ${c.steps}: the gradient here is too small to move the ball, and no ${c.maximize ? "hilltop" : "minimum"} is near.`,
  ran_away: (c) => {
    if (c.maximize) return `Ran away uphill ${c.when}: in this direction the surface climbs forever.`;
    if (c.noMinimum) return `Ran away downhill ${c.when}. ${c.noMinimum}`;
    return `Ran away downhill ${c.when}: in this direction the surface has no bottom.`;
  },
  diverged: (c) =>
    c.float16
      ? `Diverged ${c.when}: a float16 gradient may have overflowed (above 65504) — try a smaller loss scale or learning rate.`
      : `Diverged ${c.when}: the step threw the ball off. The learning rate is too large.`,
  float16_stuck: (c) =>
    `Stuck at ${c.at}: float16 rounds every gradient component to zero here, so the optimizer sees flat ground. A loss scale (try 1024×) lifts the gradient back into float16's range.`,
  stalled: (c) => {
    if (c.l2) {
      return `Came to rest at ${c.at} after ${c.steps}, where weight decay's pull toward 0 balances the slope: the lowest point of f + (λ/2)·‖x‖², not a minimum of f itself.`;
    }
    const why = c.lbfgs ? " (L-BFGS: its tolerance_change test ends each step)" : "";
    return `Stopped at ${c.at} after ${c.steps}, short of a ${c.maximize ? "hilltop" : "minimum"}: the steps have shrunk to nothing${why}.`;
  },
  bouncing: (c) =>
    `Still bouncing after ${c.steps}, now at ${c.at}: the learning rate is too large to settle. Press Play to go on.`,
  crawling: (c) =>
    `Still crawling after ${c.steps}, now at ${c.at}: the steps are small here. Press Play to go on.`,
  jittering: (c) =>
    c.minimum
      ? `Jittering around the ${c.minimum.kind} minimum at ${formatPoint(c.minimum.position, c.names)} after ${c.steps}: the noise keeps the ball moving, so it never settles exactly.`
      : `Jittering at ${c.at} after ${c.steps}: the noise keeps the ball moving. Press Play to go on.`,
};

/** One sentence on a track (see track.js) for a student; `playing` while its stream runs. */
export function describe(track, { playing }) {
  const last = track.last();
  if (!last) return "";
  const step = last.step;
  const names = coordinateNames(track.surface);
  const at = formatPoint(last.position, names);
  // still rolling: no outcome yet (a racer that stopped mid-race has its own)
  if (playing && !track.outcome) return `Rolling… step ${step} at ${at}`;
  if (!track.outcome) return step === 0 ? "Ready at the start." : `Paused at step ${step}, ${at}.`;
  const { minima } = track.surface;
  const global = minima.find((m) => m.kind === "global");
  const minimum = track.outcome.minimum === null ? null : minima[track.outcome.minimum];
  return SENTENCES[track.outcome.kind]({
    at,
    steps: stepsText(step),
    // a rejected step: the ball stays where it was before it
    when: track.status === "diverged" ? `on step ${step + 1}, from ${at}` : `after ${stepsText(step)}, past ${at}`,
    minimum,
    global: global ? formatPoint(global.position, names) : "",
    names,
    maximize: Boolean(track.hyperparameters.maximize),
    l2: l2Strength(track.optimizer, track.hyperparameters) > 0,
    lbfgs: track.optimizer.id === "lbfgs",
    float16: track.options && track.options.precision === "float16",
    noMinimum: track.surface.no_minimum || "", // the engine's reason there is none at all
  });
}

// --- many balls at once (the whole-landscape maps) ----------------------------------------

/** A minimum by its place in the surface's list: "the global minimum", "local minimum 3". */
export function minimumName(minima, i) {
  const m = minima[i];
  return m.kind === "global" ? "the global minimum" : `local minimum ${i + 1}`;
}

/** What a share of the balls did, after "62% of the starts …" (the engine's outcome words). */
const SHARES = {
  global_minimum: (c) => `reach the global minimum at ${c.at}`,
  local_minimum: (c) =>
    c.minimum ? `settle in ${c.name} at ${c.at}` : "settle in a valley whose lowest point lies outside the drawn landscape",
  saddle: () => "stop at a saddle point: the gradient vanishes, but it is no minimum",
  maximum: (c) => (c.maximize ? "climb to a hilltop" : "come to rest on a hilltop"),
  plateau: () => "are stranded on a plateau: the gradient is too small to move them",
  ran_away: (c) => (c.maximize ? "run away uphill: the surface climbs forever" : "run away downhill: the surface has no bottom"),
  diverged: () => "diverge: the step throws the ball off",
  float16_stuck: () => "are stuck: float16 rounds their gradient to zero",
  stalled: () => "stop short of a minimum: their steps shrink to nothing",
  bouncing: (c) => `are still bouncing after ${c.steps}: the learning rate is too large to settle`,
  crawling: (c) => `are still crawling after ${c.steps}: the steps are small there`,
  jittering: (c) =>
    c.minimum ? `jitter around ${c.name} at ${c.at}: the noise keeps them moving` : "keep jittering: the noise keeps them moving",
};

function percent(fraction) {
  if (fraction > 0 && fraction < 0.005) return "under 1%";
  return `${Math.round(100 * fraction)}%`;
}

/** What balls with this outcome and minimum did, as a verb phrase (plural). */
export function shareWords(outcome, minimumIndex, minima, { steps, maximize = false, names = undefined }) {
  const minimum = minimumIndex === null || minimumIndex === undefined ? null : minima[minimumIndex];
  return SHARES[outcome]({
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
