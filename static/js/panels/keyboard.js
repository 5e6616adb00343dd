// Teaching from the front of a room: keyboard shortcuts, a help overlay, projector mode and
// full screen. Shortcuts never fire while the focus is in a form field (typing a number, or
// moving a slider with the arrow keys, keeps its own meaning there).

import { usable } from "./embed.js";

const HELP = [
  ["Space", "Play / Pause"],
  ["→", "One step"],
  ["R", "Reset"],
  ["↑ / ↓", "Learning rate up / down"],
  ["P", "Projector mode on / off"],
  ["F", "Full screen"],
  ["?", "This help"],
];

// Play and Step held (a predict-first lesson before its guesses): {reason, onBlocked} or null.
let held = null;

/**
 * Hold Play and Step's shortcuts (Space, →): pressed, they do not run but call
 * `onBlocked(reason)`, which says why. `holdPlay(null)` lets them go.
 */
export function holdPlay(reason, onBlocked = () => {}) {
  held = reason ? { reason, onBlocked } : null;
}

function typingIn(target) {
  return Boolean(target.closest && target.closest("input, select, textarea, [contenteditable]"));
}

/** Projector mode: large type, thick lines, high contrast (`?projector=1` or the toggle). */
export function setProjector(on, { onChange } = {}) {
  document.documentElement.classList.toggle("projector", on);
  const toggle = document.getElementById("projector");
  if (toggle) toggle.setAttribute("aria-pressed", String(on));
  if (onChange) onChange(on);
}

export function isProjector() {
  return document.documentElement.classList.contains("projector");
}

function toggleFullScreen() {
  if (document.fullscreenElement) document.exitFullscreen();
  else document.documentElement.requestFullscreen?.().catch(() => {});
}

function helpDialog() {
  let dialog = document.getElementById("keyboard-help");
  if (dialog) return dialog;
  dialog = document.createElement("dialog");
  dialog.id = "keyboard-help";
  dialog.setAttribute("aria-labelledby", "keyboard-help-title");
  const title = document.createElement("h2");
  title.id = "keyboard-help-title";
  title.textContent = "Keyboard shortcuts";
  const list = document.createElement("dl");
  for (const [key, what] of HELP) {
    const dt = document.createElement("dt");
    const kbd = document.createElement("kbd");
    kbd.textContent = key;
    dt.append(kbd);
    const dd = document.createElement("dd");
    dd.textContent = what;
    list.append(dt, dd);
  }
  const close = document.createElement("button");
  close.type = "button";
  close.textContent = "Close";
  close.addEventListener("click", () => dialog.close());
  dialog.append(title, list, close);
  document.body.append(dialog);
  return dialog;
}

/**
 * Wire the shortcuts and the projector/full-screen buttons. `actions`: playPause(), step(),
 * reset() (each by default a click on the page's #play, #step or #reset button when it can be
 * used), nudgeRate(direction ±1), projectorChanged(on).
 */
export function wireKeyboard(given) {
  const press = (id) => () => usable(document.getElementById(id)) && document.getElementById(id).click();
  const actions = { playPause: press("play"), step: press("step"), reset: press("reset"), ...given };
  document.getElementById("projector")?.addEventListener("click", () => {
    setProjector(!isProjector(), { onChange: actions.projectorChanged });
  });
  document.getElementById("fullscreen")?.addEventListener("click", toggleFullScreen);
  document.getElementById("shortcuts")?.addEventListener("click", () => helpDialog().showModal());
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typingIn(event.target)) return;
    const dialog = document.getElementById("keyboard-help");
    if (dialog && dialog.open) return; // the dialog handles Escape itself
    const key = event.key;
    const run = {
      " ": actions.playPause,
      ArrowRight: actions.step,
      r: actions.reset,
      R: actions.reset,
      ArrowUp: () => actions.nudgeRate(1),
      ArrowDown: () => actions.nudgeRate(-1),
      p: () => setProjector(!isProjector(), { onChange: actions.projectorChanged }),
      P: () => setProjector(!isProjector(), { onChange: actions.projectorChanged }),
      f: toggleFullScreen,
      F: toggleFullScreen,
      "?": () => helpDialog().showModal(),
    }[key];
    if (!run) return;
    // Space on a focused button or summary keeps its own meaning (press that button)
    if (key === " " && event.target.closest && event.target.closest("button, summary, a")) return;
    event.preventDefault();
    if (held && (key === " " || key === "ArrowRight")) held.onBlocked(held.reason);
    else run();
  });
}
