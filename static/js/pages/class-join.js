// /join: the code on the board (or in the QR's address) → join the class → its current page
// with class=CODE, or a waiting line until the teacher opens one. A phone-first page: one
// field, one button, large type.

import { StudentClient, joinClass, kept, openScene } from "../net/classroom.js";

const $ = (id) => document.getElementById(id);
const form = $("class-join-form");
const input = $("class-code-input");
const error = $("class-join-error");

/** What a refusal means to a student (the server's own words follow). */
function refusalText(refusal) {
  if (refusal.status === 404) return `There is no open class with that code. Check it on the board.`;
  if (refusal.status === 403) return "This class is not taking new students right now: ask your teacher.";
  if (refusal.status === 409) return "This class is full: ask your teacher.";
  if (refusal.status === 429) return `Too many tries: wait ${refusal.retryAfter || 10} s and try again.`;
  return `Could not join: ${refusal.message}`;
}

/** In the class, no page open yet: wait for the teacher's first scene. */
function waitForScene(code, student) {
  form.hidden = true;
  $("class-waiting").hidden = false;
  const client = new StudentClient(code, student);
  const go = (scene) => scene && openScene(scene, code);
  const source = client.events({
    state: (data) => go(data.scene),
    scene: (scene) => go(scene),
    closed: () => {
      source.close();
      $("class-waiting-text").textContent = "The class has ended.";
    },
  });
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const code = input.value.trim().toUpperCase();
  error.textContent = "";
  if (!/^[A-Z0-9]{4,12}$/.test(code)) {
    error.textContent = "Type the code from the board: six letters and digits.";
    input.focus();
    return;
  }
  $("class-join-button").disabled = true;
  try {
    const joined = await joinClass(code);
    kept.setStudent(code, joined.student);
    if (joined.scene) openScene(joined.scene, code);
    else waitForScene(code, joined.student);
  } catch (refusal) {
    error.textContent = refusalText(refusal);
    input.focus();
  } finally {
    $("class-join-button").disabled = false;
  }
});
$("class-join").dataset.ready = "true";
