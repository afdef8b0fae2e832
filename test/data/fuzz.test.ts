import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseCsv } from '../../src/data/csv.js';
import { parseIdx } from '../../src/data/idx.js';
import { parseNpy, parseNpz, writeNpy } from '../../src/data/npy.js';
import { DataError } from '../../src/errors.js';
import { fixture } from './helpers.js';

/** Run `parse`; it must either succeed (and pass `check`) or throw a DataError naming the file. */
function parsesOrNamesTheFile<T>(parse: () => T, check: (value: T) => void): void {
  let value: T;
  try {
    value = parse();
  } catch (e) {
    if (e instanceof DataError && e.file.startsWith('fuzz')) return;
    throw e;
  }
  check(value);
}

/** A valid file with random edits: overwritten bytes, a truncation, inserted bytes. */
function mutated(base: Uint8Array) {
  return fc
    .record({
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
      insert: fc.option(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 })), { nil: undefined }),
    })
    .map(({ edits, cut, insert }) => {
      let b = base.slice();
      for (const [pos, val] of edits) b[pos % b.length] = val;
      if (insert) {
        const at = insert[0] % (b.length + 1);
        const out = new Uint8Array(b.length + insert[1].length);
        out.set(b.subarray(0, at));
        out.set(insert[1], at);
        out.set(b.subarray(at), at + insert[1].length);
        b = out;
      }
      if (cut !== undefined) b = b.subarray(0, cut % (b.length + 1));
      return b;
    });
}

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const RUNS = { numRuns: 400, seed: 20261127 };

test('parseNpy on random and mutated bytes parses consistently or names the file', { timeout: 60_000 }, () => {
  const valid = [fixture('npy', 'f4_le_C.npy'), fixture('npy', 'i8_be_F.npy'), fixture('npy', 'f4_v3.npy'), writeNpy(new Float64Array(6), [2, 3])];
  const inputs = fc.oneof(fc.uint8Array({ maxLength: 300 }), ...valid.map(mutated));
  fc.assert(
    fc.property(inputs, (bytes) =>
      parsesOrNamesTheFile(() => parseNpy(bytes, 'fuzz.npy'), (a) => assert.equal(a.data.length, count(a.shape))),
    ),
    RUNS,
  );
});

test('parseIdx on random and mutated bytes (plain and gzip) parses consistently or names the file', { timeout: 60_000 }, () => {
  const valid = [fixture('idx', 'images-idx3-ubyte'), fixture('idx', 'images-idx3-ubyte.gz'), fixture('idx', 'f64-idx1')];
  const inputs = fc.oneof(fc.uint8Array({ maxLength: 300 }), ...valid.map(mutated));
  fc.assert(
    fc.property(inputs, (bytes) =>
      parsesOrNamesTheFile(() => parseIdx(bytes, 'fuzz-idx'), (a) => assert.equal(a.data.length, count(a.shape))),
    ),
    RUNS,
  );
});

test('parseNpz on mutated archives parses consistently or names the file', { timeout: 60_000 }, () => {
  const inputs = fc.oneof(mutated(fixture('npy', 'study.npz')), mutated(fixture('npy', 'keras.npz')));
  fc.assert(
    fc.property(inputs, (bytes) =>
      parsesOrNamesTheFile(() => parseNpz(bytes, 'fuzz.npz'), (m) => {
        for (const a of m.values()) assert.equal(a.data.length, count(a.shape));
      }),
    ),
    { ...RUNS, numRuns: 300 },
  );
});

test('parseCsv on random text and bytes gives a consistent table or names the file', { timeout: 60_000 }, () => {
  const text = fc
    .array(fc.constantFrom('1', '2.5', '-3', 'x', ',', ';', '\t', '\n', '\r\n', '"', 'NaN', 'label', ' ', ''), { maxLength: 60 })
    .map((parts) => new TextEncoder().encode(parts.join('')));
  const inputs = fc.oneof(text, fc.uint8Array({ maxLength: 200 }), mutated(new TextEncoder().encode('a,b,label\n1,2,0\n3,4,1\n')));
  fc.assert(
    fc.property(inputs, (bytes) =>
      parsesOrNamesTheFile(() => parseCsv(bytes, 'fuzz.csv'), (t) => {
        assert.equal(t.features.length, t.rows * t.cols);
        assert.equal(t.labels!.length, t.rows);
        assert.ok(t.rows > 0 && t.cols > 0);
      }),
    ),
    { ...RUNS, numRuns: 600 },
  );
});
