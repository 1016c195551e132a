/**
 * Exit code of `privacy-lint inspect`: 1 when the artifact is unsafe to load or could not be
 * verified (an error-level safety finding), 2 when it could not be read as what it claims to be, 0 otherwise. Safety
 * wins: a truncated pickle that already imports os.system is reported as unsafe.
 */
import type { RuleName } from '../../shared/rules';
import type { InspectResult } from './types';

export const INSPECT_EXIT = { ok: 0, unsafe: 1, unreadable: 2 } as const;

/** A file the scanner could not verify is treated as unsafe (fail closed). */
const SAFETY_RULES: ReadonlySet<RuleName> = new Set(['unsafe-artifact', 'serialized-code', 'unverified-artifact']);

export function inspectExitCode(result: InspectResult): number {
  if (result.findings.some((f) => f.severity === 'high' && SAFETY_RULES.has(f.rule))) return INSPECT_EXIT.unsafe;
  if (result.findings.some((f) => f.severity === 'high' && f.rule === 'invalid-input')) return INSPECT_EXIT.unreadable;
  return INSPECT_EXIT.ok;
}
