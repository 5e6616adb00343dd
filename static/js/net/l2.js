// The lowest point of a surface's L2 landscape f + (λ/2)·‖x‖², as the engine finds it
// (POST /api/surfaces/l2): where an optimizer that adds λ·x to the gradient comes to rest.
// The pages draw the penalized grid themselves, but the point is the server's to decide.

import { surfaceValue } from "../landscape.js";
import { postJSON } from "./api.js";

/**
 * Requests of which only the latest counts (a weight decay nudged key by key sends one after
 * another): `read(surface, surfaceParameters, lambda)` gives the answer's `lowest`
 * ({position, value, kind}, or null where the engine verifies none on the domain), or
 * undefined when a later request was sent, or `forget()` called, meanwhile; the latest
 * one's refusal throws (ApiError).
 */
export class L2Lowest {
  constructor() {
    this.sent = 0;
  }

  async read(surface, surfaceParameters, lambda) {
    const ticket = ++this.sent;
    const request = { surface: surfaceValue(surface), surface_parameters: surfaceParameters || {}, weight_decay: lambda };
    try {
      const { lowest } = await postJSON("/api/surfaces/l2", request);
      return ticket === this.sent ? lowest : undefined;
    } catch (error) {
      if (ticket === this.sent) throw error;
      return undefined;
    }
  }

  /** Drop the answer still on its way (the box was unticked). */
  forget() {
    this.sent += 1;
  }
}
