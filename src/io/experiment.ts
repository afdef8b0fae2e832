import { join } from 'node:path';
import type { ResolvedRun } from '../config.js';
import type { PrepStep } from '../data/dataset.js';
import { prepare, type Prepared } from '../data/prepare.js';
import { loadSource, type LoadOptions } from '../data/source.js';
import { selectRows } from '../data/dataset.js';
import { finiteRows } from '../data/nulls.js';
import { DataError } from '../errors.js';
import type { Sequential } from '../nn/model.js';
import { encodeModelFile, type ModelFileContents } from '../run/model-file.js';
import { renderRunReportHtml, writeRunFigures, type RunReport } from '../report/run-report.js';
import type { Backend } from '../tensor/backend.js';
import type { Callback, TrainContext } from '../train/callbacks.js';
import type { FitResult } from '../train/fit.js';
import type { EpochRecord } from '../train/history.js';
import { evaluateClassifier, trainRun, type Evaluation } from '../workflow.js';
import { ensureWritableDir, writeFileAtomic } from './files.js';
import { predictionsCsv } from './predictions.js';

export interface ExperimentOptions {
  /** Data source: 'fashion-mnist', a folder in the study's .npy layout, a file pair, a CSV file. */
  source: string;
  spec: ResolvedRun;
  /** Output folder; created if needed. */
  out: string;
  title?: string;
  backend?: Backend;
  /** Extra callbacks (progress display). */
  callbacks?: Callback[];
  signal?: AbortSignal;
  onBatch?: (epoch: number, batch: number, batches: number, meanLoss: number) => void;
  /** How to read CSV sources (label column, header, delimiter). */
  load?: LoadOptions;
  /**
   * A labelled source used whole as the validation part instead of a held-out fraction of the
   * training rows; it is transformed with the pre-processing fitted on the training rows.
   */
  valSource?: string;
  /** Data already loaded and prepared with this spec's data options (a study reuses it). */
  prepared?: Prepared;
  /** How many of the last test predictions the report lists. Default 20. */
  lastPredictions?: number;
  /** Called when loading and pre-processing are done, before training. */
  onPrepared?: (prepared: Prepared) => void;
}

export interface ExperimentResult {
  out: string;
  model: Sequential;
  prepared: Prepared;
  fit: FitResult;
  test: Evaluation | null;
  report: RunReport;
  files: string[];
}

/** Summary of a run stored as metrics.json. */
export interface RunMetrics {
  trainRows: number;
  valRows: number;
  testRows: number;
  epochs: number;
  bestEpoch: number;
  stoppedEarly: boolean;
  restoredBest: boolean;
  interrupted: boolean;
  seconds: number;
  valLoss: number | null;
  valAccuracy: number | null;
  testLoss: number | null;
  testAccuracy: number | null;
  macroF1: number | null;
  confusionMatrix: number[][] | null;
  classificationReport: Evaluation['report'] | null;
  classNames: string[];
}

/** Save the model whenever the monitored validation metric improves (checkpoint.json). */
class Checkpoint implements Callback {
  private best = NaN;
  saved = 0;
  constructor(
    private readonly path: string,
    private readonly monitor: 'valLoss' | 'valAccuracy',
    private readonly extras: Omit<ModelFileContents, 'model'>,
  ) {}

  async onEpochEnd(record: EpochRecord, ctx: TrainContext): Promise<void> {
    const v = record[this.monitor];
    if (!Number.isFinite(v)) return;
    const better = Number.isNaN(this.best) || (this.monitor === 'valLoss' ? v < this.best : v > this.best);
    if (!better) return;
    this.best = v;
    this.saved = record.epoch;
    await writeFileAtomic(this.path, await encodeModelFile({ ...this.extras, model: ctx.model, epoch: record.epoch }));
  }
}

/**
 * The study's whole workflow for one model, from data to report: load and prepare the data
 * (null check, scaling, PCA, stratified validation split), train with the run's options
 * (early stopping, best-model checkpoint), evaluate once on the test set, and write
 * model.json, history.json, metrics.json, predictions.csv, figures and report.html to `out`.
 * Every file is written under a temporary name and renamed, so none is ever half-written;
 * an interrupted run still writes what it measured.
 */
export async function runExperiment(o: ExperimentOptions): Promise<ExperimentResult> {
  const started = performance.now();
  await ensureWritableDir(o.out);
  const prepared = o.prepared ?? (await loadAndPrepare(o));
  o.onPrepared?.(prepared);
  const classes = prepared.classes;
  const classNames = prepared.classNames ?? Array.from({ length: classes }, (_, i) => String(i));
  const extras = { classNames, pipeline: prepared.pipeline, run: o.spec, source: o.source };
  const monitor = o.spec.train.earlyStopping === false ? 'valLoss' : o.spec.train.earlyStopping.monitor;
  const checkpoint = new Checkpoint(join(o.out, 'checkpoint.json'), monitor, extras);
  const { model, result } = await trainRun(
    { train: prepared.train, val: prepared.val, classes },
    o.spec,
    { backend: o.backend, callbacks: [checkpoint, ...(o.callbacks ?? [])], signal: o.signal, onBatch: o.onBatch },
  );
  const test = prepared.test && !result.aborted ? evaluateClassifier(model, prepared.test, classNames) : null;
  const last = result.history.find((h) => h.epoch === result.bestEpoch) ?? result.history[result.history.length - 1];
  const seconds = (performance.now() - started) / 1000;
  const metrics: RunMetrics = {
    trainRows: prepared.train.rows,
    valRows: prepared.val?.rows ?? 0,
    testRows: prepared.test?.rows ?? 0,
    epochs: result.history.length,
    bestEpoch: result.bestEpoch,
    stoppedEarly: result.stoppedEarly,
    restoredBest: result.restoredBest,
    interrupted: result.aborted,
    seconds,
    valLoss: finiteOrNull(last?.valLoss),
    valAccuracy: finiteOrNull(last?.valAccuracy),
    testLoss: test ? test.loss : null,
    testAccuracy: test ? test.accuracy : null,
    macroF1: test ? test.report.macro.f1 : null,
    confusionMatrix: test ? test.confusion : null,
    classificationReport: test ? test.report : null,
    classNames,
  };
  const report: RunReport = {
    title: o.title ?? 'mlplab training run',
    createdAt: new Date().toISOString(),
    config: o.spec as unknown as Record<string, unknown>,
    data: {
      source: o.source,
      trainRows: metrics.trainRows,
      valRows: metrics.valRows,
      testRows: metrics.testRows,
      features: prepared.train.cols,
      classes,
      classNames,
      steps: prepared.steps.map((s: PrepStep) => ({ name: s.name, summary: s.summary })),
    },
    history: result.history,
    stoppedEarly: result.stoppedEarly ? { bestEpoch: result.bestEpoch, restored: result.restoredBest } : null,
    test: test && prepared.test
      ? {
          accuracy: test.accuracy,
          report: test.report,
          confusion: test.confusion,
          predictions: Array.from(test.predicted, (p, i) => ({ index: i, predicted: p, actual: prepared.test!.labels[i] })),
        }
      : null,
    seconds,
  };
  const files: string[] = [];
  const put = async (name: string, data: string | Uint8Array) => {
    await writeFileAtomic(join(o.out, name), data);
    files.push(join(o.out, name));
  };
  await put('model.json', await encodeModelFile({ ...extras, model, epoch: result.bestEpoch }));
  await put('config.json', JSON.stringify(o.spec, null, 2) + '\n');
  await put('history.json', JSON.stringify(result.history, null, 2) + '\n');
  await put('metrics.json', JSON.stringify(metrics, null, 2) + '\n');
  if (test && prepared.test) await put('predictions.csv', predictionsCsv(test.predicted, prepared.test.labels, classNames));
  if (result.history.length > 0) files.push(...(await writeRunFigures(o.out, report)));
  await put('report.html', await renderRunReportHtml(report, { lastPredictions: o.lastPredictions ?? 20 }));
  return { out: o.out, model, prepared, fit: result, test, report, files };
}

/** Load the source and prepare it with the run's data options; loading notes come first in the steps. */
export async function loadAndPrepare(o: Pick<ExperimentOptions, 'source' | 'spec' | 'load' | 'valSource'>): Promise<Prepared> {
  const raw = await loadSource(o.source, o.load);
  const prepared = prepare(raw, {
    nulls: o.spec.data.nulls,
    scale: o.spec.data.scale,
    pca: o.spec.data.pca,
    valFraction: o.valSource ? 0 : o.spec.data.valFraction,
    seed: o.spec.train.seed,
  });
  prepared.steps.unshift(...raw.notes);
  if (o.valSource) {
    const v = (await loadSource(o.valSource, o.load)).train;
    if (v.cols !== raw.train.cols) {
      throw new DataError(v.source, `has ${v.cols} features per row, but the training data (${raw.train.source}) has ${raw.train.cols}`);
    }
    const keep = finiteRows(v);
    const clean = keep.length === v.rows ? v : selectRows(v, keep);
    if (o.spec.data.nulls === 'refuse' && keep.length < v.rows) {
      throw new DataError(v.source, `${v.rows - keep.length} rows hold NaN or infinite values. help: --nulls drop drops them`);
    }
    for (let r = 0; r < clean.rows; r++) {
      if (clean.labels[r] >= prepared.classes) {
        throw new DataError(v.source, `row ${r} has label ${clean.labels[r]}, but the training data has ${prepared.classes} classes`);
      }
    }
    if (clean.rows === 0) throw new DataError(v.source, 'has no usable rows for validation');
    prepared.val = { ...clean, features: prepared.pipeline.transform(clean.features, clean.rows), cols: prepared.pipeline.outputCols, source: v.source };
    prepared.steps.push({
      name: 'validation',
      summary: `Validation part: ${clean.rows.toLocaleString('en')} rows from ${v.source}` +
        (keep.length < v.rows ? ` (${v.rows - keep.length} rows with NaN or infinite values dropped)` : '') +
        ', transformed with the pre-processing fitted on the training rows',
    });
  }
  return prepared;
}

function finiteOrNull(x: number | undefined): number | null {
  return x !== undefined && Number.isFinite(x) ? x : null;
}
