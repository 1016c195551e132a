/**
 * Chart colours from the VS Code theme. Canvas drawing cannot use CSS variables, so the
 * computed values are read and the charts redrawn whenever the theme changes (VS Code
 * swaps the body's theme class and rewrites the variables on <html>).
 */

export interface ChartTheme {
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  fontFamily: string;
  fontSize: number;
  /** Distinct series colours, from --vscode-charts-*. */
  palette: string[];
}

/** Order chosen so neighbouring series differ in hue; red last as it reads as "error". */
const PALETTE_VARIABLES = ['blue', 'orange', 'green', 'purple', 'yellow', 'red'];
/** VS Code's dark-theme defaults, used only if a variable is missing (e.g. outside VS Code). */
const PALETTE_FALLBACK: Record<string, string> = {
  blue: '#3794ff',
  orange: '#d18616',
  green: '#89d185',
  purple: '#b180d7',
  yellow: '#cca700',
  red: '#f14c4c',
};

function cssVariable(style: CSSStyleDeclaration, name: string, fallback: string): string {
  return style.getPropertyValue(name).trim() || fallback;
}

export function readTheme(): ChartTheme {
  const style = getComputedStyle(document.body);
  const foreground = cssVariable(style, '--vscode-charts-foreground', cssVariable(style, '--vscode-foreground', '#cccccc'));
  const fontSize = Number.parseFloat(cssVariable(style, '--vscode-font-size', '13'));
  return {
    foreground,
    muted: cssVariable(style, '--vscode-descriptionForeground', foreground),
    grid: cssVariable(style, '--vscode-charts-lines', cssVariable(style, '--vscode-editorWidget-border', 'rgba(128, 128, 128, 0.35)')),
    background: cssVariable(style, '--vscode-editor-background', '#1e1e1e'),
    fontFamily: cssVariable(style, '--vscode-font-family', 'system-ui, sans-serif'),
    fontSize: Number.isFinite(fontSize) ? fontSize : 13,
    palette: PALETTE_VARIABLES.map((name) => cssVariable(style, `--vscode-charts-${name}`, PALETTE_FALLBACK[name])),
  };
}

/** Calls `onChange` (once per frame at most) when the theme's colours actually change. */
export function watchTheme(onChange: (theme: ChartTheme) => void): () => void {
  let current = JSON.stringify(readTheme());
  let scheduled = false;
  const check = (): void => {
    scheduled = false;
    const theme = readTheme();
    const key = JSON.stringify(theme);
    if (key !== current) {
      current = key;
      onChange(theme);
    }
  };
  const observer = new MutationObserver(() => {
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(check);
    }
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  return () => observer.disconnect();
}
