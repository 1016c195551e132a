/**
 * Quick fixes on privacy-audit.json and model.json:
 * - a finding about an audit's result -> "Open privacy report" (preferred for membership-risk);
 * - a defense recommendation -> "Use <defense> for this model", which writes the recommended
 *   configuration into the audit as "defense" (preferred: it is what the finding asks for);
 * - a manifest problem in a manifest without audits -> fill it from the detected files;
 * - a TF.js model.json that no manifest audits -> create a manifest from the detected
 *   files (offered without a diagnostic: there is nothing wrong with the model file).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { MANIFEST_FILE_NAME } from '../../engine/manifest/defaults';
import { COMMANDS } from '../command-ids';
import type { ReportArgs } from '../codelens/audit-lenses';
import type { CreateManifestArgs } from '../commands/create-manifest';
import { coveredModelKeys } from '../detection/detected';
import type { Detector } from '../detection/detector';
import { outlineManifest } from '../detection/manifest-outline';
import { findingRef, RESULT_RULES, type FindingRef } from '../findings/finding-ref';
import { pathKey, samePath } from '../paths';
import { reportArgsOf } from '../results/report-args';
import type { ResultsStore } from '../results/results-store';
import { addDefenseEdit } from './add-defense-edit';

export const CREATE_MANIFEST_KIND = vscode.CodeActionKind.QuickFix.append('modelPrivacy.createManifest');
export const OPEN_REPORT_KIND = vscode.CodeActionKind.QuickFix.append('modelPrivacy.openReport');
export const ADD_DEFENSE_KIND = vscode.CodeActionKind.QuickFix.append('modelPrivacy.addDefense');

export class PrivacyCodeActionProvider implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [ADD_DEFENSE_KIND, OPEN_REPORT_KIND, CREATE_MANIFEST_KIND] };

  constructor(
    private readonly results: ResultsStore,
    private readonly detector: Detector,
  ) {}

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    const manifest = path.basename(document.uri.fsPath) === MANIFEST_FILE_NAME;
    const reports = new Map<string, vscode.CodeAction>();
    const defenses: vscode.CodeAction[] = [];
    for (const diagnostic of context.diagnostics) {
      const ref = findingRef(diagnostic as vscode.Diagnostic & { data?: unknown });
      if (!ref) continue;
      if (ref.rule === 'defense-recommendation' && manifest) {
        const fix = this.addDefenseAction(document, diagnostic, ref);
        if (fix) defenses.push(fix);
      }
      if (RESULT_RULES.has(ref.rule) && ref.audit !== undefined) {
        const report = this.reportOf(document, ref.audit);
        if (!report) continue;
        const existing = reports.get(ref.audit);
        if (existing) {
          existing.diagnostics?.push(diagnostic);
          if (ref.rule === 'membership-risk') existing.isPreferred = true;
          continue;
        }
        const action = new vscode.CodeAction(`Open privacy report for "${ref.audit}"`, OPEN_REPORT_KIND);
        action.command = { title: action.title, command: COMMANDS.openReport, arguments: [report] };
        action.diagnostics = [diagnostic];
        action.isPreferred = ref.rule === 'membership-risk';
        reports.set(ref.audit, action);
      } else if (ref.rule === 'invalid-input' && manifest && !actions.some((a) => a.kind?.value === CREATE_MANIFEST_KIND.value)) {
        // Only where a proposal cannot lose the user's work: a manifest that lists no audits yet.
        const outline = outlineManifest(document.getText());
        if (!outline.incomplete && outline.audits.length > 0) continue;
        const args: CreateManifestArgs = { target: path.dirname(document.uri.fsPath), replace: document.uri.toString() };
        const action = new vscode.CodeAction('Fill the manifest from detected models and datasets', CREATE_MANIFEST_KIND);
        action.command = { title: action.title, command: COMMANDS.createManifest, arguments: [args] };
        action.diagnostics = [diagnostic];
        actions.push(action);
      }
    }
    actions.unshift(...defenses, ...reports.values());
    if (path.basename(document.uri.fsPath) === 'model.json' && this.isUncoveredModel(document.uri.fsPath)) {
      const args: CreateManifestArgs = { target: document.uri.fsPath };
      const action = new vscode.CodeAction('Create audit manifest from detected files', CREATE_MANIFEST_KIND);
      action.command = { title: action.title, command: COMMANDS.createManifest, arguments: [args] };
      actions.push(action);
    }
    return actions;
  }

  /** Writes the recommended configuration into the audit; none when the finding carries no usable one. */
  private addDefenseAction(document: vscode.TextDocument, diagnostic: vscode.Diagnostic, ref: FindingRef): vscode.CodeAction | undefined {
    if (ref.config === undefined) return undefined;
    const text = document.getText();
    const result = addDefenseEdit(text, { audit: ref.audit, config: ref.config, offset: document.offsetAt(diagnostic.range.start) });
    if (!result) return undefined;
    const action = new vscode.CodeAction(`Use ${result.defense} for this model (${result.replaces ? 'replaces "defense" in' : 'adds "defense" to'} the audit)`, ADD_DEFENSE_KIND);
    const edit = new vscode.WorkspaceEdit();
    for (const e of result.edits) {
      edit.replace(document.uri, new vscode.Range(document.positionAt(e.offset), document.positionAt(e.offset + e.length)), e.content);
    }
    action.edit = edit;
    action.diagnostics = [diagnostic];
    action.isPreferred = true;
    return action;
  }

  private reportOf(document: vscode.TextDocument, audit: string): ReportArgs | undefined {
    const file = document.uri.fsPath;
    // A model.json: the finding mirrors an audit of some manifest, or of a proposal for the model.
    const summary = path.basename(file) === MANIFEST_FILE_NAME
      ? this.results.forManifestAudit(file, audit)
      : this.results.all().find((s) => s.audit === audit && s.model !== '' && samePath(s.model, file));
    return summary ? reportArgsOf(summary) : undefined;
  }

  private isUncoveredModel(file: string): boolean {
    const snapshot = this.detector.snapshot();
    const key = pathKey(file);
    return snapshot.models.some((m) => m.auditable && pathKey(m.path) === key) && !coveredModelKeys(snapshot.manifests).has(key);
  }
}
