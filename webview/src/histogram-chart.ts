/**
 * Member vs non-member score distributions of one attack. The two groups are drawn on top
 * of each other, translucent, so their overlap (where the attack cannot tell them apart)
 * is what the eye sees.
 */
import type { TooltipItem } from 'chart.js';
import type { AttackResult } from '../../src/engine/report/schema';
import { Chart } from './chart-setup';
import { canvasBackground } from './chart-plugins';
import { withAlpha } from './color';
import { formatCount, formatRate } from './format';
import { histogramBars } from './histogram-data';
import type { ChartTheme } from './theme';

export function drawHistogramChart(canvas: HTMLCanvasElement, attack: AttackResult, theme: ChartTheme): Chart<'bar', number[], string> {
  const bars = histogramBars(attack.histogram);
  const [memberColor, nonMemberColor] = [theme.palette[1 % theme.palette.length], theme.palette[0]];
  const counts = [bars.memberCounts, bars.nonMemberCounts];
  return new Chart<'bar', number[], string>(canvas, {
    type: 'bar',
    data: {
      labels: bars.labels,
      datasets: [
        { label: 'Members', data: bars.memberShare, backgroundColor: withAlpha(memberColor, 0.55), borderColor: memberColor, borderWidth: 1 },
        { label: 'Non-members', data: bars.nonMemberShare, backgroundColor: withAlpha(nonMemberColor, 0.45), borderColor: nonMemberColor, borderWidth: 1 },
      ],
    },
    options: {
      datasets: { bar: { grouped: false, barPercentage: 1, categoryPercentage: 1 } },
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: { title: { display: true, text: `Attack score (${attack.id}; higher = predicted member)` }, ticks: { maxRotation: 0, autoSkipPadding: 8 } },
        y: { beginAtZero: true, title: { display: true, text: 'Share of group' }, ticks: { callback: (v: number | string) => formatRate(Number(v)) } },
      },
      plugins: {
        legend: { position: 'bottom' },
        tooltip: {
          callbacks: {
            title: (items: TooltipItem<'bar'>[]) => (items.length ? `Score ${bars.ranges[items[0].dataIndex]}` : ''),
            label: (item: TooltipItem<'bar'>) =>
              `${item.dataset.label ?? ''}: ${formatRate(Number(item.raw))} (${formatCount(counts[item.datasetIndex]?.[item.dataIndex] ?? 0)} records)`,
          },
        },
      },
    },
    plugins: [canvasBackground(theme.background)],
  });
}
