/**
 * The privacy-utility trade-off: test accuracy against TPR at the front FPR (log axis,
 * where low-FPR leakage is read), one point per defense setting and the undefended
 * baseline. The Pareto front is a staircase through its points; the recommended defense
 * is ringed; the policy's limit is a horizontal line.
 */
import type { ChartDataset, PointStyle, TooltipItem } from 'chart.js';
import type { ReportedFpr } from '../../src/engine/metrics/types';
import type { DefenseComparison } from '../../src/engine/report/schema';
import { Chart } from './chart-setup';
import { canvasBackground, referenceLines } from './chart-plugins';
import { withAlpha } from './color';
import { formatRate, formatTargetFpr } from './format';
import { powerOfTenLabel } from './roc-chart';
import { LOG_AXIS_FLOOR, type ChartPoint } from './roc-data';
import { accuracyAxis, paretoStep, tradeoffPoints, tradeoffTooltip, type PolicyLine, type TradeoffPoint } from './tradeoff-data';
import type { ChartTheme } from './theme';

type Datum = ChartPoint | TradeoffPoint;

function isTradeoffPoint(p: Datum): p is TradeoffPoint {
  return 'id' in p;
}

function byX<T extends ChartPoint>(points: T[]): T[] {
  return [...points].sort((a, b) => a.x - b.x || a.y - b.y);
}

function markers(label: string, data: TradeoffPoint[], color: string, style: PointStyle, radius: number, filled = true): ChartDataset<'line', Datum[]> {
  return {
    label,
    data: byX(data),
    borderColor: color,
    backgroundColor: filled ? withAlpha(color, 0.75) : 'rgba(0, 0, 0, 0)',
    borderWidth: filled ? 1 : 2,
    pointStyle: style,
    pointRadius: radius,
    pointHoverRadius: radius + 2,
    pointHitRadius: radius + 3,
    showLine: false,
  };
}

export function drawTradeoffChart(
  canvas: HTMLCanvasElement,
  comparison: DefenseComparison,
  attack: string | undefined,
  policy: PolicyLine | undefined,
  theme: ChartTheme,
): Chart<'line', Datum[]> {
  const fpr: ReportedFpr = comparison.frontFpr;
  const points = tradeoffPoints(comparison, attack);
  const color = (i: number) => theme.palette[i % theme.palette.length]!;
  const front = points.filter((p) => p.paretoOptimal);
  const recommended = points.filter((p) => p.recommended);
  const datasets: ChartDataset<'line', Datum[]>[] = [
    {
      label: 'Pareto front',
      data: paretoStep(front),
      borderColor: color(2),
      backgroundColor: color(2),
      borderWidth: 2,
      pointRadius: 0,
      pointHoverRadius: 0,
      pointHitRadius: 0,
      tension: 0,
    },
    markers('No defense (baseline)', points.filter((p) => p.baseline), theme.foreground, 'triangle', 6),
    markers('Training-time defenses', points.filter((p) => p.kind === 'training'), color(0), 'circle', 5),
    markers('Inference-time defenses', points.filter((p) => p.kind === 'inference'), color(1), 'rect', 5),
    markers('Pareto-optimal', front, color(2), 'rectRot', 9, false),
  ];
  if (recommended.length) datasets.push(markers('Recommended', recommended, color(5), 'star', 12, false));

  const font = `${Math.round(theme.fontSize * 0.9)}px ${theme.fontFamily}`;
  const x = accuracyAxis(points);
  return new Chart<'line', Datum[]>(canvas, {
    type: 'line',
    data: { datasets },
    options: {
      // Every dataset is sorted by x above (the staircase by construction), as unparsed data must be.
      parsing: false,
      interaction: { mode: 'nearest', intersect: true },
      scales: {
        x: {
          type: 'linear',
          min: x.min,
          max: x.max,
          title: { display: true, text: 'Test accuracy (higher is better)' },
          ticks: { callback: (value: number | string) => formatRate(Number(value)) },
        },
        y: {
          type: 'logarithmic',
          min: LOG_AXIS_FLOOR,
          max: 1,
          title: { display: true, text: `${attack ? `${attack}: TPR` : 'Worst attack TPR'} at ${formatTargetFpr(fpr)} FPR (log scale, lower is better)` },
          ticks: { callback: powerOfTenLabel, autoSkip: false, maxRotation: 0 },
        },
      },
      plugins: {
        legend: { position: 'bottom' },
        tooltip: {
          filter: (item: TooltipItem<'line'>) => isTradeoffPoint(item.raw as Datum),
          callbacks: { label: (item: TooltipItem<'line'>) => tradeoffTooltip(item.raw as TradeoffPoint, fpr) },
        },
      },
    },
    plugins: [
      canvasBackground(theme.background),
      referenceLines(policy ? [{ axis: 'y', value: policy.value, color: color(5), label: policy.label }] : [], font),
      {
        id: 'tradeoffDrawnMarker',
        // For end-to-end tests: how many defense settings were drawn.
        afterRender(chart) {
          chart.canvas.dataset.tradeoffPoints = String(points.length);
        },
      },
    ],
  });
}
