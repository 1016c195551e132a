import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { DiagnosticSeverity, type Range } from 'vscode-languageserver';
import type { AuditReport, Finding, TextRange } from '../../src/engine/report/schema';
import { reportDiagnostics, STALE_PREFIX } from '../../src/server/diagnostics';
import { modelTopologyKeyRange } from '../../src/server/model-topology';
import { pathKey, pathToUri } from '../../src/server/uris';

const root = path.resolve('/ws/project');
const manifest = path.join(root, 'privacy-audit.json');
const model = path.join(root, 'model', 'model.json');

function range(line: number, start: number, end: number): TextRange {
  return { start: { line, character: start }, end: { line, character: end }, offset: 100 + start, length: end - start };
}

function finding(partial: Partial<Finding> & Pick<Finding, 'rule' | 'severity'>): Finding {
  return { message: `${partial.rule} message`, location: { file: 'privacy-audit.json', range: range(3, 4, 20) }, related: [], ...partial };
}

function report(findings: Finding[]): AuditReport {
  return {
    schemaVersion: '1.0.0', tool: { name: 'privacy-lint', version: '0.1.0' }, createdAt: '2024-01-01T00:00:00.000Z', backend: 'cpu',
    manifest: 'privacy-audit.json', root,
    audits: [{
      name: 'mnist', model: 'model/model.json', attacks: [], errors: [], durationMs: 1, accuracy: { members: 1, nonMembers: 0.5 },
      members: { file: 'data/train.csv', count: 10, featureShape: [4], classCounts: [5, 5] },
      nonMembers: { file: 'data/test.csv', count: 10, featureShape: [4], classCounts: [5, 5] },
    }],
    findings,
  };
}

const only = (map: ReturnType<typeof reportDiagnostics>, file: string) => map.get(pathKey(file))?.diagnostics ?? [];

test('severity maps high/medium/low/info to Error/Warning/Information/Hint', () => {
  const severities = ['high', 'medium', 'low', 'info'] as const;
  const map = reportDiagnostics(report(severities.map((severity) => finding({ rule: 'member-overlap', severity }))));
  assert.deepEqual(only(map, manifest).map((d) => d.severity), [
    DiagnosticSeverity.Error, DiagnosticSeverity.Warning, DiagnosticSeverity.Information, DiagnosticSeverity.Hint,
  ]);
});

test('code is the rule name, href the rule doc under docsBaseUri, source and data identify the finding', () => {
  const map = reportDiagnostics(report([finding({ rule: 'member-overlap', severity: 'medium', audit: 'mnist', attack: 'loss-threshold' })]), {
    docsBaseUri: 'file:///ext/model-privacy',
  });
  const [d] = only(map, manifest);
  assert.equal(d!.code, 'member-overlap');
  assert.equal(d!.source, 'model-privacy');
  assert.equal(d!.codeDescription?.href, 'file:///ext/model-privacy/docs/rules.md#member-overlap');
  assert.deepEqual(d!.data, { rule: 'member-overlap', audit: 'mnist', attack: 'loss-threshold' });
  assert.deepEqual(d!.range, { start: { line: 3, character: 4 }, end: { line: 3, character: 20 } });
  const noDocs = only(reportDiagnostics(report([finding({ rule: 'member-overlap', severity: 'low' })])), manifest)[0];
  assert.equal(noDocs!.codeDescription, undefined, 'no link without a docs base');
});

test('a finding without a range covers the whole first line of its file', () => {
  const map = reportDiagnostics(report([finding({ rule: 'unsafe-artifact', severity: 'high', location: { file: 'model/weights.pkl' } })]));
  const [d] = only(map, path.join(root, 'model', 'weights.pkl'));
  assert.deepEqual(d!.range, { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } });
});

test('related files become file URIs resolved against the report root', () => {
  const map = reportDiagnostics(report([finding({
    rule: 'member-overlap', severity: 'medium', related: [{ file: 'data/train.csv', message: 'members' }, { file: '../shared/test.csv', message: 'non-members' }],
  })]));
  const related = only(map, manifest)[0]!.relatedInformation!;
  assert.deepEqual(related.map((r) => r.location.uri), [pathToUri(path.join(root, 'data', 'train.csv')), pathToUri(path.resolve(root, '..', 'shared', 'test.csv'))]);
  assert.deepEqual(related.map((r) => r.message), ['members', 'non-members']);
  assert.match(related[0]!.location.uri, /^file:\/\/\/(.*\/)?ws\/project\/data\/train\.csv$/);
});

test('membership-risk and generalization-gap are mirrored onto model.json at its modelTopology key', () => {
  const topology: Range = { start: { line: 0, character: 38 }, end: { line: 0, character: 53 } };
  const asked: string[] = [];
  const map = reportDiagnostics(report([
    finding({ rule: 'membership-risk', severity: 'high', audit: 'mnist', attack: 'loss-threshold' }),
    finding({ rule: 'generalization-gap', severity: 'medium', audit: 'mnist' }),
    finding({ rule: 'member-overlap', severity: 'medium', audit: 'mnist' }),
  ]), { modelTopologyRange: (f) => (asked.push(f), topology) });
  const mirrored = only(map, model);
  assert.deepEqual(mirrored.map((d) => d.code), ['membership-risk', 'generalization-gap']);
  assert.ok(mirrored.every((d) => d.range === topology || JSON.stringify(d.range) === JSON.stringify(topology)));
  assert.deepEqual(asked, [model, model]);
  assert.match(mirrored[0]!.message, /^audit "mnist": membership-risk message$/);
  // The mirror points back at the finding's place in the manifest.
  assert.equal(mirrored[0]!.relatedInformation![0]!.location.uri, pathToUri(manifest));
  assert.deepEqual(mirrored[0]!.relatedInformation![0]!.location.range, { start: { line: 3, character: 4 }, end: { line: 3, character: 20 } });
  assert.equal(only(map, manifest).length, 3, 'the originals stay on the manifest');
});

test('no mirror when the finding already sits on the model (proposed manifest); it takes the topology key', () => {
  const topology: Range = { start: { line: 2, character: 2 }, end: { line: 2, character: 17 } };
  const map = reportDiagnostics(report([
    finding({ rule: 'membership-risk', severity: 'high', audit: 'mnist', location: { file: 'model/model.json' } }),
    finding({ rule: 'member-overlap', severity: 'medium', audit: 'mnist', location: { file: 'model/model.json' } }),
  ]), { modelTopologyRange: () => topology });
  assert.deepEqual(only(map, model).map((d) => [d.code, d.range]), [['membership-risk', topology], ['member-overlap', topology]]);
});

test('stale audits: message prefixed, severity at most Information, others untouched', () => {
  const r = report([
    finding({ rule: 'membership-risk', severity: 'high', audit: 'mnist' }),
    finding({ rule: 'vulnerable-class', severity: 'info', audit: 'mnist' }),
    finding({ rule: 'membership-risk', severity: 'high', audit: 'other' }),
  ]);
  const ds = only(reportDiagnostics(r, { staleAudits: new Set(['mnist']) }), manifest);
  assert.equal(ds[0]!.severity, DiagnosticSeverity.Information);
  assert.ok(ds[0]!.message.startsWith(STALE_PREFIX));
  assert.equal(ds[1]!.severity, DiagnosticSeverity.Hint, 'a hint stays a hint');
  assert.equal(ds[2]!.severity, DiagnosticSeverity.Error);
  assert.ok(!ds[2]!.message.startsWith(STALE_PREFIX));
});

test('manifest problems can be left to live validation; data errors of an audit stay', () => {
  const r = report([
    finding({ rule: 'invalid-input', severity: 'low', message: 'unknown property "foo"' }),
    finding({ rule: 'invalid-input', severity: 'high', audit: 'mnist', message: 'data/test.csv:2:3: not a number' }),
  ]);
  assert.equal(only(reportDiagnostics(r), manifest).length, 2);
  const kept = only(reportDiagnostics(r, { skipManifestProblems: true }), manifest);
  assert.deepEqual(kept.map((d) => d.message), ['data/test.csv:2:3: not a number']);
});

test('modelTopologyKeyRange finds the top-level key, quotes included, on any line', () => {
  const text = '{\n  "format": "layers-model",\n  "weightsManifest": [{"modelTopology": 1}],\n  "modelTopology": {"class_name": "Sequential"}\n}';
  assert.deepEqual(modelTopologyKeyRange(text), { start: { line: 3, character: 2 }, end: { line: 3, character: 17 } });
  assert.equal(modelTopologyKeyRange('{"weightsManifest": []}'), undefined);
  assert.equal(modelTopologyKeyRange('not json'), undefined);
});
