/**
 * The run: starting, pausing, stopping and resetting it, the training worker, and what its
 * messages change on the page.
 */
import type { EpochRecord, RawData } from '../../src/index.js';
import { formatPercent } from '../../src/report/index.js';
import { RUN_COLORS } from './charts.js';
import { showError, validateSettings } from './controls.js';
import type { LoadedData } from './data.js';
import { byId, clearMessage, count, fixed, h, seconds, setStatus, showMessage } from './dom.js';
import { clearLivePanels, renderChoices, renderCompare, renderLive, scheduleLive } from './live.js';
import { activeData, dataInfo, pickedTask } from './picker.js';
import type { DoneMessage, FromWorker, StartMessage } from './protocol.js';
import { r2Text, value } from './regress/panels.js';
import { renderRunsTable } from './results.js';
import { labelRun } from './runs.js';
import type { PageState, Run } from './state.js';

const GRID_SIZE = 24;

export function updateButtons(state: PageState): void {
  const busy = state.phase !== 'idle';
  byId<HTMLButtonElement>('train').disabled = busy;
  const pause = byId<HTMLButtonElement>('pause');
  pause.disabled = !(state.phase === 'running' || state.phase === 'paused');
  pause.textContent = state.phase === 'paused' ? 'Resume' : state.phase === 'pausing' ? 'Pausing…' : 'Pause';
  byId<HTMLButtonElement>('stop').disabled = !(state.phase === 'running' || state.phase === 'paused' || state.phase === 'pausing');
  byId<HTMLButtonElement>('export').disabled = state.finished.length === 0;
  byId<HTMLButtonElement>('export-onnx').disabled = state.finished.length === 0;
  document.body.dataset.phase = state.phase;
}

/** Redraw what depends on the finished runs: their table, the comparison and the buttons. */
export function runsChanged(state: PageState): void {
  renderRunsTable(state, () => runsChanged(state));
  renderCompare(state);
  updateButtons(state);
}

export function ensureWorker(state: PageState): Worker {
  if (state.worker) return state.worker;
  const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'mlplab-training' });
  w.onmessage = (event: MessageEvent<FromWorker>) => onWorkerMessage(state, event.data);
  w.onerror = (event) => {
    event.preventDefault();
    showMessage('run', 'The training worker failed', event.message || 'unknown error');
    w.terminate();
    if (state.worker === w) state.worker = null;
    endRun(state, 'The training worker failed; the page is ready for another run.', true);
  };
  state.worker = w;
  return w;
}

export async function startRun(state: PageState): Promise<void> {
  if (state.phase !== 'idle') return;
  clearMessage('run');
  const settings = validateSettings();
  if (!settings) {
    setStatus('Fix the highlighted setting, then press Train.', true);
    return;
  }
  let data: LoadedData;
  try {
    data = await activeData(state);
  } catch (e) {
    showError('run', e);
    setStatus('Fix the data problem, then press Train.', true);
    return;
  }
  const number = ++state.runCounter;
  const previous = state.finished.length ? state.finished[state.finished.length - 1].settings : null;
  const spec = settings.run;
  const named = labelRun(number, spec, dataInfo(state, data), previous);
  // The network is chosen when the data is prepared; the label follows then.
  if (settings.input.auto) named.label = `#${number} chosen for the data`;
  state.current = {
    id: number, number, label: named.label, detail: named.detail, settings: named.settings, spec, choices: null, data,
    color: RUN_COLORS[(number - 1) % RUN_COLORS.length],
    history: [], prepared: null, scores: null, scoresCaption: '', grid: [], gridProba: [], scatter: null, member: { n: 1, of: 1 }, done: null,
  };
  // Sent by structured clone, without a transfer list: a table's columns (names, kinds, each text
  // column's dictionary) travel with its cells, and the page keeps its own copy for the grid.
  const raw: RawData = { train: { ...data.train, classNames: data.classNames }, test: data.test, notes: data.notes };
  state.phase = 'running';
  updateButtons(state);
  clearLivePanels(data.task);
  setStatus(`Starting run ${named.label}…`);
  if (settings.input.auto) renderChoices(null);
  const start: StartMessage = { type: 'start', runId: number, spec: settings.input, data: raw, source: data.source, gridSize: GRID_SIZE };
  ensureWorker(state).postMessage(start);
  renderCompare(state);
}

function endRun(state: PageState, statusText: string, error = false): void {
  state.phase = 'idle';
  updateButtons(state);
  setStatus(statusText, error);
}

/** The engine badge: kernels, build and threads, and why only one thread runs when that is so. */
function showEngine(m: Extract<FromWorker, { type: 'engine' }>): void {
  const badge = byId('engine');
  badge.textContent = `engine: ${m.engine}${m.short ? ` (${m.short})` : ''}, in a Web Worker`;
  badge.title = m.note
    ? `Training runs on one thread: ${m.note.replace(/^one thread: /, '')}.`
    : m.threads > 1 ? `The kernels run on ${m.threads} threads over shared memory, in a Web Worker.` : 'This device reports one core: the kernels run on one thread, in a Web Worker.';
  badge.dataset.threads = String(m.threads);
}

function onWorkerMessage(state: PageState, m: FromWorker): void {
  if (m.type === 'engine') {
    showEngine(m);
    return;
  }
  const run = state.current;
  if (!run || m.runId !== run.id) return;
  switch (m.type) {
    case 'status':
      setStatus(m.text);
      break;
    case 'spec': {
      // The run as it trains: what was chosen for the data, under the page's settings.
      run.spec = m.spec;
      run.choices = m.choices;
      run.member = { n: 1, of: m.spec.train.ensemble };
      const previous = state.finished.length ? state.finished[state.finished.length - 1].settings : null;
      Object.assign(run, labelRun(run.number, m.spec, dataInfo(state, run.data), previous));
      if (m.choices) renderChoices(run);
      break;
    }
    case 'member':
      run.member = { n: m.n, of: m.of };
      setStatus(`Training network ${m.n} of ${m.of} of the seed ensemble (the curves show the first)…`);
      break;
    case 'prepared': {
      run.prepared = m;
      run.scatter = m.scatter;
      byId('run-facts').textContent = [
        `${count(m.trainRows)} training`,
        `${count(m.valRows)} validation`,
        m.testRows ? `${count(m.testRows)} test rows` : 'no test set',
        `${count(m.features)} input features`,
        `${count(m.parameters)} parameters`,
        ...(run.spec.train.ensemble > 1 ? [`a seed ensemble of ${run.spec.train.ensemble} networks`] : []),
      ].join(' · ');
      byId('prep-steps').replaceChildren(...m.steps.map((s) => h('li', {}, s)));
      byId('prep-box').hidden = false;
      setStatus(`Training epoch 1 of ${run.spec.train.epochs}…`);
      break;
    }
    case 'progress': {
      const epochs = run.spec.train.epochs;
      const done = (run.member.n - 1 + (m.epoch - 1 + m.batch / m.batches) / epochs) / run.member.of;
      byId('progress').style.width = `${Math.min(100, done * 100).toFixed(1)}%`;
      if (run.history.length === 0) setStatus(`Training epoch ${m.epoch} of ${epochs}: batch ${count(m.batch)} of ${count(m.batches)}, loss ${fixed(m.loss)}`);
      break;
    }
    case 'epoch': {
      run.history.push(m.record);
      run.grid = m.grid;
      run.gridProba = m.gridProba;
      if (m.val) {
        run.scores = m.val;
        run.scoresCaption = `validation set (${count(m.val.rows)} rows) at epoch ${m.record.epoch}`;
      }
      if (m.scatter && run.scatter) run.scatter = { ...run.scatter, predicted: m.scatter };
      const r = m.record;
      const regress = run.data.task === 'regress';
      byId('tile-epoch').textContent = `${r.epoch} / ${run.spec.train.epochs}`;
      byId('tile-train-acc').textContent = regress ? fixed(r.trainLoss) : formatPercent(r.trainAccuracy, 1);
      byId('tile-val-acc').textContent = regress ? r2Text(r.valR2 ?? NaN) : formatPercent(r.valAccuracy, 1);
      byId('tile-val-loss').textContent = regress ? value(r.valRmse ?? NaN) : fixed(r.valLoss);
      byId('progress').style.width = `${Math.min(100, (r.epoch / run.spec.train.epochs) * 100).toFixed(1)}%`;
      const note = state.phase === 'pausing' ? ' · pausing…' : state.phase === 'stopping' ? ' · stopping…' : '';
      const scores = !regress
        ? `validation accuracy ${formatPercent(r.valAccuracy, 1)} · validation loss ${fixed(r.valLoss)}`
        : r.valR2 !== undefined ? `validation R² ${r2Text(r.valR2)} · RMSE ${value(r.valRmse!)}` : `training loss ${fixed(r.trainLoss)} (no validation part)`;
      setStatus(`Epoch ${r.epoch} of ${run.spec.train.epochs} · ${scores} · ${seconds(r.seconds)} per epoch${note}`);
      document.body.dataset.epoch = String(r.epoch);
      scheduleLive(state, run);
      break;
    }
    case 'paused':
      state.phase = 'paused';
      updateButtons(state);
      setStatus(`Paused after epoch ${run.history.length}. Press Resume to go on, or Stop to evaluate the model as it is.`);
      break;
    case 'resumed':
      if (state.phase === 'paused' || state.phase === 'pausing') state.phase = 'running';
      updateButtons(state);
      break;
    case 'done': {
      run.done = m;
      run.grid = m.grid;
      run.gridProba = m.gridProba;
      const set = (m.final ?? m.regression)!.set;
      const rows = (m.final ?? m.regression)!.rows;
      if (m.final) run.scores = m.final;
      if (m.regression) run.scatter = m.regression.scatter;
      run.scoresCaption = {
        test: `test set (${count(rows)} rows), final model`,
        validation: `validation set (${count(rows)} rows), final model (no test set)`,
        training: `training rows (${count(rows)}), final model (no test set or validation part: an optimistic score)`,
      }[set];
      state.finished.push(run);
      const what = m.regression ? 'R²' : 'accuracy';
      byId('tile-final-label').textContent = { test: `Test ${what}`, validation: `Final val. ${what}`, training: `Training ${what}` }[set];
      byId('tile-final').textContent = m.regression ? r2Text(m.regression.r2) : formatPercent(m.final!.accuracy, 1);
      byId('progress').style.width = '100%';
      renderLive(state, run);
      renderRunsTable(state, () => runsChanged(state));
      const how = m.aborted ? 'Stopped' : m.stoppedEarly ? 'Stopped early' : 'Finished';
      const members = run.member.of > 1 ? ` (and ${run.member.of - 1} more networks of the seed ensemble)` : '';
      const scores = m.regression
        ? `${set} R² ${r2Text(m.regression.r2)} · RMSE ${value(m.regression.rmse)} · MAE ${value(m.regression.mae)}`
        : `${set} accuracy ${formatPercent(m.final!.accuracy, 1)}`;
      endRun(state, `${how} after ${run.history.length} epoch${run.history.length === 1 ? '' : 's'}${members} in ${seconds(m.seconds)}${keptEpoch(run, m)} · ${scores}`);
      break;
    }
    case 'error': {
      const titles: Record<string, string> = { DivergenceError: 'Training diverged', ConfigError: 'Setting not accepted', DataError: 'Data problem', ShapeError: 'Shapes do not match' };
      showMessage('run', titles[m.name] ?? 'Training failed', m.message);
      state.current = run.history.length ? run : null;
      endRun(state, 'The run ended with an error (see the message above). Change a setting and press Train again.', true);
      break;
    }
  }
}

/** The epoch whose weights were kept and its validation score: the best one under early stopping, else the last. */
function keptEpoch(run: Run, m: DoneMessage): string {
  const best = run.history.find((x) => x.epoch === m.bestEpoch);
  const regress = run.data.task === 'regress';
  const score = (r: EpochRecord) => (regress ? r.valR2 ?? NaN : r.valAccuracy);
  if (!best || !Number.isFinite(score(best))) return '';
  const shown = regress ? `validation R² ${r2Text(score(best))}` : `validation accuracy ${formatPercent(score(best), 1)}`;
  // The kept epoch is the best one only under early stopping; otherwise it is the last.
  if (m.stoppedEarly || m.restoredBest) return ` · ${regress ? `lowest validation loss at epoch ${m.bestEpoch} (${shown})` : `best ${shown} at epoch ${m.bestEpoch}`}${m.restoredBest ? ' (weights restored)' : ''}`;
  return ` · ${shown} at the last epoch`;
}

export function pauseOrResume(state: PageState): void {
  if (!state.worker) return;
  if (state.phase === 'running') {
    state.worker.postMessage({ type: 'pause' });
    state.phase = 'pausing';
    setStatus('Pausing at the end of this epoch…');
  } else if (state.phase === 'paused') {
    state.worker.postMessage({ type: 'resume' });
    state.phase = 'running';
    setStatus(`Resuming at epoch ${(state.current?.history.length ?? 0) + 1}…`);
  }
  updateButtons(state);
}

export function stopRun(state: PageState): void {
  if (!state.worker || state.phase === 'idle') return;
  state.worker.postMessage({ type: 'stop' });
  state.phase = 'stopping';
  setStatus('Stopping at the end of this epoch, then evaluating the model…');
  updateButtons(state);
}

/** Reset: end any run at once (the worker is discarded) and clear the live panels. */
export function resetRun(state: PageState): void {
  if (state.worker && state.phase !== 'idle') {
    state.worker.terminate();
    state.worker = null;
  }
  state.current = null;
  clearLivePanels(pickedTask(state));
  clearMessage('run');
  renderCompare(state);
  endRun(state, 'Ready. Choose settings and press Train.');
}
