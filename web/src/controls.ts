/**
 * The settings panel: one control per component of the study's model and training, each with
 * a sentence on what it does to learning. The panel reads itself into a RunSpec (validated by
 * the library's resolveRun) and writes presets into itself. Settings refused, and any other
 * error, become a message that names the control at fault.
 */
import { ConfigError, DataError, MlplabError, PRESETS, resolveRun, type ResolvedRun, type RunInput, type RunSpec } from '../../src/index.js';
import { formatCount } from '../../src/report/index.js';
import { ACTIVATIONS, type Activation } from '../../src/tensor/index.js';
import { columnOptions } from './columns.js';
import { byId, clearMessage, h, shortNumber, showMessage } from './dom.js';
import type { PageState } from './state.js';

/** The page's own limits, lower than the engine's so the page stays responsive. */
export const PAGE_LIMITS = { width: 2048, layers: 8, epochs: 1000, batchSize: 4096 };

/** Epochs a preset run gets here (the study ran 400; early stopping would cut that short). */
export const PAGE_EPOCHS = 30;

const ACTIVATION_NAMES: Record<Activation, string> = {
  identity: 'identity',
  relu: 'ReLU',
  gelu: 'GELU',
  gelu_tanh: 'GELU (tanh approx.)',
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  leaky_relu: 'leaky ReLU',
} as Record<Activation, string>;

const LAYER_ACTIVATIONS = ACTIVATIONS.filter((a) => a !== 'identity') as Activation[];

interface NumberSpec {
  id: string;
  label: string;
  explain: string;
  min: number;
  max: number;
  step: number | 'any';
  /** Slider on a log10 scale (learning rate, weight decay). */
  log?: boolean;
  /** Slider bounds when they differ from what the box accepts. */
  sliderMin?: number;
  sliderMax?: number;
  sliderStep?: number;
  slider?: boolean;
}

function explain(text: string): HTMLElement {
  return h('p', { class: 'explain' }, text);
}

/** A number box with an optional slider kept in step with it. */
function numberControl(s: NumberSpec): HTMLElement {
  const input = h('input', { type: 'number', id: s.id, min: s.min, max: s.max, step: s.step, inputmode: 'decimal', 'data-field': s.id });
  const head = h('div', { class: 'control-head' }, h('label', { for: s.id }, s.label), input);
  const wrap = h('div', { class: 'control' }, head);
  if (s.slider !== false) {
    const lo = s.sliderMin ?? s.min, hi = s.sliderMax ?? s.max;
    const range = h('input', {
      type: 'range',
      'aria-label': `${s.label} slider`,
      min: s.log ? Math.log10(lo) : lo,
      max: s.log ? Math.log10(hi) : hi,
      step: s.sliderStep ?? (s.log ? 0.25 : s.step),
      tabindex: -1,
    });
    const fromBox = () => {
      const v = Number(input.value);
      if (input.value !== '' && Number.isFinite(v) && (!s.log || v > 0)) range.value = String(s.log ? Math.log10(v) : v);
    };
    range.addEventListener('input', () => {
      const v = s.log ? 10 ** Number(range.value) : Number(range.value);
      input.value = shortNumber(Number(v.toPrecision(3)));
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    input.addEventListener('input', fromBox);
    input.addEventListener('change', fromBox);
    wrap.append(range);
  }
  wrap.append(explain(s.explain));
  return wrap;
}

function selectControl(id: string, label: string, options: [string, string][], text: string): HTMLElement {
  const select = h('select', { id, 'data-field': id }, ...options.map(([v, l]) => h('option', { value: v }, l)));
  return h('div', { class: 'control' }, h('div', { class: 'control-head' }, h('label', { for: id }, label), select), explain(text));
}

function toggleControl(id: string, label: string, text: string): HTMLElement {
  const box = h('input', { type: 'checkbox', id, role: 'switch', 'data-field': id });
  return h('div', { class: 'control' }, h('div', { class: 'control-head' }, h('label', { for: id }, label), h('span', { class: 'switch' }, box)), explain(text));
}

const setValue = (id: string, v: string | number | boolean) => {
  const el = byId<HTMLInputElement | HTMLSelectElement>(id);
  if (el instanceof HTMLInputElement && el.type === 'checkbox') el.checked = Boolean(v);
  else el.value = typeof v === 'number' ? shortNumber(v) : String(v);
  el.dispatchEvent(new Event('change', { bubbles: true }));
};

/** A typed number, or the raw text when it is not one (so validation reports what was typed). */
function readNumber(id: string): number | string {
  const raw = byId<HTMLInputElement>(id).value.trim();
  const v = Number(raw);
  return raw !== '' && Number.isFinite(v) ? v : raw;
}

// ---- hidden layers ---------------------------------------------------------------------------

interface LayerRow {
  width: number | string;
  activation: Activation;
}

let layerList: HTMLElement;
let onChange: () => void = () => {};

function layerRow(i: number, row: LayerRow): HTMLElement {
  const width = h('input', {
    type: 'number', id: `layer-${i}-width`, min: 1, max: PAGE_LIMITS.width, step: 1, value: String(row.width),
    'aria-label': `Layer ${i + 1} width`, 'data-field': `layer-${i}-width`,
  });
  const act = h('select', { id: `layer-${i}-activation`, 'aria-label': `Layer ${i + 1} activation` },
    ...LAYER_ACTIVATIONS.map((a) => h('option', { value: a, selected: a === row.activation }, ACTIVATION_NAMES[a] ?? a)));
  const remove = h('button', { type: 'button', class: 'icon-button', title: `Remove layer ${i + 1}`, 'aria-label': `Remove layer ${i + 1}` }, '×');
  remove.addEventListener('click', () => {
    const rows = readLayers();
    rows.splice(i, 1);
    setLayers(rows);
    onChange();
  });
  return h('div', { class: 'layer-row' }, h('span', { class: 'layer-index' }, `${i + 1}`), width, h('span', { class: 'unit' }, 'units'), act, remove);
}

function readLayers(): LayerRow[] {
  const rows: LayerRow[] = [];
  for (let i = 0; ; i++) {
    const w = document.getElementById(`layer-${i}-width`) as HTMLInputElement | null;
    if (!w) break;
    const raw = w.value.trim();
    rows.push({ width: raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw, activation: byId<HTMLSelectElement>(`layer-${i}-activation`).value as Activation });
  }
  return rows;
}

function setLayers(rows: LayerRow[]): void {
  layerList.replaceChildren(...rows.map((r, i) => layerRow(i, r)));
  if (rows.length === 0) layerList.append(h('p', { class: 'empty-note' }, 'No hidden layers: a linear classifier (multinomial logistic regression).'));
  const add = byId<HTMLButtonElement>('add-layer');
  add.disabled = rows.length >= PAGE_LIMITS.layers;
  byId('layer-count').textContent = `${rows.length} hidden layer${rows.length === 1 ? '' : 's'}`;
}

// ---- the panel ---------------------------------------------------------------------------------

/** Build the model and training controls into their cards. `changed` runs after any edit. */
export function buildControls(changed: () => void): void {
  onChange = changed;
  layerList = h('div', { class: 'layer-list', id: 'layer-list' });
  const add = h('button', { type: 'button', id: 'add-layer', class: 'secondary small' }, '+ Add layer');
  add.addEventListener('click', () => {
    const rows = readLayers();
    const last = rows[rows.length - 1];
    rows.push({ width: last ? last.width : 64, activation: last ? last.activation : 'relu' });
    setLayers(rows);
    changed();
  });

  const mode = selectControl('model-mode', 'Model', [['manual', 'Set by hand'], ['auto', 'Chosen for the data']],
    'Chosen for the data: no network is given, and mlplab picks the layers, optimiser, batch size, epochs, early stopping and a seed ensemble from the rows, features and classes when the run starts (the command line does the same without --preset). Set by hand: the controls below.');
  const autoBox = h('div', { class: 'control', id: 'auto-model', hidden: true },
    h('p', { class: 'explain', id: 'auto-model-note' }, 'The model is chosen when the run starts; what was chosen, and why, shows here.'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'choices', id: 'choices-table', hidden: true })));
  byId('model-controls').append(mode, autoBox);
  byId('model-controls').append(
    h('div', { class: 'control manual-model' },
      h('div', { class: 'control-head' }, h('span', { class: 'label' }, 'Hidden layers'), h('span', { class: 'muted', id: 'layer-count' })),
      layerList,
      add,
      explain(`Each layer is Linear → batch norm → activation → dropout. More layers and wider ones can draw finer boundaries between classes, but cost time and overfit sooner. The study found a third layer about twice as slow for under 1% gain. Up to ${PAGE_LIMITS.layers} layers of ${formatCount(PAGE_LIMITS.width)} units here (the engine allows 64 of 65,536).`),
      explain('Activation: ReLU passes positive values and zeroes the rest, fast and sparse. GELU is a smooth ReLU that weighs each input by how likely it is to be positive. tanh and sigmoid saturate, so gradients fade in deep stacks; leaky ReLU keeps a small slope for negative inputs so no unit goes silent.'),
    ),
    toggleControl('batch-norm', 'Batch normalisation', 'Re-centres and rescales each layer\'s inputs over the mini-batch, with a learned scale and shift. Training tolerates larger learning rates and depends less on the initial weights; at inference it uses running averages.'),
    numberControl({ id: 'dropout', label: 'Dropout', min: 0, max: 0.95, step: 0.05, explain: 'Silences a random share p of the units at every training step (and scales the rest up), so no unit can lean on another. Less overfitting, but noisier and slower learning; off at inference. The study\'s best single change was 0.5 → 0.2.' }),
  );

  byId('train-controls').append(
    h('p', { class: 'explain', id: 'auto-train-note', hidden: true }, 'Chosen for the data: the greyed settings are chosen when the run starts. Leave Epochs blank for the chosen number, or type one to cap the run; the seed is yours.'),
    selectControl('optimizer', 'Optimizer', [['sgd', 'SGD with momentum'], ['adam', 'Adam'], ['adamw', 'AdamW']], 'The study used SGD with momentum. Adam adapts the step size of every weight from running averages of its gradients, so it is less sensitive to the learning rate.'),
    numberControl({ id: 'learning-rate', label: 'Learning rate', min: 1e-7, max: 10, step: 'any', log: true, sliderMin: 1e-5, sliderMax: 1, explain: 'The step size of every update. Too small and learning crawls; too large and the loss jumps about or diverges. The study went from 0.001 down to 0.0001 for its final model.' }),
    numberControl({ id: 'momentum', label: 'Momentum', min: 0, max: 0.999, step: 0.01, sliderMax: 0.99, explain: 'Keeps a velocity of past gradients, V = ρV − lr·g, and moves the weights by it: steps in a steady direction add up and noisy ones cancel out. Used by SGD only.' }),
    numberControl({ id: 'weight-decay', label: 'Weight decay', min: 0, max: 1, step: 'any', log: true, sliderMin: 1e-6, sliderMax: 0.1, explain: 'Adds λ·W to every weight\'s gradient, pulling weights towards zero: a smoother model that generalises better; too much and it underfits. Set 0 to turn it off.' }),
    numberControl({ id: 'batch-size', label: 'Batch size', min: 1, max: PAGE_LIMITS.batchSize, step: 1, log: true, sliderMin: 8, sliderMax: 512, sliderStep: Math.log10(2), explain: 'Rows per update. Small batches give many noisy updates per epoch (the noise itself regularises); large batches give fewer, smoother updates and faster epochs.' }),
    numberControl({ id: 'epochs', label: 'Epochs', min: 1, max: PAGE_LIMITS.epochs, step: 1, sliderMax: 200, explain: `Passes over the training data. The study ran 400 and saw little change after 50–200; the page starts at ${PAGE_EPOCHS}.` }),
    toggleControl('early-stopping', 'Early stopping', 'Stops once the validation loss has not improved for a number of epochs and puts back the best epoch\'s weights: the fix for the study\'s wasted compute.'),
    numberControl({ id: 'patience', label: 'Patience (epochs)', min: 1, max: 500, step: 1, sliderMax: 50, explain: 'How many epochs without improvement early stopping waits.' }),
    numberControl({ id: 'seed', label: 'Seed', min: -2147483648, max: 2147483647, step: 1, slider: false, explain: 'Fixes the initial weights, the dropout masks, the batch order and the validation split: the same seed gives the same run. Change only the seed to see the run-to-run noise.' }),
  );
  setLayers([]);
  // The batch-norm and dropout controls belong to the hand-set model too.
  for (const id of ['batch-norm', 'dropout']) byId(id).closest('.control')!.classList.add('manual-model');
  byId('early-stopping').addEventListener('change', syncEnabled);
  byId('optimizer').addEventListener('change', syncEnabled);
  byId('model-mode').addEventListener('change', syncEnabled);
}

/** Whether the model is left to mlplab (no network in the run's settings). */
export const modelChosen = (): boolean => byId<HTMLSelectElement>('model-mode').value === 'auto';

/** Switch between the model chosen for the data and the one set by hand. */
export function setModelMode(mode: 'auto' | 'manual'): void {
  if (byId<HTMLSelectElement>('model-mode').value === mode) return;
  setValue('model-mode', mode);
}

/** Settings the model chosen for the data sets itself; a blank box means "as chosen". */
const CHOSEN = ['optimizer', 'learning-rate', 'momentum', 'weight-decay', 'batch-size', 'early-stopping', 'patience', 'val-fraction'];

/** Epochs and the validation share are blank while the model is chosen for the data; their values come back by hand. */
function blankWhileChosen(id: string, chosen: boolean): void {
  const input = byId<HTMLInputElement>(id);
  if (chosen && input.value !== '') {
    input.dataset.byHand = input.value;
    input.value = '';
  } else if (!chosen && input.value === '' && input.dataset.byHand) input.value = input.dataset.byHand;
  input.placeholder = chosen ? 'chosen' : '';
}

/** Grey out controls that do not apply (patience without early stopping, momentum with Adam, what is chosen for the data). */
export function syncEnabled(): void {
  const chosen = modelChosen();
  for (const el of document.querySelectorAll<HTMLElement>('.manual-model')) el.hidden = chosen;
  byId('auto-model').hidden = !chosen;
  byId('auto-train-note').hidden = !chosen;
  blankWhileChosen('epochs', chosen);
  blankWhileChosen('val-fraction', chosen);
  const es = byId<HTMLInputElement>('early-stopping').checked;
  const sgd = byId<HTMLSelectElement>('optimizer').value === 'sgd';
  const by = (id: string, on: boolean) => [id, on && !(chosen && CHOSEN.includes(id))] as const;
  for (const [id, on] of [by('patience', es), by('momentum', sgd), ...['optimizer', 'learning-rate', 'weight-decay', 'batch-size', 'early-stopping', 'val-fraction'].map((x) => by(x, true))]) {
    const input = byId<HTMLInputElement>(id);
    input.disabled = !on;
    input.closest('.control')?.classList.toggle('disabled', !on);
    const range = input.closest('.control')?.querySelector<HTMLInputElement>('input[type=range]');
    if (range) range.disabled = !on;
  }
}

/** Write a preset (or any RunSpec) into the panel. Training options it omits get the library's defaults. */
export function applySpec(spec: RunSpec, epochs = PAGE_EPOCHS): void {
  setModelMode('manual');
  const n = spec.network;
  const widths = n.widths;
  const acts = n.activations ?? 'relu';
  setLayers(widths.map((w, i) => ({ width: w, activation: Array.isArray(acts) ? acts[Math.min(i, acts.length - 1)] : acts })));
  const pick = <T>(v: T | T[] | undefined, fallback: T): T => (v === undefined ? fallback : Array.isArray(v) ? (v[0] ?? fallback) : v);
  setValue('batch-norm', pick(n.batchNorm, true));
  setValue('dropout', pick(n.dropout, 0));
  const t = spec.train ?? {};
  setValue('optimizer', t.optimizer ?? 'sgd');
  setValue('learning-rate', t.learningRate ?? 0.001);
  setValue('momentum', t.momentum ?? 0.9);
  setValue('weight-decay', t.weightDecay ?? 0.001);
  setValue('batch-size', t.batchSize ?? 32);
  setValue('epochs', t.epochs ?? epochs);
  const es = t.earlyStopping;
  setValue('early-stopping', es !== undefined && es !== false);
  setValue('patience', es && typeof es === 'object' ? (es.patience ?? 10) : 10);
  setValue('seed', t.seed ?? 0);
  syncEnabled();
}

export function applyPreset(name: keyof typeof PRESETS): void {
  applySpec(PRESETS[name]);
}

/** Pre-processing options live in the data card; a table's column types in its column table. */
export function readDataOptions(): RunSpec['data'] {
  const pca = byId<HTMLSelectElement>('pca').value;
  const pcaValue = pca === 'off' ? null : pca === 'custom' ? readNumber('pca-custom') : Number(pca);
  const nulls = byId<HTMLSelectElement>('nulls').value;
  return {
    scale: byId<HTMLSelectElement>('scale').value as 'none' | 'standard' | 'minmax',
    pca: pcaValue as number | null,
    // Blank while the model is chosen for the data: the choice sets it.
    ...(modelChosen() ? {} : { valFraction: readNumber('val-fraction') as number }),
    // Unset: tables fill their blanks, arrays drop the rows holding NaN.
    ...(nulls ? { nulls: nulls as 'impute' | 'drop' | 'refuse' } : {}),
    ...columnOptions(),
  };
}

/** The panel as a run's settings, values as typed (validation is resolveRun's job); no network when it is chosen for the data. */
export function readSpec(): RunInput {
  const layers = readLayers();
  const es = byId<HTMLInputElement>('early-stopping').checked;
  if (modelChosen()) {
    const epochs = readNumber('epochs');
    return { auto: true, train: { seed: readNumber('seed') as number, ...(epochs === '' ? {} : { epochs: epochs as number }) }, data: readDataOptions() };
  }
  return {
    network: {
      widths: layers.map((l) => l.width) as number[],
      activations: layers.map((l) => l.activation),
      batchNorm: byId<HTMLInputElement>('batch-norm').checked,
      dropout: readNumber('dropout') as number,
    },
    train: {
      optimizer: byId<HTMLSelectElement>('optimizer').value as 'sgd' | 'adam' | 'adamw',
      learningRate: readNumber('learning-rate') as number,
      momentum: readNumber('momentum') as number,
      weightDecay: readNumber('weight-decay') as number,
      batchSize: readNumber('batch-size') as number,
      epochs: readNumber('epochs') as number,
      earlyStopping: es ? { patience: readNumber('patience') as number, monitor: 'valLoss', restoreBest: true } : false,
      seed: readNumber('seed') as number,
    },
    data: readDataOptions(),
  };
}

/** The page's own limits on a valid run; throws ConfigError naming the field. */
export function checkPageLimits(run: ResolvedRun): void {
  run.network.widths.forEach((w, i) => {
    if (w > PAGE_LIMITS.width) {
      throw new ConfigError(`network.widths[${i}]`, w, `at most ${formatCount(PAGE_LIMITS.width)} units per layer in the playground, so training stays responsive (the engine itself allows up to 65,536)`);
    }
  });
  if (run.network.widths.length > PAGE_LIMITS.layers) throw new ConfigError('network.widths', run.network.widths, `at most ${PAGE_LIMITS.layers} hidden layers in the playground`);
  if (run.train.epochs > PAGE_LIMITS.epochs) throw new ConfigError('train.epochs', run.train.epochs, `at most ${PAGE_LIMITS.epochs} epochs in the playground`);
  if (run.train.batchSize > PAGE_LIMITS.batchSize) throw new ConfigError('train.batchSize', run.train.batchSize, `at most ${PAGE_LIMITS.batchSize} rows per batch in the playground`);
}

/** Names people read for the fields ConfigError reports, and the control holding each. */
export function fieldControl(field: string): { label: string; id: string | null } {
  const w = /^network\.widths\[(\d+)\]$/.exec(field);
  if (w) return { label: `Layer ${Number(w[1]) + 1} width`, id: `layer-${w[1]}-width` };
  const a = /^network\.activations\[(\d+)\]$/.exec(field);
  if (a) return { label: `Layer ${Number(a[1]) + 1} activation`, id: `layer-${a[1]}-activation` };
  const table: Record<string, [string, string | null]> = {
    'network.widths': ['Hidden layers', 'layer-list'],
    'network.dropout': ['Dropout', 'dropout'],
    'network.batchNorm': ['Batch normalisation', 'batch-norm'],
    'train.optimizer': ['Optimizer', 'optimizer'],
    'train.learningRate': ['Learning rate', 'learning-rate'],
    'train.momentum': ['Momentum', 'momentum'],
    'train.weightDecay': ['Weight decay', 'weight-decay'],
    'train.batchSize': ['Batch size', 'batch-size'],
    'train.epochs': ['Epochs', 'epochs'],
    'train.earlyStopping.patience': ['Patience', 'patience'],
    'train.seed': ['Seed', 'seed'],
    'data.pca': ['PCA components', 'pca'],
    pca: ['PCA components', 'pca'],
    valFraction: ['Validation share', 'val-fraction'],
    'data.valFraction': ['Validation share', 'val-fraction'],
    'data.scale': ['Scaling', 'scale'],
  };
  const hit = table[field];
  return hit ? { label: hit[0], id: hit[1] } : { label: field, id: null };
}

/** Turn any thrown value into a message; ConfigErrors also mark the control they name. */
export function showError(key: string, e: unknown): void {
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

/**
 * The run the settings describe (`input`, what the worker runs) and resolved (`run`; while the
 * model is chosen for the data, an empty network stands in until the run chooses it), or null
 * after showing why it is refused.
 */
export function validateSettings(): { input: RunInput; run: ResolvedRun } | null {
  document.querySelectorAll('.invalid').forEach((el) => el.classList.remove('invalid'));
  try {
    const input = readSpec();
    const run = resolveRun(input.network ? input : { ...input, network: { widths: [] } });
    checkPageLimits(run);
    clearMessage('settings');
    return { input, run };
  } catch (e) {
    showError('settings', e);
    return null;
  }
}

/** Validate the settings a moment after they last changed. */
export function settingsChanged(state: PageState): void {
  window.clearTimeout(state.validateTimer);
  state.validateTimer = window.setTimeout(validateSettings, 250);
}
