/** Output hygiene helpers (report/escape.ts): every unsafe character class, bounds, workflow commands, lossless JSON. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeControl, escapeJsonText, excerpt, guardWorkflowCommands, oneLine, sanitizeStrings } from '../../src/engine/report/escape';

test('C0, DEL, C1, line separators and bidi controls become visible escapes; other text is unchanged', () => {
  assert.equal(escapeControl('a\u001b[31mb\rc\nd\te\u0000f\u007fg\u0085h\u009bi'), 'a\\x1b[31mb\\rc\\nd\\te\\x00f\\x7fg\\x85h\\x9bi');
  assert.equal(escapeControl('x\u2028y\u2029z\u202ew\u2066v\u200fu\ufeff'), 'x\\u2028y\\u2029z\\u202ew\\u2066v\\u200fu\\ufeff');
  assert.equal(escapeControl('naïve café 模型 ✓ "quotes" \\ back'), 'naïve café 模型 ✓ "quotes" \\ back');
});

test('excerpts are bounded before escaping, and say how long the original was', () => {
  const huge = 'z'.repeat(200_000_000);
  assert.equal(huge.indexOf('y'), -1); // flattens the rope V8 builds, so the timing below is excerpt's alone
  const t0 = performance.now();
  const out = excerpt(huge, 100);
  assert.ok(performance.now() - t0 < 20, `${performance.now() - t0} ms`);
  assert.equal(out, `${'z'.repeat(100)}... (200000000 characters in all)`);
  // Escapes that grow the text are cut too.
  assert.equal(excerpt('\u001b'.repeat(50), 20), `${'\\x1b'.repeat(5)}... (50 characters in all)`);
  assert.equal(excerpt('short'), 'short');
});

test('no line can begin with a workflow command; Azure commands are broken anywhere', () => {
  assert.equal(guardWorkflowCommands('ok\n::error::x\n   ::warning file=a::y\na::b'), 'ok\n\\x3a:error::x\n   \\x3a:warning file=a::y\na::b');
  assert.equal(guardWorkflowCommands('x ##vso[task.setvariable]1 ##[error]e'), 'x \\x23#vso[task.setvariable]1 \\x23#[error]e');
  assert.equal(oneLine('::error::a\nb'), '\\x3a:error::a\\nb');
});

test('JSON keeps the exact value: what JSON.stringify leaves raw is written as \\u escapes', () => {
  const value = { name: 'a\u0085b\u2028c\u202ed\u007f ##vso[x] \\##[y]', n: 1 };
  const text = escapeJsonText(JSON.stringify(value));
  assert.ok(!/[\u007f-\u009f\u2028\u202e]/.test(text));
  assert.ok(!text.includes('##vso[') && !text.includes('##['));
  assert.deepEqual(JSON.parse(text), value);
});

test('sanitizeStrings escapes strings at any depth and keeps numbers, booleans, null and typed arrays', () => {
  const typed = new Float32Array([1, 2]);
  const out = sanitizeStrings({ a: ['x\ny', 1, true, null, { b: '::c' }], t: typed });
  assert.deepEqual(out, { a: ['x\\ny', 1, true, null, { b: '\\x3a:c' }], t: typed });
  assert.equal(out.t, typed);
});
