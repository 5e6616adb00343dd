// The teacher's part of the live class's bar (panels/classroom.js): the page's scene (its
// address without the run's steps) goes to the class once it has stood still for PUBLISH_MS;
// Play, Pause, Step, Reset and Jump go with the step they were pressed at. The bar
// shows who has joined, asks a predict-first lesson's question, shows the live tally, reveals
// the engine's answer with the share who had it right, lets the class explore and brings it
// back, and runs a class experiment whose runs it draws in one picture.

import { FACTS } from "../facts.js";
import { categories, categoryIndex, minimumColour } from "../maps/mapcolours.js";
import { shareWords } from "../verdict.js";
import { $, GUESSES, NOT_SCENE, asksThisLesson, element, optimizerName } from "./classbar.js";
import { isProjector } from "./keyboard.js";

// The scene goes out once the teacher has left it unchanged this long: each new scene opens the
// page again on every student's device, so a slider dragged for three seconds is one new scene
// for the class, not ten (300 pages opened ten times over would be the server's whole load).
const PUBLISH_MS = 400;
const RECONNECT_MS = 2000; // the teacher's stream, again after it dropped

function percent(fraction) {
  return `${Math.round(100 * fraction)}%`;
}

/** A ball as the class's question names it: "The orange ball — Adam", or "The ball". */
function ballLabel(ball) {
  const who = ball.style ? `The ${ball.style.name} ball` : "The ball";
  return (ball.label ? `${who} — ${ball.label}` : who).slice(0, 120);
}

export class TeacherBar {
  constructor(bar, page, params, client, lesson) {
    this.bar = bar;
    this.page = page;
    this.params = params;
    this.client = client;
    this.lesson = lesson;
    this.mode = "follow";
    this.published = null; // the scene's params as last sent
    this.changing = null; // the scene's params as last changed (sent once they stand still)
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
    if (asksThisLesson(state.question, this.lesson)) this.showQuestion(state.question, state.tally);
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
    const params = this.sceneParams();
    if (params === this.changing) return; // a redraw, not a change
    this.changing = params;
    clearTimeout(this.timer);
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
      // where the run stands, so a page that opens the scene knows (its first `state` says
      // the last control: one from the scene before must not play this one)
      const { playing } = this.page.session;
      const step = this.page.steps();
      await this.client.control(playing ? "play" : step > 0 ? "pause" : "reset", step);
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
    if (event === "state") this.resync(data);
    else if (event === "joined") {
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

  /** The class as it stands (the stream's first event, or again after it fell behind). */
  resync(state) {
    this.joined = state.joined;
    this.showMode();
    const question = this.question && state.question && state.question.id === this.question.id;
    if (question && state.tally) this.showTally(state.tally);
    const experiment = this.experiment && state.experiment && state.experiment.id === this.experiment.id;
    if (experiment) for (const run of state.runs) this.addRun(run);
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
    $("class-tally").hidden = true; // the question is over: the class's picture takes its place
    for (const run of runs) this.addRun(run);
    this.drawExperiment();
    $("class-experiment").scrollIntoView({ block: "nearest" });
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
        const name = shareWords(outcome, minimum, minima, { steps: run.steps, maximize: Boolean(this.page.tracks()[0].hyperparameters.maximize) });
        groups.set(key, { colour, name, runs: [] });
      }
      groups.get(key).runs.push(run);
    }
    const { traces, layout } = picture(kind, [...groups.values()], surface, { big: isProjector(), name: (id) => optimizerName(this.page, id) });
    window.Plotly.react($("class-experiment-plot"), traces, layout, { displayModeBar: false, responsive: true });
    const legend = $("class-experiment-legend");
    legend.replaceChildren();
    for (const g of groups.values()) {
      const item = element("li");
      const swatch = element("span", { class: "class-swatch", "aria-hidden": "true" });
      swatch.style.backgroundColor = g.colour;
      item.append(swatch, `Runs that ${g.name}: ${g.runs.length} of ${n}.`);
      legend.append(item);
    }
  }
}

/**
 * The class's runs in one Plotly picture, one trace per outcome (`groups`: {colour, name,
 * runs}). A learning rate: the final position against it on a log axis, the landscape's
 * minima as dotted lines (a bifurcation diagram). A start: on a curve, where it ended against
 * where it began; on a plane, each start coloured by what became of it (the class's own basin
 * map). An optimizer: each one's final loss.
 */
function picture(kind, groups, surface, { big, name }) {
  const plane = kind === "start" && surface.dim === 2;
  const at = {
    lr: (run) => [run.value, run.end[0]],
    start: (run) => (plane ? run.value : [run.value[0], run.end[0]]),
    optimizer: (run) => [name(run.value), run.loss],
  }[kind];
  const traces = groups.map((g) => ({
    type: "scatter",
    mode: "markers",
    name: g.name,
    x: g.runs.map((run) => at(run)[0]),
    y: g.runs.map((run) => at(run)[1]),
    marker: { color: g.colour, size: big ? 16 : 10, line: { color: "#1b1f24", width: 1 } },
    hovertemplate: "%{x}, %{y}<extra></extra>",
  }));
  const axis = (title, extra = {}) => ({ title: { text: title }, automargin: true, zeroline: false, ...extra });
  const [xName, yName] = surface.dim === 2 ? ["x", "y"] : ["x", ""];
  const titles = {
    lr: ["learning rate", `final position ${xName}`],
    start: plane ? ["start x", "start y"] : ["start x", "final position x"],
    optimizer: ["optimizer", "final loss"],
  }[kind];
  const layout = {
    margin: { l: 10, r: 10, t: 10, b: 10 },
    font: { size: big ? 20 : 13 },
    showlegend: false,
    xaxis: axis(titles[0], kind === "lr" ? { type: "log" } : kind === "optimizer" ? { type: "category" } : {}),
    yaxis: axis(titles[1] || yName),
    shapes: [],
  };
  if (plane) {
    layout.xaxis.range = surface.domain[0];
    layout.yaxis.range = surface.domain[1];
  } else if (kind !== "optimizer") {
    // where the minima are: a run that settled ends on one of these lines
    const minima = surface.minima || [];
    layout.shapes = minima.map((m, i) => ({
      type: "line",
      xref: "paper",
      x0: 0,
      x1: 1,
      y0: m.position[0],
      y1: m.position[0],
      line: { color: minimumColour(minima, i), width: 1.5, dash: "dot" },
    }));
  }
  return { traces, layout };
}
