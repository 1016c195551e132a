/**
 * Checks `--attacks` ids and `--only` audit names before anything runs: a typo is a usage
 * error (exit 2) with a suggestion, as the manifest's own checks give, instead of an
 * audit that silently runs nothing or reports the id as a failed attack.
 */
import { CommanderError } from 'commander';
import { isKnownAttack, knownAttacks } from '../engine/attacks/catalog';
import { closestMatch } from '../engine/manifest/suggest';
import { EXIT_USAGE } from './exit-codes';

/** Splits a comma-separated option; an empty list is a usage error. */
export function parseList(option: string, value: string): string[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw usage(option, `${option} expects one or more comma-separated names, found "${value}"`);
  return list;
}

export function checkAttackIds(ids: readonly string[]): void {
  const unknown = ids.filter((id) => !isKnownAttack(id));
  if (unknown.length === 0) return;
  const suggested = unknown.every((id) => closestMatch(id, knownAttacks()) !== undefined);
  // Without a close match the whole list (25 ids) helps more than a pointer to the docs.
  throw usage('--attacks', `${unknownText('attack', unknown, knownAttacks())} in --attacks${suggested ? '' : `; known attacks: ${knownAttacks().join(', ')}`}`);
}

/** `names` are the audits the target covers: the manifest's, or for a model target those that audit it. */
export function checkAuditNames(only: readonly string[], names: readonly string[], modelTarget = false): void {
  const unknown = only.filter((n) => !names.includes(n));
  if (unknown.length === 0) return;
  const listed = names.length === 0 ? 'none' : names.map((n) => `"${n}"`).join(', ');
  throw usage('--only', `${unknownText('audit', unknown, names)} in --only; ${modelTarget ? 'the audits of this model are' : 'the manifest has'} ${listed}`);
}

function unknownText(kind: string, unknown: readonly string[], candidates: readonly string[]): string {
  return unknown
    .map((u) => {
      const match = closestMatch(u, candidates);
      return `unknown ${kind} "${u}"${match === undefined ? '' : ` (did you mean "${match}"?)`}`;
    })
    .join(', ');
}

function usage(option: string, message: string): CommanderError {
  return new CommanderError(EXIT_USAGE, `privacy-lint.${option.replace(/^--/, '')}`, message);
}
