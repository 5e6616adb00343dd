// The step stream: one EventSource carrying every run, closed once each run has ended.

import { describeError } from "./api.js";

export function streamURL(runs, speed) {
  const query = new URLSearchParams({ runs: JSON.stringify(runs), speed: String(speed) });
  return `/api/stream?${query}`;
}

/**
 * Open a stream of `runs` paced at `speed` steps per second.
 * Handlers: onStep({runs}) with, for each run still going, `run`, the step record's fields
 * (STEP_FIELDS in track.js) and `state`; onEnd({run, status, outcome, minimum, state});
 * onBusy(seconds) when the server serves its limit of streams (503: try again after
 * `seconds`); onClosing(seconds) when the server shuts down mid-stream (resume after
 * `seconds`); onUnreachable() when no server answers; onError(message). Returns {close()}.
 */
export function openStream(runs, speed, { onStep, onEnd, onBusy, onClosing, onUnreachable, onError }) {
  const url = streamURL(runs, speed);
  const source = new EventSource(url);
  let closed = false;
  let ended = 0;
  const close = () => {
    closed = true;
    source.close();
  };
  source.addEventListener("step", (event) => {
    if (!closed) onStep(JSON.parse(event.data));
  });
  source.addEventListener("end", (event) => {
    if (closed) return;
    ended += 1;
    if (ended === runs.length) close();
    onEnd(JSON.parse(event.data));
  });
  source.addEventListener("closing", (event) => {
    if (closed) return;
    close();
    onClosing(JSON.parse(event.data).retry_after);
  });
  source.addEventListener("error", async () => {
    if (closed) return;
    close(); // no silent reconnect: that would replay the run from its start
    const abort = new AbortController();
    try {
      // EventSource hides the status; ask again to read the error body.
      const response = await fetch(url, { signal: abort.signal });
      if (response.ok) {
        abort.abort(); // a healthy stream this time: the earlier one was cut off
        onError("The connection to the server was lost.");
      } else if (response.status === 503) {
        onBusy(Number(response.headers.get("Retry-After")) || 2);
      } else {
        onError(describeError(await response.json()));
      }
    } catch {
      onUnreachable();
    }
  });
  return { close };
}
