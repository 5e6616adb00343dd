// Classroom and course pages: embed mode, hidden and locked controls, the page's height for
// the parent frame, and the Share panel (Copy link, Copy embed code).
//
//   ?embed=1          no site header; the simulator fills its frame
//   ?hide=lr,speed    controls left out (names: the data-control attributes of the page)
//   ?lock=optimizer   controls shown but not editable
//
// Embedded, the page posts its height to the parent on load and on every size change, as
// {type: "descent-lab:resize", height} and as Canvas's {subject: "lti.frameResize", height}.
// No cookies, no server-side session: everything is in the address.

import { listParam } from "../state/urlstate.js";

const EMBED_HEIGHT = { roll: 760, explore: 1100, network: 1150 }; // px: a first guess; the page then says

/** Hide and lock the controls the address names; returns the names it locked. */
export function applyControlParams(root, params) {
  const hidden = listParam(params, "hide");
  const locked = listParam(params, "lock");
  for (const el of root.querySelectorAll("[data-control]")) {
    const names = el.dataset.control.split(" ");
    if (names.some((n) => hidden.has(n))) el.hidden = true;
    if (names.some((n) => locked.has(n))) lockControl(el);
  }
  return locked;
}

/** Whether the address locks control `name`. */
export function isLocked(params, name) {
  return listParam(params, "lock").has(name);
}

/** A control a shortcut may use: neither hidden nor disabled (nor locked). */
export function usable(el) {
  return Boolean(el) && !el.disabled && el.offsetParent !== null;
}

/** A locked control: shown, read by screen readers as unavailable, not editable. */
export function lockControl(el) {
  el.classList.add("locked");
  for (const field of el.querySelectorAll("input, select, button, textarea")) {
    field.disabled = true;
    field.dataset.locked = "true";
  }
  if (el.matches("input, select, button, textarea")) {
    el.disabled = true;
    el.dataset.locked = "true";
  }
}

const RESIZE_CHECK_MS = 150; // at most one height check (a forced layout) this often

/**
 * Embed mode: the class that drops the site chrome, and the height messages. A change of
 * size is seen two ways: a ResizeObserver on the body, and a MutationObserver on everything
 * in it (a racer added, a section opened, a text grown). The second is needed because a
 * browser stops rendering a cross-origin frame that is out of view (Chromium throttles it),
 * and a ResizeObserver only reports while the frame renders: a course page whose frame sits
 * below the fold would keep the first height however the lesson grows. Either one asks for a
 * check at most every RESIZE_CHECK_MS; a message goes out only when the height changed.
 */
export function startEmbedMode(params) {
  if (params.get("embed") !== "1") return;
  document.documentElement.classList.add("embed");
  if (window.parent === window) return;
  let last = 0;
  let timer = null;
  const post = () => {
    timer = null;
    const height = Math.ceil(document.documentElement.scrollHeight);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: "descent-lab:resize", height }, "*");
    window.parent.postMessage({ subject: "lti.frameResize", height }, "*");
  };
  const check = () => {
    if (timer === null) timer = setTimeout(post, RESIZE_CHECK_MS);
  };
  new ResizeObserver(check).observe(document.body);
  new MutationObserver(check).observe(document.body, {
    subtree: true, childList: true, attributes: true, characterData: true,
  });
  window.addEventListener("load", check);
  post();
}

function embedCode(url, page, title) {
  const src = new URL(url);
  src.searchParams.set("embed", "1");
  const height = EMBED_HEIGHT[page] || 800;
  return (
    `<iframe src="${src.href.replaceAll("&", "&amp;")}" title="${title}" width="100%" ` +
    `height="${height}" style="border: 0; max-width: 1200px" loading="lazy" ` +
    `allow="fullscreen; clipboard-write"></iframe>`
  );
}

async function copy(text, field, button) {
  field.value = text;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = "Copied";
  } catch {
    // no clipboard here (an insecure origin, a locked-down frame): select it to copy by hand
    field.focus();
    field.select();
    button.textContent = "Select and copy";
  }
  setTimeout(() => (button.textContent = button.dataset.label), 2000);
}

/**
 * Wire the Share panel to `address` (state/urlstate.js: AddressBar): the Link and Embed code
 * fields follow every change of the page's state while the panel is open, as the Copy
 * buttons do. `page` is "roll" or "explore", `title` the iframe's accessible title.
 */
export function wireSharePanel(root, { address, page, title }) {
  const panel = root.querySelector(".share");
  if (!panel) return;
  const link = panel.querySelector(".share-link");
  const code = panel.querySelector(".share-embed");
  const copyLink = panel.querySelector(".copy-link");
  const copyEmbed = panel.querySelector(".copy-embed");
  for (const b of [copyLink, copyEmbed]) b.dataset.label = b.textContent;
  const show = (href) => {
    if (!panel.open) return;
    link.value = href;
    code.value = embedCode(href, page, title);
  };
  address.listen(show);
  panel.addEventListener("toggle", () => show(address.href()));
  copyLink.addEventListener("click", () => copy(address.href(), link, copyLink));
  copyEmbed.addEventListener("click", () => copy(embedCode(address.href(), page, title), code, copyEmbed));
}
