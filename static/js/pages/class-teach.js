// The teacher's class home (/class/CODE/teach): the join code and QR large for the projector,
// how many have joined (the teacher's event stream), open or close joining, end the class, and
// the lessons, each opening its page in teacher mode. The class's key comes in the address's
// fragment once; it is kept for this tab and taken out of the address bar, which a projector
// shows.

import { TeacherClient, kept, keepKeyFromFragment } from "../net/classroom.js";
import { setProjector } from "../panels/keyboard.js";

const $ = (id) => document.getElementById(id);
const root = $("class-teach");
const code = root.dataset.code;
const RECONNECT_MS = 2000;

keepKeyFromFragment(code);
if (new URLSearchParams(window.location.search).get("projector") === "1") setProjector(true);
if (window.location.hash) window.history.replaceState(null, "", window.location.pathname + window.location.search);
const key = kept.key(code);
const client = key ? new TeacherClient(code, key) : null;
let open = true;
let ended = false;

$("class-join-url").textContent = `${window.location.host}/join`;

function say(text) {
  $("class-state").textContent = text;
}

function showJoined(n) {
  $("class-joined").textContent = String(n);
  $("class-joined-word").textContent = n === 1 ? "student joined" : "students joined";
}

function showOpen(now) {
  open = now;
  $("class-open").textContent = open ? "Close joining" : "Open joining";
  say(open ? "Joining is open." : "Joining is closed: nobody new can join.");
}

function finish(text) {
  ended = true;
  say(text);
  for (const id of ["class-open", "class-end", "class-copy-key"]) $(id).disabled = true;
  $("class-confirm").hidden = true;
  for (const link of root.querySelectorAll(".class-lesson-link, .class-sim-link")) link.removeAttribute("href");
}

/** The teacher's stream: the joined count as students come; again after a dropped connection. */
async function follow() {
  while (!ended) {
    try {
      await client.events((event, data) => {
        if (event === "state") {
          showJoined(data.joined);
          showOpen(data.open);
        } else if (event === "joined") showJoined(data.joined);
        else if (event === "closed") finish("The class has ended.");
      });
    } catch (refusal) {
      if (refusal.status === 404 || refusal.status === 403) {
        finish(`This class is not open: ${refusal.message}.`);
        return;
      }
    }
    if (!ended) await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
  }
}

async function start() {
  if (!client) {
    finish(`This tab has no key for class ${code}: open the teacher's link you got when you started the class.`);
    return;
  }
  try {
    const state = await client.state();
    showJoined(state.joined);
    showOpen(state.open);
    const until = new Date(state.expires_at);
    $("class-expires").textContent = `The class lasts until ${until.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}.`;
  } catch (refusal) {
    finish(`This class is not open: ${refusal.message}.`);
    return;
  }
  for (const id of ["class-open", "class-end", "class-copy-key"]) $(id).disabled = false;
  follow();
}

$("class-open").addEventListener("click", async () => {
  try {
    const state = await client.setOpen(!open);
    showOpen(state.open);
  } catch (refusal) {
    say(`Not changed: ${refusal.message}.`);
  }
});

$("class-end").addEventListener("click", () => {
  $("class-confirm").hidden = false;
  $("class-end-no").focus();
});
$("class-end-no").addEventListener("click", () => {
  $("class-confirm").hidden = true;
  $("class-end").focus();
});
$("class-end-yes").addEventListener("click", async () => {
  try {
    await client.end();
    finish("The class has ended.");
  } catch (refusal) {
    say(`The class goes on: ${refusal.message}.`);
  }
});

$("class-copy-key").addEventListener("click", async () => {
  const link = `${window.location.origin}${window.location.pathname}#key=${encodeURIComponent(key)}`;
  try {
    await navigator.clipboard.writeText(link);
    say("The teacher's link is copied: keep it private.");
  } catch {
    say("The browser would not copy: copy it from the address you started the class with.");
  }
});

start().finally(() => (root.dataset.ready = "true"));
