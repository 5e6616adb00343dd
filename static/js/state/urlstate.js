// A page's whole state in its address, as TensorFlow Playground and Desmos keep theirs: a link
// reproduces the scenario. Readable names, and only what differs from the defaults:
//   surface=ravine&kappa=50&start=-2.5,1&speed=60&steps=120
//   optimizer=momentum&lr=0.3&noise=0.5&schedule=cosine&schedule.T_max=200     (Roll Downhill)
//   r2=gd&r2.lr=1&r3=adam&r3.lr=0.3&tangent=1       (Roll Downhill's balls after the first)
//   r1=gd&r1.lr=0.08&r2=adam&r2.lr=0.06&view=3d&arrows=0                      (explorer racers)
//   formula=(1-x)^2+100*(y-x^2)^2&domain=-2,2,-1,3           (a typed formula, not `surface`)
//   model=linear&loss=mae&data=outlier, or points=-1,0.5;2,1.3 for points of one's own
//                                                           (a model on data, not `surface`)
// View parameters that are no part of the scenario (embed, projector, hide, lock, lesson,
// predict, and a live class's class and role) are carried over as they are.

export const CARRIED = ["embed", "projector", "hide", "lock", "lesson", "predict", "class", "role"];
const MIN_INTERVAL_MS = 500; // browsers throttle replaceState (Safari: 100 calls in 30 s)

/** A setting's value as URL text: booleans 1/0, pairs comma-separated, numbers as typed. */
export function encodeValue(value) {
  if (typeof value === "boolean") return value ? "1" : "0";
  if (Array.isArray(value)) return value.map(String).join(",");
  return String(value);
}

/** URL text back into a value, by the setting's catalog entry (scale, default). */
export function decodeValue(parameter, text) {
  if (parameter.scale === "bool") return text === "1" || text === "true";
  if (parameter.scale === "choice") return text;
  if (Array.isArray(parameter.default)) return text.split(",").map(Number);
  return Number(text);
}

function same(a, b) {
  return encodeValue(a) === encodeValue(b);
}

/** Write each of `parameters` whose value differs from `base` as `prefix + name`. */
export function writeValues(params, prefix, parameters, values, base) {
  for (const p of parameters) {
    if (!(p.name in values) || same(values[p.name], base[p.name])) continue;
    params.set(prefix + p.name, encodeValue(values[p.name]));
  }
}

/** Read each of `parameters` given as `prefix + name` into `values`. */
export function readValues(params, prefix, parameters, values) {
  for (const p of parameters) {
    const text = params.get(prefix + p.name);
    if (text === null) continue;
    const value = decodeValue(p, text);
    const unreadable = Array.isArray(value) ? value.some(Number.isNaN) : Number.isNaN(value);
    if (!unreadable) values[p.name] = value; // a typo keeps the default
  }
}

/** A track's training options and schedule (see options.js), under `prefix`. */
export function writeTraining(params, prefix, catalog, track, defaults) {
  writeValues(params, prefix, catalog.options, track.options, defaults);
  const schedule = track.schedule;
  if (!schedule || schedule.name === "constant") return;
  params.set(`${prefix}schedule`, schedule.name);
  const entry = catalog.schedules.find((s) => s.id === schedule.name);
  const base = Object.fromEntries(entry.parameters.map((p) => [p.name, p.default]));
  writeValues(params, `${prefix}schedule.`, entry.parameters, schedule.parameters, base);
}

/** The schedule request ({name, parameters}) a URL gives under `prefix`, or null. */
export function readSchedule(params, prefix, catalog) {
  const entry = catalog.schedules.find((s) => s.id === params.get(`${prefix}schedule`));
  if (!entry) return null;
  const parameters = Object.fromEntries(entry.parameters.map((p) => [p.name, structuredClone(p.default)]));
  readValues(params, `${prefix}schedule.`, entry.parameters, parameters);
  return { name: entry.id, parameters };
}

/**
 * The optimizer choice a link names under `name` (`optimizer`, `r1`…): {choice, unknown},
 * the choice found in `choices` (null when the link names none or one that does not exist)
 * and, for a name that matches no choice, that name, so the page can say it used another.
 */
export function readChoice(params, name, choices) {
  const key = params.get(name);
  if (key === null) return { choice: null, unknown: null };
  const choice = choices.find((c) => c.key === key) || null;
  return { choice, unknown: choice ? null : key };
}

/** What the page says when a link's optimizer is unknown and `used` took its place. */
export function unknownChoiceNote(key, used) {
  return `Unknown optimizer '${key}' in the link: using ${used.label}.`;
}

/** A point as `x` or `x,y`, and back (null when missing or unreadable). */
export function encodePoint(point) {
  return point.map((v) => String(Number(v.toPrecision(6)))).join(",");
}

export function decodePoint(text, dim) {
  if (text === null) return null;
  const point = text.split(",").map(Number);
  return point.length === dim && point.every(Number.isFinite) ? point : null;
}

/**
 * A typed formula as `formula=<text>`, with `domain=lo,hi` (or `lo,hi,lo,hi`) only when it is
 * not the default; `typed` is {expression, domain} (see formula.js).
 */
export function writeFormula(params, typed, isDefault) {
  params.set("formula", typed.expression);
  if (!isDefault(typed.domain)) params.set("domain", typed.domain.flat().map(String).join(","));
}

/** The typed formula a link gives for a `dim`-dimensional page, or null; an unreadable
 * domain is the default one (the server refuses a wrong one in words). */
export function readFormulaParam(params, dim, fallback) {
  const expression = params.get("formula");
  if (expression === null || !expression.trim()) return null;
  const bounds = (params.get("domain") || "").split(",").map(Number);
  const readable = bounds.length === 2 * dim && bounds.every(Number.isFinite);
  const domain = readable ? Array.from({ length: dim }, (_, i) => bounds.slice(2 * i, 2 * i + 2)) : fallback;
  return { expression, domain };
}

/** A model landscape's request in the address: its data set by id, or every point. */
export function writeModel(params, request) {
  params.set("model", request.model);
  params.set("loss", request.loss);
  if (typeof request.data === "string") params.set("data", request.data);
  else params.set("points", request.data.x.map((x, i) => `${encodePoint([x])},${encodePoint([request.data.y[i]])}`).join(";"));
}

/** The model landscape a link gives for a `dim`-dimensional page, or null; unreadable
 * points are left out (the server refuses what is left in words). */
export function readModelParam(params, dim) {
  const model = params.get("model");
  if (!model) return null;
  const request = { model, dim };
  if (params.get("loss")) request.loss = params.get("loss");
  const text = params.get("points");
  if (text !== null) {
    const pairs = text.split(";").map((p) => decodePoint(p, 2)).filter(Boolean);
    request.data = { x: pairs.map((p) => p[0]), y: pairs.map((p) => p[1]) };
  } else {
    request.data = params.get("data") || "";
  }
  return request;
}

/** A "predict first" lesson: the page asks for a guess before the run is played. */
function predictsFirst(params) {
  return params.get("predict") === "1";
}

/** How many steps the address asks the page to replay on opening: none for a "predict
 * first" lesson, which must never open with its run already played. */
export function stepsToReplay(params) {
  if (predictsFirst(params)) return 0;
  const steps = Number(params.get("steps"));
  return Number.isInteger(steps) && steps > 0 ? steps : 0;
}

/** The page's address now, as URLSearchParams. */
export function currentParams() {
  return new URLSearchParams(window.location.search);
}

/** Names listed in a comma-separated parameter (`hide=lr,speed`). */
export function listParam(params, name) {
  return new Set((params.get(name) || "").split(",").map((s) => s.trim()).filter(Boolean));
}

/**
 * Keeps the address bar in step with the page: `update(params)` replaces the query with
 * `params` (plus the carried view parameters) at most every MIN_INTERVAL_MS, and tells each
 * `listen`er the address at once (the Share panel's fields), written out or not.
 */
export class AddressBar {
  constructor() {
    this.timer = null;
    this.pending = null;
    this.listeners = [];
    this.carried = new URLSearchParams();
    const now = currentParams();
    for (const name of CARRIED) if (now.has(name)) this.carried.set(name, now.get(name));
  }

  /** `listener(href)` after every update, with the page's full address as it now is. */
  listen(listener) {
    this.listeners.push(listener);
  }

  update(params) {
    for (const [name, value] of this.carried) params.set(name, value);
    // a "predict first" link must not arrive with the run already played
    if (predictsFirst(this.carried)) params.delete("steps");
    this.pending = params.toString();
    const query = this.pending ? `?${this.pending}` : "";
    for (const listener of this.listeners) listener(`${window.location.origin}${window.location.pathname}${query}`);
    if (this.timer) return;
    this.flush();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, MIN_INTERVAL_MS);
  }

  flush() {
    if (this.pending === null) return;
    const query = this.pending ? `?${this.pending}` : "";
    this.pending = null;
    if (query === window.location.search) return;
    window.history.replaceState(null, "", `${window.location.pathname}${query}`);
  }

  /** The page's full address (for Copy link), with what is pending written out first. */
  href() {
    this.flush();
    return window.location.href;
  }
}
