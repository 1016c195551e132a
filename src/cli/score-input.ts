/**
 * Reads and checks `privacy-lint score` input files. Every problem becomes an InputError
 * naming the field, the record and what was expected, so no bad value reaches the engine.
 *
 * LiRA and difficulty calibration ({@link readShadowSignalsInput}):
 *   target      phi per record: number[] (records), or number[][] (records x queries)
 *   shadow      the shadows' phi: number[][] (records x shadows), or number[][][]
 *               (records x shadows x queries) when target has queries
 *   keep        boolean[][] (records x shadows): true when the shadow trained on the record
 *   membership  optional boolean[] (records): ground truth, for metrics
 * RMIA ({@link readRmiaInput}), probabilities of the true label in [0, 1]:
 *   targetProb               number[] (records): the target model's
 *   referenceProb            number[][] (records x reference models)
 *   populationTargetProb     number[] (population records): the target model's
 *   populationReferenceProb  number[][] (population x reference models)
 *   keep                     optional boolean[][] (records x reference models)
 *   membership               optional boolean[] (records)
 * Other keys are ignored, so one file can carry inputs for several attacks.
 */
import * as fs from 'node:fs';
import { InputError } from '../engine/errors';
import { countKept, type ShadowSignals } from '../engine/attacks/shadow-statistics';
import type { RmiaInput } from '../engine/attacks/rmia';

export interface ShadowSignalsFile {
  signals: ShadowSignals;
  membership?: boolean[];
}

export interface RmiaFile {
  input: RmiaInput;
  membership?: boolean[];
}

/** Which shadows an attack needs for every record. */
export interface ShadowRequirement {
  /** The attack's id, for messages. */
  attack: string;
  keep: 'required' | 'optional';
  /** At least one shadow that trained on each record (online LiRA). */
  needIn: boolean;
  /** At least one shadow that did not (every reference-model attack). */
  needOut: boolean;
}

export function readShadowSignalsInput(file: string, need: ShadowRequirement): ShadowSignalsFile {
  const fields = new FieldReader(file, readJsonObject(file, '{"target": [...], "shadow": [...], "keep": [...]}'));
  const targetRows = fields.array(fields.get('target'), 'target', 'phi of each record on the target model');
  const records = targetRows.length;
  if (records === 0) fields.fail('no records: "target" is empty', 'target');
  // The first record decides the layout: an array of query statistics, or one number.
  const first = targetRows[0];
  const withQueries = Array.isArray(first);
  const queries = withQueries ? first.length : 1;
  if (queries === 0) fields.fail('expected at least one query statistic, found an empty array', 'target[0]', 0);

  const target = new Float64Array(records * queries);
  targetRows.forEach((row, r) => {
    if (withQueries) fields.numbers(row, `target[${r}]`, r, queries, target, r * queries, 'query statistics, as many as target[0] has');
    else target[r] = fields.finite(row, `target[${r}]`, r, 'target is one number per record (or one array of query statistics per record)');
  });

  const shadowRows = fields.array(fields.get('shadow'), 'shadow', 'shadow statistics, one row per record');
  fields.pairUp('shadow', shadowRows.length, 'target', records);
  const firstShadowRow = fields.array(shadowRows[0], 'shadow[0]', 'one statistic per shadow model', 0);
  const shadows = firstShadowRow.length;
  if (shadows === 0) fields.fail('no shadow models: shadow[0] is empty', 'shadow[0]', 0);
  const shadow = new Float64Array(records * shadows * queries);
  shadowRows.forEach((row, r) => {
    const cells = fields.array(row, `shadow[${r}]`, 'one statistic per shadow model', r);
    fields.expectLength(cells.length, shadows, `shadow[${r}]`, r, 'shadow statistics, one per shadow model, as in shadow[0]');
    cells.forEach((cell, s) => {
      const at = (r * shadows + s) * queries;
      if (withQueries) fields.numbers(cell, `shadow[${r}][${s}]`, r, queries, shadow, at, 'query statistics, as many as target[0] has');
      else shadow[at] = fields.finite(cell, `shadow[${r}][${s}]`, r, 'target has one number per record, so shadow is records x shadows of numbers');
    });
  });

  const keep = readKeep(fields, need.keep === 'required', 'shadow', records, shadows, 'shadow model');
  if (keep) checkCoverage(fields, keep, records, shadows, need);
  const membership = readMembership(fields, records, 'target');
  return { signals: { records, shadows, queries, target, shadow, keep }, membership };
}

export function readRmiaInput(file: string, need: { attack: string; needOut: boolean }): RmiaFile {
  const fields = new FieldReader(
    file,
    readJsonObject(file, '{"targetProb": [...], "referenceProb": [...], "populationTargetProb": [...], "populationReferenceProb": [...]}'),
  );
  const targetProb = fields.probabilities(fields.get('targetProb'), 'targetProb', true);
  const records = targetProb.length;
  if (records === 0) fields.fail('no records: "targetProb" is empty', 'targetProb');
  const populationTargetProb = fields.probabilities(fields.get('populationTargetProb'), 'populationTargetProb', false);
  if (populationTargetProb.length === 0) fields.fail('no population records: RMIA compares each record with population records', 'populationTargetProb');

  const referenceRows = fields.array(fields.get('referenceProb'), 'referenceProb', 'reference-model probabilities, one row per record');
  fields.pairUp('referenceProb', referenceRows.length, 'targetProb', records);
  const references = fields.array(referenceRows[0], 'referenceProb[0]', 'one probability per reference model', 0).length;
  if (references === 0) fields.fail('no reference models: referenceProb[0] is empty', 'referenceProb[0]', 0);
  const referenceProb = fields.probabilityMatrix(referenceRows, 'referenceProb', references, true);
  const populationRows = fields.array(fields.get('populationReferenceProb'), 'populationReferenceProb', 'reference-model probabilities, one row per population record');
  fields.pairUp('populationReferenceProb', populationRows.length, 'populationTargetProb', populationTargetProb.length);
  const populationReferenceProb = fields.probabilityMatrix(populationRows, 'populationReferenceProb', references, false);

  const keep = readKeep(fields, false, 'referenceProb', records, references, 'reference model');
  if (keep) checkCoverage(fields, keep, records, references, { attack: need.attack, keep: 'optional', needIn: false, needOut: need.needOut });
  const membership = readMembership(fields, records, 'targetProb');
  return { input: { targetProb, referenceProb, populationTargetProb, populationReferenceProb, references, keep }, membership };
}

/** keep pairs up with `statistics` (shadow or referenceProb): records x models. */
function readKeep(fields: FieldReader, required: boolean, statistics: string, records: number, columns: number, model: string): Uint8Array | undefined {
  const value = fields.get('keep');
  if (value === undefined && !required) return undefined;
  const rows = fields.array(value, 'keep', `booleans, records x ${model}s: true when the model trained on the record`);
  fields.pairUp('keep', rows.length, statistics, records);
  const keep = new Uint8Array(records * columns);
  rows.forEach((row, r) => {
    const cells = fields.array(row, `keep[${r}]`, `one boolean per ${model}`, r);
    fields.expectLength(cells.length, columns, `keep[${r}]`, r, `booleans, one per ${model} as in ${statistics}[0]`);
    cells.forEach((cell, s) => {
      keep[r * columns + s] = fields.boolean(cell, `keep[${r}][${s}]`, r) ? 1 : 0;
    });
  });
  return keep;
}

function checkCoverage(fields: FieldReader, keep: Uint8Array, records: number, columns: number, need: ShadowRequirement): void {
  for (let r = 0; r < records; r++) {
    const ins = countKept(keep, r, columns);
    if (need.needIn && ins === 0) {
      fields.fail(
        `record ${r} has no IN shadow (keep[${r}] is all false): ${need.attack} fits the statistics of shadows that trained on the record, so each record needs at least one; the offline variants need only OUT shadows`,
        `keep[${r}]`,
        r,
      );
    }
    if (need.needOut && ins === columns) {
      fields.fail(
        `record ${r} has no OUT model (keep[${r}] is all true): ${need.attack} needs at least one model that did not train on each record`,
        `keep[${r}]`,
        r,
      );
    }
  }
}

function readMembership(fields: FieldReader, records: number, pairedWith: string): boolean[] | undefined {
  const value = fields.get('membership');
  if (value === undefined) return undefined;
  const list = fields.array(value, 'membership', 'booleans, one per record (true = member)');
  fields.pairUp('membership', list.length, pairedWith, records);
  const membership = list.map((m, i) => fields.boolean(m, `membership[${i}]`, i));
  const members = membership.filter(Boolean).length;
  if (members === 0 || members === records) {
    fields.fail(`metrics need at least one member and one non-member, found ${members} members of ${records}`, 'membership');
  }
  return membership;
}

/** Parses JSON, accepting the bare NaN / Infinity that Python's json writes so they can be reported by position. */
function readJsonObject(file: string, shape: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read the file: ${(e as Error).message}`, { file });
  }
  let json: unknown;
  try {
    json = parseJsonWithNonFinite(text);
  } catch (e) {
    throw new InputError(`expected a JSON object ${shape}: ${(e as Error).message}`, { file });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new InputError(`expected a JSON object ${shape}`, { file });
  return json as Record<string, unknown>;
}

const NON_FINITE_MARK = '\u0000non-finite:';

function parseJsonWithNonFinite(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (strictError) {
    // Rewrite NaN / Infinity / -Infinity outside strings as marked strings, revive them as numbers.
    let out = '';
    let inString = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        out += c;
        if (c === '\\') out += text[++i] ?? '';
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') {
        inString = true;
        out += c;
        continue;
      }
      const token = ['NaN', '-Infinity', 'Infinity'].find((t) => text.startsWith(t, i));
      if (token) {
        out += JSON.stringify(NON_FINITE_MARK + token);
        i += token.length - 1;
        continue;
      }
      out += c;
    }
    if (out === text) throw strictError;
    return JSON.parse(out, (_key, value) =>
      typeof value === 'string' && value.startsWith(NON_FINITE_MARK) ? Number(value.slice(NON_FINITE_MARK.length)) : value,
    );
  }
}

/** Typed access to the parsed object's fields, each failure an InputError at that field. */
class FieldReader {
  constructor(
    readonly file: string,
    private readonly object: Record<string, unknown>,
  ) {}

  get(key: string): unknown {
    return this.object[key];
  }

  fail(message: string, field: string, record?: number): never {
    throw new InputError(message, { file: this.file, field, record });
  }

  array(value: unknown, field: string, what: string, record?: number): unknown[] {
    if (value === undefined) this.fail(`missing: expected ${what}`, field, record);
    if (!Array.isArray(value)) this.fail(`expected an array (${what}), found ${describe(value)}`, field, record);
    return value;
  }

  finite(value: unknown, field: string, record: number, hint: string): number {
    if (typeof value !== 'number') this.fail(`expected a number (${hint}), found ${describe(value)}`, field, record);
    if (!Number.isFinite(value)) this.fail(`expected a finite number, found ${value}`, field, record);
    return value;
  }

  boolean(value: unknown, field: string, record: number): boolean {
    if (typeof value !== 'boolean') this.fail(`expected true or false, found ${describe(value)}`, field, record);
    return value;
  }

  expectLength(found: number, expected: number, field: string, record: number, what: string): void {
    if (found !== expected) this.fail(`expected ${expected} ${what}, found ${found}`, field, record);
  }

  /** `field` must have one entry per entry of `other` (which has `expected`). */
  pairUp(field: string, found: number, other: string, expected: number): void {
    if (found !== expected) this.fail(`"${field}" has ${found} entries but "${other}" has ${expected}; they must pair up record by record`, field);
  }

  /** Reads an array of exactly `length` finite numbers into out[at..]. */
  numbers(value: unknown, field: string, record: number, length: number, out: Float64Array, at: number, what: string): void {
    const list = this.array(value, field, what, record);
    this.expectLength(list.length, length, field, record, what);
    list.forEach((v, i) => {
      out[at + i] = this.finite(v, `${field}[${i}]`, record, what);
    });
  }

  probabilities(value: unknown, field: string, perRecord: boolean): Float64Array {
    const list = this.array(value, field, 'probabilities of the true label');
    return Float64Array.from(list, (v, i) => this.probability(v, `${field}[${i}]`, perRecord ? i : undefined));
  }

  probabilityMatrix(rows: unknown[], field: string, columns: number, perRecord: boolean): Float64Array {
    const out = new Float64Array(rows.length * columns);
    rows.forEach((row, r) => {
      const record = perRecord ? r : undefined;
      const cells = this.array(row, `${field}[${r}]`, 'one probability per reference model', record);
      if (cells.length !== columns) this.fail(`expected ${columns} probabilities, one per reference model as in referenceProb[0], found ${cells.length}`, `${field}[${r}]`, record);
      cells.forEach((v, m) => {
        out[r * columns + m] = this.probability(v, `${field}[${r}][${m}]`, record);
      });
    });
    return out;
  }

  private probability(value: unknown, field: string, record: number | undefined): number {
    if (typeof value !== 'number') this.fail(`expected a probability, found ${describe(value)}`, field, record);
    if (!(value >= 0 && value <= 1)) this.fail(`expected a probability in [0, 1], found ${value}`, field, record);
    return value;
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value);
}
