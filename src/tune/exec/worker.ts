/**
 * Worker-thread entry of a study: receives the shared data once, then trains one trial per
 * message on its own kernel backend and posts back per-epoch metrics and the result.
 */
import { parentPort } from 'node:worker_threads';
import { selectRows } from '../../data/dataset.js';
import { receivePrepared } from '../../data/handoff.js';
import type { Prepared } from '../../data/prepare.js';
import { ConfigError, DivergenceError } from '../../errors.js';
import { runExperiment } from '../../run/experiment.js';
import { resolveRun } from '../../run/spec.js';
import { trainRun } from '../../run/train.js';
import { loadStudyBackend } from '../study/kernels.js';
import type { Backend } from '../../tensor/backend.js';
import type { WorkerInit, WorkerJob, WorkerReply } from './protocol.js';
import type { EpochRecord } from '../../metrics/history-types.js';
import { runFoldedTrial, runTrial, trialFolds, type TrialData } from './trial.js';

if (!parentPort) throw new Error('mlplab study worker: must run in a worker thread');
const port = parentPort;
let backend: Backend | null = null;
let init: WorkerInit | null = null;
let prepared: Prepared | null = null;
let trialData: TrialData | null = null;
/** A cross-validated study's folds, each a TrialData. */
let folds: TrialData[] | null = null;

const post = (m: WorkerReply) => port.postMessage(m);

port.on('message', (msg: { type: 'init'; init: WorkerInit } | WorkerJob) => {
  void handle(msg).catch((e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    post({ type: 'error', id: 'id' in msg ? msg.id : -1, name: err.name, message: err.message, stack: err.stack });
  });
});

async function handle(msg: { type: 'init'; init: WorkerInit } | WorkerJob): Promise<void> {
  if (msg.type === 'init') {
    init = msg.init;
    prepared = receivePrepared(init.data, 'study pipeline');
    const memoryBytes = [prepared.train, prepared.val, prepared.test].reduce((n, d) => n + (d ? d.features.length * 4 : 0), 64 << 20);
    backend = await loadStudyBackend(init.kernels, { threads: init.threads, memoryBytes });
    const train = init.trialRows ? selectRows(prepared.train, init.trialRows) : prepared.train;
    trialData = { train, val: prepared.val, classes: prepared.classes };
    if (init.cv) folds = trialFolds(trialData, init.cv.folds, init.cv.seed);
    await warmUp(folds ? folds[0] : trialData, backend);
    post({ type: 'ready' });
    return;
  }
  if (!init || !prepared || !trialData || !backend) throw new Error('mlplab study worker: job before init');
  if (msg.type === 'member') {
    // One network of a run's seed ensemble: all the prepared training rows, validated as the run is.
    const val = prepared.val.rows > 0 ? prepared.val : null;
    const { model } = await trainRun({ train: prepared.train, val, classes: prepared.classes }, msg.run, { seed: msg.seed, backend, classNames: prepared.classNames });
    const snapshot = model.snapshot();
    model.dispose();
    port.postMessage({ type: 'member', id: msg.id, snapshot } satisfies WorkerReply, snapshot.map((a) => a.buffer as ArrayBuffer));
    return;
  }
  if (msg.type === 'trial') {
    const id = msg.id;
    const onEpoch = (record: EpochRecord) => post({ type: 'epoch', id, record });
    const out = folds ? await runFoldedTrial(folds, msg.run, msg.seed, msg.metric, { backend, onEpoch }) : await runTrial(trialData, msg.run, msg.seed, msg.metric, { backend, prune: msg.prune, onEpoch });
    if (out.ok) post({ type: 'done', id, result: out.result, history: out.history, ...(out.pruned !== undefined ? { pruned: out.pruned } : {}) });
    else post({ type: 'failed', id, error: out.error, history: out.history });
    return;
  }
  // The final model is a run like any other, on the study's prepared data.
  const id = msg.id;
  const rows = msg.rows;
  const whole = prepared;
  const data: Prepared = rows
    ? { ...whole, train: selectRows(whole.train, rows), origin: { ...whole.origin, train: Int32Array.from(rows, (r) => whole.origin.train[r]) } }
    : whole;
  let result;
  try {
    result = await runExperiment(msg.run, data, {
      backend,
      title: msg.title,
      source: init.source,
      callbacks: [{ onEpochEnd: (record) => post({ type: 'epoch', id, record }) }],
    });
  } catch (e) {
    if (e instanceof DivergenceError || e instanceof ConfigError) {
      post({ type: 'failed', id, error: e instanceof ConfigError ? `cannot be trained: ${e.message}` : e.message, history: [] });
      return;
    }
    throw e;
  }
  result.model.dispose();
  post({ type: 'final', id, output: { report: result.report, modelFile: result.modelFile } });
}

/**
 * V8 compiles WebAssembly in tiers: the first steps of the first trial would run slower than
 * the rest and inflate that trial's time (the cost rule compares times per epoch). A short
 * throw-away run on a few rows lets the kernels tier up first; no trial's result depends on it.
 */
async function warmUp(data: TrialData, b: Backend): Promise<void> {
  const t = data.train;
  const head = (rows: number) => {
    const n = Math.min(t.rows, rows);
    return { features: t.features.subarray(0, n * t.cols), labels: t.labels.subarray(0, n), rows: n, cols: t.cols, ...(t.targets ? { targets: t.targets.subarray(0, n) } : {}) };
  };
  const run = resolveRun({ network: { widths: [64, 64], activations: ['gelu', 'relu'], batchNorm: true, dropout: 0.5 }, train: { epochs: 3, batchSize: 32 } });
  await runTrial({ train: head(512), val: head(64), classes: data.classes }, run, 0, 'valLoss', { backend: b });
}
