/**
 * PyTorch weight files in and out of mlplab model files: safetensors (both ways) and numpy's
 * .npz (in). Browser-safe: bytes in, bytes out.
 *
 * Regression models travel as a plain nn.Sequential whose output is the prediction in the
 * target's units: on the way out the target scaling (and a seed ensemble) is folded into the
 * weights (fold.ts); on the way in a state_dict whose last Linear has one output row is a
 * regression network with target {mean 0, std 1}.
 */
import { z } from 'zod';
import { isZip, parseNpz } from '../data/formats/npy.js';
import { Pipeline } from '../data/pipeline.js';
import type { NamedTensor } from '../nn/serialize.js';
import { ModelFormatError } from '../errors.js';
import { parseFileFields, parseJson } from '../validate.js';
import { defaultClassNames, type ModelFileContents } from '../run/model-file.js';
import type { Backend } from '../tensor/backend.js';
import { foldRegression } from './fold.js';
import { fromStateDict, pytorchSource, stateDict, type ImportTask, type LayerSettings } from './pytorch.js';
import { parseSafetensors, writeSafetensors, type TensorToWrite, type WeightTensor } from './safetensors.js';

/** Metadata keys mlplab writes into an exported safetensors file (beside PyTorch's "format": "pt"). */
export const SAFETENSORS_META = {
  classNames: 'mlplab.class_names',
  pytorch: 'mlplab.pytorch',
  network: 'mlplab.network',
  pipeline: 'mlplab.pipeline',
  /** A regression export's target: {name, mean, std, networks}, the scaling folded into the weights (information only). */
  target: 'mlplab.target',
} as const;

/** numpy dtype names -> safetensors' spelling, for .npz state dicts. */
const NPZ_DTYPES: Record<string, string> = {
  float32: 'F32', float64: 'F64', float16: 'F16',
  int64: 'I64', int32: 'I32', int16: 'I16', int8: 'I8', uint64: 'U64', uint32: 'U32', uint16: 'U16', uint8: 'U8', bool: 'BOOL',
};

/**
 * A state dict from a safetensors file or an .npz archive (told apart by their first bytes),
 * with the safetensors metadata (none for .npz). Float tensors other than float32/float64 are
 * refused with a ModelFormatError naming the file and the key.
 */
export function readStateDict(bytes: Uint8Array, file: string): { tensors: Map<string, WeightTensor>; metadata: Record<string, string> } {
  if (!isZip(bytes)) return parseSafetensors(bytes, file);
  const tensors = new Map<string, WeightTensor>();
  for (const [name, arr] of parseNpz(bytes, file)) {
    const dtype = NPZ_DTYPES[arr.dtype];
    if (dtype === undefined || dtype === 'F16') {
      throw new ModelFormatError(file, `${name}: dtype ${arr.dtype} cannot be used: mlplab reads float weights as float32 or float64`);
    }
    const data = arr.data instanceof Float32Array && dtype === 'F32' ? arr.data : arr.data instanceof Float64Array && dtype === 'F64' ? arr.data : null;
    tensors.set(name, { name, dtype, shape: arr.shape, data });
  }
  return { tensors, metadata: {} };
}

/** Longest class or target name read from a file's metadata or given for an import: a name, not a payload. */
const MAX_NAME = 256;
/** Names an mlplab export kept; others (too long, empty, not text) are not used and the defaults stand. */
const classNamesSchema = z.array(z.string().min(1).max(MAX_NAME)).min(1);

/** What `importWeights` takes beside the weights. */
export interface ImportOptions {
  /** The file the network came from, for messages. */
  networkFile?: string;
  /** A classifier's class names, in label order. */
  classNames?: string[];
  /** A regression network's target name (the model file's one class name). */
  targetName?: string;
  /** 'auto' (default): one output row is a regression network, more a classifier (see ImportTask). */
  task?: ImportTask;
  backend?: Backend;
  pipeline?: { bytes: Uint8Array; file: string };
}

/**
 * Read PyTorch weights (safetensors or .npz) into an mlplab model file's contents, with the
 * network described by `network` (see `fromStateDict`). Class names: `classNames` when given,
 * else those an mlplab export kept in the file's metadata, else '0' .. 'K-1'. A regression
 * network (one output row, task 'regress' with target {mean 0, std 1}) has one name, its
 * target's: `targetName`, else the one an mlplab export kept, else 'target'; class names
 * given for it are refused, as is a target name for a classifier. The pre-processing:
 * `pipeline`, the `.pipeline.safetensors` file an mlplab export wrote beside the weights, when
 * given; else none.
 */
export function importWeights(bytes: Uint8Array, file: string, network: unknown, opts: ImportOptions = {}): ModelFileContents {
  const { tensors, metadata } = readStateDict(bytes, file);
  const model = fromStateDict(tensors, network, file, opts.networkFile, opts.backend, mlplabSettings(metadata, file), opts.task);
  const regress = model.task === 'regress';
  const refuse = (problem: string): never => {
    model.dispose();
    throw new ModelFormatError(file, problem);
  };
  if (regress && opts.classNames) refuse(`the weights are a regression network (one output), but ${opts.classNames.length === 1 ? 'a class name was' : `${opts.classNames.length} class names were`} given (${opts.classNames.join(', ')}); class names are a classifier's, one per output row`);
  const t = opts.targetName;
  if (t !== undefined && !(t.trim().length > 0 && t.length <= MAX_NAME)) {
    refuse(`the target name ${JSON.stringify(t.slice(0, 40))}${t.length > 40 ? `... (${t.length} characters)` : ''} is not a name: expected 1 to ${MAX_NAME} characters, not only spaces`);
  }
  if (!regress && opts.targetName !== undefined) refuse(`the weights are a classifier of ${model.classes} classes, but a target name was given (${JSON.stringify(opts.targetName)}); a classifier has class names`);
  let pipeline: Pipeline | null = null;
  if (opts.pipeline) {
    try {
      pipeline = readPipeline(opts.pipeline.bytes, opts.pipeline.file);
      if (pipeline.outputCols !== model.inputs) {
        throw new ModelFormatError(opts.pipeline.file, `the pre-processing gives ${pipeline.outputCols} features per row, but the network in ${file} takes ${model.inputs}`);
      }
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
  let classNames = regress && opts.targetName !== undefined ? [opts.targetName] : opts.classNames;
  if (!classNames && metadata[SAFETENSORS_META.classNames] !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(metadata[SAFETENSORS_META.classNames]);
    } catch {
      parsed = undefined;
    }
    const names = classNamesSchema.safeParse(parsed);
    if (names.success && names.data.length === model.classes) classNames = names.data;
  }
  classNames ??= regress ? ['target'] : defaultClassNames(model.classes);
  if (classNames.length !== model.classes) {
    model.dispose();
    throw new ModelFormatError(file, `the weights give ${model.classes} classes, but ${classNames.length} class names were given`);
  }
  return { model, pipeline, classNames };
}

/** The pre-processing from a `.pipeline.safetensors` file written by `exportSafetensors`. */
export function readPipeline(bytes: Uint8Array, file: string): Pipeline {
  const { tensors, metadata } = parseSafetensors(bytes, file);
  const text = metadata[SAFETENSORS_META.pipeline];
  if (text === undefined) {
    throw new ModelFormatError(file, `has no "${SAFETENSORS_META.pipeline}" metadata: it is not a pre-processing file written by mlplab export`);
  }
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch {
    throw new ModelFormatError(file, `metadata "${SAFETENSORS_META.pipeline}" is not valid JSON`);
  }
  const named = new Map<string, NamedTensor>();
  for (const t of tensors.values()) {
    if (t.data === null) throw new ModelFormatError(file, `${t.name}: dtype ${t.dtype}; the pre-processing holds float tensors only`);
    named.set(`pipeline.${t.name}`, { name: `pipeline.${t.name}`, shape: t.shape, data: t.data });
  }
  return Pipeline.fromTensors(meta, named, file);
}

const settingsSchema = z.object({
  leakySlope: z.number({ error: 'a slope in [0, 1]' }).min(0, { error: 'a slope in [0, 1]' }).max(1, { error: 'a slope in [0, 1]' }).optional(),
  // PyTorch's default is 1e-5; an epsilon near 1 or above would swamp the variance it guards.
  batchNormEps: z.number({ error: 'an epsilon in (0, 0.1]' }).positive({ error: 'an epsilon in (0, 0.1]' }).max(0.1, { error: 'an epsilon in (0, 0.1]' }).optional(),
  batchNormMomentum: z.number({ error: 'a momentum in (0, 1]' }).gt(0, { error: 'a momentum in (0, 1]' }).max(1, { error: 'a momentum in (0, 1]' }).optional(),
});

/**
 * The layer settings an mlplab export keeps in its metadata (leaky slope, batch-norm epsilon and
 * momentum), so a model exported and imported again predicts the same; none for other files.
 * Settings out of range are refused, naming the file and the setting: never applied silently.
 */
function mlplabSettings(metadata: Record<string, string>, file: string): LayerSettings {
  const text = metadata[SAFETENSORS_META.network];
  if (text === undefined) return {};
  const parsed = parseJson(text);
  if ('problem' in parsed) throw new ModelFormatError(file, `metadata "${SAFETENSORS_META.network}" is ${parsed.problem}`);
  const { leakySlope, batchNormEps, batchNormMomentum } = parseFileFields(settingsSchema, parsed.value, file, `metadata "${SAFETENSORS_META.network}"`);
  return { leakySlope, batchNormEps, batchNormMomentum };
}

/** What `exportSafetensors` produces. */
export interface SafetensorsExport {
  /** The network's state_dict: `model.load_state_dict(safetensors.torch.load_file(...))` takes it. */
  weights: Uint8Array;
  /**
   * The fitted pre-processing as its own safetensors file (scaler.shift, scaler.scale, pca.mean
   * as F64, pca.components as F32 [k, inputs]), or null when the model has none: a state_dict
   * holds only the network, so raw rows go through (x - shift) * scale - mean, then @ components.T.
   */
  pipeline: Uint8Array | null;
  /** Python lines that build the matching nn.Sequential. */
  python: string;
  /**
   * How many of the model file's networks the state_dict holds: all of a regression model's
   * (a seed ensemble folded into one wider network), the first of a classifier's (a mean of
   * probabilities is no nn.Sequential; the ONNX export keeps them all).
   */
  networks: number;
  /** The `network` object of a run config that reads the weights back (`importWeights`, `mlplab import --network`). */
  network: { widths: number[]; activations: string[]; batchNorm: boolean[]; dropout: number[] };
}

/**
 * A model file's contents as PyTorch safetensors (the network's state_dict, and the
 * pre-processing apart). A regression model's network is folded first (fold.ts): the target
 * scaling into the last Linear, so the nn.Sequential predicts in the target's units, and a seed
 * ensemble into one network as many times as wide. Throws ShapeError when that network would
 * be too large (MAX_FOLDED_PARAMETERS).
 */
export function exportSafetensors(c: ModelFileContents): SafetensorsExport {
  const regress = c.model.task === 'regress';
  const networks = regress ? (c.members?.length ?? 0) + 1 : 1;
  const net = regress ? foldRegression(c.model, c.members ?? []) : c.model;
  try {
    return writeWeights(c, net, networks);
  } finally {
    if (net !== c.model) net.dispose();
  }
}

function writeWeights(c: ModelFileContents, net: ModelFileContents['model'], networks: number): SafetensorsExport {
  const python = pytorchSource(net.options);
  const target = c.model.options.target ?? { mean: 0, std: 1 };
  const weights = writeSafetensors(stateDict(net), {
    format: 'pt',
    [SAFETENSORS_META.classNames]: JSON.stringify(c.classNames),
    [SAFETENSORS_META.network]: JSON.stringify(net.options),
    [SAFETENSORS_META.pytorch]: python,
    ...(net.task === 'regress' ? { [SAFETENSORS_META.target]: JSON.stringify({ name: c.classNames[0], mean: target.mean, std: target.std, networks }) } : {}),
  });
  let pipeline: Uint8Array | null = null;
  const p = c.pipeline;
  if (p && !p.isIdentity) {
    const d = p.inputCols;
    const t: TensorToWrite[] = [];
    if (p.scaler) t.push({ name: 'scaler.shift', shape: [d], data: Float64Array.from(p.scaler.shift) }, { name: 'scaler.scale', shape: [d], data: Float64Array.from(p.scaler.scale) });
    if (p.pca) t.push({ name: 'pca.mean', shape: [d], data: Float64Array.from(p.pca.mean) }, { name: 'pca.components', shape: [p.pca.k, d], data: Float32Array.from(p.pca.components) });
    const scaled = p.scaler ? '(x - scaler.shift) * scaler.scale' : 'x';
    const formula = p.pca ? `(${scaled} - pca.mean) @ pca.components.T` : scaled;
    pipeline = writeSafetensors(t, {
      'mlplab.preprocessing': p.describe(),
      'mlplab.formula': `${formula}, in float64, then float32`,
      [SAFETENSORS_META.pipeline]: JSON.stringify(p.toTensors().meta),
    });
  }
  const h = net.options.hidden;
  const network = { widths: h.map((l) => l.width), activations: h.map((l) => l.activation), batchNorm: h.map((l) => l.batchNorm), dropout: h.map((l) => l.dropout) };
  return { weights, pipeline, python, networks, network };
}
