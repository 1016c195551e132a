// Step screenshots of the end-to-end run: numbered PNGs in test-output/e2e/ (a fresh
// folder each run, so what is there belongs to the last run), and on request the two that
// illustrate the README copied to docs/images/.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, TEST_OUTPUT_DIR } from '../harness/paths.mjs';

export const SCREENSHOT_DIR = path.join(TEST_OUTPUT_DIR, 'e2e');
const DOCS_IMAGES_DIR = path.join(PROJECT_ROOT, 'docs/images');

export function createScreenshotter(page) {
  rmSync(SCREENSHOT_DIR, { recursive: true, force: true });
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  let count = 0;
  const taken = new Map();
  return {
    /** Viewport PNG test-output/e2e/NN-name.png; returns its path. */
    async take(name) {
      count += 1;
      const file = path.join(SCREENSHOT_DIR, `${String(count).padStart(2, '0')}-${name}.png`);
      await page.screenshot({ path: file });
      taken.set(name, file);
      return file;
    },
    /** Copies named screenshots to docs/images/<target>; `copies` maps name -> target file name. */
    publish(copies) {
      mkdirSync(DOCS_IMAGES_DIR, { recursive: true });
      const published = [];
      for (const [name, target] of Object.entries(copies)) {
        const source = taken.get(name);
        if (!source) throw new Error(`no screenshot named "${name}" was taken in this run`);
        const destination = path.join(DOCS_IMAGES_DIR, target);
        copyFileSync(source, destination);
        published.push(destination);
      }
      return published;
    },
  };
}
