// Controls built from GET /api/optimizers: the optimizer picker and each hyperparameter.

import { formatNumber, partLabel } from "../format.js";

const LOG_STEPS = 1000; // positions on a log-scale slider

const GROUPS = { classic: "Classic", adaptive: "Adaptive", "second-order": "Second-order", stochastic: "Stochastic" };

/** Picker entries: SGD's presets (gradient descent, momentum, Nesterov), then the others. */
export function optimizerChoices(optimizers) {
  const choices = [];
  for (const optimizer of optimizers) {
    const group = GROUPS[optimizer.group] || optimizer.group;
    if (optimizer.presets.length) {
      for (const preset of optimizer.presets) {
        choices.push({ key: preset.id, label: preset.name, optimizer, preset: preset.hyperparameters, group });
      }
    } else {
      choices.push({ key: optimizer.id, label: optimizer.name, optimizer, preset: {}, group });
    }
  }
  return choices;
}

/** Fill a <select> with choices ({key, label, group?}), under <optgroup>s where grouped. */
export function fillPicker(select, choices, selectedKey) {
  const groups = new Map();
  const items = [];
  for (const choice of choices) {
    const option = new Option(choice.label, choice.key);
    option.selected = choice.key === selectedKey;
    if (!choice.group) {
      items.push(option);
      continue;
    }
    if (!groups.has(choice.group)) {
      const optgroup = document.createElement("optgroup");
      optgroup.label = choice.group;
      groups.set(choice.group, optgroup);
      items.push(optgroup);
    }
    groups.get(choice.group).append(option);
  }
  select.replaceChildren(...items);
}

/** Default hyperparameters of a choice: torch's defaults overlaid with the preset. */
export function choiceDefaults(choice) {
  const values = {};
  for (const h of choice.optimizer.hyperparameters) values[h.name] = structuredClone(h.default);
  return Object.assign(values, structuredClone(choice.preset));
}

function logRange(h) {
  const hi = h.max;
  const lo = h.min > 0 ? h.min : Math.min(1e-4, h.default > 0 ? h.default / 100 : 1e-4);
  return { lo, hi, allowZero: h.min === 0 };
}

function toSlider(h, value) {
  if (h.powers_of_two) return Math.round(Math.log2(value / h.min));
  if (h.scale !== "log") return value;
  const { lo, hi, allowZero } = logRange(h);
  if (allowZero && value <= 0) return 0;
  const t = (Math.log10(Math.max(value, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo));
  return Math.round((allowZero ? 1 : 0) + t * (LOG_STEPS - (allowZero ? 1 : 0)));
}

function fromSlider(h, position) {
  if (h.powers_of_two) return h.min * 2 ** Number(position);
  if (h.scale !== "log") return Number(position);
  const { lo, hi, allowZero } = logRange(h);
  if (allowZero && Number(position) === 0) return 0;
  const first = allowZero ? 1 : 0;
  const t = (Number(position) - first) / (LOG_STEPS - first);
  return Number((10 ** (Math.log10(lo) + t * (Math.log10(hi) - Math.log10(lo)))).toPrecision(3));
}

/**
 * A number box for a slider's value (the slider's output, typed into): a value typed in is
 * brought inside [min, max] (whole for an integer setting) and moves the slider too.
 */
function numberBox(h, id, label, current, typed) {
  const box = document.createElement("input");
  box.type = "number";
  box.id = `${id}-number`;
  box.className = "number-box";
  box.min = String(h.min);
  box.max = String(h.max);
  box.step = h.integer ? "1" : "any";
  box.inputMode = h.integer ? "numeric" : "decimal";
  box.value = String(current());
  box.setAttribute("aria-label", `${label} (number)`);
  box.addEventListener("change", () => {
    const value = Number(box.value);
    if (box.value.trim() === "" || !Number.isFinite(value)) {
      box.value = String(current());
      return;
    }
    const inside = Math.min(h.max, Math.max(h.min, h.integer ? Math.round(value) : value));
    box.value = String(inside);
    typed(inside);
  });
  return box;
}

/**
 * One labelled control per hyperparameter in `hyperparameters` (a list from the API: an
 * optimizer's or a surface's), except those in `skip` or outside `only`, written into
 * `values` as the user moves them; `onInput(name)` is called after each change.  Element
 * ids start with `idPrefix`, so several sets can live on one page.  The settings named in
 * `numberBoxes` get a number box beside their slider instead of a printed value.
 */
export function buildHyperparameterControls(
  container,
  hyperparameters,
  values,
  { skip = [], only = null, idPrefix = "hp", onInput, numberBoxes = [] },
) {
  const rows = [];
  for (const h of hyperparameters) {
    if (skip.includes(h.name) || (only && !only.includes(h.name))) continue;
    const parts = Array.isArray(h.default) ? h.default.map((_, i) => i) : [null];
    for (const index of parts) {
      const id = `${idPrefix}-${h.name}${index === null ? "" : `-${index}`}`;
      const label = index === null ? h.label : partLabel(h.label, index);
      const row = document.createElement("div");
      row.className = "control";
      row.title = h.help;
      const labelEl = document.createElement("label");
      labelEl.htmlFor = id;
      labelEl.textContent = label;
      const input = document.createElement("input");
      input.id = id;
      const current = () => (index === null ? values[h.name] : values[h.name][index]);
      const set = (v) => {
        if (index === null) values[h.name] = v;
        else values[h.name][index] = v;
      };
      if (h.scale === "choice") {
        const select = document.createElement("select");
        select.id = id;
        for (const choice of h.choices) select.append(new Option(choice, choice, false, choice === current()));
        select.addEventListener("change", () => {
          set(select.value);
          onInput(h.name);
        });
        row.append(labelEl, select);
      } else if (h.scale === "bool") {
        input.type = "checkbox";
        input.checked = Boolean(current());
        input.addEventListener("change", () => {
          set(input.checked);
          onInput(h.name);
        });
        row.classList.add("checkbox");
        row.append(input, labelEl);
      } else {
        input.type = "range";
        if (h.powers_of_two) {
          // one notch per doubling: 1, 2, 4 … 65536
          input.min = "0";
          input.max = String(Math.round(Math.log2(h.max / h.min)));
          input.step = "1";
        } else if (h.scale === "log") {
          input.min = "0";
          input.max = String(LOG_STEPS);
          input.step = "1";
        } else {
          input.min = String(h.min);
          input.max = String(h.max);
          input.step = h.integer ? "1" : String((h.max - h.min) / 1000);
        }
        input.value = String(toSlider(h, current()));
        let shown;
        if (numberBoxes.includes(h.name)) {
          shown = numberBox(h, id, label, current, (value) => {
            set(value);
            input.value = String(toSlider(h, value));
            onInput(h.name);
          });
        } else {
          shown = document.createElement("output");
          shown.htmlFor = id;
        }
        const show = () => {
          if (shown.type === "number") shown.value = String(current());
          else shown.textContent = formatNumber(current());
        };
        show();
        input.addEventListener("input", () => {
          const value = fromSlider(h, input.value);
          set(h.integer ? Math.round(value) : value);
          show();
          onInput(h.name);
        });
        row.append(labelEl, input, shown);
      }
      // the help is on the page, not only in a tooltip
      const help = document.createElement("p");
      help.className = "caption";
      help.textContent = h.help;
      row.append(help);
      rows.push(row);
    }
  }
  container.replaceChildren(...rows);
}

/**
 * A formula and, under it, what each of its symbols means (`symbols`: [{symbol, meaning}]
 * from the catalog), so no symbol is left unnamed. Setting names in `backticks` show as code.
 */
export function showFormula(element, formula, symbols) {
  const text = document.createElement("span");
  text.className = "formula-text";
  text.textContent = formula;
  const details = document.createElement("details");
  details.className = "symbols";
  const summary = document.createElement("summary");
  summary.textContent = "What the symbols mean";
  const list = document.createElement("dl");
  for (const { symbol, meaning } of symbols) {
    const dt = document.createElement("dt");
    dt.textContent = symbol;
    const dd = document.createElement("dd");
    meaning.split(/(`[^`]+`)/).forEach((part) => {
      if (part.startsWith("`") && part.endsWith("`")) {
        const code = document.createElement("code");
        code.textContent = part.slice(1, -1);
        dd.append(code);
      } else if (part) {
        dd.append(part);
      }
    });
    list.append(dt, dd);
  }
  details.append(summary, list);
  element.replaceChildren(text, details);
}
