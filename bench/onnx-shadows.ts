/**
 * Shadows of an ONNX target's converted architecture against shadows of the equivalent
 * hand-written Keras model: the same PyTorch CNN target (exported to ONNX), records,
 * shadow count, epochs, optimizer and seed; only the shadows' architecture file differs.
 * Prints ONE JSON line: per audit and attack, AUC and TPR at 0.1% FPR (with its interval),
 * and the audit's wall time.
 *
 *   /usr/bin/python3 bench/onnx-shadows.py DIR [--members 1000] [--shadows 8] [--shadow-epochs 8]
 *   node --import tsx bench/onnx-shadows.ts DIR [--workers 2]
 *
 * Run it once: training 2 x 8 CNN shadows on the wasm backend takes many minutes on 2 cores.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { auditTarget } from '../src/engine/audit';

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir || !fs.existsSync(path.join(dir, 'privacy-audit.json'))) {
    throw new Error('usage: node --import tsx bench/onnx-shadows.ts DIR (a folder written by bench/onnx-shadows.py)');
  }
  const workersAt = process.argv.indexOf('--workers');
  const workers = workersAt > 0 ? Number(process.argv[workersAt + 1]) : 2;
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mpl-onnx-shadows-bench-'));
  const started = Date.now();
  try {
    const report = await auditTarget(path.join(dir, 'privacy-audit.json'), { cacheDir, workers });
    const audits = report.audits.map((a) => ({
      name: a.name,
      seconds: Math.round((a.durationMs ?? 0) / 1000),
      accuracy: a.accuracy,
      errors: a.errors,
      shadowQuality: a.shadowQuality,
      notes: [...new Set(a.attacks.flatMap((x) => x.notes ?? []))],
      attacks: Object.fromEntries(a.attacks.map((x) => [x.id, {
        auc: Number(x.metrics.auc.toFixed(4)),
        tprAt1: x.metrics.tprAtFpr['0.01'].tpr,
        tprAt01: x.metrics.tprAtFpr['0.001'].tpr,
        tprAt01Interval: x.metrics.tprAtFpr['0.001'].tprInterval,
        architectureFallback: x.architectureFallback,
      }])),
    }));
    const findings = report.findings.filter((f) => f.rule === 'fallback-architecture' || f.rule === 'invalid-input').map((f) => [f.audit, f.rule, f.message]);
    console.log(JSON.stringify({ workers, totalSeconds: Math.round((Date.now() - started) / 1000), loadAverage: os.loadavg()[0], audits, findings }));
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
