// The colours of the whole-landscape maps: one per minimum (the first global minimum keeps the
// green of its marker; the others, global or local, each a colour of their own, so Himmelblau's
// four equally deep valleys are four basins), and one each for balls that had not settled, that stopped away from any
// minimum, and that diverged or ran away. What happened to each ball is the server's word
// (its `outcome` and `minimum`); this module only picks the colour it is shown in.

import { FACTS } from "../facts.js";

const GLOBAL = FACTS.minimumColours.global; // the global minimum's marker colour on the plots
// the other minima, in their order in the surface's list (cycled on a surface with many)
const LOCALS = FACTS.mapMinimumColours;
const GROUPS = Object.fromEntries(
  Object.entries(FACTS.mapGroups).map(([key, { color, label }]) => [key, { key, color, label }]),
);
export const NOT_SETTLED = GROUPS.not_settled;
export const STOPPED = GROUPS.stopped;
export const AWAY = GROUPS.away;

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

/** The index into categories(minima) of a ball with this outcome and minimum (the outcome's
 * `settles` and `group`: app/outcome_words.py). */
export function categoryIndex(minima, outcome, minimum) {
  const { settles, group } = FACTS.outcomes[outcome];
  if (minimum !== null && minimum !== undefined && settles) return minimum;
  return minima.length + [NOT_SETTLED, STOPPED, AWAY].indexOf(GROUPS[group]);
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
