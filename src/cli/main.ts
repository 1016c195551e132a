#!/usr/bin/env node
/**
 * privacy-lint: the headless face of the engine, for terminals and CI.
 * Exit codes: 0 nothing at or above --fail-on, 1 something is, 2 usage or input error.
 * Argument parsing by commander (well kept, typed, generates help) rather than by hand.
 */
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { auditResolved, CancelledError, TOOL_VERSION } from '../engine/audit';
import { isInputError } from '../engine/errors';
import { parseQueueUrl } from '../engine/queue/queue-url';
import { computeAttackMetrics } from '../engine/metrics';
import { renderReport, toText, writeReports, type ReportFormat } from '../engine/report';
import type { Severity } from '../shared/rules';
import { oneLine } from '../engine/report/escape';
import { containmentOf, type CliContainment } from './containment-options';
import { EXIT_OK, EXIT_USAGE, exitCodeFor } from './exit-codes';
import { epsilonBoundText, evaluateEpsilonBound, readScoredMembership } from './evaluate-input';
import { metricsToText } from './format-metrics';
import { ProgressBar } from './progress-bar';
import { registerInspectCommand } from './inspect-command';
import { registerScoreCommand } from './score-command';
import { registerWorkerCommand } from './worker-command';
import { registerSweepCommand } from './sweep-command';
import { registerInitCommand } from './init-command';
import { resolveAuditTarget } from './audit-target';
import { checkAttackIds, checkAuditNames, parseList } from './audit-selection';


const FORMATS: ReportFormat[] = ['text', 'json', 'sarif', 'html'];

function parseFormats(value: string): ReportFormat[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const f of list) {
    if (!FORMATS.includes(f as ReportFormat)) throw new CommanderError(EXIT_USAGE, 'privacy-lint.format', `unknown format "${f}": expected one or more of ${FORMATS.join(', ')}, comma-separated`);
  }
  return list as ReportFormat[];
}

export function buildProgram(): Command {
  const program = new Command('privacy-lint')
    .description('Audit trained ML models for membership-inference privacy risk.')
    .version(TOOL_VERSION)
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(s) });

  program
    .command('audit')
    .description('run the audits of a privacy-audit.json (or of a folder: its manifest, or one proposed from detected files) and write the report')
    .argument('[target]', 'manifest file or folder', '.')
    .option('--format <list>', `report formats, comma-separated: ${FORMATS.join(', ')}`, parseFormats, ['text'] as ReportFormat[])
    .option('--out <dir>', 'folder to write report.<format> files into; without it the (single) format is printed')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding has at least this severity').choices(['high', 'medium', 'low', 'never']).default('high'))
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'))
    .option('--only <names>', 'audit only these audits (comma-separated names)', (v) => parseList('--only', v))
    .option('--attacks <ids>', 'run these attacks instead of the manifest\'s (comma-separated)', (v) => parseList('--attacks', v))
    .option('--cache-dir <dir>', 'shadow-model cache folder (default: .privacy-lint-cache/shadows beside the manifest)')
    .option('--workers <n>', 'worker threads for shadow training (0 = one per core)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new CommanderError(EXIT_USAGE, 'privacy-lint.workers', `--workers expects a whole number >= 0, found "${v}"`);
      return n;
    })
    .option('--queue <url>', 'train shadow models on `privacy-lint worker`s of this Redis queue (redis://HOST:PORT) instead of locally')
    .option('--shadows <n>', 'reference (shadow) models every audit trains, replacing its shadow.count and the default 8 (2-1024)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 2 || n > 1024) throw new CommanderError(EXIT_USAGE, 'privacy-lint.shadows', `--shadows expects a whole number from 2 to 1024, found "${v}"`);
      return n;
    })
    .option('--workspace-root <dir>', 'folder every model and data path must resolve inside, after symlinks (default: the manifest\'s folder)')
    .option('--allow-outside-workspace', 'read model and data files outside the workspace root (off by default: such paths are errors)')
    .action(async (target: string, opts: { format: ReportFormat[]; out?: string; failOn: Severity | 'never'; backend: 'auto'; only?: string[]; attacks?: string[]; cacheDir?: string; workers?: number; queue?: string; shadows?: number } & CliContainment) => {
      if (opts.queue !== undefined) parseQueueUrl(opts.queue);
      if (!opts.out && opts.format.length > 1) throw new CommanderError(EXIT_USAGE, 'privacy-lint.out', 'several formats need --out <dir>');
      if (opts.attacks) checkAttackIds(opts.attacks);
      // Resolved before the progress bar starts, so a wrong target or audit name fails at once.
      const containment = containmentOf(opts);
      const { resolved, audits } = resolveAuditTarget(target, containment);
      if (opts.only && resolved.manifest) checkAuditNames(opts.only, audits ?? resolved.manifest.audits.map((a) => a.name), audits !== undefined);
      const only = audits && opts.only ? audits.filter((a) => opts.only!.includes(a)) : (opts.only ?? audits);
      const bar = new ProgressBar();
      const controller = new AbortController();
      const onSigint = () => controller.abort();
      process.once('SIGINT', onSigint);
      try {
        const report = await auditResolved(resolved, {
          backend: opts.backend,
          only,
          attacks: opts.attacks,
          cacheDir: opts.cacheDir,
          workers: opts.workers,
          queueUrl: opts.queue,
          ...(opts.shadows !== undefined ? { shadowCount: opts.shadows } : {}),
          signal: controller.signal,
          onProgress: (p) => bar.update(p),
          ...containment,
        });
        bar.done();
        if (opts.out) {
          const written = await writeReports(report, opts.out, opts.format);
          for (const f of written) process.stderr.write(`wrote ${oneLine(path.relative(process.cwd(), f) || f)}\n`);
          process.stdout.write(toText(report));
        } else {
          process.stdout.write(renderReport(report, opts.format[0]));
        }
        process.exitCode = exitCodeFor(report.findings, opts.failOn);
      } finally {
        bar.done();
        process.off('SIGINT', onSigint);
      }
    });

  program
    .command('evaluate')
    .description('metrics (ROC, AUC, advantage, TPR at low FPR with intervals) for attack scores computed elsewhere')
    .argument('<file>', 'JSON {"scores": number[], "membership": boolean[], "delta"?: number}; higher score = more likely a member; with delta, also the empirical epsilon lower bound')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'text']).default('json'))
    .action((file: string, opts: { format: 'json' | 'text' }) => {
      const input = readScoredMembership(file);
      const metrics = computeAttackMetrics(input.scores, input.membership);
      const bound = input.delta === undefined ? undefined : evaluateEpsilonBound(input.scores, input.membership, input.delta);
      const result = bound ? { ...metrics, epsilonLowerBound: bound } : metrics;
      process.stdout.write(opts.format === 'json' ? JSON.stringify(result, null, 2) + '\n' : metricsToText(metrics) + (bound ? epsilonBoundText(bound) : ''));
    });

  registerScoreCommand(program);
  registerInspectCommand(program);
  registerWorkerCommand(program);
  registerSweepCommand(program);
  registerInitCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT_OK;
      if (e.code.startsWith('privacy-lint.')) process.stderr.write(`privacy-lint: ${oneLine(e.message)}\n`);
      return EXIT_USAGE;
    }
    if (isInputError(e)) {
      // Messages name user files and may quote them: one escaped, bounded line.
      process.stderr.write(`privacy-lint: ${oneLine(e.message)}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof CancelledError) {
      process.stderr.write('privacy-lint: cancelled\n');
      return 130;
    }
    // A stack's message may quote user data: each line escaped and bounded, none a workflow command.
    const stack = String((e as Error).stack ?? e).split('\n').map((line) => oneLine(line)).join('\n');
    process.stderr.write(`privacy-lint: internal error: ${stack}\n`);
    return 3;
  }
}

if (require.main === module) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
