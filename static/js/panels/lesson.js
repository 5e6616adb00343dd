// A lesson opened from /lessons (?lesson=<id>): what to look for, one thing to try, a note for
// the teacher, and — with ?predict=1 — "What will happen?" first: the lesson's neutral question
// and the guesses, with every text that tells the answer (the lesson's `reveal`: its title,
// what to look for…) held back; Play waits for a guess, and once the run has ended the page
// says whether the guess was right (by the engine's outcome) and shows the held-back texts.

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

const QUESTION_TITLE = "What will happen?";

/**
 * The lesson's box. `asking`: a predict-first lesson before its run has ended, which holds
 * back the texts the server lists in its `reveal` (they tell the answer).
 */
function lessonPanel(lesson, asking) {
  const held = new Set(asking ? lesson.reveal : []);
  const panel = element("aside", { class: "lesson", "aria-labelledby": "lesson-title" });
  panel.append(element("p", { class: "lesson-kicker" }, `Lesson · ${lesson.topic}`));
  panel.append(element("h2", { id: "lesson-title" }, held.has("title") ? QUESTION_TITLE : lesson.title));
  if (asking) panel.append(element("p", { id: "lesson-question" }, lesson.question));
  const list = element("dl");
  const entry = (field, term, id) => {
    const shown = [element("dt", {}, term), element("dd", { id }, lesson[field])];
    for (const el of shown) el.hidden = held.has(field);
    list.append(...shown);
  };
  entry("look_for", "Look for", "lesson-look-for");
  entry("try_this", "Try this", "lesson-try");
  const note = element("details", { class: "teacher-note" });
  note.append(element("summary", {}, "Note for the teacher"), element("p", {}, lesson.teacher_note));
  note.hidden = held.has("teacher_note");
  panel.append(list, note, element("p", {}, ""));
  panel.lastChild.append(element("a", { href: "/lessons" }, "All lessons"));
  return panel;
}

/** After the run: the lesson's title and every text held back, in place of the question. */
function reveal(panel, lesson) {
  panel.querySelector("#lesson-title").textContent = lesson.title;
  panel.querySelector("#lesson-question").hidden = true;
  for (const el of panel.querySelectorAll("dl > *, .teacher-note")) el.hidden = false;
}

function predictionForm(lesson, onGuess) {
  const form = element("fieldset", { class: "predict", id: "predict" });
  form.append(element("legend", {}, "Your guess, before you press Play:"));
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
  const asking = params.get("predict") === "1" && lesson.choices.length > 0 && lesson.predict;
  const panel = lessonPanel(lesson, asking);
  anchor.append(panel); // inside the intro: the page's layout stays as it is
  if (!asking) return { update() {} };

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
      reveal(panel, lesson);
      result.className = `verdict ${right ? "right" : "wrong"}`;
      result.textContent = right
        ? `You predicted it: ${GUESSES[happened]}`
        : `Not quite. You guessed “${GUESSES[guess]}” — ${GUESSES[happened] || happened}`;
    },
  };
}
