import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'fflate';
import { parseIdx } from '../../../src/data/formats/idx.js';
import { fixture, fixtureJson, throwsDataError } from '../helpers.js';

interface IdxCase { file: string; shape: number[]; values: number[] }

test('IDX files of every type code, plain and gzip-compressed, read back to the recorded values', () => {
  const cases = fixtureJson<IdxCase[]>('idx', 'cases.json');
  for (const c of cases) {
    const arr = parseIdx(fixture('idx', c.file), c.file);
    assert.deepEqual(arr.shape, c.shape, c.file);
    assert.deepEqual(Array.from(arr.data), c.values.map((v) => (arr.dtype === 'float32' ? Math.fround(v) : v)), c.file);
  }
  assert.equal(parseIdx(fixture('idx', 'images-idx3-ubyte.gz'), 'g').dtype, 'uint8');
  assert.equal(parseIdx(fixture('idx', 'i16-idx2'), 'i').dtype, 'int16');
});

test('bad IDX files each get one error naming the file and the problem', () => {
  const good = fixture('idx', 'images-idx3-ubyte');
  throwsDataError(() => parseIdx(new Uint8Array(0), 'e'), 'e', /empty/);
  throwsDataError(() => parseIdx(good.subarray(0, good.length - 1), 't'), 't', /truncated \(or its header is wrong\): header says shape \(2, 3, 3\) of uint8 = 18 bytes of data, the file has 17/);
  throwsDataError(() => parseIdx(good.subarray(0, 9), 'h'), 'h', /truncated: 9 bytes, shorter than its 3-dimension IDX header/);
  const extra = new Uint8Array(good.length + 1);
  extra.set(good);
  throwsDataError(() => parseIdx(extra, 'x'), 'x', /header does not match the data/);
  const magic = good.slice();
  magic[0] = 7;
  throwsDataError(() => parseIdx(magic, 'm'), 'm', /not an IDX file: wrong magic bytes \(07 00 08 03/);
  const type = good.slice();
  type[2] = 0x0a;
  throwsDataError(() => parseIdx(type, 'y'), 'y', /unknown type code 0x0a/);
  const lying = good.slice();
  lying[7] = 3; // first dimension 2 -> 3
  throwsDataError(() => parseIdx(lying, 'l'), 'l', /truncated \(or its header is wrong\): header says shape \(3, 3, 3\)/);
  const gz = fixture('idx', 'images-idx3-ubyte.gz');
  throwsDataError(() => parseIdx(gz.subarray(0, gz.length - 6), 'c.gz'), 'c.gz', /not readable gzip data/);
  throwsDataError(() => parseIdx(gzipSync(new Uint8Array(0)), 'z.gz'), 'z.gz', /wrong magic bytes/);
});
