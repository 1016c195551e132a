/**
 * Exit codes of privacy-lint and how a list of findings maps to one, shared by the
 * commands that audit (audit, sweep): 0 nothing reaches --fail-on, 1 something does,
 * 2 a usage or input error, 130 cancelled (Ctrl+C).
 */
import { InvalidArgumentError } from 'commander';
import type { Finding } from '../engine/report';
import { SEVERITY_ORDER, type Severity } from '../shared/rules';

export const EXIT_OK = 0;
export const EXIT_FINDINGS = 1;
export const EXIT_USAGE = 2;
export const EXIT_CANCELLED = 130;

/** A problem with the user's files that stopped an audit (not one attack's failure). */
export function isInputProblem(f: Finding): boolean {
  // An implausible input (accuracy at chance, swapped files...) stops its audit like invalid input.
  return (f.rule === 'invalid-input' || f.data?.stopsAudit === true) && f.severity === 'high' && !f.attack;
}

export function exitCodeFor(findings: readonly Finding[], failOn: Severity | 'never'): number {
  if (findings.some(isInputProblem)) return EXIT_USAGE;
  if (failOn !== 'never' && findings.some((f) => SEVERITY_ORDER[f.severity] >= SEVERITY_ORDER[failOn])) return EXIT_FINDINGS;
  return EXIT_OK;
}

/** A commander argument parser for a whole number of at least `min`. */
export function wholeNumber(name: string, min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} expects a whole number >= ${min}, found "${value}"`);
    return n;
  };
}
