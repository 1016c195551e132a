/**
 * Two small chart.js plugins. The background fill makes a saved PNG readable outside the
 * editor (a transparent canvas with light dark-theme text is unreadable on white); the
 * reference lines mark chance levels and the measurable-FPR floor.
 */
import type { Chart, Plugin } from 'chart.js';

export function canvasBackground(color: string): Plugin {
  return {
    id: 'canvasBackground',
    beforeDraw(chart: Chart) {
      const { ctx } = chart;
      ctx.save();
      ctx.globalCompositeOperation = 'destination-over';
      ctx.fillStyle = color;
      ctx.fillRect(0, 0, chart.width, chart.height);
      ctx.restore();
    },
  };
}

export interface ReferenceLine {
  /** Scale id the value is on: a vertical line for 'x', a horizontal one for 'y'. */
  axis: 'x' | 'y';
  value: number;
  color: string;
  label?: string;
}

/** `font` is a CSS font shorthand for the labels (the canvas default is 10px sans-serif). */
export function referenceLines(lines: readonly ReferenceLine[], font: string): Plugin {
  return {
    id: 'referenceLines',
    afterDatasetsDraw(chart: Chart) {
      const { ctx, chartArea } = chart;
      for (const line of lines) {
        const scale = chart.scales[line.axis];
        if (!scale) continue;
        const pixel = scale.getPixelForValue(line.value);
        const vertical = line.axis === 'x';
        const inside = vertical ? pixel >= chartArea.left && pixel <= chartArea.right : pixel >= chartArea.top && pixel <= chartArea.bottom;
        if (!inside) continue;
        ctx.save();
        ctx.strokeStyle = line.color;
        ctx.fillStyle = line.color;
        ctx.lineWidth = 1;
        ctx.setLineDash([2, 3]);
        ctx.beginPath();
        if (vertical) {
          ctx.moveTo(pixel, chartArea.top);
          ctx.lineTo(pixel, chartArea.bottom);
        } else {
          ctx.moveTo(chartArea.left, pixel);
          ctx.lineTo(chartArea.right, pixel);
        }
        ctx.stroke();
        if (line.label) {
          ctx.setLineDash([]);
          ctx.font = font;
          ctx.textBaseline = 'top';
          ctx.textAlign = vertical ? 'left' : 'right';
          ctx.fillText(line.label, vertical ? pixel + 4 : chartArea.right - 4, vertical ? chartArea.top + 4 : pixel + 3);
        }
        ctx.restore();
      }
    },
  };
}
