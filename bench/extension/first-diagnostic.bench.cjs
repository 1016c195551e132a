// Time from issuing "Audit membership risk" on the example's manifest to the first
// finding in the Problems data (vscode.languages diagnostics), engine start included.
// The host is fresh and its result cache empty, so no earlier result can answer. The
// engine that activation started is restarted; the audit is issued the moment the old
// process is gone and the new one is starting, so the measured time covers spawning the
// engine, loading the model and data, the manifest's threshold attacks and publishing.
// The example runs the default attacks: the first findings are the threshold attacks'
// preliminary verdict; the final one (RMIA and LiRA on 8 reference models) is timed too.
'use strict';

const assert = require('node:assert/strict');
const { performance } = require('node:perf_hooks');
const vscode = require('vscode');
const { activeWithEngine, api, codeOf, manifestUri, ourDiagnostics, recordResult, round, waitFor } = require('./host.cjs');

describe('first diagnostic after "Audit membership risk" (cold engine)', () => {
  before(async function () {
    this.timeout(180_000);
    await activeWithEngine();
  });

  it('restarts the engine, audits the manifest and times the first finding', async function () {
    this.timeout(300_000);
    const manifest = manifestUri();
    const model = vscode.Uri.joinPath(manifest, '..', 'model', 'model.json');
    assert.deepEqual(ourDiagnostics(manifest), [], 'findings before any audit: the result cache was not empty');

    let first;
    let rmia;
    const subscription = vscode.languages.onDidChangeDiagnostics((event) => {
      for (const uri of event.uris) {
        if (uri.fsPath !== manifest.fsPath && uri.fsPath !== model.fsPath) continue;
        const found = ourDiagnostics(uri);
        if (!first && found.length) {
          first = { at: performance.now(), file: uri.fsPath, code: codeOf(found[0]), preliminary: found.some((d) => codeOf(d) === 'threshold-only-audit' || d.message.startsWith('[preliminary')) };
        }
        // The final verdict's high finding from the shadow-model attack.
        const high = found.find((d) => codeOf(d) === 'membership-risk' && d.message.startsWith('rmia: ') && d.severity === vscode.DiagnosticSeverity.Error);
        if (!rmia && high) rmia = { at: performance.now() };
      }
    });
    try {
      const restarting = vscode.commands.executeCommand('modelPrivacy.restartEngine');
      // Polled every millisecond: the old engine has been shut down once the state leaves 'running'.
      await waitFor('the old engine to stop', () => api().engineLifecycle() !== 'running', 60_000, 1);
      const issued = performance.now();
      const auditing = vscode.commands.executeCommand('modelPrivacy.audit', manifest);
      const running = waitFor('the new engine to run', () => api().engineLifecycle() === 'running', 120_000, 5).then(() => performance.now());
      const outcome = await auditing;
      const completed = performance.now();
      await restarting;
      const engineRunningAt = await running;

      assert.ok(outcome, 'the audit returned no outcome');
      assert.deepEqual(outcome.errors, []);
      assert.deepEqual(outcome.fromCache, [], 'answered from the cache: not a real audit');
      // Findings are published as notifications, which can arrive after the response.
      await waitFor('the first finding to be published', () => first !== undefined, 60_000, 5);
      await waitFor('the final high finding from rmia', () => rmia !== undefined, 60_000, 5);
      recordResult({
        firstDiagnosticMs: round(first.at - issued),
        firstDiagnosticCode: first.code,
        firstDiagnosticPreliminary: first.preliminary,
        finalRmiaDiagnosticMs: round(rmia.at - issued),
        engineStartMs: round(engineRunningAt - issued),
        auditCommandMs: round(completed - issued),
        bestAttack: outcome.summaries[0] && outcome.summaries[0].bestAttack,
      });
    } finally {
      subscription.dispose();
    }
  });
});
