/// <reference lib="webworker" />
/**
 * The training worker: one run through the library's `runExperiment`, as the command line
 * runs it (the model chosen for the data when the page gives no network), reporting every
 * epoch of the first network and the others of a seed ensemble in a status line. Between epochs it yields to the event loop so that pause
 * and stop messages arrive; stop aborts the run through its AbortSignal (reset terminates the
 * worker from the page).
 */
import {
  MlplabError,
  classificationReport,
  confusionMatrix,
  ensembleProba as meanProba,
  ensembleValues as meanValues,
  loadBackend,
  regressionScores,
  runExperiment,
  type Callback,
  type Dataset,
  type EpochRecord,
  type Prepared,
  type Sequential,
  type TrainContext,
} from '../../src/index.js';
import { WasmBackend, describeBackend, threadSupport } from '../../src/tensor/index.js';
import type { FromWorker, Scatter, SetScores, StartMessage, ToWorker } from './protocol.js';
import { spreadRows } from './regress/scores.js';

declare const self: DedicatedWorkerGlobalScope;

const post = (message: FromWorker) => self.postMessage(message);

// The engine: the kernels on one thread per core when the page is cross-origin isolated
// (shared memory), else on this worker's thread alone. Started once, announced to the page.
const engine = loadBackend('auto', { threads: 'auto' });
void engine.then(
  (backend) => {
    const support = threadSupport();
    const threads = backend instanceof WasmBackend ? backend.threads : 1;
    // Why one thread: no shared memory or workers here (support), or threads that did not start.
    const note = backend instanceof WasmBackend ? backend.threadNote : null;
    post({ type: 'engine', runId: 0, engine: describeBackend(backend), threads, note, short: note ? (support.short ?? 'threads did not start') : null });
  },
  (e: unknown) => post({ type: 'engine', runId: 0, engine: 'unavailable', threads: 0, note: e instanceof Error ? e.message : String(e), short: 'failed to start' }),
);

let controller: AbortController | null = null;
let paused = false;
let resume: (() => void) | null = null;

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const m = event.data;
  if (m.type === 'start') void run(m);
  else if (m.type === 'pause') paused = true;
  else if (m.type === 'resume') {
    paused = false;
    resume?.();
  } else if (m.type === 'stop') {
    controller?.abort();
    paused = false;
    resume?.();
  }
};

/** Class probabilities of a seed ensemble (its networks' averaged), rows x classes: the library's mean, as `mlplab predict` takes it. */
const ensembleProba = (models: Sequential[], x: Float32Array, rows: number): Float32Array => meanProba({ model: models[0], members: models.slice(1) }, x, rows);

/** A regression seed ensemble's prediction of each row: its networks' mean, as `mlplab predict` takes it. */
const ensembleValues = (models: Sequential[], x: Float32Array, rows: number): Float64Array => meanValues({ model: models[0], members: models.slice(1) }, x, rows);

/** The rows `idx` of a set, as their own feature matrix. */
function pickRows(d: Dataset, idx: number[]): Float32Array {
  const out = new Float32Array(idx.length * d.cols);
  idx.forEach((r, i) => out.set(d.features.subarray(r * d.cols, (r + 1) * d.cols), i * d.cols));
  return out;
}

/** The figure's rows of a regression set (at most MAX_POINTS, spread over it) with the given predictions of every row of the set, or none yet. */
function scatterOf(d: Dataset, origin: ArrayLike<number>, set: Scatter['set'], predicted: ArrayLike<number> | null): { scatter: Scatter; idx: number[] } {
  const idx = spreadRows(d.rows);
  return { idx, scatter: { set, rows: idx.map((r) => origin[r]), actual: idx.map((r) => d.targets![r]), predicted: predicted ? idx.map((r) => predicted[r]) : [] } };
}

/** The most probable class of each row, and its probability. */
function argmax(p: Float32Array, rows: number, classes: number): { predicted: Int32Array; top: number[] } {
  const predicted = new Int32Array(rows);
  const top: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (p[r * classes + c] > p[r * classes + best]) best = c;
    predicted[r] = best;
    top.push(p[r * classes + best]);
  }
  return { predicted, top };
}

/** Scores of the model (or seed ensemble) on one labelled set: accuracy, mean log loss, confusion matrix, report. */
function scoreSet(models: Sequential[], d: Dataset, set: SetScores['set'], classes: number, names: string[]): SetScores {
  const p = ensembleProba(models, d.features, d.rows);
  const { predicted } = argmax(p, d.rows, classes);
  let loss = 0, right = 0;
  for (let r = 0; r < d.rows; r++) {
    loss -= Math.log(Math.max(p[r * classes + d.labels[r]], 1e-12));
    if (predicted[r] === d.labels[r]) right++;
  }
  return {
    set, rows: d.rows, accuracy: right / d.rows, loss: loss / d.rows,
    confusion: confusionMatrix(d.labels, predicted, classes),
    report: classificationReport(d.labels, predicted, classes, names),
  };
}

/**
 * A regression's final scores, on the test set (the run's own evaluation), else on the
 * validation part or the training rows (a seed ensemble's mean), with the figure's rows.
 */
function finalRegression(test: { r2: number; rmse: number; mae: number; predicted: Float64Array } | null, p: Prepared, models: Sequential[]) {
  const [d, origin, set] = p.test ? [p.test, p.origin.test!, 'test' as const] : p.val.rows > 0 ? [p.val, p.origin.val, 'validation' as const] : [p.train, p.origin.train, 'training' as const];
  const predicted = test && p.test ? test.predicted : ensembleValues(models, d.features, d.rows);
  const { r2, rmse, mae } = test && p.test ? test : regressionScores(d.targets!, predicted);
  const t = p.train.targets!;
  const mean = t.reduce((a, b) => a + b, 0) / t.length;
  const baseline = { set, ...regressionScores(d.targets!, new Float64Array(d.rows).fill(mean)) };
  return { set, rows: d.rows, r2, rmse, mae, baseline, scatter: scatterOf(d, origin, set, predicted).scatter };
}

async function run(m: StartMessage): Promise<void> {
  const { runId, spec, data } = m;
  controller = new AbortController();
  paused = false;
  try {
    const backend = await engine;
    post({ type: 'status', runId, text: spec.data?.pca ? 'Preparing the data (fitting PCA)…' : 'Preparing the data…' });
    let prepared: Prepared | null = null;
    // The prediction grid: the first rows of the test set (or, without one, of the validation
    // part, or without that, of the training rows).
    let grid: Dataset | null = null;
    // The network of a seed ensemble training now: the first one's epochs are the live curves.
    let member = 1;
    let members = 1;
    let regress = false;
    // Regression: the rows the live figure shows (the validation part, else the training rows).
    let live: { x: Float32Array; rows: number } | null = null;
    const predictGrid = (models: Sequential[]) => {
      if (!grid || grid.rows === 0) return { grid: [], gridProba: [] };
      if (regress) return { grid: Array.from(ensembleValues(models, grid.features, grid.rows)), gridProba: [] };
      const { predicted, top } = argmax(ensembleProba(models, grid.features, grid.rows), grid.rows, prepared!.classes);
      return { grid: Array.from(predicted), gridProba: top };
    };

    const callback: Callback = {
      onTrainBegin(ctx: TrainContext) {
        if (member > 1) return;
        const p = prepared!;
        regress = p.task === 'regress';
        const gridSet = p.test ? 'test' : p.val.rows > 0 ? 'validation' : 'training';
        const set = p.test ?? (p.val.rows > 0 ? p.val : p.train);
        const origin = p.test ? p.origin.test! : p.val.rows > 0 ? p.origin.val : p.origin.train;
        const n = Math.min(m.gridSize, set.rows);
        grid = { features: set.features.subarray(0, n * set.cols), labels: set.labels.subarray(0, n), rows: n, cols: set.cols };
        let scatter: Scatter | null = null;
        if (regress) {
          const onVal = p.val.rows > 0;
          const shown = scatterOf(onVal ? p.val : p.train, onVal ? p.origin.val : p.origin.train, onVal ? 'validation' : 'training', null);
          scatter = shown.scatter;
          live = { x: pickRows(onVal ? p.val : p.train, shown.idx), rows: shown.idx.length };
        }
        post({
          type: 'prepared',
          runId,
          task: p.task,
          steps: p.steps.map((s) => s.summary),
          features: p.train.cols,
          trainRows: p.train.rows,
          valRows: p.val.rows,
          testRows: p.test?.rows ?? 0,
          parameters: ctx.model.parameterCount,
          backend: describeBackend(backend),
          gridSet,
          gridRows: Array.from(origin.subarray(0, n)),
          gridLabels: Array.from(grid.labels),
          gridActual: regress ? Array.from(set.targets!.subarray(0, n)) : [],
          scatter,
        });
      },
      async onEpochEnd(record: EpochRecord, ctx: TrainContext) {
        if (member === 1 && regress) {
          post({ type: 'epoch', runId, record, val: null, ...predictGrid([ctx.model]), scatter: live ? Array.from(ctx.model.predictValues(live.x, live.rows)) : null });
        } else if (member === 1) {
          const val = prepared!.val;
          const valScores = val.rows > 0 ? { ...scoreSet([ctx.model], val, 'validation', prepared!.classes, prepared!.classNames), accuracy: record.valAccuracy, loss: record.valLoss } : null;
          post({ type: 'epoch', runId, record, val: valScores, ...predictGrid([ctx.model]), scatter: null });
        } else {
          post({ type: 'status', runId, text: `Seed ensemble: network ${member} of ${members}, epoch ${record.epoch} · training loss ${record.trainLoss.toFixed(4)}` });
        }
        // Let queued pause/stop messages run, then wait while paused.
        await new Promise((r) => setTimeout(r, 0));
        if (paused && !controller!.signal.aborted) {
          post({ type: 'paused', runId });
          await new Promise<void>((r) => (resume = r));
          resume = null;
          if (!controller!.signal.aborted) post({ type: 'resumed', runId });
        }
      },
    };

    let lastProgress = 0;
    const onBatch = (epoch: number, batch: number, batches: number, loss: number) => {
      const now = performance.now();
      if (now - lastProgress < 100 && batch < batches) return;
      lastProgress = now;
      post({ type: 'progress', runId, epoch, batch, batches, loss });
    };

    const result = await runExperiment(spec, data, {
      backend,
      source: m.source,
      callbacks: [callback],
      signal: controller.signal,
      onBatch,
      onPrepared: (p) => (prepared = p),
      onMeasureFold: (variant, f, of) => post({ type: 'status', runId, text: `Measuring ${variant}: fold ${f.fold} of ${of} (one network on the training rows, best epoch ${f.bestEpoch})…` }),
      onSpec: (resolved, choices) => {
        members = resolved.train.ensemble;
        post({ type: 'spec', runId, spec: resolved, choices });
      },
      onMember: (n, of) => {
        member = n;
        post({ type: 'member', runId, n, of });
      },
    });
    const models = [result.model, ...result.members];
    try {
      // Without a test set the final scores are the validation part's, and without that the training rows'.
      const p = result.prepared;
      const t = result.test;
      const set = p.test ? 'test' : p.val.rows > 0 ? 'validation' : 'training';
      const final: SetScores | null = p.task === 'regress' ? null : t
        ? { set: 'test', rows: t.rows, accuracy: t.accuracy, loss: t.loss, confusion: t.confusion, report: t.report }
        : scoreSet(models, p.val.rows > 0 ? p.val : p.train, set, p.classes, p.classNames);
      post({
        type: 'done',
        regression: p.task === 'regress' ? finalRegression(result.regression, p, models) : null,
        runId,
        bestEpoch: result.fit.bestEpoch,
        stoppedEarly: result.fit.stoppedEarly,
        restoredBest: result.fit.restoredBest,
        aborted: result.fit.aborted,
        seconds: result.report.seconds,
        final,
        ...predictGrid(models),
        modelJson: result.modelFile,
        findings: result.report.findings,
        firstLayer: result.report.firstLayer,
      });
    } finally {
      for (const x of models) x.dispose();
    }
  } catch (e) {
    const err = e as Error;
    post({ type: 'error', runId, name: e instanceof MlplabError ? err.name : 'Error', message: err.message ?? String(e) });
  } finally {
    controller = null;
  }
}
