/**
 * Where the "modelTopology" key sits in a TF.js model.json, so findings about the model
 * itself (membership risk, generalisation gap) can also squiggle in model.json.
 */
import * as fs from 'node:fs';
import { parseTree, type Node } from 'jsonc-parser';
import type { Range } from 'vscode-languageserver';
import { LineIndex } from '../engine/manifest/ranges';

/** model.json files far larger than this hold inline weights; not worth parsing for a squiggle. */
const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;

/** The range of the top-level "modelTopology" property name (quotes included), if present. */
export function modelTopologyKeyRange(text: string): Range | undefined {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  if (root?.type !== 'object') return undefined;
  const key = root.children
    ?.map((property: Node) => property.children?.[0])
    .find((k): k is Node => k?.type === 'string' && k.value === 'modelTopology');
  if (!key) return undefined;
  const { start, end } = new LineIndex(text).range(key.offset, key.length);
  return { start, end };
}

/**
 * Reads model.json files and remembers the range per file version (size + mtime), so a
 * republish of diagnostics does not re-read large files that did not change.
 */
export class ModelTopologyLocator {
  private readonly known = new Map<string, { stamp: string; range: Range | undefined }>();

  rangeOf(modelFile: string): Range | undefined {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(modelFile);
    } catch {
      this.known.delete(modelFile);
      return undefined;
    }
    const stamp = `${stat.size}:${stat.mtimeMs}`;
    const cached = this.known.get(modelFile);
    if (cached?.stamp === stamp) return cached.range;
    let range: Range | undefined;
    if (stat.isFile() && stat.size <= MAX_MODEL_JSON_BYTES) {
      try {
        range = modelTopologyKeyRange(fs.readFileSync(modelFile, 'utf8'));
      } catch {
        range = undefined;
      }
    }
    this.known.set(modelFile, { stamp, range });
    return range;
  }
}
