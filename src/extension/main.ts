/**
 * Extension entry point (dist/extension.js). Activation happens only when the workspace
 * holds a manifest or a model.json, or the user runs one of our commands or opens our
 * view. Detection and the views start at once; the engine process starts too, untrusted
 * in Restricted Mode (scans only, audits refused). Never imports TensorFlow: all of that
 * lives in the engine's bundles.
 */
import * as vscode from 'vscode';
import { MANIFEST_FILE_NAME } from '../engine/manifest/defaults';
import { PrivacyCodeActionProvider } from './actions/code-actions';
import { createApi, type ModelPrivacyApi } from './api';
import { AuditCodeLensProvider } from './codelens/codelens-provider';
import { CONTEXT_KEYS, TREE_VIEW_ID } from './command-ids';
import { registerCommands } from './commands/register';
import { watchConfiguration } from './config-watcher';
import { Ctx } from './ctx';
import { ArtifactScanSync } from './detection/artifact-scan-sync';
import { publishDetectionContext, setContext } from './detection/context-keys';
import { FindingHoverProvider } from './hover/hover-provider';
import { registerReportSerializer } from './report/report-serializer';
import { StatusItem } from './status';
import { FindingsTreeProvider } from './tree/tree-provider';
import { isTrusted, RESTRICTED_REASON } from './trust';

const MANIFEST_SELECTOR: vscode.DocumentFilter = { scheme: 'file', pattern: `**/${MANIFEST_FILE_NAME}` };
const MODEL_SELECTOR: vscode.DocumentFilter = { scheme: 'file', pattern: '**/model.json' };

let current: Ctx | undefined;

export function activate(context: vscode.ExtensionContext): ModelPrivacyApi {
  const log = vscode.window.createOutputChannel('Model Privacy', { log: true });
  context.subscriptions.push(log);
  const ctx = new Ctx(context, log);
  current = ctx;

  const tree = new FindingsTreeProvider(ctx.detector, ctx.results, ctx.findings);
  const view = vscode.window.createTreeView(TREE_VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });
  const restrictedMessage = () => {
    view.message = isTrusted() ? undefined : `Restricted Mode: models are listed but not audited (${RESTRICTED_REASON}).`;
  };
  restrictedMessage();

  const codeLenses = new AuditCodeLensProvider(ctx.results);
  const publishEngineContext = () => {
    setContext(CONTEXT_KEYS.isAuditing, ctx.isAuditing);
    setContext(CONTEXT_KEYS.engineRunning, ctx.lifecycle === 'running');
  };
  ctx.pushExtCleanup(
    tree,
    view,
    codeLenses,
    new StatusItem(ctx),
    ...registerCommands(ctx, tree),
    registerReportSerializer(context.extensionUri),
    vscode.languages.registerCodeLensProvider(MANIFEST_SELECTOR, codeLenses),
    vscode.languages.registerCodeActionsProvider([MANIFEST_SELECTOR, MODEL_SELECTOR], new PrivacyCodeActionProvider(ctx.results, ctx.detector), PrivacyCodeActionProvider.metadata),
    vscode.languages.registerHoverProvider([MANIFEST_SELECTOR, MODEL_SELECTOR], new FindingHoverProvider(ctx.results, context.extensionUri)),
    watchConfiguration(ctx),
    new ArtifactScanSync({
      snapshot: () => ctx.detector.snapshot(),
      onDetectionChange: (listener) => ctx.detector.onDidChange(listener),
      client: () => ctx.scanClient,
      onEngineChange: (listener) => ctx.onDidChange(listener),
    }, log),
    ctx.detector.onDidChange(publishDetectionContext),
    ctx.onDidChange(publishEngineContext),
    ctx.runs.onDidChange(publishEngineContext),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      restrictedMessage();
      log.info('Workspace trusted: starting the engine with audits enabled.');
      void ctx.start();
    }),
    ctx,
  );
  publishEngineContext();

  ctx.detector.rescan().catch((e: unknown) => {
    log.error(`Detection failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  });
  if (!isTrusted()) log.info('Restricted Mode: the engine starts for static scans and manifest checks only; it never loads a model or dataset, and audits are refused.');
  void ctx.start();
  return createApi(ctx, tree);
}

/** Lets the engine shut down cleanly (its result cache is written atomically either way). */
export async function deactivate(): Promise<void> {
  await current?.stop();
  current = undefined;
}
