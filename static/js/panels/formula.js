// A typed formula as the page's landscape: the "Your own formula" form (templates/_formula.html),
// the server's reading of it (POST /api/surfaces/formula) and its MathML (a run request's
// `surface` value is decided in landscape.js: surfaceValue).
//
// A formula landscape is the server's answer, a catalog-like entry, with `typed` added:
// {expression, domain}, what every run, stream and map request then sends as its surface.

import { postJSON } from "../net/api.js";

export const DEFAULT_DOMAIN = [-5, 5]; // the server's default on each axis
export const FORMULA_KEY = "formula"; // the landscape picker's entry while a formula is active
const MATHML_NS = "http://www.w3.org/1998/Math/MathML";

/** The domain every axis defaults to, for a `dim`-dimensional page. */
export function defaultDomain(dim) {
  return Array.from({ length: dim }, () => [...DEFAULT_DOMAIN]);
}

export function isDefaultDomain(domain) {
  return domain.every(([lo, hi]) => lo === DEFAULT_DOMAIN[0] && hi === DEFAULT_DOMAIN[1]);
}

/**
 * The server's reading of `typed` ({expression, domain}): the landscape entry (with `typed`,
 * `mathml` and `grid`). A refusal throws ApiError with the error shape as its body.
 */
export async function readFormula(typed) {
  return { ...(await postJSON("/api/surfaces/formula", typed)), typed };
}

/**
 * The engine's starting rate for `choice` (an optimizer picker entry) on a landscape entry
 * (the server's `suggested_lr`: a preset such as Nesterov may have its own), or undefined.
 */
export function suggestedRate(surface, choice) {
  const rates = surface.suggested_lr || {};
  return rates[choice.key] ?? rates[choice.optimizer.id];
}

/**
 * Put the server's presentation MathML in `element`: parsed as XML and imported, never as
 * HTML; anything but one <math> element shows `text` instead.
 */
export function showMath(element, markup, text) {
  const doc = markup ? new DOMParser().parseFromString(markup, "application/xml") : null;
  const math = doc && doc.documentElement;
  if (math && math.namespaceURI === MATHML_NS && math.localName === "math" && !doc.querySelector("parsererror")) {
    const node = document.importNode(math, true);
    node.setAttribute("display", "inline");
    element.replaceChildren(node);
  } else {
    element.textContent = text;
  }
}

export const MODEL_KEY = "model"; // the picker's entry that opens a model on data (always there)

/** The picker entry of a landscape that is not in the catalog: FORMULA_KEY, MODEL_KEY or null. */
export function ownKey(surface) {
  if (surface.modelled) return MODEL_KEY;
  return surface.typed ? FORMULA_KEY : null;
}

/**
 * The landscape picker's own entries: "A model on data" always (choosing it opens one),
 * "Your formula" while a formula is active; `key` (one of them) is chosen, or none (null).
 */
export function markPicker(select, key) {
  const formula = select.querySelector(`option[value="${FORMULA_KEY}"]`);
  if (formula && key !== FORMULA_KEY) formula.remove();
  if (!formula && key === FORMULA_KEY) select.append(new Option("Your formula", FORMULA_KEY));
  if (!select.querySelector(`option[value="${MODEL_KEY}"]`)) select.append(new Option("A model on data", MODEL_KEY));
  if (key) select.value = key;
}

/** Words for a refusal: the server's reasons, the domain's named as such. */
export function refusalText(error) {
  const errors = (error.body && error.body.errors) || [];
  if (!errors.length) return error.message;
  return errors.map((e) => (e.field === "domain" ? `Domain: ${e.reason}` : e.reason)).join("; ");
}

/**
 * The form under `root` (templates/_formula.html, in a panel opened by a refusal) for a `dim`-dimensional page.
 * `onUse(typed)` is called on "Use it" (or Enter) with {expression, domain}; it reads the
 * formula and reports a refusal back with showError.
 */
export class FormulaForm {
  constructor(root, { dim, onUse }) {
    this.dim = dim;
    this.panel = root.querySelector("#formula-panel");
    this.form = root.querySelector("#formula-form");
    this.input = root.querySelector("#formula-input");
    this.error = root.querySelector("#formula-error");
    this.gradient = root.querySelector("#formula-gradient");
    this.bounds = [...root.querySelectorAll("[data-axis]")];
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const typed = this.typed();
      if (typed) onUse(typed);
    });
  }

  /** What the form holds, or null (with a note) when it cannot be sent. */
  typed() {
    const expression = this.input.value.trim();
    if (!expression) {
      this.showError("Type a formula first, for example " + this.input.placeholder + ".");
      return null;
    }
    const domain = defaultDomain(this.dim);
    for (const field of this.bounds) {
      const axis = Number(field.dataset.axis);
      if (axis >= this.dim || field.value.trim() === "") continue; // empty: the default
      domain[axis][field.dataset.end === "lo" ? 0 : 1] = Number(field.value);
    }
    if (domain.flat().some((v) => !Number.isFinite(v))) {
      this.showError("Domain: each bound must be a number.");
      return null;
    }
    return { expression, domain };
  }

  /** Fill the fields from `typed` (a link's formula). */
  fill(typed) {
    this.input.value = typed.expression;
    for (const field of this.bounds) {
      const axis = Number(field.dataset.axis);
      if (axis < typed.domain.length) field.value = String(typed.domain[axis][field.dataset.end === "lo" ? 0 : 1]);
    }
  }

  /** The server's refusal (an ApiError) or a note, beside the input; the text stays. */
  showError(error) {
    const text = typeof error === "string" ? error : refusalText(error);
    this.error.textContent = text;
    this.error.hidden = !text;
    if (text) {
      this.input.setAttribute("aria-invalid", "true");
      this.panel.open = true;
    }
    else this.input.removeAttribute("aria-invalid");
  }

  /**
   * The active landscape: a formula entry shows its MathML in `formulaElement` and its exact
   * gradient under "Exact gradient"; a catalog entry its plain formula.
   */
  showLandscape(surface, formulaElement) {
    this.gradient.hidden = !surface.typed;
    if (surface.modelled) this.panel.open = false;
    if (!surface.typed) {
      formulaElement.textContent = surface.formula;
      return;
    }
    this.showError("");
    showMath(formulaElement, surface.mathml.f, surface.formula);
    const parts = this.gradient.querySelectorAll("[data-partial]");
    for (const part of parts) {
      const markup = surface.mathml[part.dataset.partial];
      part.hidden = !markup;
      if (markup) showMath(part, markup, "");
    }
  }
}
