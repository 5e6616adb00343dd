// The network page's self-contained HTML replay: every picture of the decision regions the
// page was sent (the stream's frames), painted with the points into PNGs, each racer's loss
// as an SVG, and a slider that steps through them — one file with no server, no network and
// no library, for a static course site.

import { paintGrid, pointColour } from "./decision.js";

const SIDE = 360; // px: each racer's picture
const CHART = { width: 720, height: 260, left: 56, right: 12, top: 12, bottom: 36 };

const escape = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

/** One picture: the regions (or the fitted curve) with the training points filled and the
 * test points hollow, as a PNG data: URL. */
function picture(data, grid) {
  const canvas = document.createElement("canvas");
  canvas.width = SIDE;
  canvas.height = SIDE;
  const context = canvas.getContext("2d");
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, SIDE, SIDE);
  const regression = data.task === "regression";
  const [xr] = data.extent;
  const ys = regression ? [...data.y, ...(grid ? grid.values : [])].filter(Number.isFinite) : null;
  const yr = regression ? [Math.min(...ys), Math.max(...ys)] : data.extent[1];
  const px = (x) => ((x - xr[0]) / (xr[1] - xr[0])) * SIDE;
  const py = (y) => SIDE - ((y - yr[0]) / (yr[1] - yr[0] || 1)) * SIDE;
  if (grid && !regression) {
    const cells = document.createElement("canvas");
    paintGrid(cells, grid, data.task, data.classes);
    context.imageSmoothingEnabled = true;
    context.drawImage(cells, 0, 0, SIDE, SIDE);
  }
  const point = (i, hollow) => {
    const x = data.x[i][0];
    const y = regression ? data.y[i] : data.x[i][1];
    context.beginPath();
    context.arc(px(x), py(y), 4, 0, 2 * Math.PI);
    context.fillStyle = hollow ? "#ffffff" : regression ? "#2b2b2b" : pointColour(data.y[i]);
    context.fill();
    context.lineWidth = hollow ? 2 : 1;
    context.strokeStyle = hollow ? (regression ? "#2b2b2b" : pointColour(data.y[i])) : "#1b1f24";
    context.stroke();
  };
  data.train.forEach((i) => point(i, false));
  data.test.forEach((i) => point(i, true));
  if (grid && regression) {
    context.beginPath();
    grid.x1.forEach((x, k) => context[k ? "lineTo" : "moveTo"](px(x), py(grid.values[k])));
    context.strokeStyle = "#D55E00";
    context.lineWidth = 3;
    context.stroke();
  }
  return canvas.toDataURL("image/png");
}

/** Each racer's training (solid) and test (dashed) loss by step, log scale, as SVG markup. */
function lossChart(racers) {
  const { width, height, left, right, top, bottom } = CHART;
  const values = racers.flatMap((r) => [...r.steps.train_loss, ...r.steps.test_loss]).filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.log10(Math.min(...values));
  const hi = Math.log10(Math.max(...values));
  const last = Math.max(1, ...racers.map((r) => r.steps.step.at(-1) || 0));
  const x = (step) => left + (step / last) * (width - left - right);
  const y = (v) => top + ((hi - Math.log10(v)) / (hi - lo || 1)) * (height - top - bottom);
  const line = (r, key, dash) => {
    const points = r.steps.step.map((s, k) => [s, r.steps[key][k]]).filter(([, v]) => v > 0 && Number.isFinite(v));
    const d = points.map(([s, v]) => `${x(s).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    return `<polyline points="${d}" fill="none" stroke="${r.color}" stroke-width="2"${dash ? ' stroke-dasharray="6 4"' : ""}/>`;
  };
  const ticks = [];
  for (let p = Math.ceil(lo); p <= Math.floor(hi); p += 1) {
    ticks.push(`<text x="${left - 6}" y="${y(10 ** p) + 4}" text-anchor="end">1e${p}</text>`);
  }
  return (
    `<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="Loss by step: training solid, test dashed, log scale">` +
    `<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="#888"/>` +
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="#888"/>` +
    ticks.join("") +
    `<text x="${left}" y="${height - 8}">0</text><text x="${width - right}" y="${height - 8}" text-anchor="end">step ${last}</text>` +
    racers.map((r) => line(r, "train_loss", false) + line(r, "test_loss", true)).join("") +
    `<line id="at" x1="${left}" x2="${left}" y1="${top}" y2="${height - bottom}" stroke="#1b1f24" stroke-width="1.5"/>` +
    `</svg>`
  );
}

// The replay's own script: the slider shows frame k of every racer and marks its step.
const SCRIPT = `
const frames = JSON.parse(document.getElementById("frames").textContent);
const slider = document.getElementById("frame");
const show = () => {
  const k = Number(slider.value);
  frames.racers.forEach((pictures, i) => { document.getElementById("racer-" + i).src = pictures[k]; });
  const step = frames.steps[k];
  document.getElementById("step").textContent = "step " + step;
  const at = document.getElementById("at");
  const x = frames.left + (step / frames.last) * frames.span;
  at.setAttribute("x1", x); at.setAttribute("x2", x);
};
slider.addEventListener("input", show);
show();
`;

/**
 * The replay as HTML text. `film`: per racer the pictures the page was sent [{step, grid}];
 * `racers`: [{name, color, steps, verdict}]; `data`: the run's points; `title`, `settings`:
 * what the page says about the run.
 */
export function replayHTML({ title, settings, data, film, racers }) {
  const count = Math.min(...film.map((f) => f.length));
  const frames = {
    racers: film.map((pictures) => pictures.slice(0, count).map((f) => picture(data, f.grid))),
    steps: film[0].slice(0, count).map((f) => f.step),
    last: Math.max(1, ...racers.map((r) => r.steps.step.at(-1) || 0)),
    left: CHART.left,
    span: CHART.width - CHART.left - CHART.right,
  };
  const figures = racers
    .map(
      (r, i) =>
        `<figure><img id="racer-${i}" width="${SIDE}" height="${SIDE}" alt="${escape(r.name)}: the decision regions at the step shown">` +
        `<figcaption><strong style="color:${r.color}">${escape(r.name)}</strong><br>${escape(r.verdict)}</figcaption></figure>`,
    )
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1rem auto; max-width: 1200px; padding: 0 1rem; color: #1b1f24; }
.racers { display: flex; flex-wrap: wrap; gap: 1rem; } figure { margin: 0; max-width: ${SIDE}px; } img { max-width: 100%; height: auto; border: 1px solid #ccc; }
.chart { width: 100%; max-width: ${CHART.width}px; font-size: 12px; } input[type=range] { width: min(100%, 40rem); }
pre { white-space: pre-wrap; background: #f3f5f8; padding: 0.5rem; }
</style></head><body>
<h1>${escape(title)}</h1>
<p><label for="frame">Picture</label> <input type="range" id="frame" min="0" max="${Math.max(0, count - 1)}" value="${Math.max(0, count - 1)}"> <output id="step" for="frame"></output></p>
<div class="racers">${figures}</div>
<h2>Loss by step</h2>
<p>Training solid, test dashed.</p>
${lossChart(racers)}
<details><summary>The run's settings (POST /api/networks/runs)</summary><pre>${escape(JSON.stringify(settings, null, 1))}</pre></details>
<script type="application/json" id="frames">${JSON.stringify(frames).replace(/</g, "\\u003c")}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
