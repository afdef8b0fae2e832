/**
 * ONNX Runtime for the tests: onnxruntime-web's WebAssembly backend under Node, one thread,
 * its .wasm files read from node_modules (nothing is fetched).
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-web';
import { float32Text } from '../../src/data/table/cells.js';
import type { Cell } from '../../src/data/table/records.js';
import { onnxInputs } from '../../src/export/onnx.js';
import type { ModelFileContents } from '../../src/run/model-file.js';

const DIST = fileURLToPath(new URL('../../../node_modules/onnxruntime-web/dist/', import.meta.url));
ort.env.wasm.numThreads = 1;
ort.env.wasm.wasmPaths = pathToFileURL(DIST).href + '/';

/** Run an exported model on float32 rows (its one input, `features`); returns its two outputs. */
export async function runOnnx(bytes: Uint8Array, features: Float32Array, rows: number, cols: number): Promise<{ probabilities: Float32Array; label: BigInt64Array }> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    assertNames(session.inputNames, ['features']);
    assertNames(session.outputNames, ['probabilities', 'label']);
    const out = await session.run({ features: new ort.Tensor('float32', Float32Array.from(features), [rows, cols]) });
    const p = out.probabilities, l = out.label;
    if (p.type !== 'float32' || l.type !== 'int64') throw new Error(`output types ${p.type}, ${l.type}`);
    if (p.dims.join() !== `${rows},${p.dims[1]}` || l.dims.join() !== `${rows}`) throw new Error(`output shapes ${p.dims}, ${l.dims}`);
    return { probabilities: p.data as Float32Array, label: l.data as BigInt64Array };
  } finally {
    await session.release();
  }
}

/** One input of a graph: float32 numbers or strings, with its shape. */
export type OnnxFeed = { type: 'float32'; data: Float32Array; dims: number[] } | { type: 'string'; data: string[]; dims: number[] };

/** Run an exported model on named inputs (a table model's columns, in the graph's order); returns its two outputs. */
export async function runOnnxFeeds(bytes: Uint8Array, feeds: Record<string, OnnxFeed>): Promise<{ probabilities: Float32Array; label: BigInt64Array }> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    assertNames(session.inputNames, Object.keys(feeds));
    assertNames(session.outputNames, ['probabilities', 'label']);
    const tensors: Record<string, ort.Tensor> = {};
    for (const [name, f] of Object.entries(feeds)) tensors[name] = f.type === 'float32' ? new ort.Tensor('float32', f.data, f.dims) : new ort.Tensor('string', f.data, f.dims);
    const out = await session.run(tensors);
    const p = out.probabilities, l = out.label;
    if (p.type !== 'float32' || l.type !== 'int64') throw new Error(`output types ${p.type}, ${l.type}`);
    if (l.dims.join() !== `${p.dims[0]}`) throw new Error(`output shapes ${p.dims}, ${l.dims}`);
    return { probabilities: p.data as Float32Array, label: l.data as BigInt64Array };
  } finally {
    await session.release();
  }
}

function assertNames(got: readonly string[], expected: string[]): void {
  if (got.join() !== expected.join()) throw new Error(`ONNX names ${got.join()}, expected ${expected.join()}`);
}

/** A table model's graph inputs for some records, as a user builds them: numbers (NaN for a blank) and texts ('' for a blank, numbers in their float32 spelling). */
export function tableFeeds(c: ModelFileContents, records: Record<string, Cell>[]): Record<string, OnnxFeed> {
  const feeds: Record<string, OnnxFeed> = {};
  for (const input of onnxInputs(c).table!) {
    const cells = records.map((r) => r[input.name]);
    const dims = [records.length, 1];
    feeds[input.onnxInput] =
      input.type === 'float32'
        ? { type: 'float32', data: Float32Array.from(cells, (v) => (typeof v === 'number' ? v : NaN)), dims }
        : { type: 'string', data: cells.map((v) => (v === null || v === undefined ? '' : typeof v === 'number' ? float32Text(v) : String(v))), dims };
  }
  return feeds;
}
