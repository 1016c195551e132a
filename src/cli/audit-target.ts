/**
 * What `privacy-lint audit TARGET` audits. A folder or a manifest as the engine resolves
 * it; a model the engine loads (TF.js model.json, Keras .h5/.keras, ONNX) through the
 * nearest privacy-audit.json above it that audits it, else a proposal for its folder
 * tree (as the VS Code command does); anything else is refused with one message instead
 * of being parsed as a manifest (a .pt file used to fail as "invalid JSON").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveManifest, type ResolvedManifest } from '../engine/audit';
import type { Containment } from '../engine/audit/audit-target';
import { formatFromName } from '../engine/artifacts/datasets/format';
import { InputError } from '../engine/errors';
import { MANIFEST_FILE_NAME, parseManifest, proposeManifest } from '../engine/manifest';
import { isAuditableModelFile } from '../engine/manifest/tfjs-model';

/** How many folders up from a model to look for a manifest that audits it (as the server does). */
const MAX_MANIFEST_SEARCH_DEPTH = 8;

/** Model files the engine never loads: pickle-based ones run code when loaded, weights-only ones lack the architecture. */
const UNLOADABLE_MODELS: Record<string, string> = {
  '.pt': 'a PyTorch (pickle-based) file: it can run code when loaded, so it is never loaded',
  '.pth': 'a PyTorch (pickle-based) file: it can run code when loaded, so it is never loaded',
  '.ckpt': 'a PyTorch (pickle-based) checkpoint: it can run code when loaded, so it is never loaded',
  '.pkl': 'a pickle: it can run code when loaded, so it is never loaded',
  '.pickle': 'a pickle: it can run code when loaded, so it is never loaded',
  '.joblib': 'a joblib pickle: it can run code when loaded, so it is never loaded',
  '.safetensors': 'a safetensors file: weights without the model\'s architecture',
};

/** Model extensions the engine loads; a file with one whose first bytes do not match is refused, not parsed as JSON. */
const LOADABLE_MODEL_NAMES: Record<string, string> = { '.h5': 'Keras HDF5', '.hdf5': 'Keras HDF5', '.keras': 'Keras', '.onnx': 'ONNX' };

export interface AuditTarget {
  resolved: ResolvedManifest;
  /** For a model target: the audits of the manifest that audit this model. */
  audits?: string[];
}

export function resolveAuditTarget(target: string, containment: Containment = {}): AuditTarget {
  const abs = path.resolve(target);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch {
    throw new InputError('no such file or folder', { file: target });
  }
  if (stat.isDirectory() || path.basename(abs) === MANIFEST_FILE_NAME) return { resolved: resolveManifest(target, containment) };
  if (isAuditableModelFile(abs)) return forModel(abs, target, containment);
  refuseNonManifest(abs, target);
  return { resolved: resolveManifest(target, containment) };
}

/** Throws the one message that says why `target` is not an audit manifest, if it clearly is not. */
function refuseNonManifest(abs: string, target: string): void {
  const ext = path.extname(abs).toLowerCase();
  const hint = `audit the folder that holds the model and its data, or a ${MANIFEST_FILE_NAME} (write one with "privacy-lint init FOLDER")`;
  const unloadable = UNLOADABLE_MODELS[ext];
  if (unloadable) {
    throw new InputError(`this is ${unloadable}. Export the model to TensorFlow.js, Keras (.h5/.keras) or ONNX, then ${hint}`, { file: target });
  }
  const loadable = LOADABLE_MODEL_NAMES[ext];
  if (loadable) throw new InputError(`the name says ${loadable} model, but the file's first bytes are not one (truncated, or another format renamed)`, { file: target });
  if (formatFromName(abs) !== undefined) throw new InputError(`this is a dataset; ${hint}`, { file: target });
  const head = readHead(abs);
  // A manifest is JSON: an object, perhaps after a byte-order mark, blanks or comments.
  if (head.includes(0)) throw new InputError(`not an audit manifest: a binary file; ${hint}`, { file: target });
  const text = head.toString('utf8').replace(/^\uFEFF/, '').replace(/^(\s|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*/, '');
  if (text.length > 0 && !text.startsWith('{')) {
    throw new InputError(`not an audit manifest: expected a JSON object starting with "{", found ${JSON.stringify(text.slice(0, 20))}; ${hint}`, { file: target });
  }
}

function readHead(file: string, bytes = 4096): Buffer {
  // O_NONBLOCK: a FIFO target must not wait for a writer; readManifest refuses it as not a regular file.
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    if (!fs.fstatSync(fd).isFile()) throw new InputError('expected a regular file (a manifest, model or folder), found a FIFO, socket or device', { file });
    const buffer = Buffer.alloc(bytes);
    return buffer.subarray(0, fs.readSync(fd, buffer, 0, bytes, 0));
  } finally {
    fs.closeSync(fd);
  }
}

/** The nearest manifest above the model that audits it, else a proposal for the folder above the model's. */
function forModel(model: string, target: string, containment: Containment): AuditTarget {
  let dir = path.dirname(model);
  for (let depth = 0; depth < MAX_MANIFEST_SEARCH_DEPTH; depth++) {
    const candidate = path.join(dir, MANIFEST_FILE_NAME);
    if (fs.existsSync(candidate)) {
      const resolved = resolveManifest(candidate, containment);
      // A broken manifest is reported as it is: it may well be the one meant to audit this model.
      if (!resolved.manifest) return { resolved };
      const audits = auditsOf(resolved, model);
      if (audits.length > 0) return { resolved, audits };
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  // Data often sits beside the model's folder, so propose from one level up.
  const root = path.dirname(path.dirname(model));
  const proposal = proposeManifest(root);
  const virtual = path.join(root, MANIFEST_FILE_NAME);
  const parsed = parseManifest(proposal.text, virtual, { fileExists: (p) => fs.existsSync(p), ...containment });
  const resolved: ResolvedManifest = { manifest: parsed.manifest, root, findings: [], proposed: true };
  const audits = auditsOf(resolved, model);
  if (audits.length === 0 || parsed.problems.some((p) => p.severity === 'error')) {
    throw new InputError(
      `no ${MANIFEST_FILE_NAME} above this model audits it, and no member and non-member data was detected beside it; write a manifest for it (see "privacy-lint init")`,
      { file: target },
    );
  }
  return { resolved, audits };
}

function auditsOf(resolved: ResolvedManifest, model: string): string[] {
  const same = (m: string) => path.resolve(m) === model;
  return (resolved.manifest?.audits ?? []).filter((a) => same(a.model) || (a.ensemble ?? []).some(same)).map((a) => a.name);
}
