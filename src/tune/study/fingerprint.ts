/**
 * A study's data, summarised so that two machines can tell whether they prepared the same
 * rows: the shape of each part and one SHA-256 over every prepared value, label (target), class name
 * and fitted pre-processing array. A worker whose data differs is refused before it trains,
 * so results computed on different data never mix in one study.
 */
import { createHash } from 'node:crypto';
import type { Dataset } from '../../data/dataset.js';
import type { Prepared } from '../../data/prepare.js';
import { DataError } from '../../errors.js';
import { formatShape } from '../../format.js';
import type { DataFingerprint } from '../storage/types.js';

/** The fingerprint of prepared data. */
export function dataFingerprint(data: Prepared): DataFingerprint {
  const h = createHash('sha256');
  const bytes = (a: ArrayBufferView) => h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  const part = (name: string, d: Dataset | null) => {
    h.update(`${name}:${d ? `${d.rows}x${d.cols}` : 'none'};`);
    if (!d) return;
    bytes(d.features.subarray(0, d.rows * d.cols));
    bytes(d.labels.subarray(0, d.rows));
    // A regression's targets (hashed only where there are some, so a classification's hash is unchanged).
    if (d.targets) bytes(d.targets.subarray(0, d.rows));
  };
  part('train', data.train);
  part('val', data.val);
  part('test', data.test);
  h.update(`classes:${data.classes};names:${JSON.stringify(data.classNames)};`);
  if (data.table) h.update(`table:${JSON.stringify(data.table.toJSON())};`);
  const { meta, tensors } = data.pipeline.toTensors();
  h.update(`pipeline:${JSON.stringify(meta)};`);
  for (const t of tensors) {
    h.update(`${t.name}:${t.shape.join('x')};`);
    bytes(t.data);
  }
  const shape = (d: Dataset): [number, number] => [d.rows, d.cols];
  return { train: shape(data.train), val: shape(data.val), test: data.test ? shape(data.test) : null, classes: data.classes, ...(data.task === 'regress' ? { task: 'regress' as const } : {}), hash: h.digest('hex').slice(0, 32) };
}

/** "train 240 x 6, val 90 x 6, test 90 x 6, 3 classes, hash 1a2b..." */
export function describeFingerprint(f: DataFingerprint): string {
  const test = f.test ? `test ${formatShape(f.test)}` : 'no test set';
  return `train ${formatShape(f.train)}, val ${formatShape(f.val)}, ${test}, ${f.task === 'regress' ? 'a regression' : `${f.classes} classes`}, hash ${f.hash.slice(0, 12)}`;
}

/**
 * Refuse data that differs from what the study recorded: a DataError naming the source, what
 * this machine prepared and what the study holds.
 */
export function checkFingerprint(source: string, ours: DataFingerprint, recorded: DataFingerprint, study: string): void {
  if (ours.hash === recorded.hash) return;
  throw new DataError(
    source,
    `prepared here as ${describeFingerprint(ours)}, but study "${study}" was created on ${describeFingerprint(recorded)}; ` +
      'a worker trains on the same data as the study or not at all. help: give this machine the same data files (and the same mlplab version)',
  );
}
