// Moving marks drawn in SVG over a Plotly plot, in the plot's own data coordinates.
//
// Plotly.restyle recalculates and redraws a whole plot (axes, text, every trace): some
// 15–40 ms per call in software-rendered Chromium, more than a frame.  What moves every
// frame (paths, balls, arrows, loss lines) is drawn here instead, as plain SVG elements
// whose attributes change, while Plotly draws what changes rarely.  The mapping from data
// to pixels is read from the plot's axes after each Plotly redraw (`plotly_afterplot`).

const SVG = "http://www.w3.org/2000/svg";
let overlays = 0;

function svgElement(name, attributes = {}) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, v);
  return el;
}

/** The label step of a log axis over [lo, hi] (powers of ten): every k-th power of ten, so
 * that at most `most` labels share the axis (Plotly's every-decade labels collide). */
export function decadeStep([lo, hi], most) {
  return Math.max(1, Math.ceil((hi - lo) / (most - 1)));
}

/**
 * The overlay of a chart that draws its lines a step at a time (`chart`: its Plotly div
 * `element`, the Map `drawn` of how much of each line is drawn, and `onRedrawNeeded()`): made
 * once per chart, mapped to the axes just laid out and emptied. Each later re-mapping (a
 * resize, a relayout) forgets what was drawn and asks for a redraw, which draws every line
 * whole.
 */
export function chartOverlay(chart) {
  if (!chart.overlay) {
    chart.overlay = new Overlay(chart.element, {
      onResize: () => {
        chart.drawn.clear();
        chart.onRedrawNeeded();
      },
    });
  }
  chart.overlay.sync();
  chart.overlay.clear();
  return chart.overlay;
}

export class Overlay {
  /** `plot` is a Plotly div filling a positioned parent; `onResize()` after each re-mapping. */
  constructor(plot, { onResize = () => {} } = {}) {
    this.plot = plot;
    this.id = `overlay-${(overlays += 1)}`;
    this.svg = svgElement("svg", { class: "overlay", "aria-hidden": "true" });
    this.defs = svgElement("defs");
    this.clip = svgElement("rect");
    const clipPath = svgElement("clipPath", { id: `${this.id}-clip` });
    clipPath.append(this.clip);
    this.defs.append(clipPath);
    this.layer = svgElement("g", { "clip-path": `url(#${this.id}-clip)` });
    this.svg.append(this.defs, this.layer);
    plot.parentElement.append(this.svg);
    this.markers = new Map();
    this.onResize = onResize;
    this.mapped = false;
    plot.on("plotly_afterplot", () => this.sync());
  }

  /** Read the axes' current pixel mapping (after Plotly drew, resized or relaid out). */
  sync() {
    const layout = this.plot._fullLayout;
    if (!layout || !layout.xaxis || !layout.xaxis._length) return;
    const { xaxis, yaxis } = layout;
    this.px = (v) => xaxis._offset + xaxis.c2p(v);
    this.py = (v) => yaxis._offset + yaxis.c2p(v);
    // a second y-axis on the right (the loss chart's sharpness), when the plot has one
    const right = layout.yaxis2;
    this.py2 = right && right._length ? (v) => right._offset + right.c2p(v) : null;
    this.svg.setAttribute("width", String(layout.width));
    this.svg.setAttribute("height", String(layout.height));
    this.svg.style.left = `${this.plot.offsetLeft}px`;
    this.svg.style.top = `${this.plot.offsetTop}px`;
    // the plot area in the overlay's pixels: what is drawn outside it is clipped
    this.area = { x: xaxis._offset, y: yaxis._offset, width: xaxis._length, height: yaxis._length };
    for (const [k, v] of Object.entries(this.area)) this.clip.setAttribute(k, String(v));
    this.mapped = true;
    this.onResize();
  }

  group(className, color) {
    const g = svgElement("g", { class: className });
    if (color) g.style.color = color;
    this.layer.append(g);
    return g;
  }

  clear() {
    this.layer.replaceChildren();
  }

  /**
   * An arrowhead marker in `color` (one per colour and kind, shared): filled, or with
   * `open` a white head outlined in the colour (for an arrow drawn as an outline).
   */
  arrowhead(color, { open = false } = {}) {
    const key = `${color}${open ? " open" : ""}`;
    if (!this.markers.has(key)) {
      const id = `${this.id}-head-${this.markers.size}`;
      const marker = svgElement("marker", {
        id, viewBox: "-1 -1 12 12", refX: "8", refY: "5", markerWidth: "5", markerHeight: "5",
        orient: "auto-start-reverse", markerUnits: "strokeWidth",
      });
      const head = open
        ? { d: "M0,0 L10,5 L0,10 z", fill: "white", stroke: color, "stroke-width": "1.6", "stroke-linejoin": "round" }
        : { d: "M0,0 L10,5 L0,10 z", fill: color };
      marker.append(svgElement("path", head));
      this.defs.append(marker);
      this.markers.set(key, id);
    }
    return `url(#${this.markers.get(key)})`;
  }

  polyline(parent, attributes) {
    const el = svgElement("polyline", { fill: "none", stroke: "currentColor", ...attributes });
    parent.append(el);
    return el;
  }

  /** One polyline per racer ([{color}]) in `group`, in the racer's colour and tagged with its
   * index (`data-racer`); `attributes(racer)` gives the rest. */
  racerLines(group, racers, attributes) {
    return racers.map((r, i) => {
      const line = this.polyline(group, { stroke: r.color, ...attributes(r) });
      line.dataset.racer = String(i);
      return line;
    });
  }

  circle(parent, attributes) {
    const el = svgElement("circle", attributes);
    parent.append(el);
    return el;
  }

  line(parent, attributes) {
    const el = svgElement("line", { stroke: "currentColor", ...attributes });
    parent.append(el);
    return el;
  }

  text(parent, attributes) {
    const el = svgElement("text", { fill: "currentColor", ...attributes });
    parent.append(el);
    return el;
  }

  /**
   * A label at (x, y) in data coordinates, `dx`, `dy` pixels from there, or hidden when
   * `content` is empty. With `inside`, moved as little as needed to lie wholly in the plot
   * area (a label by a ball at the map's edge would otherwise be cut off by the clip).
   */
  label(text, x, y, content, { dx = 0, dy = 0, inside = false } = {}) {
    if (!content) {
      text.setAttribute("visibility", "hidden");
      return;
    }
    text.setAttribute("visibility", "visible");
    text.textContent = content;
    let [px, py] = [this.px(x) + dx, this.py(y) + dy];
    text.setAttribute("x", px.toFixed(1));
    text.setAttribute("y", py.toFixed(1));
    if (!inside) return;
    const box = text.getBBox();
    const pad = 3;
    const into = (start, size, lo, span) =>
      Math.max(lo + pad - start, Math.min(0, lo + span - pad - (start + size)));
    px += into(box.x, box.width, this.area.x, this.area.width);
    py += into(box.y, box.height, this.area.y, this.area.height);
    text.setAttribute("x", px.toFixed(1));
    text.setAttribute("y", py.toFixed(1));
  }

  /** "x,y x,y …" in pixels for a polyline (`py`: the y-axis, this.py unless another). */
  points(xs, ys, py = this.py) {
    let out = "";
    for (let i = 0; i < xs.length; i += 1) {
      const x = this.px(xs[i]);
      const y = ys[i] === null ? NaN : py(ys[i]);
      if (Number.isFinite(x) && Number.isFinite(y)) out += `${x.toFixed(1)},${y.toFixed(1)} `;
    }
    return out;
  }

  place(circle, x, y) {
    if (x === null || x === undefined) {
      circle.setAttribute("visibility", "hidden");
      return;
    }
    circle.setAttribute("visibility", "visible");
    circle.setAttribute("cx", this.px(x).toFixed(1));
    circle.setAttribute("cy", this.py(y).toFixed(1));
    circle.dataset.x = String(x);
    circle.dataset.y = String(y);
  }

  /** A line from (x0, y0) to (x1, y1) in data coordinates, or hidden when `from` is null. */
  segment(line, from, to) {
    if (!from) {
      line.setAttribute("visibility", "hidden");
      return;
    }
    line.setAttribute("visibility", "visible");
    line.setAttribute("x1", this.px(from[0]).toFixed(1));
    line.setAttribute("y1", this.py(from[1]).toFixed(1));
    line.setAttribute("x2", this.px(to[0]).toFixed(1));
    line.setAttribute("y2", this.py(to[1]).toFixed(1));
  }
}
