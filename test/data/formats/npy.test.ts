import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseNpy, parseNpz, writeNpy } from '../../../src/data/formats/npy.js';
import { toFeatures } from '../../../src/data/formats/ndarray.js';
import { fixture, fixtureJson, throwsDataError } from '../helpers.js';

interface NpyCase { file: string; dtype: string; shape: number[]; fortran: boolean; version: number[] | null; values: (number | string)[] }
const cases = fixtureJson<NpyCase[]>('npy', 'cases.json');

test('every dtype, byte order, memory order and version numpy writes reads back to the same values', () => {
  assert.ok(cases.length >= 40);
  for (const c of cases) {
    const arr = parseNpy(fixture('npy', c.file), c.file);
    assert.equal(arr.dtype, c.dtype, c.file);
    assert.deepEqual(arr.shape, c.shape, c.file);
    assert.equal(arr.fortranOrder, c.fortran, c.file);
    if (c.version) assert.deepEqual(arr.version, c.version, c.file);
    const expected = c.values.map((v) => (typeof v === 'string' ? Number(v.replace('inf', 'Infinity').replace('nan', 'NaN')) : v));
    assert.deepEqual(Array.from(arr.data), expected, c.file);
  }
});

test('dtypes map to the expected typed arrays; big-endian and little-endian agree', () => {
  const le = parseNpy(fixture('npy', 'i8_le_C.npy'), 'a');
  const be = parseNpy(fixture('npy', 'i8_be_F.npy'), 'b');
  assert.ok(le.data instanceof Float64Array);
  assert.deepEqual(Array.from(le.data), Array.from(be.data));
  assert.equal(Array.from(le.data).includes(-128), true);
  assert.ok(parseNpy(fixture('npy', 'f4_be_C.npy'), 'c').data instanceof Float32Array);
  assert.ok(parseNpy(fixture('npy', 'u2_le_C.npy'), 'd').data instanceof Uint16Array);
  assert.deepEqual(Array.from(parseNpy(fixture('npy', 'b1_na_C.npy'), 'e').data).slice(0, 4), [1, 0, 0, 1]);
});

test('a 3-D Fortran-order array is reordered to C order', () => {
  const c = parseNpy(fixture('npy', 'images_3d_C.npy'), 'c');
  const f = parseNpy(fixture('npy', 'images_3d_F.npy'), 'f');
  assert.deepEqual(f.shape, [2, 3, 4]);
  assert.deepEqual(Array.from(f.data), Array.from(c.data));
  // element [1, 2, 3] of arange(24) * 0.5 is 23 * 0.5
  assert.equal(f.data[1 * 12 + 2 * 4 + 3], 11.5);
});

test('pickled objects, structured records and complex numbers are refused with a clear error', () => {
  throwsDataError(() => parseNpy(fixture('npy', 'object.npy'), 'object.npy'), 'object.npy', /pickled Python objects.*never executed/);
  throwsDataError(() => parseNpy(fixture('npy', 'structured.npy'), 'structured.npy'), 'structured.npy', /structured/);
  throwsDataError(() => parseNpy(fixture('npy', 'complex.npy'), 'complex.npy'), 'complex.npy', /dtype '<c8'.*not supported/);
});

test('writeNpy writes the bytes numpy.save writes', () => {
  const f4 = Float32Array.from({ length: 12 }, (_, i) => Math.fround(i / 3));
  assert.deepEqual(writeNpy(f4, [3, 4]), fixture('npy', 'written_f4.npy'));
  assert.deepEqual(writeNpy(BigInt64Array.from([7n, 0n, 3n]), [3, 1]), fixture('npy', 'written_i8_col.npy'));
  assert.deepEqual(writeNpy(new Float32Array(0), [0, 2]), fixture('npy', 'written_f4_empty.npy'));
});

test('writeNpy output parses back exactly, for every array type', () => {
  const arrays = [
    Float32Array.from([1.5, -2, Math.fround(1e-30), Infinity, NaN, 0]),
    Float64Array.from([Math.PI, -1e300, 5e-324, 0, -0, 2]),
    Int8Array.from([-128, 127, 0, 1, 2, 3]),
    Uint8Array.from([0, 255, 1, 2, 3, 4]),
    Int16Array.from([-32768, 32767, 0, 1, 2, 3]),
    Uint16Array.from([0, 65535, 1, 2, 3, 4]),
    Int32Array.from([-(2 ** 31), 2 ** 31 - 1, 0, 1, 2, 3]),
    Uint32Array.from([0, 2 ** 32 - 1, 1, 2, 3, 4]),
  ];
  for (const a of arrays) {
    const back = parseNpy(writeNpy(a, [2, 3]), 'x');
    assert.deepEqual(back.shape, [2, 3]);
    assert.deepEqual(Array.from(back.data), Array.from(a), a.constructor.name);
  }
  assert.throws(() => writeNpy(new Float32Array(5), [2, 3]), RangeError);
});

test('npz archives, plain and compressed, give their arrays by name', () => {
  const study = parseNpz(fixture('npy', 'study.npz'), 'study.npz');
  assert.deepEqual([...study.keys()].sort(), ['test_data', 'test_label', 'train_data', 'train_label']);
  assert.deepEqual(Array.from(study.get('train_data')!.data), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(study.get('train_label')!.shape, [5, 1]);
  const keras = parseNpz(fixture('npy', 'keras.npz'), 'keras.npz');
  assert.deepEqual(Array.from(keras.get('x_test')!.data), [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]);
  assert.equal(keras.get('y_test')!.dtype, 'uint8');
});

test('bad .npy files each get one error naming the file and the problem', () => {
  const good = fixture('npy', 'f4_le_C.npy');
  throwsDataError(() => parseNpy(new Uint8Array(0), 'e.npy'), 'e.npy', /empty/);
  throwsDataError(() => parseNpy(good.subarray(0, good.length - 3), 't.npy'), 't.npy', /truncated \(or its header is wrong\): header says shape \(3, 4\) of <f4 = 48 bytes of data, the file has 45/);
  throwsDataError(() => parseNpy(good.subarray(0, 40), 'h.npy'), 'h.npy', /truncated: the header/);
  throwsDataError(() => parseNpy(good.subarray(0, 7), 'p.npy'), 'p.npy', /truncated/);
  const extra = new Uint8Array(good.length + 8);
  extra.set(good);
  throwsDataError(() => parseNpy(extra, 'x.npy'), 'x.npy', /header does not match the data/);
  const magic = good.slice();
  magic[1] = 0x58;
  throwsDataError(() => parseNpy(magic, 'm.npy'), 'm.npy', /not a \.npy file: wrong magic bytes \(93 58/);
  const version = good.slice();
  version[6] = 4;
  throwsDataError(() => parseNpy(version, 'v.npy'), 'v.npy', /version 4\.0/);
  // A header that lies about the shape: (3, 4) -> (3, 5) needs 60 bytes, the file has 48.
  const text = new TextDecoder().decode(good.subarray(10, 80)).replace('(3, 4)', '(3, 5)');
  const lying = good.slice();
  lying.set(new TextEncoder().encode(text), 10);
  throwsDataError(() => parseNpy(lying, 'l.npy'), 'l.npy', /truncated \(or its header is wrong\): header says shape \(3, 5\)/);
  const garbled = good.slice();
  garbled.set(new TextEncoder().encode("{'descr' '<f4'"), 10);
  throwsDataError(() => parseNpy(garbled, 'g.npy'), 'g.npy', /malformed \.npy header/);
  throwsDataError(() => parseNpz(good, 'n.npz'), 'n.npz', /not a \.npz archive/);
  const zip = fixture('npy', 'study.npz');
  throwsDataError(() => parseNpz(zip.subarray(0, zip.length - 30), 'z.npz'), 'z.npz', /not a readable zip archive/);
});

test('float64 values beyond the float32 range are refused, not turned into infinities', () => {
  const big = writeNpy(Float64Array.from([1, 2, 3, 1e300]), [2, 2]);
  throwsDataError(() => toFeatures(parseNpy(big, 'big.npy'), 'big.npy'), 'big.npy', /value 1e\+300 at row 1, column 1 is beyond the float32 range/);
  const inf = toFeatures(parseNpy(writeNpy(Float64Array.from([1, Infinity]), [1, 2]), 'inf.npy'), 'inf.npy');
  assert.deepEqual(Array.from(inf.features), [1, Infinity]);
});
