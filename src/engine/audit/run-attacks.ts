/**
 * Runs a list of attacks on one attack context and builds their results: the loop the
 * main audit, the ensemble comparison and the defense evaluation share. Cancellation
 * always stops the loop; `rethrow` says which other failures stop it too (the rest are
 * recorded per attack, so one failing attack never loses the others).
 */
import type { AttackContext } from './attack-context';
import { buildAttackResult } from './attack-result';
import { isCancellation, throwIfCancelled } from './progress';
import { runAttack } from './run-attack';
import type { AttackResult } from '../report/schema';

export interface AttackLoopOptions {
  signal?: AbortSignal;
  /** Delta of the empirical epsilon bounds. */
  delta?: number;
  /** Confidence of each attack's epsilon bound (default 0.95). */
  epsilonConfidence?: number;
  /** Called before each attack starts. */
  onAttack?: (id: string, index: number) => void;
  /** Failures (besides cancellation) that stop the loop instead of being recorded. */
  rethrow?: (e: unknown) => boolean;
}

export async function runAttacks(ids: readonly string[], ctx: AttackContext, options: AttackLoopOptions = {}): Promise<{ results: AttackResult[]; errors: { attack: string; message: string }[] }> {
  const { outputs, numClasses } = ctx;
  const results: AttackResult[] = [];
  const errors: { attack: string; message: string }[] = [];
  for (const [i, id] of ids.entries()) {
    throwIfCancelled(options.signal);
    options.onAttack?.(id, i);
    try {
      const run = await runAttack(id, ctx);
      results.push(buildAttackResult(run.description, run.scores, outputs.members.dataset.labels, outputs.nonMembers.dataset.labels, numClasses, options.delta, options.epsilonConfidence));
    } catch (e) {
      if (isCancellation(e, options.signal) || options.rethrow?.(e)) throw e;
      errors.push({ attack: id, message: (e as Error).message });
    }
  }
  return { results, errors };
}
