// The explorer's racers: up to FACTS.maxRacers balls from one start, each with its optimizer,
// settings and card (racercard.js), in the address as r1=gd&r1.lr=0.08&r2=adam…, and the L2
// landscape of the one whose box is ticked.

import { FACTS } from "../facts.js";
import { regularized2d } from "../l2.js";
import { L2Lowest } from "../net/l2.js";
import { Track } from "../state/track.js";
import { readSchedule, readValues, unknownChoiceNote, writeTraining, writeValues } from "../state/urlstate.js";
import { describe, ended } from "../verdict.js";
import { choiceDefaults } from "./controls.js";
import { usable } from "./embed.js";
import { showLinkNote } from "./linknote.js";
import { racerName } from "./racernames.js";
import { applySuggestedRate, buildCard, buildSettings, buildTraining, showL2Box, showL2Note } from "./racercard.js";
import { showReadouts } from "./readouts.js";

const FIRST_RACERS = FACTS.explorerRacers; // app/facts.py EXPLORER_RACERS
const NEXT_RACERS = ["rmsprop", "nesterov", "adagrad", "gd", "momentum", "adam"];
const RATE_NUDGE = 10 ** 0.1; // ↑/↓: every racer's lr times or over 1.26 (ten presses: ×10)

const $ = (id) => document.getElementById(id);

function plural(n, noun) {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

export class Racers {
  /**
   * `page`: the explorer — surface, parameters (surfaceparameters.js), start, choices, catalog, params,
   * session, plot, optionDefaults(), racersChanged() (rebuild legends, start over).
   */
  constructor(page) {
    this.page = page;
    this.list = [];
    this.nextId = 1;
    this.l2Racer = null; // the racer whose L2 landscape the map shows
    this.l2Lowest = new L2Lowest(); // its lowest point, from the server: an older answer is not shown
    $("add-racer").addEventListener("click", () => this.add());
  }

  // what a racer's card asks of the list (racercard.js)
  get choices() {
    return this.page.choices;
  }

  get catalog() {
    return this.page.catalog;
  }

  get params() {
    return this.page.params;
  }

  changed() {
    this.page.session.changed();
    this.relabel();
  }

  /** A racer's name follows the settings that tell it apart (racernames.js): the chart's
   * legend is rewritten when a setting changes one, without starting the race over. */
  relabel() {
    this.page.chart.legend(this.legend());
  }

  switched() {
    this.page.racersChanged();
  }

  l2Ticked(racer, on) {
    this.l2Racer = on ? racer : null;
    this.showL2();
  }

  l2Changed() {
    this.showL2();
  }

  /** The address's racers (r1, r2, …) with their settings, or the first three. */
  read(params) {
    if (!params || !params.has("r1")) {
      for (const key of FIRST_RACERS) this.add(key, { quiet: true });
      return;
    }
    for (let i = 1; i <= FACTS.maxRacers && params.has(`r${i}`); i += 1) {
      this.add(params.get(`r${i}`), { quiet: true, params, prefix: `r${i}.` });
    }
  }

  /** Each racer into the address: its choice, and the settings that differ from its defaults. */
  write(params) {
    this.list.forEach((racer, i) => {
      const prefix = `r${i + 1}.`;
      params.set(`r${i + 1}`, racer.choice.key);
      const { hyperparameters } = racer.choice.optimizer;
      writeValues(params, prefix, hyperparameters, racer.track.hyperparameters, this.defaults(racer.choice));
      writeTraining(params, prefix, this.catalog, racer.track, this.page.optionDefaults());
    });
  }

  /** A racer of choice `key`; its settings from the address under `prefix` when given. */
  add(key, { quiet = false, params = null, prefix = "" } = {}) {
    if (this.list.length >= FACTS.maxRacers) return;
    const page = this.page;
    const used = new Set(this.list.map((r) => r.choice.key));
    const choice =
      this.choices.find((c) => c.key === key) ||
      this.choices.find((c) => c.key === NEXT_RACERS.find((k) => !used.has(k))) ||
      this.choices[0];
    const taken = new Set(this.list.map((r) => r.style.color));
    const racer = {
      id: `r${this.nextId++}`,
      style: FACTS.racerStyles.find((s) => !taken.has(s.color)),
      choice,
      track: new Track({
        surface: page.surface,
        surfaceParameters: page.parameters.values,
        optimizer: choice.optimizer,
        hyperparameters: choiceDefaults(choice),
        start: page.start,
        options: page.optionDefaults(),
        sharpness: $("sharpness").checked,
      }),
    };
    this.applySuggestedRate(racer);
    if (params) {
      readValues(params, prefix, choice.optimizer.hyperparameters, racer.track.hyperparameters);
      readValues(params, prefix, this.catalog.options, racer.track.options);
      racer.track.schedule = readSchedule(params, prefix, this.catalog);
    }
    racer.card = buildCard(racer, this);
    if (params && !this.choices.some((c) => c.key === key)) {
      showLinkNote(racer.card.querySelector("header"), unknownChoiceNote(key, choice));
    }
    this.list.push(racer);
    $("racers").append(racer.card);
    if (!quiet) page.racersChanged();
  }

  remove(racer) {
    if (this.list.length <= 1) return;
    this.list = this.list.filter((r) => r !== racer);
    racer.card.remove();
    this.page.racersChanged();
  }

  /** Add and Remove, enabled as the count allows (unless locked). */
  showButtons() {
    const add = $("add-racer");
    if (!add.dataset.locked) add.disabled = this.list.length >= FACTS.maxRacers;
    for (const r of this.list) {
      const remove = r.card.querySelector(".remove");
      if (!remove.dataset.locked) remove.disabled = this.list.length <= 1;
    }
  }

  /** The legend name: the optimizer, and what tells it apart from racers that share it. */
  label(racer) {
    return racerName(racer, this.list, this.catalog);
  }

  legend() {
    return this.list.map((r) => ({ label: this.label(r), ...r.style }));
  }

  /** The engine's starting rate for `choice` on this landscape (a preset may have its own). */
  suggestedRate(choice) {
    const rates = this.page.surface.suggested_lr;
    return rates[choice.key] ?? rates[choice.optimizer.id];
  }

  applySuggestedRate(racer) {
    if (this.page.surface) applySuggestedRate(racer, this);
  }

  /** A racer's settings before anyone touches them: the choice's, at the suggested rate. */
  defaults(choice) {
    const values = choiceDefaults(choice);
    const rate = this.suggestedRate(choice);
    if (rate !== undefined) values.lr = rate;
    return values;
  }

  /** The settings shown again (`suggested`: at the landscape's suggested rate first). */
  rebuild(racer, { suggested }) {
    if (suggested) this.applySuggestedRate(racer);
    else buildSettings(racer, this);
    buildTraining(racer, this);
  }

  /** Each card's readouts and status. */
  showCards(playing) {
    for (const racer of this.list) {
      showReadouts(racer.card, racer.track);
      racer.card.querySelector(".racer-status").textContent = describe(racer.track, { playing });
    }
  }

  /** The race in one sentence for the status line, `steps` (the most any racer took) in. */
  summary(steps, playing) {
    const racing = plural(this.list.length, "optimizer");
    const { name } = this.page.surface;
    if (this.page.session.scrubbed) return `Step ${steps} of ${this.page.session.timeline().last}: scrubbed back. Play goes on from here.`;
    if (playing) return `Racing ${racing} on ${name}… step ${steps}`;
    if (steps === 0) return `${racing} ready on ${name}. Press Play, or click the map to choose the start.`;
    if (this.list.every((r) => r.track.settled)) {
      return `Race over after ${plural(steps, "step")}. Press Play to race again.`; // each racer's end under it
    }
    return `Paused after ${plural(steps, "step")}. Press Play to go on.`;
  }

  /**
   * Under the status line, beside the plot: how each racer's run ended — and after how many
   * steps where that was before the race's `steps` (who won) — or, while it goes on, the
   * engine's running verdict on it: a line per racer with something to say (the cards,
   * further down, say it at length) — but those in `told` (by place), whose end a
   * predict-first lesson's box tells beside the student's guess.
   */
  verdicts(steps, told = []) {
    const line = (r) => {
      const words = ended(r.track);
      const last = r.track.last();
      const early = r.track.outcome && !r.track.scrubbed && last.step < steps;
      return words && { color: r.style.color, text: `${this.label(r)}: ${words}${early ? ` after ${plural(last.step, "step")}` : ""}` };
    };
    return this.list.filter((_, i) => !told.includes(i)).map(line).filter(Boolean);
  }

  /** ↑/↓: every racer's learning rate up or down (not a locked one). */
  nudge(direction) {
    for (const racer of this.list) {
      if (!usable(racer.card.querySelector(".racer-lr input"))) continue;
      const lr = racer.track.hyperparameters.lr * RATE_NUDGE ** direction;
      racer.track.hyperparameters.lr = Number(lr.toPrecision(3));
      buildSettings(racer, this);
    }
    this.changed();
  }

  /**
   * The L2 landscape of the racer whose box is ticked (one at a time): with coupled weight
   * decay λ it descends f + (λ/2)·‖x‖², drawn as contour lines in its colour.
   */
  async showL2() {
    const { plot, surface, parameters } = this.page;
    const lambdas = new Map(this.list.map((r) => [r, showL2Box(r, r === this.l2Racer)]));
    const racer = this.l2Racer;
    const lambda = lambdas.get(racer) || 0;
    if (!racer || lambda === 0) {
      this.l2Racer = null;
      this.l2Lowest.forget();
      plot.showL2(null);
      return;
    }
    let lowest;
    try {
      lowest = await this.l2Lowest.read(surface, parameters.values, lambda);
    } catch (error) {
      racer.card.querySelector(".racer-l2-note").textContent = error.message;
      return;
    }
    if (lowest === undefined) return; // a later request, or the box unticked, meanwhile
    const z = regularized2d(plot.grid, lambda);
    plot.showL2({ z, lowest: lowest && { x: lowest.position[0], y: lowest.position[1] } }, racer.style.color);
    showL2Note(racer, lambda, lowest, surface.minima.find((m) => m.kind === "global"));
  }
}
