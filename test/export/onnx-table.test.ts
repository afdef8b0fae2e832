/**
 * ONNX export of table models (one input per column, the encoder inside the graph) and of seed
 * ensembles (the mean of every network's probabilities), run in ONNX Runtime against mlplab's
 * own Predictor: same labels, probabilities within 1e-5.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import onnxProto from 'onnx-proto';
import { Pipeline } from '../../src/data/pipeline.js';
import { TableEncoder, type TableMeta } from '../../src/data/table/encoder.js';
import { fromRecords, type Cell } from '../../src/data/table/records.js';
import { exportOnnx, ONNX_BLANK_TEXTS, onnxInputs } from '../../src/export/onnx.js';
import type { ModelOptions } from '../../src/nn/config.js';
import { Sequential } from '../../src/nn/model.js';
import { decodeModelFile, encodeModelFile, ensembleProba, type ModelFileContents } from '../../src/run/model-file.js';
import { runExperiment } from '../../src/run/experiment.js';
import { predictor } from '../../src/run/predictor.js';
import { assertAbsClose, lcg, sameBits } from '../helpers.js';
import { runOnnx, runOnnxFeeds, tableFeeds } from './ort.js';

const { onnx } = onnxProto;
type Row = Record<string, Cell>;

/** ONNX Runtime's outputs for the records equal the Predictor's: labels, and probabilities within 1e-5. */
async function assertSameAsPredictor(c: ModelFileContents, records: Row[], what: string): Promise<void> {
  const p = predictor(c);
  const rows = fromRecords(records);
  const expected = { probabilities: p.predictProba(rows), labels: p.predict(rows) };
  const got = await runOnnxFeeds(exportOnnx(c), tableFeeds(c, records));
  assert.deepEqual(Array.from(got.label, Number), Array.from(expected.labels), `${what}: labels`);
  assertAbsClose(got.probabilities, expected.probabilities, 1e-5, `${what}: probabilities`);
}

function normal(rand: () => number): number {
  let u = 0;
  while (u === 0) u = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

const pick = <T>(rand: () => number, xs: T[]): T => xs[Math.floor(rand() * xs.length)];

/** Penguin-like rows: a text column with rare categories, a yes/no column, numbers with blanks, numbers and words in one column. */
function trainingRecords(n: number, rand: () => number): Row[] {
  const out: Row[] = [];
  for (let r = 0; r < n; r++) {
    const u = rand();
    const island = r === 5 || r === 17 ? 'Atlantis' : r === 40 ? 'Lemuria' : u < 0.05 ? null : u < 0.45 ? 'Biscoe' : u < 0.75 ? 'Dream' : 'Torgersen';
    const member = rand() < 0.08 ? null : rand() < 0.55 ? 'Yes' : 'No';
    const bill = rand() < 0.12 ? null : Math.round((44 + 5 * normal(rand)) * 10) / 10;
    const mass = Math.round(4000 + 700 * normal(rand));
    const grade = pick(rand, [1, 2, 3.5, 'x', 'x']);
    let score = (island === 'Biscoe' ? 1.2 : island === 'Dream' ? -0.8 : 0) + (member === 'Yes' ? 0.9 : -0.4) + (bill === null ? 0.5 : (bill - 44) / 4) + (grade === 'x' ? 0.7 : 0);
    score += 0.3 * normal(rand);
    out.push({ island, member, 'bill length (mm)': bill, mass, grade, y: score > 1 ? 'high' : score > -0.3 ? 'mid' : 'low' });
  }
  return out;
}

/** Rows to predict: unseen and rare categories, every common spelling of a blank, yes/no in any case, a word in the yes/no column. */
function predictRecords(rand: () => number): Row[] {
  const islands: Cell[] = ['Biscoe', 'Dream', 'Torgersen', 'Atlantis', 'Narnia', null, '', 'NA', 'n/a', 'None', 'NaN', 'NULL'];
  const members: Cell[] = ['Yes', 'No', 'YES', 'no', 'yEs', null, '', 'NA', 'maybe', 'N/A'];
  const out: Row[] = [];
  for (let r = 0; r < 48; r++) {
    out.push({
      island: islands[r % islands.length],
      member: members[r % members.length],
      'bill length (mm)': r % 5 === 0 ? null : Math.round((44 + 6 * normal(rand)) * 10) / 10,
      mass: Math.round(4000 + 800 * normal(rand)),
      grade: r % 7 === 0 ? null : pick(rand, [1, 2, 3.5, 'x']),
    });
  }
  return out;
}

/** A network's parameters and statistics set to non-trivial values. */
function shake(model: Sequential, rand: () => number): Sequential {
  for (const p of model.params) for (let i = 0; i < p.value.data.length; i++) p.value.data[i] += 0.3 * normal(rand);
  for (const s of model.stateTensors()) for (let i = 0; i < s.value.data.length; i++) s.value.data[i] = s.name.endsWith('running_var') ? 0.3 + 2 * rand() : 0.5 * normal(rand);
  return model;
}

describe('ONNX export of a table model, run by ONNX Runtime', () => {
  let decoded: Awaited<ReturnType<typeof decodeModelFile>>;

  before(async () => {
    const data = fromRecords(trainingRecords(300, lcg(11)), { label: 'y' });
    // Rare categories folded into (other), so the graph has that path too.
    const result = await runExperiment({ network: { widths: [8] }, train: { epochs: 3 }, data: { minCategoryCount: 3 } }, data);
    result.model.dispose();
    decoded = await decodeModelFile(result.modelFile, 'model.json');
  });
  after(() => decoded.model.dispose());

  test('the trained model has every kind of column: numbers with blanks, yes/no, categories with (other) and (missing)', () => {
    const cols = Object.fromEntries(decoded.table!.meta.columns.map((c) => [c.name, c]));
    assert.equal(cols.island.role, 'categorical');
    assert.ok(cols.island.role === 'categorical' && cols.island.other && cols.island.missing === 'slot' && !cols.island.categories.includes('Atlantis'));
    assert.equal(cols.member.role, 'boolean');
    assert.ok(cols['bill length (mm)'].role === 'numeric' && cols['bill length (mm)'].indicator);
    assert.equal(cols.mass.role, 'numeric');
    assert.ok(cols.grade.role === 'categorical' && cols.grade.categories.includes('3.5'));
  });

  test('one input per column, named after it, typed float32 or string, described in the metadata', () => {
    const graph = onnx.ModelProto.decode(exportOnnx(decoded));
    const byName = new Map(decoded.table!.meta.columns.map((c) => [c.name, c.role]));
    assert.deepEqual(
      graph.graph!.input!.map((v) => v.name),
      decoded.table!.meta.columns.map((c) => (c.name === 'bill length (mm)' ? 'bill_length_mm' : c.name)),
    );
    for (const v of graph.graph!.input!) {
      const numeric = v.name === 'mass' || v.name === 'bill_length_mm';
      assert.equal(v.type!.tensorType!.elemType, numeric ? onnx.TensorProto.DataType.FLOAT : onnx.TensorProto.DataType.STRING, v.name!);
      assert.deepEqual(v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue)), ['batch', 1]);
    }
    assert.match(graph.graph!.input!.find((v) => v.name === 'bill_length_mm')!.docString!, /^column "bill length \(mm\)": numbers/);
    const meta = Object.fromEntries(graph.metadataProps.map((p) => [p.key, p.value]));
    const listed = JSON.parse(meta['mlplab.inputs']!) as { name: string; type: string; onnxInput: string; role: string }[];
    assert.deepEqual(listed.map((i) => [i.name, i.role]), [...byName]);
    assert.deepEqual(listed.find((i) => i.name === 'bill length (mm)'), { name: 'bill length (mm)', type: 'float32', onnxInput: 'bill_length_mm', role: 'numeric' });
    assert.deepEqual(JSON.parse(meta['mlplab.blank_texts']!), ONNX_BLANK_TEXTS);
    assert.deepEqual(graph.opsetImport.map((o) => [o.domain, Number(o.version)]), [['', 17], ['ai.onnx.ml', 3]]);
    const ops = new Set(graph.graph!.node!.map((n) => n.opType));
    for (const op of ['LabelEncoder', 'StringNormalizer', 'IsNaN', 'Where', 'Equal', 'Concat']) assert.ok(ops.has(op), op);
  });

  test(`gives the Predictor's labels and probabilities on rows with unseen categories and blank cells`, async () => {
    const records = predictRecords(lcg(12));
    const { counts } = predictor(decoded).encode(fromRecords(records));
    assert.ok(counts!.unknown.get('island')!.rows > 0 && counts!.unknown.get('member')!.rows > 0, 'unseen values met');
    for (const c of ['island', 'member', 'bill length (mm)', 'grade']) assert.ok((counts!.imputed.get(c) ?? 0) > 0, `blanks in ${c}`);
    await assertSameAsPredictor(decoded, records, 'table model');
  });

  test(`gives the Predictor's outputs on the training rows (a model that learned: not all one class)`, async () => {
    const records = trainingRecords(300, lcg(11)).map(({ y: _, ...r }) => r);
    const labels = predictor(decoded).predict(fromRecords(records));
    assert.ok(new Set(labels).size > 1, 'more than one class predicted');
    await assertSameAsPredictor(decoded, records, 'training rows');
  });

  test('a table model that is a seed ensemble: the mean over its networks', async () => {
    const members = [1, 2].map((seed) => shake(Sequential.create(decoded.model.options, { seed }), lcg(seed)));
    try {
      await assertSameAsPredictor({ ...decoded, members }, predictRecords(lcg(13)), 'table ensemble');
    } finally {
      for (const m of members) m.dispose();
    }
  });
});

test("a table model with piecewise-linear bins: ONNX Runtime gives the Predictor's outputs, values beyond the training range and blanks included", async () => {
  const data = fromRecords(trainingRecords(300, lcg(11)), { label: 'y' });
  const result = await runExperiment({ network: { widths: [8] }, train: { epochs: 3 }, data: { numericBins: 6 } }, data);
  result.model.dispose();
  const c = await decodeModelFile(result.modelFile, 'model.json');
  try {
    const mass = c.table!.meta.columns.find((x) => x.name === 'mass')!;
    assert.ok(mass.role === 'numeric' && mass.bins?.length === 7, 'mass: 6 bins');
    const ops = new Set(onnx.ModelProto.decode(exportOnnx(c)).graph!.node!.map((n) => n.opType));
    for (const op of ['Sub', 'Div', 'Max', 'Min']) assert.ok(ops.has(op), op);
    const records = predictRecords(lcg(14));
    records[0].mass = 1e6;
    records[1].mass = -1e6;
    records[2]['bill length (mm)'] = 500;
    await assertSameAsPredictor(c, records, 'binned table model');
  } finally {
    c.model.dispose();
  }
});

describe('ONNX export of a hand-made table encoder', () => {
  const meta: TableMeta = {
    format: 'mlplab-table',
    version: 1,
    named: true,
    inputs: ['label', 'id', '2nd value', 'cast_0', 'a b', 'a_b', 'probabilities', 'flag', 'empty'],
    columns: [
      { name: 'label', role: 'categorical', categories: ['p', 'q', '7'], other: false, missing: 1 },
      { name: '2nd value', role: 'numeric', impute: 2.5, indicator: true },
      { name: 'cast_0', role: 'numeric', impute: -1, indicator: false },
      { name: 'a b', role: 'categorical', categories: ['u'], other: true, missing: 'slot' },
      { name: 'a_b', role: 'boolean', yes: 'True', no: 'False', impute: 1, indicator: true },
      { name: 'probabilities', role: 'categorical', categories: ['k'], other: true, missing: 0 },
      { name: 'flag', role: 'boolean', yes: 'y', no: 'n', impute: 0, indicator: false },
      { name: 'empty', role: 'categorical', categories: [], other: false, missing: 'slot' },
    ],
    unknown: 'other',
    label: 'target',
  };
  const table = new TableEncoder(meta);
  const rand = lcg(21);
  const options: ModelOptions = { inputs: table.outputCols, classes: 4, hidden: [{ width: 6, activation: 'tanh', batchNorm: true, dropout: 0 }] };
  const model = shake(Sequential.create(options, { seed: 3 }), rand);
  const pipeline = new Pipeline(
    table.outputCols,
    { kind: 'standard', shift: Float64Array.from({ length: table.outputCols }, () => normal(rand)), scale: Float64Array.from({ length: table.outputCols }, () => 0.5 + rand()) },
    null,
  );
  const c: ModelFileContents = { model, pipeline, table, classNames: ['w', 'x', 'y', 'z'] };
  after(() => model.dispose());

  test('input names are identifiers, distinct, and never an output name or a generated name', () => {
    assert.deepEqual(
      onnxInputs(c).table!.map((i) => i.onnxInput),
      ['label_2', '_2nd_value', 'cast_0', 'a_b_2', 'a_b', 'probabilities_2', 'flag', 'empty'],
    );
    const graph = onnx.ModelProto.decode(exportOnnx(c)).graph!;
    const produced = graph.node!.flatMap((n) => n.output!);
    assert.equal(new Set(produced).size, produced.length);
    for (const v of graph.input!) assert.ok(!produced.includes(v.name!), `${v.name} is also a node output`);
    const inits = graph.initializer!.map((t) => t.name);
    assert.equal(new Set(inits).size, inits.length);
  });

  test(`gives the Predictor's outputs: a blank imputed as a category, unseen texts with no (other) column, yes/no indicators`, async () => {
    const records: Row[] = [];
    const labels: Cell[] = ['p', 'q', 7, 'r', null, 'NA', '?', '#N/A', '<NA>', '-nan', 'null'];
    const flags: Cell[] = ['TRUE', 'false', 'True', null, 'maybe', 'NONE', 'n/A', '-NaN'];
    for (let r = 0; r < 44; r++) {
      records.push({
        label: labels[r % labels.length],
        id: r,
        '2nd value': r % 3 === 0 ? null : r % 11 === 1 ? Infinity : normal(rand),
        cast_0: r % 4 === 0 ? null : 3 * normal(rand),
        'a b': ['u', 'v', null, 'None'][r % 4],
        a_b: flags[r % flags.length],
        probabilities: ['k', 'kk', null][r % 3],
        flag: ['Y', 'n', 'x', null, ''][r % 5],
        empty: [null, 'w'][r % 2],
      });
    }
    await assertSameAsPredictor(c, records, 'hand-made encoder');
  });
});

describe('ONNX export of a seed ensemble', () => {
  const rand = lcg(31);
  const options: ModelOptions = {
    inputs: 7,
    classes: 3,
    hidden: [
      { width: 10, activation: 'gelu', batchNorm: true, dropout: 0.1 },
      { width: 5, activation: 'relu', batchNorm: false, dropout: 0 },
    ],
  };
  const model = shake(Sequential.create(options, { seed: 0 }), rand);
  const members = [1, 2].map((seed) => shake(Sequential.create(options, { seed }), rand));
  const pipeline = new Pipeline(7, { kind: 'minmax', shift: Float64Array.from({ length: 7 }, () => normal(rand)), scale: Float64Array.from({ length: 7 }, () => 0.3 + rand()) }, null);
  const c: ModelFileContents = { model, members, pipeline, classNames: ['a', 'b', 'c'] };
  after(() => [model, ...members].forEach((m) => m.dispose()));

  test(`probabilities are the mean of the networks' (ensembleProba), the label its ArgMax`, async () => {
    const rows = 80;
    const raw = Float32Array.from({ length: rows * 7 }, () => 2 * normal(rand));
    const x = pipeline.transform(raw, rows);
    const expected = ensembleProba(c, x, rows);
    const got = await runOnnx(exportOnnx(c), raw, rows, 7);
    assertAbsClose(got.probabilities, expected, 1e-5, 'probabilities');
    assert.deepEqual(Array.from(got.label, Number), Array.from(predictor(c).predict({ features: raw, rows, cols: 7 })), 'labels');
    // The ensemble is not its first network: the mean differs from the first network's probabilities.
    const first = model.predictProba(x, rows);
    assert.ok(first.some((v, i) => Math.abs(v - expected[i]) > 1e-3));
  });

  test(`each network once, member i's initialisers prefixed ensemble<i>., Softmax each, then Mean and ArgMax`, () => {
    const graph = onnx.ModelProto.decode(exportOnnx(c)).graph!;
    const inits = graph.initializer!.map((t) => t.name!);
    assert.equal(new Set(inits).size, inits.length);
    for (const name of ['hidden0.linear.weight', 'ensemble1.hidden0.linear.weight', 'ensemble2.hidden0.batchnorm.running_var', 'ensemble2.output.bias', 'ensemble1.hidden0.gelu.one']) assert.ok(inits.includes(name), name);
    const ops = graph.node!.map((n) => n.opType);
    assert.equal(ops.filter((o) => o === 'Softmax').length, 3);
    assert.equal(ops.filter((o) => o === 'Gemm').length, 9);
    assert.deepEqual(ops.slice(-2), ['Mean', 'ArgMax']);
    assert.deepEqual(graph.node!.at(-1)!.input, ['probabilities']);
    const meta = Object.fromEntries(onnx.ModelProto.decode(exportOnnx(c)).metadataProps.map((p) => [p.key, p.value]));
    assert.equal(meta['mlplab.ensemble'], '3');
  });

  test('no members is the single-network graph, byte for byte', () => {
    assert.deepEqual(exportOnnx({ ...c, members: [] }), exportOnnx({ model, pipeline, classNames: c.classNames }));
    const ops = onnx.ModelProto.decode(exportOnnx({ ...c, members: [] })).graph!.node!.map((n) => n.opType);
    assert.deepEqual(ops.slice(-2), ['Softmax', 'ArgMax']);
  });

  test('the model file keeps the members bit for bit, and the file exports to the same graph', async () => {
    const back = await decodeModelFile(await encodeModelFile(c), 'model.json');
    try {
      assert.equal(back.members!.length, 2);
      back.members!.forEach((m, i) => {
        const want = [...members[i].params.map((p) => p.value.data), ...members[i].stateTensors().map((s) => s.value.data)];
        const got = [...m.params.map((p) => p.value.data), ...m.stateTensors().map((s) => s.value.data)];
        assert.equal(got.length, want.length);
        got.forEach((d, j) => assert.ok(sameBits(d, want[j]), `member ${i + 1}, tensor ${j}`));
      });
      assert.deepEqual(exportOnnx(back), exportOnnx(c));
    } finally {
      [back.model, ...(back.members ?? [])].forEach((m) => m.dispose());
    }
  });

  test('refuses a member that does not fit', () => {
    const other = Sequential.create({ ...options, classes: 4 }, { seed: 5 });
    assert.throws(() => exportOnnx({ ...c, members: [other] }), /ensemble member 1/);
    other.dispose();
  });
});
