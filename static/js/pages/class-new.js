// /class/new: one button asks the server for a class and opens the teacher's class home, the
// class's key in the address's fragment (never sent to the server in an address) and kept
// for this tab.

import { createClass, kept } from "../net/classroom.js";

const button = document.getElementById("class-start");
const error = document.getElementById("class-error");

button.addEventListener("click", async () => {
  button.disabled = true;
  error.textContent = "";
  try {
    const made = await createClass();
    kept.setKey(made.code, made.key);
    window.location.assign(`${made.teach_url}#key=${encodeURIComponent(made.key)}`);
  } catch (refusal) {
    const wait = refusal.retryAfter ? ` Try again in ${refusal.retryAfter} s.` : "";
    error.textContent = `No class was started: ${refusal.message}.${wait}`;
    button.disabled = false;
  }
});
document.getElementById("class-new").dataset.ready = "true";
