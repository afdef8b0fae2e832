/**
 * Property tests of the model readers: random edits of a valid safetensors file and of a valid
 * model file either read into a consistent result or raise a ModelFormatError naming the file,
 * never another exception, within a memory budget. A share of the inputs must read, so a reader
 * refusing everything would fail.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ModelFormatError } from '../../src/errors.js';
import { parseSafetensors, writeSafetensors } from '../../src/export/safetensors.js';
import { Sequential } from '../../src/nn/model.js';
import { decodeModelFile, encodeModelFile } from '../../src/run/model-file.js';
import { parseJson } from '../../src/validate.js';

/** Random byte edits of the bytes from `keep` on (the data after a header): the file stays well formed. */
const valuesEdited = (base: Uint8Array, keep: number) =>
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }).map((edits) => {
    const out = Uint8Array.from(base);
    for (const [at, v] of edits) out[keep + (at % (out.length - keep))] = v;
    return out;
  });

/** Random byte edits, a truncation or an insertion of a valid file. */
const edited = (base: Uint8Array) =>
  fc
    .record({
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
      insert: fc.option(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })), { nil: undefined }),
    })
    .map(({ edits, cut, insert }) => {
      let out = Uint8Array.from(base);
      for (const [at, v] of edits) out[at % out.length] = v;
      if (insert) {
        const at = insert[0] % out.length;
        out = Uint8Array.from([...out.subarray(0, at), ...insert[1], ...out.subarray(at)]);
      }
      if (cut !== undefined && cut % 3 === 0) out = out.subarray(0, cut % out.length);
      return out;
    });

function tally() {
  const t = { read: 0, refused: 0 };
  const run = (f: () => void) => {
    try {
      f();
      t.read++;
    } catch (e) {
      if (e instanceof ModelFormatError && e.message.startsWith('fuzz')) t.refused++;
      else throw e;
    }
  };
  return { t, run };
}

test('safetensors: edited files read consistently or are refused naming the file, in bounded memory', () => {
  const base = writeSafetensors(
    [
      { name: '0.weight', shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => i / 7) },
      { name: '0.bias', shape: [3], data: Float64Array.of(1, 2, 3) },
      { name: '1.num_batches_tracked', shape: [], data: BigInt64Array.of(5n) },
    ],
    { format: 'pt' },
  );
  const { t, run } = tally();
  const rss = process.memoryUsage().rss;
  fc.assert(
    fc.property(fc.oneof(edited(base), valuesEdited(base, 8 + new DataView(base.buffer).getUint32(0, true))), (bytes) =>
      run(() => {
        const { tensors } = parseSafetensors(bytes, 'fuzz.safetensors');
        for (const w of tensors.values()) if (w.data) assert.equal(w.data.length, w.shape.reduce((a, b) => a * b, 1));
      }),
    ),
    { numRuns: 400, seed: 11 },
  );
  assert.ok(t.read >= 0.3 * (t.read + t.refused), `only ${t.read} of ${t.read + t.refused} read`);
  assert.ok(process.memoryUsage().rss - rss < 300e6, 'memory stays bounded');
});

test('model files: edited text loads a finite model or is refused naming the file', async () => {
  const model = Sequential.create({ inputs: 3, classes: 2, hidden: [{ width: 4, activation: 'relu', batchNorm: true, dropout: 0 }] }, { seed: 1 });
  const text = await encodeModelFile({ model, pipeline: null, classNames: ['a', 'b'] });
  model.dispose();
  const base = new TextEncoder().encode(text);
  const t = { read: 0, refused: 0 };
  await fc.assert(
    fc.asyncProperty(edited(base), async (bytes) => {
      try {
        const m = await decodeModelFile(new TextDecoder().decode(bytes), 'fuzz-model.json');
        assert.ok(m.model.predictProba(Float32Array.of(1, 2, 3), 1).every(Number.isFinite));
        m.model.dispose();
        t.read++;
      } catch (e) {
        if (!(e instanceof ModelFormatError && e.message.startsWith('fuzz-model.json'))) throw e;
        t.refused++;
      }
    }),
    { numRuns: 200, seed: 5 },
  );
  // The checksum refuses almost every edit: what matters is that nothing else escapes.
  assert.ok(t.read + t.refused === 200);
});

test('parseJson: any text gives a value or a problem in words, and deep nesting never reaches the parser', () => {
  fc.assert(
    fc.property(fc.oneof(fc.json(), fc.string(), fc.integer({ min: 1, max: 5000 }).map((n) => '['.repeat(n) + ']'.repeat(n))), (text) => {
      const r = parseJson(text);
      if ('problem' in r) assert.equal(typeof r.problem, 'string');
      else assert.deepEqual(r.value, JSON.parse(text));
    }),
    { numRuns: 500, seed: 3 },
  );
});
