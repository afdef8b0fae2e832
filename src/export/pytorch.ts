/**
 * mlplab's network as a PyTorch `nn.Sequential` state_dict, both ways. Browser-safe.
 *
 * The module list follows mlplab's layers: per hidden layer nn.Linear, nn.BatchNorm1d when
 * batch norm is on, the activation (nn.Identity for 'identity'), nn.Dropout when the drop
 * probability is above 0; then the output nn.Linear. Keys are PyTorch's: `<index>.weight`,
 * `<index>.bias`, and for batch norm also `<index>.running_mean`, `<index>.running_var` and
 * `<index>.num_batches_tracked`. PyTorch keeps a linear weight as [out, in]; mlplab as
 * [in, out], so weights are transposed on the way in and out. Values are float32 in mlplab.
 */
import { ConfigError, ModelFormatError } from '../errors.js';
import { resolveModelOptions, type ResolvedModelOptions } from '../nn/config.js';
import { Sequential } from '../nn/model.js';
import { networkSchema, networkToModelOptions, resolveRun } from '../run/spec.js';
import type { Activation, Backend } from '../tensor/backend.js';
import { parseConfig } from '../validate.js';
import type { TensorToWrite, WeightTensor } from './safetensors.js';

/**
 * What a state_dict is: 'auto' reads it from the last Linear (one output row is a regression
 * network, more are a classifier's, one per class); 'classify' or 'regress' say it, and weights
 * of the other kind are refused.
 */
export type ImportTask = 'auto' | 'classify' | 'regress';

/** Per-network settings a run config does not hold (PyTorch's defaults unless given). */
export type LayerSettings = Partial<Pick<ResolvedModelOptions, 'leakySlope' | 'batchNormEps' | 'batchNormMomentum'>>;

/** One module of the nn.Sequential, at its index. */
export interface TorchModule {
  index: number;
  /** The Python expression that builds it, e.g. `nn.Linear(128, 64)`. */
  python: string;
}

/** One state_dict entry and the mlplab tensor it is. */
interface TorchKey {
  key: string;
  /** mlplab's tensor name (`hidden0.linear.weight`). */
  source: string;
  /** PyTorch's shape. */
  shape: number[];
  /** A linear weight: PyTorch's [out, in] is mlplab's [in, out] transposed. */
  transpose: boolean;
  module: TorchModule;
}

const PYTHON_ACTIVATION: Record<Activation, (slope: number) => string> = {
  identity: () => 'nn.Identity()',
  relu: () => 'nn.ReLU()',
  gelu: () => 'nn.GELU()',
  gelu_tanh: () => "nn.GELU(approximate='tanh')",
  tanh: () => 'nn.Tanh()',
  sigmoid: () => 'nn.Sigmoid()',
  leaky_relu: (slope) => `nn.LeakyReLU(${pythonNumber(slope)})`,
};

function pythonNumber(x: number): string {
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

/** The nn.Sequential modules and state_dict keys of a network, in PyTorch's order. */
export function pytorchLayout(o: ResolvedModelOptions): { modules: TorchModule[]; keys: TorchKey[]; counters: string[] } {
  const modules: TorchModule[] = [];
  const keys: TorchKey[] = [];
  const counters: string[] = [];
  const add = (python: string) => {
    const m = { index: modules.length, python };
    modules.push(m);
    return m;
  };
  const linear = (inputs: number, outputs: number, name: string) => {
    const m = add(`nn.Linear(${inputs}, ${outputs})`);
    keys.push({ key: `${m.index}.weight`, source: `${name}.weight`, shape: [outputs, inputs], transpose: true, module: m });
    keys.push({ key: `${m.index}.bias`, source: `${name}.bias`, shape: [outputs], transpose: false, module: m });
  };
  let width = o.inputs;
  o.hidden.forEach((h, i) => {
    linear(width, h.width, `hidden${i}.linear`);
    if (h.batchNorm) {
      const extra = [o.batchNormEps !== 1e-5 ? `eps=${o.batchNormEps}` : '', o.batchNormMomentum !== 0.1 ? `momentum=${o.batchNormMomentum}` : ''].filter(Boolean);
      const m = add(`nn.BatchNorm1d(${[String(h.width), ...extra].join(', ')})`);
      for (const [key, source] of [['weight', 'weight'], ['bias', 'bias'], ['running_mean', 'running_mean'], ['running_var', 'running_var']]) {
        keys.push({ key: `${m.index}.${key}`, source: `hidden${i}.batchnorm.${source}`, shape: [h.width], transpose: false, module: m });
      }
      counters.push(`${m.index}.num_batches_tracked`);
    }
    add(PYTHON_ACTIVATION[h.activation](o.leakySlope));
    if (h.dropout > 0) add(`nn.Dropout(${h.dropout})`);
    width = h.width;
  });
  linear(width, o.classes, 'output');
  return { modules, keys, counters };
}

/** Python lines that build the nn.Sequential whose state_dict `stateDict` writes. */
export function pytorchSource(o: ResolvedModelOptions): string {
  const { modules } = pytorchLayout(o);
  return ['import torch.nn as nn', '', 'model = nn.Sequential(', ...modules.map((m) => `    ${m.python},`), ')', ''].join('\n');
}

/**
 * The network's tensors as a PyTorch state_dict, in PyTorch's key order (num_batches_tracked
 * written as 0). The tensors as the network holds them: a regression network's output is the
 * standardised target unless it is folded first (fold.ts), as `exportSafetensors` does.
 */
export function stateDict(model: Sequential): TensorToWrite[] {
  const values = new Map<string, { rows: number; cols: number; data: Float32Array }>();
  for (const p of model.params) values.set(p.name, { rows: p.value.rows, cols: p.value.cols, data: p.value.data });
  for (const s of model.stateTensors()) values.set(s.name, { rows: s.value.rows, cols: s.value.cols, data: s.value.data });
  const { keys, counters } = pytorchLayout(model.options);
  const out: TensorToWrite[] = [];
  for (const k of keys) {
    const v = values.get(k.source)!;
    out.push({ name: k.key, shape: k.shape, data: k.transpose ? transpose(v.data, v.rows, v.cols) : Float32Array.from(v.data) });
    // PyTorch's BatchNorm1d keeps its step counter after the running variance.
    const counter = k.key.replace(/running_var$/, 'num_batches_tracked');
    if (counter !== k.key && counters.includes(counter)) out.push({ name: counter, shape: [], data: new BigInt64Array(1) });
  }
  return out;
}

/**
 * Build an mlplab network from a PyTorch state_dict laid out as `pytorchLayout` says.
 * `network` is the `network` object of a run config (widths, activations, batchNorm, dropout;
 * a whole run config is accepted too); the input and class counts come from the first and last
 * linear weights. A last Linear of one output row is a regression network (unless `task` is
 * 'classify'): the model is task 'regress' with target {mean 0, std 1}, its output taken as the
 * prediction in the target's units, as a plain nn.Sequential gives it (mlplab's export folds
 * the target scaling into that Linear). A binary classifier with one logit (trained with
 * BCEWithLogitsLoss) is not one mlplab reads: its classifiers have one output row per class.
 * Every key must be there with the shape the config gives, float and finite; a key the layout
 * does not have is refused; `num_batches_tracked` counters are ignored.
 * `settings` gives the leaky ReLU slope and batch-norm epsilon and momentum (default 0.01, 1e-5
 * and 0.1, PyTorch's defaults too).
 * Errors: ConfigError for the config (fields prefixed with `networkFile`), ModelFormatError
 * naming `file`, the key, the shape found and the one expected.
 */
export function fromStateDict(
  tensors: Map<string, WeightTensor>,
  network: unknown,
  file: string,
  networkFile = 'network',
  backend?: Backend,
  settings: LayerSettings = {},
  task: ImportTask = 'auto',
): Sequential {
  const isRunConfig = network !== null && typeof network === 'object' && !Array.isArray(network) && 'network' in network;
  const net = isRunConfig ? resolveRun(network, networkFile).network : parseConfig(networkSchema, network, networkFile);
  const fail = (problem: string): never => {
    throw new ModelFormatError(file, problem);
  };
  const known = () => `the file has ${[...tensors.keys()].slice(0, 12).join(', ')}${tensors.size > 12 ? ', ...' : ''}`;
  // Indices do not depend on the input and class counts: find the two linear weights that give them.
  // Messages name the file the network came from; a network passed as an object is just "the network given".
  const described = networkFile === 'network' ? 'the network given' : `the network in ${networkFile}`;
  const probe = pytorchLayout(resolveModelOptions(networkToModelOptions(net, 1, 2), networkFile));
  const firstKey = probe.keys[0], lastKey = probe.keys[probe.keys.length - 2];
  // Key names do not depend on them either: refuse keys the config has no place for first.
  const wanted = new Set([...probe.keys.map((k) => k.key), ...probe.counters]);
  for (const name of tensors.keys()) {
    if (!wanted.has(name)) {
      fail(
        `${name}: not a key of ${described} (it has ${probe.keys.length} tensors: ${probe.keys.map((k) => k.key).join(', ')}); ` +
          'check widths, batchNorm and dropout, which decide the module indices',
      );
    }
  }
  const matrix = (k: TorchKey) => {
    const t = tensors.get(k.key);
    if (!t) return fail(`${k.key} missing: expected the weight of ${k.module.python.replace(/\(.*\)/, '')} (module ${k.module.index} of ${described}); ${known()}`);
    if (t.shape.length !== 2) return fail(`${k.key}: shape [${t.shape.join(', ')}], expected a 2-D linear weight [out, in]`);
    return t.shape;
  };
  const inputs = matrix(firstKey)[1];
  const classes = matrix(lastKey)[0];
  const found = `${lastKey.key}: shape [${tensors.get(lastKey.key)!.shape.join(', ')}]`;
  if (task === 'classify' && classes < 2) fail(`${found}, expected at least 2 output rows for a classifier (one per class); one output row is a regression network (task 'regress')`);
  if (task === 'regress' && classes !== 1) fail(`${found}, expected 1 output row for a regression network (one value per row); ${classes} rows are a classifier's, one per class`);
  if (classes < 1) fail(`${found}, expected 1 output row (a regression network) or one per class (a classifier)`);
  const regression = classes === 1 ? { task: 'regress' as const, target: { mean: 0, std: 1 } } : {};
  let options: ResolvedModelOptions;
  try {
    options = resolveModelOptions({ ...networkToModelOptions(net, inputs, classes), ...regression, ...settings }, networkFile);
  } catch (e) {
    if (e instanceof ConfigError) return fail(`${firstKey.key}: the weights give a network that cannot be built: ${e.message}`);
    throw e;
  }
  const { keys, counters } = pytorchLayout(options);
  for (const k of keys) {
    const t = tensors.get(k.key);
    if (!t) fail(`${k.key} missing: expected shape [${k.shape.join(', ')}] for ${k.module.python} (module ${k.module.index} of ${described}); ${known()}`);
    else if (t.shape.length !== k.shape.length || t.shape.some((n, i) => n !== k.shape[i])) {
      fail(`${k.key}: shape [${t.shape.join(', ')}], expected [${k.shape.join(', ')}] for ${k.module.python} (module ${k.module.index} of ${described})`);
    } else if (t.data === null) fail(`${k.key}: dtype ${t.dtype}, expected a float tensor (F32 or F64)`);
    else {
      const bad = t.data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) fail(`${k.key}: value ${bad} is ${t.data[bad]}; weights must be finite numbers`);
      // float64 weights become float32: one beyond float32's range would become infinite.
      const wide = t.data.findIndex((v) => !Number.isFinite(Math.fround(v)));
      if (wide >= 0) fail(`${k.key}: value ${wide} is ${t.data[wide]}, beyond float32's range (about 3.4e38), the precision mlplab's weights have`);
      if (k.key.endsWith('running_var')) {
        const negative = t.data.findIndex((v) => v < 0);
        if (negative >= 0) fail(`${k.key}: value ${negative} is ${t.data[negative]}; a running variance is >= 0`);
      }
    }
  }
  for (const c of counters) {
    const t = tensors.get(c);
    if (t && t.data !== null) fail(`${c}: dtype ${t.dtype}, expected an integer counter (PyTorch's int64 num_batches_tracked)`);
  }
  const model = Sequential.create(options, { backend });
  const targets = new Map<string, { rows: number; cols: number; data: Float32Array }>();
  for (const p of model.params) targets.set(p.name, { rows: p.value.rows, cols: p.value.cols, data: p.value.data });
  for (const s of model.stateTensors()) targets.set(s.name, { rows: s.value.rows, cols: s.value.cols, data: s.value.data });
  for (const k of keys) {
    const src = tensors.get(k.key)!.data!;
    const dst = targets.get(k.source)!;
    // PyTorch [out, in] -> mlplab [in, out]: dst[i, o] = src[o, i], i.e. the transpose of a cols x rows table.
    dst.data.set(k.transpose ? transpose(src, dst.cols, dst.rows) : src);
  }
  return model;
}

/** The transpose of a rows x cols row-major table, as float32. */
function transpose(data: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}
