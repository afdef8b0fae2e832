import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import type { Dataset } from '../../src/data/dataset.js';
import { handOffPrepared, receivePrepared, sharedDataset, transferList } from '../../src/data/handoff.js';
import { prepare } from '../../src/data/prepare.js';

function table(rows: number, cols: number, source: string): Dataset {
  const features = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.37) * 3 + (i % cols));
  return { features, labels: Int32Array.from({ length: rows }, (_, r) => r % 3), rows, cols, source, classNames: ['a', 'b', 'c'] };
}

/** Send `value` through a real message port, as a worker thread would receive it. */
function viaPort<T>(value: T, transfer: ArrayBuffer[] = []): T {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(value, transfer);
  const got = receiveMessageOnPort(port2)!.message as T;
  port1.close();
  return got;
}

test('prepared data handed to another thread comes back whole: rows, names, steps and a pipeline that transforms bit-identically', () => {
  const p = prepare({ train: table(90, 6, 'train.csv'), test: table(30, 6, 'test.csv') }, { scale: 'standard', pca: 3, valFraction: 0.2, seed: 4 });
  const back = receivePrepared(viaPort(handOffPrepared(p, sharedDataset)), 'pipeline');
  assert.equal(back.train.source, p.train.source);
  assert.equal(back.test!.source, 'test.csv');
  assert.deepEqual(back.classNames, p.classNames);
  assert.deepEqual(back.steps, p.steps);
  assert.deepEqual(Array.from(back.origin.val), Array.from(p.origin.val));
  assert.ok(back.train.features.buffer instanceof SharedArrayBuffer, 'shared rows stay shared across the port');
  assert.deepEqual(Array.from(back.train.features), Array.from(p.train.features));
  const raw = table(7, 6, 'new.csv');
  assert.deepEqual(Array.from(back.pipeline.transform(raw.features, raw.rows)), Array.from(p.pipeline.transform(raw.features, raw.rows)));
});

test('a shared dataset is a copy in shared memory; the transfer list moves raw rows without a copy', () => {
  const d = table(10, 4, 'x.npy');
  const s = sharedDataset(d);
  assert.ok(s.features.buffer instanceof SharedArrayBuffer && s.labels.buffer instanceof SharedArrayBuffer);
  assert.deepEqual(Array.from(s.features), Array.from(d.features));
  assert.equal(s.source, 'x.npy');
  const raw = { train: table(10, 4, 'train.npy'), test: table(5, 4, 'test.npy') };
  const list = transferList(raw);
  assert.equal(list.length, 4);
  const got = viaPort(raw, list);
  assert.equal(raw.train.features.byteLength, 0, 'the sender gave its rows up');
  assert.equal(got.train.source, 'train.npy');
  assert.equal(got.test.rows, 5);
});
