// What a screen reader hears: the status lines change every frame while a ball rolls, so
// they are not live regions themselves. One polite live region speaks instead — at once
// when the news changes (a run ended, an error), and at most every THROTTLE_MS while rolling.

const THROTTLE_MS = 4000;

export class Announcer {
  constructor(element) {
    this.element = element;
    this.last = "";
    this.lastAt = 0;
  }

  /** `text`: the page's status in words; `rolling` while balls are moving. */
  say(text, { rolling = false } = {}) {
    if (!text || text === this.last) return;
    const now = performance.now();
    if (rolling && now - this.lastAt < THROTTLE_MS) return;
    this.last = text;
    this.lastAt = now;
    this.element.textContent = text;
  }
}
