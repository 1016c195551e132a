/**
 * ROC curves as inline SVG on log-log axes, where low-FPR behaviour (the part that matters
 * for membership inference, Carlini et al.) is visible. Colours come from classes styled by
 * ROC_CSS, so the plot follows the page's light/dark scheme and needs no style attributes.
 */
import { html, type SafeHtml } from './safe-html';

/** Both axes run from this rate to 1; zero rates are drawn on the floor. */
export const ROC_AXIS_FLOOR = 1e-4;
/** Distinct series colours; beyond this many, dash patterns tell curves apart. */
export const SERIES_COLOURS = 8;

export interface RocSeries {
  /** Shown in the legend. */
  label: string;
  roc: readonly (readonly [number, number])[];
}

export interface RocPlotOptions {
  /** Accessible title of the plot. */
  title: string;
  /** FPRs below this cannot be measured (1 / non-members); that band is shaded. */
  minMeasurableFpr?: number;
}

const PLOT = 360;
const MARGIN = { left: 64, right: 16, top: 14, bottom: 52 };
const WIDTH = MARGIN.left + PLOT + MARGIN.right;
const HEIGHT = MARGIN.top + PLOT + MARGIN.bottom;
const DECADES = Math.round(-Math.log10(ROC_AXIS_FLOOR));

/** Position along an axis, 0..1, of a rate; clamped into [floor, 1], NaN on the floor. */
function logPosition(rate: number): number {
  const clamped = Number.isNaN(rate) ? ROC_AXIS_FLOOR : Math.min(1, Math.max(ROC_AXIS_FLOOR, rate));
  return (Math.log10(clamped) + DECADES) / DECADES;
}

export function xOf(fpr: number): number {
  return round2(MARGIN.left + logPosition(fpr) * PLOT);
}

export function yOf(tpr: number): number {
  return round2(MARGIN.top + (1 - logPosition(tpr)) * PLOT);
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

export function seriesClass(index: number): string {
  const dash = Math.floor(index / SERIES_COLOURS) % 3;
  return `series-${index % SERIES_COLOURS}${dash ? ` dash-${dash}` : ''}`;
}

/** SVG path data of one curve; consecutive points that land on the same spot are dropped. */
export function rocPathData(roc: readonly (readonly [number, number])[]): string {
  const parts: string[] = [];
  let last = '';
  for (const [fpr, tpr] of roc) {
    const point = `${xOf(fpr)} ${yOf(tpr)}`;
    if (point === last) continue;
    parts.push(`${parts.length ? 'L' : 'M'}${point}`);
    last = point;
  }
  return parts.join(' ');
}

function tickLabel(exponent: number): string {
  return `${Number((10 ** exponent * 100).toPrecision(6))}%`;
}

function axes(): SafeHtml {
  const left = MARGIN.left;
  const right = MARGIN.left + PLOT;
  const top = MARGIN.top;
  const bottom = MARGIN.top + PLOT;
  const parts: SafeHtml[] = [];
  for (let e = -DECADES; e <= 0; e++) {
    const v = 10 ** e;
    const x = xOf(v);
    const y = yOf(v);
    parts.push(html`<line class="grid" x1="${x}" y1="${top}" x2="${x}" y2="${bottom}"/>`);
    parts.push(html`<line class="grid" x1="${left}" y1="${y}" x2="${right}" y2="${y}"/>`);
    parts.push(html`<text class="tick" x="${x}" y="${bottom + 16}" text-anchor="middle">${tickLabel(e)}</text>`);
    parts.push(html`<text class="tick" x="${left - 6}" y="${y + 4}" text-anchor="end">${tickLabel(e)}</text>`);
    if (e === 0) continue;
    for (let m = 2; m <= 9; m++) {
      const mx = xOf(m * v);
      const my = yOf(m * v);
      parts.push(html`<line class="minor" x1="${mx}" y1="${bottom}" x2="${mx}" y2="${bottom - 4}"/>`);
      parts.push(html`<line class="minor" x1="${left}" y1="${my}" x2="${left + 4}" y2="${my}"/>`);
    }
  }
  parts.push(html`<rect class="frame" x="${left}" y="${top}" width="${PLOT}" height="${PLOT}"/>`);
  parts.push(
    html`<text class="axis-label" x="${left + PLOT / 2}" y="${HEIGHT - 10}" text-anchor="middle">False positive rate (non-members flagged)</text>`,
  );
  parts.push(
    html`<text class="axis-label" transform="translate(16 ${top + PLOT / 2}) rotate(-90)" text-anchor="middle">True positive rate (members found)</text>`,
  );
  return html`${parts}`;
}

function unmeasurableBand(minMeasurableFpr: number | undefined): SafeHtml | undefined {
  if (minMeasurableFpr === undefined || !(minMeasurableFpr > ROC_AXIS_FLOOR)) return undefined;
  const x = xOf(minMeasurableFpr);
  const width = round2(x - MARGIN.left);
  return html`<rect class="unmeasurable" x="${MARGIN.left}" y="${MARGIN.top}" width="${width}" height="${PLOT}"><title>FPR below ${minMeasurableFpr.toPrecision(2)} (one non-member) cannot be measured with this data</title></rect>`;
}

/** The plot and its legend, as one figure. */
export function rocFigure(series: readonly RocSeries[], options: RocPlotOptions): SafeHtml {
  const curves = series.map(
    (s, i) => html`<path class="roc-curve ${seriesClass(i)}" d="${rocPathData(s.roc)}"><title>${s.label}</title></path>`,
  );
  const chance = html`<line class="chance" x1="${xOf(ROC_AXIS_FLOOR)}" y1="${yOf(ROC_AXIS_FLOOR)}" x2="${xOf(1)}" y2="${yOf(1)}"/>`;
  const legend = series.map(
    (s, i) => html`<li><svg class="swatch ${seriesClass(i)}" viewBox="0 0 24 8" aria-hidden="true"><line class="roc-curve" x1="0" y1="4" x2="24" y2="4"/></svg>${s.label}</li>`,
  );
  return html`<figure class="roc">
<svg class="roc-plot" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${options.title}">
<title>${options.title}</title>
${unmeasurableBand(options.minMeasurableFpr)}
${axes()}
${chance}
${curves}
</svg>
<figcaption><ul class="legend">${legend}<li><svg class="swatch" viewBox="0 0 24 8" aria-hidden="true"><line class="chance" x1="0" y1="4" x2="24" y2="4"/></svg>chance (TPR = FPR)</li></ul></figcaption>
</figure>`;
}

/** Styles for rocFigure; the page includes them in its one stylesheet. */
export const ROC_CSS = `
figure.roc { margin: 0.5rem 0 1rem; }
svg.roc-plot { width: 100%; max-width: 34rem; height: auto; display: block; }
svg.roc-plot .grid { stroke: var(--grid); stroke-width: 1; }
svg.roc-plot .minor { stroke: var(--muted); stroke-width: 1; }
svg.roc-plot .frame { fill: none; stroke: var(--muted); stroke-width: 1; }
svg.roc-plot .tick { fill: var(--muted); font-size: 11px; }
svg.roc-plot .axis-label { fill: var(--fg); font-size: 12px; }
svg.roc-plot .unmeasurable { fill: var(--unmeasurable); }
.chance { stroke: var(--muted); stroke-width: 1.2; stroke-dasharray: 4 4; }
.roc-curve { fill: none; stroke: currentColor; stroke-width: 2; stroke-linejoin: round; }
.dash-1 .roc-curve, .roc-curve.dash-1 { stroke-dasharray: 7 3; }
.dash-2 .roc-curve, .roc-curve.dash-2 { stroke-dasharray: 2 3; }
ul.legend { list-style: none; padding: 0; margin: 0.25rem 0 0; display: flex; flex-wrap: wrap; gap: 0.25rem 1.25rem; }
ul.legend li { display: flex; align-items: center; gap: 0.4rem; }
svg.swatch { width: 24px; height: 8px; flex: none; }
.series-0 { color: #0072b2; } .series-1 { color: #d55e00; } .series-2 { color: #009e73; } .series-3 { color: #cc79a7; }
.series-4 { color: #e69f00; } .series-5 { color: #56b4e9; } .series-6 { color: #7f7f7f; } .series-7 { color: #9a6a00; }
@media (prefers-color-scheme: dark) {
  .series-0 { color: #4aa8ff; } .series-1 { color: #ff8a4c; } .series-2 { color: #3fd3a4; } .series-3 { color: #f0a1d0; }
  .series-4 { color: #ffc84a; } .series-5 { color: #8fd3ff; } .series-6 { color: #b8b8b8; } .series-7 { color: #e0b050; }
}
`;
