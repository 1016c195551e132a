/**
 * Validation against schemas/privacy-audit.schema.json (the same file VS Code uses for
 * completion), with ajv's errors mapped to ranges and plain messages:
 * - a wrong value: the range of the value;
 * - a missing required property: the key of the object that lacks it, or its "{" when
 *   it has no key (an array element or the root);
 * - an unknown property: its key.
 */
import Ajv, { type AnySchema, type ErrorObject, type ValidateFunction } from 'ajv';
import manifestSchema from '../../../schemas/privacy-audit.schema.json';
import type { ManifestRanges } from './ranges';
import { didYouMean } from './suggest';
import { describeValue, subjectOf } from './wording';
import type { JsonPath, ManifestProblem } from './types';

/** The manifest's JSON schema, as shipped in the package. */
export const MANIFEST_SCHEMA: AnySchema = manifestSchema;

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true, strict: true, strictRequired: false });
    // VS Code's editor-only annotations: strict mode would reject them as unknown keywords.
    ajv.addKeyword('markdownDescription');
    ajv.addKeyword('markdownEnumDescriptions');
    ajv.addKeyword('defaultSnippets');
    compiled = ajv.compile(MANIFEST_SCHEMA);
  }
  return compiled;
}

export function schemaProblems(value: unknown, ranges: ManifestRanges): ManifestProblem[] {
  const validate = validator();
  if (validate(value)) return [];
  const problems: ManifestProblem[] = [];
  for (const error of validate.errors ?? []) {
    const problem = toProblem(error, value, ranges);
    if (problem && !problems.some((p) => p.message === problem.message && p.range.offset === problem.range.offset)) {
      problems.push(problem);
    }
  }
  return problems;
}

function toProblem(error: ErrorObject, root: unknown, ranges: ManifestRanges): ManifestProblem | undefined {
  const path = pointerToPath(error.instancePath, root);
  // "if" only says that its "then" failed; the "then" error itself is reported.
  if (error.keyword === 'if') return undefined;
  // Attack ids are checked against the catalog (semantic checks), which can suggest the
  // closest id; the schema's enum only serves the editor's completion.
  if (error.keyword === 'enum' && isAttackItem(path)) return undefined;

  if (error.keyword === 'required') {
    const missing = String(error.params['missingProperty']);
    const range = ranges.anchorOf(path);
    if (!range) return undefined;
    return { message: missingMessage(path, missing, root, error), range, severity: 'error', path: [...path, missing] };
  }
  if (error.keyword === 'additionalProperties') {
    const unknown = String(error.params['additionalProperty']);
    const range = ranges.rangeOf([...path, unknown], 'key');
    if (!range) return undefined;
    const allowed = Object.keys(propertiesOf(error.parentSchema));
    const message =
      `${subjectOf(path, root)}: unknown property "${unknown}".${didYouMean(unknown, allowed)}` +
      ` Expected one of: ${allowed.join(', ')}.`;
    return { message, range, severity: 'error', path: [...path, unknown] };
  }
  const range = ranges.rangeOf(path, 'value');
  if (!range) return undefined;
  return { message: `${subjectOf(path, root)}: ${wrongValueMessage(error, path)}`, range, severity: 'error', path };
}

function missingMessage(path: JsonPath, missing: string, root: unknown, error: ErrorObject): string {
  if (missing === 'fpr') {
    return `${subjectOf(path, root)}: a "tprAtFpr" rule needs "fpr", the false-positive rate at which TPR is read (e.g. 0.001), but it is missing.`;
  }
  const description = descriptionOf(propertiesOf(error.parentSchema)[missing]);
  return `${subjectOf(path, root)}: missing required property "${missing}"${description ? `, the ${description}` : ''}.`;
}

function wrongValueMessage(error: ErrorObject, path: JsonPath): string {
  const found = describeValue(error.data);
  const name = String(path[path.length - 1] ?? 'value');
  const schema = (error.parentSchema ?? {}) as Record<string, unknown>;
  switch (error.keyword) {
    case 'type':
      return isDatasetPath(path)
        ? `expected a file path (string) or an object with "path", found ${found}.`
        : `expected ${typeWords(String(error.params['type']))}, found ${found}.`;
    case 'const':
      return `expected ${JSON.stringify(error.params['allowedValue'])}${name === 'version' ? ' (the only manifest version)' : ''}, found ${found}.`;
    case 'enum': {
      const allowed = (error.params['allowedValues'] as unknown[]).map(String);
      const hint = typeof error.data === 'string' ? didYouMean(error.data, allowed) : '';
      return `expected one of ${allowed.map((a) => `"${a}"`).join(', ')}, found ${found}.${hint}`;
    }
    case 'minLength':
      return `expected a non-empty string, found ${found}.`;
    case 'minItems':
      return name === 'attacks'
        ? `expected at least one attack id, found an empty list (remove "attacks" to run the default attacks).`
        : `expected at least ${String(error.params['limit'])} item(s), found ${found}.`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `expected a number with ${intervalText(name, schema)}, found ${found}.`;
    default:
      return `${error.message ?? 'is not valid'}; found ${found}.`;
  }
}

/** "0 < fpr < 1", "0 <= max <= 1", "claimedEpsilon > 0", from every bound the schema sets. */
function intervalText(name: string, schema: Record<string, unknown>): string {
  const bound = (exclusive: string, inclusive: string) =>
    typeof schema[exclusive] === 'number' ? { value: schema[exclusive] as number, strict: true }
    : typeof schema[inclusive] === 'number' ? { value: schema[inclusive] as number, strict: false }
    : undefined;
  const low = bound('exclusiveMinimum', 'minimum');
  const high = bound('exclusiveMaximum', 'maximum');
  const lt = (strict: boolean) => (strict ? '<' : '<=');
  if (low && high) return `${low.value} ${lt(low.strict)} ${name} ${lt(high.strict)} ${high.value}`;
  if (low) return `${name} ${low.strict ? '>' : '>='} ${low.value}`;
  if (high) return `${name} ${lt(high.strict)} ${high.value}`;
  return `a valid ${name}`;
}

function typeWords(types: string): string {
  const words: Record<string, string> = {
    string: 'a string', object: 'an object', array: 'an array', number: 'a number',
    integer: 'an integer', boolean: 'true or false', null: 'null',
  };
  return types.split(',').map((t) => words[t] ?? t).join(' or ');
}

function propertiesOf(schema: unknown): Record<string, unknown> {
  const properties = (schema as { properties?: unknown } | undefined)?.properties;
  return properties && typeof properties === 'object' ? (properties as Record<string, unknown>) : {};
}

function descriptionOf(schema: unknown): string | undefined {
  const description = (schema as { description?: unknown } | undefined)?.description;
  if (typeof description !== 'string') return undefined;
  // Worded to follow "missing required property "x", the ...".
  const text = description.replace(/^The /, '').replace(/\.$/, '');
  // Lower-case a leading capital, not an acronym ("CSV/TSV").
  return /^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}

function isDatasetPath(path: JsonPath): boolean {
  const last = path[path.length - 1];
  return path.length === 3 && path[0] === 'audits' && (last === 'members' || last === 'nonMembers' || last === 'population');
}

function isAttackItem(path: JsonPath): boolean {
  if (path[0] !== 'audits' || typeof path[path.length - 1] !== 'number') return false;
  if (path.length === 4) return path[2] === 'attacks';
  // audits[i].defenses.attacks[j]
  return path.length === 5 && path[2] === 'defenses' && path[3] === 'attacks';
}

/** ajv's instancePath (a JSON pointer) -> path segments, numbers where the data is an array. */
export function pointerToPath(pointer: string, root: unknown): JsonPath {
  if (pointer === '') return [];
  const path: JsonPath = [];
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      const index = Number(key);
      path.push(index);
      node = node[index];
    } else {
      path.push(key);
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return path;
}
