/// <reference lib="webworker" />
/**
 * The training worker: one run through the library's `runExperiment`, as the command line
 * runs it, reporting every epoch. Between epochs it yields to the event loop so that pause
 * and stop messages arrive; stop aborts the run through its AbortSignal (reset terminates the
 * worker from the page).
 */
import {
  MlplabError,
  classificationReport,
  confusionMatrix,
  evaluate,
  loadBackend,
  runExperiment,
  type Callback,
  type Dataset,
  type EpochRecord,
  type Prepared,
  type TrainContext,
} from '../../src/index.js';
import { WasmBackend, describeBackend, threadSupport } from '../../src/tensor/index.js';
import type { FromWorker, SetScores, StartMessage, ToWorker } from './protocol.js';

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

async function run(m: StartMessage): Promise<void> {
  const { runId, spec, data } = m;
  controller = new AbortController();
  paused = false;
  try {
    const backend = await engine;
    post({ type: 'status', runId, text: spec.data.pca !== null ? 'Preparing the data (fitting PCA)…' : 'Preparing the data…' });
    let prepared: Prepared | null = null;
    // The prediction grid: the first rows of the test set (or, without one, of the validation part).
    let grid: Dataset | null = null;
    const predictGrid = (ctx: { model: { predict(x: Float32Array, rows: number): Int32Array } }) =>
      grid && grid.rows > 0 ? Array.from(ctx.model.predict(grid.features, grid.rows)) : [];

    const live: Callback = {
      onTrainBegin(ctx: TrainContext) {
        const p = prepared!;
        const onTest = p.test !== null;
        const set = p.test ?? p.val;
        const n = Math.min(m.gridSize, set.rows);
        grid = { features: set.features.subarray(0, n * set.cols), labels: set.labels.subarray(0, n), rows: n, cols: set.cols };
        post({
          type: 'prepared',
          runId,
          steps: p.steps.map((s) => s.summary),
          features: p.train.cols,
          trainRows: p.train.rows,
          valRows: p.val.rows,
          testRows: p.test?.rows ?? 0,
          parameters: ctx.model.parameterCount,
          backend: describeBackend(backend),
          gridSet: onTest ? 'test' : 'validation',
          gridRows: Array.from((onTest ? p.origin.test! : p.origin.val).subarray(0, n)),
          gridLabels: Array.from(grid.labels),
        });
      },
      async onEpochEnd(record: EpochRecord, ctx: TrainContext) {
        const val = prepared!.val;
        let valScores: SetScores | null = null;
        if (val.rows > 0) {
          const predicted = ctx.model.predict(val.features, val.rows);
          valScores = {
            set: 'validation',
            rows: val.rows,
            accuracy: record.valAccuracy,
            loss: record.valLoss,
            confusion: confusionMatrix(val.labels, predicted, prepared!.classes),
            report: classificationReport(val.labels, predicted, prepared!.classes, prepared!.classNames),
          };
        }
        post({ type: 'epoch', runId, record, val: valScores, grid: predictGrid(ctx) });
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
      callbacks: [live],
      signal: controller.signal,
      onBatch,
      onPrepared: (p) => (prepared = p),
    });
    try {
      // Without a test set the final scores are the validation part's.
      const e = result.test ?? evaluate(result.model, result.prepared.val, result.prepared.classNames);
      const final: SetScores = { set: result.test ? 'test' : 'validation', rows: e.rows, accuracy: e.accuracy, loss: e.loss, confusion: e.confusion, report: e.report };
      post({
        type: 'done',
        runId,
        bestEpoch: result.fit.bestEpoch,
        stoppedEarly: result.fit.stoppedEarly,
        restoredBest: result.fit.restoredBest,
        aborted: result.fit.aborted,
        seconds: result.report.seconds,
        final,
        grid: predictGrid(result),
        modelJson: result.modelFile,
        findings: result.report.findings,
        firstLayer: result.report.firstLayer,
      });
    } finally {
      result.model.dispose();
    }
  } catch (e) {
    const err = e as Error;
    post({ type: 'error', runId, name: e instanceof MlplabError ? err.name : 'Error', message: err.message ?? String(e) });
  } finally {
    controller = null;
  }
}
