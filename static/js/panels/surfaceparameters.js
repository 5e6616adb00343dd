// A catalog landscape's own parameters (the explorer's sliders under its picker, such as a
// valley's width), in the address by name, and the landscape's grid for their values: fetched
// again while a slider moves, at most once every GRID_DELAY_MS.

import { getJSON } from "../net/api.js";
import { readValues, writeValues } from "../state/urlstate.js";
import { buildHyperparameterControls } from "./controls.js";
import { ownKey } from "./formula.js";

const GRID_DELAY_MS = 150;

function defaults(surface) {
  return Object.fromEntries(surface.parameters.map((p) => [p.name, p.default]));
}

export class SurfaceParameters {
  /**
   * `section`: where the sliders go. `onInput()`: a slider moved (the balls follow at once);
   * `onGrid(grid)` (async): the grid for the new values, when it arrives; `onError(message)`.
   */
  constructor(section, { onInput, onGrid, onError }) {
    this.section = section;
    this.onInput = onInput;
    this.onGrid = onGrid;
    this.onError = onError;
    this.surface = null;
    this.values = {}; // name → value, the object every ball's track reads
    this.timer = null;
  }

  /** `surface`'s sliders, at its defaults or as the address `params` (when given) sets them. */
  show(surface, params) {
    this.surface = surface;
    this.values = defaults(surface);
    if (params) readValues(params, "", surface.parameters, this.values);
    this.section.hidden = !surface.parameters.length;
    buildHyperparameterControls(this.section, surface.parameters, this.values, {
      idPrefix: "surface",
      onInput: () => this.changed(),
    });
  }

  /** The landscape's grid at these values (a formula's or a model's comes with its entry). */
  grid() {
    if (ownKey(this.surface)) return Promise.resolve(this.surface.grid);
    const q = new URLSearchParams(this.values).toString();
    return getJSON(`/api/surfaces/${this.surface.id}/grid${q ? `?${q}` : ""}`);
  }

  /** The values that differ from the landscape's defaults, into the address. */
  write(params) {
    writeValues(params, "", this.surface.parameters, this.values, defaults(this.surface));
  }

  changed() {
    this.onInput();
    if (this.timer) return;
    this.timer = setTimeout(async () => {
      this.timer = null;
      try {
        await this.onGrid(await this.grid());
      } catch (error) {
        this.onError(error.message);
      }
    }, GRID_DELAY_MS);
  }
}
