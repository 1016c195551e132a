/**
 * A manifest proposed from what a folder holds: every TensorFlow.js model.json, Keras
 * .h5/.keras and ONNX file (recognised by its first bytes) with member
 * and non-member datasets found beside or above it (see dataset-roles.ts). Used as a quick
 * fix and by the CLI when a folder has no manifest.
 */
import * as path from 'node:path';
import { formatFromName, isImageFileName, type DatasetFormat } from '../artifacts/datasets/format';
import { describeDatasetName, type DatasetRole } from './dataset-roles';
import { DEFAULT_POLICY } from './defaults';
import { findLabelColumn } from './label-column';
import { isAuditableModelFile } from './tfjs-model';
import { listFiles } from './walk';

export interface ManifestProposal {
  /** Pretty-printed privacy-audit.json, paths relative to the folder. */
  text: string;
  /** Audits in the proposal; 0 when no model had both members and non-members. */
  audits: number;
}

interface Candidate {
  file: string;
  format: DatasetFormat;
  role: DatasetRole;
  labelsFile?: string;
  labelColumn?: string;
}

type ProposedDataset = string | { path: string; labelsPath?: string; label?: string };

const ROLES: readonly DatasetRole[] = ['members', 'nonMembers', 'population'];
/** Folder names that say nothing about the model, skipped when naming an audit. */
const GENERIC_FOLDERS = new Set(['model', 'models', 'tfjs', 'tfjs_model', 'tfjs-model', 'web_model', 'export', 'exported', 'output', 'outputs']);

export function proposeManifest(folder: string, maxDepth = 6): ManifestProposal {
  const root = path.resolve(folder);
  const files = listFiles(root, { maxDepth });
  const modelDirs = new Set<string>();
  const models = files.filter((f) => isAuditableModelFile(f));
  for (const m of models) modelDirs.add(path.dirname(m));
  const candidates = datasetCandidates(files);

  const usedNames = new Set<string>();
  const audits: Record<string, unknown>[] = [];
  for (const model of models) {
    const chosen = chooseDatasets(model, root, candidates, modelDirs);
    if (!chosen.members || !chosen.nonMembers) continue;
    audits.push(auditEntry(uniqueName(auditName(model, root), usedNames), model, chosen, root));
  }
  const manifest = { version: 1, audits };
  return { text: `${JSON.stringify(manifest, null, 2)}\n`, audits: audits.length };
}

/** Dataset files with a role, features files paired with their labels files. */
function datasetCandidates(files: string[]): Candidate[] {
  const described = files
    .map((file) => ({ file, format: formatFromName(file), info: describeDatasetName(file) }))
    .filter((d): d is typeof d & { format: DatasetFormat } => d.format !== undefined && d.info.role !== undefined);
  const labelFiles = described.filter((d) => d.info.isLabels);
  const candidates: Candidate[] = [];
  for (const d of described) {
    if (d.info.isLabels) continue;
    const labelColumn = findLabelColumn(d.file, d.format);
    const partner = labelFiles.find(
      (l) => path.dirname(l.file) === path.dirname(d.file) && l.info.pairKey === d.info.pairKey,
    );
    const candidate: Candidate = { file: d.file, format: d.format, role: d.info.role! };
    if (labelColumn !== undefined) candidate.labelColumn = labelColumn;
    else if (partner) candidate.labelsFile = partner.file;
    // NPY and IDX hold no labels; without a labels file they cannot be audited.
    else if (d.format === 'npy' || d.format === 'idx') continue;
    candidates.push(candidate);
  }
  return [...candidates, ...imageFolderCandidates(files)];
}

/** Image folders (train/cat/1.png): the folder above the class folders, when its name has a role. */
function imageFolderCandidates(files: string[]): Candidate[] {
  const folders = new Set(files.filter((f) => isImageFileName(f)).map((f) => path.dirname(path.dirname(f))));
  return [...folders].sort().flatMap((folder): Candidate[] => {
    const role = describeDatasetName(folder).role;
    return role ? [{ file: folder, format: 'images', role }] : [];
  });
}

/**
 * For each role, the candidate nearest the model: in the model's folder tree first, then
 * in each parent's tree up to the root. A file closer to another model (sharing a deeper
 * folder with it) belongs to that model.
 */
function chooseDatasets(model: string, root: string, candidates: Candidate[], modelDirs: Set<string>): Partial<Record<DatasetRole, Candidate>> {
  const modelDir = path.dirname(model);
  const closerToAnother = (file: string) => {
    const mine = sharedDepth(modelDir, path.dirname(file));
    return [...modelDirs].some((d) => d !== modelDir && sharedDepth(d, path.dirname(file)) > mine);
  };
  const usable = candidates.filter((c) => !closerToAnother(c.file));
  const chosen: Partial<Record<DatasetRole, Candidate>> = {};
  for (let dir = modelDir; ; dir = path.dirname(dir)) {
    for (const role of ROLES) {
      if (chosen[role]) continue;
      const found = usable
        .filter((c) => c.role === role && isInside(c.file, dir))
        .sort((a, b) => depth(a.file) - depth(b.file) || (a.file < b.file ? -1 : 1))[0];
      if (found) chosen[role] = found;
    }
    // The optional population is not fetched from further up than the members and
    // non-members: data from elsewhere in the tree is likely another model's (another shape).
    if ((chosen.members && chosen.nonMembers) || dir === root || !isInside(dir, root)) break;
  }
  return chosen;
}

function auditEntry(name: string, model: string, chosen: Partial<Record<DatasetRole, Candidate>>, root: string): Record<string, unknown> {
  const used = ROLES.map((r) => chosen[r]).filter((c): c is Candidate => c !== undefined);
  const columns = new Set(used.filter((c) => c.labelColumn !== undefined).map((c) => c.labelColumn));
  const textual = used.filter((c) => c.format === 'csv' || c.format === 'tsv' || c.format === 'jsonl');
  // One audit-level label when every text dataset names the same column.
  const sharedLabel = columns.size === 1 && textual.every((c) => c.labelColumn !== undefined) ? [...columns][0] : undefined;
  const entry: Record<string, unknown> = { name, model: relative(root, model) };
  for (const role of ROLES) {
    const c = chosen[role];
    if (c) entry[role] = datasetEntry(c, root, sharedLabel === undefined);
  }
  if (sharedLabel !== undefined) entry['label'] = sharedLabel;
  entry['policy'] = { rules: DEFAULT_POLICY.map((r) => ({ ...r })) };
  return entry;
}

function datasetEntry(c: Candidate, root: string, ownLabel: boolean): ProposedDataset {
  const labelsPath = c.labelsFile ? relative(root, c.labelsFile) : undefined;
  const label = ownLabel ? c.labelColumn : undefined;
  if (labelsPath === undefined && label === undefined) return relative(root, c.file);
  return {
    path: relative(root, c.file),
    ...(labelsPath !== undefined ? { labelsPath } : {}),
    ...(label !== undefined ? { label } : {}),
  };
}

/** The model's folder path without generic names: "mnist/model/model.json" -> "mnist". */
function auditName(model: string, root: string): string {
  const parts = path.relative(root, path.dirname(model)).split(path.sep).filter((p) => p && !GENERIC_FOLDERS.has(p.toLowerCase()));
  // A Keras or ONNX file is named by its file too: two of them may share a folder.
  if (path.basename(model) !== 'model.json') parts.push(path.basename(model, path.extname(model)));
  const name = parts.join('-') || path.basename(root);
  return name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'model';
}

function uniqueName(name: string, used: Set<string>): string {
  let unique = name;
  for (let n = 2; used.has(unique); n++) unique = `${name}-${n}`;
  used.add(unique);
  return unique;
}

/** Manifests are shared across systems: always forward slashes. */
function relative(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Number of leading folder names two folders share. */
function sharedDepth(a: string, b: string): number {
  const as = a.split(path.sep);
  const bs = b.split(path.sep);
  let n = 0;
  while (n < as.length && n < bs.length && as[n] === bs[n]) n++;
  return n;
}

function depth(file: string): number {
  return file.split(path.sep).length;
}
