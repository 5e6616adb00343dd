// The colours of the whole-landscape maps: one per minimum (the first global minimum keeps the
// green of its marker; the others, global or local, each a colour of their own, so Himmelblau's
// four equally deep valleys are four basins), and one each for balls that had not settled, that stopped away from any
// minimum, and that diverged or ran away. What happened to each ball is the server's word
// (its `outcome` and `minimum`); this module only picks the colour it is shown in.

const GLOBAL = "#1a9850"; // the global minimum's marker colour (plot1d.js, plot2d.js)
// the other minima, in their order in the surface's list (cycled on a surface with many)
const LOCALS = ["#0072B2", "#CC79A7", "#56B4E9", "#9467bd", "#8c510a", "#17becf", "#c51b7d", "#6a51a3"];
export const NOT_SETTLED = { key: "not_settled", color: "#F0E442", label: "not settled (crawling, bouncing, jittering)" };
export const STOPPED = { key: "stopped", color: "#bdbdbd", label: "stopped away from a minimum" };
export const AWAY = { key: "away", color: "#2b2b2b", label: "diverged or ran away" };

const SETTLED = new Set(["global_minimum", "local_minimum", "jittering"]);
const MOVING = new Set(["bouncing", "crawling", "jittering"]);
const GONE = new Set(["diverged", "ran_away"]);

/** The colour of minimum `i` of `minima`. */
export function minimumColour(minima, i) {
  const first = minima.findIndex((m) => m.kind === "global");
  if (i === first) return GLOBAL;
  const before = i - (first >= 0 && first < i ? 1 : 0);
  return LOCALS[before % LOCALS.length];
}

/**
 * The categories a map's cells fall in, in a fixed order: each minimum, then not settled,
 * stopped, diverged or ran away. Each is {key, color, label?, minimum?}.
 */
export function categories(minima) {
  const list = minima.map((m, i) => ({ key: `minimum-${i}`, color: minimumColour(minima, i), minimum: i }));
  return [...list, NOT_SETTLED, STOPPED, AWAY];
}

/** The index into categories(minima) of a ball with this outcome and minimum. */
export function categoryIndex(minima, outcome, minimum) {
  if (minimum !== null && minimum !== undefined && SETTLED.has(outcome)) return minimum;
  if (GONE.has(outcome)) return minima.length + 2;
  if (MOVING.has(outcome)) return minima.length;
  return minima.length + 1;
}

/** A Plotly colour scale that shows category c at z = c (z from 0 to n − 1) in flat colours. */
export function discreteScale(colours) {
  const n = colours.length;
  if (n === 1) return [[0, colours[0]], [1, colours[0]]];
  const scale = [];
  colours.forEach((c, i) => {
    scale.push([i / n, c], [(i + 1) / n, c]);
  });
  return scale;
}
