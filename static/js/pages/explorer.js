// The 2D explorer: a landscape, a shared start, and up to six optimizers racing on it. The
// shell (shell.js) does what every page does; the racers, the start and the landscape's
// parameters are panels (panels/racers.js, startpoint.js, surfaceparameters.js); this is what
// only this page does.

import { FACTS } from "../facts.js";
import { dataSize } from "../landscape.js";
import { wireWholeLandscape } from "../maps/wholelandscape.js";
import { fillPicker } from "../panels/controls.js";
import { downloadPNG } from "../panels/download.js";
import { markPicker, ownKey } from "../panels/formula.js";
import { isProjector } from "../panels/keyboard.js";
import { defaultOptions } from "../panels/options.js";
import { Racers } from "../panels/racers.js";
import { StartPoint } from "../panels/startpoint.js";
import { SurfaceParameters } from "../panels/surfaceparameters.js";
import { LandscapePlot } from "../plots/plot2d.js";
import { decodePoint } from "../state/urlstate.js";
import { PageShell, startPage } from "./shell.js";

const $ = (id) => document.getElementById(id);

// This page's view controls (shell.js adds the speed slider): see controltable.js.
const CONTROLS = [
  {
    param: "view",
    id: "view",
    radios: true,
    default: "contour",
    apply: (page, view) => page.setView(view),
    opened: (page, view) => view !== "contour" && page.setView(view),
    control: "view",
  },
  {
    param: "arrows",
    id: "arrows",
    default: true,
    apply: (page, on) => {
      page.plot.setArrows(on);
      page.scheduleDraw();
    },
    opened: (page, on) => page.plot.setArrows(on),
    control: "view", // beside the view's radios, hidden and locked with them
  },
  {
    param: "sharpness",
    id: "sharpness",
    default: false,
    apply: (page, on) => {
      // every racer's steps again, now with (or without) their sharpness
      for (const track of page.tracks()) track.sharpness = on;
      page.racersChanged();
    },
    control: "sharpness",
  },
];

class Explorer extends PageShell {
  static async create(root, { params, catalogs, own }) {
    return new Explorer(root, { params, catalogs, own });
  }

  constructor(root, { params, catalogs, own }) {
    super(root, { params, catalogs, page: "explore", dim: 2, controls: CONTROLS });
    this.own = own; // a linked formula or model landscape, opened by open()
    this.racers = new Racers(this);
    this.plot = null;
    this.maps = null; // the whole-landscape tools, once the plot exists (open)
    this.parameters = new SurfaceParameters($("surface-parameters"), {
      onInput: () => {
        for (const track of this.tracks()) track.surfaceParameters = this.parameters.values;
        this.session.changed();
      },
      onGrid: async (grid) => {
        await this.plot.setSurface(this.surface, grid);
        this.racers.showL2();
        this.scheduleDraw();
      },
      onError: (message) => this.showError(message),
    });
    this.startPoint = new StartPoint(params, {
      onMove: (point) => {
        this.placeStart(point);
        this.session.reset({ keepPlaying: true });
      },
    });
    this.wirePicker(FACTS.pageSurfaces.explore, (id) => this.setSurface(id).catch((e) => this.showError(e.message)));
    this.wireShell();
  }

  /** The address's landscape, its racers and start; then the maps beside it. */
  async open() {
    await this.setSurface(this.params.get("surface") || this.root.dataset.surface, this.params, this.own);
    this.maps = wireWholeLandscape(this.root, {
      dim: 2,
      surface: () => this.surface,
      run: () => this.mapRacer().track.replayRequest(0),
      start: () => this.start,
      optimizer: () => this.mapRacer().choice.optimizer,
      label: () => this.racers.label(this.mapRacer()),
      plot: this.plot,
    });
    $("maps-racer").addEventListener("change", () => this.maps.settingsChanged());
    if (isProjector()) this.plot.setProjector(true);
  }

  async setView(view) {
    this.root.dataset.view = view;
    await this.plot.setView(view);
    this.scheduleDraw();
  }

  tracks() {
    return this.racers.list.map((r) => r.track);
  }

  balls() {
    return this.racers.list.map((r) => ({ id: r.id, label: this.racers.label(r), style: r.style, track: r.track }));
  }

  png() {
    const shown = this.root.dataset.view === "3d" ? this.plot.scene : this.plot.map;
    return downloadPNG(shown, [...$("landscape").querySelectorAll("svg.overlay")], `descent-lab-${this.surface.id}.png`);
  }

  shareTitle() {
    return "Descent Lab: landscape explorer";
  }

  nudgeRate(direction) {
    this.racers.nudge(direction);
  }

  /** The racer whose settings the maps use (chosen in the section; the first by default). */
  mapRacer() {
    return this.racers.list.find((r) => r.id === $("maps-racer").value) || this.racers.list[0];
  }

  /**
   * Switch landscape: the catalog's `id`, or `own`, a typed formula's or a model's entry
   * (readFormula, readModel); `params` (the address, on first load) gives its settings and
   * racers. `reshape`: the same model on other points, so the start and the racers' rates
   * stay as they are.
   */
  async setSurface(id, params = null, own = null, { reshape = false } = {}) {
    this.session.stop();
    const before = dataSize(this.surface);
    const surface = own || this.surfaces.find((s) => s.id === id) || this.surfaces[0];
    this.surface = surface;
    markPicker($("surface"), ownKey(surface));
    if (!ownKey(surface)) $("surface").value = surface.id;
    this.modelForm.show(surface.modelled || null);
    if (reshape) this.dataPanel.accepted(surface);
    else await this.dataPanel.show(surface.modelled ? surface : null);
    this.form.showLandscape(surface, $("surface-formula"));
    $("surface-description").textContent = surface.description;
    this.parameters.show(surface, params);
    const grid = await this.parameters.grid();
    if (this.plot) this.plot.setSurface(surface, grid);
    else {
      this.plot = new LandscapePlot($("landscape"), surface, grid, { onRedrawNeeded: this.scheduleDraw });
      this.plot.onPick((point) => this.startPoint.move(point));
    }
    if (this.maps) this.maps.surfaceChanged();
    const asked = (params && decodePoint(params.get("start"), 2)) || (reshape ? this.start : surface.start);
    this.placeStart(asked);
    if (params || !this.racers.list.length) this.racers.read(params);
    else {
      const size = dataSize(surface);
      for (const racer of this.racers.list) {
        racer.track.surface = surface;
        racer.track.surfaceParameters = this.parameters.values;
        // a whole-data batch stays whole as points come and go (and is 1 off a model)
        const options = racer.track.options;
        if (!before || options.batch_size >= before) options.batch_size = size || 1;
        this.racers.rebuild(racer, { suggested: !reshape });
      }
    }
    await this.racersChanged();
  }

  /** A formula or model landscape in place; `reshape`: the same model on other points. */
  setLandscape(entry, { reshape = false } = {}) {
    return this.setSurface(null, null, entry, { reshape });
  }

  openFormula(formula) {
    return this.setSurface(null, null, formula);
  }

  /** Every option at its default for this landscape (a model's batch: all its points). */
  optionDefaults() {
    return defaultOptions(this.catalog, dataSize(this.surface));
  }

  scenarioParams(params) {
    this.parameters.write(params);
    this.startPoint.write(params);
    this.racers.write(params);
  }

  /** The shared start (kept inside the landscape), in its fields and every racer's. */
  placeStart(point) {
    this.start = this.startPoint.show(this.surface, point);
    for (const track of this.tracks()) track.start = this.start;
  }

  /** Racers added, removed or switched: rebuild the legends and start every ball over. */
  async racersChanged() {
    this.session.tracks = this.tracks();
    const legend = this.racers.legend();
    this.racers.showButtons();
    const chosen = this.mapRacer(); // the maps' racer picker keeps its choice
    fillPicker($("maps-racer"), this.racers.list.map((r) => ({ key: r.id, label: this.racers.label(r) })), chosen && chosen.id);
    if (this.maps) this.maps.settingsChanged();
    const sharpness = this.controls.value("sharpness");
    await Promise.all([this.plot.setRacers(legend), this.chart.reset(this.surface, legend, { sharpness })]);
    this.racers.showL2();
    await this.session.reset({ keepPlaying: true });
  }

  draw() {
    const tracks = this.tracks();
    const racers = this.racers.list;
    this.plot.update(tracks, this.start);
    this.chart.update(tracks);
    if (this.surface.modelled) {
      const balls = racers.map((r) => {
        const last = r.track.last();
        return { weights: last ? last.position : r.track.start, colour: r.style.color, dash: r.style.plotlyDash };
      });
      const batched = tracks.map((t) => t.last()).find((last) => last && last.batchPoints);
      this.dataPanel.update(balls, batched ? batched.batchPoints : null);
    }
    const { playing } = this.session;
    this.racers.showCards(playing);
    const done = tracks.length && tracks.every((t) => t.settled);
    this.root.dataset.state = playing ? "playing" : done ? "finished" : "idle";
    // the status line and a line per racer under it, read out as one by a screen reader
    this.finishDraw(this.racers.summary(this.steps(), playing), { rolling: playing, racers: this.racers.verdicts(this.steps(), this.lesson?.asks) });
  }
}

startPage(document.getElementById("explorer"), Explorer, 2);
