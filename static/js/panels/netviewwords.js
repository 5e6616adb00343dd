// The Landscape section's readouts (panels/netlandscape.js): every number of a view's answer
// (POST /api/networks/views) named, with its unit, and the server's yes/no findings in words.
// Nothing is decided here: the barriers, the edge of stability, "goes down all the way" are
// the server's.

import { formatNumber } from "../format.js";

// A loss's unit by the answer's `loss_name`: cross-entropies in nats (natural logarithms), the
// squared error in the squared units of the targets.
const LOSS_UNITS = { "binary cross-entropy": "nats", "cross-entropy": "nats", "mean squared error": "(y units)²" };
const WEIGHT_UNIT = "in weight space"; // a length ‖Δθ‖ over every weight and bias at once

function lossUnit(answer) {
  return LOSS_UNITS[answer.loss_name] || answer.loss_name;
}

/** A value with its unit ("–" for a missing one, with no unit). */
function withUnit(value, unit) {
  return value === null || value === undefined ? "–" : `${formatNumber(value)} ${unit}`;
}

/** A titled card of name–value rows ([name, value] pairs; a null value leaves the row out). */
function card(title, rows, { color = null, note = "" } = {}) {
  const section = document.createElement("section");
  section.className = "netview-card";
  if (color) section.style.setProperty("--racer", color);
  const heading = document.createElement("h4");
  heading.textContent = title;
  const list = document.createElement("dl");
  for (const [name, value] of rows) {
    if (value === null) continue;
    const row = document.createElement("div");
    const dt = document.createElement("dt");
    dt.textContent = name;
    const dd = document.createElement("dd");
    dd.textContent = value;
    row.append(dt, dd);
    list.append(row);
  }
  section.append(heading, list);
  if (note) {
    const p = document.createElement("p");
    p.className = "caption";
    p.textContent = note;
    section.append(p);
  }
  return section;
}

function racerTitle(racers, i) {
  return `${racers[i].name[0].toUpperCase()}${racers[i].name.slice(1)} racer: ${racers[i].optimizer}`;
}

const percent = (share) => `${Math.round(share * 100)}%`;
const steps = (n) => `${n} step${n === 1 ? "" : "s"}`;

function lineCards(answer, racers) {
  const unit = lossUnit(answer);
  return answer.racers.map((r, i) =>
    card(racerTitle(racers, i), [
      ["Steps trained", steps(answer.steps[i])],
      ["Distance from the initial weights", withUnit(r.distance, WEIGHT_UNIT)],
      ["Barrier, training loss", withUnit(r.barrier.train, unit)],
      ["Barrier, test loss", r.barrier.test === null ? null : withUnit(r.barrier.test, unit)],
      ["Training loss all the way down?", r.monotone ? "Yes: it never rises along the line" : "No: it rises somewhere along the line"],
    ], { color: racers[i].color }),
  );
}

/** Each racer's path at its start and now: how much of it the plane shows. */
function pathCards(answer, racers, from) {
  const unit = lossUnit(answer);
  return answer.paths.map((path, i) => {
    const k = path.step.length - 1;
    const share = (j) => percent(path.distance[j] > 0 ? path.off[j] / path.distance[j] : 0);
    const both = (list, after = "") => `${formatNumber(list[0])} · ${formatNumber(list[k])}${after}`;
    return card(racerTitle(racers, i), [
      ["Steps (start · now)", `${path.step[0]} · ${path.step[k]}`],
      ["Off the plane (start · now)", both(path.off, ` ${WEIGHT_UNIT}`)],
      [`Share of its distance from ${from} off the plane (start · now)`, `${share(0)} · ${share(k)}`],
      ["True training loss (start · now)", both(path.train, ` ${unit}`)],
      ["Training loss the picture shows there (start · now)", both(path.plane_train, ` ${unit}`)],
      ["Points drawn on its path", String(path.step.length)],
    ], { color: racers[i].color });
  });
}

function planeCards(answer, racers) {
  const unit = lossUnit(answer);
  const centre = racers[answer.racer];
  const [d1, d2] = answer.direction_norms;
  return [
    card("The slice", [
      ["Centre", `the ${centre.name} racer's weights now (${centre.optimizer})`],
      ["Directions' seed", String(answer.seed)],
      ["Span of α and β", `±${formatNumber(answer.span)} × each direction`],
      ["Length of direction 1 · direction 2", `${formatNumber(d1)} · ${formatNumber(d2)} ${WEIGHT_UNIT}`],
      ["Training loss at the centre", withUnit(answer.centre.train, unit)],
      ["Test loss at the centre", answer.centre.test === null ? null : withUnit(answer.centre.test, unit)],
      ["Lowest training loss of the slice", withUnit(answer.lowest.train, unit)],
      ["… found at α, β", `${formatNumber(answer.lowest.alpha)}, ${formatNumber(answer.lowest.beta)} (× direction 1, × direction 2)`],
    ]),
    ...pathCards(answer, racers, "the centre"),
  ];
}

function pcaCards(answer, racers) {
  const unit = lossUnit(answer);
  const [a, b] = answer.explained;
  return [
    card("The paths' plane", [
      ["Spread explained by the 1st principal component", percent(a)],
      ["Spread explained by the 2nd principal component", percent(b)],
      ["Axes", `weight-space distance from the initial weights`],
      ["Training loss at the initial weights", withUnit(answer.origin.train, unit)],
      ["Test loss at the initial weights", answer.origin.test === null ? null : withUnit(answer.origin.test, unit)],
      ["Lowest training loss of the slice", withUnit(answer.lowest.train, unit)],
      ["… found at", `${formatNumber(answer.lowest.alpha)}, ${formatNumber(answer.lowest.beta)} (weight-space distance along each component)`],
    ]),
    ...pathCards(answer, racers, "the initial weights"),
  ];
}

function sharpnessCards(answer, racers) {
  const unit = `${lossUnit(answer)} per weight²`; // curvature: loss per squared step in weight space
  return answer.racers.map((r, i) => {
    const k = r.step.length - 1;
    const edge = r.edge;
    const reached = edge.reached === null ? "Never came within 90% of 2/lr" : `First within 90% of 2/lr at step ${edge.reached}`;
    return card(
      racerTitle(racers, i),
      [
        ["Top eigenvalue now", withUnit(r.top[k], unit)],
        ["2/lr now", withUnit(r.limit[k], unit)],
        ["Learning rate now", `${formatNumber(r.lr[k])} weight² per ${lossUnit(answer)}`],
        [`Top ${r.final.length} eigenvalues at step ${r.step[k]}`, `${r.final.map((v) => formatNumber(v)).join(" · ")} ${unit}`],
        ["Top eigenvalue ÷ 2/lr (median over the last third)", edge.ratio === null ? "–" : formatNumber(edge.ratio, 3)],
        ["Edge of stability", reached],
        ["Steps sampled", String(r.step.length)],
      ],
      {
        color: racers[i].color,
        note: r.preconditioned ? `${racers[i].optimizer} rescales each weight's step: 2/lr is plain gradient descent's limit, not its own.` : "",
      },
    );
  });
}

function seedsCards(answer, racers) {
  const unit = lossUnit(answer);
  const [a, b] = answer.seeds;
  const test = answer.before.test !== null;
  const racer = racers[answer.racer];
  const color = racer.color;
  return [
    card(`Two copies trained by the ${racer.name} racer's optimizer (${racer.optimizer})`, [
      ["Weights seeds A · B", `${a} · ${b}`],
      ["Training loss at A · at B", `${formatNumber(answer.ends.a.train)} · ${formatNumber(answer.ends.b.train)} ${unit}`],
      ["Test loss at A · at B", test ? `${formatNumber(answer.ends.a.test)} · ${formatNumber(answer.ends.b.test)} ${unit}` : null],
      ["Distance A to B before matching", withUnit(answer.distance.before, WEIGHT_UNIT)],
      ["Distance A to B after matching", withUnit(answer.distance.after, WEIGHT_UNIT)],
    ], { color }),
    card("The barrier between them", [
      ["Barrier before matching, training loss", withUnit(answer.before.barrier.train, unit)],
      ["Barrier after matching, training loss", withUnit(answer.after.barrier.train, unit)],
      ["Barrier before matching, test loss", test ? withUnit(answer.before.barrier.test, unit) : null],
      ["Barrier after matching, test loss", test ? withUnit(answer.after.barrier.test, unit) : null],
    ], { color }),
    card("The matching", [
      ["Hidden units of B that changed place", `${answer.moved} unit${answer.moved === 1 ? "" : "s"}`],
      ["Matching sweeps", `${answer.sweeps} sweep${answer.sweeps === 1 ? "" : "s"} over the layers`],
    ], { color }),
  ];
}

const CARDS = { line: lineCards, plane: planeCards, pca: pcaCards, sharpness: sharpnessCards, seeds: seedsCards };

/** The readouts of `answer` (any view), `racers`: [{optimizer, name, color}] as the page had them. */
export function viewReadouts(answer, racers) {
  return CARDS[answer.view](answer, racers);
}
