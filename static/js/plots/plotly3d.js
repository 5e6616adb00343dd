// plotly.js's 3D traces (surface, scatter3d: WebGL, a third of plotly.js) are not in the bundle
// every plotting page loads. The first 3D view fetches them; they register into the page's one
// Plotly, so the 3D scene and the 2D plots share one instance.

let loading = null;

/** Resolves once window.Plotly can draw surface and scatter3d traces (fetched once). */
export function plotly3d() {
  loading ??= window.Plotly.loadGL3d();
  return loading;
}
