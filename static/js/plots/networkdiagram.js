// The network drawn as layers of units: the inputs (labelled with their features), each hidden
// layer's units and the output(s). Every connection is a line coloured by its weight's sign
// (blue +, orange −: netcolours.js) and as thick as |w| (capped); a unit's ring is its bias the
// same way. Hover or the keyboard says "w = …"; a click or Enter picks a weight or a bias (the
// page's Update rule panel follows it).
//
// The weights change many times a second while a network trains: the first call builds the
// SVG, later calls with the same shapes only set attributes on the same elements (a new shape
// rebuilds). The diagram is one tab stop: focused, the arrow keys walk its parameters.

import { formatNumber } from "../format.js";
import { divergingColour } from "./netcolours.js";

const SVG = "http://www.w3.org/2000/svg";
const ZERO_COLOUR = "#a9b1bb"; // an exact 0 (a zeros start): grey, so the line is still there
const FULL = 1; // |w| at which a line's colour is fully saturated
const CAP = 3; // |w| at which a line stops getting thicker
const states = new WeakMap(); // container → the diagram drawn in it
const drawn = new WeakMap(); // a line or ring → the stroke it was last given

function svgElement(name, attributes = {}) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, String(v));
  return el;
}

/**
 * An element's stroke, set only where it changed (to a tenth of a pixel): a weight that barely
 * moved between frames costs the browser no restyle.
 */
function setStyle(el, colour, width) {
  const w = width.toFixed(1);
  const was = drawn.get(el);
  if (was && was.colour === colour && was.w === w) return;
  if (!was || was.colour !== colour) el.setAttribute("stroke", colour);
  if (!was || was.w !== w) el.setAttribute("stroke-width", w);
  drawn.set(el, { colour, w });
}

/** A weight as a number: a diverged run's weights may come as null (JSON has no NaN). */
function numberOf(value) {
  return typeof value === "number" ? value : NaN;
}

/** Set an element's text only when it changes (a redraw many times a second touches no node). */
function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function colourOf(value) {
  if (value === 0) return ZERO_COLOUR;
  const a = Math.min(1, Math.abs(value) / FULL);
  return divergingColour(Math.sign(value) * (0.35 + 0.65 * a));
}

/** A line's width in px for |value| (at the page's type size `em`). */
function widthOf(value, em) {
  const a = Number.isFinite(value) ? Math.min(CAP, Math.abs(value)) : CAP;
  return ((0.7 + 2.4 * a) * em) / 18;
}

/** The shape of `layers` (torch layout): [inputs, units of each layer…]. */
function sizesOf(layers) {
  return [layers[0].weight[0].length, ...layers.map((l) => l.bias.length)];
}

function sameShape(a, b) {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Draw `layers` ([{weight: [[out × in]], bias: [out]}, …], torch's nn.Linear layout) into
 * `container` (a block element; the SVG fills its width). Options: `inputs` (the features'
 * labels), `outputs` (the output units' labels), `activation` (the hidden units'),
 * `onPick({layer, row, col, kind})` (kind "weight" with `layer` the torch layer and
 * weight[row][col]; or kind "bias" with bias[row] and col null), `picked` (the one to mark).
 */
export function drawNetwork(container, layers, options = {}) {
  const sizes = sizesOf(layers);
  let state = states.get(container);
  if (!state || !sameShape(state.sizes, sizes)) {
    if (state) state.destroy();
    state = new Diagram(container, sizes);
    states.set(container, state);
  }
  state.update(layers, options);
  return state.svg;
}

class Diagram {
  constructor(container, sizes) {
    this.container = container;
    this.sizes = sizes;
    this.layers = null;
    this.options = {};
    this.width = 0;
    this.em = 18;
    this.cursor = null; // the keyboard's place: {layer, row, col, kind}
    this.hovered = null;
    this.build();
    this.resize = new ResizeObserver(() => {
      if (this.container.clientWidth !== this.width) this.layout();
    });
    this.resize.observe(container);
  }

  destroy() {
    this.resize.disconnect();
    this.root.remove();
  }

  build() {
    const { sizes } = this;
    this.root = document.createElement("div");
    this.root.className = "net-drawing";
    this.svg = svgElement("svg", { class: "net-svg", tabindex: 0, role: "group" });
    this.readout = document.createElement("p");
    this.readout.className = "net-readout";
    this.announce = document.createElement("p");
    this.announce.className = "visually-hidden";
    this.announce.setAttribute("aria-live", "polite");
    this.root.append(this.svg, this.readout, this.announce);
    this.container.append(this.root);

    // one group per layer of weights: the lines drawn, then wider invisible lines to hover/click
    this.lines = [];
    this.hits = [];
    this.groups = [];
    for (let l = 0; l < sizes.length - 1; l++) {
      const group = svgElement("g", { class: "net-weights", role: "group" });
      const hits = svgElement("g", { class: "net-hits", "aria-hidden": "true" });
      const lines = [];
      const hitLines = [];
      for (let row = 0; row < sizes[l + 1]; row++) {
        for (let col = 0; col < sizes[l]; col++) {
          const line = svgElement("line", { class: "net-weight" });
          const hit = svgElement("line", { class: "net-hit", "data-layer": l, "data-row": row, "data-col": col });
          group.append(line);
          hits.append(hit);
          lines.push(line);
          hitLines.push(hit);
        }
      }
      this.svg.append(group, hits);
      this.groups.push(group);
      this.lines.push(lines);
      this.hits.push(hitLines);
    }

    // over the lines, under the units: the picked parameter's band, the keyboard's cursor and
    // the one under the pointer
    const halos = svgElement("g", { class: "net-halos", "aria-hidden": "true" });
    this.halo = {
      picked: { line: svgElement("line", { class: "net-halo picked" }), ring: svgElement("circle", { class: "net-halo picked" }) },
      cursor: { line: svgElement("line", { class: "net-halo cursor" }), ring: svgElement("circle", { class: "net-halo cursor" }) },
      hovered: { line: svgElement("line", { class: "net-halo cursor" }), ring: svgElement("circle", { class: "net-halo cursor" }) },
    };
    for (const h of Object.values(this.halo)) halos.append(h.line, h.ring);
    this.svg.append(halos);

    // the units: inputs (no bias), then each layer's units whose ring is its bias
    const nodes = svgElement("g", { class: "net-nodes" });
    this.nodes = sizes.map((n, c) =>
      Array.from({ length: n }, (_, i) => {
        const circle = svgElement("circle", { class: c === 0 ? "net-input" : "net-unit" });
        if (c > 0) {
          circle.setAttribute("data-layer", c - 1);
          circle.setAttribute("data-row", i);
        }
        nodes.append(circle);
        return circle;
      }),
    );
    this.inputLabels = Array.from({ length: sizes[0] }, () => svgElement("text", { class: "net-label input" }));
    this.outputLabels = Array.from({ length: sizes.at(-1) }, () => svgElement("text", { class: "net-label output" }));
    this.headers = sizes.map(() => svgElement("text", { class: "net-header" }));
    nodes.append(...this.inputLabels, ...this.outputLabels, ...this.headers);
    this.svg.append(nodes);

    this.svg.addEventListener("pointerover", (e) => this.hover(this.paramAt(e.target)));
    this.svg.addEventListener("pointerleave", () => this.hover(null));
    this.svg.addEventListener("click", (e) => {
      const p = this.paramAt(e.target);
      if (!p) return;
      this.cursor = p;
      this.pick(p);
    });
    this.svg.addEventListener("keydown", (e) => this.key(e));
    this.svg.addEventListener("focus", () => {
      this.cursor = this.cursor || this.options.picked || { layer: 0, row: 0, col: 0, kind: "weight" };
      this.showCursor(true);
    });
    this.svg.addEventListener("blur", () => this.showCursor(false));
  }

  /** The parameter an element of the diagram stands for, or null. */
  paramAt(el) {
    if (!el || !el.dataset || el.dataset.layer === undefined) return null;
    const layer = Number(el.dataset.layer);
    const row = Number(el.dataset.row);
    if (el.dataset.col === undefined) return { layer, row, col: null, kind: "bias" };
    return { layer, row, col: Number(el.dataset.col), kind: "weight" };
  }

  /** Where everything sits at the container's width (and the page's type size). */
  layout() {
    const { sizes } = this;
    this.width = this.container.clientWidth || 360;
    this.em = parseFloat(getComputedStyle(this.svg).fontSize) || 18;
    const em = this.em;
    const r = 0.55 * em;
    // taller on a wide screen, never past 3em between units (16 units stay on one screen)
    const gapY = Math.max(2.6 * r, 1.6 * em, Math.min(3 * em, (0.42 * this.width) / sizes.reduce((a, b) => Math.max(a, b))));
    const top = 1.5 * em;
    const most = Math.max(...sizes);
    const height = top + (most - 1) * gapY + 2 * r + 0.5 * em;
    // room for the longest input label on the left and output label on the right
    const room = (labels) => Math.max(...labels.map((t) => t.getComputedTextLength() || 0.55 * em * t.textContent.length));
    const left = Math.min(room(this.inputLabels) + 0.5 * em, 0.3 * this.width);
    const right = Math.min(room(this.outputLabels) + 0.5 * em, 0.3 * this.width);
    const step = (this.width - left - right - 2 * r) / (sizes.length - 1);
    this.svg.setAttribute("viewBox", `0 0 ${this.width} ${height}`);
    this.svg.setAttribute("width", this.width);
    this.svg.setAttribute("height", height);
    this.at = sizes.map((n, c) =>
      Array.from({ length: n }, (_, i) => ({ x: left + r + c * step, y: top + r + ((most - n) / 2 + i) * gapY })),
    );
    this.nodes.forEach((column, c) =>
      column.forEach((circle, i) => {
        circle.setAttribute("cx", this.at[c][i].x);
        circle.setAttribute("cy", this.at[c][i].y);
        circle.setAttribute("r", r);
      }),
    );
    this.lines.forEach((lines, l) =>
      lines.forEach((line, k) => {
        const row = Math.floor(k / sizes[l]);
        const col = k % sizes[l];
        const from = this.at[l][col];
        const to = this.at[l + 1][row];
        for (const el of [line, this.hits[l][k]]) {
          el.setAttribute("x1", from.x);
          el.setAttribute("y1", from.y);
          el.setAttribute("x2", to.x);
          el.setAttribute("y2", to.y);
        }
        this.hits[l][k].setAttribute("stroke-width", Math.max(8, 0.5 * em));
      }),
    );
    this.inputLabels.forEach((t, i) => {
      t.setAttribute("x", this.at[0][i].x - r - 0.25 * em);
      t.setAttribute("y", this.at[0][i].y);
    });
    this.outputLabels.forEach((t, i) => {
      t.setAttribute("x", this.at.at(-1)[i].x + r + 0.25 * em);
      t.setAttribute("y", this.at.at(-1)[i].y);
    });
    this.step = step;
    this.headers.forEach((t, c) => {
      t.setAttribute("x", this.at[c][0].x);
      t.setAttribute("y", 0.9 * em);
    });
    this.name();
    if (this.layers) this.paint();
  }

  /** The columns' headers, as long as the room between columns allows. */
  name() {
    const last = this.sizes.length - 1;
    const room = this.step / this.em;
    const activation = this.options.activation;
    this.headers.forEach((t, c) => {
      if (c === 0) setText(t, room < 4.2 ? "in" : "inputs");
      else if (c === last) setText(t, room < 4.2 ? "out" : "output");
      else if (room < 4.2) setText(t, `L${c}`);
      else setText(t, activation && room >= 8 ? `layer ${c} · ${activation}` : `layer ${c}`);
    });
  }

  update(layers, options) {
    this.layers = layers;
    this.options = options;
    const { sizes } = this;
    const inputs = options.inputs || [];
    const outputs = options.outputs || [];
    this.inputLabels.forEach((t, i) => {
      setText(t, inputs[i] ?? `input ${i + 1}`);
    });
    this.outputLabels.forEach((t, i) => {
      setText(t, outputs[i] ?? (sizes.at(-1) > 1 ? `class ${i}` : "ŷ"));
    });
    this.groups.forEach((g, l) =>
      g.setAttribute("aria-label", `weights from ${this.columnName(l)} to ${this.columnName(l + 1)}: ${sizes[l + 1]} × ${sizes[l]}`),
    );
    const hidden = sizes.slice(1, -1);
    this.svg.setAttribute(
      "aria-label",
      `The network: ${sizes[0]} inputs (${inputs.join(", ")}), ` +
        (hidden.length ? `hidden layers of ${hidden.join(", ")} ${options.activation || ""} units, ` : "no hidden layer, ") +
        `${sizes.at(-1)} output${sizes.at(-1) > 1 ? "s" : ""}. Arrow keys choose a weight or bias, Enter picks it.`,
    );
    const labels = [...inputs, "|", ...outputs].join("\n");
    const em = parseFloat(getComputedStyle(this.svg).fontSize) || 18; // projector mode changes it
    if (this.container.clientWidth !== this.width || !this.at || labels !== this.labels || em !== this.em) {
      this.labels = labels;
      this.layout();
    } else {
      this.name();
      this.paint();
    }
  }

  /** Colour and thickness from the weights: the only attributes a training step changes. */
  paint() {
    const em = this.em;
    this.layers.forEach((layer, l) => {
      const n = this.sizes[l];
      this.lines[l].forEach((line, k) => {
        const w = numberOf(layer.weight[Math.floor(k / n)][k % n]);
        setStyle(line, colourOf(w), widthOf(w, em));
      });
      layer.bias.forEach((value, i) => {
        const b = numberOf(value);
        setStyle(this.nodes[l + 1][i], colourOf(b), Math.max(0.12 * em, Math.min(widthOf(b, em), 0.45 * em)));
      });
    });
    this.placeHalo(this.halo.picked, this.options.picked);
    this.placeHalo(this.halo.cursor, document.activeElement === this.svg ? this.cursor : null);
    this.placeHalo(this.halo.hovered, this.hovered);
    this.describe();
  }

  valueOf(p) {
    const layer = this.layers[p.layer];
    return p.kind === "bias" ? layer.bias[p.row] : layer.weight[p.row][p.col];
  }

  exists(p) {
    if (!p || !this.layers || p.layer < 0 || p.layer >= this.layers.length) return false;
    if (p.row < 0 || p.row >= this.sizes[p.layer + 1]) return false;
    return p.kind === "bias" || (p.col >= 0 && p.col < this.sizes[p.layer]);
  }

  placeHalo(halo, p) {
    const show = this.exists(p);
    halo.line.style.display = show && p.kind === "weight" ? "" : "none";
    halo.ring.style.display = show && p.kind === "bias" ? "" : "none";
    if (!show) return;
    const em = this.em;
    if (p.kind === "weight") {
      const from = this.at[p.layer][p.col];
      const to = this.at[p.layer + 1][p.row];
      halo.line.setAttribute("x1", from.x);
      halo.line.setAttribute("y1", from.y);
      halo.line.setAttribute("x2", to.x);
      halo.line.setAttribute("y2", to.y);
      halo.line.setAttribute("stroke-width", widthOf(numberOf(this.valueOf(p)), em) + 0.6 * em);
    } else {
      const at = this.at[p.layer + 1][p.row];
      halo.ring.setAttribute("cx", at.x);
      halo.ring.setAttribute("cy", at.y);
      halo.ring.setAttribute("r", 0.95 * em);
    }
  }

  /** "inputs", "layer 2", "the output" — column c of the diagram. */
  columnName(c) {
    if (c === 0) return "the inputs";
    return c === this.sizes.length - 1 ? "the output" : `layer ${c}`;
  }

  /** Unit i of column c, in words ("x₁", "layer 1 · unit 3", "output class 2"). */
  unitName(c, i) {
    if (c === 0) return this.inputLabels[i].textContent;
    if (c === this.sizes.length - 1) return `output ${this.outputLabels[i].textContent}`;
    return `layer ${c} · unit ${i + 1}`;
  }

  /** A parameter in words with its value: "x₁ → layer 1 · unit 2: w = 0.53". */
  sentence(p) {
    const value = formatNumber(numberOf(this.valueOf(p)), 3);
    if (p.kind === "bias") return `${this.unitName(p.layer + 1, p.row)}: bias b = ${value}`;
    return `${this.unitName(p.layer, p.col)} → ${this.unitName(p.layer + 1, p.row)}: w = ${value}`;
  }

  describe() {
    const focused = document.activeElement === this.svg;
    const p = [this.hovered, focused ? this.cursor : null, this.options.picked].find((q) => this.exists(q));
    if (p) {
      const picked = this.options.picked && sameParam(p, this.options.picked);
      setText(this.readout, this.sentence(p) + (picked ? " (picked)" : ""));
    } else {
      setText(
        this.readout,
        "Blue: a positive weight, orange: a negative one; thicker is larger. A unit's ring is its bias. " +
          "Click a line or a unit to follow it.",
      );
    }
  }

  hover(p) {
    this.hovered = p;
    if (!this.layers) return;
    this.placeHalo(this.halo.hovered, p);
    this.describe();
  }

  pick(p) {
    if (this.options.onPick) this.options.onPick({ ...p });
  }

  showCursor(on) {
    if (!this.layers) return;
    this.placeHalo(this.halo.cursor, on ? this.cursor : null);
    this.describe();
    if (on && this.exists(this.cursor)) this.announce.textContent = this.sentence(this.cursor);
  }

  /** The layer's parameters in reading order: each unit's incoming weights, then its bias. */
  order(layer) {
    const list = [];
    for (let row = 0; row < this.sizes[layer + 1]; row++) {
      for (let col = 0; col < this.sizes[layer]; col++) list.push({ layer, row, col, kind: "weight" });
      list.push({ layer, row, col: null, kind: "bias" });
    }
    return list;
  }

  key(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || !this.layers) return;
    const here = this.exists(this.cursor) ? this.cursor : { layer: 0, row: 0, col: 0, kind: "weight" };
    const list = this.order(here.layer);
    const index = list.findIndex((q) => sameParam(q, here));
    const last = this.layers.length - 1;
    let next = null;
    if (event.key === "ArrowDown") next = list[Math.min(list.length - 1, index + 1)];
    else if (event.key === "ArrowUp") next = list[Math.max(0, index - 1)];
    else if (event.key === "Home") next = list[0];
    else if (event.key === "End") next = list.at(-1);
    else if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      const layer = Math.max(0, Math.min(last, here.layer + (event.key === "ArrowRight" ? 1 : -1)));
      const row = Math.min(here.row, this.sizes[layer + 1] - 1);
      const col = here.kind === "bias" ? null : Math.min(here.col, this.sizes[layer] - 1);
      next = { layer, row, col, kind: here.kind };
    } else if (event.key === "Enter") {
      event.preventDefault();
      this.cursor = here;
      this.pick(here);
      return;
    } else return;
    event.preventDefault(); // the page's own arrow shortcuts (step, rate) stay out of it
    this.cursor = next;
    this.showCursor(true);
  }
}

function sameParam(a, b) {
  return a.layer === b.layer && a.row === b.row && a.kind === b.kind && (a.kind === "bias" || a.col === b.col);
}
