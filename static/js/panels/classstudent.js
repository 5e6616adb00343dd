// A student's part of the live class's bar (panels/classroom.js): the page follows the
// teacher's scene (a new one opens its page) and controls (its own run buttons locked while
// following), sends the lesson box's guesses as the answer, says whether they were right when
// the teacher reveals, and in an experiment sends the value the student picks and plays it.

import { formatNumber } from "../format.js";
import { kept, openScene } from "../net/classroom.js";
import { formatPoint, shareWords } from "../verdict.js";
import { $, GUESSES, asksThisLesson, element, optimizerName, optimizersOf } from "./classbar.js";

const RUN_BUTTONS = ["play", "step", "reset", "jump-end", "scrub"];

export class StudentBar {
  constructor(bar, page, params, client, lesson) {
    this.bar = bar;
    this.page = page;
    this.params = params;
    this.client = client;
    this.lesson = lesson;
    this.following = true;
    this.question = null;
    this.sent = null; // the guesses the server has, as text
    this.sealed = false; // the asked balls have started: the answer stands as it is
    this.experiment = null;
    this.queue = Promise.resolve(); // controls, one after the other
  }

  start() {
    const { bar, client } = this;
    bar.classList.add("student");
    bar.querySelector(".class-student").hidden = false;
    this.say("Connecting to the class…");
    this.source = client.events({
      state: (data) => this.onState(data),
      scene: (scene) => this.onScene(scene),
      control: (control) => (this.queue = this.queue.then(() => this.onControl(control))),
      question: (question) => this.onQuestion(question),
      reveal: (reveal) => this.onReveal(reveal),
      experiment: (data) => this.onExperiment(data.experiment),
      closed: () => this.onClosed(),
    });
    this.page.root.addEventListener("change", (event) => {
      if (event.target.closest("#predict")) this.sendAnswer();
    });
    $("class-try").addEventListener("submit", (event) => {
      event.preventDefault();
      this.tryValue();
    });
    return this;
  }

  say(text) {
    $("class-bar-line").textContent = text;
  }

  /** The class as it stands: on connecting (a page just opened, a late joiner), or again. */
  onState({ scene, control, question, experiment }) {
    this.onScene(scene);
    // a class mid-run: this page catches up to the teacher's step (and plays on if they are)
    if (control && !this.caughtUp) {
      this.caughtUp = true;
      this.queue = this.queue.then(() => this.onControl(control));
    }
    if (question) this.onQuestion(question);
    if (question && question.revealed) this.onReveal({ question: question.id, right: question.right });
    this.onExperiment(experiment);
  }

  /** A new scene opens its page; "free" lets the student explore where they are. */
  onScene(scene) {
    if (!scene) return;
    const { code } = this.client;
    if (scene.mode === "follow" && kept.scene(code) !== String(scene.version)) {
      openScene(scene, code);
      return;
    }
    kept.setScene(code, scene.version);
    this.follow(scene.mode === "follow");
  }

  /** Following: the run buttons wait for the teacher's; free: they are the student's again. */
  follow(on) {
    this.following = on;
    for (const id of RUN_BUTTONS) {
      const button = $(id);
      if (!button) continue;
      if (on) {
        button.dataset.classLocked = "true";
        button.dataset.locked = "true"; // a lesson's guesses do not let it go either
        button.disabled = true;
      } else if (button.dataset.classLocked) {
        delete button.dataset.classLocked;
        delete button.dataset.locked;
        button.disabled = false;
      }
    }
    this.say(on ? "Following the teacher: your page plays when theirs does." : "Explore on your own: the teacher will bring everyone back.");
  }

  /** The teacher's page at `step`: replayed here if this page is elsewhere (the same numbers). */
  async sync(step) {
    if (this.page.steps() !== step) await this.page.session.replay(step);
  }

  async onControl({ action, step }) {
    if (!this.following) return;
    const { session } = this.page;
    if (["play", "step", "jump"].includes(action) && this.question && !this.revealedFor) this.sealed = true;
    if (action === "play") {
      if (session.playing) return;
      await this.sync(step);
      session.play();
    } else if (action === "pause") {
      session.pause();
      await this.sync(step);
    } else if (action === "step") {
      session.pause();
      await this.sync(step);
      await session.stepOnce();
    } else if (action === "reset") {
      await session.reset();
    } else if (action === "jump") {
      await this.sync(step);
      await session.jumpToEnd();
    }
  }

  // --- predict together

  /** The lesson box's guesses, in the order the lesson asks them (null: not made). */
  guesses() {
    return [...document.querySelectorAll("#predict .predict-ball")].map((group) => {
      const checked = group.querySelector("input:checked");
      return checked ? checked.value : null;
    });
  }

  onQuestion(question) {
    if (!asksThisLesson(question, this.lesson)) return;
    if (this.question && this.question.id === question.id) return; // the same one, said again
    this.question = question;
    this.revealedFor = null;
    this.sealed = false;
    this.sent = null;
    $("class-right").textContent = "";
    this.sendAnswer();
  }

  async sendAnswer() {
    const { question } = this;
    if (!question || this.revealedFor === question.id) return;
    const guesses = this.guesses();
    if (guesses.length !== question.asks.length || guesses.some((g) => g === null)) {
      $("class-answer").textContent = "The teacher is asking: make your guess in the lesson box.";
      return;
    }
    if (this.sealed) {
      $("class-answer").textContent = "The balls are moving: your answer stands as it was.";
      return;
    }
    const text = guesses.join(",");
    if (text === this.sent) return;
    try {
      await this.client.answer(question.id, guesses);
      this.sent = text;
      $("class-answer").textContent = "Your answer is in. You can change it until the teacher plays.";
    } catch (refusal) {
      $("class-answer").textContent = `Your answer did not count: ${refusal.message}.`;
    }
  }

  /** The engine's answer, and whether this student's answer had it (one line per asked ball). */
  onReveal({ question, right }) {
    if (!this.question || question !== this.question.id) return;
    this.revealedFor = question;
    const guesses = this.sent ? this.sent.split(",") : null;
    const many = this.question.asks.length > 1;
    const el = $("class-right");
    el.replaceChildren();
    this.question.asks.forEach((ask, a) => {
      const answer = `“${GUESSES[right[a]] || right[a]}”`;
      const ok = guesses && guesses[a] === right[a];
      const said = !guesses ? `The answer: ${answer}` : ok ? `You were right: ${answer}` : `Not quite: the answer was ${answer}`;
      el.append(element("p", { class: `class-right-line ${!guesses ? "" : ok ? "right" : "wrong"}` }, many ? `${ask.label}: ${said}` : said));
    });
    $("class-answer").textContent = guesses ? "" : "You did not answer this one.";
  }

  // --- class experiments

  onExperiment(experiment) {
    this.experiment = experiment || null;
    const form = $("class-try");
    form.hidden = !experiment;
    $("class-try-result").textContent = "";
    if (!experiment) return;
    const fields = $("class-try-fields");
    fields.replaceChildren();
    const track = this.page.tracks()[0];
    const field = (id, label, input) => {
      const row = element("div", { class: "class-try-field" });
      input.id = id;
      row.append(element("label", { for: id }, label), input);
      fields.append(row);
      return input;
    };
    if (experiment.kind === "lr") {
      $("class-try-ask").textContent = "Class experiment: pick a learning rate, then press Play.";
      field("class-try-lr", "Learning rate", element("input", { type: "number", min: "0.0001", step: "any", required: "", value: String(track.hyperparameters.lr) }));
    } else if (experiment.kind === "start") {
      $("class-try-ask").textContent = "Class experiment: pick where the ball starts, then press Play.";
      track.start.forEach((v, i) => {
        const [lo, hi] = track.surface.domain[i];
        const name = ["x", "y"][i];
        field(`class-try-${name}`, `Start ${name}`, element("input", { type: "number", min: String(lo), max: String(hi), step: "any", required: "", value: String(v) }));
      });
    } else {
      $("class-try-ask").textContent = "Class experiment: pick an optimizer, then press Play.";
      const select = field("class-try-optimizer", "Optimizer", element("select"));
      for (const optimizer of optimizersOf(this.page)) select.append(element("option", { value: optimizer.id }, optimizer.name));
      select.value = track.optimizer.id;
    }
  }

  /** The value read from the fields, in the experiment's shape. */
  value() {
    const { kind } = this.experiment;
    if (kind === "lr") return $("class-try-lr").valueAsNumber;
    if (kind === "start") return [...$("class-try-fields").querySelectorAll("input")].map((i) => i.valueAsNumber);
    return $("class-try-optimizer").value;
  }

  async tryValue() {
    const result = $("class-try-result");
    const value = this.value();
    if ([value].flat().some((v) => typeof v === "number" && !Number.isFinite(v))) {
      result.textContent = "Type a number first.";
      return;
    }
    $("class-try-play").disabled = true;
    try {
      const run = await this.client.tryValue(this.experiment.id, value);
      const minima = this.page.surface.minima || [];
      const did = shareWords(run.outcome.kind, run.outcome.minimum, minima, { steps: run.steps, maximize: Boolean(this.page.tracks()[0].hyperparameters.maximize) });
      result.textContent = `Sent. With ${this.describeValue(run.value)}, balls like yours ${did}.`;
      await this.play(run.value);
    } catch (refusal) {
      result.textContent = `Not sent: ${refusal.message}.`;
    } finally {
      $("class-try-play").disabled = false;
    }
  }

  describeValue(value) {
    const { kind } = this.experiment;
    if (kind === "lr") return `learning rate ${formatNumber(value)}`;
    if (kind === "start") return `the start ${formatPoint(value)}`;
    return optimizerName(this.page, value);
  }

  /** The student's own first ball plays the run the server ran: the experiment's base run
   * with the value (another optimizer keeps the base's settings it has, as the server's does). */
  async play(value) {
    const { page } = this;
    const { kind, run: base } = this.experiment;
    const track = page.tracks()[0];
    if (kind === "lr") track.hyperparameters = { ...track.hyperparameters, lr: value };
    else if (kind === "start") for (const t of page.tracks()) t.start = value;
    else {
      const picker = $("optimizer") || $(`${page.balls()[0].id}-optimizer`);
      picker.value = page.choices.find((c) => c.optimizer.id === value).key; // it, or a preset of it
      picker.dispatchEvent(new Event("change")); // the page's own switch: its rule and names
      const names = new Set(track.optimizer.hyperparameters.map((h) => h.name));
      track.hyperparameters = Object.fromEntries(Object.entries(base.hyperparameters).filter(([name]) => names.has(name)));
    }
    page.session.pause();
    await page.session.reset();
    page.session.play();
  }

  onClosed() {
    this.source.close();
    this.follow(false);
    this.say("The class has ended: this page is yours again.");
    $("class-try").hidden = true;
  }
}
