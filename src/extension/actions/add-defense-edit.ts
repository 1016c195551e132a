/**
 * The text edit behind "Use <defense> for this model": sets `audits[i].defense` in a
 * privacy-audit.json to the configuration a defense-recommendation finding carries.
 * jsonc-parser's `modify` touches only the one property, so the user's comments, key
 * order and layout survive; the new lines follow the file's own indentation and line
 * breaks. Pure (no `vscode`), so unit tests run it in plain Node.
 */
import { findNodeAtOffset, getNodePath, getNodeValue, modify, parseTree, type Edit, type FormattingOptions, type Node } from 'jsonc-parser';
import { isDeepStrictEqual } from 'node:util';
import { JSONC_PARSE_OPTIONS, property } from '../jsonc-tree';

export interface AddDefenseRequest {
  /** The finding's audit name: the audit whose "name" matches gets the defense. */
  audit?: string;
  /** The finding's `data.config`: the recommended configuration as JSON text. */
  config: string;
  /** Where the diagnostic sits (inside `audits[i].defenses.evaluate[j]`): used when no audit has the name. */
  offset?: number;
}

export interface AddDefenseEdit {
  /** The defense's catalog name, for the action's title. */
  defense: string;
  /** Index of the audit in the manifest's "audits" array. */
  auditIndex: number;
  /** Whether the audit already had a "defense" (it is replaced). */
  replaces: boolean;
  edits: Edit[];
}

/** The configuration if it is a JSON object with a string "name" (what the engine writes), else undefined. */
export function parseDefenseConfig(text: string): (Record<string, unknown> & { name: string }) | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const name = (value as Record<string, unknown>).name;
  return typeof name === 'string' && name !== '' ? (value as Record<string, unknown> & { name: string }) : undefined;
}

/**
 * Indentation and line breaks as the file already has them: the first line break decides
 * the EOL; the smallest indentation of any line decides the unit (a tab means tabs).
 */
export function detectFormatting(text: string): FormattingOptions {
  const eol = /\r\n/.test(text) && text.indexOf('\r\n') <= text.indexOf('\n') ? '\r\n' : '\n';
  let unit: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    const indent = /^[ \t]+(?=\S)/.exec(line)?.[0];
    if (!indent) continue;
    if (indent.startsWith('\t')) {
      unit = '\t';
      break;
    }
    if (unit === undefined || indent.length < unit.length) unit = indent;
  }
  if (unit === '\t') return { insertSpaces: false, tabSize: 4, eol };
  return { insertSpaces: true, tabSize: unit?.length ?? 2, eol };
}

/** The audit the finding belongs to: by name, else the audit around the diagnostic's offset. */
export function auditIndexOf(root: Node | undefined, audit: string | undefined, offset: number | undefined): number | undefined {
  const audits = root?.type === 'object' ? property(root, 'audits')?.children?.[1] : undefined;
  if (audits?.type !== 'array') return undefined;
  const entries = audits.children ?? [];
  if (audit !== undefined) {
    const byName = entries.findIndex((entry) => entry.type === 'object' && property(entry, 'name')?.children?.[1]?.value === audit);
    if (byName >= 0) return byName;
  }
  if (offset === undefined || !root) return undefined;
  const node = findNodeAtOffset(root, offset, true);
  const path = node ? getNodePath(node) : [];
  return path[0] === 'audits' && typeof path[1] === 'number' && entries[path[1]]?.type === 'object' ? path[1] : undefined;
}

/**
 * The edits that make `audits[i].defense` equal to the recommended configuration, or
 * undefined when there is nothing sensible to do: the configuration is not an object
 * with a name, the audit cannot be found, or it already uses exactly this defense.
 */
export function addDefenseEdit(text: string, request: AddDefenseRequest, formatting: FormattingOptions = detectFormatting(text)): AddDefenseEdit | undefined {
  const config = parseDefenseConfig(request.config);
  if (!config) return undefined;
  const root = parseTree(text, [], JSONC_PARSE_OPTIONS);
  const auditIndex = auditIndexOf(root, request.audit, request.offset);
  if (auditIndex === undefined || !root) return undefined;
  const audit = property(root, 'audits')!.children![1]!.children![auditIndex]!;
  const existing = property(audit, 'defense')?.children?.[1];
  // getNodeValue builds prototype-less objects, which a strict comparison tells apart: round-trip through JSON.
  if (existing && isDeepStrictEqual(JSON.parse(JSON.stringify(getNodeValue(existing))), config)) return undefined;
  const edits = modify(text, ['audits', auditIndex, 'defense'], config, {
    formattingOptions: formatting,
    // A new "defense" goes right after "defenses" (where the user just read the comparison), else last.
    getInsertionIndex: (keys) => {
      const after = keys.indexOf('defenses');
      return after >= 0 ? after + 1 : keys.length;
    },
  });
  return { defense: config.name, auditIndex, replaces: existing !== undefined, edits };
}
