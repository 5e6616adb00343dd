// Builds static/vendor/plotly/ (committed) from the pinned plotly.js: `make vendor-plotly`.
//
// plotly.mjs is the bundle every plotting page loads; the 3D traces it imports on demand
// (gl3d.mjs) become a chunk of their own. Both share one core chunk, so the page keeps a single
// Plotly. File names carry esbuild's content hashes; the server adds a hash of the whole folder
// to the URL, so every file can be cached for a year.
import { copyFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { build } from "esbuild";

const OUT = "../../static/vendor/plotly";
const plotly = JSON.parse(readFileSync("node_modules/plotly.js/package.json", "utf8"));

// plotly.js registers maplibre's stylesheet when a map trace is registered; no page draws
// maps, so the stylesheet is left out rather than emitted as a file nothing loads.
const noMapStyles = {
  name: "no-map-styles",
  setup(b) {
    b.onResolve({ filter: /maplibre-gl\.css$/ }, (args) => ({ path: args.path, namespace: "empty" }));
    b.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "", loader: "js" }));
  },
};

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
await build({
  entryPoints: { plotly: "plotly.mjs" },
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: "esm",
  minify: true,
  chunkNames: "[name]-[hash]",
  // as plotly.js's own esbuild-config.js defines them
  define: { global: "window", "define.amd": "false", "process.env.NODE_DEBUG": "false" },
  plugins: [noMapStyles],
  target: "es2020",
  banner: {
    js: `/*! plotly.js v${plotly.version} (partial: scatter, contour, heatmap; surface and scatter3d on demand)
 * Copyright 2012-2026, Plotly, Inc. All rights reserved. Licensed under the MIT license: LICENSE */`,
  },
  legalComments: "eof",
  logLevel: "info",
});
copyFileSync("node_modules/plotly.js/LICENSE", `${OUT}/LICENSE`);
