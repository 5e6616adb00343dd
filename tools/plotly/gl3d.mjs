// The explorer's 3D view: surface and scatter3d (WebGL), registered into the page's Plotly.
import Plotly from "plotly.js/lib/core";
import scatter3d from "plotly.js/lib/scatter3d";
import surface from "plotly.js/lib/surface";

Plotly.register([surface, scatter3d]);
