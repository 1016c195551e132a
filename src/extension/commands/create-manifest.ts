/**
 * modelPrivacy.createManifest: asks the engine to propose a privacy-audit.json from the
 * models and datasets it finds (ProposeManifestRequest), writes it and opens it. Never
 * overwrites a manifest, except to fill one the user asked to fill (a quick fix on a
 * manifest without audits), and then as an editor edit the user can undo.
 * Resolves to the manifest's URI string, or undefined.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { MANIFEST_FILE_NAME } from '../../engine/manifest/defaults';
import { ProposeManifestRequest } from '../../shared/protocol';
import type { Ctx } from '../ctx';
import { isInside } from '../paths';
import { explainRestricted, isTrusted } from '../trust';
import { showRequestError } from './show-outcome';
import { isTreeNode } from './targets';

const WHAT = 'Creating an audit manifest';

export interface CreateManifestArgs {
  /** A folder, or a model file (the manifest then goes where its data can be found). */
  target: string;
  /** URI of an existing manifest to fill instead of writing a new file. */
  replace?: string;
}

function isCreateArgs(value: unknown): value is CreateManifestArgs {
  return typeof value === 'object' && value !== null && typeof (value as { target?: unknown }).target === 'string';
}

export async function createManifestCommand(ctx: Ctx, ...args: unknown[]): Promise<string | undefined> {
  if (!isTrusted()) {
    explainRestricted(WHAT);
    return undefined;
  }
  const request = await requestFromArgs(args[0]);
  if (!request) return undefined;
  const folder = await manifestFolder(request.target);
  const manifestUri = request.replace !== undefined ? vscode.Uri.parse(request.replace) : vscode.Uri.file(path.join(folder, MANIFEST_FILE_NAME));
  if (request.replace === undefined && (await exists(manifestUri))) {
    const open = 'Open it';
    void vscode.window.showInformationMessage(`${vscode.workspace.asRelativePath(manifestUri)} already exists.`, open).then((choice) => {
      if (choice === open) void vscode.window.showTextDocument(manifestUri);
    });
    return undefined;
  }
  const client = await ctx.requireClient(WHAT);
  if (!client) return undefined;
  let proposal;
  try {
    proposal = await client.sendRequest(ProposeManifestRequest, { folder });
  } catch (e) {
    showRequestError(ctx, WHAT, e);
    return undefined;
  }
  if (proposal.audits === 0) {
    const anyway = 'Create an empty manifest';
    const choice = await vscode.window.showWarningMessage(
      `No TensorFlow.js model with member and non-member data was found under ${vscode.workspace.asRelativePath(folder)}. ` +
        'Name the training data train*/members* and held-out data test*/holdout*/nonmembers*, beside or above the model.',
      anyway,
    );
    if (choice !== anyway) return undefined;
  }
  if (request.replace !== undefined) {
    const document = await vscode.workspace.openTextDocument(manifestUri);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(manifestUri, new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)), proposal.text);
    await vscode.workspace.applyEdit(edit);
  } else {
    await vscode.workspace.fs.writeFile(manifestUri, new TextEncoder().encode(proposal.text));
  }
  await vscode.window.showTextDocument(manifestUri);
  return manifestUri.toString();
}

async function requestFromArgs(arg: unknown): Promise<CreateManifestArgs | undefined> {
  if (isCreateArgs(arg)) return arg.replace !== undefined ? { target: arg.target, replace: arg.replace } : { target: arg.target };
  if (arg instanceof vscode.Uri) return { target: arg.fsPath };
  if (isTreeNode(arg) && arg.kind === 'model') return { target: arg.path };
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) {
    void vscode.window.showInformationMessage('Open a folder first: the manifest is written into the workspace.');
    return undefined;
  }
  if (folders.length === 1) return { target: folders[0]!.uri.fsPath };
  const picked = await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Where should privacy-audit.json go?' });
  return picked ? { target: picked.uri.fsPath } : undefined;
}

/**
 * A folder is used as it is. For a model file: its workspace folder (data often sits beside
 * the model's own folder, as the engine's proposals assume), unless that already has a
 * manifest; then the model's parent folder, then its own folder.
 */
async function manifestFolder(target: string): Promise<string> {
  const uri = vscode.Uri.file(target);
  if (await isDirectory(uri)) return target;
  const modelDir = path.dirname(target);
  const workspaceFolder = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath;
  const candidates = [workspaceFolder, path.dirname(modelDir), modelDir].filter(
    (f): f is string => f !== undefined && (workspaceFolder === undefined || isInside(f, workspaceFolder)),
  );
  for (const folder of candidates) {
    if (!(await exists(vscode.Uri.file(path.join(folder, MANIFEST_FILE_NAME))))) return folder;
  }
  return modelDir;
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

async function isDirectory(uri: vscode.Uri): Promise<boolean> {
  try {
    return ((await vscode.workspace.fs.stat(uri)).type & vscode.FileType.Directory) !== 0;
  } catch {
    return false;
  }
}
