// Each hidden unit's output as a small picture: over the data's plane for a classification set
// (one canvas per unit, coloured by the palette the decision heat map uses, −1 orange … +1 blue,
// clamped, as TensorFlow Playground does), or along x as a little curve for a regression set.
// Grouped by layer, each captioned "layer 1 · unit 3" as the diagram names it.
//
// Frames arrive a few times a second while a network trains: the canvases and their pixel
// buffers are made once and reused (putImageData, then one scaled drawImage); a new shape
// (layers, units, grid size) rebuilds.

import { divergingRgb } from "./netcolours.js";

// The page's heat map shares the palette: import it from here (or from netcolours.js).
export { CLASS_COLOURS, DIVERGING_SCALE, divergingColour, divergingRgb } from "./netcolours.js";

const PLANE_PX = 128; // a 2D thumbnail's canvas, square (CSS sets its shown size)
const CURVE_PX = [160, 96]; // a 1D thumbnail's canvas, width × height
const states = new WeakMap(); // container → the thumbnails drawn in it

/** [lo, hi] of an extent given as [[lo, hi], …] or [lo, hi]. */
function rangeOf(extent, axis) {
  if (!extent) return null;
  const r = Array.isArray(extent[0]) ? extent[axis] : axis === 0 ? extent : null;
  return r && r.length === 2 ? r : null;
}

function shapeOf(units, flat) {
  return units.map((u) => `${u.layer}:${u.unit}:${flat ? u.values.length : `${u.values.length}x${u.values[0].length}`}`).join(",");
}

/**
 * Draw `units` ([{layer, unit, values}], the API's 0-based hidden layer and unit; values
 * size × size rows over x₂ from its lowest, columns over x₁ — or one list along x for a
 * regression set) into `container`. Options: `extent` (the data's [[x1min, x1max], [x2min,
 * x2max]], or one range for 1D: the axes at 0 are drawn when inside), `task`.
 */
export function drawUnits(container, units, { extent, task } = {}) {
  const flat = task === "regression" || (units.length > 0 && !Array.isArray(units[0].values[0]));
  const shape = `${flat}|${shapeOf(units, flat)}`;
  let state = states.get(container);
  if (!state || state.shape !== shape) {
    if (state) state.root.remove();
    state = build(container, units, flat, shape);
    states.set(container, state);
  }
  state.thumbs.forEach((thumb, i) => {
    if (flat) drawCurve(thumb, units[i].values, rangeOf(extent, 0));
    else drawPlane(thumb, units[i].values, rangeOf(extent, 0), rangeOf(extent, 1));
  });
  return state.root;
}

function build(container, units, flat, shape) {
  const root = document.createElement("div");
  root.className = "unit-thumbs";
  const byLayer = new Map();
  const thumbs = units.map((u) => {
    if (!byLayer.has(u.layer)) {
      const group = document.createElement("section");
      group.className = "unit-layer";
      const title = document.createElement("h4");
      title.textContent = `layer ${u.layer + 1}`;
      const row = document.createElement("div");
      row.className = "unit-row";
      group.append(title, row);
      root.append(group);
      byLayer.set(u.layer, row);
    }
    const figure = document.createElement("figure");
    figure.className = flat ? "unit-thumb curve" : "unit-thumb";
    const canvas = document.createElement("canvas");
    [canvas.width, canvas.height] = flat ? CURVE_PX : [PLANE_PX, PLANE_PX];
    const caption = document.createElement("figcaption");
    caption.textContent = `layer ${u.layer + 1} · unit ${u.unit + 1}`;
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", `${caption.textContent}: its output ${flat ? "along x" : "over the plane"}`);
    figure.append(canvas, caption);
    byLayer.get(u.layer).append(figure);
    const thumb = { canvas, context: canvas.getContext("2d") };
    if (!flat) {
      const n = u.values.length;
      const m = u.values[0].length;
      thumb.grid = document.createElement("canvas");
      thumb.grid.width = m;
      thumb.grid.height = n;
      thumb.gridContext = thumb.grid.getContext("2d");
      thumb.image = thumb.gridContext.createImageData(m, n);
    }
    return thumb;
  });
  container.append(root);
  return { root, thumbs, shape };
}

function drawPlane(thumb, values, xRange, yRange) {
  const { image, canvas, context } = thumb;
  const n = values.length;
  const m = values[0].length;
  const data = image.data;
  for (let i = 0; i < n; i++) {
    const row = values[i];
    const base = (n - 1 - i) * m * 4; // x₂ grows upward
    for (let j = 0; j < m; j++) {
      const [r, g, b] = divergingRgb(row[j]);
      const k = base + j * 4;
      data[k] = r;
      data[k + 1] = g;
      data[k + 2] = b;
      data[k + 3] = 255;
    }
  }
  thumb.gridContext.putImageData(image, 0, 0);
  context.imageSmoothingEnabled = true;
  context.drawImage(thumb.grid, 0, 0, canvas.width, canvas.height);
  // the axes at 0, faintly, so a unit's boundary can be placed on the plane
  context.strokeStyle = "rgba(27, 31, 36, 0.25)";
  context.lineWidth = 1;
  context.beginPath();
  if (xRange && xRange[0] < 0 && xRange[1] > 0) {
    const x = Math.round((canvas.width * -xRange[0]) / (xRange[1] - xRange[0])) + 0.5;
    context.moveTo(x, 0);
    context.lineTo(x, canvas.height);
  }
  if (yRange && yRange[0] < 0 && yRange[1] > 0) {
    const y = Math.round(canvas.height * (1 - -yRange[0] / (yRange[1] - yRange[0]))) + 0.5;
    context.moveTo(0, y);
    context.lineTo(canvas.width, y);
  }
  context.stroke();
}

function drawCurve(thumb, values, xRange) {
  const { canvas, context } = thumb;
  const { width, height } = canvas;
  const finite = values.filter(Number.isFinite);
  let lo = Math.min(0, ...finite);
  let hi = Math.max(0, ...finite);
  if (hi - lo < 1e-9) [lo, hi] = [-1, 1];
  const pad = 0.08 * (hi - lo);
  lo -= pad;
  hi += pad;
  const y = (v) => height * (1 - (v - lo) / (hi - lo));
  const x = (i) => (width * i) / Math.max(1, values.length - 1);
  const zero = y(0);
  context.clearRect(0, 0, width, height);
  // the area between the curve and 0, each slice in the palette's colour for its value
  const half = width / Math.max(1, values.length - 1) / 2;
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) return;
    const [r, g, b] = divergingRgb(v);
    context.fillStyle = `rgb(${r},${g},${b})`;
    const left = Math.floor(x(i) - half);
    context.fillRect(left, Math.min(zero, y(v)), Math.ceil(x(i) + half) - left, Math.abs(y(v) - zero));
  });
  context.strokeStyle = "rgba(27, 31, 36, 0.35)";
  context.lineWidth = 1;
  context.beginPath();
  context.moveTo(0, Math.round(zero) + 0.5);
  context.lineTo(width, Math.round(zero) + 0.5);
  if (xRange && xRange[0] < 0 && xRange[1] > 0) {
    const x0 = Math.round((width * -xRange[0]) / (xRange[1] - xRange[0])) + 0.5;
    context.moveTo(x0, 0);
    context.lineTo(x0, height);
  }
  context.stroke();
  context.strokeStyle = "#1b1f24";
  context.lineWidth = 2.5;
  context.beginPath();
  let drawing = false;
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) {
      drawing = false;
      return;
    }
    if (drawing) context.lineTo(x(i), y(v));
    else context.moveTo(x(i), y(v));
    drawing = true;
  });
  context.stroke();
}
