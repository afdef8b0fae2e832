/// <reference lib="webworker" />
/**
 * The training worker: prepares the data with the library's `prepare`, trains with its `fit`,
 * and reports every epoch. Between epochs it yields to the event loop so that pause and stop
 * messages arrive; stop aborts the fit loop through its AbortSignal (reset terminates the
 * worker from the page).
 */
import {
  MlplabError,
  Sequential,
  classificationReport,
  confusionMatrix,
  encodeModelFile,
  evaluateClassifier,
  fit,
  getBackend,
  networkToModelOptions,
  type Callback,
  type Dataset,
  type EpochRecord,
  type TrainContext,
} from '../../src/index.js';
import { finiteRows } from '../../src/data/nulls.js';
import { prepare } from '../../src/data/prepare.js';
import { stratifiedSplit } from '../../src/data/split.js';
import type { FromWorker, SetScores, StartMessage, Table, ToWorker } from './protocol.js';

declare const self: DedicatedWorkerGlobalScope;

const post = (message: FromWorker) => self.postMessage(message);

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

function scores(model: Sequential, t: Table, set: SetScores['set'], classNames: string[]): SetScores {
  const e = evaluateClassifier(model, t, classNames);
  return { set, rows: t.rows, accuracy: e.accuracy, loss: e.loss, confusion: e.confusion, report: e.report };
}

function rowsOf(t: Table, indices: ArrayLike<number>): Table {
  const features = new Float32Array(indices.length * t.cols);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    features.set(t.features.subarray(r * t.cols, (r + 1) * t.cols), i * t.cols);
    labels[i] = t.labels[r];
  }
  return { features, labels, rows: indices.length, cols: t.cols };
}

/**
 * The original row index of each of the first `n` rows of the prepared test set (or, without
 * one, of the validation part), so the page can draw them from the raw data. Validation rows
 * are found by repeating prepare's split; the labels are checked against prepare's own.
 */
function gridOrigin(train: Dataset, test: Dataset | null, preparedLabels: Int32Array, valFraction: number, seed: number, n: number): number[] | null {
  let rows: Int32Array;
  if (test) {
    rows = finiteRows(test);
  } else {
    const kept = finiteRows(train);
    const keptLabels = Int32Array.from(kept, (r) => train.labels[r]);
    rows = Int32Array.from(stratifiedSplit(keptLabels, valFraction, seed).val, (i) => kept[i]);
  }
  const source = test ?? train;
  const out = Array.from(rows.subarray(0, n));
  return out.every((r, i) => source.labels[r] === preparedLabels[i]) ? out : null;
}

async function run(m: StartMessage): Promise<void> {
  const { runId, spec, data } = m;
  controller = new AbortController();
  paused = false;
  try {
    const t0 = performance.now();
    const backend = getBackend();
    post({ type: 'status', runId, text: spec.data.pca !== null ? 'Preparing the data (fitting PCA)…' : 'Preparing the data…' });
    const train: Dataset = { ...data.train, source: 'training data', classNames: data.classNames };
    const test: Dataset | null = data.test ? { ...data.test, source: 'test data' } : null;
    const prepared = prepare({ train, test }, { ...spec.data, seed: spec.train.seed, backend });
    const classes = data.classNames.length;
    const val = prepared.val.rows > 0 ? prepared.val : null;
    const gridSource = prepared.test ?? val;
    const gridCount = Math.min(m.gridSize, gridSource?.rows ?? 0);
    const grid = gridSource ? rowsOf(gridSource, Array.from({ length: gridCount }, (_, i) => i)) : null;
    const gridRows = grid ? gridOrigin(train, test, grid.labels, spec.data.valFraction, spec.train.seed, gridCount) : null;

    const finalSet = prepared.test ?? val ?? prepared.train;
    const model = Sequential.create(networkToModelOptions(spec.network, prepared.train.cols, classes), {
      seed: spec.train.seed,
      backend,
      capacity: spec.train.batchSize,
    });
    const predictGrid = () => (grid && grid.rows > 0 ? Array.from(model.predict(grid.features, grid.rows)) : []);

    const live: Callback = {
      onTrainBegin() {
        post({
          type: 'prepared',
          runId,
          steps: prepared.steps.map((s) => s.summary),
          features: prepared.train.cols,
          trainRows: prepared.train.rows,
          valRows: val?.rows ?? 0,
          testRows: prepared.test?.rows ?? 0,
          parameters: model.parameterCount,
          backend: backend.name,
          gridSet: prepared.test ? 'test' : 'validation',
          gridRows: gridRows ?? [],
          gridLabels: grid ? Array.from(grid.labels) : [],
        });
      },
      async onEpochEnd(record: EpochRecord, ctx: TrainContext) {
        let valScores: SetScores | null = null;
        if (val) {
          const predicted = ctx.model.predict(val.features, val.rows);
          valScores = {
            set: 'validation',
            rows: val.rows,
            accuracy: record.valAccuracy,
            loss: record.valLoss,
            confusion: confusionMatrix(val.labels, predicted, classes),
            report: classificationReport(val.labels, predicted, classes, data.classNames),
          };
        }
        post({ type: 'epoch', runId, record, val: valScores, grid: predictGrid() });
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

    try {
      const result = await fit(model, prepared.train, val, { train: spec.train, callbacks: [live], signal: controller.signal, onBatch });
      const final = scores(model, finalSet, prepared.test ? 'test' : 'validation', data.classNames);
      // The extras a saved model carries from the command line too.
      const modelJson = await encodeModelFile({
        model,
        classNames: data.classNames,
        pipeline: prepared.pipeline,
        run: spec,
        source: data.source,
        epoch: result.bestEpoch,
      });
      post({
        type: 'done',
        runId,
        bestEpoch: result.bestEpoch,
        stoppedEarly: result.stoppedEarly,
        restoredBest: result.restoredBest,
        aborted: result.aborted,
        seconds: (performance.now() - t0) / 1000,
        final,
        grid: predictGrid(),
        modelJson,
      });
    } finally {
      model.dispose();
    }
  } catch (e) {
    const err = e as Error;
    post({ type: 'error', runId, name: e instanceof MlplabError ? err.name : 'Error', message: err.message ?? String(e) });
  } finally {
    controller = null;
  }
}
