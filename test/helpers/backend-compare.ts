/** Compares one op's output on the wasm backend against the cpu backend (the reference). */
import assert from 'node:assert/strict';

export interface BackendOutput {
  shape: number[];
  data: Float32Array;
}

/** Same shape, and max |wasm - cpu| / max |cpu| below `tolerance`; an all-zero reference tests nothing. */
export function assertMatchesReference(wasm: BackendOutput, cpu: BackendOutput, tolerance: number): void {
  assert.deepEqual(wasm.shape, cpu.shape, 'output shape');
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < cpu.data.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(wasm.data[i] - cpu.data[i]));
    maxRef = Math.max(maxRef, Math.abs(cpu.data[i]));
  }
  assert.ok(maxRef > 0, 'reference result is all zeros; the case tests nothing');
  assert.ok(maxDiff / maxRef < tolerance, `relative error ${maxDiff / maxRef} (max diff ${maxDiff}, max |cpu| ${maxRef})`);
}
