// Roll Downhill's balls after the first (templates/_roll_racers.html): each with its colour,
// optimizer and learning rate, racing the first from its start on the one stream, each with
// its own verdict. In the address as the explorer writes its racers, numbered after the first
// ball (which keeps its own names, optimizer= and lr=): r2=gd&r2.lr=1&r3=adam&r3.lr=0.3.

import { FACTS } from "../facts.js";
import { formatFixed } from "../format.js";
import { dataSize } from "../landscape.js";
import { Track } from "../state/track.js";
import { readSchedule, readValues, writeTraining, writeValues } from "../state/urlstate.js";
import { describe } from "../verdict.js";
import { choiceDefaults, fillPicker } from "./controls.js";
import { applyControlParams } from "./embed.js";
import { defaultOptions } from "./options.js";

const RATE_APART = 10; // a new ball rolls at ten times the first ball's rate (or a tenth)

const $ = (id) => document.getElementById(id);

/** `lr` on the first ball's slider (its range and notches): the one range every ball uses. */
function onSlider(lr) {
  const slider = $("lr");
  const clamped = Math.min(Number(slider.max), Math.max(Number(slider.min), lr));
  return Number(clamped.toFixed(2));
}

export class MoreBalls {
  /**
   * `page`: Roll Downhill — ball (the first: its track and choice), surface, choices,
   * catalog, params (the address: hide/lock), session, ballsChanged() (a ball added or
   * removed, or its optimizer switched: the plot, chart and run follow).
   * `styles`: the colours handed out in order ({color, name, dash, plotlyDash}).
   */
  constructor(page, styles) {
    this.page = page;
    this.styles = styles;
    this.list = [];
    this.nextId = 2;
    $("add-ball").addEventListener("click", () => this.add());
  }

  /** The address's balls after the first (r2, r3, …), with their settings. */
  read(params) {
    for (let i = 2; i <= FACTS.maxRacers && params.has(`r${i}`); i += 1) {
      this.add({ key: params.get(`r${i}`), params, prefix: `r${i}.`, quiet: true });
    }
  }

  /** Each ball into the address: its choice, its rate, and what else differs from its defaults. */
  write(params) {
    const { catalog, surface } = this.page;
    this.list.forEach((ball, i) => {
      const prefix = `r${i + 2}.`;
      params.set(`r${i + 2}`, ball.choice.key);
      // lr is always written, as the Python twin (app/api/urlstate.py) writes it
      const base = { ...choiceDefaults(ball.choice), lr: undefined };
      writeValues(params, prefix, ball.choice.optimizer.hyperparameters, ball.track.hyperparameters, base);
      writeTraining(params, prefix, catalog, ball.track, defaultOptions(catalog, dataSize(surface)));
    });
  }

  /**
   * A ball of choice `key` (none: the first ball's), at its rate from the address under
   * `prefix`, or ten times apart from the first ball's.
   */
  add({ key = null, params = null, prefix = "", quiet = false } = {}) {
    if (this.list.length + 1 >= FACTS.maxRacers) return;
    const { page } = this;
    const first = page.ball;
    const choice = page.choices.find((c) => c.key === key) || first.choice;
    const lr = first.track.hyperparameters.lr;
    const apart = lr * RATE_APART <= Number($("lr").max) ? lr * RATE_APART : lr / RATE_APART;
    const hyperparameters = { ...choiceDefaults(choice), lr: onSlider(apart) };
    const options = defaultOptions(page.catalog, dataSize(page.surface));
    let schedule = null;
    if (params) {
      readValues(params, prefix, choice.optimizer.hyperparameters, hyperparameters);
      readValues(params, prefix, page.catalog.options, options);
      schedule = readSchedule(params, prefix, page.catalog);
      hyperparameters.lr = onSlider(hyperparameters.lr);
    }
    const taken = new Set(this.list.map((b) => b.style.color));
    const ball = {
      id: `ball${this.nextId++}`,
      style: this.styles.find((s) => !taken.has(s.color)),
      choice,
      track: new Track({
        surface: page.surface,
        optimizer: choice.optimizer,
        hyperparameters,
        start: [...first.track.start],
        options,
        schedule,
        sharpness: $("sharpness").checked,
      }),
    };
    ball.card = this.buildCard(ball);
    this.list.push(ball);
    $("roll-balls").append(ball.card);
    this.showButtons();
    if (!quiet) page.ballsChanged();
  }

  remove(ball) {
    this.list = this.list.filter((b) => b !== ball);
    ball.card.remove();
    this.showButtons();
    this.page.ballsChanged();
  }

  /** The card: colour and name, optimizer picker, rate slider, Remove and the verdict. */
  buildCard(ball) {
    const card = $("roll-ball-template").content.firstElementChild.cloneNode(true);
    card.dataset.ball = ball.id;
    card.style.setProperty("--ball", ball.style.color);
    card.querySelector(".ball-name").textContent = `The ${ball.style.name} ball`;
    const remove = card.querySelector(".remove");
    remove.setAttribute("aria-label", `Remove the ${ball.style.name} ball`);
    remove.addEventListener("click", () => this.remove(ball));
    const select = card.querySelector("select");
    select.id = `${ball.id}-optimizer`;
    card.querySelector(".optimizer-label").htmlFor = select.id;
    fillPicker(select, this.page.choices, ball.choice.key);
    select.addEventListener("change", () => {
      ball.choice = this.page.choices.find((c) => c.key === select.value);
      ball.track.optimizer = ball.choice.optimizer;
      ball.track.hyperparameters = { ...choiceDefaults(ball.choice), lr: ball.track.hyperparameters.lr };
      this.page.ballsChanged();
    });
    const slider = card.querySelector(".ball-lr");
    slider.id = `${ball.id}-lr`;
    card.querySelector(".lr-label").htmlFor = slider.id;
    for (const name of ["min", "max", "step"]) slider[name] = $("lr")[name];
    slider.value = String(ball.track.hyperparameters.lr);
    const shown = card.querySelector(".ball-lr-value");
    shown.htmlFor = slider.id;
    shown.textContent = formatFixed(ball.track.hyperparameters.lr, 2);
    slider.addEventListener("input", () => {
      ball.track.hyperparameters.lr = onSlider(Number(slider.value));
      shown.textContent = formatFixed(ball.track.hyperparameters.lr, 2);
      this.page.session.changed();
    });
    applyControlParams(card, this.page.params);
    return card;
  }

  /** Add a ball, enabled while there is room (unless locked). */
  showButtons() {
    const add = $("add-ball");
    if (!add.dataset.locked) add.disabled = this.list.length + 1 >= FACTS.maxRacers;
  }

  /** Every ball starts where the first does. */
  startAt(start) {
    for (const ball of this.list) ball.track.start = [...start];
  }

  /** Another landscape under the balls (see Ball.moveTo): each starts where the first does. */
  moveTo(entry, start) {
    for (const ball of this.list) {
      const before = dataSize(ball.track.surface);
      ball.track.surface = entry;
      ball.track.start = [...start];
      if (!before || ball.track.options.batch_size >= before) ball.track.options.batch_size = dataSize(entry);
    }
  }

  /** Each card's verdict; returns a sentence for each ball that has finished. */
  showVerdicts(playing) {
    const finished = [];
    for (const ball of this.list) {
      const verdict = describe(ball.track, { playing });
      ball.card.querySelector(".ball-status").textContent = verdict;
      if (ball.track.outcome) finished.push(`The ${ball.style.name} ball: ${verdict}`);
    }
    return finished;
  }
}
