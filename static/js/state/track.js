// One ball: its settings, the steps seen so far, and where its run stands on the server.

import { FACTS } from "../facts.js";
import { surfaceValue } from "../landscape.js";

/**
 * The step record's fields, as the engine defines them (app/engine/run/trace.py) and the
 * API sends them (app/facts.py hands the page the engine's list). A field the server sends
 * as null carries nothing for that run (no schedule, no training options, float64, one
 * evaluation per step): it is kept as null for each of its steps.
 */
export const STEP_FIELDS = FACTS.stepFields;

/**
 * Step `i` of a step record, as a record of its own (the state and the running verdict only
 * with its last step).
 */
export function stepOf(record, i) {
  const one = {};
  for (const name of STEP_FIELDS) one[name] = record[name] === null ? null : [record[name][i]];
  if (i === record.steps.length - 1) {
    one.state = record.state;
    one.verdict = record.verdict;
  }
  return one;
}

function sliced(trace, n) {
  return Object.fromEntries(Object.entries(trace).map(([name, values]) => [name, values.slice(0, n)]));
}

export class Track {
  /**
   * `surface` is a catalog entry (or a typed formula's, see formula.js); `optimizer` an /api/optimizers entry; `hyperparameters`
   * an object the page's controls write into; `start` one number per dimension.
   */
  constructor({
    surface, surfaceParameters = {}, optimizer, hyperparameters, start, options = {}, schedule = null, sharpness = false,
  }) {
    this.surface = surface;
    this.surfaceParameters = surfaceParameters;
    this.optimizer = optimizer;
    this.hyperparameters = hyperparameters;
    this.start = start;
    this.options = options; // run options (noise, clipping, precision), see options.js
    this.schedule = schedule; // {name, parameters} or null for a constant rate
    this.sharpness = sharpness; // ask for each step's sharpness (f″, or the Hessian's top eigenvalue)
    this.clear();
  }

  clear() {
    // Every step computed since the start, kept: the scrubber shows any of them.
    this.kept = Object.fromEntries(STEP_FIELDS.map((name) => [name, []]));
    this.cursor = null; // scrubbed back: the index of the step shown (null: the latest)
    this.view = null; // the steps up to the cursor, as `trace` gives them
    this.verdicts = []; // the engine's running verdicts: {step, verdict} as the stream sent them
    // Whether the server sent a field as data (not as one null): it means something here.
    this.carries = Object.fromEntries(STEP_FIELDS.map((name) => [name, false]));
    this.evaluationsTotal = 0;
    this.runState = null; // the server's state after the last step: resume from it
    this.status = null; // "converged" | "diverged" while at rest, else null
    this.outcome = null; // what happened, as the server decided it: {kind, minimum}
  }

  /**
   * At rest for good: Play starts such a ball over instead of continuing it. A run the engine
   * ended early (`decided`) is, unless it was still moving (bouncing for good: Play goes on).
   */
  get settled() {
    if (this.status === "decided") return FACTS.outcomes[this.outcome.kind].group !== "not_settled";
    return this.status === "converged" || this.status === "diverged";
  }

  /**
   * The steps shown, as the plots and readouts read them: every step kept, or — scrubbed back
   * — those up to the step scrubbed to.
   */
  get trace() {
    if (this.cursor === null) return this.kept;
    if (!this.view) this.view = sliced(this.kept, this.cursor + 1);
    return this.view;
  }

  get scrubbed() {
    return this.cursor !== null;
  }

  /** Show step `step` (or the nearest kept one); the last one kept: back to the latest. */
  scrubTo(step) {
    const steps = this.kept.steps;
    if (!steps.length) return;
    const index = Math.max(0, Math.min(steps.length - 1, step - steps[0])); // steps run on by one
    const cursor = index >= steps.length - 1 ? null : index;
    if (cursor !== this.cursor) this.view = null;
    this.cursor = cursor;
  }

  /**
   * The engine's running verdict at step `step` ({kind, minimum}, null while too early), as
   * the stream sent it at the end of the event that held that step or an earlier one.
   */
  verdictAt(step) {
    let found = null;
    for (const entry of this.verdicts) {
      if (entry.step > step) break;
      found = entry.verdict;
    }
    return found;
  }

  get length() {
    return this.trace.steps.length;
  }

  /**
   * The step shown (the latest, or the one scrubbed to) as {step, position, loss, gradient, lr, applied, underflow, epoch, batch,
   * batchPoints, stepSize}, or null before the first: `lr` is the learning rate the step used,
   * `applied` the gradient the optimizer was given (after mini-batch, noise, float16 and
   * clipping), `underflow` how many of its components float16 rounded to zero (null and 0
   * for a starting point); on a model landscape with mini-batches, the step's epoch, its
   * batch's number and the data points in it (null without); `stepSize`, the step size the
   * optimizer estimated for itself after the step (Prodigy's d; null for the others).
   */
  last() {
    const t = this.trace;
    const i = t.steps.length - 1;
    if (i < 0) return null;
    const start = t.steps[i] === 0 || i === 0;
    return {
      step: t.steps[i],
      position: t.positions[i],
      loss: t.losses[i],
      gradient: t.gradients[i],
      // null on the wire: the exact gradient at the step's start (the previous entry);
      // nothing underflowed
      lr: t.lrs[i],
      applied: t.applied_gradients[i] ?? (start ? null : t.gradients[i - 1]),
      underflow: t.underflows[i] ?? 0,
      epoch: t.epochs[i],
      batch: t.batches[i],
      batchPoints: t.batch_points[i],
      stepSize: t.step_sizes[i],
    };
  }

  /** The number of the last step computed (-1 before the first), wherever the scrubber is. */
  get lastStep() {
    const steps = this.kept.steps;
    return steps.length ? steps[steps.length - 1] : -1;
  }

  /**
   * A RunRequest for `steps` steps past the last one seen: from the last state if there is
   * one. A stream's state comes at the end of each event, so a ball paused mid-event is
   * ahead of it: the run then starts from the state and asks for the steps in between again
   * (the same numbers: they are skipped when they arrive).
   */
  request(steps) {
    const behind = this.runState ? Math.max(0, this.lastStep - this.runState.step) : 0;
    const run = {
      surface: surfaceValue(this.surface),
      optimizer: this.optimizer.id,
      hyperparameters: this.hyperparameters,
      surface_parameters: this.surfaceParameters,
      options: this.options,
      steps: steps + behind,
      end_early: true, // the engine ends a run whose outcome it can already tell
    };
    if (this.schedule) run.schedule = this.schedule;
    if (this.sharpness) run.sharpness = true;
    if (this.runState) run.resume = this.runState;
    else run.start = this.start;
    return run;
  }

  /** A RunRequest that replays this ball from its start for `steps` steps (as a link does). */
  replayRequest(steps) {
    const run = this.request(steps);
    delete run.resume;
    run.start = this.start;
    return run;
  }

  /** Add steps not seen yet (a resumed run repeats its first point) and remember the state. */
  append(data) {
    const t = this.kept;
    const last = this.lastStep;
    for (const name of STEP_FIELDS) this.carries[name] = data[name] !== null;
    data.steps.forEach((step, i) => {
      if (step <= last) return;
      for (const name of STEP_FIELDS) t[name].push(data[name] === null ? null : data[name][i]);
      // no schedule: the rate the step used is the run's lr as it was sent
      if (data.lrs === null && step > 0) t.lrs[t.lrs.length - 1] = this.hyperparameters.lr;
      this.evaluationsTotal += data.evaluations === null ? Math.min(step, 1) : data.evaluations[i];
    });
    if (data.state) this.runState = data.state;
    if (data.verdict !== undefined && data.steps.length) {
      const step = data.steps[data.steps.length - 1];
      this.verdicts = this.verdicts.filter((entry) => entry.step < step);
      this.verdicts.push({ step, verdict: data.verdict });
    }
    this.view = null;
  }

  /** How the run ended, from a run result or an `end` event. */
  ended(data) {
    this.runState = data.state;
    this.status = data.status;
    this.outcome = { kind: data.outcome, minimum: data.minimum };
    // scrubbed back to the end, the ball shows the outcome it ended with
    this.verdicts = this.verdicts.filter((entry) => entry.step < this.lastStep);
    this.verdicts.push({ step: this.lastStep, verdict: this.outcome });
  }
}
