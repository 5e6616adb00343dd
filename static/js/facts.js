// What the server and the pages share (app/facts.py: steps per press of Play, the racers'
// limit and styles, the palette, the outcome words, the data limits, each page's landscape),
// read once from the base template's <script type="application/json" id="facts">. A leaf.

export const FACTS = JSON.parse(document.getElementById("facts").textContent);
