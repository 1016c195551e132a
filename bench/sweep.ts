/**
 * A sweep over a workspace of many models: builds, in a temp folder, `--models` (50)
 * tiny workspaces (test/helpers/model-zoo.ts: an MLP 8-32-3 with its own random weights,
 * 200 member and 200 non-member CSV records, a privacy-audit.json with threshold attacks
 * and, with --shadows N, LiRA on N shadow models), then sweeps the folder with the
 * engine's sweepWorkspace (what `privacy-lint sweep` runs) at `--concurrency` (1) audits
 * in flight, and reports wall time, peak RSS and peak V8 heap (sampled every 20 ms), the
 * most audits seen in flight, and whether memory stayed bounded: the peak RSS and heap
 * over the second half of the sweep are compared with the first half's (a leak grows
 * with the number of models audited). Prints ONE JSON line.
 *
 *   node --import tsx --expose-gc bench/sweep.ts [--models 50] [--concurrency 1] [--shadows 0]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { auditTarget, sweepWorkspace, type SweepAuditFunction } from '../src/engine/audit';
import { buildModelZoo } from '../test/helpers/model-zoo';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const MODELS = arg('models', 50);
const CONCURRENCY = arg('concurrency', 1);
const SHADOWS = arg('shadows', 0);

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sweep-'));
  try {
    await buildModelZoo(root, { models: MODELS, shadows: SHADOWS, backend: 'wasm' });
    tf.disposeVariables();
    global.gc?.();
    const baseline = process.memoryUsage();
    const peak = { rss: baseline.rss, heap: baseline.heapUsed };
    const halves = [{ rss: 0, heap: 0 }, { rss: 0, heap: 0 }];
    let done = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    let findings = 0;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peak.rss = Math.max(peak.rss, m.rss);
      peak.heap = Math.max(peak.heap, m.heapUsed);
      const half = halves[done < MODELS / 2 ? 0 : 1];
      half.rss = Math.max(half.rss, m.rss);
      half.heap = Math.max(half.heap, m.heapUsed);
    }, 20);
    // auditTarget, counted: the bound is measured, not assumed.
    const audit: SweepAuditFunction = async (file, options) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await auditTarget(file, options);
      } finally {
        inFlight--;
      }
    };
    const started = Date.now();
    const result = await sweepWorkspace(root, {
      concurrency: CONCURRENCY,
      backend: 'wasm',
      workers: 1,
      cacheDir: path.join(root, '.privacy-lint-cache', 'shadows'),
      audit,
      onManifestDone: (entry, report) => {
        if (report.audits.length !== 1) throw new Error(`${entry.manifest}: expected one audit, got ${report.audits.length} (${report.findings.map((f) => f.message).join('; ')})`);
        findings += report.findings.length;
        done++;
      },
    });
    const seconds = (Date.now() - started) / 1000;
    clearInterval(sampler);
    global.gc?.();
    const after = process.memoryUsage();
    const audited = result.entries.filter((e) => e.status === 'audited').length;
    if (audited !== MODELS) throw new Error(`audited ${audited} of ${MODELS} manifests`);
    const mib = (b: number) => +(b / 2 ** 20).toFixed(1);
    process.stdout.write(JSON.stringify({
      bench: 'sweep',
      models: MODELS, concurrency: CONCURRENCY, maxInFlight, shadowsPerModel: SHADOWS, audited, findings,
      seconds: +seconds.toFixed(1), modelsPerMinute: +(MODELS / seconds * 60).toFixed(1),
      baselineRssMiB: mib(baseline.rss), peakRssMiB: mib(peak.rss), peakHeapUsedMiB: mib(peak.heap),
      peakRssFirstHalfMiB: mib(halves[0].rss), peakRssSecondHalfMiB: mib(halves[1].rss),
      peakHeapFirstHalfMiB: mib(halves[0].heap), peakHeapSecondHalfMiB: mib(halves[1].heap),
      heapUsedAfterGcMiB: mib(after.heapUsed), keptResultKiB: +(JSON.stringify(result).length / 1024).toFixed(1),
      cores: os.cpus().length, loadAverage1m: +os.loadavg()[0].toFixed(2),
    }) + '\n');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench/sweep: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
