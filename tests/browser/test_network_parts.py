"""The network page's parts in a real browser against the real server: the network diagram,
the hidden units' thumbnails, the point editor and the CSV upload, each loaded as the page
loads it (an ES module from /static) into a bare page of the live server, and judged by what a
student sees and does: a line per weight in its sign's colour, thicker for larger weights,
picked by a click or the keyboard, redrawn in place; a point added where the click landed."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

# A page of the app with plotly.js and the app's CSS; its body is emptied for the part.
HOST = "/explore"

# 2 inputs → 3 hidden → 1 output, weights chosen so every size and sign is told apart.
LAYERS = [
    {"weight": [[0.5, -2.0], [1.5, -0.25], [0.0, 3.5]], "bias": [0.8, -0.6, 0.0]},
    {"weight": [[-1.0, 2.5, 0.1]], "bias": [-1.2]},
]


def bare(watched, width: int = 1280) -> Page:
    """The host page emptied down to one #part element, `width` px wide."""
    page = watched.open(HOST, ready="#explorer")
    page.set_viewport_size({"width": width, "height": 900})
    page.evaluate(
        r"""() => {
          // the modules' versioned folder, as the page's own entry module names it
          const entry = document.querySelector("script[src*='/js/pages/']").src;
          window.__js = entry.replace(/pages\/[^/]*$/, "");
          const main = document.createElement("main");
          main.innerHTML = '<div id="part"></div><div id="out"></div>';
          document.body.replaceChildren(main);
        }"""
    )
    return page


def draw_network(page: Page, layers, inputs=("x₁", "x₂")) -> None:
    page.evaluate(
        """async ([layers, inputs]) => {
          const { drawNetwork } = await import(window.__js + "plots/networkdiagram.js");
          window.__picks = window.__picks || [];
          window.__draw = (layers, picked) => drawNetwork(document.getElementById("part"), layers, {
            inputs, activation: "tanh", picked,
            onPick: (p) => { window.__picks.push(p); window.__draw(window.__layers, p); },
          });
          window.__layers = layers;
          window.__draw(layers, null);
        }""",
        [layers, list(inputs)],
    )


def line_styles(page: Page) -> list[dict]:
    return page.evaluate(
        """() => [...document.querySelectorAll("#part .net-weight")].map((l) => {
          const [r, g, b] = getComputedStyle(l).stroke.match(/\\d+/g).map(Number);
          return { r, g, b, width: parseFloat(l.getAttribute("stroke-width")) };
        })"""
    )


def test_every_weight_is_a_line_coloured_by_its_sign_and_as_thick_as_its_size(watched):
    page = bare(watched)
    draw_network(page, LAYERS)
    weights = [w for layer in LAYERS for row in layer["weight"] for w in row]
    styles = line_styles(page)
    assert len(styles) == len(weights) == 9
    for w, s in zip(weights, styles, strict=True):
        if w > 0:
            assert s["b"] > s["r"] + 60, (w, s)  # blue
        elif w < 0:
            assert s["r"] > s["b"] + 60, (w, s)  # orange
    # thicker for a larger |w|, and capped: 3.5 is drawn no thicker than 3
    by_size = sorted(zip(map(abs, weights), (s["width"] for s in styles), strict=True))
    assert [w for _, w in by_size] == sorted(w for _, w in by_size)
    assert by_size[0][1] < by_size[-2][1]
    assert by_size[-1][1] == widths_at(page, 3.0)
    # the inputs are labelled with the features; units: 3 hidden + 1 output, each ringed by its bias
    assert page.locator("#part .net-label.input").all_text_contents() == ["x₁", "x₂"]
    rings = page.evaluate(
        """() => [...document.querySelectorAll("#part .net-unit")]
                 .map((c) => getComputedStyle(c).stroke)"""
    )
    assert len(rings) == 4
    assert rings[0] != rings[1]  # +0.8 blue, −0.6 orange
    assert page.locator("#part [role=group][aria-label^='weights from']").count() == 2
    assert watched.errors == []


def widths_at(page: Page, w: float) -> float:
    """The drawn width of a lone weight w (a 1 → 1 network in the #out element)."""
    return page.evaluate(
        """async (w) => {
          const { drawNetwork } = await import(window.__js + "plots/networkdiagram.js");
          const out = document.getElementById("out");
          drawNetwork(out, [{ weight: [[w]], bias: [0] }], { inputs: ["x"] });
          return parseFloat(out.querySelector(".net-weight").getAttribute("stroke-width"));
        }""",
        w,
    )


def test_new_weights_repaint_the_same_elements_and_a_new_shape_rebuilds(watched):
    page = bare(watched)
    draw_network(page, LAYERS)
    flipped = [
        {
            "weight": [[-w for w in row] for row in layer["weight"]],
            "bias": [-b for b in layer["bias"]],
        }
        for layer in LAYERS
    ]
    result = page.evaluate(
        """(flipped) => {
          const part = document.getElementById("part");
          const before = [...part.querySelectorAll("*")];
          let added = 0, removed = 0;
          // elements put in or taken out (a readout's text node may change: not an element)
          const count = (records) => records.forEach((r) => {
            added += [...r.addedNodes].filter((n) => n.nodeType === 1).length;
            removed += [...r.removedNodes].filter((n) => n.nodeType === 1).length;
          });
          const watch = new MutationObserver(count);
          watch.observe(part, { childList: true, subtree: true });
          const colours = () => [...part.querySelectorAll(".net-weight")]
            .map((l) => l.getAttribute("stroke"));
          const first = colours();
          for (let i = 0; i < 20; i++) window.__draw(i % 2 ? window.__layers : flipped, null);
          const changed = colours();
          window.__draw(flipped, null);
          const after = [...part.querySelectorAll("*")];
          count(watch.takeRecords());
          return {
            before: before.length, after: after.length,
            same: before.every((el, i) => el === after[i]),
            added, removed, first, flipped: colours(), changed,
          };
        }""",
        flipped,
    )
    assert result["after"] == result["before"]
    assert result["same"], "an element of the diagram was recreated by a weights-only update"
    assert result["added"] == result["removed"] == 0
    assert result["flipped"] != result["first"]
    # a new shape (a 2-4-1 network) rebuilds with one line per weight again
    wider = [
        {"weight": [[0.3, -0.3]] * 4, "bias": [0.0] * 4},
        {"weight": [[1.0, -1.0, 1.0, -1.0]], "bias": [0.0]},
    ]
    page.evaluate("(layers) => window.__draw(layers, null)", wider)
    assert page.locator("#part .net-weight").count() == 12
    assert page.locator("#part svg").count() == 1


def screen_point(page: Page, selector: str, index: int) -> dict:
    """The middle of the index-th element matching `selector`'s line, in page pixels."""
    return page.evaluate(
        """([selector, index]) => {
          const line = document.querySelectorAll(selector)[index];
          const m = line.getScreenCTM();
          const x = (+line.getAttribute("x1") + +line.getAttribute("x2")) / 2;
          const y = (+line.getAttribute("y1") + +line.getAttribute("y2")) / 2;
          return { x: m.a * x + m.c * y + m.e, y: m.b * x + m.d * y + m.f };
        }""",
        [selector, index],
    )


def test_hovering_says_w_and_a_click_or_the_keyboard_picks_a_weight(watched):
    page = bare(watched)
    draw_network(page, LAYERS)
    # weight[1][0] of the first layer: x₁ → layer 1 · unit 2, w = 1.5 (index 2 in row-major)
    at = screen_point(page, "#part .net-hit", 2)
    page.mouse.move(at["x"], at["y"])
    readout = page.locator("#part .net-readout")
    assert readout.text_content() == "x₁ → layer 1 · unit 2: w = 1.5"
    assert page.locator("#part line.net-halo.cursor").nth(1).is_visible()  # the line marked
    page.mouse.click(at["x"], at["y"])
    assert page.evaluate("window.__picks") == [{"layer": 0, "row": 1, "col": 0, "kind": "weight"}]
    halo = page.locator("#part line.net-halo.picked")
    assert halo.is_visible()
    assert page.evaluate(
        """() => { const h = document.querySelector("#part line.net-halo.picked");
                   const l = document.querySelectorAll("#part .net-weight")[2];
                   return ["x1", "y1", "x2", "y2"]
                     .every((a) => h.getAttribute(a) === l.getAttribute(a)); }"""
    )
    # the keyboard: the diagram is one tab stop; ↓ walks to the unit's next weight, then its
    # bias; → moves to the next layer; Enter picks. The page's own shortcuts never see them.
    page.mouse.move(0, 0)
    page.evaluate(
        """() => {
          window.__seen = [];
          document.addEventListener("keydown", (e) => {
            if (!e.defaultPrevented && e.key !== "Shift") window.__seen.push(e.key);
          });
          document.querySelector("#part svg").focus();
        }"""
    )
    page.keyboard.press("ArrowDown")
    assert readout.text_content() == "x₂ → layer 1 · unit 2: w = -0.25"
    page.keyboard.press("ArrowDown")
    assert readout.text_content() == "layer 1 · unit 2: bias b = -0.6"
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    assert page.evaluate("window.__picks")[1:] == [
        {"layer": 0, "row": 1, "col": None, "kind": "bias"},
        {"layer": 1, "row": 0, "col": None, "kind": "bias"},
    ]
    assert readout.text_content() == "output ŷ: bias b = -1.2 (picked)"
    assert page.locator("#part circle.net-halo.picked").is_visible()
    assert page.evaluate("window.__seen") == []
    assert watched.errors == []


@pytest.mark.parametrize("width", [360, 1920])
def test_the_diagram_fills_its_containers_width(watched, width):
    page = bare(watched, width)
    big = [
        {"weight": [[0.1 * (i - j) for j in range(7)] for i in range(16)], "bias": [0.1] * 16},
        {"weight": [[0.05 * (i - j) for j in range(16)] for i in range(16)], "bias": [-0.1] * 16},
        {"weight": [[0.2 * (j - 8) for j in range(16)] for _ in range(3)], "bias": [0.0] * 3},
    ]
    draw_network(page, big, ["x₁", "x₂", "x₁²", "x₂²", "x₁x₂", "sin x₁", "sin x₂"])
    box = page.evaluate(
        """() => {
          const part = document.getElementById("part").getBoundingClientRect();
          const svg = document.querySelector("#part svg").getBoundingClientRect();
          const nodes = [...document.querySelectorAll("#part circle, #part text")]
            .map((e) => e.getBoundingClientRect()).filter((r) => r.width > 0);
          return {
            part: part.width, svg: svg.width, page: document.documentElement.scrollWidth,
            inside: nodes.every((n) => n.left >= svg.left - 1 && n.right <= svg.right + 1),
          };
        }"""
    )
    assert abs(box["svg"] - box["part"]) < 1
    assert box["page"] <= width
    assert box["inside"]
    assert page.locator("#part .net-weight").count() == 7 * 16 + 16 * 16 + 16 * 3


def units_of(values_by_unit) -> list[dict]:
    return [{"layer": layer, "unit": unit, "values": v} for layer, unit, v in values_by_unit]


def test_each_hidden_unit_is_a_captioned_thumbnail_in_the_heat_maps_colours(watched):
    page = bare(watched)
    n = 16
    plus = [[1.0] * n for _ in range(n)]
    minus = [[-1.0] * n for _ in range(n)]
    # a unit that is +1 above the x₂ = 0 line and −1 below (rows run over x₂ from its lowest)
    split = [[1.0 if i >= n // 2 else -1.0] * n for i in range(n)]
    units = units_of([(0, 0, plus), (0, 1, minus), (0, 2, split), (1, 0, minus)])
    result = page.evaluate(
        """async (units) => {
          const thumbs = await import(window.__js + "plots/unitthumbs.js");
          const part = document.getElementById("part");
          const extent = [[-6, 6], [-6, 6]];
          thumbs.drawUnits(part, units, { extent, task: "binary" });
          const canvases = [...part.querySelectorAll("canvas")];
          const pixel = (c, fx, fy) => [...c.getContext("2d").getImageData(
            Math.floor(fx * c.width), Math.floor(fy * c.height), 1, 1).data].slice(0, 3);
          const first = {
            plus: pixel(canvases[0], 0.2, 0.2), minus: pixel(canvases[1], 0.2, 0.2),
            top: pixel(canvases[2], 0.2, 0.1), bottom: pixel(canvases[2], 0.2, 0.9),
          };
          // redrawn with the signs swapped: the same canvases, repainted
          const swapped = units.map((u) => ({
            ...u, values: u.values.map((r) => r.map((v) => -v)),
          }));
          thumbs.drawUnits(part, swapped, { extent, task: "binary" });
          const again = [...part.querySelectorAll("canvas")];
          return {
            first, captions: [...part.querySelectorAll("figcaption")].map((f) => f.textContent),
            layers: [...part.querySelectorAll(".unit-layer h4")].map((h) => h.textContent),
            same: canvases.length === again.length && canvases.every((c, i) => c === again[i]),
            swapped: pixel(again[0], 0.2, 0.2),
            scale: [thumbs.DIVERGING_SCALE[0][1], thumbs.DIVERGING_SCALE.at(-1)[1]],
            ends: [thumbs.divergingColour(-1), thumbs.divergingColour(1)],
          };
        }""",
        units,
    )
    blue, orange = result["first"]["plus"], result["first"]["minus"]
    assert blue[2] > blue[0] + 100 and orange[0] > orange[2] + 100
    assert result["first"]["top"] == blue and result["first"]["bottom"] == orange
    assert result["captions"] == [
        "layer 1 · unit 1",
        "layer 1 · unit 2",
        "layer 1 · unit 3",
        "layer 2 · unit 1",
    ]
    assert result["layers"] == ["layer 1", "layer 2"]
    assert result["same"]
    assert result["swapped"] == orange
    # a Plotly heat map's scale runs between the same two ends: p = 0 orange, p = 1 blue
    assert result["scale"] == result["ends"] == ["rgb(213,94,0)", "rgb(0,114,178)"]
    assert watched.errors == []


def test_a_regression_sets_units_are_little_curves(watched):
    page = bare(watched)
    xs = [-3 + 6 * i / 63 for i in range(64)]
    relu = [max(0.0, x) for x in xs]
    units = units_of([(0, 0, relu), (0, 1, [-v for v in relu])])
    result = page.evaluate(
        """async (units) => {
          const { drawUnits } = await import(window.__js + "plots/unitthumbs.js");
          const part = document.getElementById("part");
          drawUnits(part, units, { extent: [[-3, 3]], task: "regression" });
          const c = part.querySelectorAll("canvas");
          const ink = (canvas, fx) => {
            // the curve's height at fraction fx of the width: the darkest pixel of that column
            const ctx = canvas.getContext("2d");
            const x = Math.floor(fx * (canvas.width - 1));
            const column = ctx.getImageData(x, 0, 1, canvas.height).data;
            let best = 0, dark = 999;
            for (let y = 0; y < canvas.height; y++) {
              const [r, g, b, a] = column.slice(4 * y, 4 * y + 4);
              const v = r + g + b + (a ? 0 : 999);
              if (v < dark) { dark = v; best = y; }
            }
            return best / canvas.height;
          };
          return {
            curves: part.querySelectorAll(".unit-thumb.curve").length,
            riseLeft: ink(c[0], 0.1), riseRight: ink(c[0], 0.95),
            fallLeft: ink(c[1], 0.1), fallRight: ink(c[1], 0.95),
          };
        }""",
        units,
    )
    assert result["curves"] == 2
    assert result["riseRight"] < result["riseLeft"] - 0.4  # up to the right (y grows upward)
    assert result["fallRight"] > result["fallLeft"] + 0.4
    assert watched.errors == []


EDITOR = """async ([limit]) => {
  const editor = await import(window.__js + "panels/pointeditor.js");
  const part = document.getElementById("part");
  part.style.cssText = "width: 500px; height: 400px";
  window.__points = { x: [[0, 0], [3, 3]], y: [0, 1] };
  window.__changes = 0;
  const draw = () => Plotly.react(part, [{
    x: window.__points.x.map((p) => p[0]), y: window.__points.x.map((p) => p[1]),
    mode: "markers", type: "scatter",
  }], { xaxis: { range: [-6, 6] }, yaxis: { range: [-6, 6] }, dragmode: false,
        margin: { l: 40, r: 10, t: 10, b: 40 }, width: 500, height: 400 },
    { displayModeBar: false });
  await draw();
  const modes = editor.pointModeControl();
  document.getElementById("out").append(modes);
  window.__modes = modes;
  window.__detach = editor.attachPointEditor(part, {
    getPoints: () => window.__points,
    setPoints: (p) => { window.__points = p; draw(); },
    getClass: () => 2, getMode: () => modes.value, extent: [[-6, 6], [-6, 6]], limit,
    onChange: () => { window.__changes++; },
  });
  const { xaxis, yaxis } = part._fullLayout;
  const box = part.getBoundingClientRect();
  window.__at = (x, y) => ({
    x: box.left + xaxis._offset + xaxis.d2p(x), y: box.top + yaxis._offset + yaxis.d2p(y),
  });
}"""


def click_at(page: Page, x: float, y: float, shift: bool = False) -> None:
    at = page.evaluate("([x, y]) => window.__at(x, y)", [x, y])
    if shift:
        page.keyboard.down("Shift")
    page.mouse.click(at["x"], at["y"])
    if shift:
        page.keyboard.up("Shift")


def points(page: Page) -> dict:
    return page.evaluate("window.__points")


def test_a_click_adds_a_point_of_the_chosen_class_where_it_lands_a_drag_moves_one(watched):
    page = bare(watched)
    page.evaluate(EDITOR, [1000])
    click_at(page, 2, -3)
    got = points(page)
    assert got["y"] == [0, 1, 2]
    assert got["x"][2] == pytest.approx([2, -3], abs=0.05)
    # drag the point at (3, 3) to (−4, 1)
    start = page.evaluate("window.__at(3, 3)")
    end = page.evaluate("window.__at(-4, 1)")
    page.mouse.move(start["x"], start["y"])
    page.mouse.down()
    page.mouse.move((start["x"] + end["x"]) / 2, (start["y"] + end["y"]) / 2, steps=4)
    page.mouse.move(end["x"], end["y"], steps=4)
    page.mouse.up()
    got = points(page)
    assert len(got["x"]) == 3
    assert got["x"][1] == pytest.approx([-4, 1], abs=0.05)
    assert got["y"][1] == 1
    # the plotted point moved too (the page redraws from setPoints)
    plotted = page.evaluate(
        "() => { const t = document.getElementById('part').data[0]; return [t.x[1], t.y[1]]; }"
    )
    assert plotted == pytest.approx([-4, 1], abs=0.05)
    # Shift+click on a point removes it
    click_at(page, 0, 0, shift=True)
    assert points(page)["y"] == [1, 2]
    # a tap in "remove" mode removes; in "move" mode adds nothing
    touch = "getComputedStyle(document.getElementById('part')).touchAction"
    page.get_by_label("remove", exact=True).check()
    assert page.evaluate(touch) == "auto"  # a finger's drag over the map scrolls the page
    click_at(page, 2, -3)
    assert points(page)["y"] == [1]
    page.get_by_label("move", exact=True).check()
    assert page.evaluate(touch) == "none"  # … except when it moves a point
    click_at(page, 1, 1)
    assert points(page)["y"] == [1]
    assert (
        page.evaluate("window.__changes") == 4
    )  # added, dragged, removed twice; the move-mode tap nothing
    assert watched.errors == []


def test_the_point_limit_is_said_and_the_keyboard_adds_and_removes(watched):
    page = bare(watched)
    page.evaluate(EDITOR, [3])
    click_at(page, 1, 1)
    note = page.locator(".point-note")
    assert note.text_content() == "That is 3 points, the most a set can have."
    click_at(page, -1, -1)
    assert len(points(page)["x"]) == 3
    assert note.text_content() == "At most 3 points: remove one to add another."
    # from the keyboard: focus the plot, Delete removes the point nearest the cross (the
    # cross starts in the middle, (0, 0)), arrows move it, Enter adds a point there
    page.evaluate(
        """() => {
          window.__seen = [];
          document.addEventListener("keydown", (e) => {
            if (!e.defaultPrevented && e.key !== "Shift") window.__seen.push(e.key);
          });
          document.getElementById("part").focus();
        }"""
    )
    assert page.locator(".point-cross").is_visible()
    page.keyboard.press("Delete")
    assert points(page)["x"] == [[3, 3], [1, 1]]
    for _ in range(4):
        page.keyboard.press("ArrowLeft")  # 4 × 12/24 = 2 to the left
    page.keyboard.press("Shift+ArrowDown")  # 4 × 12/24 = 2 down
    page.keyboard.press("Enter")
    got = points(page)
    assert got["x"][2] == pytest.approx([-2, -2], abs=1e-9)
    assert got["y"][2] == 2
    assert note.text_content() == "Point added at (-2, -2)."
    assert page.evaluate("window.__seen") == []
    page.evaluate("window.__detach()")
    click_at(page, 4, 4)
    assert len(points(page)["x"]) == 3
    assert page.locator(".point-note, .point-cross").count() == 0
    assert page.evaluate("document.getElementById('part').hasAttribute('tabindex')") is False
    assert watched.errors == []


UPLOAD = """async () => {
  const { attachCsvUpload } = await import(window.__js + "panels/csvupload.js");
  const catalog = await (await fetch("/api/networks/catalog")).json();
  const input = document.createElement("input");
  input.type = "file";
  input.id = "csv";
  document.getElementById("part").append(input);
  const out = document.getElementById("out");
  window.__got = [];
  attachCsvUpload(input, {
    maxBytes: catalog.limits.csv_bytes,
    onPoints: (p) => { window.__got.push(p); out.textContent = `${p.x.length} points`; },
    onError: (m) => { out.textContent = m; },
  });
  return catalog.limits.csv_bytes;
}"""


def upload(page: Page, name: str, text: str) -> str:
    """Choose a file of `text` in the upload's input; what the page then says."""
    page.evaluate("document.getElementById('out').textContent = ''")
    page.set_input_files(
        "#csv", files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode()}]
    )
    page.wait_for_function("document.getElementById('out').textContent !== ''")
    return page.locator("#out").text_content()


def test_a_csv_file_over_the_catalogs_limit_is_refused_before_it_is_sent(watched):
    page = bare(watched)
    limit = page.evaluate(UPLOAD)
    sent = []
    page.on("request", lambda r: "/datasets/csv" in r.url and sent.append(r.url))
    rows = limit // len("1.0,2.0,1\n") + 1
    big = "x1,x2,label\n" + "1.0,2.0,1\n" * rows
    said = upload(page, "big.csv", big)
    assert said == f"“big.csv” is {round(len(big) / 1024)} KB: a CSV file can be at most 64 KB."
    assert sent == []
    assert page.evaluate("window.__got") == []


def test_a_csv_files_points_come_from_the_server_and_a_bad_row_is_named(watched):
    page = bare(watched)
    page.evaluate(UPLOAD)
    said = upload(page, "bad.csv", "x1,x2,label\n1,2,0\n3,abc,1\n")
    assert said == "data.csv: row 3: x2 is 'abc', not a number"
    assert page.evaluate("window.__got") == []
    # the same input again, with a file the server reads: every point, its task and classes
    said = upload(page, "good.csv", "x1,x2,label\n1,2,0\n3,4,1\n-1,0.5,2\n")
    assert said == "3 points"
    (got,) = page.evaluate("window.__got")
    assert got == {
        "x": [[1, 2], [3, 4], [-1, 0.5]],
        "y": [0, 1, 2],
        "task": "multiclass",
        "classes": 3,
    }
    assert [e for e in watched.errors if "status of 422" not in e] == []
