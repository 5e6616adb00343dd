// Roll Downhill's one ball: its optimizer (the picker, its settings and rule), the learning-rate
// and start sliders and its training options, in the address as optimizer=adam&lr=0.3&start=1.5
// (only what differs from the defaults). The explorer's counterpart is its racers (racers.js).

import { formatFixed } from "../format.js";
import { dataSize } from "../landscape.js";
import { Track } from "../state/track.js";
import {
  decodePoint,
  encodePoint,
  readChoice,
  readSchedule,
  readValues,
  unknownChoiceNote,
  writeTraining,
  writeValues,
} from "../state/urlstate.js";
import { buildHyperparameterControls, choiceDefaults, fillPicker } from "./controls.js";
import { applyControlParams, isLocked, usable } from "./embed.js";
import { showLinkNote } from "./linknote.js";
import { buildTrainingControls, defaultOptions } from "./options.js";

const DEFAULT_CHOICE = "gd";
const DEFAULT_LR = 0.1; // the slider's first position
const LR_NUDGE = 0.01; // ↑/↓: one slider notch

const $ = (id) => document.getElementById(id);

/**
 * The step to draw from a ball at its last step, from its step record: for plain gradient
 * descent the next step, −lr·f′(x), with the gradient the server sent; for any other rule the
 * step just taken, as the record shows it (its rule is the engine's, not redone here).
 * {from, to, kind: "next" | "last", lr, gradient} in x, or null when the record has none.
 */
export function stepShown(track, choice) {
  const { positions, gradients } = track.trace;
  const i = positions.length - 1;
  if (i < 0) return null;
  const x = positions[i][0];
  const { lr, momentum, weight_decay: decay, maximize } = track.hyperparameters;
  const constantRate = !track.schedule || track.schedule.name === "constant";
  if (choice.key === DEFAULT_CHOICE && !momentum && !decay && !maximize && constantRate) {
    const gradient = gradients[i][0];
    return { from: x, to: x - lr * gradient, kind: "next", lr, gradient };
  }
  return i > 0 ? { from: positions[i - 1][0], to: x, kind: "last" } : null;
}

/** `x` brought inside the landscape's domain. */
function inside(surface, x) {
  const [lo, hi] = surface.domain[0];
  return Math.min(hi, Math.max(lo, x));
}

export class Ball {
  /**
   * `page`: Roll Downhill — root, params, choices, catalog, session; showL2() (the L2 curve
   * follows the weight decay) and optimizerChanged() (what follows a switch of optimizer).
   * `surface`: the landscape the ball starts on.
   */
  constructor(page, surface) {
    this.page = page;
    this.track = this.read(page.params, surface);
  }

  /** The ball the address describes (defaults for what it leaves out); sets `choice`. */
  read(params, surface) {
    const { choices, catalog } = this.page;
    const linked = readChoice(params, "optimizer", choices);
    this.choice = linked.choice || choices.find((c) => c.key === DEFAULT_CHOICE) || choices[0];
    if (linked.unknown) showLinkNote($("optimizer"), unknownChoiceNote(linked.unknown, this.choice));
    const hyperparameters = { ...choiceDefaults(this.choice), lr: DEFAULT_LR };
    readValues(params, "", this.choice.optimizer.hyperparameters, hyperparameters);
    const options = defaultOptions(catalog, dataSize(surface));
    readValues(params, "", catalog.options, options);
    const start = decodePoint(params.get("start"), 1) || [surface.start[0]];
    // the slider's range (0.01–1.20): a rate outside it is brought inside
    hyperparameters.lr = Math.min(Number($("lr").max), Math.max(Number($("lr").min), hyperparameters.lr));
    $("lr").value = String(hyperparameters.lr);
    return new Track({
      surface,
      optimizer: this.choice.optimizer,
      hyperparameters,
      start: [inside(surface, start[0])],
      options,
      schedule: readSchedule(params, "", catalog),
      sharpness: $("sharpness").checked,
    });
  }

  /** The ball into the address: what differs from its defaults. */
  write(params) {
    const { surface } = this.track;
    const { catalog } = this.page;
    if (this.choice.key !== DEFAULT_CHOICE) params.set("optimizer", this.choice.key);
    const base = { ...choiceDefaults(this.choice), lr: DEFAULT_LR };
    writeValues(params, "", this.choice.optimizer.hyperparameters, this.track.hyperparameters, base);
    if (this.track.start[0] !== surface.start[0]) params.set("start", encodePoint(this.track.start));
    writeTraining(params, "", catalog, this.track, defaultOptions(catalog, dataSize(surface)));
  }

  /** The sliders, the optimizer picker and the settings, built and listened to. */
  wire() {
    $("lr").addEventListener("input", () => this.setLearningRate(Number($("lr").value)));
    $("start").addEventListener("input", () => this.setStart(Number($("start").value)));
    fillPicker($("optimizer"), this.page.choices, this.choice.key);
    $("optimizer").addEventListener("change", () => {
      this.choice = this.page.choices.find((c) => c.key === $("optimizer").value);
      this.track.optimizer = this.choice.optimizer;
      this.track.hyperparameters = { ...choiceDefaults(this.choice), lr: this.track.hyperparameters.lr };
      this.buildHyperparameters();
      this.page.optimizerChanged();
    });
    this.buildTraining();
    this.buildHyperparameters();
    this.showLearningRate();
  }

  /**
   * Another landscape under the ball (`entry` from readModel): it starts at the landscape's
   * start, or, for `reshape` (the same model on other points), where it started.
   */
  moveTo(entry, { reshape }) {
    const before = dataSize(this.track.surface);
    this.track.surface = entry;
    this.track.start = [inside(entry, reshape ? this.track.start[0] : entry.start[0])];
    const options = this.track.options;
    // a whole-data batch stays whole; the batch size's range follows the data's size
    if (!before || options.batch_size >= before) options.batch_size = dataSize(entry);
    this.buildTraining();
  }

  buildTraining() {
    buildTrainingControls($("training"), this.page.catalog, this.track, {
      idPrefix: "training",
      onInput: () => this.page.session.changed(),
    });
    applyControlParams(this.page.root, this.page.params);
  }

  buildHyperparameters() {
    const { hyperparameters, decoupled_by: decoupledBy } = this.choice.optimizer;
    buildHyperparameterControls($("hyperparameters"), hyperparameters, this.track.hyperparameters, {
      skip: ["lr"],
      onInput: (name) => {
        if (name === "weight_decay" || name === decoupledBy) this.page.showL2();
        this.page.session.changed();
      },
    });
    // #optimizer-rule: the rule these settings use, from the server (updaterule.js)
    applyControlParams(this.page.root, this.page.params);
  }

  /** A new rate from the slider or the keyboard (clamped to the slider's range). */
  setLearningRate(value) {
    const lr = $("lr");
    lr.value = String(Math.min(Number(lr.max), Math.max(Number(lr.min), value)));
    this.track.hyperparameters.lr = Number(Number(lr.value).toFixed(2));
    this.showLearningRate();
    this.page.session.changed();
  }

  /** ↑/↓: the rate one notch up or down, unless its slider is hidden or locked. */
  nudge(direction) {
    if (usable($("lr"))) this.setLearningRate(Number($("lr").value) + direction * LR_NUDGE);
  }

  showLearningRate() {
    $("lr-value").textContent = formatFixed(this.track.hyperparameters.lr, 2);
  }

  /** A new start from the slider or a click on the curve (none while the start is locked). */
  setStart(x) {
    if (isLocked(this.page.params, "start")) return; // a click on the curve must not move it
    this.track.start = [inside(this.track.surface, Number(x.toFixed(2)))];
    this.showStart();
    this.page.startChanged();
  }

  /** The start slider: the landscape's range, the ball's start. */
  showStart() {
    const [lo, hi] = this.track.surface.domain[0];
    const start = $("start");
    start.min = String(lo);
    start.max = String(hi);
    start.value = String(this.track.start[0]);
    $("start-value").textContent = formatFixed(this.track.start[0], 2);
  }
}
