/**
 * A study's data: loaded and prepared once in the main thread, then shared with every worker
 * through SharedArrayBuffers (`handOffPrepared`): one copy every worker reads, besides the
 * rows each trial's engine copies into its own memory.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Dataset } from '../../data/dataset.js';
import { loadSource } from '../../data/files.js';
import { prepare, type Prepared } from '../../data/prepare.js';
import { stratifiedSplit } from '../../data/split.js';
import { ConfigError } from '../../errors.js';
import type { Backend } from '../../tensor/backend.js';
import type { ResolvedStudy } from './config.js';

/**
 * Load `study.data.source` and prepare it (nulls, scaling, PCA, stratified validation split
 * with `data.seed`); the loading notes open the steps, as in a run. A relative path is looked
 * up next to the study file first. `backend` runs the pre-processing (PCA).
 */
export async function loadStudyData(study: ResolvedStudy, configDir = '.', backend?: Backend): Promise<Prepared> {
  const d = study.data;
  const source = nearConfig(d.source, configDir);
  const { source: _source, trainRows: _rows, labelColumn, header, delimiter, skipRows, task, ...options } = d;
  const load = Object.fromEntries(Object.entries({ labelColumn, header, delimiter, skipRows, task }).filter(([, v]) => v !== undefined));
  const prepared = prepare(await loadSource(source, load), options, backend);
  if (prepared.val.rows === 0 && study.cv === null) {
    throw new ConfigError('data.valFraction', d.valFraction, 'a fraction that leaves validation rows: a study compares configurations on them (or "cv": k to score by k-fold cross-validation)');
  }
  return prepared;
}

/** A source with each relative file that exists next to the study file taken from there ("train.csv,test.csv": each part). */
function nearConfig(source: string, configDir: string): string {
  const near = (part: string) => {
    if (isAbsolute(part)) return part;
    const path = resolve(configDir, part);
    return existsSync(path) ? path : part;
  };
  if (!isAbsolute(source) && existsSync(resolve(configDir, source))) return resolve(configDir, source);
  return source.includes(',') ? source.split(',').map(near).join(',') : source;
}

/**
 * The training rows trials use: all of them, or a class-stratified subset of `n` rows drawn
 * with `seed` (in their original order). Returns null for "all".
 */
export function subsetRows(train: Dataset, n: number | undefined, seed: number): Int32Array | null {
  if (n === undefined || n >= train.rows) return null;
  // stratifiedSplit's held-out part is exactly a stratified sample of round(rows * fraction) rows.
  return stratifiedSplit(train.labels, n / train.rows, seed ^ 0x5ab5e7).val;
}
