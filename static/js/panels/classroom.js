// The live class's bar on a simulator page whose address has class=CODE (docs/guide.md, "A
// live class"; the API: docs/api.md). Two modes:
//
//   teacher (role=teacher, with the class's key kept for this tab): leads the class from this
//     page (classteacher.js);
//   student (otherwise, with the token /join kept): follows it (classstudent.js).
//
// Whatever is right, and what each run did, is the server's word; this panel only says it.

import { getJSON } from "../net/api.js";
import { StudentClient, TeacherClient, kept, keepKeyFromFragment } from "../net/classroom.js";
import { $, element } from "./classbar.js";
import { StudentBar } from "./classstudent.js";
import { TeacherBar } from "./classteacher.js";

// The key in the teacher's fragment (#key=…), kept before the page's address bar, which keeps
// the query only, rewrites the address.
const opening = new URLSearchParams(window.location.search);
if (opening.get("role") === "teacher" && opening.get("class")) keepKeyFromFragment(opening.get("class").toUpperCase());

/**
 * Start the class bar on `page` (a PageShell, open and drawn) if the address names a class;
 * returns the bar or null. It sits in the lesson slot, beside the plot.
 */
export async function startClassroom(root, page, params) {
  const code = (params.get("class") || "").toUpperCase();
  if (!code) return null;
  const bar = $("class-bar-template").content.firstElementChild.cloneNode(true);
  bar.querySelector(".class-bar-code").textContent = code;
  $("lesson-slot").append(bar);
  const id = params.get("lesson");
  const lesson = id ? (await getJSON("/api/lessons")).find((l) => l.id === id) || null : null;
  const key = params.get("role") === "teacher" ? kept.key(code) : null;
  if (key) return new TeacherBar(bar, page, params, new TeacherClient(code, key), lesson).start();
  const student = kept.student(code);
  const line = $("class-bar-line");
  if (params.get("role") === "teacher") {
    line.textContent = `This tab has no key for class ${code}: open the lesson from the class page.`;
    return null;
  }
  if (!student) {
    line.textContent = `You have not joined class ${code} in this tab. `;
    line.append(element("a", { href: `/join?code=${encodeURIComponent(code)}` }, "Join the class"));
    return null;
  }
  return new StudentBar(bar, page, params, new StudentClient(code, student), lesson).start();
}
