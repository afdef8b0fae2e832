/**
 * A trained classifier or regressor as a standard ONNX model (opset 17, IR version 8), the
 * pre-processing inside. Browser-safe: the protobuf is built with onnx-proto (ONNX's own schema,
 * compiled for protobufjs), and the result is bytes.
 *
 * The graph takes the raw feature rows as `predict` does (`features`, float32 [batch, inputs])
 * and gives `probabilities` (float32 [batch, classes]) and `label` (int64 [batch], the class
 * index with the largest logit, the first one on a tie as in mlplab). In between:
 *
 * - pre-processing exactly as `Pipeline.transform` does it: the rows are cast to float64,
 *   scaling is Sub(shift) then Mul(scale) and PCA's centring Sub(mean), all in float64 as
 *   fitted, then one cast to float32 and MatMul by the PCA components transposed;
 * - per hidden layer: Gemm (x W + b, W as mlplab keeps it, [in, out]), BatchNormalization in
 *   inference form (running mean and variance, mlplab's epsilon), the activation (Relu,
 *   LeakyRelu, Tanh, Sigmoid; GELU as 0.5 x (1 + Erf(x / sqrt 2)), its tanh form with Tanh,
 *   since opset 17 has no Gelu), no dropout (inference is the identity);
 * - the output Gemm gives the logits, then Softmax over the classes and ArgMax.
 *
 * A table model (a model file with a table encoder) takes its raw cells instead of `features`:
 * one input per column it uses, [batch, 1], float32 for numbers (NaN for a blank) and string
 * for yes/no and categorical columns, encoded in the graph as `TableEncoder.encode` does
 * (onnx-table.ts, with `ai.onnx.ml` opset 3 for LabelEncoder) before the pre-processing. The
 * metadata `mlplab.inputs` lists them ([{ name, type, onnxInput, role }]).
 *
 * A regression model (`model.task === 'regress'`) gives `value` instead (float32 [batch, 1],
 * one prediction per row in the target's units, no Softmax or ArgMax): the output Gemm gives
 * the standardised target z, and the graph computes `z * std + mean` from the model's `target`
 * (see addTargetScaling). Its ensemble's `value` is the mean of the networks' predictions, as
 * `ensembleValues` computes it. Its metadata has `target_name` (the target's name: the model
 * file's one class name) in place of `class_names`, and `mlplab.task` ('regress') and
 * `mlplab.target` ({mean, std}).
 *
 * A seed ensemble (`members`) has each network in the graph once, the first with the names
 * above and member i's initialisers prefixed `ensemble<i>.`; each network's logits go through
 * Softmax, `probabilities` is their Mean and `label` the ArgMax of that mean (first on a tie),
 * as `ensembleProba` computes them. A single network's graph is as described first.
 *
 * The metadata (`metadata_props`) holds `class_names` (a JSON list, in label order),
 * `mlplab.preprocessing` (the pipeline in words) and `mlplab.network` (the model options);
 * table models add `mlplab.inputs`, `mlplab.table` (the encoder as the model file keeps it) and
 * `mlplab.blank_texts`; ensembles add `mlplab.ensemble` (the number of networks).
 */
import onnxProto from 'onnx-proto';
import type { Pipeline } from '../data/pipeline.js';
import type { Sequential } from '../nn/model.js';
import type { ModelFileContents } from '../run/model-file.js';
import { ShapeError } from '../errors.js';
import { addTable, describeOnnxInput, ONNX_BLANK_TEXTS, ONNX_ML_DOMAIN, ONNX_ML_OPSET, onnxTableInputs, type OnnxTableInput } from './onnx-table.js';

export { ONNX_BLANK_TEXTS, ONNX_ML_OPSET, onnxTableInputs, type OnnxTableInput } from './onnx-table.js';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const DOUBLE = onnx.TensorProto.DataType.DOUBLE;
const INT64 = onnx.TensorProto.DataType.INT64;
const STRING = onnx.TensorProto.DataType.STRING;
const ATTR = onnx.AttributeProto.AttributeType;

/** The operator set the exported graphs use. */
export const ONNX_OPSET = 17;
/** The ONNX IR version written (the one that goes with opset 17). */
export const ONNX_IR_VERSION = 8;
/** Names of the graph's input and outputs. */
export const ONNX_NAMES = { input: 'features', probabilities: 'probabilities', label: 'label', value: 'value' } as const;

export interface OnnxExportOptions {
  /** producer_version in the file; default the library version. */
  producerVersion?: string;
  /** Extra metadata_props entries. */
  metadata?: Record<string, string>;
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function rawBytes(data: Float32Array | Float64Array | BigInt64Array): Uint8Array {
  const b = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  if (!littleEndian) for (let i = 0; i < b.length; i += data.BYTES_PER_ELEMENT) b.subarray(i, i + data.BYTES_PER_ELEMENT).reverse();
  return b;
}

/** Builds nodes and initialisers with unique names; generated names skip `reserved` (the graph's inputs). */
class GraphBuilder {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private counter = 0;

  constructor(private readonly reserved: ReadonlySet<string> = new Set()) {}

  constant(name: string, dims: number[], data: Float32Array | Float64Array | BigInt64Array): string {
    const dataType = data instanceof Float64Array ? DOUBLE : data instanceof BigInt64Array ? INT64 : FLOAT;
    this.initializers.push({ name, dims, dataType, rawData: rawBytes(data) });
    return name;
  }

  scalar(name: string, value: number): string {
    return this.constant(name, [], Float32Array.of(value));
  }

  /** Add a node (of the default domain unless `domain` is given); returns its (first) output name. */
  node(opType: string, inputs: string[], attributes: onnxProto.onnx.IAttributeProto[] = [], output?: string, domain?: string): string {
    let out = output;
    while (out === undefined || (output === undefined && this.reserved.has(out))) out = `${opType.toLowerCase()}_${this.counter++}`;
    this.nodes.push({ opType, input: inputs, output: [out], name: `${opType}_${this.nodes.length}`, attribute: attributes, ...(domain ? { domain } : {}) });
    return out;
  }
}

const intAttr = (name: string, i: number): onnxProto.onnx.IAttributeProto => ({ name, type: ATTR.INT, i });
const floatAttr = (name: string, f: number): onnxProto.onnx.IAttributeProto => ({ name, type: ATTR.FLOAT, f });

/** Pre-processing nodes from the float32 input; returns the name of the float32 features the network takes. */
function addPipeline(g: GraphBuilder, p: Pipeline, input: string): string {
  if (p.isIdentity) return input;
  const d = p.inputCols;
  let x = g.node('Cast', [input], [intAttr('to', DOUBLE)]);
  if (p.scaler) {
    x = g.node('Sub', [x, g.constant('pipeline.scaler.shift', [d], Float64Array.from(p.scaler.shift))]);
    x = g.node('Mul', [x, g.constant('pipeline.scaler.scale', [d], Float64Array.from(p.scaler.scale))]);
  }
  if (p.pca) x = g.node('Sub', [x, g.constant('pipeline.pca.mean', [d], Float64Array.from(p.pca.mean))]);
  x = g.node('Cast', [x], [intAttr('to', FLOAT)]);
  if (p.pca) {
    const { k, components } = p.pca;
    const t = new Float32Array(d * k);
    for (let r = 0; r < k; r++) for (let c = 0; c < d; c++) t[c * k + r] = components[r * d + c];
    x = g.node('MatMul', [x, g.constant('pipeline.pca.components_t', [d, k], t)]);
  }
  return x;
}

function addActivation(g: GraphBuilder, x: string, activation: string, slope: number, layer: string): string {
  switch (activation) {
    case 'identity':
      return x;
    case 'relu':
      return g.node('Relu', [x]);
    case 'leaky_relu':
      return g.node('LeakyRelu', [x], [floatAttr('alpha', slope)]);
    case 'tanh':
      return g.node('Tanh', [x]);
    case 'sigmoid':
      return g.node('Sigmoid', [x]);
    case 'gelu': {
      // 0.5 x (1 + erf(x / sqrt 2)), with x / sqrt 2 as x * (1 / sqrt 2) like the kernels.
      const e = g.node('Erf', [g.node('Mul', [x, g.scalar(`${layer}.gelu.inv_sqrt2`, Math.SQRT1_2)])]);
      const onePlus = g.node('Add', [e, g.scalar(`${layer}.gelu.one`, 1)]);
      return g.node('Mul', [g.node('Mul', [x, onePlus]), g.scalar(`${layer}.gelu.half`, 0.5)]);
    }
    case 'gelu_tanh': {
      // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
      const cube = g.node('Mul', [g.node('Mul', [x, x]), x]);
      const inner = g.node('Add', [x, g.node('Mul', [cube, g.scalar(`${layer}.gelu.c`, 0.044715)])]);
      const t = g.node('Tanh', [g.node('Mul', [inner, g.scalar(`${layer}.gelu.sqrt_2_over_pi`, Math.sqrt(2 / Math.PI))])]);
      const onePlus = g.node('Add', [t, g.scalar(`${layer}.gelu.one`, 1)]);
      return g.node('Mul', [g.node('Mul', [x, onePlus]), g.scalar(`${layer}.gelu.half`, 0.5)]);
    }
    default:
      throw new RangeError(`exportOnnx: no ONNX form for activation ${activation}`);
  }
}

/** A network's nodes from its input to its logits; its initialisers are named `prefix` + mlplab's tensor name. */
function addNetwork(g: GraphBuilder, model: Sequential, input: string, prefix = ''): string {
  const o = model.options;
  const values = new Map<string, { rows: number; cols: number; data: Float32Array }>();
  for (const p of model.params) values.set(p.name, { rows: p.value.rows, cols: p.value.cols, data: p.value.data });
  for (const s of model.stateTensors()) values.set(s.name, { rows: s.value.rows, cols: s.value.cols, data: s.value.data });
  const dense = (x: string, name: string) => {
    const w = values.get(`${name}.weight`)!, b = values.get(`${name}.bias`)!;
    return g.node('Gemm', [x, g.constant(`${prefix}${name}.weight`, [w.rows, w.cols], Float32Array.from(w.data)), g.constant(`${prefix}${name}.bias`, [b.cols], Float32Array.from(b.data))]);
  };
  let x = input;
  o.hidden.forEach((h, i) => {
    x = dense(x, `hidden${i}.linear`);
    if (h.batchNorm) {
      const bn = (part: string) => {
        const t = values.get(`hidden${i}.batchnorm.${part}`)!;
        return g.constant(`${prefix}hidden${i}.batchnorm.${part}`, [t.cols], Float32Array.from(t.data));
      };
      x = g.node('BatchNormalization', [x, bn('weight'), bn('bias'), bn('running_mean'), bn('running_var')], [floatAttr('epsilon', o.batchNormEps)]);
    }
    x = addActivation(g, x, h.activation, o.leakySlope, `${prefix}hidden${i}`);
  });
  return dense(x, 'output');
}

/** The names of a graph's outputs: a classifier's `probabilities` and `label`, a regressor's `value`. */
export function onnxOutputNames(model: Pick<Sequential, 'task'>): string[] {
  return model.task === 'regress' ? [ONNX_NAMES.value] : [ONNX_NAMES.probabilities, ONNX_NAMES.label];
}

/**
 * A regressor's `value` from its networks' outputs (float32 [batch, 1] each, the standardised
 * target): their mean, times the target's standard deviation, plus its mean.
 *
 * The target scaling is a Mul and an Add of its own, not folded into the last Gemm: mlplab
 * computes `z * std + mean` in float64 from the network's float32 output z (and an ensemble's
 * mean in float64 too), so the graph does the same: Cast to double, the mean over the networks
 * (Add, Div), Mul, Add, one Cast back to float32 (none when float32 cannot hold the target's
 * values finely enough: see needsDouble; the output is then float64). The only rounding beyond the network's own is then the
 * last one, where folding std into the float32 weights would round every weight; and the
 * target's moments stay readable in the graph, as the initialisers `target.std` and
 * `target.mean`.
 */
/**
 * Whether a target's predictions need float64: float32 holds values near |mean| + 5 std only
 * to about 1.2e-7 of their size (and none beyond 3.4e38), too coarse when the mean is thousands
 * of standard deviations from zero (timestamps, 1.7e9 with a spread of 29).
 */
export function needsDouble(target: { mean: number; std: number }): boolean {
  const far = Math.abs(target.mean) + 5 * target.std;
  return !Number.isFinite(Math.fround(far)) || far * 2 ** -23 > target.std * 1e-3;
}

function addTargetScaling(g: GraphBuilder, outputs: string[], target: { mean: number; std: number }): void {
  const wide = outputs.map((z) => g.node('Cast', [z], [intAttr('to', DOUBLE)]));
  // Mean over double tensors is not in every runtime (ONNX Runtime's WebAssembly build lacks it): Add, then Div.
  let z = wide[0];
  for (const w of wide.slice(1)) z = g.node('Add', [z, w]);
  if (wide.length > 1) z = g.node('Div', [z, g.constant('ensemble.count', [], Float64Array.of(wide.length))]);
  const scaled = g.node('Mul', [z, g.constant('target.std', [], Float64Array.of(target.std))]);
  const value = g.node('Add', [scaled, g.constant('target.mean', [], Float64Array.of(target.mean))]);
  if (needsDouble(target)) g.node('Identity', [value], [], ONNX_NAMES.value);
  else g.node('Cast', [value], [intAttr('to', FLOAT)], ONNX_NAMES.value);
}

/**
 * The graph inputs of a model file's contents as exported: a table model's columns, or the one
 * `features` input (type float32, `width` values a row).
 */
export function onnxInputs(c: Pick<ModelFileContents, 'model' | 'pipeline' | 'table'>): { table: OnnxTableInput[] | null; width: number } {
  const width = c.pipeline ? c.pipeline.inputCols : c.model.inputs;
  return { table: c.table ? onnxTableInputs(c.table, onnxOutputNames(c.model)) : null, width };
}

/**
 * The ONNX model of a model file's contents (from `decodeModelFile`, or a live model with its
 * pipeline and class names; its table encoder and ensemble members included), as protobuf
 * bytes. Throws ShapeError when the parts do not fit.
 */
export function exportOnnx(c: ModelFileContents, options: OnnxExportOptions = {}): Uint8Array {
  const { model, pipeline } = c;
  const table = c.table ?? null;
  const members = c.members ?? [];
  if (c.classNames.length !== model.classes) throw new ShapeError(`exportOnnx: ${c.classNames.length} class names for a network with ${model.classes} classes`);
  if (pipeline && pipeline.outputCols !== model.inputs) {
    throw new ShapeError(`exportOnnx: the pre-processing gives ${pipeline.outputCols} features but the network takes ${model.inputs}`);
  }
  members.forEach((m, i) => {
    if (m.inputs !== model.inputs || m.classes !== model.classes) {
      throw new ShapeError(`exportOnnx: ensemble member ${i + 1} takes ${m.inputs} features to ${m.classes} classes; the first network ${model.inputs} to ${model.classes}`);
    }
    const task = (s: Sequential) => `task ${s.task}${s.task === 'regress' ? `, target ${JSON.stringify(s.options.target ?? null)}` : ''}`;
    if (task(m) !== task(model)) throw new ShapeError(`exportOnnx: ensemble member ${i + 1} has ${task(m)}; the first network ${task(model)}`);
  });
  const regress = model.task === 'regress';
  const { table: columns, width: inputs } = onnxInputs(c);
  if (table && table.outputCols !== inputs) {
    throw new ShapeError(`exportOnnx: the table encoder gives ${table.outputCols} features but the ${pipeline ? 'pre-processing' : 'network'} takes ${inputs}`);
  }
  const g = new GraphBuilder(new Set(columns ? columns.map((t) => t.onnxInput) : []));
  const raw = table && columns ? addTable(g, table, columns) : ONNX_NAMES.input;
  const features = pipeline ? addPipeline(g, pipeline, raw) : raw;
  if (regress) {
    addTargetScaling(g, [model, ...members].map((m, i) => addNetwork(g, m, features, i === 0 ? '' : `ensemble${i}.`)), model.options.target ?? { mean: 0, std: 1 });
  } else if (members.length === 0) {
    const logits = addNetwork(g, model, features);
    g.node('Softmax', [logits], [intAttr('axis', 1)], ONNX_NAMES.probabilities);
    g.node('ArgMax', [logits], [intAttr('axis', 1), intAttr('keepdims', 0)], ONNX_NAMES.label);
  } else {
    const each = [model, ...members].map((m, i) => g.node('Softmax', [addNetwork(g, m, features, i === 0 ? '' : `ensemble${i}.`)], [intAttr('axis', 1)]));
    g.node('Mean', each, [], ONNX_NAMES.probabilities);
    g.node('ArgMax', [ONNX_NAMES.probabilities], [intAttr('axis', 1), intAttr('keepdims', 0)], ONNX_NAMES.label);
  }
  const batch = { dimParam: 'batch' };
  const steps = [...(table ? [`table encoding of ${table.meta.columns.length} columns into ${table.outputCols} features`] : []), ...(pipeline && !pipeline.isIdentity ? [pipeline.describe()] : [])];
  const metadata: Record<string, string> = {
    ...(regress
      ? { target_name: c.classNames[0], 'mlplab.task': 'regress', 'mlplab.target': JSON.stringify(model.options.target ?? { mean: 0, std: 1 }) }
      : { class_names: JSON.stringify(c.classNames) }),
    'mlplab.preprocessing': table ? steps.join(', then ') : pipeline ? pipeline.describe() : 'no transform',
    'mlplab.network': JSON.stringify(model.options),
    ...(members.length ? { 'mlplab.ensemble': String(members.length + 1) } : {}),
    ...(table && columns
      ? {
          'mlplab.inputs': JSON.stringify(columns.map((t) => ({ name: t.name, type: t.type, onnxInput: t.onnxInput, role: t.role }))),
          'mlplab.table': JSON.stringify(table.toJSON()),
          'mlplab.blank_texts': JSON.stringify(ONNX_BLANK_TEXTS),
        }
      : {}),
    ...options.metadata,
  };
  const input: onnxProto.onnx.IValueInfoProto[] =
    table && columns
      ? columns.map((t, j) => ({
          name: t.onnxInput,
          docString: `column ${JSON.stringify(t.name)}: ${describeOnnxInput(table.meta.columns[j])}`,
          type: { tensorType: { elemType: t.type === 'float32' ? FLOAT : STRING, shape: { dim: [batch, { dimValue: 1 }] } } },
        }))
      : [{ name: ONNX_NAMES.input, type: { tensorType: { elemType: FLOAT, shape: { dim: [batch, { dimValue: inputs }] } } } }];
  const kind = regress ? 'regressor' : 'classifier';
  const what = members.length ? `Seed ensemble of ${members.length + 1} MLP ${kind}s (mean of their ${regress ? 'predictions' : 'probabilities'})` : `MLP ${kind}`;
  const valueType = regress && needsDouble(model.options.target ?? { mean: 0, std: 1 }) ? 'float64' : 'float32';
  const outputs = regress
    ? `Output ${ONNX_NAMES.value}: ${valueType} [batch, 1], the predicted ${JSON.stringify(c.classNames[0])} in the target's units (metadata target_name)` +
      (valueType === 'float64' ? "; float64, as float32 cannot hold this target's values to a thousandth of its spread." : '.')
    : `Outputs ${ONNX_NAMES.probabilities}: float32 [batch, ${model.classes}], ${ONNX_NAMES.label}: int64 [batch], an index into metadata class_names.`;
  const takes = table
    ? `Inputs: one per table column, [batch, 1] each (float32 numbers, NaN for a blank; string texts), listed in metadata mlplab.inputs ` +
      `(pre-processing: ${steps.join(', then ')}, inside the graph).`
    : `Input ${ONNX_NAMES.input}: raw rows, float32 [batch, ${inputs}] (pre-processing: ${pipeline ? pipeline.describe() : 'none'}, inside the graph).`;
  const proto = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }, ...(table ? [{ domain: ONNX_ML_DOMAIN, version: ONNX_ML_OPSET }] : [])],
    producerName: 'mlplab',
    producerVersion: options.producerVersion ?? '',
    docString: `${what} trained by mlplab. ${takes} ${outputs}`,
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: `mlplab_${kind}`,
      node: g.nodes,
      initializer: g.initializers,
      input,
      output: regress
        ? [{ name: ONNX_NAMES.value, docString: `the predicted ${JSON.stringify(c.classNames[0])}`, type: { tensorType: { elemType: valueType === 'float64' ? DOUBLE : FLOAT, shape: { dim: [batch, { dimValue: 1 }] } } } }]
        : [
            { name: ONNX_NAMES.probabilities, type: { tensorType: { elemType: FLOAT, shape: { dim: [batch, { dimValue: model.classes }] } } } },
            { name: ONNX_NAMES.label, type: { tensorType: { elemType: INT64, shape: { dim: [batch] } } } },
          ],
    },
  });
  return onnx.ModelProto.encode(proto).finish();
}
