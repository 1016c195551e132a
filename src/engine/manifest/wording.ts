/** Shared phrasing of problem messages: what the problem is about and what was found. */
import type { JsonPath } from './types';

/** `policy.rules[0].fpr` */
export function formatPath(path: JsonPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text ? `.${segment}` : segment;
  }
  return text;
}

/**
 * Who the message is about, naming the audit when the path is inside one:
 * `Manifest`, `version`, `Audit "mnist"`, `Audit "mnist", policy.rules[0].fpr`.
 */
export function subjectOf(path: JsonPath, root: unknown): string {
  if (path.length === 0) return 'Manifest';
  if (path[0] !== 'audits' || typeof path[1] !== 'number') return formatPath(path);
  const audits = (root as { audits?: unknown } | undefined)?.audits;
  const audit = Array.isArray(audits) ? (audits[path[1]] as { name?: unknown } | undefined) : undefined;
  const name = audit && typeof audit === 'object' && typeof audit.name === 'string' && audit.name !== ''
    ? `Audit "${audit.name}"`
    : `Audit ${path[1]}`;
  const rest = path.slice(2);
  return rest.length ? `${name}, ${formatPath(rest)}` : name;
}

/** `the string "x"`, `the number 3`, `an object`, ... (strings cut at 60 characters). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return value === '' ? 'an empty string' : `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : `an array of ${value.length}`;
  return 'an object';
}
