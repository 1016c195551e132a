/**
 * Scanner results -> report Findings: whole-file locations (binary files have no lines),
 * the callable and byte offset in `data` for machines, plain words in the message.
 */
import type { Finding } from '../report/schema';
import type { RuleName, Severity } from '../../shared/rules';
import type { ScannedImport } from './types';

/** Findings of one kind listed per file at most; the rest are counted in the last message. */
const MAX_LISTED = 10;

export function finding(file: string, rule: RuleName, severity: Severity, message: string, data?: Finding['data']): Finding {
  const f: Finding = { rule, severity, message, location: { file }, related: [] };
  if (data) f.data = data;
  return f;
}

function where(imp: { offset: number; member?: string }): string {
  return imp.member !== undefined ? `byte ${imp.offset} of member "${imp.member}"` : `byte ${imp.offset}`;
}

function writtenAs(imp: ScannedImport): string {
  return imp.written ? ` (written as ${imp.written.module}.${imp.written.name}, which CPython maps to it)` : '';
}

function callable(imp: ScannedImport): string {
  return `${imp.module}.${imp.name}`;
}

function importData(imp: ScannedImport, extra: Record<string, number | string> = {}): Finding['data'] {
  return { offset: imp.offset, callable: callable(imp), ...(imp.member !== undefined ? { member: imp.member } : {}), ...extra };
}

/** One error per dangerous import and per distinct unlisted import (up to MAX_LISTED each), a note for library classes. */
export function importFindings(file: string, imports: readonly ScannedImport[]): Finding[] {
  const out: Finding[] = [];
  const dangerous = imports.filter((i) => i.kind === 'dangerous');
  dangerous.slice(0, MAX_LISTED).forEach((imp, i) => {
    const more = i === MAX_LISTED - 1 && dangerous.length > MAX_LISTED ? ` (and ${dangerous.length - MAX_LISTED} more dangerous imports)` : '';
    out.push(finding(file, 'unsafe-artifact', 'high',
      `imports ${callable(imp)} at ${where(imp)}${writtenAs(imp)}: unpickling this file would call it, which can run arbitrary commands or code${more}. Do not load it.`,
      importData(imp)));
  });
  // Deny by default: anything not on the allowlist runs code nobody vetted, so it is an error too.
  const unknown = distinct(imports.filter((i) => i.kind === 'unknown'));
  unknown.slice(0, MAX_LISTED).forEach((imp, i) => {
    const more = i === MAX_LISTED - 1 && unknown.length > MAX_LISTED ? ` (and ${unknown.length - MAX_LISTED} more such imports)` : '';
    out.push(finding(file, 'unsafe-artifact', 'high',
      `imports ${callable(imp)} at ${where(imp)}${writtenAs(imp)}: it is not on the allowlist of tensor- and container-rebuilding callables, and unpickling this file would call it${more}. Do not load it unless you trust where it came from.`,
      importData(imp)));
  });
  const library = distinct(imports.filter((i) => i.kind === 'informational'));
  if (library.length) {
    const names = library.slice(0, MAX_LISTED).map(callable).join(', ') + (library.length > MAX_LISTED ? ` and ${library.length - MAX_LISTED} more` : '');
    out.push(finding(file, 'unsafe-artifact', 'info', `rebuilds library objects when unpickled: ${names}.`, importData(library[0], { count: library.length })));
  }
  return out;
}

/** First occurrence of each module.name. */
function distinct(imports: ScannedImport[]): ScannedImport[] {
  const seen = new Set<string>();
  return imports.filter((i) => {
    const key = callable(i);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The file is pickle-based but nothing dangerous or unknown was found: say it is still never loaded. */
export function pickleBasedNote(file: string, what: string): Finding {
  return finding(file, 'unsafe-artifact', 'info',
    `${what} is pickle-based: the tool never loads it; a static scan of its opcodes found no dangerous or unknown imports. Prefer safetensors, ONNX or TF.js for sharing.`);
}
