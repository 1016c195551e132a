/**
 * `privacy-lint init [folder] --label COL [--force]`: writes the manifest the audit would
 * propose for a folder to folder/privacy-audit.json, so it can be read and edited instead
 * of living only inside one run. --label names the label column of every table dataset
 * that has no separate labels file (the proposal only recognises label/target/y/class).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import { formatFromName } from '../engine/artifacts/datasets/format';
import { listNames } from '../engine/artifacts/datasets/label-names';
import { MANIFEST_FILE_NAME, parseManifest, proposeManifest } from '../engine/manifest';
import { EXIT_USAGE } from './exit-codes';

/** Formats whose records carry a label column (the others need a labels file or key). */
const TABLE_FORMATS = new Set(['csv', 'tsv', 'jsonl', 'parquet', 'arrow']);
const ROLES = ['members', 'nonMembers', 'population'] as const;

type DatasetEntry = string | { path: string; labelsPath?: string; label?: string | number };

export interface InitResult {
  file: string;
  audits: number;
}

export function writeProposedManifest(folder: string, options: { label?: string; force?: boolean }): InitResult {
  const root = path.resolve(folder);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw usage(`${folder}: no such folder`);
  const file = path.join(root, MANIFEST_FILE_NAME);
  if (fs.existsSync(file) && !options.force) throw usage(`${file} already exists; edit it, or pass --force to replace it`);
  const proposal = proposeManifest(root);
  if (proposal.audits === 0) {
    throw usage(`${folder}: nothing to propose: no model (TF.js model.json, Keras .h5/.keras, ONNX) with member and non-member data beside it was detected`);
  }
  const manifest = JSON.parse(proposal.text) as { audits: Record<string, unknown>[] };
  if (options.label !== undefined) for (const audit of manifest.audits) setLabel(audit, options.label, root);
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  // What is written must parse: a proposal the engine itself rejects is a bug, not a file to hand over.
  const problems = parseManifest(text, file, { fileExists: (p) => fs.existsSync(p) }).problems.filter((p) => p.severity === 'error');
  if (problems.length > 0) throw new Error(`the proposed manifest does not validate: ${problems.map((p) => p.message).join('; ')}`);
  fs.writeFileSync(file, text);
  return { file, audits: manifest.audits.length };
}

/** Puts the label column on each table dataset without a labels file (and drops a proposed audit-level one). */
function setLabel(audit: Record<string, unknown>, label: string, root: string): void {
  delete audit['label'];
  for (const role of ROLES) {
    const entry = audit[role] as DatasetEntry | undefined;
    if (entry === undefined) continue;
    const given = typeof entry === 'string' ? { path: entry } : { ...entry };
    if (given.labelsPath !== undefined || !TABLE_FORMATS.has(formatFromName(given.path) ?? '')) continue;
    checkColumn(path.join(root, given.path), label);
    audit[role] = { ...given, label };
  }
}

/**
 * Fails now, not at the first audit, when a plain CSV/TSV/JSONL file has no such column
 * (matched as the loaders match it: exactly, else ignoring case). Compressed and binary
 * tables are left to the loader, which names their columns the same way.
 */
function checkColumn(file: string, label: string): void {
  const format = formatFromName(file);
  if (file.toLowerCase().endsWith('.gz') || (format !== 'csv' && format !== 'tsv' && format !== 'jsonl')) return;
  const names = columnNames(file, format);
  if (names === undefined) return;
  const wanted = label.trim();
  if (names.includes(wanted) || names.some((n) => n.toLowerCase() === wanted.toLowerCase())) return;
  throw usage(`--label: ${path.relative(process.cwd(), file) || file} has no column "${label}"; it has ${listNames(names)}`);
}

/** Header names of a CSV/TSV file, or keys of a JSONL file's first record; undefined when unreadable. */
function columnNames(file: string, format: 'csv' | 'tsv' | 'jsonl'): string[] | undefined {
  let head: string;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      // The first line only: datasets can be gigabytes.
      const buffer = Buffer.alloc(256 * 1024);
      head = buffer.subarray(0, fs.readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8').replace(/^\uFEFF/, '');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const line = head.split(/\r?\n/, 1)[0] ?? '';
  if (format !== 'jsonl') return line.split(format === 'tsv' ? '\t' : ',').map((h) => h.trim().replace(/^"(.*)"$/, '$1'));
  try {
    const record: unknown = JSON.parse(line);
    return record !== null && typeof record === 'object' && !Array.isArray(record) ? Object.keys(record) : undefined;
  } catch {
    return undefined;
  }
}

function usage(message: string): CommanderError {
  return new CommanderError(EXIT_USAGE, 'privacy-lint.init', message);
}

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description(`write the manifest an audit would propose for a folder to FOLDER/${MANIFEST_FILE_NAME}, to edit`)
    .argument('[folder]', 'folder with the model(s) and their member/non-member data', '.')
    .option('--label <column>', 'label column of the table datasets (default: a column named label, target, y or class)')
    .option('--force', `replace an existing ${MANIFEST_FILE_NAME}`)
    .action((folder: string, opts: { label?: string; force?: boolean }) => {
      const { file, audits } = writeProposedManifest(folder, opts);
      process.stdout.write(`wrote ${path.relative(process.cwd(), file) || file} (${audits} audit${audits === 1 ? '' : 's'}); review the paths and labels, then run: privacy-lint audit ${path.relative(process.cwd(), path.dirname(file)) || '.'}\n`);
    });
}
