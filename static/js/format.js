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

/** One entry of a list setting, named as its label lists them: "Betas (β₁, β₂)" → "Betas β₁",
 * "Newton–Schulz coefficients (a, b, c)" → "Newton–Schulz coefficients c". */
export function partLabel(label, index) {
  const [head, names = ""] = label.split("(");
  const name = names.replace(")", "").split(",")[index];
  return `${head.trim()} ${name ? name.trim() : index + 1}`;
}
