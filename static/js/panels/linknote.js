// What a link asked for that the page could not do, said beside the control it concerns
// ("Unknown optimizer 'foo' in the link: using Gradient descent."), instead of a silent
// default. The words come from state/urlstate.js, which reads the link.

/** A note after the element `after`; returns it. */
export function showLinkNote(after, text) {
  const note = document.createElement("p");
  note.className = "link-note";
  note.setAttribute("role", "status");
  note.textContent = text;
  after.after(note);
  return note;
}
