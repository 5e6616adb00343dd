// What happened to a ball, in words: the status line of each run.

import { formatNumber } from "./format.js";

const NEAR = 1e-3; // how close (relative to the domain's size) counts as "at" a minimum

export function formatPoint(position) {
  if (position.length === 1) return `x = ${formatNumber(position[0])}`;
  return `(x, y) = (${position.map((v) => formatNumber(v)).join(", ")})`;
}

function distance(a, b) {
  return Math.hypot(...a.map((v, i) => v - b[i]));
}

function nearestMinimum(position, surface) {
  const size = Math.hypot(...surface.domain.map(([lo, hi]) => hi - lo));
  let best = null;
  for (const m of surface.minima) {
    const d = distance(m.position, position);
    if (d <= NEAR * size && (!best || d < best.d)) best = { d, m };
  }
  return best && best.m;
}

/** Steps that keep reversing direction (negative dot product) tell bouncing from crawling. */
export function isBouncing(positions) {
  const recent = positions.slice(-21);
  let flips = 0;
  for (let i = 2; i < recent.length; i += 1) {
    const dot = recent[i].reduce(
      (sum, v, k) => sum + (v - recent[i - 1][k]) * (recent[i - 1][k] - recent[i - 2][k]),
      0,
    );
    if (dot < 0) flips += 1;
  }
  return flips >= Math.max(2, (recent.length - 2) / 3);
}

/** The last steps did not move the ball at all. */
function stalled(positions) {
  const recent = positions.slice(-5);
  return recent.length === 5 && recent.every((p) => p.every((v, k) => v === recent[0][k]));
}

/** One sentence on a track (see track.js) for a student; `playing` while its stream runs. */
export function describe(track, { playing }) {
  const { positions, losses } = track.trace;
  const last = track.last();
  const step = last ? last.step : 0;
  if (!last) return "";
  const at = formatPoint(last.position);
  const surface = track.surface;
  const global = surface.minima.find((m) => m.kind === "global");
  if (last.underflow && last.underflow === last.gradient.length && (track.status || !playing)) {
    return `Stuck at ${at}: float16 rounds every gradient component to zero here, so the optimizer sees flat ground. A loss scale (try 1024×) lifts the gradient back into float16's range.`;
  }
  if (track.status === "converged") {
    const m = nearestMinimum(last.position, surface);
    if (m && m.kind === "global") return `Converged to the global minimum at ${at} after ${step} steps.`;
    if (m) {
      return `Settled in a local minimum at ${at} after ${step} steps — the global minimum is at ${formatPoint(global.position)}.`;
    }
    if (surface.dim > 1) {
      return `Stuck at ${at} after ${step} steps: the gradient vanishes here, but it is no minimum — a saddle point.`;
    }
    return `Came to rest at ${at} after ${step} steps.`;
  }
  if (track.status === "diverged") {
    if (track.options && track.options.precision === "float16") {
      return `Diverged after step ${step}, past ${at}: a float16 gradient may have overflowed (above 65504) — try a smaller loss scale or learning rate.`;
    }
    if (!surface.minima.length && losses[losses.length - 1] < losses[0]) {
      return `Ran away downhill after step ${step}, past ${at}: this surface has no bottom.`;
    }
    return `Diverged after step ${step}: the ball flew off past ${at}. The learning rate is too large.`;
  }
  if (track.status === "max_steps") {
    if (stalled(positions)) {
      return `Stopped at ${at} after ${step} steps, short of a minimum: the steps have shrunk to nothing (L-BFGS: its tolerance_change test ends each step).`;
    }
    return isBouncing(positions)
      ? `Still bouncing after ${step} steps around ${at}: the learning rate is too large to settle. Press Play to go on.`
      : `Still crawling after ${step} steps, now at ${at}: the steps are small here. Press Play to go on.`;
  }
  if (playing) return isBouncing(positions) ? `Bouncing… step ${step} at ${at}` : `Rolling… step ${step} at ${at}`;
  if (step === 0) return "Ready at the start.";
  return `Paused at step ${step}, ${at}.`;
}
