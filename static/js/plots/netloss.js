// A network's loss by step (the /network page): per racer the training loss (solid) and the
// test loss (dashed) in the racer's colour, on a log axis once it spans a decade; where the
// server found the run overfitting, a vertical line with its label at the step early stopping
// would keep (the test loss's lowest); once the Landscape section's sharpness view has been
// computed, on a second axis (right) the Hessian's top eigenvalue at the sampled steps (dots)
// and 2/lr (long dashes). One Plotly.react per drawn frame (the page draws at most once per animation frame).

const WIDTHS = { normal: { line: 2, font: 13 }, projector: { line: 4.5, font: 20 } };

export class NetLossChart {
  constructor(element, { projector = false } = {}) {
    this.element = element;
    this.widths = projector ? WIDTHS.projector : WIDTHS.normal;
    this.revision = 0; // the lists grow in place: Plotly is told they changed
  }

  setProjector(on) {
    this.widths = on ? WIDTHS.projector : WIDTHS.normal;
  }

  /**
   * Draw `racers`: [{label, color, steps: {step, train_loss, test_loss}, earlyStop: step|null}].
   * `hasTest`: the data keeps points aside for testing (else no dashed lines). `sharpness`:
   * per racer the sharpness view's {step, top, limit} (POST /api/networks/views), or null.
   */
  draw(racers, { hasTest, sharpness = null }) {
    const w = this.widths;
    const traces = [];
    const shapes = [];
    const annotations = [];
    let low = Infinity;
    let high = 0;
    for (const r of racers) {
      for (const list of [r.steps.train_loss, hasTest ? r.steps.test_loss : []]) {
        for (const v of list) {
          if (v > 0 && Number.isFinite(v)) {
            low = Math.min(low, v);
            high = Math.max(high, v);
          }
        }
      }
    }
    // a label at 1, 2 and 5 of each power of ten over a short range; over many decades, at
    // powers of ten only (the in-between labels would collide)
    const decades = high > 0 ? Math.log10(high / low) : 0;
    for (const r of racers) {
      const { step, train_loss: train, test_loss: test } = r.steps;
      traces.push({
        type: "scatter", mode: "lines", name: `${r.label}: training loss`, x: step, y: train,
        line: { color: r.color, width: w.line, dash: "solid" }, hovertemplate: "step %{x}: %{y:.4g}<extra>%{fullData.name}</extra>",
      });
      if (hasTest) {
        traces.push({
          type: "scatter", mode: "lines", name: `${r.label}: test loss`, x: step, y: test,
          line: { color: r.color, width: w.line, dash: "dash" }, hovertemplate: "step %{x}: %{y:.4g}<extra>%{fullData.name}</extra>",
        });
      }
      if (r.earlyStop !== null && r.earlyStop !== undefined) {
        shapes.push({
          type: "line", xref: "x", yref: "paper", x0: r.earlyStop, x1: r.earlyStop, y0: 0, y1: 1,
          line: { color: r.color, width: w.line, dash: "dot" },
        });
        annotations.push({
          // one below the other where several racers stop early
          xref: "x", yref: "paper", x: r.earlyStop, y: 1 - 0.12 * annotations.length, yanchor: "top", xanchor: "left", showarrow: false,
          text: `early stop: step ${r.earlyStop}`, font: { size: w.font, color: "#222" }, bgcolor: "rgba(255,255,255,0.85)",
        });
      }
    }
    if (sharpness) traces.push(...sharpnessTraces(racers, sharpness, w));
    const layout = {
      margin: { l: Math.round(w.font * 4.6), r: sharpness ? Math.round(w.font * 4.2) : 8, t: 8, b: Math.round(w.font * 3) },
      font: { size: w.font },
      showlegend: false,
      dragmode: false,
      xaxis: { title: { text: "step" }, fixedrange: true, zeroline: false, rangemode: "tozero" },
      // log over more than a decade (where training goes on falling), else linear
      yaxis:
        decades > 1
          ? { title: { text: "loss (log)" }, type: "log", fixedrange: true, exponentformat: "power", dtick: decades > 3 ? 1 : "D2" }
          : { title: { text: "loss" }, type: "linear", fixedrange: true },
      shapes,
      annotations,
      datarevision: (this.revision += 1),
    };
    if (sharpness) {
      layout.yaxis2 = { title: { text: "top eigenvalue" }, overlaying: "y", side: "right", fixedrange: true, rangemode: "tozero", showgrid: false };
    }
    this.element.dataset.sharpness = sharpness ? "shown" : "";
    this.element.dataset.earlyStop = shapes.length ? racers.map((r) => r.earlyStop ?? "").join(",") : "";
    return window.Plotly.react(this.element, traces, layout, { displayModeBar: false, responsive: true });
  }
}

/** Per racer with a sharpness answer: its top eigenvalue by sampled step and its 2/lr, on the right axis. */
function sharpnessTraces(racers, sharpness, w) {
  const traces = [];
  racers.forEach((r, i) => {
    const s = sharpness[i];
    if (!s) return;
    traces.push(
      {
        type: "scatter", mode: "lines+markers", name: `${r.label}: top eigenvalue`, x: s.step, y: s.top, yaxis: "y2",
        line: { color: r.color, width: Math.max(1, w.line - 1), dash: "dot" }, marker: { color: r.color, size: w.line * 2.5, symbol: "diamond" },
        hovertemplate: "step %{x}: %{y:.4g}<extra>%{fullData.name}</extra>",
      },
      {
        type: "scatter", mode: "lines", name: `${r.label}: 2/lr`, x: s.step, y: s.limit, yaxis: "y2",
        line: { color: r.color, width: Math.max(1, w.line - 0.5), dash: "longdash" }, opacity: 0.7,
        hovertemplate: "step %{x}: 2/lr = %{y:.4g}<extra>%{fullData.name}</extra>",
      },
    );
  });
  return traces;
}
