// The network page's one diverging palette: orange for negative, near-white for zero, blue for
// positive (the Okabe–Ito orange and blue of the racers, which colour-blind eyes tell apart).
// A weight's sign in the diagram, a hidden unit's output in its thumbnail and the decision
// map (p of class 1: orange at 0, blue at 1; plots/decision.js) all read from here, so one
// colour means one thing across the page. unitthumbs.js re-exports it for the page.

const NEGATIVE = [213, 94, 0]; // #D55E00
const ZERO = [247, 247, 247];
const POSITIVE = [0, 114, 178]; // #0072B2
const NOTHING = [150, 150, 150]; // a value that is not a number (a diverged run)

// The classes' colours: class 0 and 1 are the palette's two ends (a binary map's p runs
// between them); then the other Okabe–Ito colours, and two more for a CSV file's ten labels.
export const CLASS_COLOURS = [
  "#D55E00",
  "#0072B2",
  "#009E73",
  "#CC79A7",
  "#E69F00",
  "#56B4E9",
  "#F0E442",
  "#000000",
  "#8c510a",
  "#6a51a3",
];

/** The palette at t in [−1, 1] (clamped) as [r, g, b] integers 0–255. */
export function divergingRgb(t) {
  if (!Number.isFinite(t)) return NOTHING;
  const s = Math.max(-1, Math.min(1, t));
  const end = s < 0 ? NEGATIVE : POSITIVE;
  const a = Math.abs(s);
  return [0, 1, 2].map((i) => Math.round(ZERO[i] + (end[i] - ZERO[i]) * a));
}

/** The palette at t as a CSS colour. */
export function divergingColour(t) {
  const [r, g, b] = divergingRgb(t);
  return `rgb(${r},${g},${b})`;
}

/**
 * The palette as a Plotly colour scale over [zmin, zmax]: a heat map of p(class 1) with
 * zmin 0 and zmax 1 is orange where class 0 wins and blue where class 1 does.
 */
export const DIVERGING_SCALE = Array.from({ length: 11 }, (_, i) => [i / 10, divergingColour(i / 5 - 1)]);
