import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { REPORTED_FPRS } from '../../src/engine/metrics/types';
import { RULES, type Severity } from '../../src/shared/rules';
import {
  renderReport,
  REPORT_FILE_NAMES,
  ROC_AXIS_FLOOR,
  SRCROOT,
  toHtml,
  toJson,
  toSarif,
  toText,
  writeReports,
  type AuditReport,
  type SarifLog,
} from '../../src/engine/report';
import { fingerprint } from '../../src/engine/report/sarif';
import { absolutePathToFileUri, relativePathToUri } from '../../src/engine/report/sarif-uri';
import { rocPathData, xOf, yOf } from '../../src/engine/report/svg-roc';
import { fprLabel, percent } from '../../src/engine/report/format';

const FIXTURE = path.join(__dirname, '../fixtures/reports/sample-report.json');
const SARIF_SCHEMA = path.join(__dirname, '../fixtures/schemas/sarif-schema-2.1.0.json');

/**
 * assert.ok without a message hangs when it fails here (Node 20 re-reads the tsx-compiled
 * source to build one), so every check in this file carries its own message.
 */
function assertIncludes(haystack: string, needle: string): void {
  assert.ok(haystack.includes(needle), `expected to find: ${needle}`);
}

function sample(): AuditReport {
  return JSON.parse(readFileSync(FIXTURE, 'utf8')) as AuditReport;
}

/**
 * Validator for the official SARIF 2.1.0 schema (2020-12 dialect). Two adjustments, both
 * for defects of the upstream file, not of our output: its `language` pattern uses the
 * .NET inline flag `(?i)`, which JavaScript regexes reject, so it is compiled with the i
 * flag instead; and it has an `anyOf` misplaced inside region.properties, which fails the
 * meta-schema, so meta-validation is off. Formats ajv-formats would provide are checked
 * with RFC 3986 / RFC 3339 shapes, so an unencoded space in a URI is still an error.
 */
function sarifValidator() {
  const uriChars = String.raw`(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]]|%[0-9A-Fa-f]{2})*`;
  const regExp = Object.assign(
    (pattern: string, flags: string) =>
      pattern.includes('(?i)') ? new RegExp(pattern.replace('(?i)', ''), `${flags}i`) : new RegExp(pattern, flags),
    { code: 'new RegExp' },
  );
  const ajv = new Ajv2020({
    strict: false,
    validateSchema: false,
    allErrors: true,
    code: { regExp },
    formats: {
      uri: new RegExp(`^[A-Za-z][A-Za-z0-9+.-]*:${uriChars}$`),
      'uri-reference': new RegExp(`^${uriChars}$`),
      'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i,
    },
  });
  return ajv.compile(JSON.parse(readFileSync(SARIF_SCHEMA, 'utf8')));
}
const validateSarif = sarifValidator();

function assertValidSarif(log: unknown): void {
  const ok = validateSarif(JSON.parse(JSON.stringify(log)));
  assert.ok(ok, JSON.stringify(validateSarif.errors, null, 2));
}

describe('sample report fixture', () => {
  test('is internally consistent (counts, rates, intervals, measurability)', () => {
    const report = sample();
    assert.equal(report.audits.length, 2);
    for (const audit of report.audits) {
      for (const d of [audit.members, audit.nonMembers, audit.population]) {
        if (d) assert.equal(d.classCounts.reduce((a, b) => a + b, 0), d.count);
      }
      for (const attack of audit.attacks) {
        const m = attack.metrics;
        assert.equal(m.members, audit.members.count);
        assert.equal(m.nonMembers, audit.nonMembers.count);
        assert.ok(Math.abs(m.minMeasurableFpr - 1 / m.nonMembers) < 1e-9, `${attack.id}: minMeasurableFpr`);
        for (const key of REPORTED_FPRS) {
          const p = m.tprAtFpr[key];
          assert.ok(Math.abs(p.tpr - p.truePositives / m.members) < 1e-6, `${attack.id}@${key}: tpr = TP/members`);
          assert.ok(Math.abs(p.fpr - p.falsePositives / m.nonMembers) < 1e-6, `${attack.id}@${key}: fpr = FP/non-members`);
          assert.ok(p.fpr <= p.targetFpr, `${attack.id}@${key}: fpr within target`);
          assert.equal(p.measurable, !(p.targetFpr < 1 / m.nonMembers));
          assert.ok(p.tprInterval.lower <= p.tpr && p.tpr <= p.tprInterval.upper, `${attack.id}@${key}: tpr in its interval`);
          assert.ok(p.fprInterval.lower <= p.fpr && p.fpr <= p.fprInterval.upper, `${attack.id}@${key}: fpr in its interval`);
        }
        const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
        assert.equal(sum(attack.histogram.members), m.members);
        assert.equal(sum(attack.histogram.nonMembers), m.nonMembers);
        assert.equal(sum(attack.perClass.map((c) => c.members)), m.members);
        for (let i = 1; i < m.roc.length; i++) {
          assert.ok(m.roc[i]![0] >= m.roc[i - 1]![0] && m.roc[i]![1] >= m.roc[i - 1]![1], 'ROC is monotone');
        }
      }
    }
    for (const f of report.findings) {
      if (f.audit === undefined) continue;
      const audit = report.audits.find((a) => a.name === f.audit);
      assert.ok(audit, `finding names audit ${f.audit}`);
      if (f.attack !== undefined) assert.ok(audit.attacks.some((a) => a.id === f.attack), `finding names attack ${f.attack}`);
    }
  });
});

describe('toJson', () => {
  test('round-trips the report, pretty-printed, schemaVersion first', () => {
    const report = sample();
    const text = toJson(report);
    assert.ok(text.startsWith('{\n  "schemaVersion": "1.0.0",\n'), text.slice(0, 60));
    assert.ok(text.endsWith('}\n'), 'ends with a newline');
    assert.deepEqual(JSON.parse(text), report);
  });

  test('writes NaN and Infinity as null', () => {
    const report = sample();
    const attack = report.audits[0]!.attacks[0]!;
    attack.perClass[0]!.auc = Number.NaN;
    attack.metrics.tprAtFpr['0.0001'].threshold = Number.POSITIVE_INFINITY;
    attack.metrics.auc = Number.NEGATIVE_INFINITY;
    report.findings[0]!.data = { tpr: Number.NaN };
    const parsed = JSON.parse(toJson(report));
    const back = parsed.audits[0].attacks[0];
    assert.equal(back.perClass[0].auc, null);
    assert.equal(back.metrics.tprAtFpr['0.0001'].threshold, null);
    assert.equal(back.metrics.auc, null);
    assert.equal(parsed.findings[0].data.tpr, null);
  });
});

describe('toSarif', () => {
  test('is valid against the official SARIF 2.1.0 schema', () => {
    assertValidSarif(toSarif(sample()));
  });

  test('the schema check is not vacuous: broken logs are rejected', () => {
    const log = JSON.parse(JSON.stringify(toSarif(sample()))) as SarifLog;
    const badLevel = structuredClone(log) as unknown as { runs: { results: { level: string }[] }[] };
    badLevel.runs[0]!.results[0]!.level = 'high';
    assert.equal(validateSarif(badLevel), false);
    const badLine = structuredClone(log);
    badLine.runs[0].results[0]!.locations[0]!.physicalLocation.region!.startLine = 0;
    assert.equal(validateSarif(badLine), false);
    const badUri = structuredClone(log);
    badUri.runs[0].results[0]!.locations[0]!.physicalLocation.artifactLocation.uri = 'data/a b.csv';
    assert.equal(validateSarif(badUri), false);
  });

  test('one rule per finding kind present, ruleIndex pointing at it', () => {
    const report = sample();
    const run = toSarif(report).runs[0];
    const kinds = new Set(report.findings.map((f) => f.rule));
    assert.equal(run.tool.driver.name, 'privacy-lint');
    assert.equal(run.tool.driver.version, report.tool.version);
    assert.equal(run.tool.driver.rules.length, kinds.size);
    assert.deepEqual(
      run.tool.driver.rules.map((r) => r.id).sort(),
      [...kinds].map((k) => RULES[k].id).sort(),
    );
    run.results.forEach((r, i) => {
      const finding = report.findings[i]!;
      assert.equal(r.ruleId, RULES[finding.rule].id);
      assert.equal(run.tool.driver.rules[r.ruleIndex]!.id, r.ruleId);
      assert.equal(run.tool.driver.rules[r.ruleIndex]!.name, finding.rule);
      assert.equal(r.message.text, finding.message);
    });
    for (const rule of run.tool.driver.rules) {
      assertIncludes(rule.help.text, 'docs/rules.md#');
      assert.ok(rule.help.markdown && rule.help.markdown.length > 0, `${rule.id} has markdown help`);
    }
  });

  test('levels follow severity: high error, medium warning, low and info note', () => {
    const report = sample();
    const expected: Record<Severity, string> = { high: 'error', medium: 'warning', low: 'note', info: 'note' };
    const run = toSarif(report).runs[0];
    const seen = new Set<Severity>();
    run.results.forEach((r, i) => {
      const severity = report.findings[i]!.severity;
      seen.add(severity);
      assert.equal(r.level, expected[severity]);
    });
    assert.deepEqual([...seen].sort(), ['high', 'info', 'low', 'medium'], 'the fixture covers every severity');
    const epsilon = run.tool.driver.rules.find((r) => r.id === RULES['membership-imbalance'].id);
    assert.equal(epsilon?.defaultConfiguration.level, 'note');
  });

  test('regions are the 0-based ranges plus one; whole-file findings have none', () => {
    const report = sample();
    const run = toSarif(report).runs[0];
    let withRange = 0;
    run.results.forEach((r, i) => {
      const range = report.findings[i]!.location.range;
      const region = r.locations[0]!.physicalLocation.region;
      if (!range) {
        assert.equal(region, undefined);
        return;
      }
      withRange++;
      assert.deepEqual(region, {
        startLine: range.start.line + 1,
        startColumn: range.start.character + 1,
        endLine: range.end.line + 1,
        endColumn: range.end.character + 1,
      });
    });
    assert.ok(withRange > 0 && withRange < run.results.length, 'fixture has findings with and without ranges');
    assert.equal(run.columnKind, 'utf16CodeUnits');
  });

  test('locations are relative to SRCROOT and indexed into run.artifacts', () => {
    const report = sample();
    const run = toSarif(report).runs[0];
    assert.equal(run.originalUriBaseIds[SRCROOT]?.uri, 'file:///home/dev/projects/clinic-models/');
    const locations = run.results.flatMap((r) => [...r.locations, ...(r.relatedLocations ?? [])]);
    for (const loc of locations) {
      const a = loc.physicalLocation.artifactLocation;
      assert.equal(a.uriBaseId, SRCROOT);
      assert.equal(run.artifacts[a.index!]?.location.uri, a.uri);
    }
    const uris = run.artifacts.map((a) => a.location.uri);
    assert.equal(new Set(uris).size, uris.length, 'artifacts are unique');
    assert.ok(uris.includes('models/legacy/admissions.pkl'), 'whole-file finding targets are listed');
    assert.ok(uris.includes('data/fashion/train-subset.npz'), 'datasets of audits are listed');
    const model = run.artifacts.find((a) => a.location.uri === 'models/fashion-cnn/model.json');
    assert.deepEqual(model?.roles, ['analysisTarget']);
  });

  test('related files become relatedLocations with their messages', () => {
    const report = sample();
    const run = toSarif(report).runs[0];
    run.results.forEach((r, i) => {
      const related = report.findings[i]!.related;
      assert.equal(r.relatedLocations?.length ?? 0, related.length);
      related.forEach((rel, j) => {
        assert.equal(r.relatedLocations![j]!.message?.text, rel.message);
        assert.equal(r.relatedLocations![j]!.physicalLocation.artifactLocation.uri, relativePathToUri(rel.file));
      });
    });
  });

  test('partial fingerprints are stable across runs and distinct across findings', () => {
    const first = toSarif(sample()).runs[0].results.map((r) => r.partialFingerprints);
    const changed = sample();
    for (const f of changed.findings) {
      f.message = `${f.message} (re-run)`;
      if (f.location.range) f.location.range.start.line += 3;
      f.data = { changed: 1 };
    }
    const second = toSarif(changed).runs[0].results.map((r) => r.partialFingerprints);
    assert.deepEqual(second, first);
    const values = first.map((p) => Object.values(p)[0]);
    assert.equal(new Set(values).size, values.length);
    const f = sample().findings[0]!;
    assert.notEqual(fingerprint(f), fingerprint({ ...f, attack: 'loss-threshold' }));
  });

  test('finding data and scope go into properties', () => {
    const report = sample();
    const r = toSarif(report).runs[0].results[0]!;
    assert.deepEqual(r.properties, {
      severity: report.findings[0]!.severity,
      audit: report.findings[0]!.audit,
      attack: report.findings[0]!.attack,
      data: report.findings[0]!.data,
    });
  });

  test('failed attacks are tool notifications', () => {
    const run = toSarif(sample()).runs[0];
    const notes = run.invocations[0]!.toolExecutionNotifications ?? [];
    assert.equal(notes.length, 1);
    assert.match(notes[0]!.message.text, /loss-population failed/);
  });

  test('odd paths and a relative root still give a valid log', () => {
    const report = sample();
    report.root = 'workspace';
    report.findings[0]!.location.file = 'data/my data #1.json';
    report.findings[1]!.location.file = 'C:\\Users\\ana\\model weights\\model.json';
    report.findings[2]!.related = [
      { file: 'a.csv', message: 'same file twice' },
      { file: 'a.csv', message: 'same file twice' },
    ];
    const log = toSarif(report);
    assertValidSarif(log);
    const run = log.runs[0];
    assert.equal(run.originalUriBaseIds[SRCROOT]?.uri, undefined);
    assert.equal(run.results[0]!.locations[0]!.physicalLocation.artifactLocation.uri, 'data/my%20data%20%231.json');
    const absolute = run.results[1]!.locations[0]!.physicalLocation.artifactLocation;
    assert.equal(absolute.uri, 'file:///C:/Users/ana/model%20weights/model.json');
    assert.equal(absolute.uriBaseId, undefined);
  });
});

describe('SARIF URIs', () => {
  test('relative and absolute paths of both platforms', () => {
    assert.equal(relativePathToUri('.\\data\\x y.csv'), 'data/x%20y.csv');
    assert.equal(relativePathToUri('a:b/c.json'), 'a%3Ab/c.json');
    assert.equal(absolutePathToFileUri('/srv/data set/', true), 'file:///srv/data%20set/');
    assert.equal(absolutePathToFileUri('/srv/data', true), 'file:///srv/data/');
    assert.equal(absolutePathToFileUri('D:\\work', true), 'file:///D:/work/');
    assert.equal(absolutePathToFileUri('\\\\server\\share\\m.json'), 'file://server/share/m.json');
  });
});

describe('toHtml', () => {
  const page = toHtml(sample());

  test('has a strict CSP whose style hash matches the one stylesheet', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(page)?.[1];
    assert.ok(csp, 'CSP meta tag present');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /img-src data:/);
    assert.doesNotMatch(csp, /unsafe-eval|script-src/);
    const styles = [...page.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
    assert.equal(styles.length, 1);
    const hash = createHash('sha256').update(styles[0]!).digest('base64');
    assert.ok(csp.includes(`'sha256-${hash}'`), 'style-src allows exactly this stylesheet');
    assert.match(styles[0]!, /prefers-color-scheme: dark/);
  });

  test('is self-contained: no script, no inline style attributes, no external resources', () => {
    assert.doesNotMatch(page, /<script/i);
    assert.doesNotMatch(page, /\sstyle=/i, 'the hash-based CSP would block style attributes');
    assert.doesNotMatch(page, /\ssrc=/i);
    assert.doesNotMatch(page, /href="(?!#)/i);
    assert.doesNotMatch(page, /url\(/i);
    assert.doesNotMatch(page, /@import/i);
  });

  test('escapes every string from the report', () => {
    const report = sample();
    const evil = '<script>alert(1)</script>';
    const oldName = report.audits[0]!.name;
    report.audits[0]!.name = evil;
    for (const f of report.findings) if (f.audit === oldName) f.audit = evil;
    report.audits[0]!.attacks[0]!.id = '"><img src=x onerror=alert(2)>';
    report.audits[0]!.attacks[1]!.title = "' onmouseover='alert(3)";
    report.audits[0]!.model = '<iframe src="javascript:alert(4)">';
    report.findings[0]!.message = '<b>bold</b> & more';
    report.findings[0]!.related[0]!.file = '</li><svg onload=alert(5)>';
    report.audits[1]!.errors[0]!.message = '<style>body{display:none}</style>';
    report.audits[1]!.attacks[1]!.notes = ['<a href="https://evil.example">x</a>'];
    report.backend = '<marquee>';
    report.root = '"/><script>';
    const out = toHtml(report);
    assert.doesNotMatch(out, /<script/i);
    assert.doesNotMatch(out, /<img/i);
    assert.doesNotMatch(out, /<iframe/i);
    assert.doesNotMatch(out, /<b>bold/);
    assert.doesNotMatch(out, /<svg onload/i);
    assert.doesNotMatch(out, /<marquee/i);
    assert.doesNotMatch(out, /<a href="https/);
    assert.equal(out.match(/<style>/g)?.length, 1);
    assertIncludes(out, '&lt;script&gt;alert(1)&lt;/script&gt;');
    assertIncludes(out, '&lt;b&gt;bold&lt;/b&gt; &amp; more');
    assertIncludes(out, '&#39; onmouseover=&#39;alert(3)');
  });

  test('draws one ROC path per attack, on log-log axes with the floor for zeros', () => {
    const report = sample();
    const paths = [...page.matchAll(/<path class="roc-curve[^"]*" d="([^"]+)"/g)].map((m) => m[1]!);
    const attacks = report.audits.flatMap((a) => a.attacks);
    assert.equal(paths.length, attacks.length);
    paths.forEach((d, i) => assert.equal(d, rocPathData(attacks[i]!.metrics.roc)));
    assert.equal((page.match(/<figure class="roc">/g) ?? []).length, report.audits.length);
    assert.equal((page.match(/class="chance"/g) ?? []).length, 2 * report.audits.length, 'diagonal and its legend entry');
    for (const label of ['0.01%', '0.1%', '1%', '10%', '100%']) assertIncludes(page, `>${label}</text>`);
    // Zero rates are clamped to the axis floor, and the scale is logarithmic.
    assert.equal(xOf(0), xOf(ROC_AXIS_FLOOR));
    assert.equal(yOf(0), yOf(ROC_AXIS_FLOOR));
    const decade = xOf(1e-3) - xOf(1e-4);
    assert.ok(Math.abs(xOf(1e-1) - xOf(1e-2) - decade) < 0.02, 'x decades are equally wide');
    assert.ok(Math.abs(yOf(1e-4) - yOf(1e-3) - decade) < 0.02, 'y decades are as wide as x decades');
    const d = rocPathData([[0, 0], [0, 0.005], [1, 1]]);
    assert.ok(d.startsWith(`M${xOf(ROC_AXIS_FLOOR)} ${yOf(ROC_AXIS_FLOOR)} L${xOf(ROC_AXIS_FLOOR)} `), d);
  });

  test('shows summary, attack numbers with intervals, unmeasurable marks, classes and records', () => {
    const report = sample();
    for (const audit of report.audits) {
      assertIncludes(page, audit.model);
      assertIncludes(page, `${audit.members.count.toLocaleString('en-US')} records`);
      assertIncludes(page, `members ${percent(audit.accuracy.members, 1)}, non-members ${percent(audit.accuracy.nonMembers, 1)}`);
      for (const a of audit.attacks) {
        assertIncludes(page, `<td>${a.metrics.auc.toFixed(3)}</td>`);
        assertIncludes(page, `<td>${a.metrics.advantage.toFixed(3)}</td>`);
        for (const k of REPORTED_FPRS) {
          const p = a.metrics.tprAtFpr[k];
          assertIncludes(page, `[${percent(p.tprInterval.lower)}, ${percent(p.tprInterval.upper)}]`);
        }
        assertIncludes(page, `#${a.mostVulnerable[0]!.index}</span>`);
      }
    }
    const unmeasurable = report.audits.flatMap((a) => a.attacks).flatMap((a) => REPORTED_FPRS.filter((k) => !a.metrics.tprAtFpr[k].measurable));
    assert.equal(unmeasurable.length, 4, 'fixture: two attacks on 500 non-members, two FPRs each');
    assert.equal((page.match(/<td class="not-measurable">/g) ?? []).length, unmeasurable.length);
    assertIncludes(page, '<th>TPR at 0.01% FPR</th>');
    assertIncludes(page, 'Vulnerability by class');
    assert.ok(page.includes('<td>0.758 / 0.385</td>'), 'per-class AUC / advantage of class 6');
  });

  test('findings are listed per audit, the unattached one separately, most severe first', () => {
    const order = [...page.matchAll(/<li class="sev-(\w+)">/g)].map((m) => m[1]);
    assert.deepEqual(order, ['high', 'high', 'medium', 'low', 'low', 'low', 'info']);
    assert.ok(page.indexOf('Findings not tied to an audit') < page.indexOf('Audit: fashion-cnn'), 'unattached findings come first');
  });
});

describe('toText', () => {
  const text = toText(sample());

  test('contains the numbers of every attack', () => {
    for (const audit of sample().audits) {
      const section = text.slice(text.indexOf(`== Audit ${audit.name} ==`));
      assert.ok(section.length < text.length, `section of ${audit.name}`);
      for (const a of audit.attacks) {
        const row = section.split('\n').find((l) => l.trimStart().startsWith(`${a.id} `));
        assert.ok(row, `row for ${a.id}`);
        assertIncludes(row, a.metrics.auc.toFixed(3));
        assertIncludes(row, a.metrics.advantage.toFixed(3));
        for (const k of REPORTED_FPRS) {
          const p = a.metrics.tprAtFpr[k];
          assertIncludes(row, `${percent(p.tpr)}${p.measurable ? '' : '*'} [${percent(p.tprInterval.lower)}, ${percent(p.tprInterval.upper)}]`);
        }
      }
    }
    assertIncludes(text, '* not measurable: the target FPR is below 1/500 non-members');
    assertIncludes(text, 'loss-population: FPR 0.001 cannot be targeted');
  });

  test('aligns each attack table', () => {
    const lines = text.split('\n');
    const start = lines.findIndex((l) => l.trimStart().startsWith('Attack '));
    const table = lines.slice(start, start + 4);
    assert.equal(new Set(table.map((l) => l.length)).size, 1, table.join('\n'));
    assertIncludes(table[0]!, `TPR@${fprLabel('0.01')} FPR`);
  });

  test('lists findings grouped by severity, most severe first, with 1-based places', () => {
    const groups = ['HIGH (2)', 'MEDIUM (1)', 'LOW (3)', 'INFO (1)'].map((g) => text.indexOf(`\n${g}\n`));
    assert.ok(groups.every((i) => i > 0), `severity groups at ${groups.join(', ')}`);
    assert.deepEqual([...groups].sort((a, b) => a - b), groups);
    assertIncludes(text, 'MPL001 membership-risk  privacy-audit.json:12:7  [fashion-cnn / lira-statistic-threshold]');
    assertIncludes(text, 'MPL009 unsafe-artifact  models/legacy/admissions.pkl\n');
  });
});

describe('formatting', () => {
  test('percentages keep small rates visible and FPR keys read as people say them', () => {
    assert.equal(percent(0.0466), '4.66%');
    assert.equal(percent(0.0000432), '0.0043%');
    assert.equal(percent(0), '0.00%');
    assert.equal(percent(Number.NaN), 'n/a');
    assert.equal(percent(null), 'n/a');
    assert.deepEqual(REPORTED_FPRS.map(fprLabel), ['1%', '0.1%', '0.01%']);
  });
});

describe('writeReports', () => {
  async function tempDir(): Promise<string> {
    return mkdtemp(path.join(tmpdir(), 'mpl-report-'));
  }

  test('writes every format into a new folder and leaves no temporary files', async () => {
    const base = await tempDir();
    try {
      const out = path.join(base, 'nested', 'privacy-report');
      const report = sample();
      const written = await writeReports(report, out, ['json', 'sarif', 'html', 'text']);
      assert.deepEqual(written, ['report.json', 'report.sarif', 'report.html', 'report.txt'].map((f) => path.join(out, f)));
      assert.deepEqual((await readdir(out)).sort(), ['report.html', 'report.json', 'report.sarif', 'report.txt']);
      for (const format of ['json', 'sarif', 'html', 'text'] as const) {
        assert.equal(await readFile(path.join(out, REPORT_FILE_NAMES[format]), 'utf8'), renderReport(report, format));
      }
      assertValidSarif(JSON.parse(await readFile(path.join(out, 'report.sarif'), 'utf8')));
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  test('replaces an existing report and writes a repeated format once', async () => {
    const out = await tempDir();
    try {
      await writeFile(path.join(out, 'report.json'), 'old');
      const written = await writeReports(sample(), out, ['json', 'json']);
      assert.deepEqual(written, [path.join(out, 'report.json')]);
      assert.deepEqual(JSON.parse(await readFile(written[0]!, 'utf8')), sample());
      assert.deepEqual(await readdir(out), ['report.json']);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  test('a failed rename leaves no temporary file behind', async () => {
    const out = await tempDir();
    try {
      // A non-empty directory where report.json should go makes the rename fail.
      await mkdir(path.join(out, 'report.json'));
      await writeFile(path.join(out, 'report.json', 'keep'), 'x');
      await assert.rejects(writeReports(sample(), out, ['json']));
      assert.deepEqual(await readdir(out), ['report.json']);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  test('rejects an unknown format before writing anything', async () => {
    const out = await tempDir();
    try {
      await assert.rejects(writeReports(sample(), out, ['json', 'pdf' as 'json']), /unknown report format "pdf"/);
      assert.deepEqual(await readdir(out), []);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
