// The network page's landscape views (POST /api/networks/views: the answers' shapes are in
// docs/api.md) drawn with the page's Plotly: the loss along a line (from the initial weights,
// or between two trained copies before and after matching), a plane's loss as a contour map
// or a 3D surface with every racer's path flattened onto it, and the Hessian's top eigenvalue
// by step beside 2/lr. Racers keep their colours and dashes (FACTS.racerStyles).

import { formatNumber } from "../format.js";
import { plotly3d } from "./plotly3d.js";

// The plane's colours: pale at the lowest loss, darker uphill (as the explorer's maps).
const SCALE = [
  [0, "#ffffff"],
  [0.35, "#dbe8f5"],
  [0.7, "#a9c4e0"],
  [1, "#6f93ba"],
];
// In 3D the lowest loss must not vanish into the white scene: a tinted low end, and contour lines.
const SCALE_3D = [
  [0, "#e3ecf5"],
  [0.35, "#bcd1e8"],
  [0.7, "#8aaed3"],
  [1, "#557ca8"],
];
const SIZES = { normal: { font: 13, line: 2.5, marker: 6 }, projector: { font: 20, line: 4.5, marker: 10 } };
const BEFORE = "#6b7280"; // the seeds view's line before matching
const CONFIG = { displayModeBar: false, responsive: true };

function sizes(projector) {
  return projector ? SIZES.projector : SIZES.normal;
}

// A legend entry naming a racer and one of its lines. On a narrow plot (a phone) the line's name
// goes under the racer's: one long row ran off the plot's right edge.
function entry(label, what, narrow) {
  return narrow ? `${label}:<br>${what}` : `${label}: ${what}`;
}

function baseLayout(s) {
  return {
    font: { size: s.font },
    margin: { l: Math.round(s.font * 4.6), r: 12, t: 12, b: Math.round(s.font * 3.6) },
    dragmode: false,
    hovermode: "closest",
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    // above the plot: below it, a fixed share of the plot's height fell on the axis title
    // once the type grew (a projector) or the plot shrank (a phone)
    legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
  };
}

/**
 * The loss along the line from the initial weights (α = 0) to the current ones (α = 1), per
 * racer: training solid, test dashed, in the racer's colour (`racers`: [{label, color}]).
 */
export function drawLine(element, answer, racers, { projector = false, narrow = false } = {}) {
  const s = sizes(projector);
  const traces = [];
  answer.racers.forEach((r, i) => {
    const { label, color } = racers[i];
    traces.push({
      type: "scatter", mode: "lines", name: entry(label, "training", narrow), x: r.alphas, y: r.train,
      line: { color, width: s.line }, hovertemplate: "α = %{x:.2f}: %{y:.4g}<extra>%{fullData.name}</extra>",
    });
    if (r.test) {
      traces.push({
        type: "scatter", mode: "lines", name: entry(label, "test", narrow), x: r.alphas, y: r.test,
        line: { color, width: s.line, dash: "dash" }, hovertemplate: "α = %{x:.2f}: %{y:.4g}<extra>%{fullData.name}</extra>",
      });
    }
  });
  const layout = {
    ...baseLayout(s),
    xaxis: { title: { text: narrow ? "α: 0 = start, 1 = now" : "α: 0 = initial weights, 1 = weights now" }, zeroline: false, fixedrange: true },
    yaxis: { title: { text: `loss (${answer.loss_name})` }, fixedrange: true },
  };
  return window.Plotly.react(element, traces, layout, CONFIG);
}

/** The seeds view: A (α = 0) to B (α = 1), before matching (grey, dashed) and after (coloured). */
export function drawSeeds(element, answer, color, { projector = false, narrow = false } = {}) {
  const s = sizes(projector);
  const line = (name, y, c, dash) => ({
    type: "scatter", mode: "lines", name, x: answer.alphas, y, line: { color: c, width: s.line, dash },
    hovertemplate: "α = %{x:.2f}: %{y:.4g}<extra>%{fullData.name}</extra>",
  });
  const traces = [line("before matching: training", answer.before.train, BEFORE, "dash"), line("after matching: training", answer.after.train, color, "solid")];
  if (answer.before.test) traces.push(line("before matching: test", answer.before.test, BEFORE, "dot"));
  if (answer.after.test) traces.push(line("after matching: test", answer.after.test, color, "dot"));
  const [a, b] = answer.seeds;
  const layout = {
    ...baseLayout(s),
    xaxis: { title: { text: `α: 0 = A (seed ${a}), 1 = B (seed ${b})` }, zeroline: false, fixedrange: true },
    yaxis: { title: { text: `loss (${answer.loss_name})` }, fixedrange: true },
  };
  return window.Plotly.react(element, traces, layout, CONFIG);
}

/** The top eigenvalue of the Hessian by sampled step, per racer, with its 2/lr dashed. */
export function drawSharpness(element, answer, racers, { projector = false, narrow = false } = {}) {
  const s = sizes(projector);
  const traces = [];
  answer.racers.forEach((r, i) => {
    const { label, color } = racers[i];
    traces.push(
      {
        type: "scatter", mode: "lines+markers", name: entry(label, "top eigenvalue", narrow), x: r.step, y: r.top,
        line: { color, width: s.line }, marker: { color, size: s.marker },
        hovertemplate: "step %{x}: %{y:.4g}<extra>%{fullData.name}</extra>",
      },
      {
        type: "scatter", mode: "lines", name: entry(label, "2/lr", narrow), x: r.step, y: r.limit,
        line: { color, width: Math.max(1.5, s.line - 1), dash: "longdash" },
        hovertemplate: "step %{x}: 2/lr = %{y:.4g}<extra>%{fullData.name}</extra>",
      },
    );
  });
  const layout = {
    ...baseLayout(s),
    xaxis: { title: { text: "step" }, zeroline: false, fixedrange: true, rangemode: "tozero" },
    yaxis: { title: { text: "top eigenvalue (curvature)" }, fixedrange: true, rangemode: "tozero" },
  };
  return window.Plotly.react(element, traces, layout, CONFIG);
}

/** Colours for a loss grid: log10 where it spans more than a decade, with ticks in loss. */
function colouring(rows) {
  let low = Infinity;
  let high = -Infinity;
  for (const row of rows) {
    for (const v of row) {
      if (v === null || !Number.isFinite(v)) continue;
      low = Math.min(low, v);
      high = Math.max(high, v);
    }
  }
  if (!(low > 0) || high / low <= 10) return { z: rows, colorbar: {} };
  const z = rows.map((row) => row.map((v) => (v === null ? null : Math.log10(Math.max(v, low)))));
  const ticks = []; // 1, 2 and 5 of each power of ten in range
  for (let e = Math.floor(Math.log10(low)); e <= Math.ceil(Math.log10(high)); e += 1) {
    for (const m of [1, 2, 5]) if (m * 10 ** e >= low && m * 10 ** e <= high) ticks.push(m * 10 ** e);
  }
  return { z, colorbar: { tickvals: ticks.map(Math.log10), ticktext: ticks.map((v) => formatNumber(v)) } };
}

/** A path's hover: the step, how far off the plane, the true loss and the picture's. */
function pathHover(label) {
  return (
    "step %{customdata[0]}<br>off the plane: %{customdata[1]:.3g} of %{customdata[2]:.3g} from the origin" +
    "<br>true training loss %{customdata[3]:.4g}, the picture %{customdata[4]:.4g}" +
    `<extra>${label}</extra>`
  );
}

function pathData(path) {
  return path.step.map((step, k) => [step, path.off[k], path.distance[k], path.train[k], path.plane_train[k]]);
}

/** The plane's axis titles: the random plane's directions, or the principal components' shares. */
function axisTitles(answer) {
  if (answer.view === "pca") {
    const [a, b] = answer.explained.map((share) => `${Math.round(share * 100)}%`);
    return [`1st principal component (${a} of the spread)`, `2nd principal component (${b})`];
  }
  return ["α (× direction 1)", "β (× direction 2)"];
}

/** Where the plane is centred: the centre racer's weights now, or the initial weights. */
function originMark(answer, s) {
  const name = answer.view === "pca" ? "initial weights" : "weights now (centre)";
  return {
    type: "scatter", mode: "markers", name, x: [0], y: [0],
    marker: { symbol: "x-thin-open", size: s.marker * 2.4, color: "#111", line: { width: 3, color: "#111" } },
    hovertemplate: `${name}<extra></extra>`,
  };
}

/**
 * A plane (random or the paths') as a contour map: the training loss over the grid, every
 * racer's path flattened onto it (hollow at its start, filled where it is now), the origin,
 * the grid's lowest point (random plane) and the picked point (`picked`: {racer, index} or null).
 */
export function drawPlane(element, answer, racers, { projector = false, narrow = false, picked = null } = {}) {
  const s = sizes(projector);
  const { z, colorbar } = colouring(answer.train);
  const traces = [
    {
      type: "contour", name: "training loss", x: answer.alphas, y: answer.betas, z, customdata: answer.train,
      colorscale: SCALE, ncontours: 24, contours: { coloring: "heatmap", showlines: true },
      line: { width: 0.6, color: "rgba(40, 60, 90, 0.35)" },
      colorbar: narrow
        ? { ...colorbar, orientation: "h", x: 0.5, xanchor: "center", y: -0.42, yanchor: "top", thickness: 10, len: 0.9, title: { text: "training loss", side: "top" } }
        : { ...colorbar, thickness: 14, title: { text: "training loss", side: "right" } },
      hovertemplate: "%{x:.2f}, %{y:.2f}: training loss %{customdata:.4g}<extra></extra>",
    },
  ];
  answer.paths.forEach((path, i) => {
    const { label, color, dash } = racers[i];
    const last = path.step.length - 1;
    traces.push({
      type: "scatter", mode: "lines+markers", name: label, x: path.alpha, y: path.beta, customdata: pathData(path),
      line: { color, width: s.line, dash }, hovertemplate: pathHover(label),
      marker: {
        color: path.step.map((_, k) => (k === 0 ? "#fff" : color)),
        size: path.step.map((_, k) => (k === 0 || k === last ? s.marker * 2 : s.marker * 0.6)),
        line: { color, width: 2 },
      },
    });
  });
  traces.push(originMark(answer, s));
  if (answer.lowest) {
    traces.push({
      type: "scatter", mode: "markers", name: "lowest point of the slice", x: [answer.lowest.alpha], y: [answer.lowest.beta],
      marker: { symbol: "star", size: s.marker * 2.6, color: "#fff", line: { color: "#111", width: 1.5 } },
      hovertemplate: `lowest point of the slice: training loss ${formatNumber(answer.lowest.train)}<extra></extra>`,
    });
  }
  traces.push(pickedTrace(answer, picked, s));
  const [xTitle, yTitle] = axisTitles(answer);
  const layout = {
    ...baseLayout(s),
    showlegend: false,
    margin: { l: Math.round(s.font * 4.2), r: narrow ? 8 : 24, t: 12, b: Math.round(s.font * (narrow ? 9 : 3.6)) },
    xaxis: { title: { text: xTitle }, zeroline: false, fixedrange: true },
    yaxis: { title: { text: yTitle }, zeroline: false, fixedrange: true },
  };
  return window.Plotly.react(element, traces, layout, CONFIG);
}

/** The ring round the picked point of a path (the last trace of either picture). */
function pickedTrace(answer, picked, s, three = false) {
  const path = picked ? answer.paths[picked.racer] : null;
  const k = picked ? picked.index : 0;
  const trace = {
    type: three ? "scatter3d" : "scatter", mode: "markers", name: "picked point",
    x: path ? [path.alpha[k]] : [], y: path ? [path.beta[k]] : [],
    marker: { symbol: "circle-open", size: s.marker * (three ? 2 : 3), color: "#111", line: { width: 3, color: "#111" } },
    hoverinfo: "skip",
  };
  if (three) trace.z = path ? [path.plane_train[k]] : [];
  return trace;
}

/** Move the picked point's ring (the last trace) without drawing the rest again. */
export function movePicked(element, answer, picked, three = false) {
  if (!element.data) return null;
  const path = answer.paths[picked.racer];
  const k = picked.index;
  const update = { x: [[path.alpha[k]]], y: [[path.beta[k]]] };
  if (three) update.z = [[path.plane_train[k]]];
  return window.Plotly.restyle(element, update, [element.data.length - 1]);
}

/**
 * The plane as a 3D surface: each path drawn on it at the loss the picture shows where the
 * point lands (solid), and at the point's true loss (dotted): the gap is what the slice hides.
 */
export async function drawPlane3d(element, answer, racers, { projector = false, picked = null } = {}) {
  await plotly3d();
  const s = sizes(projector);
  const traces = [
    {
      type: "surface", name: "training loss", x: answer.alphas, y: answer.betas, z: answer.train,
      colorscale: SCALE_3D, showscale: false, opacity: 0.95,
      contours: { z: { show: true, usecolormap: false, color: "rgba(40, 60, 90, 0.35)", width: 1 } },
      hovertemplate: "%{x:.2f}, %{y:.2f}: training loss %{z:.4g}<extra></extra>",
    },
  ];
  answer.paths.forEach((path, i) => {
    const { label, color } = racers[i];
    traces.push(
      {
        type: "scatter3d", mode: "lines", name: `${label}: where the picture puts it`, x: path.alpha, y: path.beta, z: path.plane_train,
        customdata: pathData(path), line: { color, width: s.line * 2 }, hovertemplate: pathHover(label),
      },
      {
        type: "scatter3d", mode: "lines", name: `${label}: its true loss`, x: path.alpha, y: path.beta, z: path.train,
        line: { color, width: s.line, dash: "dot" }, hovertemplate: `step %{text}: true training loss %{z:.4g}<extra>${label}</extra>`,
        text: path.step,
      },
    );
  });
  traces.push(pickedTrace(answer, picked, s, true));
  const [xTitle, yTitle] = axisTitles(answer);
  const layout = {
    margin: { l: 0, r: 0, t: 0, b: 0 },
    showlegend: false,
    font: { size: s.font },
    scene: {
      xaxis: { title: { text: xTitle } },
      yaxis: { title: { text: yTitle } },
      zaxis: { title: { text: "training loss" } },
      aspectmode: "manual",
      aspectratio: { x: 1.2, y: 1.2, z: 0.75 },
      camera: element.layout?.scene?.camera ?? { eye: { x: 1.45, y: -1.45, z: 1.05 } }, // the way the user last turned it
    },
  };
  return window.Plotly.react(element, traces, layout, CONFIG);
}
