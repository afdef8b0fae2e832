import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBackend } from '../../src/tensor/index.js';
import { Rng } from '../../src/tensor/rng.js';

for (const name of ['reference', 'wasm'] as const) {
  test(`[${name}] gatherRows copies the rows an order names, into full and partial batches`, () => {
    const backend = createBackend(name);
    const rng = new Rng(5);
    const src = backend.alloc(37, 13);
    const values = Float32Array.from({ length: 37 * 13 }, () => rng.normal());
    src.data.set(values);
    const order = rng.permutation(37);
    const dst = backend.alloc(8, 13);
    for (const [start, rows] of [[0, 8], [8, 8], [32, 5]]) {
      const view = rows === 8 ? dst : dst.rowsView(0, rows);
      backend.gatherRows(src, order, start, view);
      for (let r = 0; r < rows; r++) {
        const want = values.subarray(order[start + r] * 13, order[start + r] * 13 + 13);
        assert.deepEqual(Array.from(view.data.subarray(r * 13, r * 13 + 13)), Array.from(want));
      }
    }
    assert.throws(() => backend.gatherRows(src, Int32Array.from([0, 99]), 0, dst.rowsView(0, 2)), /outside/);
    assert.throws(() => backend.gatherRows(src, order, 35, dst.rowsView(0, 3)), /outside/);
    backend.free(src);
    backend.free(dst);
  });
}
