/** The findings tree's structure, and reading our diagnostics back (rule, audit, attack). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { AuditSummary } from '../../src/shared/protocol';
import type { DetectionSnapshot } from '../../src/extension/detection/detected';
import { codeText, findingRef } from '../../src/extension/findings/finding-ref';
import { auditHover, findingHover } from '../../src/extension/hover/hover-text';
import { reportArgsForNode } from '../../src/extension/results/report-args';
import { buildTree, OTHER_FINDINGS_GROUP, UNMANIFESTED_GROUP, type AuditNode, type FindingRecord, type GroupNode, type ManifestNode, type ModelNode } from '../../src/extension/tree/tree-model';
import { RULES } from '../../src/shared/rules';
import { escapeMarkdown } from '../../src/extension/status-text';

const ws = path.resolve('/ws');
const p = (rel: string) => path.join(ws, rel);
const manifestPath = p('privacy-audit.json');

const snapshot: DetectionSnapshot = {
  done: true,
  manifests: [{
    path: manifestPath,
    uri: 'file:///ws/privacy-audit.json',
    outline: { incomplete: false, audits: [
      { name: 'mlp', model: 'model/model.json', nameOffset: 10, nameLength: 6 },
      { name: 'cnn', model: 'cnn/model.json', nameOffset: 90, nameLength: 6 },
    ] },
  }],
  models: [
    { path: p('model/model.json'), uri: 'file:///ws/model/model.json', format: 'tfjs', auditable: true, unsafe: false },
    { path: p('loose/model.json'), uri: 'file:///ws/loose/model.json', format: 'tfjs', auditable: true, unsafe: false },
    { path: p('old/clf.pkl'), uri: 'file:///ws/old/clf.pkl', format: 'pickle', auditable: false, unsafe: true },
  ],
  datasets: [],
};

const mlp: AuditSummary = { reportKey: manifestPath, manifest: manifestPath, audit: 'mlp', model: p('model/model.json'), bestAttack: 'loss-threshold', auc: 0.611, tprAt01pctFpr: 0.0005, severity: 'medium', findings: 2, stale: true };
// Audited without a manifest: filed under the folder the manifest was proposed for.
const loose: AuditSummary = { reportKey: p('loose'), audit: 'loose', model: p('loose/model.json'), auc: 0.52, tprAt01pctFpr: 0, findings: 0, stale: false };

const finding = (rel: string, f: Partial<FindingRecord>): FindingRecord => ({
  path: p(rel), uri: `file:///ws/${rel}`, rule: 'membership-risk', message: 'm', level: 1, line: 0, character: 0, ...f,
});

test('manifests -> audits (with results) -> findings; uncovered models apart; mirrored findings once', () => {
  const findings: FindingRecord[] = [
    finding('privacy-audit.json', { audit: 'mlp', attack: 'loss-threshold', line: 17, message: 'loss-threshold: AUC 0.611 exceeds 0.6' }),
    finding('privacy-audit.json', { rule: 'generalization-gap', audit: 'mlp', line: 6, message: 'gap' }),
    finding('privacy-audit.json', { rule: 'invalid-input', level: 0, line: 2, message: 'unknown key' }),
    // Mirrored on the covered model: shown under the audit already.
    finding('model/model.json', { audit: 'mlp', message: 'audit "mlp": mirror' }),
    finding('loose/model.json', { audit: 'loose', message: 'loose finding' }),
    finding('data/broken.csv', { rule: 'invalid-input', audit: 'cnn', message: 'row 3: not a number' }),
    finding('elsewhere/x.csv', { rule: 'invalid-input', audit: 'nope', message: 'orphan' }),
  ];
  const roots = buildTree({ snapshot, summaries: [mlp, loose], findings, relative: (f) => path.relative(ws, f) });
  assert.deepEqual(roots.map((r) => r.label), ['privacy-audit.json', UNMANIFESTED_GROUP, OTHER_FINDINGS_GROUP]);

  const manifest = roots[0] as ManifestNode;
  assert.equal(manifest.description, '2 audits');
  assert.deepEqual(manifest.children.map((c) => `${c.kind}:${c.label}`), ['finding:unknown key', 'audit:mlp', 'audit:cnn']);
  const [, audit, cnn] = manifest.children as [unknown, AuditNode, AuditNode];
  assert.equal(audit.description, 'AUC 0.61 · TPR@0.1% 0.05% · stale');
  assert.equal(audit.model, p('model/model.json'));
  assert.deepEqual(audit.children.map((c) => c.label), ['gap', 'loss-threshold: AUC 0.611 exceeds 0.6']);
  assert.equal(audit.children[1]!.description, 'membership-risk · Ln 18');
  assert.equal(cnn.description, 'not audited yet');
  assert.deepEqual(cnn.children.map((c) => c.label), ['row 3: not a number']);

  const group = roots[1] as GroupNode;
  assert.deepEqual(group.children.map((c) => c.label), ['loose/model.json', 'old/clf.pkl']);
  const [looseNode, pickle] = group.children as [ModelNode, ModelNode];
  assert.equal(looseNode.description, 'AUC 0.52 · TPR@0.1% 0%');
  assert.deepEqual(looseNode.children.map((c) => c.label), ['loose finding']);
  assert.equal(pickle.description, 'pickle · unsafe to load, never loaded');
  assert.deepEqual((roots[2] as GroupNode).children.map((c) => c.label), ['orphan']);

  const all = JSON.stringify(roots);
  assert.ok(!all.includes('audit \\"mlp\\": mirror'), 'the mirrored model.json finding is not listed twice');
});

test('node ids are unique, and the same when the tree is rebuilt', () => {
  const ids = () => {
    const out: string[] = [];
    const walk = (nodes: readonly { id: string; children?: readonly unknown[] }[]): void => nodes.forEach((n) => {
      out.push(n.id);
      walk((n.children ?? []) as { id: string }[]);
    });
    walk(buildTree({ snapshot, summaries: [mlp], findings: [finding('privacy-audit.json', { audit: 'mlp' })], relative: (f) => f }));
    return out;
  };
  const first = ids();
  assert.equal(new Set(first).size, first.length);
  assert.deepEqual(ids(), first);
});

test('an empty manifest says so', () => {
  const roots = buildTree({ snapshot: { ...snapshot, models: [], manifests: [{ ...snapshot.manifests[0]!, outline: { audits: [], incomplete: true } }] }, summaries: [], findings: [], relative: (f) => f });
  assert.equal((roots[0] as ManifestNode).description, 'no audits yet');
});

test('our diagnostics read back: rule from data or code (plain or {value}), audit and attack', () => {
  assert.deepEqual(findingRef({ source: 'model-privacy', code: { value: 'membership-risk', target: 'file:///x' }, data: { rule: 'membership-risk', audit: 'mlp', attack: 'loss-threshold' } }), {
    rule: 'membership-risk', audit: 'mlp', attack: 'loss-threshold',
  });
  assert.deepEqual(findingRef({ source: 'model-privacy', code: 'generalization-gap' }), { rule: 'generalization-gap' });
  assert.equal(findingRef({ source: 'json', code: 'membership-risk' }), undefined);
  assert.equal(findingRef({ source: 'model-privacy', code: 'no-such-rule' }), undefined);
  assert.equal(findingRef({ source: 'model-privacy', code: 'toString' }), undefined);
  assert.equal(codeText(42), '42');
});

test('hovers explain the rule in plain words with the measured numbers and escaped values', () => {
  const md = findingHover({
    ref: { rule: 'membership-risk', audit: 'mlp', attack: 'loss-threshold' },
    summary: { ...mlp, stale: false },
    report: { reportKey: manifestPath, audit: 'mlp' },
    docUri: 'file:///ext/docs/rules.md#membership-risk',
  });
  assert.ok(md.startsWith('**membership\\-risk** (MPL001)'));
  assert.ok(md.includes(escapeMarkdown(RULES['membership-risk'].help)));
  assert.match(md, /Measured: strongest attack `loss-threshold`: AUC 0\\\.611 · TPR@0\\\.1% FPR 0\\\.05%; medium risk, 2 findings\./);
  const open = md.match(/\[Open report\]\(command:modelPrivacy\.openReport\?([^)]+)\)/);
  assert.ok(open, md);
  assert.deepEqual(JSON.parse(decodeURIComponent(open[1]!)), [{ reportKey: manifestPath, audit: 'mlp' }]);
  assert.ok(md.includes('[Rule documentation](file:///ext/docs/rules.md#membership-risk)'));

  const preliminary = findingHover({ ref: { rule: 'membership-risk', audit: 'mlp', attack: 'loss-threshold' }, summary: { ...mlp, stale: false, preliminary: true } });
  assert.match(preliminary, /2 findings\. \*\(preliminary: threshold attacks only; the shadow-model attacks decide the final verdict\)\*/);
  assert.ok(!md.includes('preliminary'), 'a final result is not marked');

  const bare = findingHover({ ref: { rule: 'invalid-input' } });
  assert.ok(!bare.includes('Open report') && !bare.includes('Measured'));

  const name = auditHover(manifestPath, 'a](command:evil)', undefined);
  assert.ok(!name.includes('](command:evil)'), 'an audit name cannot inject a link');
  assert.match(name, /Not audited yet/);
});

test('a tree node opens the report its summary names (reportKey from the engine); without one, there is none to guess', () => {
  const summaries = [mlp, loose];
  const roots = buildTree({
    snapshot,
    summaries,
    findings: [finding('loose/model.json', { audit: 'loose', message: 'loose finding' }), finding('privacy-audit.json', { audit: 'mlp' })],
    relative: (f) => path.relative(ws, f),
  });
  const manifest = roots[0] as ManifestNode;
  const [mlpNode, cnnNode] = manifest.children.filter((c): c is AuditNode => c.kind === 'audit') as [AuditNode, AuditNode];
  const looseNode = (roots[1] as GroupNode).children[0] as ModelNode;
  const pickle = (roots[1] as GroupNode).children[1] as ModelNode;

  assert.deepEqual(reportArgsForNode(mlpNode, summaries), { reportKey: manifestPath, audit: 'mlp' });
  assert.deepEqual(reportArgsForNode(looseNode, summaries), { reportKey: p('loose'), audit: 'loose' }, 'not the workspace folder');
  assert.deepEqual(reportArgsForNode(looseNode.children[0]!, summaries), { reportKey: p('loose'), audit: 'loose' });
  assert.deepEqual(reportArgsForNode(mlpNode.children[0]!, summaries), { reportKey: manifestPath, audit: 'mlp' });
  assert.deepEqual(reportArgsForNode(manifest, summaries), { reportKey: manifestPath });
  // No result yet: the audit's own manifest, so "no results yet" can offer to run it.
  assert.deepEqual(reportArgsForNode(cnnNode, summaries), { reportKey: manifestPath, audit: 'cnn' });
  assert.equal(reportArgsForNode(pickle, summaries), undefined);
  assert.equal(reportArgsForNode(roots[1]!, summaries), undefined);

  // Two manifests with an audit of the same name: a finding opens the report of its own file's audit.
  const other: AuditSummary = { ...mlp, reportKey: p('b/privacy-audit.json'), manifest: p('b/privacy-audit.json'), model: p('b/model.json') };
  const onB = { kind: 'finding' as const, id: 'f', label: 'm', description: '', finding: finding('b/model.json', { audit: 'mlp' }) };
  assert.deepEqual(reportArgsForNode(onB, [mlp, other]), { reportKey: p('b/privacy-audit.json'), audit: 'mlp' });
});
