/**
 * The audits a privacy-audit.json lists, with where each one's "name" sits: enough for
 * the tree, the CodeLens and "is this model covered by a manifest?". Tolerant by design
 * (jsonc-parser recovers from errors), so lenses stay in place while the user types;
 * validation is the engine's job.
 */
import { parseTree } from 'jsonc-parser';
import { JSONC_PARSE_OPTIONS, property, propertyValue } from '../jsonc-tree';

export interface OutlinedAudit {
  name: string;
  /** The "model" value as written (relative to the manifest's folder), when it is a string. */
  model?: string;
  /** Offset and length of the "name" property's key, quotes included. */
  nameOffset: number;
  nameLength: number;
}

export interface ManifestOutline {
  audits: OutlinedAudit[];
  /** The text is not an object with an "audits" array (empty, broken or not yet written). */
  incomplete: boolean;
}

export function outlineManifest(text: string): ManifestOutline {
  const root = parseTree(text, [], JSONC_PARSE_OPTIONS);
  const auditsNode = root?.type === 'object' ? propertyValue(root, 'audits') : undefined;
  if (auditsNode?.type !== 'array') return { audits: [], incomplete: true };
  const audits: OutlinedAudit[] = [];
  for (const entry of auditsNode.children ?? []) {
    if (entry.type !== 'object') continue;
    const nameProperty = property(entry, 'name');
    const nameValue = nameProperty?.children?.[1];
    const nameKey = nameProperty?.children?.[0];
    if (!nameKey || nameValue?.type !== 'string' || typeof nameValue.value !== 'string') continue;
    const audit: OutlinedAudit = { name: nameValue.value, nameOffset: nameKey.offset, nameLength: nameKey.length };
    const model = propertyValue(entry, 'model');
    if (model?.type === 'string' && typeof model.value === 'string') audit.model = model.value;
    audits.push(audit);
  }
  return { audits, incomplete: false };
}
