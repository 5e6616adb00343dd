// Numbers as a student reads them on a projector.

export function formatNumber(value, digits = 4) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude < 1e-3 || magnitude >= 1e5) return value.toExponential(2);
  return Number(value.toPrecision(digits)).toString();
}

export function formatFixed(value, places = 2) {
  return Number(value).toFixed(places);
}
