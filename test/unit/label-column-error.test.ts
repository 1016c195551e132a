/** A wrong label column name lists the table's headers: all of them up to 50, then a count. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDelimited } from '../../src/engine/artifacts/datasets/csv';

function csv(columns: string[]): Uint8Array {
  return new TextEncoder().encode(`${columns.join(',')}\n${columns.map(() => '1').join(',')}\n`);
}

test('the label-column error lists every header of a narrow table', () => {
  const names = ['age', 'income', 'outcome'];
  assert.throws(() => parseDelimited(csv(names), 'data.csv', { delimiter: ',', label: 'lable', labelsFromFile: false }), (e: Error) => {
    assert.match(e.message, /^data\.csv(:1)?: no label column "lable"; the header has "age", "income", "outcome"$/);
    return true;
  });
});

test('a wide table lists its first 50 headers and how many more', () => {
  const names = Array.from({ length: 60 }, (_, i) => `px${i}`);
  assert.throws(() => parseDelimited(csv(names), 'wide.csv', { delimiter: ',', labelsFromFile: false }), (e: Error) => {
    assert.match(e.message, /no label column: expected one named label, target, y, class \(any case\), or set "label"; the header has "px0", "px1", /);
    assert.ok(e.message.includes('"px49" and 10 more'), e.message);
    assert.ok(!e.message.includes('"px50"'), 'the 51st header is counted, not listed');
    return true;
  });
});
