/**
 * Model files as a hostile sender would make them: every dimension bounded, every tensor's
 * name, shape and size checked before the network is allocated (an allocation spy counts
 * what the backend handed out), non-finite weights refused by name, the size checked before
 * the file is read; and random corruptions of a valid file, with the checksum recomputed so
 * they reach the deeper checks, either load a model that predicts finite probabilities or
 * raise a ModelFormatError naming the file, never another exception.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { prepare } from '../../src/data/prepare.js';
import { ConfigError, ModelFormatError } from '../../src/errors.js';
import { MAX_PARAMETERS, Sequential } from '../../src/nn/model.js';
import { loadModel } from '../../src/run/folder.js';
import { decodeModelFile, encodeModelFile } from '../../src/run/model-file.js';
import type { Backend } from '../../src/tensor/backend.js';
import { getBackend } from '../../src/tensor/index.js';
import { gaussianBlobs } from '../helpers.js';
import { tempDir } from '../data/helpers.js';

type Doc = { model: Record<string, unknown>; extras: Record<string, unknown>; tensors: { name: string; shape: number[]; dtype: string; data: string }[]; checksum?: string } & Record<string, unknown>;

/** The documented checksum recomputed (sha256 of the document without it), so an edit passes it. */
function resigned(doc: Doc): string {
  const { checksum: _old, ...rest } = doc;
  return JSON.stringify({ ...rest, checksum: `sha256:${createHash('sha256').update(JSON.stringify(rest)).digest('hex')}` });
}

/** A backend that counts the bytes it allocates. */
function spy(): { backend: Backend; bytes: () => number } {
  const inner = getBackend();
  let bytes = 0;
  const backend = new Proxy(inner, {
    get(target, key) {
      if (key === 'alloc') {
        return (rows: number, cols: number) => {
          bytes += rows * cols * 4;
          return target.alloc(rows, cols);
        };
      }
      const v = (target as unknown as Record<string | symbol, unknown>)[key];
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { backend, bytes: () => bytes };
}

const raw = gaussianBlobs(120, 6, 3, 2, 0.5);
async function validText(): Promise<string> {
  const prepared = prepare({ train: { ...raw, source: 'blobs' }, test: null }, { scale: 'standard', pca: 4, valFraction: 0, seed: 1 });
  const model = Sequential.create({ inputs: 4, classes: 3, hidden: [{ width: 5, batchNorm: true }] }, { seed: 1 });
  try {
    return await encodeModelFile({ model, pipeline: prepared.pipeline, classNames: ['1990', '2000', '2010'], classValues: [1990, 2000, 2010] });
  } finally {
    model.dispose();
  }
}

test('a network description of huge layers with small tensors is refused before anything is allocated', async () => {
  const doc = JSON.parse(await validText()) as Doc;
  (doc.model.hidden as { width: number }[])[0].width = 30000;
  const s = spy();
  await assert.rejects(decodeModelFile(resigned(doc), 'wide.json', s.backend), (e: unknown) => {
    assert.ok(e instanceof ModelFormatError);
    assert.match(e.message, /^wide\.json: tensors\[0\]: should be hidden0\.linear\.weight of shape \[4, 30000\] float32/);
    return true;
  });
  assert.equal(s.bytes(), 0);
  // Dimensions beyond the bounds are refused as fields.
  for (const [field, value, pattern] of [
    ['inputs', 2 ** 25, /model\.inputs: got 33554432, expected a whole number of input features from 1 to 16777216/],
    ['classes', 70000, /model\.classes: got 70000, expected a whole number of classes from 2 to 65536/],
  ] as const) {
    const d = JSON.parse(await validText()) as Doc;
    d.model[field] = value;
    await assert.rejects(decodeModelFile(resigned(d), 'big.json', s.backend), pattern);
  }
  assert.equal(s.bytes(), 0);
});

test('Sequential.tensorShapes lists what a built model saves, and a network beyond MAX_PARAMETERS is a ConfigError', () => {
  const options = { inputs: 7, classes: 4, hidden: [{ width: 9, batchNorm: true }, { width: 3, batchNorm: false }] };
  const model = Sequential.create(options);
  try {
    const built = [...model.params.map((p) => ({ name: p.name, rows: p.value.rows, cols: p.value.cols })), ...model.stateTensors().map((t) => ({ name: t.name, rows: t.value.rows, cols: t.value.cols }))];
    assert.deepEqual(Sequential.tensorShapes(options), built);
  } finally {
    model.dispose();
  }
  const wide = Math.ceil(Math.sqrt(MAX_PARAMETERS)) + 1;
  assert.throws(() => Sequential.create({ inputs: wide, classes: 2, hidden: [{ width: wide }] }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /^model: got .* parameters", expected a network of at most 134,217,728 parameters/);
    return true;
  });
});

test('a tensor holding NaN or an infinity is refused by name', async () => {
  for (const [index, value] of [[0, NaN], [3, Infinity]] as const) {
    const doc = JSON.parse(await validText()) as Doc;
    const t = doc.tensors[index];
    const bytes = Buffer.from(t.data, 'base64');
    bytes.writeFloatLE(value, 4);
    t.data = bytes.toString('base64');
    await assert.rejects(decodeModelFile(resigned(doc), 'nan.json'), new RegExp(`^ModelFormatError: nan\\.json: tensors\\[${index}\\] \\(${t.name.replace(/\./g, '\\.')}\\): value 1 is ${value}`));
  }
});

test('a model file larger than the limit is refused before it is read', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const text = await validText();
    const file = join(dir, 'model.json');
    writeFileSync(file, text);
    await assert.rejects(loadModel(file, { maxBytes: 1000 }), (e: unknown) => {
      assert.ok(e instanceof ModelFormatError);
      assert.match(e.message, /model\.json: is \d+(\.\d+)? kB, larger than the 1 kB a model file may take; raise the limit \(--max-model-size\)/);
      return true;
    });
    const loaded = await loadModel(file);
    assert.deepEqual(loaded.classValues, [1990, 2000, 2010]);
    loaded.model.dispose();
    await assert.rejects(decodeModelFile(text, 'm.json', { maxBytes: 10 }), /m\.json: is \d+(\.\d+)? kB, larger than the 10 B/);
  } finally {
    cleanup();
  }
});

/** A random JSON value, including ones a schema must bound. */
const junk = fc.oneof(
  fc.integer({ min: -5, max: 70000 }),
  fc.constantFrom(0, -1, 2 ** 31, 2 ** 53, 1e308, 0.5, 'float64', 'float32', '', 'AAAA', null, true, [], {}, [1, 2], [100000, 100000]),
  fc.string({ maxLength: 8 }),
);

/** Every path to a value in a JSON document, for edits. */
function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (k !== 'data') paths(x, [...at, k], out);
  return out;
}

test('random corruptions of a model file load a finite model or raise a ModelFormatError naming the file', { timeout: 120_000 }, async () => {
  const text = await validText();
  const base = JSON.parse(text) as Doc;
  const all = paths(base).filter((p) => p.length > 0);
  const edit = fc.record({ path: fc.nat({ max: all.length - 1 }), value: junk, remove: fc.boolean(), sign: fc.boolean() });
  const byteEdit = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 32, max: 126 })), { minLength: 1, maxLength: 4 });
  const inputs = fc.oneof(
    fc.array(edit, { minLength: 1, maxLength: 3 }).map((edits) => {
      const doc = structuredClone(base);
      let sign = false;
      for (const e of edits) {
        const path = all[e.path];
        let parent: unknown = doc;
        for (const k of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)?.[k];
        if (parent === null || typeof parent !== 'object') continue;
        const key = path[path.length - 1];
        if (e.remove && !Array.isArray(parent)) delete (parent as Record<string | number, unknown>)[key];
        else (parent as Record<string | number, unknown>)[key] = e.value;
        sign ||= e.sign;
      }
      return sign ? resigned(doc) : JSON.stringify(doc);
    }),
    byteEdit.map((edits) => {
      const chars = [...text];
      for (const [pos, code] of edits) chars[pos % chars.length] = String.fromCharCode(code);
      return chars.join('');
    }),
    fc.constant(text),
  );
  const tally = { loaded: 0, refused: 0 };
  await fc.assert(
    fc.asyncProperty(inputs, async (t) => {
      const s = spy();
      let m;
      try {
        m = await decodeModelFile(t, 'fuzz.json', s.backend);
      } catch (e) {
        if (e instanceof ModelFormatError && e.file === 'fuzz.json') {
          tally.refused++;
          return;
        }
        throw e;
      }
      try {
        // What was allocated is bounded by what the file holds: every parameter is 4 bytes of data in it.
        assert.ok(m.model.parameterCount * 4 <= t.length, `${m.model.parameterCount} parameters from ${t.length} characters`);
        const x = m.pipeline ? m.pipeline.transform(raw.features.subarray(0, 60), 10) : raw.features.subarray(0, 10 * m.model.inputs);
        const p = m.model.predictProba(x, 10);
        assert.ok(p.every(Number.isFinite), 'probabilities are finite');
        assert.equal(m.classNames.length, m.model.classes);
        tally.loaded++;
      } finally {
        m.model.dispose();
      }
    }),
    { numRuns: 250, seed: 20261201 },
  );
  assert.ok(tally.loaded >= 10, `only ${tally.loaded} of ${tally.loaded + tally.refused} corrupted files loaded; the property needs valid ones among them`);
  assert.ok(tally.refused >= 100, `only ${tally.refused} corrupted files were refused`);
});
