import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { descendingOrder, descendingOrderInto } from '../../src/engine/defenses/confidence-rows';
import { createMlp, mlpActivations, mlpForward, mlpInputGradient } from '../../src/engine/defenses/small-mlp';

test('descendingOrder: by decreasing value, ties to the lower index, as a comparator sort defines it', () => {
  assert.deepEqual(descendingOrder([0.1, 0.5, 0.1, 0.3]), [1, 3, 0, 2], 'hand example with a tie');
  fc.assert(
    fc.property(fc.array(fc.constantFrom(0, 0.1, 0.25, 0.5, 1), { minLength: 1, maxLength: 40 }), (row) => {
      const bySort = Array.from({ length: row.length }, (_, c) => c).sort((a, b) => row[b]! - row[a]! || a - b);
      assert.deepEqual(descendingOrder(row), bySort);
      assert.deepEqual(Array.from(descendingOrderInto(row, new Int32Array(row.length))), bySort);
    }),
  );
});

test('the MLP gives the same numbers into reused buffers as into fresh ones', () => {
  const mlp = createMlp(5, 7, 2, 3);
  const act = mlpActivations(mlp);
  const scratch = new Float64Array(7);
  for (const x of [Float64Array.of(1, -2, 0.5, 0, 3), Float64Array.of(-1, 0.25, 2, -0.5, 1)]) {
    const fresh = mlpForward(mlp, x);
    assert.equal(mlpForward(mlp, x, act), act, 'writes into the given buffers');
    assert.deepEqual(act, fresh, 'same activations');
    const dOutput = Float64Array.of(1, -0.5);
    assert.deepEqual(mlpInputGradient(mlp, act, dOutput, scratch), mlpInputGradient(mlp, fresh, dOutput), 'same input gradient');
  }
});
