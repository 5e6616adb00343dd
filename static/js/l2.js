// L2 regularization as a change of landscape: weight decay λ that is added to the gradient
// (g + λ·x, "coupled", as in SGD, RMSprop or Adam) makes the optimizer descend
// f(x) + (λ/2)·‖x‖² instead of f.  Decoupled decay (AdamW, Lion) shrinks the weights
// outside the gradient and has no such landscape.

/**
 * The λ whose L2 landscape this optimizer descends, or 0 when there is none: the catalog
 * says how its weight decay acts, and which switch (`decoupled_by`) makes it decoupled.
 */
export function l2Strength(optimizer, hyperparameters) {
  const decoupled = optimizer.decoupled_by && hyperparameters[optimizer.decoupled_by];
  if (optimizer.weight_decay !== "l2" || decoupled) return 0;
  return Number(hyperparameters.weight_decay) || 0;
}

/** f + (λ/2)·x² along a 1D grid. */
export function regularized1d(xs, fs, lambda) {
  return fs.map((f, i) => (f === null ? null : f + 0.5 * lambda * xs[i] * xs[i]));
}

/** f + (λ/2)·(x² + y²) over a 2D grid (rows along y), and its lowest sample. */
export function regularized2d(grid, lambda) {
  const { x, y, f } = grid;
  let lowest = null;
  const z = f.map((row, j) =>
    row.map((v, i) => {
      if (v === null) return null;
      const r = v + 0.5 * lambda * (x[i] * x[i] + y[j] * y[j]);
      if (!lowest || r < lowest.f) lowest = { x: x[i], y: y[j], f: r };
      return r;
    }),
  );
  return { z, lowest };
}

/** The lowest sample, refined by the parabola through it and its neighbours. */
export function lowestPoint(xs, ys) {
  let best = -1;
  ys.forEach((y, i) => {
    if (y !== null && (best < 0 || y < ys[best])) best = i;
  });
  if (best <= 0 || best >= ys.length - 1) return { x: xs[best], y: ys[best] };
  const [a, b, c] = [ys[best - 1], ys[best], ys[best + 1]];
  const h = xs[best + 1] - xs[best];
  const curvature = a - 2 * b + c;
  if (!(curvature > 0)) return { x: xs[best], y: b };
  const shift = (0.5 * (a - c)) / curvature; // in grid steps, within (-1/2, 1/2)
  return { x: xs[best] + shift * h, y: b - 0.25 * (a - c) * shift };
}
