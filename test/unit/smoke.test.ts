import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/engine/errors';

test('InputError names the file, line and field', () => {
  const e = new InputError('not a number', { file: 'a.csv', line: 3, column: 2, field: 'x1' });
  assert.equal(e.message, 'a.csv:3:2 (field "x1"): not a number');
});
