// Talking to the Descent Lab API: catalog, whole runs, and the error shape.

export class ApiError extends Error {
  constructor(body) {
    super(describeError(body));
    this.body = body;
  }
}

/** One line a student can read from the API's error shape {error, errors: [{field, reason}]}. */
export function describeError(body) {
  if (!body || typeof body !== "object") return String(body);
  const details = (body.errors || []).map((e) => `${e.field}: ${e.reason}`);
  return details.length ? details.join("; ") : body.error || "Something went wrong";
}

export async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) throw new ApiError(body);
  return body;
}

/** POST `data` as JSON; the answer's body, or ApiError with the error shape. */
export async function postJSON(url, data) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(data),
  });
  const body = await response.json();
  if (!response.ok) throw new ApiError(body);
  return body;
}

export async function postRuns(runs) {
  return (await postJSON("/api/runs", { runs })).runs;
}
