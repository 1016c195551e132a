/**
 * Publishes detection results as context keys, so menus and welcome views can ask
 * `resourcePath in modelPrivacy.auditableFiles` or `!modelPrivacy.hasModels`.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CONTEXT_KEYS } from '../command-ids';
import type { DetectionSnapshot } from './detected';

export function setContext(key: string, value: unknown): void {
  void vscode.commands.executeCommand('setContext', key, value);
}

export function publishDetectionContext(snapshot: DetectionSnapshot): void {
  const auditable = snapshot.models.filter((m) => m.auditable);
  setContext(CONTEXT_KEYS.hasModels, snapshot.models.length > 0);
  setContext(CONTEXT_KEYS.hasManifests, snapshot.manifests.length > 0);
  setContext(CONTEXT_KEYS.modelFiles, snapshot.models.map((m) => m.path));
  setContext(CONTEXT_KEYS.auditableFiles, auditable.map((m) => m.path));
  setContext(CONTEXT_KEYS.modelFolders, [...new Set(auditable.map((m) => path.dirname(m.path)))]);
  if (snapshot.done) setContext(CONTEXT_KEYS.detectionDone, true);
}
