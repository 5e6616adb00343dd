// Plays streamed steps at the pace they were asked for.
//
// The server sends a few events a second, each with the next several steps of every ball;
// shown as they arrive, the balls would jump a bunch of steps at a time. The player queues
// them, one step of every ball at a time, and shows them on animation frames at `speed()`
// steps per second, so a batch never shows as bunched motion.

export class Player {
  /** `speed()` gives steps per second (0: as they come); `onShown()` runs after each
   * animation frame that showed something. */
  constructor({ speed, onShown }) {
    this.speed = speed;
    this.onShown = onShown;
    this.queue = []; // {show, free}: show() applies one step (of every ball), or an end
    this.budget = 0; // steps the clock allows to show now
    this.last = null; // time of the last animation frame
    this.raf = null;
    this.drained = []; // callbacks for when the queue is empty
  }

  /**
   * Queue `show`, one step's worth of time; a `free` one (the starting points of a stream,
   * an end) is shown as soon as what came before it, taking no time.
   */
  push(show, { free = false } = {}) {
    this.queue.push({ show, free });
    this.wake();
  }

  get idle() {
    return this.queue.length === 0;
  }

  /** Call `callback` once everything queued has been shown (at once if nothing is). */
  afterDrain(callback) {
    if (this.idle) callback();
    else this.drained.push(callback);
  }

  /** Forget what is queued (a pause, a reset): nothing more is shown, no drain callback runs. */
  clear() {
    this.queue = [];
    this.drained = [];
    this.budget = 0;
    cancelAnimationFrame(this.raf);
    this.raf = null;
    this.last = null;
  }

  wake() {
    if (this.raf === null) this.raf = requestAnimationFrame((now) => this.tick(now));
  }

  tick(now) {
    this.raf = null;
    const speed = this.speed();
    const dt = this.last === null ? 1000 / 60 : now - this.last;
    this.last = now;
    this.budget += speed > 0 ? (dt * speed) / 1000 : Infinity;
    let shown = false;
    while (this.queue.length && (this.queue[0].free || this.budget >= 1)) {
      const frame = this.queue.shift();
      if (!frame.free) this.budget -= 1;
      frame.show();
      shown = true;
    }
    if (this.queue.length) {
      this.wake();
    } else {
      // waiting for the next event: do not save up time to burst through it when it comes
      this.budget = Math.min(this.budget, 1);
      this.last = null;
      this.finishDrain();
    }
    if (shown) this.onShown();
  }

  finishDrain() {
    const callbacks = this.drained;
    this.drained = [];
    for (const callback of callbacks) callback();
  }
}
