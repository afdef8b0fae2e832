/**
 * Picking the data: the built-in Fashion-MNIST subset, the built-in regression data
 * (generated), or files of one's own (one slot per part, each read and described as it is
 * picked, their label column and task chosen), and samples of what was picked.
 */
import { DataError } from '../../src/index.js';
import { parseCsv } from '../../src/data/index.js';
import { assembleUserData, headRows, loadFashionSubset, parseUserFile, type LoadedData, type Slot, type TaskAsked } from './data.js';
import { hideColumnTable, showColumnTable } from './columns.js';
import { setModelMode, settingsChanged, showError } from './controls.js';
import { byId, clearMessage, count, h, shown } from './dom.js';
import { rowCanvas } from './images.js';
import { clearLivePanels } from './live.js';
import { previewChart, targetHistogram } from './regress/charts.js';
import { r2Text, value } from './regress/panels.js';
import { FEATURES, FILES, TARGET, TEST_ROWS, loadSynthetic, syntheticFiles } from './regress/synthetic.js';
import { download } from './results.js';
import { plotWidth, renderChart } from './charts.js';
import type { DataInfo } from './runs.js';
import type { PageState } from './state.js';

/** The read flags the page sets: a picked table's label column, and the task when it is given. */
const readOptions = (state: PageState) => ({
  ...(state.labelColumn === null ? {} : { labelColumn: state.labelColumn }),
  ...(state.task === 'auto' ? {} : { task: state.task }),
});

export async function activeData(state: PageState): Promise<LoadedData> {
  if (state.dataMode === 'files') return assembleUserData(state.slots, readOptions(state));
  if (state.dataMode === 'regression') return (await generated(state)).data;
  if (!state.builtin) {
    throw new DataError('fashion-mnist', state.builtinError ? `the built-in data could not be loaded: ${state.builtinError.message}` : 'the built-in data is still loading; try again in a moment');
  }
  const rows = Number(byId<HTMLSelectElement>('train-rows').value);
  return { ...state.builtin, source: `fashion-mnist (built-in subset, ${count(Math.min(rows, state.builtin.train.rows))} training rows)`, train: headRows(state.builtin.train, rows) };
}

export function dataInfo(state: PageState, d: LoadedData): DataInfo {
  return { name: state.dataMode === 'builtin' ? 'Fashion-MNIST' : state.dataMode === 'regression' ? d.source.replace(/ \(.*$/, '') : d.source, rows: d.train.rows };
}

/** The task of the data picked now, as far as the page knows it before a run. */
export function pickedTask(state: PageState): 'classify' | 'regress' {
  if (state.dataMode === 'regression') return 'regress';
  return state.dataMode === 'files' ? state.filesTask ?? 'classify' : 'classify';
}

/** With no run on show, the empty panels follow the data picked (accuracy and classes, or R² and predicted values). */
function dataTaskChanged(state: PageState): void {
  if (!state.current && state.phase === 'idle' && document.body.dataset.task !== pickedTask(state)) clearLivePanels(pickedTask(state));
}

// ---- the built-in regression data --------------------------------------------------------------

/** The generated data for the rows and noise picked (made again only when they change). */
async function generated(state: PageState): Promise<NonNullable<PageState['generated']>> {
  const rows = Number(byId<HTMLSelectElement>('regression-rows').value);
  const noise = Number(byId<HTMLSelectElement>('regression-noise').value);
  const g = state.generated;
  if (g && g.synthetic.rows === rows && g.synthetic.noise === noise) return g;
  const synthetic = syntheticFiles(rows, noise);
  state.generated = { synthetic, data: await loadSynthetic(synthetic) };
  return state.generated;
}

/** Generate the regression data for the rows and noise picked, and show what it is: its numbers, the best score possible, its rows. */
export async function showGenerated(state: PageState): Promise<void> {
  const { synthetic: s, data } = await generated(state);
  const t = data.train.targets!;
  let lo = Infinity, hi = -Infinity;
  for (const v of t) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  byId('regression-facts').replaceChildren(
    `${count(s.rows)} training and ${count(TEST_ROWS)} test rows; ${TARGET} from ${value(lo)} to ${value(hi)}. `,
    h('strong', {}, `Best possible on the test rows: R² ${r2Text(s.ceiling.r2)}, RMSE ${value(s.ceiling.rmse)}`),
    s.noise === 0 ? ' (no noise: a model could be perfect).' : ', the scores of the function itself, which misses only by the noise.',
  );
  const el = byId('regression-preview');
  await renderChart(el, previewChart(s.preview.x, s.preview.y, FEATURES, TARGET, Math.max(60, Math.floor((plotWidth(el, 0, 200) - 70) / 3))));
  if (state.dataMode === 'regression') showColumnTable(data, () => settingsChanged(state));
}

/** The controls of the regression pane: rows and noise generate the data again; the CSV buttons download it. */
export function wireGenerated(state: PageState): void {
  for (const id of ['regression-rows', 'regression-noise']) byId(id).addEventListener('change', () => void showGenerated(state));
  byId('regression-train-csv').addEventListener('click', () => void generated(state).then((g) => download(FILES.train, g.synthetic.trainCsv, 'text/csv')));
  byId('regression-test-csv').addEventListener('click', () => void generated(state).then((g) => download(FILES.test, g.synthetic.testCsv, 'text/csv')));
}

/** One sample per class (first occurrence), drawn as images or listed as class counts; a number to predict as its range and histogram. */
function renderSamples(target: HTMLElement, d: LoadedData): void {
  target.replaceChildren();
  if (d.task === 'regress') {
    const t = d.train.targets!;
    const name = d.classNames[0] ?? 'target';
    let lo = Infinity, hi = -Infinity, sum = 0, n = 0;
    for (const v of t) if (Number.isFinite(v)) [lo, hi, sum, n] = [Math.min(lo, v), Math.max(hi, v), sum + v, n + 1];
    const chart = h('div', { class: 'chart target-histogram' });
    target.classList.add('as-list');
    target.append(h('p', { class: 'small' }, h('bdi', {}, name), `: from ${value(lo)} to ${value(hi)}, mean ${value(sum / n)}, over ${count(n)} training rows`), chart);
    void renderChart(chart, targetHistogram(t, name, Math.max(180, plotWidth(target, 70, 180))));
    return;
  }
  target.classList.toggle('as-list', !d.image);
  if (d.image) {
    const seen = new Set<number>();
    for (let r = 0; r < d.train.rows && seen.size < Math.min(10, d.classNames.length); r++) {
      const c = d.train.labels[r];
      if (seen.has(c)) continue;
      seen.add(c);
      target.append(h('figure', { class: 'sample', style: 'margin:0', title: d.classNames[c] }, rowCanvas(d.train.features, r, d.image, 2), h('bdi', {}, d.classNames[c])));
    }
    return;
  }
  const counts = new Array<number>(d.classNames.length).fill(0);
  for (let i = 0; i < d.train.labels.length; i++) counts[d.train.labels[i]]++;
  target.append(h('ul', { class: 'class-counts' }, ...counts.slice(0, 40).map((n, c) => h('li', {}, h('bdi', {}, d.classNames[c]), `: ${count(n)}`))));
}

export async function loadBuiltin(state: PageState): Promise<void> {
  try {
    state.builtin = await loadFashionSubset();
    renderSamples(byId('samples'), state.builtin);
  } catch (e) {
    state.builtinError = e as Error;
    byId('samples').replaceChildren(h('p', { class: 'file-status error' }, `The built-in data could not be loaded: ${(e as Error).message}`));
  }
}

const SLOTS: { slot: Slot; label: string; hint: string }[] = [
  { slot: 'trainData', label: 'Training data', hint: '.npy features, a .npz archive, or a .csv table with a label column' },
  { slot: 'trainLabels', label: 'Training labels', hint: '.npy or one-column .csv of class indices (not needed for a CSV with labels)' },
  { slot: 'testData', label: 'Test data (optional)', hint: 'the same features as the training data' },
  { slot: 'testLabels', label: 'Test labels (optional)', hint: '' },
];

export function buildFileSlots(state: PageState): void {
  const container = byId('file-slots');
  for (const { slot, label, hint } of SLOTS) {
    const input = h('input', { type: 'file', id: `file-${slot}`, accept: '.npy,.npz,.csv,.tsv,.txt' });
    const status = h('div', { class: 'file-status', id: `status-${slot}` });
    input.addEventListener('change', () => void pickFile(state, slot, input, status));
    container.append(
      h('div', { class: 'file-slot' }, h('label', { for: `file-${slot}` }, label), hint ? h('div', { class: 'slot-hint' }, hint) : null, input, status),
    );
  }
}

async function pickFile(state: PageState, slot: Slot, input: HTMLInputElement, status: HTMLElement): Promise<void> {
  const file = input.files?.[0];
  delete state.slots[slot];
  if (!file) {
    status.textContent = '';
    status.className = 'file-status';
    clearMessage(`file-${slot}`);
    await updateFilesSummary(state);
    return;
  }
  status.textContent = shown(`Reading ${file.name}…`);
  status.className = 'file-status';
  // Another training table: its label column is found afresh.
  if (slot === 'trainData') state.labelColumn = null;
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const parsed = await parseUserFile(file.name, bytes, slot === 'trainData' || slot === 'testData' ? readOptions(state) : {});
    state.slots[slot] = parsed;
    status.textContent = shown(`✓ ${parsed.summary}`);
    status.className = 'file-status ok';
    // An archive in the training slot is the whole data set: say which parts it fills.
    if (slot === 'trainData' && parsed.parts) {
      const filled: [Slot, string | undefined][] = [['trainLabels', parsed.parts.trainLabel], ['testData', parsed.parts.testData], ['testLabels', parsed.parts.testLabel]];
      for (const [other, key] of filled) {
        if (!key) continue;
        const s = byId(`status-${other}`);
        s.textContent = shown(`✓ from ${file.name}: ${key}`);
        s.className = 'file-status ok';
      }
    }
    clearMessage(`file-${slot}`);
  } catch (e) {
    fileFailed(slot, status, e);
  }
  await updateFilesSummary(state);
}

/** A file that could not be read: the reason under it and in the page's messages. */
function fileFailed(slot: Slot, status: HTMLElement, e: unknown): void {
  status.textContent = shown(e instanceof Error ? e.message : String(e));
  status.className = 'file-status error';
  showError(`file-${slot}`, e);
}

/** The model chosen for the data is the default for a table, until the person picks a mode. */
function defaultMode(state: PageState, table: boolean): void {
  if (!state.modeChosen) setModelMode(table ? 'auto' : 'manual');
}

/** Another label column for the picked table (null: the library's default): the training file is read again with it. */
async function pickLabel(state: PageState, name: string | null): Promise<void> {
  state.labelColumn = name;
  for (const slot of ['trainData', 'testData'] as const) {
    const f = state.slots[slot];
    if (!f || f.parts) continue;
    const status = byId(`status-${slot}`);
    try {
      const parsed = await parseUserFile(f.name, f.bytes, readOptions(state));
      state.slots[slot] = parsed;
      status.textContent = shown(`✓ ${parsed.summary}`);
      status.className = 'file-status ok';
      clearMessage(`file-${slot}`);
    } catch (e) {
      fileFailed(slot, status, e);
    }
  }
  await updateFilesSummary(state);
}

/** The label column of a training CSV with a header, offered from its header (also when the default one is refused). */
function showLabelChoice(state: PageState, d: LoadedData | null): void {
  const row = byId('label-row');
  const f = state.slots.trainData;
  let header: string[] | null = null;
  if (f && !state.slots.trainLabels && /\.(csv|tsv|txt)$/i.test(f.name)) {
    try {
      header = parseCsv(f.bytes, f.name, { columnsOnly: true }).header;
    } catch {
      header = null;
    }
  }
  row.hidden = header === null || state.dataMode !== 'files';
  byId('task-row').hidden = !f || state.dataMode !== 'files';
  if (!header) return;
  const found = d?.train.table?.label;
  const select = byId<HTMLSelectElement>('label-column');
  select.replaceChildren(
    h('option', { value: '' }, found && state.labelColumn === null ? `${found} (found by default)` : 'default (label, class, target or y, else the last)'),
    ...header.map((n) => h('option', { value: n }, n)),
  );
  select.value = state.labelColumn ?? '';
  select.onchange = () => void pickLabel(state, select.value || null);
}

/** Say what the picked files make: rows, features, classes, and a table's columns. */
export async function updateFilesSummary(state: PageState): Promise<void> {
  const target = byId('files-summary');
  target.replaceChildren();
  if (!state.slots.trainData) {
    hideColumnTable();
    showLabelChoice(state, null);
    state.filesTask = null;
    dataTaskChanged(state);
    return;
  }
  try {
    const d = await assembleUserData(state.slots, readOptions(state));
    showLabelChoice(state, d);
    state.filesTask = d.task;
    byId('task-note').textContent = shown(d.taskNote ?? (d.task === 'regress' ? 'Regression' : 'Classification: the labels are classes'));
    byId('task-note').className = `task-note ${d.task}`;
    const t = d.train.table;
    const what = t ? `${count(t.names.length)} columns` : `${count(d.train.cols)} features`;
    const noTest = t ? ' (no test set: the final scores use the validation part, or the training rows when the data is too small for one)' : ' (no test set: the final scores use the validation part)';
    const label = t?.label ? ` from "${t.label}"` : '';
    const predicts = d.task === 'regress' ? `a number to predict${label} (regression)` : `${d.classNames.length} classes${label}`;
    target.append(
      h('p', { class: 'file-status ok' }, `Ready: ${count(d.train.rows)} training rows${d.test ? `, ${count(d.test.rows)} test rows` : noTest}, ${what}, ${predicts}.`),
    );
    const samples = h('div', { class: 'samples' });
    target.append(samples);
    renderSamples(samples, d);
    if (state.dataMode === 'files') {
      defaultMode(state, t !== undefined);
      if (t) showColumnTable(d, () => settingsChanged(state));
      else hideColumnTable();
    }
  } catch (e) {
    hideColumnTable();
    showLabelChoice(state, null);
    byId('task-note').textContent = '';
    target.append(h('p', { class: 'file-status error' }, e instanceof Error ? e.message : String(e)));
  }
  dataTaskChanged(state);
}

export function selectTab(state: PageState, mode: PageState['dataMode']): void {
  state.dataMode = mode;
  for (const m of ['builtin', 'regression', 'files'] as const) {
    byId(`tab-${m}`).setAttribute('aria-selected', String(mode === m));
    byId(`pane-${m}`).hidden = mode !== m;
  }
  if (mode === 'builtin') {
    hideColumnTable();
    defaultMode(state, false);
    dataTaskChanged(state);
  } else if (mode === 'regression') {
    // A table with a number to predict: the model chosen for the data, as for any table.
    defaultMode(state, true);
    dataTaskChanged(state);
    void showGenerated(state);
  } else void updateFilesSummary(state);
}

/** The task control of one's own files: decided from the label column, or given (the files are read again with it). */
export function wireTask(state: PageState): void {
  const select = byId<HTMLSelectElement>('task');
  select.addEventListener('change', () => {
    state.task = select.value as TaskAsked;
    void updateFilesSummary(state);
  });
}
