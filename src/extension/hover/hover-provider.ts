/**
 * Hovers on privacy-audit.json and model.json: over a finding, what it means and what to
 * do (hover-text.ts); over an audit's name, its last result. The diagnostic's own message
 * is shown by VS Code next to it, so it is not repeated.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { MANIFEST_FILE_NAME } from '../../engine/manifest/defaults';
import type { AuditSummary } from '../../shared/protocol';
import { ruleDocPath } from '../../shared/rules';
import { COMMANDS } from '../command-ids';
import { outlineManifest } from '../detection/manifest-outline';
import { findingRef } from '../findings/finding-ref';
import { samePath } from '../paths';
import { reportArgsOf } from '../results/report-args';
import type { ResultsStore } from '../results/results-store';
import { auditHover, findingHover } from './hover-text';

export class FindingHoverProvider implements vscode.HoverProvider {
  constructor(
    private readonly results: ResultsStore,
    private readonly extensionUri: vscode.Uri,
  ) {}

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const blocks: string[] = [];
    let range: vscode.Range | undefined;
    const seen = new Set<string>();
    for (const diagnostic of vscode.languages.getDiagnostics(document.uri)) {
      if (!diagnostic.range.contains(position)) continue;
      const ref = findingRef(diagnostic as vscode.Diagnostic & { data?: unknown });
      if (!ref || seen.has(`${ref.rule}\n${ref.attack ?? ''}`)) continue;
      seen.add(`${ref.rule}\n${ref.attack ?? ''}`);
      const summary = ref.audit !== undefined ? this.summaryOf(document, ref.audit) : undefined;
      blocks.push(findingHover({
        ref,
        ...(summary ? { summary, report: reportArgsOf(summary) } : {}),
        docUri: this.docUri(ruleDocPath(ref.rule)),
      }));
      range = range ? range.union(diagnostic.range) : diagnostic.range;
    }
    if (blocks.length === 0 && isManifest(document)) {
      const offset = document.offsetAt(position);
      const audit = outlineManifest(document.getText()).audits.find((a) => offset >= a.nameOffset && offset <= a.nameOffset + a.nameLength);
      if (audit) {
        blocks.push(auditHover(document.uri.fsPath, audit.name, this.results.forManifestAudit(document.uri.fsPath, audit.name)));
        range = new vscode.Range(document.positionAt(audit.nameOffset), document.positionAt(audit.nameOffset + audit.nameLength));
      }
    }
    if (blocks.length === 0) return undefined;
    return new vscode.Hover(blocks.map(trusted), range);
  }

  private summaryOf(document: vscode.TextDocument, audit: string): AuditSummary | undefined {
    const file = document.uri.fsPath;
    if (isManifest(document)) return this.results.forManifestAudit(file, audit);
    return this.results.all().find((s) => s.audit === audit && s.model !== '' && samePath(s.model, file));
  }

  /** docs/rules.md#<rule> inside the installed extension. */
  private docUri(relative: string): string {
    const [file = '', fragment = ''] = relative.split('#');
    return vscode.Uri.joinPath(this.extensionUri, file).with({ fragment }).toString();
  }
}

function isManifest(document: vscode.TextDocument): boolean {
  return path.basename(document.uri.fsPath) === MANIFEST_FILE_NAME;
}

function trusted(markdown: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(markdown);
  // Only our own commands, with arguments we built; never arbitrary links from content.
  md.isTrusted = { enabledCommands: [COMMANDS.openReport, COMMANDS.audit] };
  return md;
}
