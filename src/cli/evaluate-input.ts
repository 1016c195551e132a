/** Reads and checks `privacy-lint evaluate` input: {"scores": number[], "membership": boolean[], "delta"?: number}. */
import * as fs from 'node:fs';
import { InputError } from '../engine/errors';
import { splitHalfEpsilonLowerBound } from '../engine/metrics';

export interface ScoredMembership {
  scores: number[];
  membership: boolean[];
  /** When given: the empirical epsilon lower bound at this delta is reported too. */
  delta?: number;
}

export function readScoredMembership(file: string): ScoredMembership {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`expected a JSON file {"scores": [...], "membership": [...]}: ${(e as Error).message}`, { file });
  }
  const obj = json as { scores?: unknown; membership?: unknown; delta?: unknown };
  if (typeof obj !== 'object' || obj === null || !Array.isArray(obj.scores)) {
    throw new InputError('expected "scores": an array of numbers (higher = more likely a member)', { file, field: 'scores' });
  }
  if (!Array.isArray(obj.membership)) {
    throw new InputError('expected "membership": an array of booleans (true = member), one per score', { file, field: 'membership' });
  }
  obj.scores.forEach((s, i) => {
    if (typeof s !== 'number' || Number.isNaN(s)) throw new InputError(`expected a number, found ${JSON.stringify(s)}`, { file, field: `scores[${i}]` });
  });
  obj.membership.forEach((m, i) => {
    if (typeof m !== 'boolean') throw new InputError(`expected true or false, found ${JSON.stringify(m)}`, { file, field: `membership[${i}]` });
  });
  if (obj.scores.length !== obj.membership.length) {
    throw new InputError(`"scores" has ${obj.scores.length} entries but "membership" has ${obj.membership.length}; they must pair up`, { file, field: 'membership' });
  }
  const members = (obj.membership as boolean[]).filter(Boolean).length;
  if (members === 0 || members === obj.membership.length) {
    throw new InputError(`need at least one member and one non-member, found ${members} members of ${obj.membership.length}`, { file, field: 'membership' });
  }
  if (obj.delta !== undefined && !(typeof obj.delta === 'number' && obj.delta >= 0 && obj.delta < 1)) {
    throw new InputError(`expected "delta": a number in [0, 1), found ${JSON.stringify(obj.delta)}`, { file, field: 'delta' });
  }
  return { scores: obj.scores as number[], membership: obj.membership as boolean[], ...(obj.delta !== undefined ? { delta: obj.delta as number } : {}) };
}

/** The split-half bound on scores computed elsewhere, so anyone can test its calibration on their own runs. */
export function evaluateEpsilonBound(scores: number[], membership: boolean[], delta: number): { epsilon: number; delta: number; method: 'split-half'; confidence: number } {
  const members = Float64Array.from(scores.filter((_, i) => membership[i]));
  const nonMembers = Float64Array.from(scores.filter((_, i) => !membership[i]));
  const b = splitHalfEpsilonLowerBound(members, nonMembers, delta);
  return { epsilon: b.epsilon, delta, method: b.method, confidence: b.confidence };
}

export function epsilonBoundText(b: { epsilon: number; delta: number; confidence: number }): string {
  return `Empirical epsilon lower bound (delta ${b.delta}): ${b.epsilon.toFixed(3)} - threshold chosen on a random half of the records, bound on the other half at ${b.confidence * 100}% confidence; a one-run audit (Steinke et al. 2023) that assumes members were chosen at random.\n`;
}
