/**
 * The privacy-utility trade-off as inline SVG: test accuracy (x, linear) against the worst
 * attack's TPR at the front FPR (y, log scale like the ROC plots, where the low rates that
 * matter are visible). One point per evaluation, the Pareto front joined by a step line,
 * the recommendation ringed. Colours come from classes (TRADEOFF_CSS), so the page's
 * light/dark scheme applies and no style attributes are needed.
 */
import { fprLabel, percent } from './format';
import { html, type SafeHtml } from './safe-html';
import type { DefenseComparison, DefenseEvaluation } from './schema';

/** Lowest TPR on the axis; a TPR of 0 is drawn on the floor. */
export const TRADEOFF_TPR_FLOOR = 1e-4;
const PLOT_W = 420;
const PLOT_H = 300;
const MARGIN = { left: 64, right: 16, top: 14, bottom: 52 };
const WIDTH = MARGIN.left + PLOT_W + MARGIN.right;
const HEIGHT = MARGIN.top + PLOT_H + MARGIN.bottom;
const DECADES = Math.round(-Math.log10(TRADEOFF_TPR_FLOOR));

export interface TradeoffScale {
  /** Accuracy range on the x axis. */
  minAccuracy: number;
  maxAccuracy: number;
}

/** The accuracy range: the points' range padded, snapped to 5-point steps, within [0, 1]. */
export function tradeoffScale(points: readonly DefenseEvaluation[]): TradeoffScale {
  const acc = points.map((p) => p.testAccuracy).filter((a): a is number => typeof a === 'number' && Number.isFinite(a));
  if (acc.length === 0) return { minAccuracy: 0, maxAccuracy: 1 };
  const min = Math.max(0, Math.floor((Math.min(...acc) - 0.02) * 20) / 20);
  const max = Math.min(1, Math.ceil((Math.max(...acc) + 0.02) * 20) / 20);
  return { minAccuracy: min, maxAccuracy: max > min ? max : Math.min(1, min + 0.05) };
}

export function accuracyX(accuracy: number, scale: TradeoffScale): number {
  const t = (accuracy - scale.minAccuracy) / (scale.maxAccuracy - scale.minAccuracy);
  return round2(MARGIN.left + Math.min(1, Math.max(0, t)) * PLOT_W);
}

export function tprY(tpr: number): number {
  const clamped = Number.isFinite(tpr) ? Math.min(1, Math.max(TRADEOFF_TPR_FLOOR, tpr)) : TRADEOFF_TPR_FLOOR;
  const position = (Math.log10(clamped) + DECADES) / DECADES;
  return round2(MARGIN.top + (1 - position) * PLOT_H);
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

function plotted(e: DefenseEvaluation): boolean {
  return typeof e.testAccuracy === 'number' && Number.isFinite(e.testAccuracy) && typeof e.worstTpr === 'number' && Number.isFinite(e.worstTpr);
}

/**
 * Path through the Pareto-optimal points by increasing accuracy, as steps: from each point
 * horizontally at its TPR, then up to the next (more accurate, leakier) point.
 */
export function frontPathData(front: readonly DefenseEvaluation[], scale: TradeoffScale): string {
  const sorted = [...front].filter(plotted).sort((a, b) => a.testAccuracy - b.testAccuracy || a.worstTpr - b.worstTpr);
  const parts: string[] = [];
  sorted.forEach((p, i) => {
    const x = accuracyX(p.testAccuracy, scale);
    const y = tprY(p.worstTpr);
    if (i === 0) parts.push(`M${x} ${y}`);
    else parts.push(`H${x}`, `V${y}`);
  });
  return parts.join(' ');
}

function axes(scale: TradeoffScale, frontFpr: string): SafeHtml {
  const left = MARGIN.left;
  const right = MARGIN.left + PLOT_W;
  const top = MARGIN.top;
  const bottom = MARGIN.top + PLOT_H;
  const parts: SafeHtml[] = [];
  for (let e = -DECADES; e <= 0; e++) {
    const y = tprY(10 ** e);
    parts.push(html`<line class="grid" x1="${left}" y1="${y}" x2="${right}" y2="${y}"/>`);
    parts.push(html`<text class="tick" x="${left - 6}" y="${y + 4}" text-anchor="end">${`${Number((10 ** e * 100).toPrecision(6))}%`}</text>`);
  }
  const steps = Math.round((scale.maxAccuracy - scale.minAccuracy) * 20);
  const every = steps > 8 ? 2 : 1;
  for (let i = 0; i <= steps; i += every) {
    const a = scale.minAccuracy + i / 20;
    const x = accuracyX(a, scale);
    parts.push(html`<line class="grid" x1="${x}" y1="${top}" x2="${x}" y2="${bottom}"/>`);
    parts.push(html`<text class="tick" x="${x}" y="${bottom + 16}" text-anchor="middle">${percent(a, 0)}</text>`);
  }
  parts.push(html`<rect class="frame" x="${left}" y="${top}" width="${PLOT_W}" height="${PLOT_H}"/>`);
  parts.push(html`<text class="axis-label" x="${left + PLOT_W / 2}" y="${HEIGHT - 10}" text-anchor="middle">Test accuracy (non-members)</text>`);
  parts.push(
    html`<text class="axis-label" transform="translate(16 ${top + PLOT_H / 2}) rotate(-90)" text-anchor="middle">Worst attack TPR at ${fprLabel(Number(frontFpr))} FPR</text>`,
  );
  return html`${parts}`;
}

/** The chart and its legend. `policyMaxTpr` draws the policy's limit at the front FPR. */
export function tradeoffFigure(c: DefenseComparison, title: string, policyMaxTpr?: number): SafeHtml {
  const all = [c.baseline, ...c.evaluations];
  const scale = tradeoffScale(all);
  const front = all.filter((e) => e.paretoOptimal);
  // Settings often land on the same spot (every label-keeping output defense at the target's
  // accuracy): one text label per neighbourhood, the rest keep their tooltip.
  const labelled: [number, number][] = [];
  const points = all.filter(plotted).map((e) => {
    const x = accuracyX(e.testAccuracy, scale);
    const y = tprY(e.worstTpr);
    const crowded = labelled.some(([lx, ly]) => Math.abs(lx - x) < 40 && Math.abs(ly - y) < 12);
    if (!crowded) labelled.push([x, y]);
    const classes = ['point', e.kind === 'none' ? 'baseline' : e.kind, e.paretoOptimal ? 'pareto' : 'dominated'].join(' ');
    const label = `${e.id}: test accuracy ${percent(e.testAccuracy, 1)}, worst TPR ${percent(e.worstTpr)} at ${fprLabel(Number(c.frontFpr))} FPR${e.paretoOptimal ? ', Pareto-optimal' : ''}${e.meetsPolicy ? ', meets the policy' : ''}`;
    return html`<g class="${classes}"><circle cx="${x}" cy="${y}" r="5"/>${c.recommendation?.id === e.id && html`<circle class="recommended" cx="${x}" cy="${y}" r="10"/>`}${!crowded && html`<text class="point-label" x="${x + 8}" y="${y - 7}">${e.kind === 'none' ? 'undefended' : e.defense}</text>`}<title>${label}</title></g>`;
  });
  const policy = policyMaxTpr !== undefined && policyMaxTpr > 0
    ? html`<line class="policy" x1="${MARGIN.left}" y1="${tprY(policyMaxTpr)}" x2="${MARGIN.left + PLOT_W}" y2="${tprY(policyMaxTpr)}"><title>Policy: TPR at most ${percent(policyMaxTpr)}</title></line>`
    : undefined;
  return html`<figure class="tradeoff">
<svg class="tradeoff-plot" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${title}">
<title>${title}</title>
${axes(scale, c.frontFpr)}
${policy}
${front.length > 1 && html`<path class="front" d="${frontPathData(front, scale)}"/>`}
${points}
</svg>
<figcaption><ul class="legend"><li><svg class="swatch" viewBox="0 0 24 8" aria-hidden="true"><line class="front" x1="0" y1="4" x2="24" y2="4"/></svg>Pareto front (no other setting is both more accurate and less exposed)</li><li><span class="dot pareto"></span>Pareto-optimal</li><li><span class="dot dominated"></span>dominated</li>${c.recommendation && html`<li><span class="dot ring"></span>recommended</li>`}${policy && html`<li><svg class="swatch" viewBox="0 0 24 8" aria-hidden="true"><line class="policy" x1="0" y1="4" x2="24" y2="4"/></svg>policy limit</li>`}</ul></figcaption>
</figure>`;
}

/** Styles for tradeoffFigure (shares grid/tick/frame/axis classes' look with the ROC plot). */
export const TRADEOFF_CSS = `
figure.tradeoff { margin: 0.5rem 0 1rem; }
svg.tradeoff-plot { width: 100%; max-width: 38rem; height: auto; display: block; }
svg.tradeoff-plot .grid { stroke: var(--grid); stroke-width: 1; }
svg.tradeoff-plot .frame { fill: none; stroke: var(--muted); stroke-width: 1; }
svg.tradeoff-plot .tick { fill: var(--muted); font-size: 11px; }
svg.tradeoff-plot .axis-label { fill: var(--fg); font-size: 12px; }
svg.tradeoff-plot .point circle { stroke: var(--bg); stroke-width: 1; }
svg.tradeoff-plot .point.pareto circle { fill: #0072b2; } svg.tradeoff-plot .point.dominated circle { fill: var(--muted); }
svg.tradeoff-plot .point.baseline circle { fill: #d55e00; }
svg.tradeoff-plot circle.recommended { fill: none; stroke: #009e73; stroke-width: 2.5; }
svg.tradeoff-plot .point-label { fill: var(--fg); font-size: 10px; }
.front { fill: none; stroke: #0072b2; stroke-width: 1.5; stroke-dasharray: 5 3; }
.policy { stroke: var(--high); stroke-width: 1.2; stroke-dasharray: 2 3; }
figure.tradeoff .dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; }
figure.tradeoff .dot.pareto { background: #0072b2; } figure.tradeoff .dot.dominated { background: var(--muted); }
figure.tradeoff .dot.ring { border: 2.5px solid #009e73; width: 8px; height: 8px; }
@media (prefers-color-scheme: dark) {
  svg.tradeoff-plot .point.pareto circle, figure.tradeoff .dot.pareto { fill: #4aa8ff; background: #4aa8ff; } .front { stroke: #4aa8ff; }
}
`;
