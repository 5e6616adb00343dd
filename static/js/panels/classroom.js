// The live class's bar on a simulator page whose address has class=CODE (docs/guide.md, "A
// live class"; the API: docs/api.md). Two modes:
//
//   teacher (role=teacher, with the class's key kept for this tab): the page's scene (its
//     address without the run's steps) goes to the class on every change, at most every
//     PUBLISH_MS; Play, Pause, Step, Reset and Jump go with the step they were pressed at.
//     The bar shows who has joined, asks a predict-first lesson's question, shows the live
//     tally, reveals the engine's answer with the share who had it right, lets the class
//     explore and brings it back, and runs a class experiment whose runs it draws together.
//   student (otherwise, with the token /join kept): the page follows the teacher's scene (a new
//     one opens its page) and controls (its own run buttons locked while following), sends the
//     lesson box's guesses as the answer, says whether they were right when the teacher
//     reveals, and in an experiment sends the value the student picks and plays it.
//
// Whatever is right, and what each run did, is the server's word; this panel only says it.

import { FACTS } from "../facts.js";
import { formatNumber } from "../format.js";
import { categories, categoryIndex } from "../maps/mapcolours.js";
import { getJSON } from "../net/api.js";
import { StudentClient, TeacherClient, kept, keepKeyFromFragment, openScene } from "../net/classroom.js";
import { formatPoint, shareWords } from "../verdict.js";
import { isProjector } from "./keyboard.js";

const $ = (id) => document.getElementById(id);

const PUBLISH_MS = 300; // the scene goes out at most this often while the teacher changes it
const RECONNECT_MS = 2000; // the teacher's stream, again after it dropped
// Address parameters that are no part of a scene: the run's progress (the controls carry it),
// the class itself, and each screen's own view (a phone is no projector).
const NOT_SCENE = ["steps", "class", "role", "key", "projector", "embed", "hide", "lock"];
const RUN_BUTTONS = ["play", "step", "reset", "jump-end", "scrub"];
const GUESSES = Object.fromEntries(Object.entries(FACTS.outcomes).map(([id, words]) => [id, words.guess]));

// The key in the teacher's fragment (#key=…), kept before the page's address bar, which keeps
// the query only, rewrites the address.
const opening = new URLSearchParams(window.location.search);
if (opening.get("role") === "teacher" && opening.get("class")) keepKeyFromFragment(opening.get("class").toUpperCase());

function element(tag, attributes = {}, text = "") {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  if (text) el.textContent = text;
  return el;
}

function percent(fraction) {
  return `${Math.round(100 * fraction)}%`;
}

/** A ball as the class's question names it: "The orange ball — Adam", or "The ball". */
function ballLabel(ball) {
  const who = ball.style ? `The ${ball.style.name} ball` : "The ball";
  return (ball.label ? `${who} — ${ball.label}` : who).slice(0, 120);
}

/**
 * Start the class bar on `page` (a PageShell, open and drawn) if the address names a class;
 * returns the bar or null. It sits in the lesson slot, beside the plot.
 */
export async function startClassroom(root, page, params) {
  const code = (params.get("class") || "").toUpperCase();
  if (!code) return null;
  const bar = $("class-bar-template").content.firstElementChild.cloneNode(true);
  bar.querySelector(".class-bar-code").textContent = code;
  $("lesson-slot").append(bar);
  const id = params.get("lesson");
  const lesson = id ? (await getJSON("/api/lessons")).find((l) => l.id === id) || null : null;
  const key = params.get("role") === "teacher" ? kept.key(code) : null;
  if (key) return new TeacherBar(bar, page, params, new TeacherClient(code, key), lesson).start();
  const student = kept.student(code);
  const line = $("class-bar-line");
  if (params.get("role") === "teacher") {
    line.textContent = `This tab has no key for class ${code}: open the lesson from the class page.`;
    return null;
  }
  if (!student) {
    line.textContent = `You have not joined class ${code} in this tab. `;
    line.append(element("a", { href: `/join?code=${encodeURIComponent(code)}` }, "Join the class"));
    return null;
  }
  return new StudentBar(bar, page, params, new StudentClient(code, student), lesson).start();
}

// --- the teacher ------------------------------------------------------------------------------

class TeacherBar {
  constructor(bar, page, params, client, lesson) {
    this.bar = bar;
    this.page = page;
    this.params = params;
    this.client = client;
    this.lesson = lesson;
    this.mode = "follow";
    this.published = null; // the scene's params as last sent
    this.timer = null;
    this.question = null; // {id, asks, choices}: the one asked, open or revealed
    this.revealed = null; // the reveal's answer {right, tally, share_right}
    this.tally = null;
    this.joined = 0;
    this.experiment = null; // {id, kind}
    this.runs = new Map(); // an experiment's runs, by student (or arrival)
    this.drawPending = false;
  }

  async start() {
    const { bar, page, client } = this;
    bar.classList.add("teacher");
    bar.querySelector(".class-teacher").hidden = false;
    $("class-home-link").href = `/class/${client.code}/teach`;
    let state;
    try {
      state = await client.state();
    } catch (refusal) {
      $("class-bar-line").textContent = `Class ${client.code} is not open: ${refusal.message}.`;
      bar.querySelector(".class-teacher").hidden = true;
      return null;
    }
    this.joined = state.joined;
    const scene = state.scene;
    if (scene && scene.page === page.page && scene.params === this.sceneParams()) {
      this.published = scene.params; // this page is the class's scene already (a reload)
      this.mode = scene.mode;
    }
    this.showMode();
    if (this.lesson && this.lesson.predict && this.lesson.choices.length) $("class-ask").hidden = false;
    if (state.question) this.showQuestion(state.question, state.tally);
    if (state.experiment) this.showExperiment(state.experiment, state.runs || []);
    this.wire();
    page.address.listen(() => this.sceneChanged());
    this.publish();
    this.follow();
    return this;
  }

  wire() {
    const { page } = this;
    // The action as pressed (capture: before the page's own handler acts), sent once it has.
    $("play").addEventListener("click", () => this.send(page.session.playing ? "pause" : "play", { after: true }), { capture: true });
    $("step").addEventListener("click", () => this.send("step"), { capture: true });
    $("reset").addEventListener("click", () => this.send("reset"), { capture: true });
    $("jump-end").addEventListener("click", () => this.send("jump"), { capture: true });
    $("class-free").addEventListener("click", () => {
      this.mode = this.mode === "follow" ? "free" : "follow";
      this.showMode();
      this.publish({ again: true });
    });
    $("class-ask").addEventListener("click", () => this.ask());
    $("class-reveal").addEventListener("click", () => this.reveal());
    $("class-experiment-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.startExperiment($("class-experiment-kind").value);
    });
    $("class-experiment-stop").addEventListener("click", () => this.endExperiment());
  }

  say(text) {
    $("class-bar-line").textContent = text;
  }

  showMode() {
    const who = `${this.joined} ${this.joined === 1 ? "student" : "students"}`;
    const doing = this.mode === "follow" ? "follow your page" : "explore on their own";
    this.say(`${who} joined; they ${doing}.`);
    $("class-free").textContent = this.mode === "follow" ? "Let them explore" : "Bring everyone back";
  }

  /** The scene: what the address says beyond the run's progress, with its lesson. */
  sceneParams() {
    const params = this.page.stateParams();
    for (const name of ["lesson", "predict"]) if (this.params.get(name)) params.set(name, this.params.get(name));
    for (const name of NOT_SCENE) params.delete(name);
    return params.toString();
  }

  sceneChanged() {
    this.checkRevealDue();
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.publish();
    }, PUBLISH_MS);
  }

  /** The scene to the class if it changed (`again`: even if not, as Bring everyone back does). */
  async publish({ again = false } = {}) {
    const params = this.sceneParams();
    if (!again && params === this.published) return;
    this.published = params;
    try {
      await this.client.scene(this.page.page, params, this.mode);
    } catch (refusal) {
      this.published = null; // said again with the next change
      this.say(`The class did not get this page: ${refusal.message}.`);
    }
  }

  /** A run button pressed: the class does it too, from the same step. */
  send(action, { after = false } = {}) {
    const go = () => {
      const step = action === "reset" ? 0 : this.page.steps();
      this.client.control(action, step).catch((refusal) => this.say(`The class missed ${action}: ${refusal.message}.`));
    };
    if (after) setTimeout(go); // a pause: the step where the balls stopped
    else go();
  }

  /** The teacher's event stream: joined, the tally, experiment runs; again after a drop. */
  async follow() {
    for (;;) {
      try {
        await this.client.events((event, data) => this.onEvent(event, data));
      } catch (refusal) {
        if (refusal.status === 403 || refusal.status === 404) {
          this.say(`The class has ended: ${refusal.message}.`);
          return;
        }
      }
      if (this.ended) return;
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
    }
  }

  onEvent(event, data) {
    if (event === "state" || event === "joined") {
      this.joined = data.joined;
      this.showMode();
      if (this.tally) this.showTally({ ...this.tally, joined: data.joined });
    } else if (event === "tally") {
      if (this.question && data.question === this.question.id) this.showTally(data);
    } else if (event === "run") {
      if (this.experiment && (data.experiment === undefined || data.experiment === this.experiment.id)) this.addRun(data);
    } else if (event === "closed") {
      this.ended = true;
      this.say("The class has ended.");
    }
  }

  // --- predict together

  /** The lesson's question to the class: the asked balls, the choices, their runs. */
  async ask() {
    const balls = this.page.balls();
    const asked = this.lesson.asks.map((i) => balls[i]).filter(Boolean);
    const asks = asked.map((ball) => ({ label: ballLabel(ball) }));
    const runs = asked.map((ball) => ball.track.replayRequest(FACTS.playSteps));
    try {
      const question = await this.client.ask(asks, this.lesson.choices, runs);
      this.showQuestion({ ...question, asks, choices: this.lesson.choices }, null);
    } catch (refusal) {
      this.say(`The question was not asked: ${refusal.message}.`);
    }
  }

  showQuestion(question, tally) {
    this.question = question;
    this.revealed = question.revealed ? { right: question.right } : null;
    $("class-ask").textContent = "Ask again";
    $("class-reveal").hidden = false;
    $("class-reveal").disabled = Boolean(this.revealed);
    $("class-tally").hidden = false;
    this.showTally(tally || { question: question.id, answered: 0, joined: this.joined, counts: question.asks.map(() => question.choices.map(() => 0)) });
  }

  /** The tally as bars: each asked ball, each choice's count; how many have answered. */
  showTally(tally) {
    this.tally = tally;
    const { question, revealed } = this;
    $("class-answered").textContent = `${tally.answered} of ${tally.joined} answered`;
    const host = $("class-tally-asks");
    host.replaceChildren();
    question.asks.forEach((ask, a) => {
      const group = element("div", { class: "class-tally-ask" });
      group.append(element("h3", {}, ask.label));
      const counts = tally.counts[a] || [];
      question.choices.forEach((choice, c) => {
        const n = counts[c] || 0;
        const right = revealed && revealed.right[a] === choice;
        const row = element("div", { class: `class-tally-row${right ? " right" : ""}` });
        row.style.setProperty("--share", String(tally.answered ? n / tally.answered : 0)); // its bar
        row.append(
          element("span", { class: "class-tally-choice" }, `${right ? "✓ Right: " : ""}${GUESSES[choice] || choice}`),
          element("span", { class: "class-tally-count" }, String(n)),
        );
        group.append(row);
      });
      if (revealed) {
        // the share right as the reveal said it (a page opened later counts the tally's bars)
        const share = revealed.share_right
          ? revealed.share_right[a]
          : (counts[question.choices.indexOf(revealed.right[a])] || 0) / Math.max(1, tally.answered);
        group.append(element("p", { class: "class-tally-share" }, `${percent(share)} of those who answered had it right.`));
      }
      host.append(group);
    });
  }

  /** The asked balls' runs have ended on this page: time for the engine's answer. */
  checkRevealDue() {
    if (!this.question || this.revealed || this.revealing) return;
    const balls = this.page.balls();
    const asked = this.lesson ? this.lesson.asks.map((i) => balls[i]) : [];
    if (asked.length && asked.every((b) => b && b.track.outcome && b.track.length > 1)) this.reveal();
  }

  async reveal() {
    if (!this.question || this.revealed) return;
    this.revealing = true;
    try {
      this.revealed = await this.client.reveal();
      $("class-reveal").disabled = true;
      this.showTally(this.revealed.tally);
      if (this.page.lesson.reveal) this.page.lesson.reveal();
    } catch (refusal) {
      this.say(`Not revealed: ${refusal.message}.`);
    } finally {
      this.revealing = false;
    }
  }

  // --- class experiments

  async startExperiment(kind) {
    const run = this.page.tracks()[0].replayRequest(FACTS.playSteps);
    try {
      const experiment = await this.client.startExperiment(kind, run);
      this.showExperiment({ ...experiment, kind }, []);
    } catch (refusal) {
      $("class-experiment-count").textContent = `The experiment did not start: ${refusal.message}.`;
    }
  }

  async endExperiment() {
    try {
      await this.client.endExperiment();
      this.experiment = null;
      $("class-experiment-start").hidden = false;
      $("class-experiment-stop").hidden = true;
      $("class-experiment-kind").disabled = false;
      $("class-experiment-count").textContent = `Ended with ${this.runs.size} runs.`;
    } catch (refusal) {
      $("class-experiment-count").textContent = `Not ended: ${refusal.message}.`;
    }
  }

  showExperiment(experiment, runs) {
    this.experiment = experiment;
    this.runs = new Map();
    $("class-experiment").open = true;
    $("class-experiment-kind").value = experiment.kind;
    $("class-experiment-kind").disabled = true;
    $("class-experiment-start").hidden = true;
    $("class-experiment-stop").hidden = false;
    $("class-experiment-plot").hidden = false;
    for (const run of runs) this.addRun(run);
    this.drawExperiment();
  }

  addRun(run) {
    this.runs.set(run.by, run); // a student's latest run replaces their earlier one
    if (this.drawPending) return;
    this.drawPending = true;
    requestAnimationFrame(() => {
      this.drawPending = false;
      this.drawExperiment();
    });
  }

  /**
   * The class's picture: final position against learning rate (log axis: a bifurcation
   * diagram drawn by the class), where each start ended, or each optimizer's final loss; one
   * trace per outcome, coloured and named as the maps do.
   */
  drawExperiment() {
    const { kind } = this.experiment;
    const surface = this.page.surface;
    const minima = surface.minima || [];
    const kinds = categories(minima);
    const runs = [...this.runs.values()];
    const n = runs.length;
    $("class-experiment-count").textContent =
      `${n} ${n === 1 ? "run" : "runs"} so far. Each student picks ${kind === "lr" ? "a learning rate" : kind === "start" ? "a start" : "an optimizer"} and presses Play.`;
    const groups = new Map();
    for (const run of runs) {
      const { kind: outcome, minimum } = run.outcome;
      const key = `${outcome}:${minimum ?? ""}`;
      if (!groups.has(key)) {
        const colour = kinds[categoryIndex(minima, outcome, minimum)].color;
        const name = shareWords(outcome, minimum, minima, { steps: run.steps, maximize: Boolean(surface.maximize) });
        groups.set(key, { colour, name, runs: [] });
      }
      groups.get(key).runs.push(run);
    }
    const big = isProjector();
    const size = big ? 16 : 10;
    const x = (run) => (kind === "optimizer" ? this.choiceName(run.value) : kind === "start" ? run.value[0] : run.value);
    const y = (run) => (kind === "optimizer" ? run.loss : run.end[0]);
    const traces = [...groups.values()].map((g) => ({
      type: "scatter",
      mode: "markers",
      name: g.name,
      x: g.runs.map(x),
      y: g.runs.map(y),
      marker: { color: g.colour, size, line: { color: "#1b1f24", width: 1 } },
      hovertemplate: "%{x}, %{y}<extra></extra>",
    }));
    const axis = (title, extra = {}) => ({ title: { text: title }, automargin: true, ...extra });
    const xTitle = kind === "lr" ? "learning rate" : kind === "start" ? "start x" : "optimizer";
    const yTitle = kind === "optimizer" ? "final loss" : "final position x";
    const layout = {
      margin: { l: 10, r: 10, t: 10, b: 10 },
      font: { size: big ? 20 : 13 },
      showlegend: false,
      xaxis: axis(xTitle, kind === "lr" ? { type: "log" } : kind === "optimizer" ? { type: "category" } : {}),
      yaxis: axis(yTitle, kind === "optimizer" ? { type: "log" } : {}),
    };
    window.Plotly.react($("class-experiment-plot"), traces, layout, { displayModeBar: false, responsive: true });
    const legend = $("class-experiment-legend");
    legend.replaceChildren();
    for (const g of groups.values()) {
      const item = element("li");
      const swatch = element("span", { class: "class-swatch", "aria-hidden": "true" });
      swatch.style.backgroundColor = g.colour;
      item.append(swatch, `${g.runs.length} of the ${n} ${n === 1 ? "run" : "runs"} ${g.name}.`);
      legend.append(item);
    }
  }

  choiceName(key) {
    const choice = this.page.choices.find((c) => c.key === key);
    return choice ? choice.label : key;
  }
}

// --- the student ------------------------------------------------------------------------------

class StudentBar {
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

  onState({ scene, question, experiment }) {
    this.onScene(scene);
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
      for (const choice of this.page.choices) select.append(element("option", { value: choice.key }, choice.label));
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
      const did = shareWords(run.outcome.kind, run.outcome.minimum, minima, { steps: run.steps, maximize: Boolean(this.page.surface.maximize) });
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
    const choice = this.page.choices.find((c) => c.key === value);
    return choice ? choice.label : value;
  }

  /** The student's own first ball plays the value they sent, from its start. */
  async play(value) {
    const { page } = this;
    const { kind } = this.experiment;
    const track = page.tracks()[0];
    if (kind === "lr") track.hyperparameters = { ...track.hyperparameters, lr: value };
    else if (kind === "start") for (const t of page.tracks()) t.start = value;
    else {
      const picker = $("optimizer") || $(`${page.balls()[0].id}-optimizer`);
      picker.value = value;
      picker.dispatchEvent(new Event("change"));
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
