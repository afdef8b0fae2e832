/**
 * Property tests of every parser: random bytes and random corruptions of valid files (from
 * numpy, or written here) either parse into a consistent result within the memory budget or
 * raise a DataError naming the file, never another exception. Each property also counts the
 * inputs that parsed and requires a share of them, so a parser that rejected everything
 * would fail (a test below checks that on a parser that does).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { parseCsv } from '../../src/data/formats/csv.js';
import { parseIdx } from '../../src/data/formats/idx.js';
import { INFLATE_FLOOR } from '../../src/data/formats/inflate.js';
import { parseNpy, parseNpz, writeNpy } from '../../src/data/formats/npy.js';
import { DataError } from '../../src/errors.js';
import { zip } from './archives.js';
import { fixture, fixtureJson } from './helpers.js';

/** Counts of one property's outcomes. */
interface Tally {
  parsed: number;
  refused: number;
}

/** Run `parse`; it must either succeed (and pass `check`) or throw a DataError naming the file. */
function parsesOrNamesTheFile<T>(tally: Tally, parse: () => T, check: (value: T) => void): void {
  let value: T;
  try {
    value = parse();
  } catch (e) {
    if (e instanceof DataError && e.file.startsWith('fuzz')) {
      tally.refused++;
      return;
    }
    throw e;
  }
  check(value);
  tally.parsed++;
}

/** A share of the inputs must parse: a parser refusing everything does not pass. */
function enoughParsed(t: Tally, share: number): void {
  const runs = t.parsed + t.refused;
  assert.ok(t.parsed >= share * runs, `only ${t.parsed} of ${runs} inputs parsed; expected at least ${Math.round(share * 100)}%`);
}

/**
 * A valid file with random edits: overwritten bytes, a truncation, inserted bytes. About a
 * third of the cases edit nothing but bytes of `keep`..end (values, for files whose header
 * comes first), so valid files with changed values are among the inputs.
 */
function mutated(base: Uint8Array, keep = 0) {
  const anywhere = fc
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
  const values = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }).map((edits) => {
    const b = base.slice();
    if (keep < b.length) for (const [pos, val] of edits) b[keep + (pos % (b.length - keep))] = val;
    return b;
  });
  return fc.oneof({ arbitrary: anywhere, weight: 2 }, { arbitrary: values, weight: 1 });
}

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const RUNS = { numRuns: 400, seed: 20261127 };

/** Where the values of a .npy file start: after the preamble and header. */
const npyDataStart = (b: Uint8Array) => (b[6] === 1 ? 10 + (b[8] | (b[9] << 8)) : 12 + new DataView(b.buffer, b.byteOffset).getUint32(8, true));

interface NpyCase { file: string; shape: number[]; values: (number | string)[] }

test('the valid fixtures parse to the values numpy wrote (the base of the corruptions below)', () => {
  const npy = fixtureJson<NpyCase[]>('npy', 'cases.json');
  for (const name of ['f4_le_C.npy', 'i8_be_F.npy', 'f4_v3.npy']) {
    const c = npy.find((x) => x.file === name)!;
    const a = parseNpy(fixture('npy', name), name);
    assert.deepEqual(a.shape, c.shape);
    assert.deepEqual(Array.from(a.data), c.values.map(Number), name);
  }
  const idx = fixtureJson<NpyCase[]>('idx', 'cases.json');
  for (const name of ['images-idx3-ubyte', 'images-idx3-ubyte.gz']) {
    assert.deepEqual(Array.from(parseIdx(fixture('idx', name), name).data), idx.find((x) => x.file === name)!.values);
  }
});

test('parseNpy on random and mutated bytes parses consistently within its input size or names the file', { timeout: 60_000 }, () => {
  const valid = [fixture('npy', 'f4_le_C.npy'), fixture('npy', 'i8_be_F.npy'), fixture('npy', 'f4_v3.npy'), writeNpy(new Float64Array(6), [2, 3])];
  const inputs = fc.oneof(fc.uint8Array({ maxLength: 300 }), ...valid.map((v) => mutated(v, npyDataStart(v))));
  const tally: Tally = { parsed: 0, refused: 0 };
  fc.assert(
    fc.property(inputs, (bytes) =>
      parsesOrNamesTheFile(tally, () => parseNpy(bytes, 'fuzz.npy'), (a) => {
        assert.equal(a.data.length, count(a.shape));
        // 64-bit integers and float16 widen at most 2x; nothing else grows beyond the file.
        assert.ok(a.data.byteLength <= 2 * bytes.length, `${a.data.byteLength} bytes from a ${bytes.length}-byte file`);
      }),
    ),
    RUNS,
  );
  enoughParsed(tally, 0.15);
});

test('parseIdx on random and mutated bytes (plain and gzip) parses consistently within the budget or names the file', { timeout: 60_000 }, () => {
  const plain = fixture('idx', 'images-idx3-ubyte');
  const valid = [plain, fixture('idx', 'f64-idx1')];
  const gz = fixture('idx', 'images-idx3-ubyte.gz');
  // gzip of a valid file with changed values: the corruptions reach the IDX parser, not only the inflater.
  const gzValues = mutated(plain, 16).map((b) => new Uint8Array(gzipSync(b)));
  const inputs = fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated(gz), gzValues, ...valid.map((v) => mutated(v, 4 + 4 * v[3])));
  const tally: Tally = { parsed: 0, refused: 0 };
  fc.assert(
    fc.property(inputs, (bytes) =>
      parsesOrNamesTheFile(tally, () => parseIdx(bytes, 'fuzz-idx'), (a) => {
        assert.equal(a.data.length, count(a.shape));
        assert.ok(a.data.byteLength <= Math.max(2 * bytes.length, INFLATE_FLOOR));
      }),
    ),
    RUNS,
  );
  enoughParsed(tally, 0.15);
});

test('parseNpz on mutated archives (numpy-written, stored and deflated) parses consistently or names the file', { timeout: 60_000 }, () => {
  const deflated = zip([
    { name: 'x_train.npy', data: writeNpy(Float32Array.from({ length: 12 }, (_, i) => i / 4), [4, 3]), deflate: true },
    { name: 'y_train.npy', data: writeNpy(Int32Array.of(0, 1, 0, 1), [4]), deflate: true },
  ]);
  const inputs = fc.oneof(mutated(fixture('npy', 'study.npz')), mutated(fixture('npy', 'keras.npz')), mutated(deflated));
  const tally: Tally = { parsed: 0, refused: 0 };
  fc.assert(
    fc.property(inputs, (bytes) =>
      parsesOrNamesTheFile(tally, () => parseNpz(bytes, 'fuzz.npz'), (m) => {
        for (const a of m.values()) {
          assert.equal(a.data.length, count(a.shape));
          assert.ok(a.data.byteLength <= Math.max(2 * bytes.length, INFLATE_FLOOR));
        }
      }),
    ),
    { ...RUNS, numRuns: 300 },
  );
  enoughParsed(tally, 0.05);
});

test('parseCsv on random text and bytes gives a consistent table within its input size or names the file', { timeout: 60_000 }, () => {
  const text = fc
    .array(fc.constantFrom('1', '2.5', '-3', 'x', ',', ';', '\t', '\n', '\r\n', '"', 'NaN', 'label', ' ', ''), { maxLength: 60 })
    .map((parts) => new TextEncoder().encode(parts.join('')));
  const inputs = fc.oneof(text, fc.uint8Array({ maxLength: 200 }), mutated(new TextEncoder().encode('a,b,label\n1,2,0\n3,4,1\n'), 10));
  const tally: Tally = { parsed: 0, refused: 0 };
  fc.assert(
    fc.property(inputs, (bytes) =>
      parsesOrNamesTheFile(tally, () => parseCsv(bytes, 'fuzz.csv'), (t) => {
        assert.equal(t.features.length, t.rows * t.cols);
        assert.equal(t.labels!.length, t.rows);
        assert.ok(t.labels!.every((c) => c >= 0 && c < t.labelTexts!.length));
        assert.ok(t.rows > 0 && t.cols > 0);
        // Every value takes at least two bytes of text and four in memory.
        assert.ok(t.features.length * 4 <= 2 * bytes.length + 4, `${t.features.length} values from ${bytes.length} bytes`);
      }),
    ),
    { ...RUNS, numRuns: 600 },
  );
  enoughParsed(tally, 0.05);
});

test('the properties above fail for a parser that refuses everything', () => {
  const tally: Tally = { parsed: 0, refused: 0 };
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 50 }), (bytes) =>
      parsesOrNamesTheFile(tally, () => {
        throw new DataError('fuzz.npy', `refused ${bytes.length} bytes`);
      }, () => undefined),
    ),
    { numRuns: 50, seed: 1 },
  );
  assert.throws(() => enoughParsed(tally, 0.1), /only 0 of 50 inputs parsed/);
});
