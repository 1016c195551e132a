/**
 * Lays out the report for the selected audit: header with picker and exports, summary,
 * ROC chart, TPR-at-FPR table, the defenses' trade-off (when evaluated), per-attack
 * details and findings. Selections go through
 * the view state (saved with setState), then the affected part is rebuilt.
 */
import type { AttackResult, AuditReport, AuditResult, DefenseComparison } from '../../src/engine/report/schema';
import { basisElement } from './basis';
import { ChartSlots, type DrawChart } from './chart-slots';
import { classBars } from './class-data';
import { drawClassChart } from './class-chart';
import { el, note, section, select } from './dom';
import { exportButtons, savePngButton } from './export-actions';
import { exportFileName } from './export';
import { findingsList } from './findings';
import { formatCount, formatRate, formatTargetFpr } from './format';
import { drawHistogramChart } from './histogram-chart';
import { drawRocChart } from './roc-chart';
import { LOG_AXIS_FLOOR, measurableFloor } from './roc-data';
import { findingsForAudit, pickAttack, pickAudit } from './selectors';
import { selectAttack, selectAudit, selectTradeoffAttack, type ViewState } from './state';
import { summaryLine } from './summary';
import { operatingPointsTable, classTable, vulnerableRecordsTable } from './tables';
import type { ChartTheme } from './theme';
import { drawTradeoffChart } from './tradeoff-chart';
import { pickTradeoffAttack, policyLine, tradeoffAttacks } from './tradeoff-data';
import { tradeoffTable } from './tradeoff-table';
import type { ReportHost } from './vscode-api';

interface PendingChart {
  canvas: HTMLCanvasElement;
  draw: DrawChart;
}

export class ReportView {
  private state: ViewState | undefined;
  private readonly charts: ChartSlots;
  private details: HTMLElement | undefined;
  private tradeoff: HTMLElement | undefined;

  constructor(
    private readonly root: HTMLElement,
    private readonly host: ReportHost,
    theme: ChartTheme,
  ) {
    this.charts = new ChartSlots(theme);
  }

  get current(): ViewState | undefined {
    return this.state;
  }

  show(state: ViewState): void {
    this.state = state;
    this.host.saveState(state);
    this.charts.clear(this.root);
    this.details = undefined;
    this.tradeoff = undefined;
    const audit = pickAudit(state.report, state.audit);
    const pending: PendingChart[] = [];
    const content = audit ? this.auditContent(state.report, audit, pending) : [note('The report contains no audits.')];
    this.root.replaceChildren(...content);
    this.root.removeAttribute('aria-busy');
    if (!audit || !audit.attacks.length) document.body.dataset.rocSeries = '0';
    this.drawAll(pending);
  }

  setTheme(theme: ChartTheme): void {
    this.charts.setTheme(theme);
  }

  private drawAll(pending: readonly PendingChart[]): void {
    for (const p of pending) this.charts.draw(p.canvas, p.draw);
  }

  private auditContent(report: AuditReport, audit: AuditResult, pending: PendingChart[]): HTMLElement[] {
    const header = el('header', { className: 'report-header' }, [el('h1', { text: `Membership-inference report: ${audit.name}` })]);
    const controls = el('div', { className: 'controls' });
    if (report.audits.length > 1) {
      const options = report.audits.map((a) => ({ value: a.name, text: a.name }));
      controls.append(select('Audit', options, audit.name, (name) => this.show(selectAudit(this.current ?? { report }, name))));
    }
    controls.append(...exportButtons(report, audit, this.host));
    header.append(controls);

    const parts: HTMLElement[] = [header, summaryLine(report, audit)];
    const basis = basisElement(audit);
    if (basis) parts.push(basis);
    if (audit.errors.length) {
      parts.push(el('ul', { className: 'errors' }, audit.errors.map((e) => el('li', { text: `${e.attack} failed: ${e.message}` }))));
    }
    if (!audit.attacks.length) {
      parts.push(note('No attack produced results for this audit.'));
    } else {
      parts.push(this.rocSection(audit, pending));
      parts.push(section('TPR at low FPR', 'operating-points', [operatingPointsTable(audit), this.operatingPointsNote(audit)]));
      if (audit.defenses) parts.push(this.defensesSection(report, audit, audit.defenses, pending));
      this.details = section('Attack details', 'attack-details');
      this.fillDetails(this.details, audit, pickAttack(audit, this.state?.attack), pending);
      parts.push(this.details);
    }
    parts.push(section('Findings', 'findings', [findingsList(findingsForAudit(report, audit.name))]));
    return parts;
  }

  private chartFigure(title: string, fileStem: string, draw: DrawChart, pending: PendingChart[], className = ''): { figure: HTMLElement; canvas: HTMLCanvasElement } {
    const canvas = el('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', title);
    pending.push({ canvas, draw });
    const figure = el('figure', { className: `chart ${className}`.trim() }, [
      el('figcaption', {}, [el('span', { text: title }), savePngButton(canvas, fileStem, this.host)]),
      el('div', { className: 'chart-box' }, [canvas]),
    ]);
    return { figure, canvas };
  }

  private rocSection(audit: AuditResult, pending: PendingChart[]): HTMLElement {
    const { figure, canvas } = this.chartFigure(
      'ROC curves of every attack (log-log)',
      exportFileName(audit.name, 'roc'),
      (c, theme) => drawRocChart(c, audit.attacks, theme),
      pending,
      'roc',
    );
    canvas.id = 'roc-chart';
    const floor = measurableFloor(audit.attacks);
    const notes = [
      note(
        `Both axes are logarithmic from ${formatRate(LOG_AXIS_FLOOR)} to 100%. A log axis cannot show 0, so rates of 0 (every ROC starts at 0, 0) and any below ${formatRate(LOG_AXIS_FLOOR)} are drawn at ${formatRate(LOG_AXIS_FLOOR)}.`,
      ),
    ];
    if (floor !== undefined) {
      notes.push(note(`The dotted vertical line marks 1/N = ${formatRate(floor)}: with ${formatCount(Math.round(1 / floor))} non-members no lower FPR can be measured.`));
    }
    return section('ROC curves', 'roc', [figure, ...notes]);
  }

  private operatingPointsNote(audit: AuditResult): HTMLElement {
    const nonMembers = audit.attacks[0]?.metrics.nonMembers ?? audit.nonMembers.count;
    return note(
      `Each cell is the best TPR whose FPR does not exceed the column's rate, with its exact 95% interval. A rate below 1/N cannot be measured with N = ${formatCount(nonMembers)} non-members; such cells say so instead of showing a number.`,
    );
  }

  /** The per-attack part, rebuilt alone when only the attack selection changes. */
  private fillDetails(container: HTMLElement, audit: AuditResult, attack: AttackResult | undefined, pending: PendingChart[]): void {
    container.replaceChildren(el('h2', { text: 'Attack details' }));
    if (!attack) return;
    const options = audit.attacks.map((a) => ({ value: a.id, text: `${a.id}: ${a.title}` }));
    container.append(select('Attack', options, attack.id, (id) => this.selectAttack(audit, id)));
    if (attack.notes?.length) container.append(el('ul', { className: 'attack-notes' }, attack.notes.map((n) => el('li', { text: n }))));

    const histogram = this.chartFigure(
      'Scores of members and non-members',
      exportFileName(audit.name, `${attack.id}-scores`),
      (c, theme) => drawHistogramChart(c, attack, theme),
      pending,
    );
    histogram.canvas.id = 'histogram-chart';
    container.append(histogram.figure);

    if (attack.perClass.length) {
      const perClass = this.chartFigure('Attack AUC per class', exportFileName(audit.name, `${attack.id}-classes`), (c, theme) => drawClassChart(c, attack, theme), pending);
      perClass.canvas.id = 'class-chart';
      container.append(perClass.figure);
      const missing = classBars(attack.perClass).missing;
      if (missing.length) container.append(note(`No AUC for ${missing.map((l) => `class ${l}`).join(', ')}: too few records on one side to measure.`));
      container.append(classTable(attack));
    }
    container.append(attack.mostVulnerable.length ? vulnerableRecordsTable(attack) : note('No per-record scores were reported for this attack.'));
  }

  private defensesSection(report: AuditReport, audit: AuditResult, comparison: DefenseComparison, pending: PendingChart[]): HTMLElement {
    this.tradeoff = el('div', { className: 'tradeoff' });
    this.fillTradeoff(this.tradeoff, report, audit, comparison, pickTradeoffAttack(comparison, this.state?.tradeoffAttack), pending);
    const recommendation = comparison.recommendation;
    const summary = recommendation
      ? note(
          `Recommended: ${recommendation.id}, the defense that keeps every attack within the policy at the least accuracy cost (${formatRate(recommendation.accuracyCost)} test accuracy lost; worst TPR ${formatRate(recommendation.worstTpr)} at ${formatTargetFpr(comparison.frontFpr)} FPR). The quick fix on the finding adds it to the manifest as "defense".`,
        )
      : note('No evaluated defense keeps every attack within the policy; the chart shows how close each one comes and at what accuracy.');
    return section('Defenses: privacy-utility trade-off', 'defenses', [
      summary,
      this.tradeoff,
      note(
        `Each point is one defense setting, evaluated on the same members, non-members and attacks as the undefended model. The Pareto front joins the settings no other one beats on both accuracy and leakage. The TPR axis is logarithmic; values below ${formatRate(LOG_AXIS_FLOOR)} are drawn at ${formatRate(LOG_AXIS_FLOOR)}.`,
      ),
      tradeoffTable(comparison),
      ...defenseRemarks(comparison),
    ]);
  }

  /** The attack picker and the chart, rebuilt alone when the picked attack changes. */
  private fillTradeoff(container: HTMLElement, report: AuditReport, audit: AuditResult, comparison: DefenseComparison, attack: string | undefined, pending: PendingChart[]): void {
    const worst = '';
    const options = [{ value: worst, text: 'Worst attack (the Pareto front of the recommendation)' }, ...tradeoffAttacks(comparison).map((id) => ({ value: id, text: id }))];
    const picker = select('Attack', options, attack ?? worst, (id) => this.selectTradeoffAttack(report, audit, comparison, id === worst ? undefined : id));
    const policy = policyLine(report, audit);
    const chart = this.chartFigure(
      `Test accuracy against TPR at ${formatTargetFpr(comparison.frontFpr)} FPR, per defense`,
      exportFileName(audit.name, attack ? `tradeoff-${attack}` : 'tradeoff'),
      (c, theme) => drawTradeoffChart(c, comparison, attack, policy, theme),
      pending,
      'tradeoff',
    );
    chart.canvas.id = 'tradeoff-chart';
    container.replaceChildren(picker, chart.figure);
    if (!policy) container.append(note('The report does not state the policy\'s TPR limit at this FPR, so no policy line is drawn; "Meets policy" in the table is the engine\'s verdict.'));
  }

  private selectTradeoffAttack(report: AuditReport, audit: AuditResult, comparison: DefenseComparison, attackId: string | undefined): void {
    if (!this.state || !this.tradeoff) return;
    this.state = selectTradeoffAttack(this.state, attackId);
    this.host.saveState(this.state);
    this.charts.clear(this.tradeoff);
    const pending: PendingChart[] = [];
    this.fillTradeoff(this.tradeoff, report, audit, comparison, attackId, pending);
    this.drawAll(pending);
  }

  private selectAttack(audit: AuditResult, attackId: string): void {
    if (!this.state || !this.details) return;
    this.state = selectAttack(this.state, attackId);
    this.host.saveState(this.state);
    this.charts.clear(this.details);
    const pending: PendingChart[] = [];
    this.fillDetails(this.details, audit, pickAttack(audit, attackId), pending);
    this.drawAll(pending);
  }
}

/** Why a defense has no numbers, and how each defended model was obtained (retraining notes, cache hits). */
function defenseRemarks(comparison: DefenseComparison): HTMLElement[] {
  const items = [comparison.baseline, ...comparison.evaluations].flatMap((e) => [
    ...e.errors.map((x) => `${e.id}: ${x.attack} failed: ${x.message}`),
    ...(e.notes ?? []).map((n) => `${e.id}: ${n}`),
  ]);
  return items.length ? [el('ul', { className: 'defense-remarks' }, items.map((text) => el('li', { text })))] : [];
}
