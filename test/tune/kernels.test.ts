import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StorageError } from '../../src/errors.js';
import { relaxedSimdSupported } from '../../src/tensor/index.js';
import { recordKernels, studyKernels } from '../../src/tune/study/kernels.js';

test('a study records the kernel build this process runs, and a process runs the recorded build or is refused', () => {
  assert.equal(studyKernels('reference'), 'reference');
  assert.equal(studyKernels('wasm'), relaxedSimdSupported() ? 'wasm:relaxed' : 'wasm:plain');
  assert.deepEqual(recordKernels('db', { name: 's', backend: 'reference' }), { backend: 'reference' });
  // The plain build runs everywhere, even where this process would pick the relaxed one.
  assert.deepEqual(recordKernels('db', { name: 's', backend: 'wasm:plain' }), { backend: 'wasm', simd: 'plain' });
  if (relaxedSimdSupported()) assert.deepEqual(recordKernels('db', { name: 's', backend: 'wasm:relaxed' }), { backend: 'wasm', simd: 'relaxed' });
  else assert.throws(() => recordKernels('db', { name: 's', backend: 'wasm:relaxed' }), (e: unknown) => e instanceof StorageError && /relaxed-SIMD kernels .* which this JavaScript engine lacks/.test(e.message));
  assert.throws(() => recordKernels('db', { name: 's', backend: 'wasm' }), (e: unknown) => e instanceof StorageError && /runs on kernels "wasm", which this mlplab does not have/.test(e.message));
});
