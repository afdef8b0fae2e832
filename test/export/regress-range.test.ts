/**
 * Regression targets at the edges of float32: far from zero beside their spread (timestamps),
 * or beyond float32's range. ONNX Runtime runs the exported graphs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ort from 'onnxruntime-web';
import { ShapeError } from '../../src/errors.js';
import { foldRegression } from '../../src/export/fold.js';
import { exportOnnx, needsDouble } from '../../src/export/onnx.js';
import { Sequential } from '../../src/nn/model.js';
import { lcg } from '../helpers.js';
import './ort.js';

async function valueOf(bytes: Uint8Array, x: Float32Array, rows: number, cols: number): Promise<{ type: string; data: ArrayLike<number> }> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const v = (await session.run({ features: new ort.Tensor('float32', x, [rows, cols]) })).value;
    return { type: v.type, data: v.data as ArrayLike<number> };
  } finally {
    await session.release();
  }
}

test('float64 predictions are needed when float32 cannot hold the target to a thousandth of its spread', () => {
  assert.equal(needsDouble({ mean: 36, std: 17 }), false);
  assert.equal(needsDouble({ mean: 180_000, std: 80_000 }), false);
  assert.equal(needsDouble({ mean: 1.7e9, std: 29 }), true);
  assert.equal(needsDouble({ mean: 1e50, std: 1e49 }), true);
});

test('a regressor whose target float32 cannot hold exports a float64 value that ONNX Runtime gives as mlplab predicts', async () => {
  const rand = lcg(3);
  const rows = 6, cols = 3;
  const x = Float32Array.from({ length: rows * cols }, () => rand() * 2 - 1);
  for (const target of [{ mean: 1.7e9, std: 29 }, { mean: 1.03e50, std: 2e49 }, { mean: 36, std: 17 }]) {
    const model = Sequential.create({ task: 'regress', inputs: cols, hidden: [{ width: 5, batchNorm: false }], target }, { seed: 2 });
    try {
      const expected = model.predictValues(x, rows);
      const graph = exportOnnx({ model, pipeline: null, classNames: ['y'] });
      const got = await valueOf(graph, x, rows, cols);
      const wide = needsDouble(target);
      assert.equal(got.type, wide ? 'float64' : 'float32', `mean ${target.mean}`);
      for (let r = 0; r < rows; r++) {
        // float64: the graph's sums in another order than mlplab's; float32: one rounding.
        const tolerance = wide ? Math.abs(expected[r]) * 1e-12 : Math.abs(expected[r]) * 2 ** -23;
        assert.ok(Math.abs(got.data[r] - expected[r]) <= tolerance, `mean ${target.mean}, row ${r}: ${got.data[r]} vs ${expected[r]}`);
      }
      if (wide) {
        // A network of float32 weights cannot predict such a target: the fold into PyTorch's last Linear is refused in one line.
        assert.throws(() => foldRegression(model), (e: unknown) => e instanceof ShapeError && /needs float64 predictions, which a network of float32 weights cannot give.*export it as ONNX/.test(e.message));
      }
    } finally {
      model.dispose();
    }
  }
});
