// A page's view controls as one table, read in one place for the address, the wiring, hide/lock
// and the opening (Desmos' getState/setState and PhET's query parameters: one schema). A row:
//
//   {
//     param: "arrows",              the name in the address (?arrows=0)
//     id: "arrows",                 the element: a checkbox, a range or a select (or, with
//     radios: true,                 the name of a radio group, or with checks: true, the name
//     checks: true,                 of a group of checkboxes whose value is the ticked ones'
//                                   values, comma-separated: "x1,x2")
//     default: true,                the value when the address leaves it out
//     decode: (text) => value,      address text → value (default: checkbox "1"/"0", else text)
//     encode: (value) => text,      value → address text (written only when not the default)
//     apply: (page, value) => …,    the page follows a change by hand
//     opened: (page, value) => …,   (optional) the page follows the address's value on opening
//     control: "arrows",            the hide/lock name (?hide=arrows, ?lock=arrows)
//   }
//
// The address names of the catalog's settings (hyperparameters, options, schedules, a
// landscape's parameters) come from the catalog endpoints instead (state/urlstate.js).

import { FACTS } from "../facts.js";
import { SPEEDS } from "../state/session.js";

const $ = (id) => document.getElementById(id);

const SPEED_POSITION = SPEEDS.indexOf(FACTS.defaultSpeed); // the speed slider's first position

/** Every page's speed slider: positions 0–9 of SPEEDS, in the address as steps per second. */
export const SPEED = {
  param: "speed",
  id: "speed",
  default: SPEED_POSITION,
  decode: (text) => {
    const position = SPEEDS.indexOf(Number(text));
    return position >= 0 ? position : SPEED_POSITION;
  },
  encode: (position) => String(SPEEDS[position]),
  apply: (page, position) => {
    showSpeed(position);
    page.session.changed();
  },
  opened: (page, position) => showSpeed(position),
  control: "speed",
};

function showSpeed(position) {
  $("speed-value").textContent = `${SPEEDS[position]} steps/s`;
}

/** A checkbox's row: on/off as 1/0 in the address. */
const BOOL = { decode: (text) => text === "1", encode: (on) => (on ? "1" : "0") };

export class ControlTable {
  constructor(root, rows) {
    this.root = root;
    this.rows = rows.map((row) => {
      const checkbox = !row.radios && !row.checks && $(row.id).type === "checkbox";
      return { decode: (t) => t, encode: String, ...(checkbox ? BOOL : {}), ...row };
    });
    for (const row of this.rows) this.markControl(row);
  }

  /** The elements a row reads: its radio group, or its one element. */
  fields(row) {
    const group = row.radios || row.checks;
    return group ? [...this.root.querySelectorAll(`input[name=${row.id}]`)] : [$(row.id)];
  }

  get(row) {
    const [el] = this.fields(row);
    if (row.radios) return this.fields(row).find((r) => r.checked).value;
    if (row.checks) return this.fields(row).filter((c) => c.checked).map((c) => c.value).join(",");
    if (el.type === "checkbox") return el.checked;
    return el.type === "range" ? Number(el.value) : el.value;
  }

  set(row, value) {
    if (row.radios) for (const r of this.fields(row)) r.checked = r.value === value;
    else if (row.checks) for (const c of this.fields(row)) c.checked = value.split(",").includes(c.value);
    else if ($(row.id).type === "checkbox") $(row.id).checked = value;
    else $(row.id).value = String(value);
  }

  /** The row's hide/lock name on the control around its element, so ?hide= and ?lock= find it. */
  markControl(row) {
    const [el] = this.fields(row);
    const around = el.closest("[data-control]") || el.closest(".control") || el;
    const names = new Set((around.dataset.control || "").split(" ").filter(Boolean));
    names.add(row.control);
    around.dataset.control = [...names].join(" ");
  }

  /** The value of the row whose address name is `param`. */
  value(param) {
    return this.get(this.rows.find((r) => r.param === param));
  }

  /** Each control as the address sets it, or at its default. */
  read(params) {
    for (const row of this.rows) {
      this.set(row, params.has(row.param) ? row.decode(params.get(row.param)) : row.default);
    }
  }

  /** Each control that is not at its default, into `params`. */
  write(params) {
    for (const row of this.rows) {
      const text = row.encode(this.get(row));
      if (text !== row.encode(row.default)) params.set(row.param, text);
    }
  }

  /** A change by hand: the page follows it. */
  wire(page) {
    for (const row of this.rows) {
      const event = $(row.id)?.type === "range" ? "input" : "change";
      for (const el of this.fields(row)) el.addEventListener(event, () => row.apply(page, this.get(row)));
    }
  }

  /** The page follows each value the address opened with. */
  async opened(page) {
    for (const row of this.rows) if (row.opened) await row.opened(page, this.get(row));
  }
}
