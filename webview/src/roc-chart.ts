/**
 * ROC curves of every attack on log-log axes (Carlini et al.: membership inference is
 * judged at low FPR, which a linear ROC squeezes into one corner), with the chance
 * diagonal and the smallest FPR the non-members can measure.
 */
import type { ChartDataset, Plugin, ScriptableScaleContext, TooltipItem } from 'chart.js';
import type { AttackResult } from '../../src/engine/report/schema';
import { Chart } from './chart-setup';
import { canvasBackground, referenceLines } from './chart-plugins';
import { withAlpha } from './color';
import { formatRate, formatRateAtFloor } from './format';
import { LOG_AXIS_FLOOR, calibratedPoints, chanceLine, measurableFloor, rocSeries, totalPoints, type ChartPoint } from './roc-data';
import type { ChartTheme } from './theme';

/** Only powers of ten get a label; the minor log ticks stay as grid lines. */
export function powerOfTenLabel(value: number | string): string {
  const v = Number(value);
  const exponent = Math.log10(v);
  return Math.abs(exponent - Math.round(exponent)) < 1e-9 ? formatRate(v) : '';
}

/** Series beyond the palette reuse its colours with a dash, so every curve stays distinct. */
function seriesStyle(theme: ChartTheme, index: number): { color: string; dash: number[] } {
  const cycle = Math.floor(index / theme.palette.length);
  const dashes = [[], [8, 4], [2, 3], [12, 3, 2, 3]];
  return { color: theme.palette[index % theme.palette.length], dash: dashes[cycle % dashes.length] };
}

/** Publishes what was drawn, for end-to-end tests: body[data-roc-series], canvas[data-roc-points]. */
function drawnMarker(seriesCount: number, pointCount: number): Plugin<'line'> {
  return {
    id: 'rocDrawnMarker',
    afterRender(chart) {
      document.body.dataset.rocSeries = String(seriesCount);
      chart.canvas.dataset.rocPoints = String(pointCount);
    },
  };
}

export function drawRocChart(canvas: HTMLCanvasElement, attacks: readonly AttackResult[], theme: ChartTheme): Chart<'line', ChartPoint[]> {
  const curves = attacks.map((a) => rocSeries(a));
  const datasets: ChartDataset<'line', ChartPoint[]>[] = curves.map((s, i) => {
    const style = seriesStyle(theme, i);
    return {
      label: s.label,
      data: s.points,
      borderColor: style.color,
      backgroundColor: style.color,
      borderDash: style.dash,
      borderWidth: 2,
      pointRadius: 0,
      pointHoverRadius: 3,
      pointHitRadius: 6,
      // ROC points are not smooth-curve samples: straight segments, no Bezier overshoot.
      tension: 0,
    };
  });
  attacks.forEach((attack, i) => {
    const points = calibratedPoints(attack);
    if (!points.length) return;
    const style = seriesStyle(theme, i);
    datasets.push({
      label: `${attack.id}: calibrated thresholds`,
      data: points,
      borderColor: style.color,
      backgroundColor: style.color,
      borderDash: [],
      borderWidth: 1,
      pointRadius: 5,
      pointHoverRadius: 7,
      pointHitRadius: 8,
      showLine: false,
      pointStyle: 'triangle',
    });
  });
  datasets.push({
    label: 'Chance (TPR = FPR)',
    data: chanceLine(),
    borderColor: theme.muted,
    backgroundColor: theme.muted,
    borderDash: [4, 4],
    borderWidth: 1,
    pointRadius: 0,
    pointHoverRadius: 0,
    pointHitRadius: 0,
  });

  const floor = measurableFloor(attacks);
  const axis = (title: string) => ({
    type: 'logarithmic' as const,
    min: LOG_AXIS_FLOOR,
    max: 1,
    title: { display: true, text: title },
    ticks: { callback: powerOfTenLabel, autoSkip: false, maxRotation: 0 },
    // Log paper: decades (major ticks) stand out from the 2..9 lines between them.
    grid: { color: (ctx: ScriptableScaleContext) => (ctx.tick?.major ? theme.grid : withAlpha(theme.grid, 0.15)) },
  });

  return new Chart<'line', ChartPoint[]>(canvas, {
    type: 'line',
    data: { datasets },
    options: {
      // Points are already {x, y} and sorted by x (ROC order; calibrated points are sorted in
      // roc-data), which unparsed data must be. x values repeat, so no `normalized`.
      parsing: false,
      interaction: { mode: 'nearest', intersect: false },
      scales: { x: axis('False positive rate (log scale)'), y: axis('True positive rate (log scale)') },
      plugins: {
        legend: { position: 'bottom' },
        tooltip: {
          callbacks: {
            label: (item: TooltipItem<'line'>) => {
              const p = item.raw as ChartPoint;
              return `${item.dataset.label ?? ''}: TPR ${formatRateAtFloor(p.y, LOG_AXIS_FLOOR)} at FPR ${formatRateAtFloor(p.x, LOG_AXIS_FLOOR)}`;
            },
          },
        },
      },
    },
    plugins: [
      canvasBackground(theme.background),
      referenceLines(floor !== undefined ? [{ axis: 'x', value: floor, color: theme.muted, label: `1/N = ${formatRate(floor)}` }] : [], `${Math.round(theme.fontSize * 0.9)}px ${theme.fontFamily}`),
      drawnMarker(curves.length, totalPoints(curves)),
    ],
  });
}
