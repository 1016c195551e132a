/**
 * Keeps every live chart with the function that drew it, so a theme change can redraw
 * them all in place (canvas colours are baked in at draw time) and a re-render can
 * destroy the ones it replaces (chart.js holds resize observers until destroyed).
 */
import { applyChartTheme } from './chart-setup';
import type { ChartTheme } from './theme';

export type DrawChart = (canvas: HTMLCanvasElement, theme: ChartTheme) => { destroy(): void };

interface Slot {
  draw: DrawChart;
  chart: { destroy(): void };
}

export class ChartSlots {
  private readonly slots = new Map<HTMLCanvasElement, Slot>();

  constructor(private theme: ChartTheme) {
    applyChartTheme(theme);
  }

  /** Draws into a canvas that is already in the document (chart.js sizes from its parent). */
  draw(canvas: HTMLCanvasElement, draw: DrawChart): void {
    this.slots.get(canvas)?.chart.destroy();
    this.slots.set(canvas, { draw, chart: draw(canvas, this.theme) });
  }

  setTheme(theme: ChartTheme): void {
    this.theme = theme;
    applyChartTheme(theme);
    for (const [canvas, slot] of this.slots) {
      slot.chart.destroy();
      slot.chart = slot.draw(canvas, theme);
    }
  }

  /** Destroys the charts whose canvas lies inside `container`. */
  clear(container: Node): void {
    for (const [canvas, slot] of this.slots) {
      if (container.contains(canvas)) {
        slot.chart.destroy();
        this.slots.delete(canvas);
      }
    }
  }
}
