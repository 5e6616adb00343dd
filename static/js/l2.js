// L2 regularization as a change of landscape: weight decay λ that is added to the gradient
// (g + λ·x, "coupled", as in SGD, RMSprop or Adam) makes the optimizer descend
// f(x) + (λ/2)·‖x‖² instead of f.  Decoupled decay (AdamW, Lion) shrinks the weights
// outside the gradient and has no such landscape.  Its lowest point is the engine's to find
// (POST /api/surfaces/l2, net/l2.js); this only draws the penalized grid.

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

/**
 * f + (λ/2)·(x² + y²) over a 2D grid (rows along y), for drawing: where its lowest point
 * lies is the server's answer (net/l2.js), not the grid's lowest sample.
 */
export function regularized2d(grid, lambda) {
  const { x, y, f } = grid;
  return f.map((row, j) => row.map((v, i) => (v === null ? null : v + 0.5 * lambda * (x[i] * x[i] + y[j] * y[j]))));
}
