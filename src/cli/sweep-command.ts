/**
 * `privacy-lint sweep [folder]`: audits every privacy-audit.json under a folder through a
 * bounded queue (engine/audit/sweep.ts) and writes one combined report: a text table, one
 * SARIF run, or a JSON list of the per-manifest reports, streamed as each finishes.
 * Exit codes as `audit`: 0 nothing at or above --fail-on, 1 something is, 2 a manifest or
 * its inputs cannot be used (or a usage error); 130 when cancelled with Ctrl+C.
 */
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { CommanderError, InvalidArgumentError, Option, type Command } from 'commander';
import { DEFAULT_MAX_MANIFESTS, SWEEP_EXCLUDED_FOLDERS, sweepWorkspace, type SweepResult } from '../engine/audit';
import { writeFileAtomic, type AuditReport } from '../engine/report';
import { reportTempName } from '../engine/report/write-reports';
import type { Severity } from '../shared/rules';
import { parseQueueUrl } from '../engine/queue/queue-url';
import { ProgressBar } from './progress-bar';
import { escapeJsonText, oneLine } from '../engine/report/escape';
import { containmentOf } from './containment-options';
import { EXIT_CANCELLED, EXIT_USAGE, exitCodeFor, wholeNumber } from './exit-codes';
import { folderReport, JsonReportList, sweepFindings, sweepToSarif, sweepToText, SWEEP_FILE_NAMES, SWEEP_FORMATS, type SweepFormat } from './sweep-output';


interface SweepCommandOptions {
  concurrency: number;
  format: SweepFormat[];
  out?: string;
  failOn: Severity | 'never';
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  attacks?: string;
  cacheDir?: string;
  workers?: number;
  queue?: string;
  exclude: string[];
  maxManifests: number;
  workspaceRoot?: string;
  allowOutsideWorkspace?: boolean;
}

function parseFormats(value: string): SweepFormat[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const f of list) {
    if (!(SWEEP_FORMATS as readonly string[]).includes(f)) throw new InvalidArgumentError(`unknown format "${f}": expected one or more of ${SWEEP_FORMATS.join(', ')}, comma-separated`);
  }
  return [...new Set(list)] as SweepFormat[];
}

function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

/** A file written in pieces under a temporary name and renamed into place when complete, like writeFileAtomic. */
class StreamedFile {
  private constructor(private readonly file: string, private readonly temp: string, private readonly handle: FileHandle) {}

  static async open(file: string): Promise<StreamedFile> {
    const temp = reportTempName(file);
    return new StreamedFile(file, temp, await open(temp, 'wx'));
  }

  async write(text: string): Promise<void> {
    await this.handle.write(text);
  }

  async commit(): Promise<void> {
    await this.handle.sync();
    await this.handle.close();
    await rename(this.temp, this.file);
  }

  async discard(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await unlink(this.temp).catch(() => undefined);
  }
}

function writeStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(text, (e) => (e ? reject(e) : resolve())));
}

/** The sweep's own findings (the manifest cap) as a report of the swept folder, so the JSON list carries them too. */
function sweepLevelReport(result: SweepResult): AuditReport {
  return folderReport(result, result.findings);
}

export function registerSweepCommand(program: Command): void {
  program
    .command('sweep')
    .description('audit every privacy-audit.json under a folder, a bounded number at a time, and write one combined report')
    .argument('[folder]', 'folder to search for privacy-audit.json files', '.')
    .option('--concurrency <n>', 'manifests audited at once (each audit already uses the worker threads)', wholeNumber('--concurrency', 1), 1)
    .option('--format <list>', `report formats, comma-separated: ${SWEEP_FORMATS.join(', ')}`, parseFormats, ['text'] as SweepFormat[])
    .option('--out <dir>', `folder to write ${Object.values(SWEEP_FILE_NAMES).join(', ')} into; without it the (single) format is printed`)
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding has at least this severity').choices(['high', 'medium', 'low', 'never']).default('high'))
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'))
    .option('--attacks <ids>', 'run these attacks instead of each manifest\'s (comma-separated)')
    .option('--cache-dir <dir>', 'shadow-model cache folder (default: .privacy-lint-cache/shadows beside each manifest)')
    .option('--workers <n>', 'worker threads for shadow training (0 = one per core)', wholeNumber('--workers', 0))
    .option('--queue <url>', 'train shadow models on `privacy-lint worker`s of this Redis queue (redis://HOST:PORT) instead of locally')
    .option('--exclude <names>', 'folder names not searched, comma-separated (replaces the default list)', list, [...SWEEP_EXCLUDED_FOLDERS])
    .option('--max-manifests <n>', 'audit at most this many manifests (in path order); more is reported as an input error', wholeNumber('--max-manifests', 1), DEFAULT_MAX_MANIFESTS)
    .option('--workspace-root <dir>', 'folder every model and data path must resolve inside, after symlinks (default: the swept folder)')
    .option('--allow-outside-workspace', 'read model and data files outside the workspace root (off by default: such paths are errors)')
    .action(async (folder: string, opts: SweepCommandOptions) => {
      if (!opts.out && opts.format.length > 1) throw new CommanderError(EXIT_USAGE, 'privacy-lint.out', 'several formats need --out <dir>');
      if (opts.queue !== undefined) parseQueueUrl(opts.queue);
      const bar = new ProgressBar();
      const controller = new AbortController();
      const onSigint = () => controller.abort();
      process.once('SIGINT', onSigint);
      let jsonFile: StreamedFile | undefined;
      try {
        let jsonList: JsonReportList | undefined;
        if (opts.format.includes('json')) {
          if (opts.out) {
            await mkdir(opts.out, { recursive: true });
            const file = await StreamedFile.open(path.join(opts.out, SWEEP_FILE_NAMES.json));
            jsonFile = file;
            jsonList = new JsonReportList((text) => file.write(text));
          } else {
            jsonList = new JsonReportList(writeStdout);
          }
        }
        let total = 0;
        let finished = 0;
        const result = await sweepWorkspace(folder, {
          concurrency: opts.concurrency,
          exclude: opts.exclude,
          maxManifests: opts.maxManifests,
          backend: opts.backend,
          attacks: opts.attacks ? list(opts.attacks) : undefined,
          cacheDir: opts.cacheDir,
          workers: opts.workers,
          queueUrl: opts.queue,
          ...containmentOf(opts),
          signal: controller.signal,
          onManifestStart: (_manifest, _index, count) => {
            total = count;
          },
          onProgress: (p) => bar.update({ ...p, audit: `[${finished + 1}/${total}] ${p.audit}` }),
          onManifestDone: async (entry, report) => {
            finished++;
            bar.done();
            process.stderr.write(`[${finished}/${total}] ${oneLine(entry.manifest)}: ${entry.status}, ${entry.findings.length} finding(s), ${(entry.durationMs / 1000).toFixed(1)} s\n`);
            await jsonList?.add(report);
          },
        });
        bar.done();
        if (jsonList) {
          if (result.findings.length) await jsonList.add(sweepLevelReport(result));
          await jsonList.close();
        }
        if (jsonFile) {
          await jsonFile.commit();
          process.stderr.write(`wrote ${path.relative(process.cwd(), path.join(opts.out!, SWEEP_FILE_NAMES.json))}\n`);
          jsonFile = undefined;
        }
        const rendered = (format: SweepFormat) => (format === 'sarif' ? `${escapeJsonText(JSON.stringify(sweepToSarif(result), null, 2))}\n` : sweepToText(result));
        if (opts.out) {
          for (const format of opts.format.filter((f) => f !== 'json')) {
            const file = path.join(opts.out, SWEEP_FILE_NAMES[format]);
            await writeFileAtomic(file, rendered(format));
            process.stderr.write(`wrote ${path.relative(process.cwd(), file) || file}\n`);
          }
          process.stdout.write(sweepToText(result));
        } else if (opts.format[0] !== 'json') {
          process.stdout.write(rendered(opts.format[0]));
        }
        process.exitCode = exitCode(result, opts.failOn);
        if (result.cancelled) process.stderr.write(`privacy-lint: cancelled; ${result.entries.filter((e) => e.status !== 'cancelled').length} of ${result.entries.length} manifest(s) finished and are reported\n`);
      } finally {
        bar.done();
        await jsonFile?.discard();
        process.off('SIGINT', onSigint);
      }
    });
}

function exitCode(result: SweepResult, failOn: Severity | 'never'): number {
  if (result.cancelled) return EXIT_CANCELLED;
  return exitCodeFor(sweepFindings(result), failOn);
}
