// Talking to a live class (docs/api.md, "A live class"): the teacher's requests carry the
// class's key in a header and read the teacher's event stream over fetch(); a student's carry
// the student's token and read theirs with an EventSource. Every refusal is an ApiError with
// the app's error shape; a 429 says when to try again.

import { ApiError } from "./api.js";
import { readEvents } from "./events.js";

const STORE = "descent-lab:class";

/** What this browser tab keeps for class `code`: the teacher's key or the student's token. */
export const kept = {
  key: (code) => sessionStorage.getItem(`${STORE}:${code}:key`),
  student: (code) => sessionStorage.getItem(`${STORE}:${code}:student`),
  setKey: (code, key) => sessionStorage.setItem(`${STORE}:${code}:key`, key),
  setStudent: (code, token) => sessionStorage.setItem(`${STORE}:${code}:student`, token),
  // the version of the teacher's scene this tab last opened or was told of
  scene: (code) => sessionStorage.getItem(`${STORE}:${code}:scene`),
  setScene: (code, version) => sessionStorage.setItem(`${STORE}:${code}:scene`, String(version)),
};

/** The key an address's fragment carries (`#key=…`), kept for the tab; the key, or null. */
export function keepKeyFromFragment(code) {
  const key = new URLSearchParams(window.location.hash.slice(1)).get("key");
  if (key && code) kept.setKey(code, key);
  return key;
}

/** A refusal, with the seconds a 429 or 503 asks to wait (`retryAfter`). */
export class ClassError extends ApiError {
  constructor(body, status, retryAfter) {
    super(body);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

async function send(method, url, { body, key } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["X-Class-Key"] = key;
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ClassError(data, response.status, Number(response.headers.get("Retry-After")) || 0);
  return data;
}

/** POST /api/classes: a new class, {code, key, expires_at, join_url, teach_url, qr_url}. */
export function createClass() {
  return send("POST", "/api/classes", { body: {} });
}

/** Join class `code`: {student, scene}. */
export function joinClass(code) {
  return send("POST", `/api/classes/${encodeURIComponent(code)}/students`, { body: {} });
}

/** The teacher's side of class `code`, every request with the key. */
export class TeacherClient {
  constructor(code, key) {
    this.code = code;
    this.key = key;
    this.base = `/api/classes/${encodeURIComponent(code)}`;
  }

  call(method, path = "", body = undefined) {
    return send(method, this.base + path, { body, key: this.key });
  }

  state() {
    return this.call("GET");
  }

  setOpen(open) {
    return this.call("PATCH", "", { open });
  }

  end() {
    return this.call("DELETE");
  }

  scene(page, params, mode) {
    return this.call("PUT", "/scene", { page, params, mode });
  }

  control(action, step) {
    return this.call("POST", "/control", { action, step });
  }

  ask(asks, choices, runs) {
    return this.call("POST", "/question", { asks, choices, runs });
  }

  reveal() {
    return this.call("POST", "/question/reveal");
  }

  startExperiment(kind, run) {
    return this.call("POST", "/experiment", { kind, run });
  }

  endExperiment() {
    return this.call("DELETE", "/experiment");
  }

  /**
   * The teacher's event stream: `onEvent(event, data)` for each event until `signal` aborts;
   * resolves when the stream ends (the class ended, the connection dropped), rejects with a
   * ClassError when refused.
   */
  async events(onEvent, signal) {
    const response = await fetch(`${this.base}/teacher-events`, {
      headers: { Accept: "text/event-stream", "X-Class-Key": this.key },
      signal,
    });
    if (!response.ok) {
      let body;
      try {
        body = await response.json();
      } catch {
        body = `The server answered ${response.status}.`;
      }
      throw new ClassError(body, response.status, Number(response.headers.get("Retry-After")) || 0);
    }
    for await (const { event, data } of readEvents(response.body)) onEvent(event, data);
  }
}

/** A student's side of class `code`, with the student's token. */
export class StudentClient {
  constructor(code, student) {
    this.code = code;
    this.student = student;
    this.base = `/api/classes/${encodeURIComponent(code)}`;
  }

  answer(question, guesses) {
    return send("PUT", `${this.base}/answers`, { body: { student: this.student, question, guesses } });
  }

  tryValue(experiment, value) {
    return send("PUT", `${this.base}/experiment/runs`, { body: { student: this.student, experiment, value } });
  }

  /** The student's event stream (EventSource: it reconnects by itself after a drop). */
  events(handlers) {
    const query = new URLSearchParams({ student: this.student });
    const source = new EventSource(`${this.base}/events?${query}`);
    for (const [name, handler] of Object.entries(handlers)) {
      source.addEventListener(name, (event) => handler(event.data ? JSON.parse(event.data) : null));
    }
    return source;
  }
}

/** The simulator page a scene opens: its path and query, with the class's code. */
export function sceneURL(scene, code) {
  const params = new URLSearchParams(scene.params);
  params.set("class", code);
  return `${scene.page === "explore" ? "/explore" : "/"}?${params}`;
}

/** Open the teacher's scene in this tab (remembering its version: the page it opens knows it). */
export function openScene(scene, code) {
  kept.setScene(code, scene.version);
  window.location.assign(sceneURL(scene, code));
}
