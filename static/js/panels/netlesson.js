// A network lesson opened on /network (?lesson=<id>, the /lessons gallery's link): the lesson's
// scenario (GET /api/networks/lessons: the body of POST /api/networks/runs) becomes the page's
// address parameters before the page reads them, so every control — and the address the page
// then writes — is the lesson's; then its box opens as on the ball pages (lesson.js): what to
// look for, one thing to try, the teacher's note, and for a predict-first lesson the question,
// one guess per asked racer, Play held until the guesses, and the verdict from the outcome
// the server sent for each asked racer once one press of Play (the lesson's `steps`) has run.

import { FACTS } from "../facts.js";
import { getJSON } from "../net/api.js";
import { CARRIED, currentParams, encodeValue } from "../state/urlstate.js";
import { choiceDefaults } from "./controls.js";
import { startLesson } from "./lesson.js";

/** Each network outcome as a student would guess it (app/outcome_words.py NET_OUTCOME_WORDS). */
const GUESSES = Object.fromEntries(Object.entries(FACTS.netOutcomes).map(([code, words]) => [code, words.guess]));

/** The page's batch menu entry for "every training point" (the request leaves batch_size out). */
export const FULL_BATCH = 0;

/**
 * The choice (optimizer, or SGD preset) a lesson's racer is: the first of its optimizer's
 * whose preset agrees with the racer's settings (plain SGD is the "gd" preset).
 */
function choiceOf(racer, choices) {
  const mine = choices.filter((c) => c.optimizer.id === racer.optimizer);
  const agrees = (c) => {
    const values = { ...choiceDefaults(c), ...racer.hyperparameters };
    return Object.entries(c.preset).every(([name, value]) => encodeValue(values[name]) === encodeValue(value));
  };
  return mine.find(agrees) || mine[0];
}

/** The lesson's scenario as the page's address parameters (network.js's control table). */
function scenarioParams(lesson, choices) {
  const { data = {}, model = {}, options = {}, optimizers = [] } = lesson.scenario;
  const params = new URLSearchParams();
  const put = (name, value) => value !== undefined && value !== null && params.set(name, encodeValue(value));
  put("data", data.dataset);
  put("points", data.points);
  put("noise", data.noise);
  put("test", data.test_ratio);
  put("seed", data.seed);
  put("features", model.features);
  if (model.hidden) {
    put("layers", model.hidden.length);
    model.hidden.forEach((units, i) => put(`u${i + 1}`, units));
  }
  put("act", model.activation);
  put("init", model.init);
  put("wseed", model.init_seed);
  put("l1", model.l1);
  put("l2", model.l2);
  put("batch", options.batch_size ?? FULL_BATCH); // left out: every training point
  put("clip", options.clip_grad_norm);
  put("sam", options.sam_rho);
  put("run", lesson.scenario.steps);
  put("speed", lesson.speed);
  optimizers.forEach((racer, i) => {
    const prefix = `r${i + 1}`;
    const choice = choiceOf(racer, choices);
    put(prefix, choice.key);
    for (const [name, value] of Object.entries({ ...choiceDefaults(choice), ...racer.hyperparameters })) put(`${prefix}.${name}`, value);
    if (racer.schedule && racer.schedule.name !== "constant") {
      put(`${prefix}.schedule`, racer.schedule.name);
      for (const [name, value] of Object.entries(racer.schedule.parameters || {})) put(`${prefix}.schedule.${name}`, value);
    }
  });
  return params;
}

/**
 * The lesson `params` names (?lesson=<id>), or null. A bare lesson link (nothing in the address
 * but the view parameters) is filled in with the lesson's scenario, and `predict=1` for a
 * predict-first lesson; an address the page has written since (the lesson's settings, or a
 * student's changes to them) is the page's state as it stands, and only the box opens.
 */
export async function openNetLesson(params, choices) {
  const id = params.get("lesson");
  if (!id) return null;
  const lesson = (await getJSON("/api/networks/lessons")).find((l) => l.id === id);
  if (!lesson) return null;
  const bare = [...params.keys()].every((name) => CARRIED.includes(name));
  if (bare) {
    for (const [name, value] of scenarioParams(lesson, choices)) params.set(name, value);
    if (lesson.predict) {
      params.set("predict", "1"); // carried in the address from now on, as on a ball lesson's link
      const here = currentParams();
      here.set("predict", "1");
      window.history.replaceState(null, "", `${window.location.pathname}?${here}`);
    }
  }
  return lesson;
}

/**
 * The lesson's box on the page (`page`: network.js's NetworkPage), above Play beside the map.
 * An asked racer's run has ended once it has its outcome after the lesson's `steps`, or
 * sooner where the server stopped it (its state no longer "running": diverged, or converged).
 */
export function showNetLesson(root, params, lesson, page) {
  const slot = document.createElement("div");
  slot.className = "lesson-slot net-lesson-slot";
  slot.id = "lesson-slot";
  root.querySelector(".net-side").prepend(slot);
  // the big map shows the racer the question asks about (the others are its contrast)
  if (lesson.predict && lesson.asks.length) root.querySelector(`#racer-strip [data-racer="${lesson.asks[0]}"]`)?.click();
  const balls = () =>
    page.racers.map((racer, i) => {
      const steps = page.runs.steps[i].step;
      const last = steps.length ? steps[steps.length - 1] : 0;
      const outcome = page.runs.outcomes[i];
      const state = page.runs.states ? page.runs.states[i] : null;
      const ended = outcome && (last >= lesson.steps || (state && state.status !== "running"));
      return {
        index: i,
        label: racer.choice.label, // the question adds the rate (lesson.js)
        style: racer.style,
        track: { length: steps.length, outcome: ended ? { kind: outcome.code } : null, hyperparameters: racer.hyperparameters },
      };
    });
  return startLesson(root, params, {
    anchor: slot,
    balls,
    buttons: [root.querySelector("#play"), root.querySelector("#step")],
    redraw: () => page.scheduleDraw(),
    lesson,
    guesses: GUESSES,
    noun: "racer",
    tell: (ball) => page.sentence(ball.index),
  });
}
