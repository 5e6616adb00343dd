// A racer's name in the legends and the downloads: its method ("Gradient descent"), and when
// other racers use the same method, the settings that tell them apart ("Gradient descent,
// batch size 1" and "Gradient descent, full batch"), numbered only when nothing does.

import { formatNumber } from "../format.js";
import { dataSize } from "../landscape.js";
import { encodeValue } from "../state/urlstate.js";

const MOST = 2; // settings named at most: a legend entry stays one short line

/** "Batch size" → "batch size"; "AMSGrad", "LR decay" stay as they are. */
function inline(label) {
  return /^[A-Z][a-z]/.test(label) ? label[0].toLowerCase() + label.slice(1) : label;
}

function valueText(value) {
  return Array.isArray(value) ? `(${value.map((v) => formatNumber(v)).join(", ")})` : formatNumber(value);
}

/** One setting of a track in words: "lr 0.09", "batch size 1", "full batch", "no amsgrad". */
function settingText(setting, track) {
  const value = setting.read(track);
  if (setting.name === "batch_size" && value >= dataSize(track.surface)) return "full batch";
  const label = setting.name === "lr" ? "lr" : inline(setting.label);
  if (typeof value === "boolean") return value ? label : `no ${label}`;
  if (typeof value === "string") return value;
  return `${label} ${valueText(value)}`;
}

/** Everything a racer is set by: its hyperparameters, its training options, its schedule. */
function settingsOf(racer, catalog) {
  const hyperparameters = racer.choice.optimizer.hyperparameters.map((h) => ({
    name: h.name, label: h.label, read: (t) => t.hyperparameters[h.name],
  }));
  const options = catalog.options.map((h) => ({ name: h.name, label: h.label, read: (t) => t.options[h.name] }));
  const schedule = {
    name: "schedule",
    label: "schedule",
    read: (t) => (t.schedule && t.schedule.name !== "constant" ? t.schedule.name : "constant rate"),
  };
  return [...hyperparameters, ...options, schedule];
}

/**
 * The name of `racer` ({choice, track}) among `racers` (the explorer's list): the choice's
 * label, with the settings whose values differ among the racers that share its choice.
 */
export function racerName(racer, racers, catalog) {
  const same = racers.filter((r) => r.choice.key === racer.choice.key);
  if (same.length < 2) return racer.choice.label;
  const differing = settingsOf(racer, catalog).filter((setting) => {
    const texts = new Set(same.map((r) => encodeValue(setting.read(r.track))));
    return texts.size > 1;
  });
  if (!differing.length) return `${racer.choice.label} ${same.indexOf(racer) + 1}`;
  const words = differing.slice(0, MOST).map((setting) => settingText(setting, racer.track));
  return [racer.choice.label, ...words].join(", ");
}
