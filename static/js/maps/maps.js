// The whole landscape at once: the map requests (basins, learning-rate sweep, trainability) and
// the network page's landscape views, read as Server-Sent Events over fetch(), with a progress
// bar and a Cancel button.
//
// EventSource can only GET, and a map's body (the run's settings) is too large for an address,
// so the page POSTs to a stream (/api/maps/<kind>/stream, /api/networks/views/stream) and reads
// the answer's body itself: `progress` events ({done, total}) and then one `result` event
// holding the map. Cancel aborts the fetch; the server notices the closed connection and stops
// the work.

import { FACTS } from "../facts.js";
import { ApiError } from "../net/api.js";
import { readEvents } from "../net/events.js";

export const MAP_STEPS = FACTS.playSteps; // steps each ball of a map may take: one press of Play

/**
 * The section's Detail picker (a <select>: coarse, normal or fine) as a map request's
 * `detail`: the server picks the grid for it, smaller where the optimizer's crowd would take
 * long (L-BFGS and Newton step each ball on their own).
 */
export function detailOf(picker) {
  return (picker && picker.value) || "normal";
}

/** The server serves its limit of map computations: try again after `seconds`. */
export class BusyError extends Error {
  constructor(seconds) {
    super(`The server is busy computing other maps and views: try again in ${seconds} s.`);
    this.seconds = seconds;
  }
}

/** The stream of map `kind` (basins, sweep, trainability). */
export function mapURL(kind) {
  return `/api/maps/${kind}/stream`;
}

/**
 * POST `body` to the stream at `url`; `onProgress(done, total, waiting)` as the work goes on
 * (`waiting`: queued behind other maps on the server).
 * Resolves with the answer (the `result` event); rejects with ApiError (bad input), BusyError
 * (503), or an AbortError when `signal` aborts.
 */
export async function streamMap(url, body, { onProgress = () => {}, signal } = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
    body: JSON.stringify(body),
    signal,
  });
  if (response.status === 503) throw new BusyError(Number(response.headers.get("Retry-After")) || 2);
  if (!response.ok) {
    let error;
    try {
      error = await response.json();
    } catch {
      error = `The server answered ${response.status}.`;
    }
    throw new ApiError(error);
  }
  for await (const { event, data } of readEvents(response.body)) {
    if (event === "progress") onProgress(data.done, data.total, data.waiting);
    else if (event === "result") return data;
    else if (event === "error") throw new ApiError(data); // it took too long: what to lower
  }
  throw new Error("The connection to the server was lost before the answer was finished.");
}

/** A run's settings as a map request's base: the run without its start, state, sharpness or early end. */
export function mapBody(run) {
  const body = { ...run, steps: MAP_STEPS };
  delete body.start;
  delete body.resume;
  delete body.sharpness;
  delete body.end_early; // a crowd runs every ball its whole course
  return body;
}

/**
 * One tool's computing state in its panel (`panel` holds .map-progress with a <progress>,
 * its label and a Cancel button, and a .map-message): one computation at a time, a new one
 * cancelling the last.
 */
export class MapJob {
  constructor(panel, { working }) {
    this.panel = panel;
    this.working = working; // what the progress label says, e.g. "Rolling 4,096 balls…"
    this.box = panel.querySelector(".map-progress");
    this.bar = this.box.querySelector("progress");
    this.label = this.box.querySelector(".map-progress-label");
    this.message = panel.querySelector(".map-message");
    this.controller = null;
    this.box.querySelector(".map-cancel").addEventListener("click", () => this.cancel());
  }

  get running() {
    return this.controller !== null;
  }

  /** Compute the stream at `url` for `body`: the answer, or null when cancelled or refused (said in the panel). */
  async run(url, body) {
    this.cancel();
    const controller = new AbortController();
    this.controller = controller;
    this.say("");
    this.bar.removeAttribute("value"); // indeterminate until the first progress event
    this.label.textContent = this.working;
    this.box.hidden = false;
    this.panel.dataset.state = "computing";
    try {
      const result = await streamMap(url, body, {
        signal: controller.signal,
        onProgress: (done, total, waiting) => {
          if (this.controller !== controller) return;
          if (waiting) {
            this.label.textContent = "Waiting for the server to finish other maps and views…";
            return;
          }
          this.bar.max = total || 1;
          this.bar.value = done;
          this.label.textContent = `${this.working} ${Math.round((100 * done) / (total || 1))}%`;
        },
      });
      if (this.controller !== controller) return null;
      this.finish("done");
      return result;
    } catch (error) {
      if (this.controller !== controller) return null; // cancelled, or replaced by a newer one
      this.finish("error");
      this.say(error.message, { error: true });
      return null;
    }
  }

  cancel() {
    if (!this.controller) return;
    const controller = this.controller;
    this.controller = null;
    controller.abort();
    this.finish("cancelled");
    this.say("Cancelled.");
  }

  finish(state) {
    this.controller = null;
    this.box.hidden = true;
    this.panel.dataset.state = state;
  }

  say(text, { error = false } = {}) {
    this.message.textContent = text ? (error ? `Error: ${text}` : text) : "";
    this.message.classList.toggle("error", error);
  }
}
