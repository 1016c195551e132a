/**
 * The report as one self-contained HTML page: no scripts, no external resources, a CSP
 * that allows only its own stylesheet (by hash) and data: images. Every string taken from
 * the report goes through the `html` tag, which escapes it.
 */
import { createHash } from 'node:crypto';
import { sanitizeStrings } from './escape';
import { REPORTED_FPRS, type OperatingPoint } from '../metrics/types';
import { RULES } from '../../shared/rules';
import {
  countBySeverity,
  findingPlace,
  fixed,
  fprLabel,
  intervalLabel,
  percent,
  rulesToAct,
  score,
  SEVERITIES_DESC,
  sortBySeverity,
} from './format';
import { html, SafeHtml } from './safe-html';
import { shadowQualityText, verdictBasisText } from './verdict-text';
import type { AttackResult, AuditReport, AuditResult, DatasetSummary, DefenseComparison, EnsembleComparison, Finding } from './schema';
import { rocFigure, ROC_CSS } from './svg-roc';
import { defenseAttackCells, defenseAttackHeader, defenseRows, defenseTableCells, defenseTableHeader } from './defense-table';
import { tradeoffFigure, TRADEOFF_CSS } from './svg-tradeoff';

const PAGE_CSS = `
:root { color-scheme: light dark; --fg: #1f2328; --bg: #ffffff; --muted: #656d76; --grid: #d8dee4; --panel: #f6f8fa;
  --border: #d0d7de; --high: #cf222e; --medium: #9a6700; --low: #0969da; --info: #656d76; --unmeasurable: rgba(101,109,118,0.12); }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --bg: #0d1117; --muted: #8d96a0; --grid: #30363d; --panel: #161b22; --border: #30363d;
    --high: #ff7b72; --medium: #d29922; --low: #58a6ff; --info: #8d96a0; --unmeasurable: rgba(141,150,160,0.16); }
}
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); margin: 0 auto; padding: 1rem 1.5rem 3rem; max-width: 72rem; }
h1 { font-size: 1.5rem; margin: 0.5rem 0; } h2 { font-size: 1.25rem; border-bottom: 1px solid var(--border); padding-bottom: 0.25rem; margin-top: 2rem; }
h3 { font-size: 1.05rem; margin: 1.25rem 0 0.5rem; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.92em; }
.muted { color: var(--muted); }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 1rem; background: var(--panel); border: 1px solid var(--border); border-radius: 6px; padding: 0.75rem 1rem; }
dl.summary dt { color: var(--muted); } dl.summary dd { margin: 0; }
table { border-collapse: collapse; margin: 0.5rem 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid var(--border); padding: 0.3rem 0.55rem; text-align: right; vertical-align: top; }
th { background: var(--panel); } th:first-child, td:first-child { text-align: left; }
td .ci { display: block; color: var(--muted); font-size: 0.85em; white-space: nowrap; }
td.not-measurable { color: var(--muted); }
.mark { color: var(--medium); font-weight: 600; }
.scroll { overflow-x: auto; }
ul.findings { list-style: none; padding: 0; }
ul.findings > li { border-left: 4px solid var(--info); background: var(--panel); padding: 0.4rem 0.75rem; margin: 0.4rem 0; border-radius: 0 6px 6px 0; }
ul.findings > li.sev-high { border-color: var(--high); } ul.findings > li.sev-medium { border-color: var(--medium); }
ul.findings > li.sev-low { border-color: var(--low); }
.badge { display: inline-block; min-width: 4.2rem; font-weight: 600; font-size: 0.8em; text-transform: uppercase; }
.sev-high .badge { color: var(--high); } .sev-medium .badge { color: var(--medium); } .sev-low .badge { color: var(--low); } .sev-info .badge { color: var(--info); }
ul.related { margin: 0.2rem 0 0; padding-left: 1.2rem; color: var(--muted); }
.counts > span { margin-left: 1rem; } .counts .n { font-weight: 600; }
footer { margin-top: 3rem; color: var(--muted); font-size: 0.9em; }
${ROC_CSS}${TRADEOFF_CSS}
tr.recommended td { background: var(--panel); font-weight: 600; }`;

export function toHtml(untrusted: AuditReport): string {
  // HTML escaping keeps markup out; this also escapes control and bidi characters and bounds length.
  const report = sanitizeStrings(untrusted);
  const general = report.findings.filter((f) => f.audit === undefined || !report.audits.some((a) => a.name === f.audit));
  const body = html`<header>
<h1>Model privacy report</h1>
<p class="muted">Membership-inference audit by ${report.tool.name} ${report.tool.version}, ${report.createdAt}. Backend: ${report.backend}.${report.manifest !== undefined && html` Manifest: <code>${report.manifest}</code>.`} Paths are relative to <code>${report.root}</code>.</p>
${severityCounts(report.findings)}
${report.audits.length > 1 && html`<nav><ul>${report.audits.map((a, i) => html`<li><a href="#audit-${i}">${a.name}</a></li>`)}</ul></nav>`}
</header>
<main>
${general.length > 0 && html`<section><h2>Findings not tied to an audit</h2>${findingList(general)}</section>`}
${report.audits.map((audit, i) =>
    auditSection(audit, i, report.backend, report.findings.filter((f) => f.audit === audit.name)),
  )}
${whatToDo(report.findings)}
</main>
<footer>Report schema ${report.schemaVersion}. Record indices point into the members file; the report never contains record contents.</footer>`;
  return page(`Privacy report: ${report.audits.map((a) => a.name).join(', ') || 'no audits'}`, body);
}

function page(title: string, body: SafeHtml): string {
  // The stylesheet is allowed by its hash, so neither inline styles nor other style sources run.
  const styleHash = createHash('sha256').update(PAGE_CSS).digest('base64');
  // Built from constants and a base64 hash only, so it goes in unescaped and stays readable.
  const csp = `default-src 'none'; style-src 'sha256-${styleHash}'; img-src data:; base-uri 'none'; form-action 'none'`;
  return `${html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${new SafeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title}</title>
<style>`}${PAGE_CSS}${html`</style>
</head>
<body>
${body}
</body>
</html>`}\n`;
}

function severityCounts(findings: readonly Finding[]): SafeHtml {
  const counts = countBySeverity(findings);
  return html`<p class="counts"><strong>${findings.length} finding${findings.length === 1 ? '' : 's'}</strong> ${SEVERITIES_DESC.map(
    (s) => html`<span class="sev-${s}"><span class="n">${counts[s]}</span> ${s}</span>`,
  )}</p>`;
}

function findingList(findings: readonly Finding[]): SafeHtml {
  if (findings.length === 0) return html`<p class="muted">No findings.</p>`;
  return html`<ul class="findings">${sortBySeverity(findings).map((f) => {
    const rule = RULES[f.rule];
    return html`<li class="sev-${f.severity}"><span class="badge">${f.severity}</span> <code>${rule.id}</code> ${rule.name}${
      f.attack !== undefined && html` <span class="muted">(${f.attack})</span>`
    }<br>${f.message}<br><span class="muted mono">${findingPlace(f)}</span>${
      f.related.length > 0 &&
      html`<ul class="related">${f.related.map((r) => html`<li><span class="mono">${r.file}</span>: ${r.message}</li>`)}</ul>`
    }</li>`;
  })}</ul>`;
}

/** Each rule's advice once, however many findings raise it. */
function whatToDo(findings: readonly Finding[]): SafeHtml | undefined {
  const rules = rulesToAct(findings);
  if (rules.length === 0) return undefined;
  return html`<section class="what-to-do"><h2>What to do</h2><dl>${rules.map(
    (r) => html`<dt><code>${RULES[r].id}</code> ${RULES[r].name}</dt><dd>${RULES[r].help}</dd>`,
  )}</dl></section>`;
}

function dataset(d: DatasetSummary): SafeHtml {
  return html`${d.count.toLocaleString('en-US')} records <span class="muted mono">${d.file}</span>`;
}

function auditSection(audit: AuditResult, index: number, backend: string, findings: readonly Finding[]): SafeHtml {
  const gap = audit.accuracy.members - audit.accuracy.nonMembers;
  const nonMembers = audit.nonMembers.count;
  return html`<section id="audit-${index}">
<h2>Audit: ${audit.name}</h2>
<dl class="summary">
<dt>Model</dt><dd class="mono">${audit.model}</dd>
<dt>Members</dt><dd>${dataset(audit.members)}</dd>
<dt>Non-members</dt><dd>${dataset(audit.nonMembers)}</dd>
${audit.population && html`<dt>Population</dt><dd>${dataset(audit.population)}</dd>`}
<dt>Accuracy</dt><dd>members ${percent(audit.accuracy.members, 1)}, non-members ${percent(audit.accuracy.nonMembers, 1)} (gap ${(gap * 100).toFixed(1)} points)</dd>
<dt>Attacks</dt><dd>${audit.attacks.length} run${audit.errors.length > 0 && html`, ${audit.errors.length} failed`}</dd>
<dt>Findings</dt><dd>${findings.length}</dd>
<dt>Backend</dt><dd>${backend}</dd>
<dt>Duration</dt><dd>${(audit.durationMs / 1000).toFixed(1)} s</dd>
${verdictBasisText(audit) && html`<dt>Verdict rests on</dt><dd>${verdictBasisText(audit)}</dd>`}
${shadowQualityText(audit) && html`<dt>Reference models</dt><dd>${shadowQualityText(audit)}</dd>`}
${audit.riskPredictors && html`<dt>Risk predictors</dt><dd>Jensen-Shannon distance between members and non-members (base 2: 0 alike, 1 disjoint): entropy ${fixed(audit.riskPredictors.entropyJsDistance)}, cross-entropy ${fixed(audit.riskPredictors.crossEntropyJsDistance)}</dd>`}
</dl>
<h3>Findings</h3>
${findingList(findings)}
${audit.attacks.length > 0 && attackSections(audit, nonMembers)}
${audit.errors.length > 0 &&
    html`<h3>Attacks that failed</h3><ul>${audit.errors.map((e) => html`<li><code>${e.attack}</code>: ${e.message}</li>`)}</ul>`}
${audit.defenses && defenseSection(audit.name, audit.defenses)}
${audit.ensemble && ensembleSection(audit.ensemble)}
</section>`;
}

/** Each ensemble model alone against the averaged ensemble, on the attacks all of them ran. */
function ensembleSection(e: EnsembleComparison): SafeHtml {
  const row = (name: SafeHtml, m: { testAccuracy: number; worstTpr: number; bestAuc: number }) =>
    html`<tr><td>${name}</td><td>${percent(m.testAccuracy, 1)}</td><td>${percent(m.worstTpr)}</td><td>${fixed(m.bestAuc)}</td></tr>`;
  return html`<h3>Ensemble</h3>
<p>${e.raisedLeakage ? 'Averaging raised leakage above every single model.' : 'Averaging did not leak more than the leakiest single model.'}</p>
<table class="ensemble">
<thead><tr><th>Model</th><th>Test accuracy</th><th>Worst TPR at ${fprLabel(e.frontFpr)} FPR</th><th>Best AUC</th></tr></thead>
<tbody>${e.members.map((m) => row(html`<code>${m.model}</code>`, m))}${row(html`ensemble (average)`, e.ensemble)}</tbody>
</table>`;
}

/** The trade-off chart, the table of settings, and every attack's numbers per setting. */
export function defenseSection(auditName: string, c: DefenseComparison): SafeHtml {
  const rows = defenseRows(c);
  const detail = defenseAttackCells(c);
  const recommended = rows.find((r) => r.recommended);
  const errors = rows.flatMap((r) => r.errors.map((e) => ({ id: r.id, e })));
  const notes = rows.flatMap((r) => r.notes.map((n) => ({ id: r.id, n })));
  return html`<h3>Defenses</h3>
<p>${recommended
    ? html`Recommended: <code>${recommended.id}</code>, within the policy at the least accuracy cost (${percent(recommended.accuracyCost, 1)} of test accuracy).`
    : html`No recommendation: ${c.baseline.meetsPolicy ? 'the undefended model already meets the policy.' : 'no evaluated setting meets the policy.'}`}</p>
${tradeoffFigure(c, `Defenses of ${auditName}: test accuracy against the worst attack's TPR at ${fprLabel(Number(c.frontFpr))} FPR`, c.policyMaxTpr)}
<div class="scroll"><table class="defenses">
<thead><tr>${defenseTableHeader(c.frontFpr).map((h) => html`<th>${h}</th>`)}</tr></thead>
<tbody>${rows.map((r) => html`<tr${r.recommended && html` class="recommended"`}>${defenseTableCells(r).map((cell, i) => (i === 0 ? html`<td><code>${cell}</code></td>` : html`<td>${cell}</td>`))}</tr>`)}</tbody>
</table></div>
<p class="muted">Cost: test accuracy lost against the undefended model. DP eps: epsilon accounted by DP-SGD's RDP accountant, classic conversion (Mironov 2017) / improved conversion (Balle et al. 2020, what current DP libraries report); eps &gt;=: the largest empirical lower bound the attacks show (a one-run audit: threshold chosen on half the records, bound on the other half, 95% confidence).</p>
${detail.length > 0 && html`<div class="scroll"><table class="defense-attacks">
<thead><tr>${defenseAttackHeader().map((h) => html`<th>${h}</th>`)}</tr></thead>
<tbody>${detail.map((row) => html`<tr>${row.map((cell, i) => (i < 2 ? html`<td><code>${cell}</code></td>` : html`<td>${cell}</td>`))}</tr>`)}</tbody>
</table></div>`}
${errors.length > 0 && html`<ul>${errors.map((x) => html`<li><code>${x.id}</code>: ${x.e}</li>`)}</ul>`}
${notes.length > 0 && html`<p class="muted">How each defended model was obtained:</p><ul class="muted">${notes.map((x) => html`<li><code>${x.id}</code>: ${x.n}</li>`)}</ul>`}`;
}

function attackSections(audit: AuditResult, nonMembers: number): SafeHtml {
  const minMeasurable = Math.max(...audit.attacks.map((a) => a.metrics.minMeasurableFpr));
  const series = audit.attacks.map((a) => ({
    label: `${a.id} (AUC ${fixed(a.metrics.auc)}, TPR ${percent(a.metrics.tprAtFpr['0.001'].tpr)} at 0.1% FPR)`,
    roc: a.metrics.roc,
  }));
  return html`<h3>Attacks</h3>
${attackTable(audit.attacks, nonMembers)}
${notes(audit.attacks)}
<h3>ROC curves</h3>
${rocFigure(series, { title: `ROC curves of the attacks on ${audit.name}, log-log axes`, minMeasurableFpr: minMeasurable })}
<h3>Vulnerability by class</h3>
${perClassTable(audit.attacks)}
<h3>Most vulnerable records</h3>
${vulnerableRecords(audit.attacks)}`;
}

function operatingPointCell(point: OperatingPoint): SafeHtml {
  return html`<td${!point.measurable && html` class="not-measurable"`}>${percent(point.tpr)}${
    !point.measurable && html`<span class="mark" title="not measurable with this many non-members">&#8224;</span>`
  }<span class="ci">${intervalLabel(point.tprInterval)}</span></td>`;
}

function attackTable(attacks: readonly AttackResult[], nonMembers: number): SafeHtml {
  const anyUnmeasurable = attacks.some((a) => REPORTED_FPRS.some((k) => !a.metrics.tprAtFpr[k].measurable));
  const anyEpsilon = attacks.some((a) => a.epsilonLowerBound !== undefined);
  return html`<div class="scroll"><table class="attacks">
<thead><tr><th>Attack</th><th>AUC</th><th>Advantage</th><th>PPV</th>${REPORTED_FPRS.map(
    (k) => html`<th>TPR at ${fprLabel(k)} FPR</th>`,
  )}${anyEpsilon && html`<th>&#949; lower bound</th>`}</tr></thead>
<tbody>${attacks.map(
    (a) => html`<tr><td><code>${a.id}</code><br><span class="muted">${a.title}</span></td><td>${fixed(a.metrics.auc)}</td><td>${fixed(
      a.metrics.advantage,
    )}</td><td>${percent(a.metrics.ppv, 1)}</td>${REPORTED_FPRS.map((k) => operatingPointCell(a.metrics.tprAtFpr[k]))}${
      anyEpsilon &&
      html`<td>${a.epsilonLowerBound ? html`${fixed(a.epsilonLowerBound.epsilon, 2)}<span class="ci">&#948; = ${a.epsilonLowerBound.delta}</span>` : 'n/a'}</td>`
    }</tr>`,
  )}</tbody>
</table></div>
<p class="muted">Brackets: 95% Clopper-Pearson interval of the TPR. Advantage is max |TPR &#8722; FPR|; PPV is the precision at that threshold.${
    anyUnmeasurable &&
    html` <span class="mark">&#8224;</span> Not measurable: the target FPR is below 1/${nonMembers.toLocaleString('en-US')} (one non-member), so the value is the TPR at zero observed false positives and says nothing about that FPR.`
  }</p>`;
}

function notes(attacks: readonly AttackResult[]): SafeHtml | undefined {
  const all = attacks.flatMap((a) => (a.notes ?? []).map((n) => ({ id: a.id, note: n })));
  if (all.length === 0) return undefined;
  return html`<ul class="notes">${all.map((n) => html`<li><code>${n.id}</code>: ${n.note}</li>`)}</ul>`;
}

/** Rows are classes, columns attacks: "AUC / advantage" of the attack on that class's records. */
function perClassTable(attacks: readonly AttackResult[]): SafeHtml {
  const labels = [...new Set(attacks.flatMap((a) => a.perClass.map((c) => c.label)))].sort((x, y) => x - y);
  if (labels.length === 0) return html`<p class="muted">No per-class results.</p>`;
  const counts = (label: number) => attacks.flatMap((a) => a.perClass).find((c) => c.label === label);
  return html`<div class="scroll"><table class="per-class">
<thead><tr><th>Class</th><th>Members</th><th>Non-members</th>${attacks.map((a) => html`<th><code>${a.id}</code><br>AUC / adv.</th>`)}</tr></thead>
<tbody>${labels.map((label) => {
    const c = counts(label);
    return html`<tr><td>${label}</td><td>${c?.members ?? 'n/a'}</td><td>${c?.nonMembers ?? 'n/a'}</td>${attacks.map((a) => {
      const v = a.perClass.find((p) => p.label === label);
      return html`<td>${v ? `${fixed(v.auc)} / ${fixed(v.advantage)}` : 'n/a'}</td>`;
    })}</tr>`;
  })}</tbody>
</table></div>`;
}

function vulnerableRecords(attacks: readonly AttackResult[]): SafeHtml {
  const depth = Math.max(0, ...attacks.map((a) => a.mostVulnerable.length));
  if (depth === 0) return html`<p class="muted">No record ranking.</p>`;
  const rows = Array.from({ length: depth }, (_, rank) => rank);
  return html`<div class="scroll"><table class="records">
<thead><tr><th>Rank</th>${attacks.map((a) => html`<th><code>${a.id}</code><br>record (score)</th>`)}</tr></thead>
<tbody>${rows.map(
    (rank) => html`<tr><td>${rank + 1}</td>${attacks.map((a) => {
      const r = a.mostVulnerable[rank];
      return html`<td>${r ? html`<span class="mono">#${r.index}</span> <span class="muted">(${score(r.score)})</span>` : ''}</td>`;
    })}</tr>`,
  )}</tbody>
</table></div>
<p class="muted">Index of the record in the members file, highest attack score first. Scores are on each attack's own scale (3 significant digits).</p>`;
}
