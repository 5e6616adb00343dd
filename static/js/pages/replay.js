// The exported replay (templates/export_replay.html, made by app/api/export.py): the runs the
// file carries, drawn by the pages' own plots — one curve per run as Roll Downhill draws its
// ball, or the explorer's map with a racer per run — stepped by a Play button and a slider.
// The file holds this module and what it imports as data: URLs (app/jsmodules.py), so it
// works from disk with no server.

import { FACTS } from "../facts.js";
import { CurvePlot } from "../plots/plot1d.js";
import { LandscapePlot } from "../plots/plot2d.js";
import { STEP_FIELDS, Track } from "../state/track.js";
import { describe } from "../verdict.js";

const data = JSON.parse(document.getElementById("replay-data").textContent);
const { surface, grid, runs } = data;
const $ = (id) => document.getElementById(id);
const playButton = $("play");
const slider = $("step");
const last = Math.max(...runs.map((r) => r.steps.length - 1));
// A replay lasts at most about 10 s, and shows at least 20 steps per second.
const STEPS_PER_SECOND = Math.max(20, last / 10);
const NAMES = surface.dim === 1 ? "x" : "(x, y)";

// Each run kept as the page keeps a ball, so the page's plots draw it and its words say how it
// ended as they do for a ball (a track asks for nothing here: no requests).
function trackOf(r) {
  const { hyperparameters, optimizers, options } = data;
  return new Track({
    surface, optimizer: optimizers[r], hyperparameters: hyperparameters[r], options: options[r], start: runs[r].positions[0],
  });
}
const tracks = runs.map((_, r) => trackOf(r));

/** `track` at entry `k` of its `run` (a finished run stays at its end), as a stream leaves it. */
function seek(track, run, k) {
  const end = run.steps.length - 1;
  const i = Math.min(k, end);
  if (i < track.length - 1 || (track.status && i < end)) track.clear();
  if (track.length <= i) {
    const part = { state: run.state };
    for (const name of STEP_FIELDS) part[name] = run[name] === null ? null : run[name].slice(track.length, i + 1);
    track.append(part);
  }
  if (i === end && !track.status) track.ended(run);
}

let frame = 0; // the step shown: entry `frame` of each run
let playing = false;
let playedFrom = null; // [time, frame] when Play was pressed
let drawPending = false;
let drawPlots;

function draw() {
  drawPending = false;
  runs.forEach((run, r) => {
    seek(tracks[r], run, frame);
    const k = tracks[r].length - 1;
    const out = $(`position-${r}`);
    out.dataset.position = JSON.stringify(run.positions[k]);
    out.dataset.step = String(run.steps[k]);
    const at = run.positions[k].map((v) => v.toPrecision(6)).join(", ");
    out.textContent = `step ${run.steps[k]}: ${NAMES} = ${at}, f = ${run.losses[k].toPrecision(6)}`;
  });
  drawPlots();
  slider.value = String(frame);
  $("step-number").textContent = String(frame);
  document.body.dataset.frame = String(frame);
}

// At most one redraw per animation frame, however often the slider or the clock moves.
function show(k) {
  frame = Math.max(0, Math.min(last, k));
  if (!drawPending) {
    drawPending = true;
    requestAnimationFrame(draw);
  }
}

/** Each run's ending in the page's words (static/js/verdict.js), from its whole track. */
function showEndings() {
  runs.forEach((run, r) => {
    const whole = trackOf(r);
    seek(whole, run, run.steps.length - 1);
    $(`ending-${r}`).textContent = describe(whole, { playing: false });
  });
}

async function openPlots() {
  if (surface.dim === 1) {
    const curves = runs.map((_, r) => new CurvePlot($(`plot-${r}`), surface, grid));
    await Promise.all(curves.map((c) => c.ready));
    // as Roll Downhill draws its ball
    drawPlots = () => curves.forEach((curve, r) => {
      const { positions, losses } = tracks[r].trace;
      const xs = positions.map((p) => p[0]);
      curve.update({ xs, losses, start: xs[0], startLoss: losses[0] });
    });
    return;
  }
  // as the explorer draws its racers, from the first run's start
  const landscape = new LandscapePlot($("landscape"), surface, grid, { onRedrawNeeded: () => show(frame) });
  const styles = FACTS.racerStyles;
  const legend = data.names.map((label, r) => ({ label, ...styles[r % styles.length] }));
  drawPlots = () => landscape.update(tracks, runs[0].positions[0]);
  await landscape.setRacers(legend);
}

function setPlaying(on) {
  playing = on;
  playButton.textContent = on ? "Pause" : "Play";
  document.body.dataset.state = on ? "playing" : frame >= last ? "ended" : "paused";
  if (on) {
    playedFrom = [performance.now(), frame >= last ? 0 : frame];
    requestAnimationFrame(tick);
  }
}

function tick(now) {
  if (!playing) return;
  const k = playedFrom[1] + Math.floor(((now - playedFrom[0]) / 1000) * STEPS_PER_SECOND);
  show(k);
  if (k >= last) setPlaying(false);
  else requestAnimationFrame(tick);
}

playButton.addEventListener("click", () => setPlaying(!playing));
$("reset").addEventListener("click", () => {
  setPlaying(false);
  show(0);
  document.body.dataset.state = "paused";
});
slider.max = String(last);
slider.addEventListener("input", () => {
  setPlaying(false);
  show(Number(slider.value));
});

showEndings();
await openPlots();
draw();
document.body.dataset.ready = "true";
