/**
 * The audit thread (dist/audit-worker.js). All TensorFlow work happens here, so the
 * server's event loop stays free for diagnostics, status and cancellation.
 *
 * A job runs its audits one at a time, each as its own engine call, and posts each
 * audit's complete report (findings included) as soon as it is done: a cancel then loses
 * only the audit in progress. An audit with shadow-model attacks first posts a
 * preliminary report (its threshold attacks), which the server shows until the final one. Cancel aborts the job's AbortController; the engine checks
 * it between steps.
 */
import { parentPort } from 'node:worker_threads';
import { auditResolved, type ResolvedManifest } from '../engine/audit';
import { isInputError } from '../engine/errors';
import { parseManifest } from '../engine/manifest';
import { shadowCountFor } from './shadow-count';
import type { FromWorker, RunAuditJob, ToWorker } from './worker-messages';

const port = parentPort;
if (!port) throw new Error('audit-worker.js runs as a worker thread of the Model Privacy server');

const controllers = new Map<number, AbortController>();
/** Jobs run one after another; the server sends one at a time, this only makes sure. */
let queue: Promise<void> = Promise.resolve();

function post(message: FromWorker): void {
  port!.postMessage(message);
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'cancel') {
    controllers.get(message.jobId)?.abort();
    return;
  }
  const controller = new AbortController();
  controllers.set(message.jobId, controller);
  queue = queue
    .then(() => runJob(message, controller.signal))
    .finally(() => controllers.delete(message.jobId));
});

async function runJob(job: RunAuditJob, signal: AbortSignal): Promise<void> {
  try {
    const containment = { allowOutsideWorkspace: job.allowOutsideWorkspace === true, ...(job.workspaceRoot ? { workspaceRoot: job.workspaceRoot } : {}) };
    const parsed = parseManifest(job.manifestText, job.manifestFile, containment);
    if (!parsed.manifest) {
      const first = parsed.problems.find((p) => p.severity === 'error');
      post({ type: 'failed', jobId: job.jobId, input: true, message: `${job.manifestFile}: the manifest has errors${first ? `: ${first.message}` : ''}` });
      return;
    }
    // Same shape resolveManifest gives; a proposal has no file and no ranges to point into.
    const resolved: ResolvedManifest = {
      manifest: parsed.manifest,
      root: job.root,
      findings: [],
      proposed: job.proposed,
      ...(job.proposed ? {} : { file: job.manifestFile, ranges: parsed.ranges }),
    };
    const specs = new Map(parsed.manifest.audits.map((a) => [a.name, a]));
    for (const [index, audit] of job.audits.entries()) {
      if (signal.aborted) break;
      const spec = specs.get(audit);
      const shadowCount = spec ? shadowCountFor(spec, job.manifestText, job.shadowModels) : undefined;
      const report = await auditResolved(resolved, {
        backend: job.backend,
        workers: job.workers,
        ...(job.queueUrl ? { queueUrl: job.queueUrl } : {}),
        ...(job.shadowCacheDir ? { cacheDir: job.shadowCacheDir } : {}),
        only: [audit],
        attacks: job.attacks,
        ...containment,
        ...(shadowCount !== undefined ? { shadowCount } : {}),
        signal,
        onProgress: (progress) => post({ type: 'progress', jobId: job.jobId, index, count: job.audits.length, progress }),
        onAuditPreliminary: (preliminary) => post({ type: 'auditPreliminary', jobId: job.jobId, audit, report: preliminary }),
      });
      post({ type: 'auditDone', jobId: job.jobId, audit, report });
    }
    post(signal.aborted ? { type: 'cancelled', jobId: job.jobId } : { type: 'finished', jobId: job.jobId });
  } catch (e) {
    if (signal.aborted || isCancellation(e)) {
      post({ type: 'cancelled', jobId: job.jobId });
    } else if (isInputError(e)) {
      post({ type: 'failed', jobId: job.jobId, input: true, message: e.message });
    } else {
      const error = e instanceof Error ? e : new Error(String(e));
      post({ type: 'failed', jobId: job.jobId, input: false, message: error.message, ...(error.stack ? { stack: error.stack } : {}) });
    }
  }
}

function isCancellation(e: unknown): boolean {
  const name = (e as Error | undefined)?.name;
  return name === 'CancelledError' || name === 'AbortError';
}
