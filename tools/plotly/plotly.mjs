// The plotly.js every plotting page loads: the core (with scatter) and the 2D traces the pages
// draw (contour, heatmap). The 3D traces are a chunk of their own, fetched on first use.
import Plotly from "plotly.js/lib/core";
import contour from "plotly.js/lib/contour";
import heatmap from "plotly.js/lib/heatmap";

Plotly.register([contour, heatmap]);
// Registers surface and scatter3d in this same Plotly (one instance, one set of styles); the
// chunk's URL is relative to this file, so it is fetched from wherever this file was.
Plotly.loadGL3d = () => import("./gl3d.mjs");
window.Plotly = Plotly;
