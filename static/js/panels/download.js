// Downloads: every run's steps as CSV or JSON, a self-contained HTML replay (from
// POST /api/runs/export), and a PNG of the plots as they are on screen.

import { ApiError } from "../net/api.js";

/** The blob offered to the user as a download called `filename`. */
export function save(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function filenameOf(response, fallback) {
  const match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
  return match ? match[1] : fallback;
}

/** The runs (as the address would replay them) exported as csv, json or html; `names`: what
 * the page calls each (the replay's captions and legend). */
export async function downloadExport(runs, names, format) {
  const response = await fetch(`/api/runs/export?format=${format}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ runs, names }),
  });
  if (!response.ok) throw new ApiError(await response.json());
  save(await response.blob(), filenameOf(response, `descent-lab.${format}`));
}

function loadImage(src) {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = reject;
    image.src = src;
  });
}

/**
 * A PNG of a Plotly plot with any SVG drawn over it (the explorer's paths and balls live in an
 * overlay, not in Plotly), at the size it has on screen.
 */
export async function downloadPNG(plot, overlays, filename) {
  const { width, height } = plot.getBoundingClientRect();
  const scale = 2;
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const context = canvas.getContext("2d");
  context.scale(scale, scale);
  const base = await window.Plotly.toImage(plot, { format: "png", width, height });
  context.drawImage(await loadImage(base), 0, 0, width, height);
  const origin = plot.getBoundingClientRect();
  for (const svg of overlays) {
    if (!svg || svg.style.display === "none") continue;
    const box = svg.getBoundingClientRect();
    const text = new XMLSerializer().serializeToString(svg);
    const image = await loadImage(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(text)}`);
    context.drawImage(image, box.left - origin.left, box.top - origin.top, box.width, box.height);
  }
  canvas.toBlob((blob) => save(blob, filename), "image/png");
}

/** Wire the Download buttons: `runs()` gives the export request's runs, `names()` the page's
 * name for each, `png()` draws one. */
export function wireDownloads(root, { runs, names, png, onError }) {
  for (const button of root.querySelectorAll("[data-export]")) {
    button.addEventListener("click", async () => {
      try {
        await downloadExport(runs(), names(), button.dataset.export);
      } catch (error) {
        onError(error.message);
      }
    });
  }
  root.querySelector(".download-png")?.addEventListener("click", () => png().catch((e) => onError(e.message)));
}
