// The scrubber and "Jump to the end" (templates/_time_controls.html): any computed step on
// show, and the rest of a press of Play at once. The session does the work (state/session.js).

const $ = (id) => document.getElementById(id);

export class TimeControls {
  constructor(session) {
    this.session = session;
    this.range = $("scrub");
    this.output = $("scrub-value");
    this.jump = $("jump-end");
    this.range.addEventListener("input", () => session.scrub(Number(this.range.value)));
    this.jump.addEventListener("click", () => session.jumpToEnd());
  }

  /** Follow the session: the range spans the kept steps, its thumb on the step shown. */
  update() {
    const { first, last, at } = this.session.timeline();
    this.range.min = String(first);
    this.range.max = String(last);
    if (document.activeElement !== this.range || !this.session.scrubbed) this.range.value = String(at);
    this.range.disabled = last <= first;
    this.output.textContent = `step ${at} of ${last}`;
    // (the jump stays enabled: at the end it does nothing, and a predict-first lesson holds it
    // with Play until a guess is made)
  }
}
