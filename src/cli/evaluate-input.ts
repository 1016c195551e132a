/** Reads and checks `privacy-lint evaluate` input: {"scores": number[], "membership": boolean[]}. */
import * as fs from 'node:fs';
import { InputError } from '../engine/errors';

export interface ScoredMembership {
  scores: number[];
  membership: boolean[];
}

export function readScoredMembership(file: string): ScoredMembership {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`expected a JSON file {"scores": [...], "membership": [...]}: ${(e as Error).message}`, { file });
  }
  const obj = json as { scores?: unknown; membership?: unknown };
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
  return { scores: obj.scores as number[], membership: obj.membership as boolean[] };
}
