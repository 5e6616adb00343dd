// Play, pause, step and reset for a set of balls, all carried by one stream.
//
// Browsers allow six connections per site over HTTP/1.1 and course pages embed several
// simulators, so every ball of a page rides on the same EventSource. Its events come a few
// times a second with several steps each; a Player shows them at the pace asked for.
//
// Time under control: every step computed is kept (track.js), and the scrubber shows any of
// them (`scrub`). Scrubbed back, Play plays the kept steps on from there at the chosen speed,
// as a video would, and then carries on computing from the end (or stops there, if every ball
// is at rest); Step moves one kept step on; a changed setting applies from the end of the
// computed steps. "Jump to the end" (`jumpToEnd`) computes the rest of the press of Play at
// once and shows how each run ends.

import { FACTS } from "../facts.js";
import { oneAtATime } from "../frame.js";
import { postRuns } from "../net/api.js";
import { Player } from "./player.js";
import { openStream } from "../net/stream.js";
import { stepOf } from "./track.js";

const PLAY_STEPS = FACTS.playSteps; // steps per press of Play
const BUSY_MAX_WAIT_S = 30; // a busy server: wait Retry-After, doubling each time, up to this
const RESTART_DELAY_MS = 120; // a slider drag restarts the stream at most this often

export const SPEEDS = FACTS.speeds; // steps per second, by slider position (app/facts.py)

export class Session {
  /** `speed()` gives steps per second; `onChange()` is called whenever there is news to draw. */
  constructor({ speed, onChange }) {
    this.tracks = [];
    this.speed = speed;
    this.onChange = onChange;
    this.stream = null;
    this.playing = false;
    this.error = null;
    this.notice = null; // a passing condition the page should say (the server is busy)
    this.busyTries = 0; // refused or unanswered tries in a row: each waits twice as long
    this.restarting = false; // the server said it was shutting down: wait for it to return
    this.restartTimer = null;
    this.generation = 0; // bumps on every reset, so a late answer cannot land on new tracks
    this.player = new Player({ speed, onShown: () => this.onChange() });
    this.stepOnce = oneAtATime(() => this.takeStep()); // Step: one step on from the last
  }

  /** Back to the start: every track cleared and placed at its start by a zero-step run. */
  async reset({ keepPlaying = false } = {}) {
    const wasPlaying = this.playing;
    this.stop();
    const generation = ++this.generation;
    this.player.clear();
    for (const track of this.tracks) track.clear();
    this.error = null;
    this.onChange();
    if (!this.tracks.length) return;
    try {
      const runs = await postRuns(this.tracks.map((t) => t.request(0)));
      if (generation !== this.generation) return;
      runs.forEach((run, i) => this.tracks[i].append(run));
    } catch (error) {
      if (generation === this.generation) this.error = error.message;
    }
    this.onChange();
    if (keepPlaying && wasPlaying && !this.error) this.play();
  }

  /**
   * Back to the start, then `steps` steps at once (a shared link reproducing its run): the
   * same numbers a stream would give, with how the run stands after them.
   */
  async replay(steps) {
    await this.reset();
    if (!this.tracks.length || this.error) return;
    const generation = this.generation;
    try {
      const runs = await postRuns(this.tracks.map((t) => t.request(steps)));
      if (generation !== this.generation) return;
      // What the page said when the link was made: a ball at rest, or the end of a press of
      // Play, has its outcome; a ball paused mid-run is just paused.
      const judged = steps % PLAY_STEPS === 0;
      runs.forEach((run, i) => {
        this.tracks[i].append(run);
        if (judged || run.status !== "max_steps") this.tracks[i].ended(run);
      });
    } catch (error) {
      this.error = error.message;
    }
    this.onChange();
  }

  /**
   * Roll every ball not at rest; if all are at rest, start them all over first. Scrubbed
   * back: play the kept steps from there first (see the top of this file).
   */
  play() {
    if (this.scrubbed) {
      this.playKept();
      return;
    }
    if (this.tracks.length && this.tracks.every((t) => t.settled)) {
      this.reset().then(() => this.play());
      return;
    }
    this.error = null;
    this.openStream();
  }

  /**
   * Stop where the balls are shown: steps received but not shown yet are dropped. A ball
   * stopped mid-event is ahead of its last state (states come at the end of each event), so
   * the server is asked for the state at the step shown (the steps in between computed
   * again: the same numbers), and a setting changed while paused applies from there.
   */
  pause() {
    this.stop();
    this.player.clear();
    this.onChange();
    this.catchUp();
  }

  async catchUp() {
    const behind = this.tracks.filter((t) => t.runState && t.lastStep > t.runState.step);
    if (!behind.length) return;
    const generation = this.generation;
    const requests = behind.map((t) => t.request(0)); // now, before a setting can change
    try {
      const runs = await postRuns(requests);
      if (generation === this.generation) runs.forEach((run, i) => behind[i].append(run));
    } catch {
      // no harm: the next run starts from the earlier state and asks for those steps again
    }
  }

  /** A setting changed: carry on from each ball's last state with the new values. */
  changed() {
    this.unscrub();
    if (this.playing) this.restartSoon();
    this.onChange();
  }

  /** One step on from where the balls are (through `stepOnce`, which queues the presses). */
  async takeStep() {
    if (this.scrubbed && !this.playing) {
      this.scrub(this.timeline().at + 1);
      return;
    }
    this.stop();
    this.player.clear(); // one step past where the balls are shown
    const tracks = this.tracks.filter((t) => !t.settled);
    if (!tracks.length) return;
    const generation = this.generation;
    try {
      const runs = await postRuns(tracks.map((t) => t.request(1)));
      if (generation !== this.generation) return;
      runs.forEach((run, i) => {
        tracks[i].append(run);
        tracks[i].status = null;
        tracks[i].outcome = null;
        // one step is no run to judge: only a ball at rest for good gets its outcome
        if (run.status !== "max_steps") tracks[i].ended(run);
      });
      this.error = null;
    } catch (error) {
      this.error = error.message;
    }
    this.onChange();
  }

  /**
   * Play from where the balls are shown: once the steps already received have been shown
   * (each event ends with the state to resume from), open a stream from there.
   */
  openStream() {
    this.stop();
    this.playing = true;
    this.onChange();
    this.player.afterDrain(() => {
      if (this.playing && !this.stream) this.startStream();
    });
  }

  startStream() {
    this.unscrub();
    const tracks = this.tracks.filter((t) => !t.settled);
    if (!tracks.length) {
      this.playing = false;
      this.onChange();
      return;
    }
    let live = tracks.length;
    let started = false;
    const seen = tracks.map((t) => t.lastStep); // steps shown before: resent, not replayed
    for (const track of tracks) {
      track.status = null;
      track.outcome = null;
    }
    const fail = (message) => {
      if (this.stream !== stream) return;
      this.error = message;
      this.playing = false;
      this.stream = null;
      this.onChange();
    };
    const wait = (seconds, message) => {
      if (this.stream !== stream) return;
      const timer = setTimeout(() => {
        if (this.stream === waiting) this.openStream();
      }, seconds * 1000);
      const waiting = { close: () => clearTimeout(timer) };
      this.stream = waiting;
      this.notice = message;
      this.onChange();
    };
    const stream = openStream(
      tracks.map((t) => t.request(PLAY_STEPS)),
      this.speed(),
      {
        onStep: ({ runs }) => {
          this.notice = null;
          this.busyTries = 0;
          this.restarting = false;
          // one frame per step, every ball moving together; a stream's first event (the
          // starting points, or the points it resumes from) and steps already shown take
          // no time
          const length = Math.max(...runs.map((r) => r.steps.length));
          for (let i = 0; i < length; i += 1) {
            const show = () => {
              for (const r of runs) if (i < r.steps.length) tracks[r.run].append(stepOf(r, i));
            };
            const shown = runs.every((r) => i >= r.steps.length || r.steps[i] <= seen[r.run]);
            this.player.push(show, { free: !started || shown });
          }
          started = true;
        },
        onEnd: (event) => {
          const show = () => {
            tracks[event.run].ended(event);
            live -= 1;
            if (live === 0 && this.stream === stream) {
              this.playing = false;
              this.stream = null;
            }
          };
          this.player.push(show, { free: true });
        },
        onBusy: (seconds) => {
          // many viewers at once: wait as the server asks, longer each time, then try again
          const delay = Math.min(BUSY_MAX_WAIT_S, seconds * 2 ** this.busyTries);
          this.busyTries += 1;
          wait(delay, `The server is busy with many viewers: trying again in ${delay} s…`);
        },
        onClosing: (seconds) => {
          // the server is restarting: carry on from the last state once it is back
          this.restarting = true;
          wait(seconds, `The server is restarting: carrying on in ${seconds} s…`);
        },
        onUnreachable: () => {
          if (!this.restarting) {
            fail("The server cannot be reached.");
            return;
          }
          const delay = Math.min(BUSY_MAX_WAIT_S, 2 * 2 ** this.busyTries);
          this.busyTries += 1;
          wait(delay, `The server is restarting: trying again in ${delay} s…`);
        },
        onError: (message) => fail(message),
      },
    );
    this.stream = stream;
    this.onChange();
  }

  // --- time under control: the scrubber and the jump to the end ---------------------------

  /** The steps kept, for the scrubber: {first, last, at} (the step shown). */
  timeline() {
    const kept = this.tracks.filter((t) => t.kept.steps.length);
    if (!kept.length) return { first: 0, last: 0, at: 0 };
    const first = Math.min(...kept.map((t) => t.kept.steps[0]));
    const last = Math.max(...kept.map((t) => t.lastStep));
    const at = Math.max(...kept.map((t) => (t.last() ? t.last().step : first)));
    return { first, last, at };
  }

  get scrubbed() {
    return this.tracks.some((t) => t.scrubbed);
  }

  /** Show every ball at step `step` (a ball that ended before it, at its end); pauses. */
  scrub(step) {
    if (this.playing) this.pause();
    for (const track of this.tracks) track.scrubTo(step);
    this.onChange();
  }

  unscrub() {
    for (const track of this.tracks) track.scrubTo(Infinity);
  }

  /** Scrubbed back, Play: the kept steps from there, one frame a step at the chosen speed;
   * then on from the end, unless every ball is at rest. */
  playKept() {
    this.stop();
    this.player.clear();
    this.playing = true;
    const { at, last } = this.timeline();
    for (let step = at + 1; step <= last; step += 1) {
      this.player.push(() => {
        for (const track of this.tracks) track.scrubTo(step);
      });
    }
    this.player.afterDrain(() => {
      if (!this.playing) return;
      this.unscrub();
      if (this.tracks.every((t) => t.settled)) {
        this.playing = false;
        this.onChange();
      } else {
        this.openStream();
      }
    });
    this.onChange();
  }

  /**
   * The rest of the press of Play at once: every ball not at rest runs on from its state (as
   * Step does, by POST /api/runs) to the press's last step, or until the engine ends it, and
   * shows how it ended.
   */
  async jumpToEnd() {
    this.stop();
    this.player.clear();
    this.unscrub();
    const tracks = this.tracks.filter((t) => !t.settled && t.lastStep >= 0);
    this.onChange();
    if (!tracks.length) return;
    const generation = this.generation;
    const done = Math.max(...tracks.map((t) => t.lastStep)) % PLAY_STEPS;
    const left = PLAY_STEPS - done;
    try {
      const runs = await postRuns(tracks.map((t) => t.request(left)));
      if (generation !== this.generation) return;
      runs.forEach((run, i) => {
        tracks[i].append(run);
        tracks[i].ended(run);
      });
      this.error = null;
    } catch (error) {
      this.error = error.message;
    }
    this.onChange();
  }

  restartSoon() {
    if (this.restartTimer) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.playing) this.openStream();
    }, RESTART_DELAY_MS);
  }

  stop() {
    this.notice = null;
    if (this.stream) this.stream.close();
    this.stream = null;
    this.playing = false;
    clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }
}
