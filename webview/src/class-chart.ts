/**
 * Attack AUC per class of one attack. Attacks identify subpopulations unevenly; the
 * dashed line at 0.5 is chance, so bars well above it name the classes at risk.
 */
import type { TooltipItem } from 'chart.js';
import type { AttackResult } from '../../src/engine/report/schema';
import { Chart } from './chart-setup';
import { canvasBackground, referenceLines } from './chart-plugins';
import { classBars } from './class-data';
import { withAlpha } from './color';
import { formatFraction } from './format';
import type { ChartTheme } from './theme';

export function drawClassChart(canvas: HTMLCanvasElement, attack: AttackResult, theme: ChartTheme): Chart<'bar', (number | null)[]> {
  const bars = classBars(attack.perClass);
  const color = theme.palette[2 % theme.palette.length];
  return new Chart<'bar', (number | null)[]>(canvas, {
    type: 'bar',
    data: {
      labels: bars.labels,
      datasets: [{ label: `AUC per class (${attack.id})`, data: bars.auc, backgroundColor: withAlpha(color, 0.6), borderColor: color, borderWidth: 1 }],
    },
    options: {
      scales: {
        x: { ticks: { maxRotation: 0, autoSkipPadding: 8 } },
        y: { min: 0, max: 1, title: { display: true, text: 'Attack AUC' } },
      },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: (item: TooltipItem<'bar'>) => `AUC ${formatFraction(item.raw as number | null)}` } },
      },
    },
    plugins: [
      canvasBackground(theme.background),
      referenceLines([{ axis: 'y', value: 0.5, color: theme.muted, label: 'chance (0.5)' }], `${Math.round(theme.fontSize * 0.9)}px ${theme.fontFamily}`),
    ],
  });
}
