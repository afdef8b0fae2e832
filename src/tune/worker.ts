/**
 * Worker-thread entry of a study: receives the shared data once, then trains one trial per
 * message on its own kernel backend and posts back per-epoch metrics and the result.
 */
import { parentPort } from 'node:worker_threads';
import { createBackend } from '../tensor/index.js';
import type { Backend } from '../tensor/backend.js';
import type { WorkerInit, WorkerJob, WorkerReply } from './protocol.js';
import { runFinal, runTrial, takeRows, type TrialData } from './trial.js';

if (!parentPort) throw new Error('mlplab study worker: must run in a worker thread');
const port = parentPort;
let backend: Backend | null = null;
let init: WorkerInit | null = null;
let trialData: TrialData | null = null;

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
    backend = await Promise.resolve(createBackend(init.backend));
    const train = init.trialRows ? takeRows(init.train, init.trialRows) : init.train;
    trialData = { train, val: init.val, classes: init.classes };
    post({ type: 'ready' });
    return;
  }
  if (!init || !trialData || !backend) throw new Error('mlplab study worker: job before init');
  if (msg.type === 'trial') {
    const id = msg.id;
    const out = await runTrial(trialData, msg.run, msg.seed, msg.metric, { backend, onEpoch: (record) => post({ type: 'epoch', id, record }) });
    if (out.ok) post({ type: 'done', id, result: out.result, history: out.history });
    else post({ type: 'failed', id, error: out.error, history: out.history });
    return;
  }
  const id = msg.id;
  const train = msg.rows ? takeRows(init.train, msg.rows) : init.train;
  const outcome = await runFinal({ train, val: init.val, test: init.test, classes: init.classes, classNames: init.classNames }, msg.run, msg.seed, {
    backend,
    extras: msg.extras,
    onEpoch: (record) => post({ type: 'epoch', id, record }),
  });
  post({ type: 'final', id, outcome });
}
