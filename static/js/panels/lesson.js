// A lesson opened from /lessons (?lesson=<id>): what to look for, one thing to try, a note for
// the teacher, and — with ?predict=1 — "What will happen?" first: Play waits for a guess, and
// once the run has ended the page says whether the guess was right (by the engine's outcome).

import { FACTS } from "../facts.js";
import { getJSON } from "../net/api.js";

/** Each outcome as a student would guess it (app/outcome_words.py). */
const GUESSES = Object.fromEntries(Object.entries(FACTS.outcomes).map(([id, words]) => [id, words.guess]));

function element(tag, attributes = {}, text = "") {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  if (text) el.textContent = text;
  return el;
}

function lessonPanel(lesson) {
  const panel = element("aside", { class: "lesson", "aria-labelledby": "lesson-title" });
  panel.append(element("p", { class: "lesson-kicker" }, `Lesson · ${lesson.topic}`));
  panel.append(element("h2", { id: "lesson-title" }, lesson.title));
  const list = element("dl");
  list.append(element("dt", {}, "Look for"), element("dd", { id: "lesson-look-for" }, lesson.look_for));
  list.append(element("dt", {}, "Try this"), element("dd", { id: "lesson-try" }, lesson.try_this));
  panel.append(list);
  const note = element("details", { class: "teacher-note" });
  note.append(element("summary", {}, "Note for the teacher"), element("p", {}, lesson.teacher_note));
  panel.append(note, element("p", {}, ""));
  panel.lastChild.append(element("a", { href: "/lessons" }, "All lessons"));
  return panel;
}

function predictionForm(lesson, onGuess) {
  const form = element("fieldset", { class: "predict", id: "predict" });
  form.append(element("legend", {}, "What will happen? Guess before you press Play."));
  lesson.choices.forEach((outcome, i) => {
    const id = `predict-${i}`;
    const row = element("div", { class: "choice" });
    const radio = element("input", { type: "radio", name: "prediction", id, value: outcome });
    radio.addEventListener("change", () => onGuess(outcome));
    row.append(radio, element("label", { for: id }, GUESSES[outcome] || outcome));
    form.append(row);
  });
  form.append(element("p", { class: "verdict", id: "prediction-result", "aria-live": "polite" }));
  return form;
}

/**
 * Show the lesson named by the address in `root` (after `anchor`), if any. `firstTrack()`
 * gives the ball whose outcome the prediction is about; `buttons` are held until a guess.
 * Returns {update()} to call whenever the page draws.
 */
export async function startLesson(root, params, { anchor, firstTrack, buttons }) {
  const id = params.get("lesson");
  if (!id) return { update() {} };
  const lessons = await getJSON("/api/lessons");
  const lesson = lessons.find((l) => l.id === id);
  if (!lesson) return { update() {} };
  const panel = lessonPanel(lesson);
  anchor.append(panel); // inside the intro: the page's layout stays as it is
  if (params.get("predict") !== "1" || !lesson.choices.length) return { update() {} };

  let guess = null;
  for (const b of buttons) b.disabled = true;
  const form = predictionForm(lesson, (outcome) => {
    guess = outcome;
    for (const b of buttons) if (!b.dataset.locked) b.disabled = false;
  });
  panel.append(form);
  const result = form.querySelector("#prediction-result");
  return {
    update() {
      const track = firstTrack();
      if (!guess || !track || !track.outcome || track.length <= 1) {
        result.textContent = guess ? "Press Play and watch." : "";
        return;
      }
      const happened = track.outcome.kind;
      const right = happened === guess;
      result.className = `verdict ${right ? "right" : "wrong"}`;
      result.textContent = right
        ? `You predicted it: ${GUESSES[happened]}`
        : `Not quite. You guessed “${GUESSES[guess]}” — ${GUESSES[happened] || happened}`;
    },
  };
}
