import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CSV_HEADER, auditCsv, auditJson, csvCell, exportFileName } from '../../webview/src/export';
import { sampleReport } from './report-sample';

/** Splits CSV text into rows of cells, honouring RFC 4180 quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  assert.equal(cell, '', 'text ends with a newline');
  return rows;
}

test('the CSV has the documented header and one row per ROC point and operating point', () => {
  const audit = sampleReport().audits[0];
  const rows = parseCsv(auditCsv(audit));
  assert.deepEqual(rows[0], [...CSV_HEADER]);
  assert.equal(rows[0].join(','), 'audit,attack,auc,advantage,ppv,members,non_members,kind,target_fpr,fpr,tpr,tpr_ci_lower,tpr_ci_upper,threshold,measurable');
  const rocPoints = audit.attacks.reduce((n, a) => n + a.metrics.roc.length, 0);
  assert.equal(rows.length, 1 + rocPoints + 3 * audit.attacks.length);
  for (const r of rows) assert.equal(r.length, CSV_HEADER.length);
});

test('CSV rows carry the ROC points and the operating points with intervals', () => {
  const rows = parseCsv(auditCsv(sampleReport().audits[0]));
  const col = (name: (typeof CSV_HEADER)[number]) => CSV_HEADER.indexOf(name);
  assert.deepEqual(rows[3], ['tabular', 'loss-threshold', '0.8', '0.3', '0.71', '1000', '500', 'roc', '', '0.002', '0.1', '', '', '', '']);
  const op = rows.filter((r) => r[col('attack')] === 'loss-threshold' && r[col('kind')] === 'tpr_at_fpr');
  assert.deepEqual(op.map((r) => r[col('target_fpr')]), ['0.01', '0.001', '0.0001']);
  assert.deepEqual(op[0].slice(col('fpr')), ['0.008', '0.2', '0.18', '0.22', '1.5', 'true']);
  assert.equal(op[2][col('measurable')], 'false', '0.01% cannot be measured with 500 non-members');
  assert.equal(op[2][col('threshold')], 'Infinity');
});

test('a threshold lost to JSON (null) becomes an empty cell', () => {
  const roundTripped = JSON.parse(JSON.stringify(sampleReport())) as ReturnType<typeof sampleReport>;
  const rows = parseCsv(auditCsv(roundTripped.audits[0]));
  const last = rows.find((r) => r[1] === 'loss-threshold' && r[8] === '0.0001');
  assert.ok(last);
  assert.equal(last[13], '');
});

test('text cells are quoted and defused against spreadsheet formulas', () => {
  const rows = parseCsv(auditCsv(sampleReport().audits[0]));
  const odd = rows.find((r) => r[1].includes('calibrated'));
  assert.ok(odd);
  assert.equal(odd[1], `'=calibrated, "odd" name`);
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvCell(-0.5), '-0.5', 'negative numbers are not text');
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(Number.NaN), '');
});

test('the JSON export holds the audit, its attacks metrics and provenance', () => {
  const report = sampleReport();
  const parsed = JSON.parse(auditJson(report, report.audits[0]));
  assert.equal(parsed.audit, 'tabular');
  assert.equal(parsed.schemaVersion, '1.0.0');
  assert.equal(parsed.backend, 'wasm');
  assert.equal(parsed.members, 1000);
  assert.deepEqual(parsed.attacks.map((a: { id: string }) => a.id), ['loss-threshold', '=calibrated, "odd" name']);
  assert.deepEqual(parsed.attacks[0].metrics.roc, report.audits[0].attacks[0].metrics.roc);
  assert.equal(parsed.attacks[1].epsilonLowerBound.epsilon, 1.25);
  assert.equal(parsed.attacks[0].histogram, undefined, 'only ROC and metrics, not the whole result');
});

test('export file names are reduced to safe characters', () => {
  assert.equal(exportFileName('tabular', 'roc'), 'privacy-tabular-roc');
  assert.equal(exportFileName('../../etc/x y', 'roc'), 'privacy-..-..-etc-x-y-roc');
});
