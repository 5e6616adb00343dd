// What a landscape entry says about itself, for every layer that draws, words or runs it: a
// run request's `surface` value, the coordinates' names, a model's data size and prediction.
// A leaf: it imports nothing, so a plot, a map or the track can ask without importing a panel.
//
// An entry is the catalog's (GET /api/surfaces), a typed formula's (panels/formula.js: with
// `typed`, {expression, domain}) or a model's (panels/model.js: with `modelled`, the request
// {model, loss, data, dim} as the server filled it in).

/**
 * A run request's `surface`: a built-in's id, a typed formula as {expression, domain}, or a
 * model on data as {model, loss, data, dim}.
 */
export function surfaceValue(surface) {
  if (surface.modelled) return surface.modelled;
  return surface.typed ? { expression: surface.typed.expression, domain: surface.typed.domain } : surface.id;
}

/** How many points a model landscape's loss is a mean over (0: not a model). */
export function dataSize(surface) {
  return surface && surface.modelled ? surface.data.x.length : 0;
}

/** The coordinates' names for the axes: a model's weights (w, b or w₁, w₂), else x and y. */
export function coordinateNames(surface) {
  return surface && surface.modelled ? surface.model.weights.slice(0, surface.dim) : ["x", "y"].slice(0, surface.dim);
}

function sigmoid(z) {
  return 1 / (1 + Math.exp(-z));
}

/** ŷ at each of `xs` for the model at `weights` (one weight: the second held at `fixed`). */
export function predict(model, weights, xs) {
  const [a, c = model.fixed] = weights;
  if (model.id === "tanh_net") return xs.map((x) => c * Math.tanh(a * x));
  if (model.id === "logistic") return xs.map((x) => sigmoid(a * x + c));
  return xs.map((x) => a * x + c);
}
