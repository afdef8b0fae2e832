/**
 * The playground page: settings on the left, the run on the right. Training happens in a Web
 * Worker (worker.ts) with the library's engine; this module validates settings and data,
 * starts, pauses, stops and resets runs, and draws what the worker reports.
 */
import './styles.css';
import {
  ConfigError,
  DataError,
  MlplabError,
  accuracyChart,
  confusionChart,
  decodeModelFile,
  exportOnnx,
  getBackend,
  formatPercent,
  formatScientific,
  layerChart,
  lossChart,
  pngDataUrl,
  weightsPng,
  resolveRun,
  type ClassificationReport,
  type EpochRecord,
  type ResolvedRun,
} from '../../src/index.js';
import { RUN_COLORS, compareChart, plotWidth, renderChart, type RunCurve } from './charts.js';
import { applyPreset, buildControls, checkPageLimits, fieldControl, readSpec } from './controls.js';
import { assembleUserData, headRows, loadFashionSubset, parseUserFile, type LoadedData, type ParsedFile, type Slot } from './data.js';
import { byId, count, fixed, h, seconds } from './dom.js';
import { rowCanvas } from './images.js';
import type { DataBundle, DoneMessage, FromWorker, PreparedMessage, SetScores } from './protocol.js';
import { labelRun, summarize, type DataInfo, type Settings } from './runs.js';

const GRID_SIZE = 24;

type Phase = 'idle' | 'running' | 'pausing' | 'paused' | 'stopping';

interface Run {
  id: number;
  number: number;
  label: string;
  detail: string;
  color: string;
  settings: Settings;
  spec: ResolvedRun;
  data: LoadedData;
  history: EpochRecord[];
  prepared: PreparedMessage | null;
  /** Latest scores shown in the confusion matrix and report, and the set they are on. */
  scores: SetScores | null;
  scoresCaption: string;
  grid: number[];
  done: DoneMessage | null;
}

let phase: Phase = 'idle';
let worker: Worker | null = null;
let current: Run | null = null;
const finished: Run[] = [];
let runCounter = 0;
let compareMetric: 'valAccuracy' | 'valLoss' = 'valAccuracy';
let dataMode: 'builtin' | 'files' = 'builtin';
let builtin: LoadedData | null = null;
let builtinError: Error | null = null;
const slots: Partial<Record<Slot, ParsedFile>> = {};

// ---- messages ----------------------------------------------------------------------------------

/** Show a message box; a message with the same key replaces the previous one. */
function showMessage(key: string, title: string, text: string, kind: 'error' | 'info' = 'error'): void {
  clearMessage(key);
  const close = h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Dismiss' }, '×');
  const box = h('div', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-key': key }, h('div', {}, h('strong', {}, title), h('p', {}, text)), close);
  close.addEventListener('click', () => box.remove());
  byId('messages').prepend(box);
}

function clearMessage(key: string): void {
  document.querySelectorAll(`.message[data-key="${key}"]`).forEach((m) => m.remove());
}

/** Turn any thrown value into a message; ConfigErrors also mark the control they name. */
function showError(key: string, e: unknown): void {
  if (e instanceof ConfigError) {
    const { label, id } = fieldControl(e.field);
    if (id) document.getElementById(id)?.classList.add('invalid');
    showMessage(key, `Setting not accepted: ${label}`, e.message);
  } else if (e instanceof DataError) {
    showMessage(key, 'Data problem', e.message);
  } else if (e instanceof MlplabError) {
    showMessage(key, e.name.replace(/Error$/, ' error'), e.message);
  } else {
    showMessage(key, 'Something went wrong', e instanceof Error ? e.message : String(e));
  }
}

function setStatus(text: string, error = false): void {
  const el = byId('status');
  el.textContent = text;
  el.classList.toggle('error', error);
}

// ---- settings ------------------------------------------------------------------------------------

/** The run the settings describe, or null after showing why it is refused. */
function validateSettings(): ResolvedRun | null {
  document.querySelectorAll('.invalid').forEach((el) => el.classList.remove('invalid'));
  try {
    const run = resolveRun(readSpec());
    checkPageLimits(run);
    clearMessage('settings');
    return run;
  } catch (e) {
    showError('settings', e);
    return null;
  }
}

let validateTimer = 0;
function settingsChanged(): void {
  window.clearTimeout(validateTimer);
  validateTimer = window.setTimeout(validateSettings, 250);
}

// ---- data ------------------------------------------------------------------------------------------

async function activeData(): Promise<LoadedData> {
  if (dataMode === 'files') return assembleUserData(slots);
  if (!builtin) {
    throw new DataError('fashion-mnist', builtinError ? `the built-in data could not be loaded: ${builtinError.message}` : 'the built-in data is still loading; try again in a moment');
  }
  const rows = Number(byId<HTMLSelectElement>('train-rows').value);
  return { ...builtin, source: `fashion-mnist (built-in subset, ${count(Math.min(rows, builtin.train.rows))} training rows)`, train: headRows(builtin.train, rows) };
}

function dataInfo(d: LoadedData): DataInfo {
  return { name: dataMode === 'builtin' ? 'Fashion-MNIST' : d.source, rows: d.train.rows };
}

/** One sample per class (first occurrence), drawn as images or listed as class counts. */
function renderSamples(target: HTMLElement, d: LoadedData): void {
  target.replaceChildren();
  target.classList.toggle('as-list', !d.image);
  if (d.image) {
    const seen = new Set<number>();
    for (let r = 0; r < d.train.rows && seen.size < Math.min(10, d.classNames.length); r++) {
      const c = d.train.labels[r];
      if (seen.has(c)) continue;
      seen.add(c);
      target.append(h('figure', { class: 'sample', style: 'margin:0', title: d.classNames[c] }, rowCanvas(d.train.features, r, d.image, 2), h('span', {}, d.classNames[c])));
    }
    return;
  }
  const counts = new Array<number>(d.classNames.length).fill(0);
  for (let i = 0; i < d.train.labels.length; i++) counts[d.train.labels[i]]++;
  target.append(h('ul', { class: 'class-counts' }, ...counts.slice(0, 40).map((n, c) => h('li', {}, `${d.classNames[c]}: ${count(n)}`))));
}

async function loadBuiltin(): Promise<void> {
  try {
    builtin = await loadFashionSubset();
    renderSamples(byId('samples'), builtin);
  } catch (e) {
    builtinError = e as Error;
    byId('samples').replaceChildren(h('p', { class: 'file-status error' }, `The built-in data could not be loaded: ${(e as Error).message}`));
  }
}

const SLOTS: { slot: Slot; label: string; hint: string }[] = [
  { slot: 'trainData', label: 'Training data', hint: '.npy features, a .npz archive, or a .csv table with a label column' },
  { slot: 'trainLabels', label: 'Training labels', hint: '.npy or one-column .csv of class indices (not needed for a CSV with labels)' },
  { slot: 'testData', label: 'Test data (optional)', hint: 'the same features as the training data' },
  { slot: 'testLabels', label: 'Test labels (optional)', hint: '' },
];

function buildFileSlots(): void {
  const container = byId('file-slots');
  for (const { slot, label, hint } of SLOTS) {
    const input = h('input', { type: 'file', id: `file-${slot}`, accept: '.npy,.npz,.csv,.tsv,.txt' });
    const status = h('div', { class: 'file-status', id: `status-${slot}` });
    input.addEventListener('change', () => void pickFile(slot, input, status));
    container.append(
      h('div', { class: 'file-slot' }, h('label', { for: `file-${slot}` }, label), hint ? h('div', { class: 'slot-hint' }, hint) : null, input, status),
    );
  }
}

async function pickFile(slot: Slot, input: HTMLInputElement, status: HTMLElement): Promise<void> {
  const file = input.files?.[0];
  delete slots[slot];
  if (!file) {
    status.textContent = '';
    status.className = 'file-status';
    clearMessage(`file-${slot}`);
    await updateFilesSummary();
    return;
  }
  status.textContent = `Reading ${file.name}…`;
  status.className = 'file-status';
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const parsed = await parseUserFile(file.name, bytes);
    slots[slot] = parsed;
    status.textContent = `✓ ${parsed.summary}`;
    status.className = 'file-status ok';
    // An archive in the training slot is the whole data set: say which parts it fills.
    if (slot === 'trainData' && parsed.parts) {
      const filled: [Slot, string | undefined][] = [['trainLabels', parsed.parts.trainLabel], ['testData', parsed.parts.testData], ['testLabels', parsed.parts.testLabel]];
      for (const [other, key] of filled) {
        if (!key) continue;
        const s = byId(`status-${other}`);
        s.textContent = `✓ from ${file.name}: ${key}`;
        s.className = 'file-status ok';
      }
    }
    clearMessage(`file-${slot}`);
  } catch (e) {
    status.textContent = e instanceof Error ? e.message : String(e);
    status.className = 'file-status error';
    showError(`file-${slot}`, e);
  }
  await updateFilesSummary();
}

async function updateFilesSummary(): Promise<void> {
  const target = byId('files-summary');
  target.replaceChildren();
  if (!slots.trainData) return;
  try {
    const d = await assembleUserData(slots);
    target.append(
      h('p', { class: 'file-status ok' }, `Ready: ${count(d.train.rows)} training rows${d.test ? `, ${count(d.test.rows)} test rows` : ' (no test set: the final scores use the validation part)'}, ${count(d.train.cols)} features, ${d.classNames.length} classes.`),
    );
    const samples = h('div', { class: 'samples' });
    target.append(samples);
    renderSamples(samples, d);
  } catch (e) {
    target.append(h('p', { class: 'file-status error' }, e instanceof Error ? e.message : String(e)));
  }
}

function selectTab(mode: 'builtin' | 'files'): void {
  dataMode = mode;
  byId('tab-builtin').setAttribute('aria-selected', String(mode === 'builtin'));
  byId('tab-files').setAttribute('aria-selected', String(mode === 'files'));
  byId('pane-builtin').hidden = mode !== 'builtin';
  byId('pane-files').hidden = mode !== 'files';
}

// ---- the run -------------------------------------------------------------------------------------

function updateButtons(): void {
  const busy = phase !== 'idle';
  byId<HTMLButtonElement>('train').disabled = busy;
  const pause = byId<HTMLButtonElement>('pause');
  pause.disabled = !(phase === 'running' || phase === 'paused');
  pause.textContent = phase === 'paused' ? 'Resume' : phase === 'pausing' ? 'Pausing…' : 'Pause';
  byId<HTMLButtonElement>('stop').disabled = !(phase === 'running' || phase === 'paused' || phase === 'pausing');
  byId<HTMLButtonElement>('export').disabled = finished.length === 0;
  byId<HTMLButtonElement>('export-onnx').disabled = finished.length === 0;
  document.body.dataset.phase = phase;
}

function ensureWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'mlplab-training' });
  w.onmessage = (event: MessageEvent<FromWorker>) => onWorkerMessage(event.data);
  w.onerror = (event) => {
    event.preventDefault();
    showMessage('run', 'The training worker failed', event.message || 'unknown error');
    w.terminate();
    if (worker === w) worker = null;
    endRun('The training worker failed; the page is ready for another run.', true);
  };
  worker = w;
  return w;
}

async function startRun(): Promise<void> {
  if (phase !== 'idle') return;
  clearMessage('run');
  const spec = validateSettings();
  if (!spec) {
    setStatus('Fix the highlighted setting, then press Train.', true);
    return;
  }
  let data: LoadedData;
  try {
    data = await activeData();
    if (spec.data.pca !== null && spec.data.pca > data.train.cols) {
      throw new ConfigError('data.pca', spec.data.pca, `at most ${data.train.cols} components (the data has ${data.train.cols} features)`);
    }
  } catch (e) {
    showError('run', e);
    setStatus('Fix the data problem, then press Train.', true);
    return;
  }
  const number = ++runCounter;
  const previous = finished.length ? finished[finished.length - 1].settings : null;
  const { label, detail, settings } = labelRun(number, spec, dataInfo(data), previous);
  current = {
    id: number, number, label, detail, settings, spec, data,
    color: RUN_COLORS[(number - 1) % RUN_COLORS.length],
    history: [], prepared: null, scores: null, scoresCaption: '', grid: [], done: null,
  };
  const bundle: DataBundle = { source: data.source, train: data.train, test: data.test, classNames: data.classNames, notes: data.notes };
  phase = 'running';
  updateButtons();
  clearLivePanels();
  setStatus(`Starting run ${label}…`);
  ensureWorker().postMessage({ type: 'start', runId: number, spec, data: bundle, gridSize: GRID_SIZE });
  renderCompare();
}

function endRun(statusText: string, error = false): void {
  phase = 'idle';
  updateButtons();
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

function onWorkerMessage(m: FromWorker): void {
  if (m.type === 'engine') {
    showEngine(m);
    return;
  }
  const run = current;
  if (!run || m.runId !== run.id) return;
  switch (m.type) {
    case 'status':
      setStatus(m.text);
      break;
    case 'prepared': {
      run.prepared = m;
      byId('run-facts').textContent = [
        `${count(m.trainRows)} training`,
        `${count(m.valRows)} validation`,
        m.testRows ? `${count(m.testRows)} test rows` : 'no test set',
        `${count(m.features)} input features`,
        `${count(m.parameters)} parameters`,
      ].join(' · ');
      byId('prep-steps').replaceChildren(...m.steps.map((s) => h('li', {}, s)));
      byId('prep-box').hidden = false;
      setStatus(`Training epoch 1 of ${run.spec.train.epochs}…`);
      break;
    }
    case 'progress': {
      const epochs = run.spec.train.epochs;
      const done = (m.epoch - 1 + m.batch / m.batches) / epochs;
      byId('progress').style.width = `${Math.min(100, done * 100).toFixed(1)}%`;
      if (run.history.length === 0) setStatus(`Training epoch ${m.epoch} of ${epochs}: batch ${count(m.batch)} of ${count(m.batches)}, loss ${fixed(m.loss)}`);
      break;
    }
    case 'epoch': {
      run.history.push(m.record);
      run.grid = m.grid;
      if (m.val) {
        run.scores = m.val;
        run.scoresCaption = `validation set (${count(m.val.rows)} rows) at epoch ${m.record.epoch}`;
      }
      const r = m.record;
      byId('tile-epoch').textContent = `${r.epoch} / ${run.spec.train.epochs}`;
      byId('tile-train-acc').textContent = formatPercent(r.trainAccuracy, 1);
      byId('tile-val-acc').textContent = formatPercent(r.valAccuracy, 1);
      byId('tile-val-loss').textContent = fixed(r.valLoss);
      byId('progress').style.width = `${Math.min(100, (r.epoch / run.spec.train.epochs) * 100).toFixed(1)}%`;
      const state = phase === 'pausing' ? ' · pausing…' : phase === 'stopping' ? ' · stopping…' : '';
      setStatus(`Epoch ${r.epoch} of ${run.spec.train.epochs} · validation accuracy ${formatPercent(r.valAccuracy, 1)} · validation loss ${fixed(r.valLoss)} · ${seconds(r.seconds)} per epoch${state}`);
      document.body.dataset.epoch = String(r.epoch);
      scheduleLive(run);
      break;
    }
    case 'paused':
      phase = 'paused';
      updateButtons();
      setStatus(`Paused after epoch ${run.history.length}. Press Resume to go on, or Stop to evaluate the model as it is.`);
      break;
    case 'resumed':
      if (phase === 'paused' || phase === 'pausing') phase = 'running';
      updateButtons();
      break;
    case 'done': {
      run.done = m;
      run.grid = m.grid;
      run.scores = m.final;
      const onTest = m.final.set === 'test';
      run.scoresCaption = onTest ? `test set (${count(m.final.rows)} rows), final model` : `validation set (${count(m.final.rows)} rows), final model (no test set)`;
      finished.push(run);
      byId('tile-final-label').textContent = onTest ? 'Test accuracy' : 'Final val. accuracy';
      byId('tile-final').textContent = formatPercent(m.final.accuracy, 1);
      byId('progress').style.width = '100%';
      renderLive(run);
      renderRunsTable();
      const best = run.history.find((x) => x.epoch === m.bestEpoch);
      const how = m.aborted ? 'Stopped' : m.stoppedEarly ? 'Stopped early' : 'Finished';
      // The kept epoch is the best one only under early stopping; otherwise it is the last.
      const kept = m.stoppedEarly || m.restoredBest ? `best validation accuracy ${formatPercent(best?.valAccuracy ?? NaN, 1)} at epoch ${m.bestEpoch}` : `validation accuracy ${formatPercent(best?.valAccuracy ?? NaN, 1)} at the last epoch`;
      const bestText = best && Number.isFinite(best.valAccuracy) ? ` · ${kept}${m.restoredBest ? ' (weights restored)' : ''}` : '';
      endRun(`${how} after ${run.history.length} epoch${run.history.length === 1 ? '' : 's'} in ${seconds(m.seconds)}${bestText} · ${onTest ? 'test' : 'validation'} accuracy ${formatPercent(m.final.accuracy, 1)}`);
      break;
    }
    case 'error': {
      const titles: Record<string, string> = { DivergenceError: 'Training diverged', ConfigError: 'Setting not accepted', DataError: 'Data problem', ShapeError: 'Shapes do not match' };
      showMessage('run', titles[m.name] ?? 'Training failed', m.message);
      current = run.history.length ? run : null;
      endRun('The run ended with an error (see the message above). Change a setting and press Train again.', true);
      break;
    }
  }
}

function pauseOrResume(): void {
  if (!worker) return;
  if (phase === 'running') {
    worker.postMessage({ type: 'pause' });
    phase = 'pausing';
    setStatus('Pausing at the end of this epoch…');
  } else if (phase === 'paused') {
    worker.postMessage({ type: 'resume' });
    phase = 'running';
    setStatus(`Resuming at epoch ${(current?.history.length ?? 0) + 1}…`);
  }
  updateButtons();
}

function stopRun(): void {
  if (!worker || phase === 'idle') return;
  worker.postMessage({ type: 'stop' });
  phase = 'stopping';
  setStatus('Stopping at the end of this epoch, then evaluating the model…');
  updateButtons();
}

/** Reset: end any run at once (the worker is discarded) and clear the live panels. */
function resetRun(): void {
  if (worker && phase !== 'idle') {
    worker.terminate();
    worker = null;
  }
  current = null;
  clearLivePanels();
  clearMessage('run');
  renderCompare();
  endRun('Ready. Choose settings and press Train.');
}

function download(name: string, data: string | Uint8Array, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([data as BlobPart], { type }));
  const a = h('a', { href: url, download: name, style: 'display:none' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function exportRun(run: Run): void {
  if (run.done) download(`mlplab-model-run${run.number}.json`, run.done.modelJson);
}

/** The run's model as ONNX, its pre-processing inside: the same model file, converted in the page. */
async function exportRunOnnx(run: Run): Promise<void> {
  if (!run.done) return;
  try {
    const contents = await decodeModelFile(run.done.modelJson, `run ${run.number}'s model`, getBackend());
    try {
      download(`mlplab-model-run${run.number}.onnx`, exportOnnx(contents), 'application/octet-stream');
    } finally {
      contents.model.dispose();
    }
  } catch (e) {
    showError('export', e);
  }
}

// ---- drawing -----------------------------------------------------------------------------------------

const SKETCHES = {
  down: '<polyline points="10,12 40,52 80,74 130,86 190,92 250,95" /><polyline class="second" points="10,40 40,62 80,76 130,82 190,84 250,86" />',
  up: '<polyline points="10,90 40,50 80,32 130,22 190,17 250,15" /><polyline class="second" points="10,70 40,42 80,30 130,26 190,25 250,25" />',
  runs: '<polyline points="10,90 50,50 100,34 160,26 250,22" /><polyline class="second" points="10,80 50,40 100,24 160,17 250,14" /><polyline class="third" points="10,95 50,70 100,55 160,45 250,40" />',
  matrix: Array.from({ length: 25 }, (_, i) => `<rect x="${70 + (i % 5) * 24}" y="${4 + Math.floor(i / 5) * 19}" width="22" height="17" rx="2" class="${i % 6 === 0 ? 'on' : ''}" />`).join(''),
};

/** An empty chart: a faint sketch of what will appear, a title and a sentence. */
function placeholder(el: HTMLElement, title: string, text: string, sketch: keyof typeof SKETCHES): void {
  el.innerHTML = `<div class="placeholder"><div><svg class="sketch ${sketch}" viewBox="0 0 260 100" aria-hidden="true">${SKETCHES[sketch]}</svg></div></div>`;
  el.querySelector('.placeholder > div')!.append(h('strong', {}, title), text);
  delete el.dataset.rendered;
}

/** The layer statistics of the latest epoch, the gradient norms over the epochs, and (when done) the findings and first-layer weights. */
function renderLayers(run: Run): void {
  const last = run.history[run.history.length - 1];
  const layers = last?.layers ?? [];
  const table = byId('layers-table');
  table.replaceChildren(
    h('thead', {}, h('tr', {}, ...['layer', 'dead', 'saturated', '‖∂L/∂W‖', '‖ΔW‖/‖W‖'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...layers.map((l) => h('tr', {}, h('th', { scope: 'row' }, `${l.name} (${l.activation})`), h('td', {}, formatPercent(l.deadFraction, 0)), h('td', {}, formatPercent(l.saturatedFraction, 0)), h('td', {}, formatScientific(l.gradientNorm)), h('td', {}, formatScientific(l.updateRatio))))),
  );
  if (layers.length > 0) {
    const el = byId('layers-chart');
    void renderChart(el, layerChart(run.history, 'gradientNorm', { width: plotWidth(el), height: 180 }));
  }
  const findings = byId('layer-findings');
  findings.replaceChildren(...(run.done?.findings ?? []).map((f) => h('li', { class: 'finding' }, f.message)));
  if (run.done && run.done.findings.length === 0 && layers.length > 0) findings.append(h('li', { class: 'healthy' }, 'The layers look healthy: no dead units, saturation, vanishing or exploding gradients.'));
  const fl = run.done?.firstLayer ?? null;
  byId('weights-box').hidden = fl === null;
  if (fl) byId<HTMLImageElement>('weights-img').src = pngDataUrl(weightsPng(fl));
}

function clearLivePanels(): void {
  for (const id of ['tile-epoch', 'tile-train-acc', 'tile-val-acc', 'tile-val-loss', 'tile-final']) byId(id).textContent = '–';
  byId('tile-final-label').textContent = 'Test accuracy';
  byId('progress').style.width = '0';
  byId('run-facts').textContent = '';
  byId('prep-steps').replaceChildren();
  byId('prep-box').hidden = true;
  delete document.body.dataset.epoch;
  placeholder(byId('loss-chart'), 'Loss per epoch', 'Training and validation loss appear here after the first epoch.', 'down');
  placeholder(byId('accuracy-chart'), 'Accuracy per epoch', 'Training and validation accuracy appear here after the first epoch.', 'up');
  placeholder(byId('confusion-chart'), 'Confusion matrix', 'Which classes the model mixes up: on the validation set while training, on the test set at the end.', 'matrix');
  byId('report').replaceChildren();
  byId('layers-table').replaceChildren();
  byId('layer-findings').replaceChildren();
  byId('layers-chart').replaceChildren();
  byId('weights-box').hidden = true;
  byId('report-caption').textContent = 'Precision, recall and F1 per class appear after the first epoch.';
  byId('grid-title').textContent = 'Predictions';
  byId('grid-score').textContent = '';
  byId('prediction-grid').replaceChildren(h('p', { class: 'muted grid-note' }, 'Predicted vs actual labels of test images appear after the first epoch, updated as the model learns.'));
}

/** Fastest redraw of the live panels: short epochs must not keep the page busy drawing. */
const LIVE_INTERVAL_MS = 400;
let liveTimer = 0;
let lastLive = 0;

/** Redraw the live panels soon, at most once per LIVE_INTERVAL_MS, always ending on the latest state. */
function scheduleLive(run: Run): void {
  if (liveTimer) return;
  const wait = Math.max(0, lastLive + LIVE_INTERVAL_MS - performance.now());
  liveTimer = window.setTimeout(() => {
    liveTimer = 0;
    lastLive = performance.now();
    if (current === run) renderLive(run);
  }, wait);
}

function renderLive(run: Run): void {
  window.clearTimeout(liveTimer);
  liveTimer = 0;
  const lossEl = byId('loss-chart');
  const accEl = byId('accuracy-chart');
  void renderChart(lossEl, lossChart(run.history, { title: 'Loss per epoch', subtitle: `training vs validation · ${run.label}`, width: plotWidth(lossEl), height: 230 }));
  void renderChart(accEl, accuracyChart(run.history, { title: 'Accuracy per epoch', subtitle: `training vs validation · ${run.label}`, width: plotWidth(accEl), height: 230 }));
  renderCompare();
  if (run.scores) {
    const el = byId('confusion-chart');
    const k = run.scores.confusion.length;
    const cell = Math.max(14, Math.min(46, Math.floor((el.clientWidth - 170) / k)));
    void renderChart(el, confusionChart(run.scores.confusion, run.data.classNames, { subtitle: `${run.scoresCaption}; rows actual, columns predicted`, cellSize: cell }));
    renderReport(run.scores.report, run.scoresCaption);
  }
  renderGrid(run);
  renderLayers(run);
}

function renderCompare(): void {
  const el = byId('compare-chart');
  const curves: RunCurve[] = finished.map((r) => ({ label: r.label, color: r.color, history: r.history }));
  if (current && !current.done && current.history.length > 0) curves.push({ label: `${current.label} (running)`, color: current.color, history: current.history, live: true });
  if (curves.length === 0) {
    placeholder(el, 'Compare runs', 'Every finished run stays here on the same axes, labelled by what changed from the run before. Change one setting, train again, and see the curves move.', 'runs');
    return;
  }
  void renderChart(el, compareChart(curves, compareMetric, plotWidth(el, 90), 240));
}

function renderRunsTable(): void {
  const body = byId('runs-body');
  body.replaceChildren();
  const anyTest = finished.some((r) => r.done?.final.set === 'test');
  byId('runs-final-head').textContent = anyTest ? 'Test acc.' : 'Final acc.';
  for (const run of finished) {
    const best = Math.max(...run.history.map((x) => (Number.isFinite(x.valAccuracy) ? x.valAccuracy : -Infinity)));
    const final = run.done!.final;
    const remove = h('button', { type: 'button', class: 'icon-button', title: 'Remove this run', 'aria-label': `Remove run ${run.number}` }, '×');
    remove.addEventListener('click', () => {
      finished.splice(finished.indexOf(run), 1);
      renderRunsTable();
      renderCompare();
      updateButtons();
    });
    const save = h('button', { type: 'button', class: 'link', title: 'Download this run\'s model' }, 'model');
    save.addEventListener('click', () => exportRun(run));
    const saveOnnx = h('button', { type: 'button', class: 'link', title: 'Download this run\'s model as ONNX (pre-processing inside)' }, 'onnx');
    saveOnnx.addEventListener('click', () => void exportRunOnnx(run));
    body.append(
      h('tr', {},
        h('td', {}, h('span', { class: 'swatch', style: `background:${run.color}` })),
        h('td', {}, h('div', { class: 'run-label', title: run.detail }, run.label), h('div', { class: 'run-detail' }, summarize(run.settings))),
        h('td', { class: 'num' }, Number.isFinite(best) ? formatPercent(best, 1) : '–'),
        h('td', { class: 'num' }, `${formatPercent(final.accuracy, 1)}${final.set === 'test' ? '' : ' (val.)'}`),
        h('td', { class: 'num' }, `${run.history.length}${run.done!.stoppedEarly ? ' (early stop)' : run.done!.aborted ? ' (stopped)' : ''}`),
        h('td', { class: 'num' }, seconds(run.done!.seconds)),
        h('td', { class: 'actions' }, save, ' ', saveOnnx, remove),
      ),
    );
  }
  byId('runs-table').hidden = finished.length === 0;
  byId('clear-runs').hidden = finished.length === 0;
}

function renderReport(report: ClassificationReport, caption: string): void {
  byId('report-caption').textContent = `On the ${caption}.`;
  const row = (name: string, p: number, r: number, f: number, support: number, cls = '') =>
    h('tr', { class: cls },
      h('td', {}, name),
      h('td', { class: 'num' }, fixed(p, 2)),
      h('td', { class: 'num' }, fixed(r, 2)),
      h('td', { class: 'num bar-cell' }, h('div', { class: 'bar', style: `width:${Math.max(0, Math.min(1, f)) * 100}%` }), h('span', {}, fixed(f, 2))),
      h('td', { class: 'num' }, count(support)),
    );
  const total = report.macro.support;
  const table = h('table', { class: 'report' },
    h('thead', {}, h('tr', {}, h('th', {}, 'class'), h('th', { class: 'num' }, 'precision'), h('th', { class: 'num' }, 'recall'), h('th', { class: 'num' }, 'F1'), h('th', { class: 'num' }, 'support'))),
    h('tbody', {},
      ...report.classes.map((c) => row(c.label, c.precision, c.recall, c.f1, c.support)),
      h('tr', { class: 'sep' }, h('td', {}, 'accuracy'), h('td', {}), h('td', {}), h('td', { class: 'num' }, fixed(report.accuracy, 2)), h('td', { class: 'num' }, count(total))),
      row('macro avg', report.macro.precision, report.macro.recall, report.macro.f1, total),
      row('weighted avg', report.weighted.precision, report.weighted.recall, report.weighted.f1, total),
    ),
  );
  byId('report').replaceChildren(table);
}

function renderGrid(run: Run): void {
  const p = run.prepared;
  if (!p || run.grid.length === 0) return;
  const names = run.data.classNames;
  const onTest = p.gridSet === 'test';
  const source = onTest ? run.data.test! : run.data.train;
  const epoch = run.done ? 'final model' : `epoch ${run.history.length}`;
  byId('grid-title').textContent = `${onTest ? 'Test' : 'Validation'} ${run.data.image ? 'images' : 'rows'}: predicted vs actual (${epoch})`;
  let right = 0;
  const container = byId('prediction-grid');
  const drawable = run.data.image !== null && p.gridRows.length === run.grid.length;
  const cards = run.grid.map((pred, i) => {
    const actual = p.gridLabels[i];
    const ok = pred === actual;
    if (ok) right++;
    return h('figure', { class: `prediction ${ok ? 'right' : 'wrong'}`, style: 'margin:0' },
      drawable ? rowCanvas(source.features, p.gridRows[i], run.data.image!, 2) : h('div', { class: 'row-index' }, `row ${p.gridRows[i] ?? i}`),
      h('div', { class: 'pred' }, `${ok ? '✓' : '✗'} ${names[pred]}`),
      h('div', { class: 'actual' }, ok ? 'correct' : `actual: ${names[actual]}`));
  });
  container.replaceChildren(...cards);
  byId('grid-score').textContent = `${right} of ${run.grid.length} right`;
}

// ---- wiring ------------------------------------------------------------------------------------------

function init(): void {
  buildControls(settingsChanged);
  applyPreset('default');
  buildFileSlots();
  clearLivePanels();
  renderCompare();
  updateButtons();
  // The worker starts its engine (and threads) now, so the badge says what training will run on.
  ensureWorker();

  byId('tab-builtin').addEventListener('click', () => selectTab('builtin'));
  byId('tab-files').addEventListener('click', () => selectTab('files'));
  byId('preset-default').addEventListener('click', () => {
    applyPreset('default');
    validateSettings();
  });
  byId('preset-final').addEventListener('click', () => {
    applyPreset('final');
    validateSettings();
  });
  byId('pca').addEventListener('change', () => {
    byId('pca-custom-row').hidden = byId<HTMLSelectElement>('pca').value !== 'custom';
  });
  const settingsPanel = document.querySelector('.settings')!;
  settingsPanel.addEventListener('input', (e) => {
    if ((e.target as HTMLElement).closest('#pane-files')) return;
    (e.target as HTMLElement).classList.remove('invalid');
    settingsChanged();
  });
  settingsPanel.addEventListener('change', (e) => {
    if ((e.target as HTMLElement).closest('#pane-files')) return;
    settingsChanged();
  });

  byId('train').addEventListener('click', () => void startRun());
  byId('pause').addEventListener('click', pauseOrResume);
  byId('stop').addEventListener('click', stopRun);
  byId('reset').addEventListener('click', resetRun);
  byId('export').addEventListener('click', () => {
    const last = finished[finished.length - 1];
    if (last) exportRun(last);
  });
  byId('export-onnx').addEventListener('click', () => {
    const last = finished[finished.length - 1];
    if (last) void exportRunOnnx(last);
  });
  byId('clear-runs').addEventListener('click', () => {
    finished.length = 0;
    renderRunsTable();
    renderCompare();
    updateButtons();
  });
  for (const [id, metric] of [['compare-acc', 'valAccuracy'], ['compare-loss', 'valLoss']] as const) {
    byId(id).addEventListener('click', () => {
      compareMetric = metric;
      byId('compare-acc').setAttribute('aria-pressed', String(metric === 'valAccuracy'));
      byId('compare-loss').setAttribute('aria-pressed', String(metric === 'valLoss'));
      renderCompare();
    });
  }
  let resizeTimer = 0;
  window.addEventListener('resize', () => {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => {
      if (current && current.history.length) renderLive(current);
      else renderCompare();
    }, 200);
  });
  void loadBuiltin();
}

init();
