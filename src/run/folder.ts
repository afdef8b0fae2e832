/**
 * A run folder on disk (Node only): what `runExperiment` returned, written as model.json,
 * config.json, history.json, metrics.json, predictions.csv, the figures (SVG and PNG) and
 * report.html; and model files saved and loaded by path. Each file is written under a
 * temporary name and renamed, so none is ever half-written.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelFormatError } from '../errors.js';
import { describeFsError, ensureWritableDir, writeFileAtomic } from '../io/files.js';
import { renderRunReportHtml, writeRunFigures } from '../report/render-node.js';
import type { RunReport } from '../report/run-report.js';
import type { Backend } from '../tensor/backend.js';
import { weightsPng } from '../report/weights-image.js';
import { runMetrics, type RunOutput } from './experiment.js';
import { decodeModelFile, encodeModelFile, type ModelFileContents } from './model-file.js';
import { predictionsCsv } from './predictions.js';

export interface RunFolderOptions {
  /** How many of the last test predictions report.html lists. Default 20. */
  lastPredictions?: number;
  /** Write the figures and report.html. Default true. */
  html?: boolean;
}

/**
 * Write a run's outputs into `dir` (created if needed); returns the paths written.
 *
 * @example
 * const result = await runExperiment(spec, await loadSource('fashion-mnist'));
 * await writeRunFolder(result, 'runs/default');
 */
export async function writeRunFolder(run: RunOutput, dir: string, o: RunFolderOptions = {}): Promise<string[]> {
  await ensureWritableDir(dir);
  const r = run.report;
  const files: string[] = [];
  const put = async (name: string, data: string | Uint8Array) => {
    await writeFileAtomic(join(dir, name), data);
    files.push(join(dir, name));
  };
  const json = (x: unknown) => JSON.stringify(x, null, 2) + '\n';
  await put('model.json', run.modelFile);
  await put('config.json', json(r.config));
  await put('history.json', json(r.history));
  await put('metrics.json', json(runMetrics(r)));
  if (r.test) await put('predictions.csv', testPredictionsCsv(r));
  if (o.html === false) return files;
  if (r.history.length > 0) files.push(...(await writeRunFigures(dir, r)));
  if (r.firstLayer) await put('first-layer.png', weightsPng(r.firstLayer, 4));
  await put('report.html', await renderRunReportHtml(r, { lastPredictions: o.lastPredictions ?? 20 }));
  return files;
}

function testPredictionsCsv(r: RunReport): string {
  const p = r.test!.predictions;
  return predictionsCsv(p.map((x) => x.predicted), p.map((x) => x.actual), r.data.classNames);
}

/** Save a model file (network, pre-processing, class names) to `path`, atomically. */
export async function saveModel(path: string, contents: ModelFileContents): Promise<void> {
  await writeFileAtomic(path, await encodeModelFile(contents));
}

/** Load a model file written by `train`, `study`, the playground or `saveModel`. Never runs code from it. */
export async function loadModel(path: string, backend?: Backend): ReturnType<typeof decodeModelFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ModelFormatError(path, `cannot read model file: ${describeFsError(e)}`);
  }
  return decodeModelFile(text, path, backend);
}
