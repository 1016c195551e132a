import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAuditReport, isHostToWebviewMessage, isReportViewState, isWebviewToHostMessage } from '../../src/extension/report/messages';
import { decodePngDataUrl, safeExportFileName } from '../../src/extension/report/export-payload';
import { sampleReport } from './report-sample';

test('host messages must carry a report-shaped report', () => {
  const report = sampleReport();
  assert.equal(isHostToWebviewMessage({ type: 'report', report }), true);
  assert.equal(isHostToWebviewMessage({ type: 'report', report, audit: 'tabular' }), true);
  assert.equal(isHostToWebviewMessage({ type: 'report', report, audit: 3 }), false);
  assert.equal(isHostToWebviewMessage({ type: 'report', report: { audits: 'no' } }), false);
  assert.equal(isHostToWebviewMessage({ type: 'other', report }), false);
  assert.equal(isAuditReport({ ...report, audits: [{ name: 'a', attacks: [{ id: 'x' }] }] }), false, 'attack without metrics');
});

test('webview messages are accepted only with the fields the host uses', () => {
  assert.equal(isWebviewToHostMessage({ type: 'ready' }), true);
  assert.equal(isWebviewToHostMessage({ type: 'savePng', fileName: 'a.png', dataUrl: 'data:image/png;base64,' }), true);
  assert.equal(isWebviewToHostMessage({ type: 'savePng', fileName: 'a.png' }), false);
  assert.equal(isWebviewToHostMessage({ type: 'saveText', format: 'csv', fileName: 'a', content: '' }), true);
  assert.equal(isWebviewToHostMessage({ type: 'saveText', format: 'exe', fileName: 'a', content: '' }), false);
  assert.equal(isWebviewToHostMessage(null), false);
  assert.equal(isWebviewToHostMessage(['ready']), false);
});

test('restored state is checked before use', () => {
  const report = sampleReport();
  assert.equal(isReportViewState({ report, audit: 'tabular', attack: 'loss-threshold' }), true);
  assert.equal(isReportViewState({ report }), true);
  assert.equal(isReportViewState({ report: {} }), false);
  assert.equal(isReportViewState(undefined), false);
  assert.equal(isReportViewState({ report, audit: 1 }), false);
});

const PNG_1X1 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

test('a PNG data URL decodes to PNG bytes', () => {
  const bytes = decodePngDataUrl(`data:image/png;base64,${PNG_1X1}`);
  assert.deepEqual([...bytes.slice(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(bytes.length, Buffer.from(PNG_1X1, 'base64').length);
});

test('anything but a base64 PNG is refused', () => {
  assert.throws(() => decodePngDataUrl(`data:image/svg+xml;base64,${PNG_1X1}`), /not a PNG data URL/);
  assert.throws(() => decodePngDataUrl('data:image/png;base64,@@@'), /not valid base64/);
  assert.throws(() => decodePngDataUrl(`data:image/png;base64,${Buffer.from('GIF89a-not-png').toString('base64')}`), /PNG signature/);
});

test('suggested file names stay one safe segment with the right extension', () => {
  assert.equal(safeExportFileName('privacy-tabular-roc.png', 'png'), 'privacy-tabular-roc.png');
  assert.equal(safeExportFileName('../../.ssh/authorized_keys', 'csv'), 'ssh-authorized_keys.csv');
  assert.equal(safeExportFileName('report.exe', 'json'), 'report.json');
  assert.equal(safeExportFileName('///', 'png'), 'privacy-report.png');
});
