/**
 * Number formatting for the report. Rates are shown as percentages with enough digits to
 * tell 0.01% from 0.02%: low-FPR numbers are the point of the report.
 */

/** 0.0123 -> "1.23%", 0.0001 -> "0.01%", 1 -> "100%". */
export function formatRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '—';
  if (rate === 0) return '0%';
  const percent = rate * 100;
  // Three significant digits, without trailing zeros: 12.5%, 1.23%, 0.0123%.
  return `${Number(percent.toPrecision(3)).toString()}%`;
}

/** A rate drawn at the log-axis floor may be anything from 0 to the floor. */
export function formatRateAtFloor(rate: number, floor: number): string {
  return rate <= floor ? `≤ ${formatRate(floor)}` : formatRate(rate);
}

/** "1.2%–3.4%" for a Clopper-Pearson interval. */
export function formatInterval(lower: number, upper: number): string {
  return `${formatRate(lower)}–${formatRate(upper)}`;
}

/** AUC or advantage with 3 decimals; "—" when it could not be computed (null in JSON). */
export function formatFraction(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(3);
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Attack scores have no fixed scale: 4 significant digits. */
export function formatScore(score: number | null | undefined): string {
  if (score === null || score === undefined || Number.isNaN(score)) return '—';
  if (!Number.isFinite(score)) return score > 0 ? '∞' : '−∞';
  return Number(score.toPrecision(4)).toString();
}

/** The key of tprAtFpr ("0.001") as a heading ("0.1%"). */
export function formatTargetFpr(key: string): string {
  return formatRate(Number(key));
}

export function notMeasurableText(nonMembers: number): string {
  return `not measurable with ${formatCount(nonMembers)} non-members`;
}

/** ISO timestamp -> "2026-11-28 16:05" (UTC, so it reads the same everywhere). */
export function formatTimestamp(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
