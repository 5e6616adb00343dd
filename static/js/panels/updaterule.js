// The "Update rule" panel: a ball's next step with its optimizer's formula filled in.
//
// The server computes and writes every number (POST /api/runs/explain, app/engine/run/
// explain.py); this module only lays them out. It asks with what the page already holds for
// the ball shown — the resume state of the last stream event plus the steps since (the same
// request a pause's catch-up makes) — only while the panel is open, at most ~4 times a second
// while playing and at once otherwise, cancelling an answer that a newer step overtook.
//
// The rule under Roll Downhill's optimizer picker (`caption`) is the server's too: the part of
// the optimizer's formula its settings use (plain gradient descent: x ← x − lr·g) and only
// those symbols, asked once per optimizer and settings whether the panel is open or not.

import { describeError } from "../net/api.js";
import { showFormula } from "./controls.js";

const MIN_INTERVAL_MS = 250; // while playing: at most ~4 requests a second
const STATUS_TEXT = {
  converged: "The run has come to rest: this is the tiny step it would take next.",
  diverged: "The run stopped here: this is the step that throws the ball out.",
};

export class UpdateRulePanel {
  /**
   * `root` is the panel's <details>; `balls()` gives the balls it can explain as
   * [{id, label, track}] (one on Roll Downhill: no picker); `playing()` says whether the
   * page is playing; `caption` (or null): where the first ball's rule in effect is written;
   * `url`: where to ask (the network page asks POST /api/networks/explain for one weight,
   * with ask() itself).
   */
  constructor(root, { balls, playing, caption = null, url = "/api/runs/explain" }) {
    this.root = root;
    this.url = url;
    this.balls = balls;
    this.playing = playing;
    this.caption = caption;
    this.captionKey = null; // the optimizer and settings the caption shows or is asked for
    this.captionAnswer = Promise.resolve(); // settles once the caption's rule is shown
    this.picker = root.querySelector("[data-rule=racer]");
    this.key = null; // what is shown or on its way
    this.controller = null;
    this.timer = null;
    this.sentAt = -Infinity;
    root.addEventListener("toggle", () => this.update());
    if (this.picker) this.picker.addEventListener("change", () => this.update());
  }

  /** Call whenever the page draws: asks for the shown step if it is new. */
  update() {
    const balls = this.balls();
    this.fillPicker(balls);
    if (balls.length) this.captionAnswer = this.updateCaption(balls[0].track);
    if (!this.root.open) {
      this.cancel();
      this.key = null;
      return;
    }
    const ball = balls.find((b) => String(b.id) === (this.picker ? this.picker.value : String(b.id)));
    if (!ball || !ball.track.length) return;
    const { track } = ball;
    const request = track.request(0); // the last state plus the steps shown since
    // The same step with the same settings explains the same, whichever state it comes from.
    const key = JSON.stringify({ ...request, resume: null, steps: null, id: ball.id, at: track.lastStep, from: track.start });
    if (key === this.key) return;
    clearTimeout(this.timer);
    const wait = this.playing() ? this.sentAt + MIN_INTERVAL_MS - performance.now() : 0;
    if (wait > 0) {
      this.timer = setTimeout(() => this.update(), wait);
      return;
    }
    this.ask(key, request, ball.label);
  }

  /** The caption's rule, asked again only when the optimizer or its settings change. */
  async updateCaption(track) {
    if (!this.caption) return;
    const key = JSON.stringify({ optimizer: track.optimizer.id, hyperparameters: track.hyperparameters });
    if (key === this.captionKey) return;
    this.captionKey = key;
    try {
      const response = await fetch("/api/runs/explain", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(track.replayRequest(0)),
      });
      const body = await response.json();
      if (key !== this.captionKey) return; // the settings changed meanwhile
      if (!response.ok) throw new Error(describeError(body));
      showFormula(this.caption, body.formula, body.symbols);
    } catch {
      this.captionKey = null; // unexplained settings: asked again at the next change
    }
  }

  fillPicker(balls) {
    if (!this.picker) return;
    const wanted = balls.map((b) => `${b.id}:${b.label}`).join("|");
    if (this.picker.dataset.balls === wanted) return;
    const chosen = this.picker.value;
    this.picker.replaceChildren(
      ...balls.map((b) => new Option(b.label, String(b.id), false, String(b.id) === chosen)),
    );
    this.picker.dataset.balls = wanted;
  }

  async ask(key, request, label) {
    this.cancel();
    const controller = new AbortController();
    this.controller = controller;
    this.key = key;
    this.sentAt = performance.now();
    this.root.dataset.loading = "true";
    try {
      const response = await fetch(this.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(request),
        signal: controller.signal,
      });
      const body = await response.json();
      if (controller !== this.controller) return;
      if (!response.ok) throw new Error(describeError(body));
      this.render(body, label);
    } catch (error) {
      if (controller !== this.controller || error.name === "AbortError") return;
      this.part("error").textContent = `Could not explain this step: ${error.message}`;
      this.part("error").hidden = false;
    } finally {
      if (controller === this.controller) {
        this.controller = null;
        delete this.root.dataset.loading;
      }
    }
  }

  cancel() {
    clearTimeout(this.timer);
    if (this.controller) this.controller.abort();
    this.controller = null;
    delete this.root.dataset.loading;
  }

  part(name) {
    return this.root.querySelector(`[data-rule=${name}]`);
  }

  render(e, label) {
    this.part("error").hidden = true;
    this.part("body").hidden = false;
    this.part("who").textContent = label ? `${label}: ` : "";
    this.part("shown-step").textContent = String(e.step - 1);
    this.part("step").textContent = String(e.step);
    const status = this.part("status");
    status.textContent = STATUS_TEXT[e.status] || "";
    status.hidden = !STATUS_TEXT[e.status];
    this.part("formula").textContent = e.formula;
    this.part("lines").replaceChildren(
      ...e.substituted.map((line) => {
        const li = document.createElement("li");
        li.textContent = line;
        return li;
      }),
    );
    const dim = e.position_before.length;
    const head = document.createElement("tr");
    const columns = dim === 1 ? ["value"] : ["x", "y", "z"].slice(0, dim);
    for (const text of ["quantity", ...columns]) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = text;
      head.append(th);
    }
    this.part("head").replaceChildren(head);
    this.part("quantities").replaceChildren(
      ...e.quantities.map((q) => {
        const tr = document.createElement("tr");
        tr.dataset.symbol = q.symbol;
        const th = document.createElement("th");
        th.scope = "row";
        th.title = q.meaning;
        const symbol = document.createElement("span");
        symbol.className = "symbol";
        symbol.textContent = q.symbol;
        const name = document.createElement("span");
        name.className = "name";
        name.textContent = q.name;
        th.append(symbol, " ", name);
        tr.append(th);
        for (const text of q.text) {
          const td = document.createElement("td");
          td.textContent = text;
          tr.append(td);
        }
        return tr;
      }),
    );
    this.root.dataset.step = String(e.step);
  }
}
