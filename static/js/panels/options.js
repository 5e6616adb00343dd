// Training options built from GET /api/options: the learning-rate schedule with its
// parameters, and the options every optimizer takes (noise, clipping, precision).

import { dataSize } from "../landscape.js";
import { buildHyperparameterControls, showFormula } from "./controls.js";

function defaults(parameters) {
  const values = {};
  for (const p of parameters) values[p.name] = structuredClone(p.default);
  return values;
}

/** Every run option at its default; on a model landscape of `dataSize` points, a batch is
 * the whole data set (the server's default too). */
export function defaultOptions(catalog, dataSize = 0) {
  const values = defaults(catalog.options);
  if (dataSize) values.batch_size = dataSize;
  return values;
}

/** A schedule request ({name, parameters}) with the schedule's default parameters. */
export function scheduleRequest(catalog, id) {
  const schedule = catalog.schedules.find((s) => s.id === id) || catalog.schedules[0];
  return { name: schedule.id, parameters: defaults(schedule.parameters) };
}

/**
 * Controls for `track.options` and `track.schedule` in `container`: a schedule picker with
 * the chosen schedule's formula and parameters, then each option.  `onInput(name)` runs
 * after every change; ids start with `idPrefix`.
 */
export function buildTrainingControls(container, catalog, track, { idPrefix, onInput }) {
  if (!track.schedule) track.schedule = scheduleRequest(catalog, "constant");
  const id = `${idPrefix}-schedule`;
  const row = document.createElement("div");
  row.className = "control";
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = "LR schedule";
  const select = document.createElement("select");
  select.id = id;
  for (const s of catalog.schedules) select.append(new Option(s.name, s.id, false, s.id === track.schedule.name));
  const caption = document.createElement("div");
  caption.className = "caption schedule-rule";
  const parameters = document.createElement("div");
  parameters.className = "schedule-parameters";
  row.append(label, select, caption, parameters);

  const showSchedule = () => {
    const schedule = catalog.schedules.find((s) => s.id === track.schedule.name);
    showFormula(caption, `${schedule.help} ${schedule.formula}`, schedule.symbols);
    buildHyperparameterControls(parameters, schedule.parameters, track.schedule.parameters, {
      idPrefix: `${idPrefix}-schedule`, onInput,
    });
  };
  select.addEventListener("change", () => {
    track.schedule = scheduleRequest(catalog, select.value);
    showSchedule();
    onInput("schedule");
  });
  showSchedule();

  const options = document.createElement("div");
  options.className = "run-options";
  buildHyperparameterControls(options, sizedToTheData(catalog.options, dataSize(track.surface)), track.options, {
    idPrefix: `${idPrefix}-option`, onInput, numberBoxes: ["batch_size"],
  });
  container.replaceChildren(row, options);
}

/**
 * The options as a landscape of `size` data points offers them (0: not a model): a batch of
 * 1 to `size` points, one notch each, rather than the catalog's 1–4096 (which sizes the
 * noise σ/√B off a model).
 */
function sizedToTheData(options, size) {
  if (!size) return options;
  return options.map((h) => (h.name === "batch_size" ? { ...h, scale: "linear", max: size } : h));
}
