// One racer's card on the explorer (templates/explorer.html: #racer-template): its optimizer,
// its learning rate and other settings, its training options, its L2 box and note, Remove.

import { formatNumber } from "../format.js";
import { l2Strength } from "../l2.js";
import { buildHyperparameterControls, choiceDefaults, fillPicker, showFormula } from "./controls.js";
import { applyControlParams } from "./embed.js";
import { buildTrainingControls } from "./options.js";

/**
 * The card for `racer` ({id, style, choice, track}). `host`: choices, catalog, params (the
 * address: hide/lock), suggestedRate(choice), changed() (a setting moved), switched(racer)
 * (another optimizer), remove(racer), l2Ticked(racer, on), l2Changed().
 */
export function buildCard(racer, host) {
  const card = document.getElementById("racer-template").content.firstElementChild.cloneNode(true);
  card.dataset.racer = racer.id;
  card.style.setProperty("--racer", racer.style.color);
  const select = card.querySelector("select");
  select.id = `${racer.id}-optimizer`;
  card.querySelector(".racer-name").htmlFor = select.id;
  fillPicker(select, host.choices, racer.choice.key);
  select.addEventListener("change", () => {
    racer.choice = host.choices.find((c) => c.key === select.value);
    racer.track.optimizer = racer.choice.optimizer;
    racer.track.hyperparameters = choiceDefaults(racer.choice);
    applySuggestedRate(racer, host);
    host.switched(racer);
  });
  card.querySelector(".remove").addEventListener("click", () => host.remove(racer));
  const l2 = card.querySelector(".racer-l2");
  l2.id = `${racer.id}-l2`;
  card.querySelector(".racer-l2-label").htmlFor = l2.id;
  l2.addEventListener("change", () => host.l2Ticked(racer, l2.checked));
  racer.card = card;
  buildSettings(racer, host);
  buildTraining(racer, host);
  return card;
}

/** The racer's training options, (re)built: the batch size's range follows its data. */
export function buildTraining(racer, host) {
  buildTrainingControls(racer.card.querySelector(".racer-training"), host.catalog, racer.track, {
    idPrefix: `${racer.id}-training`,
    onInput: () => host.changed(),
  });
  applyControlParams(racer.card, host.params);
}

/** The engine's starting rate for this racer's method on this landscape (a preset such as
 * Nesterov may have its own), and the settings shown again. */
export function applySuggestedRate(racer, host) {
  const rate = host.suggestedRate(racer.choice);
  if (rate !== undefined) racer.track.hyperparameters.lr = rate;
  buildSettings(racer, host);
}

/** The learning rate, the other hyperparameters and the update rule, (re)built. */
export function buildSettings(racer, host) {
  if (!racer.card) return;
  const values = racer.track.hyperparameters;
  const onInput = (name) => {
    if (name === "weight_decay" || name === racer.choice.optimizer.decoupled_by) host.l2Changed();
    host.changed();
  };
  const hps = racer.choice.optimizer.hyperparameters;
  buildHyperparameterControls(racer.card.querySelector(".racer-lr"), hps, values, {
    only: ["lr"], idPrefix: racer.id, onInput,
  });
  buildHyperparameterControls(racer.card.querySelector(".racer-more"), hps, values, {
    skip: ["lr"], idPrefix: racer.id, onInput,
  });
  const { formula, symbols } = racer.choice.optimizer;
  showFormula(racer.card.querySelector(".racer-rule"), formula, symbols);
  applyControlParams(racer.card, host.params);
}

/** The racer's coupled weight decay λ (0: none), its L2 box set to match. */
export function showL2Box(racer, ticked) {
  const lambda = l2Strength(racer.choice.optimizer, racer.track.hyperparameters);
  const box = racer.card.querySelector(".racer-l2");
  box.disabled = lambda === 0 || Boolean(box.dataset.locked);
  box.checked = ticked && lambda > 0;
  racer.card.querySelector(".racer-l2-note").textContent =
    lambda === 0 ? "Needs a weight decay that is added to the gradient (not AdamW's or Lion's)." : "";
  return lambda;
}

/**
 * Where the L2 landscape's lowest point lies (`lowest`: the server's {position}, or null where
 * it verifies none on the map), against f's own `global`.
 */
export function showL2Note(racer, lambda, lowest, global) {
  const point = (position) => `(${position.map((v) => formatNumber(v, 3)).join(", ")})`;
  const from = global ? ` from ${point(global.position)}` : "";
  racer.card.querySelector(".racer-l2-note").textContent = lowest
    ? `With λ = ${formatNumber(lambda)} the lowest point moves${from} to about ${point(lowest.position)}.`
    : `With λ = ${formatNumber(lambda)} this landscape has no lowest point on the map.`;
}
