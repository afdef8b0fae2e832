/**
 * A study's data: loaded and prepared once in the main thread, then shared with every worker
 * through SharedArrayBuffers (workers read it, nobody copies it).
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { prepare } from '../data/prepare.js';
import { stratifiedSplit } from '../data/split.js';
import { loadSource } from '../data/source.js';
import { ConfigError } from '../errors.js';
import type { LabelledData } from '../train/fit.js';
import type { ResolvedStudy } from './config.js';

/** Prepared data of a study: training, validation and (optional) test parts. */
export interface StudyData {
  train: LabelledData;
  val: LabelledData;
  test: LabelledData | null;
  classes: number;
  classNames: string[];
  source: string;
  /** Pre-processing steps, for the report. */
  steps: { name: string; summary: string }[];
  /** The fitted pre-processing (PipelineJSON), saved with the final model so it predicts on raw input. */
  pipeline?: unknown;
}

/**
 * Load `study.data.source` and prepare it (nulls, scaling, PCA, stratified validation split
 * with `data.seed`). A relative path is looked up next to the study file first.
 */
export async function loadStudyData(study: ResolvedStudy, configDir = '.'): Promise<StudyData> {
  const d = study.data;
  let source = d.source;
  if (!isAbsolute(source)) {
    const near = resolve(configDir, source);
    if (existsSync(near)) source = near;
  }
  const prepared = prepare(await loadSource(source), { nulls: d.nulls, scale: d.scale, pca: d.pca, valFraction: d.valFraction, seed: d.seed });
  if (prepared.val.rows === 0) throw new ConfigError('data.valFraction', d.valFraction, 'a fraction that leaves validation rows: a study compares configurations on them');
  const classNames = prepared.classNames ?? Array.from({ length: prepared.classes }, (_, i) => String(i));
  const strip = (x: { features: Float32Array; labels: Int32Array; rows: number; cols: number }): LabelledData => ({ features: x.features, labels: x.labels, rows: x.rows, cols: x.cols });
  return {
    train: strip(prepared.train),
    val: strip(prepared.val),
    test: prepared.test ? strip(prepared.test) : null,
    classes: prepared.classes,
    classNames,
    source: d.source,
    steps: prepared.steps.map((s) => ({ name: s.name, summary: s.summary })),
    pipeline: prepared.pipeline.toJSON(),
  };
}

/**
 * The training rows trials use: all of them, or a class-stratified subset of `n` rows drawn
 * with `seed` (in their original order). Returns null for "all".
 */
export function subsetRows(train: LabelledData, n: number | undefined, seed: number): Int32Array | null {
  if (n === undefined || n >= train.rows) return null;
  // stratifiedSplit's held-out part is exactly a stratified sample of round(rows * fraction) rows.
  return stratifiedSplit(train.labels, n / train.rows, seed ^ 0x5ab5e7).val;
}

/** A copy of `d` whose arrays live in SharedArrayBuffers (so workers can read them without copies). */
export function shared(d: LabelledData): LabelledData {
  const features = new Float32Array(new SharedArrayBuffer(d.features.length * 4));
  features.set(d.features);
  const labels = new Int32Array(new SharedArrayBuffer(d.labels.length * 4));
  labels.set(d.labels);
  return { features, labels, rows: d.rows, cols: d.cols };
}
