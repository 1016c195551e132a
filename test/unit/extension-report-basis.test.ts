/** The report webview's verdict-basis line: a preliminary banner, then what the final verdict rests on. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basisText, preliminaryText } from '../../webview/src/basis-text';
import type { AuditResult } from '../../src/engine/report/schema';

const THRESHOLD = ['loss-threshold', 'loss-threshold-per-class'];
const result = (extra: Partial<AuditResult>) => ({ name: 'mlp', attacks: [], ...extra }) as unknown as AuditResult;

test('a preliminary result says so and names the attacks still running; no basis line then', () => {
  const preliminary = result({ preliminary: true, basis: { attacks: THRESHOLD, referenceAttacks: [], thresholdOnly: true, pending: ['rmia', 'lira-offline'] } });
  assert.equal(
    preliminaryText(preliminary),
    'Preliminary: this verdict rests on the threshold attacks only. The shadow-model attacks (rmia, lira-offline) decide the final verdict; this report updates when they finish (a cancelled audit keeps this preliminary result until it is run again).',
  );
  assert.equal(basisText(preliminary), undefined);
});

test('a final result names its attacks and reference models, or says it rests on threshold attacks alone', () => {
  const strong = result({ basis: { attacks: [...THRESHOLD, 'rmia', 'lira-offline-fixed'], referenceAttacks: ['rmia', 'lira-offline-fixed'], thresholdOnly: false, referenceModels: 8 } });
  assert.equal(preliminaryText(strong), undefined);
  assert.equal(basisText(strong), 'Verdict from 4 attacks, 2 of them with reference models (rmia, lira-offline-fixed) on 8 reference models.');
  const weak = result({ basis: { attacks: THRESHOLD, referenceAttacks: [], thresholdOnly: true, reason: 'no-population' } });
  assert.equal(basisText(weak), 'Verdict from threshold attacks only (loss-threshold, loss-threshold-per-class), which are near chance at low FPR; see the threshold-only-audit finding.');
  assert.equal(basisText(result({})), undefined, 'reports written before the basis existed show no line');
});
