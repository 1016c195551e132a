/**
 * Saves an export the webview produced: asks where with the save dialog (webviews cannot
 * write files or download), then writes through workspace.fs so remote workspaces work.
 */
import { homedir } from 'node:os';
import * as vscode from 'vscode';
import type { SavePngMessage, SaveTextMessage } from './messages';
import { decodePngDataUrl, encodeTextExport, safeExportFileName } from './export-payload';

const FILTERS: Record<'png' | 'csv' | 'json', Record<string, string[]>> = {
  png: { 'PNG image': ['png'] },
  csv: { 'CSV table': ['csv'] },
  json: { JSON: ['json'] },
};

/** Returns the saved location, or undefined when the user cancelled. */
export async function saveExport(message: SavePngMessage | SaveTextMessage, folder: vscode.Uri | undefined): Promise<vscode.Uri | undefined> {
  const extension = message.type === 'savePng' ? 'png' : message.format;
  // Decode before asking, so a bad payload fails without a pointless dialog.
  const bytes = message.type === 'savePng' ? decodePngDataUrl(message.dataUrl) : encodeTextExport(message.content);
  const fileName = safeExportFileName(message.fileName, extension);
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(folder ?? vscode.Uri.file(homedir()), fileName),
    filters: FILTERS[extension],
    saveLabel: 'Save',
    title: `Save ${extension.toUpperCase()}`,
  });
  if (!target) return undefined;
  await vscode.workspace.fs.writeFile(target, bytes);
  return target;
}
