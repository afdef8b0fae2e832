import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ModelFormatError } from '../../src/errors.js';
import { MAX_SAFETENSORS_HEADER, MAX_SAFETENSORS_TENSORS, parseSafetensors, writeSafetensors } from '../../src/export/safetensors.js';

const FIXTURES = new URL('../../../test/fixtures/pytorch/', import.meta.url);

/** A file from a header object and data bytes, the way the format lays them out. */
function file(header: unknown, data: Uint8Array, headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, headerLength ?? json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function refused(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(() => parseSafetensors(bytes, 'w.safetensors'), (e: unknown) => {
    assert.ok(e instanceof ModelFormatError, String(e));
    assert.match(e.message, /^w\.safetensors: /);
    assert.match(e.message, pattern);
    return true;
  });
}

test('reads the state_dict PyTorch wrote, keys, dtypes and values', () => {
  const bytes = new Uint8Array(readFileSync(new URL('relu_bn_dropout.safetensors', FIXTURES)));
  const { tensors, metadata } = parseSafetensors(bytes, 'relu_bn_dropout.safetensors');
  assert.equal(metadata.format, 'pt');
  const w = tensors.get('0.weight')!;
  assert.equal(w.dtype, 'F32');
  assert.deepEqual(w.shape, [6, 7]);
  assert.equal(w.data!.length, 42);
  const counter = tensors.get('1.num_batches_tracked')!;
  assert.deepEqual([counter.dtype, counter.shape, counter.data], ['I64', [], null]);
  // Bytes 8.. are the header, padded with spaces to a multiple of 8 as the format's writers do.
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  assert.equal(n % 8, 0);
});

test('writes what it reads back, bit for bit, with metadata, aligned', () => {
  const a = Float32Array.of(1.5, -2, Math.fround(Math.PI), 0, -0, 3e-39);
  const b = Float64Array.of(Math.E, -1e300, 5e-324);
  const bytes = writeSafetensors(
    [
      { name: 'a', shape: [2, 3], data: a },
      { name: 'b', shape: [3], data: b },
      { name: 'n', shape: [], data: BigInt64Array.of(7n) },
    ],
    { format: 'pt', note: 'é' },
  );
  const n = new DataView(bytes.buffer).getUint32(0, true);
  assert.equal(n % 8, 0);
  const { tensors, metadata } = parseSafetensors(bytes, 'x');
  assert.deepEqual(metadata, { format: 'pt', note: 'é' });
  assert.deepEqual([...tensors.keys()], ['a', 'b', 'n']);
  assert.deepEqual(new Uint8Array(tensors.get('a')!.data!.buffer), new Uint8Array(a.buffer));
  assert.deepEqual(new Uint8Array(tensors.get('b')!.data!.buffer), new Uint8Array(b.buffer));
  assert.equal(tensors.get('n')!.dtype, 'I64');
  // The int64 bytes are little-endian 7.
  assert.deepEqual(Array.from(bytes.subarray(bytes.length - 8)), [7, 0, 0, 0, 0, 0, 0, 0]);
});

const f32 = (n: number) => new Uint8Array(4 * n);

test('a truncated file or header is refused', () => {
  refused(new Uint8Array(5), /truncated: 5 bytes/);
  refused(file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(1)).subarray(0, 20), /truncated: the header length says \d+ bytes, but only 12 bytes follow/);
  refused(file('{"a": {"dtype": "F32", "shape": [1], "data_of', f32(1)), /header: not valid JSON/);
});

test('a header length over the limit is refused before anything is read', () => {
  const bytes = new Uint8Array(16);
  new DataView(bytes.buffer).setUint32(0, MAX_SAFETENSORS_HEADER + 1, true);
  refused(bytes, /header length 16000001 bytes is over the 16000000-byte limit/);
  new DataView(bytes.buffer).setUint32(4, 1, true);
  refused(bytes, /over the 16000000-byte limit/);
});

test('a header listing more tensors than an MLP has is refused', () => {
  const header: Record<string, unknown> = {};
  for (let i = 0; i <= MAX_SAFETENSORS_TENSORS; i++) header[`t${i}`] = { dtype: 'F32', shape: [1], data_offsets: [0, 4] };
  refused(file(header, f32(1)), /header: lists 4097 tensors, over the 4096 an MLP's state dict may hold/);
});

test('dtypes: F16, BF16 and F8 weights cannot be used, unknown names are refused', () => {
  refused(file({ w: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor w: dtype F16 cannot be used: mlplab reads float weights as F32 or F64/);
  refused(file({ w: { dtype: 'BF16', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)), /dtype BF16 cannot be used/);
  refused(file({ w: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2)), /dtype F8_E4M3 cannot be used/);
  refused(file({ w: { dtype: 'Q4', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2)), /dtype "Q4" is not a safetensors dtype/);
});

test('a header that lies about sizes or offsets is refused', () => {
  refused(file({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32(2)), /tensor w: data_offsets \[0, 8\] hold 8 bytes, but shape \[3\] of F32 needs 12/);
  refused(file({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32(2)), /reach past the 8 data bytes/);
  refused(file({ w: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, f32(2)), /end before they begin/);
  refused(
    file({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32(3)),
    /tensor b: data_offsets \[4, 12\] overlap the tensor before it/,
  );
  refused(file({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(2)), /leave bytes 0\.\.4 unused/);
  refused(file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2)), /the tensors cover 4 of the 8 data bytes/);
  refused(file({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)), /header\["a"\]\.shape\[0\]: got -1, expected a whole number >= 0/);
  refused(file({ a: { dtype: 'F32', shape: [1], data_offsets: [0] } }, f32(1)), /data_offsets/);
  refused(file({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4], extra: 1 } }, f32(1)), /header\["a"\]\.extra: .*no such field/);
});

test('a header that is not an object of tensors, or metadata that is not text, is refused', () => {
  refused(file('[1, 2]', new Uint8Array(0)), /header: expected a JSON object/);
  refused(file('  {}', new Uint8Array(0)), /header: expected a JSON object/);
  refused(file({ __metadata__: { format: 1 } }, new Uint8Array(0)), /header\.__metadata__\.format: got 1, expected text/);
  refused(file({ a: 'x' }, new Uint8Array(0)), /header\["a"\]: got "x", expected a tensor entry/);
});

test('an empty state dict (header only) reads as no tensors', () => {
  const { tensors } = parseSafetensors(file({}, new Uint8Array(0)), 'x');
  assert.equal(tensors.size, 0);
});

test('bytes that are a view into a larger buffer (a Node Buffer from a pool) read the same', () => {
  const bytes = writeSafetensors([{ name: 'a', shape: [3], data: Float32Array.of(1, 2, 3) }, { name: 'b', shape: [1], data: Float64Array.of(-4) }]);
  const pooled = Buffer.concat([Buffer.alloc(13, 7), Buffer.from(bytes), Buffer.alloc(5, 9)]).subarray(13, 13 + bytes.length);
  const { tensors } = parseSafetensors(pooled, 'x');
  assert.deepEqual(Array.from(tensors.get('a')!.data!), [1, 2, 3]);
  assert.deepEqual(Array.from(tensors.get('b')!.data!), [-4]);
});
