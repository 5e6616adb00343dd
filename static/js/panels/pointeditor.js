// The student's own points, edited on the data plot (a Plotly scatter or heat map): a click
// adds a point of the chosen class where it lands, a drag moves a point, Shift+click removes
// the point under the pointer. On a touch screen the mode switch (pointModeControl) says what
// a tap does: add, move or remove. From the keyboard, the plot is one tab stop: the arrow keys
// move a cross (Shift: further), Enter adds a point there, Delete removes the point nearest it.
//
// Points are {x: [[x1, x2], …], y: [class, …]} — the run request's `data.own` shape — or, on a
// regression set (getClass() answers null), {x: [[x], …], y: [target, …]}: the plot's y axis
// is then the target.

const GRAB_PX = 12; // a press this close to a point takes that point
const CLICK_PX = 5; // a pointer that moves further than this between down and up is dragging
const KEY_STEPS = 24; // the cross crosses the plot in this many presses (Shift: a quarter of it)
const MODES = [
  ["add", "add"],
  ["move", "move"],
  ["remove", "remove"],
];
let controls = 0;

/**
 * The touch-friendly mode switch: a fieldset of three radio buttons (add / move / remove) whose
 * `value` property is the chosen mode. `onChange(mode)` when it changes.
 */
export function pointModeControl({ value = "add", onChange = () => {} } = {}) {
  controls += 1;
  const fieldset = document.createElement("fieldset");
  fieldset.className = "point-modes";
  const legend = document.createElement("legend");
  legend.textContent = "A tap on the plot:";
  fieldset.append(legend);
  for (const [mode, text] of MODES) {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "radio";
    input.name = `point-mode-${controls}`;
    input.value = mode;
    input.checked = mode === value;
    input.addEventListener("change", () => onChange(mode));
    label.append(input, ` ${text}`);
    fieldset.append(label);
  }
  Object.defineProperty(fieldset, "value", {
    get: () => fieldset.querySelector("input:checked")?.value || "add",
    set: (mode) => {
      for (const input of fieldset.querySelectorAll("input")) input.checked = input.value === mode;
    },
  });
  return fieldset;
}

function copy(points) {
  return { x: points.x.map((p) => [...p]), y: [...points.y] };
}

/**
 * Edit points on `plotDiv` (its layout should set `dragmode: false`). Options:
 * `getPoints()` and `setPoints(points)` (every change, a drag's moves included, at most once a
 * frame), `getClass()` (the class a new point gets; null on a regression set), `getMode()`
 * ("add" | "move" | "remove": pointModeControl's value; "add" when absent), `extent`
 * ([[x1min, x1max], [x2min, x2max]]: points stay inside; one range on a regression set),
 * `limit` (the catalog's point limit), `onChange(points)` (once per finished edit).
 * Returns a function that detaches the editor.
 */
export function attachPointEditor(plotDiv, options) {
  const { getPoints, setPoints, getClass, getMode = () => "add", extent, limit = Infinity, onChange = () => {} } = options;
  const note = document.createElement("p");
  note.className = "point-note";
  note.setAttribute("role", "status");
  plotDiv.after(note);
  const cross = document.createElement("div");
  cross.className = "point-cross";
  cross.hidden = true;
  let drag = null;
  let frame = 0;
  let pending = null;
  let keyAt = null; // the keyboard's cross in data coordinates

  const axes = () => {
    const layout = plotDiv._fullLayout;
    return layout && layout.xaxis && layout.xaxis._length ? layout : null;
  };

  const clampTo = (v, range) => (range ? Math.max(range[0], Math.min(range[1], v)) : v);

  const ranges = () => {
    if (!extent) return [null, null];
    return Array.isArray(extent[0]) ? [extent[0], extent[1] || null] : [extent, null];
  };

  /** The pointer's place: pixels inside the plotting area and data coordinates, or null. */
  const where = (event) => {
    const layout = axes();
    if (!layout) return null;
    const box = plotDiv.getBoundingClientRect();
    const px = event.clientX - box.left - layout.xaxis._offset;
    const py = event.clientY - box.top - layout.yaxis._offset;
    if (px < 0 || py < 0 || px > layout.xaxis._length || py > layout.yaxis._length) return null;
    const [xr, yr] = ranges();
    return { px, py, x: clampTo(layout.xaxis.p2d(px), xr), y: clampTo(layout.yaxis.p2d(py), yr) };
  };

  const plotY = (points, i) => (getClass() === null ? points.y[i] : points.x[i][1]);

  /** The index of the point within `radius` px of (px, py), nearest first, or −1. */
  const nearest = (points, px, py, radius = GRAB_PX) => {
    const layout = axes();
    let best = -1;
    let bestD = radius;
    points.x.forEach((p, i) => {
      const d = Math.hypot(layout.xaxis.d2p(p[0]) - px, layout.yaxis.d2p(plotY(points, i)) - py);
      if (d <= bestD) {
        best = i;
        bestD = d;
      }
    });
    return best;
  };

  const round = (v) => Number(v.toFixed(3));

  /** Point i of `points` to data coordinates (x, y). */
  const place = (points, i, x, y) => {
    if (getClass() === null) {
      points.x[i] = [round(x)];
      points.y[i] = round(y);
    } else {
      points.x[i] = [round(x), round(y)];
    }
  };

  const say = (text) => {
    note.textContent = text;
  };

  const show = (points) => {
    pending = points;
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      setPoints(pending);
    });
  };

  const finish = (points) => {
    if (frame) {
      cancelAnimationFrame(frame);
      frame = 0;
    }
    setPoints(points);
    onChange(points);
  };

  const add = (x, y) => {
    const points = copy(getPoints());
    if (points.x.length >= limit) {
      say(`At most ${limit} points: remove one to add another.`);
      return false;
    }
    const cls = getClass();
    points.x.push(null);
    points.y.push(cls === null ? 0 : cls);
    place(points, points.x.length - 1, x, y);
    say(points.x.length >= limit ? `That is ${limit} points, the most a set can have.` : "");
    finish(points);
    return true;
  };

  const remove = (i) => {
    const points = copy(getPoints());
    points.x.splice(i, 1);
    points.y.splice(i, 1);
    say("");
    finish(points);
  };

  const press = (event) => {
    if (event.button !== 0) return;
    const at = where(event);
    if (!at) return;
    event.preventDefault();
    plotDiv.setPointerCapture?.(event.pointerId);
    drag = { index: nearest(getPoints(), at.px, at.py), from: at, moved: false, shift: event.shiftKey };
  };

  const move = (event) => {
    if (!drag || drag.index < 0 || drag.shift || getMode() === "remove") return;
    const at = where(event);
    if (!at) return;
    if (!drag.moved && Math.hypot(at.px - drag.from.px, at.py - drag.from.py) < CLICK_PX) return;
    drag.moved = true;
    const points = copy(pending && frame ? pending : getPoints());
    place(points, drag.index, at.x, at.y);
    drag.points = points;
    show(points);
  };

  const release = () => {
    const d = drag;
    drag = null;
    if (!d) return;
    if (d.moved) {
      finish(d.points);
      return;
    }
    const mode = d.shift ? "remove" : getMode();
    if (mode === "remove") {
      if (d.index >= 0) remove(d.index);
    } else if (mode === "add") {
      add(d.from.x, d.from.y);
    }
  };

  const cancel = () => {
    drag = null;
  };

  // --- the keyboard's cross ----------------------------------------------------------------

  const drawCross = () => {
    const layout = axes();
    if (!layout || !keyAt) {
      cross.hidden = true;
      return;
    }
    cross.hidden = false;
    cross.style.left = `${layout.xaxis._offset + layout.xaxis.d2p(keyAt.x)}px`;
    cross.style.top = `${layout.yaxis._offset + layout.yaxis.d2p(keyAt.y)}px`;
  };

  const focus = () => {
    const layout = axes();
    if (!layout) return;
    if (!keyAt) {
      const [xr, yr] = [layout.xaxis.range, layout.yaxis.range];
      keyAt = { x: (xr[0] + xr[1]) / 2, y: (yr[0] + yr[1]) / 2 };
    }
    drawCross();
    say("Arrow keys move the cross; Enter adds a point there, Delete removes the nearest one.");
  };

  const blur = () => {
    cross.hidden = true;
  };

  const key = (event) => {
    const layout = axes();
    if (!layout || !keyAt || event.ctrlKey || event.metaKey || event.altKey) return;
    const [xr, yr] = [layout.xaxis.range, layout.yaxis.range];
    const [cx, cy] = ranges();
    const stepX = ((xr[1] - xr[0]) / KEY_STEPS) * (event.shiftKey ? 4 : 1);
    const stepY = ((yr[1] - yr[0]) / KEY_STEPS) * (event.shiftKey ? 4 : 1);
    const clampX = (v) => clampTo(Math.max(Math.min(...xr), Math.min(Math.max(...xr), v)), cx);
    const clampY = (v) => clampTo(Math.max(Math.min(...yr), Math.min(Math.max(...yr), v)), cy);
    const moves = { ArrowLeft: [-stepX, 0], ArrowRight: [stepX, 0], ArrowUp: [0, stepY], ArrowDown: [0, -stepY] };
    if (moves[event.key]) {
      keyAt = { x: clampX(keyAt.x + moves[event.key][0]), y: clampY(keyAt.y + moves[event.key][1]) };
      drawCross();
      say(`Cross at (${round(keyAt.x)}, ${round(keyAt.y)}).`);
    } else if (event.key === "Enter") {
      if (add(keyAt.x, keyAt.y)) say(`Point added at (${round(keyAt.x)}, ${round(keyAt.y)}).`);
    } else if (event.key === "Delete" || event.key === "Backspace") {
      const i = nearest(getPoints(), layout.xaxis.d2p(keyAt.x), layout.yaxis.d2p(keyAt.y), 4 * GRAB_PX);
      if (i >= 0) remove(i);
      say(i >= 0 ? "Removed the point nearest the cross." : "No point near the cross.");
    } else return;
    event.preventDefault(); // the page's arrow shortcuts (step, rate) stay out of it
  };

  // On a touch screen a drag over the map scrolls the page, except in "move" mode, where it
  // moves a point: the switch (a change event) sets which.
  const touch = () => {
    plotDiv.style.touchAction = getMode() === "move" ? "none" : "";
  };

  const before = { label: plotDiv.getAttribute("aria-label"), tabindex: plotDiv.getAttribute("tabindex") };
  if (getComputedStyle(plotDiv).position === "static") plotDiv.style.position = "relative";
  if (before.tabindex === null) plotDiv.tabIndex = 0;
  plotDiv.setAttribute(
    "aria-label",
    `${before.label ? `${before.label} ` : ""}Your points: click to add one, drag to move one, Shift+click to remove one; ` +
      "from the keyboard, the arrow keys move a cross, Enter adds a point there, Delete removes the nearest.",
  );
  plotDiv.append(cross);
  touch();
  const listeners = [
    ["pointerdown", press],
    ["pointermove", move],
    ["pointerup", release],
    ["pointercancel", cancel],
    ["focus", focus],
    ["blur", blur],
    ["keydown", key],
  ];
  for (const [name, f] of listeners) plotDiv.addEventListener(name, f, true);
  document.addEventListener("change", touch, true);

  return function detach() {
    for (const [name, f] of listeners) plotDiv.removeEventListener(name, f, true);
    document.removeEventListener("change", touch, true);
    if (frame) cancelAnimationFrame(frame);
    note.remove();
    cross.remove();
    plotDiv.style.touchAction = "";
    if (before.label === null) plotDiv.removeAttribute("aria-label");
    else plotDiv.setAttribute("aria-label", before.label);
    if (before.tabindex === null) plotDiv.removeAttribute("tabindex");
  };
}
