// A lesson opened from /lessons (?lesson=<id>): what to look for, one thing to try, a note for
// the teacher, and — with ?predict=1 — "What will happen?" first: the lesson's neutral question
// and one guess for each ball the server says it asks about (`asks`), each ball named by its
// colour (FACTS.racerStyles) and optimizer. Every text that tells the answer (the lesson's
// `reveal`: its title, what to look for…) is held back; Play and Step (and Space, →) wait for
// the guesses, saying so beside the buttons and in the status line. Once every asked ball's
// run has ended, the page says which guesses were right and why — each ball's outcome as the
// engine decided it, in the server's words (verdict.js) — and shows the held-back texts.
// The /network page opens its lessons here too (netlesson.js), passing in the lesson, its
// racers as the balls, and the network outcomes' words.

import { FACTS } from "../facts.js";
import { formatNumber } from "../format.js";
import { getJSON } from "../net/api.js";
import { describe } from "../verdict.js";
import { holdPlay } from "./keyboard.js";

/** Each ball outcome as a student would guess it (app/outcome_words.py). */
const GUESSES = Object.fromEntries(Object.entries(FACTS.outcomes).map(([id, words]) => [id, words.guess]));

const QUESTION_TITLE = "What will happen?";
const WAIT = "Make your guess first";

function element(tag, attributes = {}, text = "") {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  if (text) el.textContent = text;
  return el;
}

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

/**
 * A ball as the question names it: "The orange ball — Gradient descent, lr 0.1" on the
 * explorer (its colour from the page's racer styles), "The ball" on Roll Downhill.
 */
function ballName(ball, noun) {
  const who = ball.style ? `The ${ball.style.name} ${noun}` : `The ${noun}`;
  if (!ball.label) return { who, text: who }; // Roll Downhill's one ball: the question names it
  return { who, text: `${who} — ${ball.label}, lr ${formatNumber(ball.track.hyperparameters.lr)}` };
}

/** One ball's guesses: a radio group among the lesson's choices (`alone`: the only one). */
function guessGroup(lesson, ball, n, alone, { guesses, noun }, onGuess) {
  const form = element("fieldset", { class: "predict-ball" });
  const legend = element("legend");
  if (ball.style) {
    const swatch = element("span", { class: "predict-swatch", "aria-hidden": "true" });
    swatch.style.backgroundColor = ball.style.color;
    legend.append(swatch);
  }
  const asked = alone && !ball.style ? "Your guess, before you press Play:" : `${ballName(ball, noun).text}: what will it do?`;
  legend.append(element("span", {}, asked));
  form.append(legend);
  lesson.choices.forEach((outcome, i) => {
    const id = `predict-${n}-${i}`;
    const row = element("div", { class: "choice" });
    const radio = element("input", { type: "radio", name: `prediction-${n}`, id, value: outcome });
    radio.addEventListener("change", () => onGuess(outcome));
    row.append(radio, element("label", { for: id }, guesses[outcome] || outcome));
    form.append(row);
  });
  return form;
}

/**
 * Show the lesson named by the address in `root` (after `anchor`), if any. `balls()` gives
 * the page's balls ({label, style, track}, in racer order); `buttons` (Play, Step) wait for
 * the guesses; `redraw()` asks the page to draw again (its status line). Returns {update(), status(text), asks}: update() whenever the page draws; status()
 * turns the page's status line into what the lesson says instead (before the guesses);
 * `asks`, the racers (by place) whose end the box tells once the run has ended.
 * Another page's lessons (/network's) pass in `lesson` (as its endpoint serves it), the words
 * of each outcome as a guess (`guesses`), how a ball's run ended in the server's words
 * (`tell(ball)`) and what a ball is called (`noun`).
 */
export async function startLesson(root, params, { anchor, balls, buttons, redraw, ...words }) {
  const none = { update() {}, status: (text) => text, asks: [] };
  const id = params.get("lesson");
  if (!id) return none;
  const lesson = words.lesson || (await getJSON("/api/lessons")).find((l) => l.id === id);
  if (!lesson) return none;
  const { guesses: guessWords = GUESSES, noun = "ball", tell = (ball) => describe(ball.track, { playing: false }) } = words;
  const asking = params.get("predict") === "1" && lesson.choices.length > 0 && lesson.predict;
  const panel = lessonPanel(lesson, asking);
  anchor.append(panel); // inside the intro: the page's layout stays as it is
  if (!asking) return none;
  // a live class's teacher asks the class (panels/classroom.js), who reveals once it has answered
  if (params.get("class") && params.get("role") === "teacher") return { ...none, reveal: () => reveal(panel, lesson) };

  const asked = () => lesson.asks.map((i) => balls()[i]).filter(Boolean);
  const guesses = new Map(); // place in `asks` -> the outcome guessed
  const waiting = () => guesses.size < lesson.asks.length;
  const many = lesson.asks.length > 1;

  // Beside the buttons: why they wait (a live region, said again when a held key is pressed).
  const hint = element("p", { class: "predict-hold", id: "predict-hold", role: "status" }, WAIT);
  buttons[0].parentElement.append(hint);
  const held = () => {
    for (const b of buttons) {
      b.disabled = true;
      b.setAttribute("aria-describedby", "predict-hold");
    }
  };
  held();

  const form = element("div", { class: "predict", id: "predict" });
  const alone = !many && !asked()[0]?.style; // Roll Downhill's one ball: its group says it all
  const intro = element("p", { class: "predict-intro" }, many ? "Your guesses, before you press Play:" : "Your guess, before you press Play:");
  if (!alone) form.append(intro);
  const groups = asked().map((ball, n) =>
    guessGroup(lesson, ball, n, alone, { guesses: guessWords, noun }, (outcome) => {
      guesses.set(n, outcome);
      if (waiting()) return;
      holdPlay(null);
      hint.hidden = true;
      for (const b of buttons) {
        b.removeAttribute("aria-describedby");
        if (!b.dataset.locked) b.disabled = false;
      }
      redraw();
    }),
  );
  form.append(...groups);
  const result = element("div", { class: "verdict", id: "prediction-result", "aria-live": "polite" });
  form.append(result);
  panel.querySelector("#lesson-question").after(form);

  const whatToDo = many ? `choose what each ${noun} will do` : `choose what the ${noun} will do`;
  /** A held key (Space, →): say why again, and show the first unanswered guess. (The focus
   * stays: on a radio button a second Space would make the guess for the student.) */
  const blocked = (reason) => {
    hint.textContent = "";
    requestAnimationFrame(() => (hint.textContent = reason));
    hint.classList.remove("flash");
    void hint.offsetWidth; // restart the highlight
    hint.classList.add("flash");
    const open = groups.find((_, n) => !guesses.has(n));
    if (open) open.scrollIntoView({ block: "nearest" });
  };
  holdPlay(WAIT, blocked);

  let judged = false;
  return {
    asks: lesson.asks, // the racers whose end the box tells, beside each guess
    status: (text) => (waiting() ? `${WAIT}: ${whatToDo} in the lesson box, then press Play.` : text),
    update() {
      const shown = asked();
      const started = shown.some((b) => b.track.length > 1);
      for (const radio of form.querySelectorAll("input")) radio.disabled = started && !waiting();
      if (judged || waiting()) return;
      const ended = shown.length === lesson.asks.length && shown.every((b) => b.track.outcome && b.track.length > 1);
      if (!ended) {
        result.textContent = started ? "" : "Press Play and watch.";
        return;
      }
      judged = true;
      reveal(panel, lesson);
      intro.textContent = many ? "Your guesses, and what happened:" : "Your guess, and what happened:";
      result.textContent = "";
      let right = 0;
      shown.forEach((ball, n) => {
        const guess = guesses.get(n);
        const happened = ball.track.outcome.kind;
        const ok = happened === guess;
        right += ok;
        const line = element("p", { class: `predict-line ${ok ? "right" : "wrong"}` });
        const said = ok ? "You predicted it." : `Not quite: you guessed “${guessWords[guess]}”`;
        const whose = many ? `${ballName(ball, noun).who}: ${said[0].toLowerCase()}${said.slice(1)}` : said;
        line.append(element("strong", {}, whose), ` ${tell(ball)}`);
        result.append(line);
      });
      result.className = `verdict ${right === shown.length ? "right" : "wrong"}`;
    },
  };
}
