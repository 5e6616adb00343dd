// A CSV file of the student's own points: the file input's file is read (unless it is over the
// catalog's size limit, refused before a byte is read), sent to the server, which parses and
// checks it (every refusal names the row), and the points come back in the run request's
// `data.own` shape. Nothing is half-loaded: either all the points or the server's message.

import { postJSON } from "../net/api.js";

const ENDPOINT = "/api/networks/datasets/csv";

function sizeText(bytes) {
  return bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} bytes`;
}

/**
 * Wire `input` (an <input type="file">). `onPoints({x, y, task, classes})` with the server's
 * points; `onError(message)` with why not (the server's words, naming the row: "data.csv: row
 * 7: …"); `maxBytes` the catalog's `limits.csv_bytes`. Returns a function that detaches it.
 */
export function attachCsvUpload(input, { onPoints, onError, maxBytes = Infinity }) {
  input.accept = input.accept || ".csv,text/csv,text/plain";
  let latest = 0; // a second file chosen before the first's answer wins

  const chosen = async () => {
    const file = input.files && input.files[0];
    input.value = ""; // the same file chosen again (after fixing it) is read again
    if (!file) return;
    const ticket = (latest += 1);
    if (file.size > maxBytes) {
      onError(`“${file.name}” is ${sizeText(file.size)}: a CSV file can be at most ${sizeText(maxBytes)}.`);
      return;
    }
    try {
      const text = await file.text();
      const body = await postJSON(ENDPOINT, { csv: text });
      if (ticket === latest) onPoints({ x: body.x, y: body.y, task: body.task, classes: body.classes });
    } catch (error) {
      if (ticket === latest) onError(error.body ? error.message : `The file could not be sent: ${error.message}`);
    }
  };

  input.addEventListener("change", chosen);
  return () => input.removeEventListener("change", chosen);
}
