// What the live class's bar (panels/classroom.js) shares between its teacher's and its
// students' parts.

import { FACTS } from "../facts.js";

export const $ = (id) => document.getElementById(id);

// Address parameters that are no part of a scene: the run's progress (the controls carry it),
// the class itself, and each screen's own view (a phone is no projector).
export const NOT_SCENE = ["steps", "class", "role", "key", "projector", "embed", "hide", "lock"];

/** Each outcome as a student guesses it (app/outcome_words.py), as the lesson box offers it. */
export const GUESSES = Object.fromEntries(Object.entries(FACTS.outcomes).map(([id, words]) => [id, words.guess]));

export function element(tag, attributes = {}, text = "") {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  if (text) el.textContent = text;
  return el;
}

/** The optimizers a page offers (its choices, presets folded into the optimizer they preset):
 * what an optimizer experiment varies. */
export function optimizersOf(page) {
  const seen = new Map();
  for (const choice of page.choices) if (!seen.has(choice.optimizer.id)) seen.set(choice.optimizer.id, choice.optimizer);
  return [...seen.values()];
}

/** An optimizer's name by its id (the id itself if the page has none such). */
export function optimizerName(page, id) {
  const optimizer = optimizersOf(page).find((o) => o.id === id);
  return optimizer ? optimizer.name : id;
}

/**
 * Whether `question` is this page's lesson's: a question outlives the scene it was asked in
 * (until the next one is asked), so a page on another lesson, or on none, leaves it be.
 */
export function asksThisLesson(question, lesson) {
  if (!question || !lesson || !lesson.predict) return false;
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  return question.asks.length === lesson.asks.length && same(question.choices, lesson.choices);
}
