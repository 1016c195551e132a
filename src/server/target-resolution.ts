/**
 * What an audit request's target means: a manifest; a folder (its manifest, or one
 * proposed from what is detected there); or a model (the manifest that audits it, or a
 * proposal for it). Uses only the manifest half of the engine, which never loads
 * TensorFlow, so it runs on the server's own thread.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findManifests, MANIFEST_FILE_NAME, parseManifest, proposeManifest, type Manifest, type ManifestProblem } from '../engine/manifest';
import { isAuditableModelFile } from '../engine/manifest/tfjs-model';
import type { EngineSettings } from '../shared/protocol';
import { withDefaultPolicy } from './proposal-policy';
import { UserFacingError } from './request-guard';
import { pathKey } from './uris';

/** How many folders up from a model to look for a manifest that audits it. */
const MAX_MANIFEST_SEARCH_DEPTH = 8;

export interface ResolvedTarget {
  /** Where results are filed: the manifest, or the folder a proposal was made for. */
  reportKey: string;
  /** The manifest file; for a proposal the path it would have (nothing is written). */
  manifestFile: string;
  proposed: boolean;
  manifestText: string;
  root: string;
  /** Folder every manifest path must resolve inside: the VS Code workspace folder holding the manifest, else its own folder. */
  workspaceRoot: string;
  /** Undefined when the manifest has errors (see problems). */
  manifest?: Manifest;
  problems: ManifestProblem[];
  /** Audits to run: those asked for, or all the target covers. */
  selected: string[];
  /** Names asked for that the manifest does not have. */
  unknown: string[];
}

export interface ResolveOptions {
  workspaceFolders: readonly string[];
  defaultPolicy?: EngineSettings['defaultPolicy'];
  /** modelPrivacy.allowOutsideWorkspace: manifest paths may leave the manifest's folder. */
  allowOutsideWorkspace?: boolean;
}

export function resolveTarget(target: string, requested: readonly string[] | undefined, options: ResolveOptions): ResolvedTarget {
  const abs = path.resolve(target);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch {
    throw new UserFacingError(`${target}: no such file or folder`);
  }
  if (stat.isDirectory()) {
    const manifest = findManifests(abs)[0];
    return manifest ? fromManifestFile(manifest, requested, options) : fromProposal(abs, requested, options, undefined);
  }
  // A TF.js model.json, or a Keras/ONNX file by its first bytes; anything else is read as a manifest.
  if (path.basename(abs) === MANIFEST_FILE_NAME || !isAuditableModelFile(abs)) return fromManifestFile(abs, requested, options);
  return forModel(abs, requested, options);
}

function fromManifestFile(file: string, requested: readonly string[] | undefined, options: ResolveOptions, forModel?: string): ResolvedTarget {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserFacingError(`${file}: cannot read the manifest (${(e as Error).message})`);
  }
  return fromText(file, text, false, path.dirname(file), file, requested, forModel, options);
}

function fromProposal(folder: string, requested: readonly string[] | undefined, options: ResolveOptions, forModel: string | undefined): ResolvedTarget {
  const proposal = proposeManifest(folder);
  if (proposal.audits === 0) {
    throw new UserFacingError(`${folder}: no ${MANIFEST_FILE_NAME} here, and no model (TF.js model.json, Keras .h5/.keras, ONNX) with member and non-member data beside it was detected`);
  }
  const text = options.defaultPolicy ? withDefaultPolicy(proposal.text, options.defaultPolicy) : proposal.text;
  return fromText(path.join(folder, MANIFEST_FILE_NAME), text, true, folder, folder, requested, forModel, options);
}

function fromText(
  file: string, text: string, proposed: boolean, root: string, reportKey: string,
  requested: readonly string[] | undefined, forModel: string | undefined, options: ResolveOptions,
): ResolvedTarget {
  const workspaceRoot = manifestWorkspaceRoot(file, options.workspaceFolders);
  const parsed = parseManifest(text, file, { workspaceRoot, allowOutsideWorkspace: options.allowOutsideWorkspace === true });
  const audits = parsed.manifest?.audits ?? [];
  const covered = forModel === undefined ? audits : audits.filter((a) => pathKey(a.model) === pathKey(forModel));
  const names = covered.map((a) => a.name);
  const resolved: ResolvedTarget = {
    reportKey, manifestFile: file, proposed, manifestText: text, root, workspaceRoot, problems: parsed.problems,
    selected: requested ? names.filter((n) => requested.includes(n)) : names,
    unknown: requested && parsed.manifest ? requested.filter((n) => !names.includes(n)) : [],
  };
  if (parsed.manifest) resolved.manifest = parsed.manifest;
  return resolved;
}

/** The nearest manifest above the model that audits it, else a proposal for its folder tree. */
function forModel(model: string, requested: readonly string[] | undefined, options: ResolveOptions): ResolvedTarget {
  const folder = options.workspaceFolders.find((f) => isInside(model, f));
  let dir = path.dirname(model);
  for (let depth = 0; depth < MAX_MANIFEST_SEARCH_DEPTH; depth++) {
    const candidate = path.join(dir, MANIFEST_FILE_NAME);
    if (fs.existsSync(candidate)) {
      const resolved = fromManifestFile(candidate, requested, options, model);
      // A broken manifest is reported as it is: it may well be the one meant to audit this model.
      if (!resolved.manifest || resolved.selected.length > 0) return resolved;
    }
    const parent = path.dirname(dir);
    if (parent === dir || (folder !== undefined && !isInside(parent, folder))) break;
    dir = parent;
  }
  // Data often sits beside the model's folder, so propose from the workspace folder (or one level up).
  const proposalRoot = folder ?? path.dirname(path.dirname(model));
  const resolved = fromProposal(proposalRoot, requested, options, model);
  if (resolved.selected.length === 0) {
    throw new UserFacingError(`${model}: no member and non-member data was detected for this model; add an audit for it to ${MANIFEST_FILE_NAME}`);
  }
  return resolved;
}

/** The workspace folder holding the manifest (the innermost, for nested folders), else the manifest's own folder. */
export function manifestWorkspaceRoot(manifestFile: string, workspaceFolders: readonly string[]): string {
  const holding = workspaceFolders.filter((f) => isInside(path.resolve(manifestFile), path.resolve(f)));
  return holding.sort((a, b) => b.length - a.length)[0] ?? path.dirname(path.resolve(manifestFile));
}

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
