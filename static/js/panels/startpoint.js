// The explorer's shared start: two number fields (x, y) beside a click on the map, kept inside
// the landscape, to 3 decimals, and in the address as start=x,y when it is not the landscape's.

import { encodePoint } from "../state/urlstate.js";
import { isLocked } from "./embed.js";

const $ = (id) => document.getElementById(id);

export class StartPoint {
  /** `onMove(point)`: the start moved by hand (a field, or move() on a click on the map). */
  constructor(params, { onMove }) {
    this.params = params;
    this.onMove = onMove;
    this.surface = null;
    this.point = null;
    this.fields = [$("start-x"), $("start-y")];
    for (const field of this.fields) {
      field.addEventListener("change", () => {
        // valueAsNumber is NaN for an empty or unreadable field: then the old start stays
        const point = this.fields.map((f) => f.valueAsNumber);
        if (point.every(Number.isFinite)) this.move(point);
        else this.show(this.surface, this.point);
      });
    }
  }

  /** `point` (brought inside `surface`) in the fields; returns it as the balls start from it. */
  show(surface, point) {
    this.surface = surface;
    this.point = point.map((v, i) => {
      const [lo, hi] = surface.domain[i];
      return Number(Math.min(hi, Math.max(lo, v)).toFixed(3));
    });
    this.fields.forEach((field, i) => {
      const [lo, hi] = surface.domain[i];
      field.min = String(lo);
      field.max = String(hi);
      field.value = String(this.point[i]);
    });
    return this.point;
  }

  /** A start chosen by hand; none while the address locks the start. */
  move(point) {
    if (isLocked(this.params, "start")) return; // a click on the map must not move it
    this.onMove(point);
  }

  write(params) {
    if (this.point.some((v, i) => v !== this.surface.start[i])) params.set("start", encodePoint(this.point));
  }
}
