// Pixel evidence that a chart canvas was really painted. The webview's data attributes
// only say that chart.js ran its render hook; these numbers come from the bitmap itself.

/**
 * Runs in the webview frame on a <canvas>: compares every pixel with the top-left one (the
 * chart's background fill) and counts the distinct colours (quantised to 4 bits per
 * channel, so anti-aliasing does not inflate the count).
 */
function measureCanvas(canvas) {
  const { width, height } = canvas;
  const context = canvas.getContext('2d');
  if (!context || width === 0 || height === 0) return { width, height, painted: 0, colours: 0, dataUrlLength: 0 };
  const data = context.getImageData(0, 0, width, height).data;
  const [r0, g0, b0, a0] = [data[0], data[1], data[2], data[3]];
  let painted = 0;
  const colours = new Set();
  for (let i = 0; i < data.length; i += 4) {
    if (data[i] !== r0 || data[i + 1] !== g0 || data[i + 2] !== b0 || data[i + 3] !== a0) painted += 1;
    colours.add(((data[i] >> 4) << 12) | ((data[i + 1] >> 4) << 8) | ((data[i + 2] >> 4) << 4) | (data[i + 3] >> 4));
  }
  return { width, height, painted, colours: colours.size, dataUrlLength: canvas.toDataURL('image/png').length };
}

/** Pixel statistics of the canvas a Playwright locator points at. */
export function canvasPixels(locator) {
  return locator.evaluate(measureCanvas);
}

/**
 * Throws unless the canvas holds a drawing: a share of non-background pixels (axes, grid,
 * labels and curves together cover a few percent of a chart) and several colours (a blank
 * or single-colour fill has one or two).
 */
export function assertDrawn(stats, { minPaintedShare = 0.005, minColours = 4 } = {}) {
  const total = stats.width * stats.height;
  if (total === 0) throw new Error(`the canvas has no size (${stats.width}x${stats.height})`);
  const share = stats.painted / total;
  if (share < minPaintedShare || stats.colours < minColours) {
    throw new Error(
      `the canvas looks blank: ${stats.painted} of ${total} pixels differ from the background ` +
        `(${(share * 100).toFixed(2)}%, need ${minPaintedShare * 100}%), ${stats.colours} colours (need ${minColours})`,
    );
  }
}
