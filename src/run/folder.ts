/**
 * A run folder on disk (Node only): what `runExperiment` returned, written as model.json,
 * config.json, history.json, metrics.json, predictions.csv, the figures (SVG and PNG: loss and
 * accuracy curves and the confusion matrix, or for a regression the validation R^2 curve,
 * predicted against actual, residuals and their histogram) and report.html; and model files saved and loaded by path. A run folder is written as a unit:
 * into a temporary sibling folder (`<name>.incomplete-<pid>`), then renamed into place, so a
 * folder never holds files of two runs, and a run killed half-way leaves only the sibling.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ModelFormatError, OutputError } from '../errors.js';
import { formatBytes } from '../format.js';
import { describeFsError, unreadable, writeFileAtomic } from '../io/files.js';
import { MAX_MODEL_FILE_BYTES } from '../nn/serialize.js';
import { renderRunReportHtml, writeRunFigures } from '../report/render-node.js';
import type { RunReport } from '../report/run-report.js';
import type { Backend } from '../tensor/backend.js';
import { weightsPng } from '../report/weights-image.js';
import { runMetrics, type RunOutput } from './experiment.js';
import { decodeModelFile, encodeModelFile, type ModelFileContents } from './model-file.js';
import { predictionsCsv } from './predictions.js';

const CHECKPOINT = 'checkpoint.json';

export interface RunFolderOptions {
  /** How many of the last test predictions report.html lists. Default 20. */
  lastPredictions?: number;
  /** Write the figures and report.html. Default true. */
  html?: boolean;
  /**
   * When the folder exists already: 'refuse' with an OutputError (default, as the command
   * line does unless --overwrite is given), or 'replace' it as a unit.
   */
  existing?: 'replace' | 'refuse';
}

/**
 * A run folder being written: files go into `path`, a temporary sibling of the folder, and
 * `commit` renames it into place (replacing an existing folder, or refusing to). `open`
 * checks the target first, so a refused folder fails before any work starts. While the run
 * trains, `checkpoint` holds the best model so far; a complete run does not keep it.
 */
export class RunFolderDraft {
  private constructor(
    /** The folder the run ends up in. */
    readonly dir: string,
    /** The temporary folder files are written into until `commit`. */
    readonly path: string,
    private readonly existing: 'replace' | 'refuse',
  ) {}

  /** The best model so far, for a run that is interrupted; removed by `commit`. */
  get checkpoint(): string {
    return join(this.path, CHECKPOINT);
  }

  static async open(dir: string, existing: 'replace' | 'refuse' = 'refuse'): Promise<RunFolderDraft> {
    await refuseExisting(dir, existing);
    const path = join(dirname(dir), `${basename(dir)}.incomplete-${process.pid}-${randomBytes(3).toString('hex')}`);
    try {
      await mkdir(path, { recursive: true });
    } catch (e) {
      throw new OutputError(dir, `output folder is not writable: ${describeFsError(e)}`);
    }
    return new RunFolderDraft(dir, path, existing);
  }

  /** Move the finished folder into place. */
  async commit(): Promise<void> {
    await refuseExisting(this.dir, this.existing, this.path);
    await rm(this.checkpoint, { force: true });
    const old = `${this.path}.old`;
    let moved = false;
    try {
      if (await exists(this.dir)) {
        await rename(this.dir, old);
        moved = true;
      }
      await rename(this.path, this.dir);
    } catch (e) {
      if (moved) await rename(old, this.dir).catch(() => undefined);
      throw new OutputError(this.dir, `cannot move the finished run into place: ${describeFsError(e)}; its files are in ${this.path}`);
    }
    if (moved) await rm(old, { recursive: true, force: true });
  }

  /** Remove the temporary folder (the run failed before it was complete). */
  async discard(): Promise<void> {
    await rm(this.path, { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw new OutputError(path, `cannot be checked: ${describeFsError(e)}`);
  }
}

async function refuseExisting(dir: string, existing: 'replace' | 'refuse', draft?: string): Promise<void> {
  if (!(await exists(dir))) return;
  if (!(await stat(dir)).isDirectory()) throw new OutputError(dir, 'exists and is a file, not a run folder');
  if (existing === 'refuse') {
    throw new OutputError(dir, `the run folder exists already; pass --overwrite (in the library, existing: 'replace') to replace it, or choose another folder${draft ? ` (this run's files are in ${draft})` : ''}`);
  }
}

/**
 * Write a run's outputs as the folder `dir`, as a unit (see RunFolderDraft); returns the
 * paths of the files as they are after the folder is in place.
 *
 * @example
 * const result = await runExperiment(spec, await loadSource('fashion-mnist'));
 * await writeRunFolder(result, 'runs/default');
 */
export async function writeRunFolder(run: RunOutput, dir: string, o: RunFolderOptions = {}): Promise<string[]> {
  const draft = await RunFolderDraft.open(dir, o.existing ?? 'refuse');
  try {
    const names = await writeRunFiles(run, draft.path, o);
    await draft.commit();
    return names.map((n) => join(dir, n));
  } catch (e) {
    await draft.discard();
    throw e;
  }
}

/**
 * Write a run's files into the existing folder `dir` (a draft's path); returns their names.
 * Each is written through a temporary name, so none is ever half-written.
 */
export async function writeRunFiles(run: RunOutput, dir: string, o: RunFolderOptions = {}): Promise<string[]> {
  const r = run.report;
  const files: string[] = [];
  const put = async (name: string, data: string | Uint8Array) => {
    await writeFileAtomic(join(dir, name), data);
    files.push(name);
  };
  const json = (x: unknown) => JSON.stringify(x, null, 2) + '\n';
  await put('model.json', run.modelFile);
  await put('config.json', json(r.config));
  await put('history.json', json(r.history));
  await put('metrics.json', metricsJson(runMetrics(r)));
  if (r.test) await put('predictions.csv', testPredictionsCsv(r));
  if (r.regression?.test) await put('predictions.csv', regressionPredictionsCsv(run.testValues ? allRows(run.testValues) : r.regression.test.predictions));
  if (o.html === false) return files;
  if (r.history.length > 0) files.push(...(await writeRunFigures(dir, r)).map((p) => basename(p)));
  if (r.firstLayer) await put('first-layer.png', weightsPng(r.firstLayer, 4));
  await put('report.html', await renderRunReportHtml(r, { lastPredictions: o.lastPredictions ?? 20 }));
  return files;
}

/** metrics.json, indented, with each row of the confusion matrix on one line (a K x K matrix stays K lines). */
function metricsJson(m: ReturnType<typeof runMetrics>): string {
  const { confusionMatrix, ...rest } = m;
  const text = JSON.stringify({ ...rest, confusionMatrix: null }, null, 2);
  if (!confusionMatrix) return text + '\n';
  const rows = confusionMatrix.map((row) => `    ${JSON.stringify(row)}`).join(',\n');
  return text.replace('"confusionMatrix": null', `"confusionMatrix": [\n${rows}\n  ]`) + '\n';
}

function testPredictionsCsv(r: RunReport): string {
  const p = r.test!.predictions;
  return predictionsCsv(p.map((x) => x.predicted), p.map((x) => x.actual), r.data.classNames);
}

/** Every test row of a regression run, as the report's prediction rows. */
function allRows(v: NonNullable<RunOutput['testValues']>): { index: number; predicted: number; actual: number }[] {
  return Array.from(v.predicted, (predicted, index) => ({ index, predicted, actual: v.actual[index] }));
}

/**
 * predictions.csv of a regression, as `evaluate --out` writes it: index, actual, predicted,
 * residual (actual − predicted). It holds every test row when the run gives them, else the
 * report's: every one up to MAX_REGRESSION_POINTS, else that many spread evenly (the index says which).
 */
function regressionPredictionsCsv(p: { index: number; predicted: number; actual: number }[]): string {
  const lines = ['index,actual,predicted,residual'];
  for (const x of p) {
    // A non-finite prediction (a diverged model) is null in a report read back from JSON.
    const predicted = typeof x.predicted === 'number' ? x.predicted : NaN;
    lines.push(`${x.index},${x.actual},${predicted},${x.actual - predicted}`);
  }
  return lines.join('\n') + '\n';
}

/** Save a model file (network, pre-processing, class names) to `path`, atomically. */
export async function saveModel(path: string, contents: ModelFileContents): Promise<void> {
  await writeFileAtomic(path, await encodeModelFile(contents));
}

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  backend?: Backend;
  /** Refuse a larger file before reading it. Default MAX_MODEL_FILE_BYTES (256 MB). */
  maxBytes?: number;
}

/**
 * Load a model file written by `train`, `study`, the playground or `saveModel`. Never runs
 * code from it; its size is checked before it is read (see decodeModelFile for the rest).
 */
export async function loadModel(path: string, options: Backend | LoadModelOptions = {}): ReturnType<typeof decodeModelFile> {
  const o: LoadModelOptions = typeof (options as Backend).alloc === 'function' ? { backend: options as Backend } : (options as LoadModelOptions);
  const maxBytes = o.maxBytes ?? MAX_MODEL_FILE_BYTES;
  const problem = await unreadable(path, maxBytes, 'a model file');
  if (problem) throw new ModelFormatError(path, problem.includes(' larger than the ') ? `${problem}; raise the limit (--max-model-size) if the file is trusted` : problem);
  let text: string;
  try {
    const handle = await open(path, 'r');
    try {
      const size = (await handle.stat()).size;
      if (size > maxBytes) {
        throw new ModelFormatError(path, `is ${formatBytes(size)}, larger than the ${formatBytes(maxBytes)} a model file may take; raise the limit (--max-model-size) if the file is trusted`);
      }
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    throw new ModelFormatError(path, `cannot read model file: ${describeFsError(e)}`);
  }
  return decodeModelFile(text, path, { backend: o.backend, maxBytes });
}
