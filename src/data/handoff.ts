/**
 * Data as it crosses to another thread (a study's worker threads, the page's Web Worker): one
 * plain shape of typed arrays, which structured clone sends as they are, a transfer list moves
 * without a copy, and SharedArrayBuffers let several threads read at once. Source names and
 * class names travel with the rows, so an error on the other side names the user's file.
 */
import type { NamedTensor } from '../nn/serialize.js';
import type { Dataset, PrepStep } from './dataset.js';
import { Pipeline, type PipelineMeta } from './pipeline.js';
import { TableEncoder, type TableMeta } from './table/encoder.js';
import type { Prepared, RawData } from './prepare.js';

/** A Prepared with its pipeline as tensors: what `handOffPrepared` gives and `receivePrepared` takes. */
export interface PreparedHandoff {
  train: Dataset;
  val: Dataset;
  test: Dataset | null;
  pipeline: { meta: PipelineMeta; tensors: NamedTensor[] };
  table: TableMeta | null;
  steps: PrepStep[];
  task: Prepared['task'];
  classes: number;
  classNames: string[];
  classValues?: number[];
  origin: Prepared['origin'];
}

/** `d` with its arrays in SharedArrayBuffers, so worker threads read the rows without a copy each. */
export function sharedDataset(d: Dataset): Dataset {
  const features = new Float32Array(new SharedArrayBuffer(d.features.length * 4));
  features.set(d.features);
  const labels = new Int32Array(new SharedArrayBuffer(d.labels.length * 4));
  labels.set(d.labels);
  if (!d.targets) return { ...d, features, labels };
  const targets = new Float64Array(new SharedArrayBuffer(d.targets.length * 8));
  targets.set(d.targets);
  return { ...d, features, labels, targets };
}

/** Prepared data for another thread; `place` puts each set's arrays where they go (shared memory, say). */
export function handOffPrepared(p: Prepared, place: (d: Dataset) => Dataset = (d) => d): PreparedHandoff {
  return {
    train: place(p.train),
    val: place(p.val),
    test: p.test ? place(p.test) : null,
    pipeline: p.pipeline.toTensors(),
    table: p.table ? p.table.toJSON() : null,
    steps: p.steps,
    task: p.task,
    classes: p.classes,
    classNames: p.classNames,
    ...(p.classValues ? { classValues: p.classValues } : {}),
    origin: p.origin,
  };
}

/** The Prepared a hand-off carries; `file` names the pipeline in errors. */
export function receivePrepared(h: PreparedHandoff, file = 'prepared data'): Prepared {
  return {
    train: h.train,
    val: h.val,
    test: h.test,
    pipeline: Pipeline.fromTensors(h.pipeline.meta, new Map(h.pipeline.tensors.map((t) => [t.name, t])), file),
    table: h.table ? TableEncoder.fromJSON(h.table, file) : null,
    steps: h.steps,
    task: h.task,
    classes: h.classes,
    classNames: h.classNames,
    ...(h.classValues ? { classValues: h.classValues } : {}),
    origin: h.origin,
  };
}

/** The arrays of raw data, for a postMessage transfer list (the sender gives them up). */
export function transferList(raw: RawData): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const d of [raw.train, raw.test, raw.val]) {
    if (!d) continue;
    for (const a of [d.features, d.labels, d.targets]) if (a && a.buffer instanceof ArrayBuffer) out.add(a.buffer);
  }
  return [...out];
}
