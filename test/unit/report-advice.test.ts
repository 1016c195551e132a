/**
 * The text and HTML reports say what to do once per rule that occurs (RULES[rule].help,
 * which only SARIF carried before), and print attack scores of the most exposed records
 * readably: a negated loss of 1e-5 used to show as "(-0.000)".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { RULES } from '../../src/shared/rules';
import { toHtml, toText, type AuditReport } from '../../src/engine/report';
import { rulesToAct, score } from '../../src/engine/report/format';

const FIXTURE = path.join(__dirname, '../fixtures/reports/sample-report.json');

function sample(): AuditReport {
  return JSON.parse(readFileSync(FIXTURE, 'utf8')) as AuditReport;
}

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

test('rulesToAct lists each occurring rule once, most severe first', () => {
  const report = sample();
  const rules = rulesToAct(report.findings);
  // The fixture raises vulnerable-class twice; it is advised once.
  assert.equal(report.findings.filter((f) => f.rule === 'vulnerable-class').length, 2, 'fixture has a repeated rule');
  assert.deepEqual(new Set(rules), new Set(report.findings.map((f) => f.rule)), 'every occurring rule is listed');
  assert.equal(rules.length, new Set(rules).size, 'no rule twice');
  assert.deepEqual(rules.slice(0, 2), ['membership-risk', 'unsafe-artifact'], 'the high findings come first');
});

test('the text report carries each occurring rule\'s help exactly once', () => {
  const report = sample();
  const text = toText(report);
  const section = text.slice(text.indexOf('== What to do =='));
  assert.ok(section.startsWith('== What to do =='), 'has a "What to do" section');
  for (const rule of new Set(report.findings.map((f) => f.rule))) {
    assert.equal(count(text, RULES[rule].help), 1, `help of ${rule} appears once`);
  }
  assert.equal(count(text, RULES['epsilon-claim'].help), 0, 'a rule that does not occur is not advised');
  assert.ok(!toText({ ...report, findings: [] }).includes('What to do'), 'no section without findings');
});

test('the HTML report carries each occurring rule\'s help exactly once', () => {
  const report = sample();
  const page = toHtml(report);
  assert.ok(page.includes('<h2>What to do</h2>'), 'has a "What to do" section');
  for (const rule of new Set(report.findings.map((f) => f.rule))) {
    // The html tag escapes apostrophes and quotes; compare with the escaped help.
    const escaped = RULES[rule].help.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
    assert.equal(count(page, escaped), 1, `help of ${rule} appears once`);
  }
  assert.ok(!toHtml({ ...report, findings: [] }).includes('What to do'), 'no section without findings');
});

test('score() keeps three significant digits at every scale', () => {
  assert.equal(score(-0.0000123456), '-1.23e-5');
  assert.equal(score(-0.0004), '-4.00e-4');
  assert.equal(score(4.8949), '4.89');
  assert.equal(score(-0.0123), '-0.0123');
  assert.equal(score(1234.5), '1230');
  assert.equal(score(2.5e7), '2.50e+7');
  assert.equal(score(0), '0');
  assert.equal(score(-0), '0');
  assert.equal(score(Number.NaN), 'n/a');
  // Distinct near-zero losses stay distinct, as the ranking they come from.
  const shown = [-1.1e-6, -2.3e-6, -4.9e-5].map(score);
  assert.equal(new Set(shown).size, 3, `${shown.join(', ')} are told apart`);
});

test('the HTML report shows near-zero record scores readably, not as -0.000', () => {
  const report = sample();
  const attack = report.audits[0]!.attacks[0]!;
  attack.mostVulnerable = [
    { index: 17, score: -0.0000123 },
    { index: 4, score: -0.0000456 },
  ];
  const page = toHtml(report);
  assert.ok(!page.includes('-0.000)'), 'no "-0.000" score');
  assert.ok(page.includes('#17</span> <span class="muted">(-1.23e-5)</span>'), 'first record with 3 significant digits');
  assert.ok(page.includes('#4</span> <span class="muted">(-4.56e-5)</span>'), 'second record with 3 significant digits');
});
