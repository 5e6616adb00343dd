// What happened, in words: the status line under the plot.

import { formatNumber } from "./format.js";

const NEAR = 1e-3; // how close (relative to the domain) counts as "at" a minimum

function nearestMinimum(x, surface) {
  const [lo, hi] = surface.domain[0];
  let best = null;
  for (const m of surface.minima) {
    const d = Math.abs(m.position[0] - x);
    if (d <= NEAR * (hi - lo) && (!best || d < best.d)) best = { d, m };
  }
  return best && best.m;
}

/** Sign changes in the last steps tell bouncing from crawling. */
function isBouncing(xs) {
  const recent = xs.slice(-21);
  let flips = 0;
  for (let i = 2; i < recent.length; i += 1) {
    if ((recent[i] - recent[i - 1]) * (recent[i - 1] - recent[i - 2]) < 0) flips += 1;
  }
  return flips >= Math.max(2, (recent.length - 2) / 3);
}

export function describe({ status, xs, step, surface, playing }) {
  const x = xs[xs.length - 1];
  const global = surface.minima.find((m) => m.kind === "global");
  const at = `x = ${formatNumber(x)}`;
  if (status === "converged") {
    const m = nearestMinimum(x, surface);
    if (m && m.kind === "global") return `Converged to the global minimum at ${at} after ${step} steps.`;
    if (m) {
      return `Settled in a local minimum at ${at} after ${step} steps — the global minimum is at x = ${formatNumber(global.position[0])}.`;
    }
    return `Came to rest at ${at} after ${step} steps.`;
  }
  if (status === "diverged") {
    return `Diverged after step ${step}: the ball flew off past ${at}. The learning rate is too large.`;
  }
  if (status === "max_steps") {
    return isBouncing(xs)
      ? `Still bouncing after ${step} steps around ${at}: the learning rate is too large to settle. Press Play to go on.`
      : `Still crawling after ${step} steps, now at ${at}: the steps are small here. Press Play to go on.`;
  }
  if (playing) return isBouncing(xs) ? `Bouncing… step ${step} at ${at}` : `Rolling… step ${step} at ${at}`;
  if (step === 0) return "Press Play to let the ball roll, or click the curve to choose where it starts.";
  return `Paused at step ${step}, ${at}.`;
}
