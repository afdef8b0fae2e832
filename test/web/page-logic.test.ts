/**
 * The playground's logic that needs no browser: reading the person's files into a dataset,
 * and labelling runs by what changed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zipSync } from 'fflate';
import { DataError, PRESETS, mergeSpecs, prepare, resolveRun, type RawData } from '../../src/index.js';
import { describeTable, memoryFiles, resolveSource, writeNpy } from '../../src/data/index.js';
import { assembleUserData, parseUserFile, sourceOf, type ParsedFile, type Slot } from '../../web/src/data.js';
import { differences, describeRun, labelRun } from '../../web/src/runs.js';
import { shown } from '../../web/src/dom.js';

const enc = (text: string) => new TextEncoder().encode(text);

test('a CSV with text labels becomes features, labels and sorted class names', async () => {
  const csv = 'a,b,species\n1,2,setosa\n3,4,virginica\n5,6,setosa\n';
  const f = await parseUserFile('iris.csv', enc(csv));
  assert.equal(f.hasLabels, true);
  const d = await assembleUserData({ trainData: f });
  assert.deepEqual(Array.from(d.train.features), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(d.train.labels), [0, 1, 0]);
  assert.equal(d.train.rows, 3);
  assert.equal(d.train.cols, 2);
  assert.deepEqual(d.classNames, ['setosa', 'virginica']);
  assert.equal(d.test, null);
  assert.equal(d.image, null, 'two columns are not an image');
});

test('a CSV table with text, yes/no and blank cells keeps its columns on the way to the worker, where it is prepared as the command line prepares it', async () => {
  const rows = Array.from({ length: 30 }, (_, i) => [['Adelie', 'Gentoo', 'Chinstrap'][i % 3], i % 7 === 3 ? '' : ['Biscoe', 'Dream'][i % 2], i % 5 === 2 ? '' : String(38 + (i % 3) * 6 + (i % 4)), i % 2 ? 'yes' : 'no'].join(','));
  const bytes = enc(['species,island,bill_mm,smoker', ...rows].join('\n'));
  const opts = { labelColumn: 'species' };
  const d = await assembleUserData({ trainData: await parseUserFile('p.csv', bytes, opts) }, opts);
  assert.equal(d.image, null, 'table rows are never drawn as images');
  assert.deepEqual(d.classNames, ['Adelie', 'Chinstrap', 'Gentoo']);
  assert.deepEqual(d.train.table!.names, ['island', 'bill_mm', 'smoker']);
  assert.deepEqual(describeTable(d.train).map((c) => c.type), ['categorical', 'numeric', 'boolean']);
  // The command line reads the same file into the same cells and columns.
  const cli = await resolveSource('p.csv', memoryFiles(new Map([['p.csv', bytes]])), opts);
  assert.deepEqual(cli.train.table, d.train.table);
  assert.deepEqual(Array.from(cli.train.features), Array.from(d.train.features));
  // What the page posts to the worker (session.ts), as structured clone delivers it there.
  const raw: RawData = { train: { ...d.train, classNames: d.classNames }, test: d.test, notes: d.notes };
  const sent = structuredClone(raw);
  assert.deepEqual(sent.train.table, raw.train.table);
  const here = prepare(raw, { seed: 1, valFraction: 0.2 });
  const there = prepare(sent, { seed: 1, valFraction: 0.2 });
  assert.deepEqual(there.table!.toJSON(), here.table!.toJSON());
  assert.deepEqual(Array.from(there.train.features), Array.from(here.train.features));
  assert.ok(here.steps.some((x) => x.name === 'impute'), 'the blanks are filled, not dropped');
});

test('.npy features and labels in the study layout, with 28x28 images recognised', async () => {
  const rows = 3;
  const images = new Float32Array(rows * 784).map((_, i) => i % 256);
  const slots: Partial<Record<Slot, ParsedFile>> = {
    trainData: await parseUserFile('train_data.npy', writeNpy(images, [rows, 28, 28])),
    trainLabels: await parseUserFile('train_label.npy', writeNpy(Int32Array.from([2, 0, 1]), [rows, 1])),
  };
  assert.equal(slots.trainData!.summary, 'float32 (3, 28, 28) (.npy 1.0)');
  assert.equal(sourceOf(slots), 'train_data.npy,train_label.npy');
  const d = await assembleUserData(slots);
  assert.deepEqual(Array.from(d.train.labels), [2, 0, 1]);
  assert.deepEqual(d.classNames, ['0', '1', '2']);
  assert.deepEqual(d.image && [d.image.width, d.image.height, d.image.low, d.image.high], [28, 28, 0, 255]);
});

test('an .npz archive is the whole data set, with every name the command line accepts', async () => {
  for (const [x, y, xt, yt] of [['x_train', 'y_train', 'x_test', 'y_test'], ['train_data', 'train_label', 'test_data', 'test_label'], ['X_train', 'y_train', 'X_test', 'y_test']]) {
    const npz = zipSync({
      [`${x}.npy`]: writeNpy(new Float32Array(8), [4, 2]),
      [`${y}.npy`]: writeNpy(Int32Array.from([0, 1, 0, 1]), [4]),
      [`${xt}.npy`]: writeNpy(new Float32Array(4), [2, 2]),
      [`${yt}.npy`]: writeNpy(Int32Array.from([1, 0]), [2]),
    });
    const f = await parseUserFile('data.npz', npz);
    assert.deepEqual(f.parts, { trainData: x, trainLabel: y, testData: xt, testLabel: yt });
    const d = await assembleUserData({ trainData: f });
    assert.equal(d.train.rows, 4);
    assert.equal(d.test?.rows, 2);
    assert.deepEqual(Array.from(d.test!.labels), [1, 0]);
    // The command line reads the same archive the same way.
    const cli = await resolveSource('data.npz', memoryFiles(new Map([['data.npz', npz]])));
    assert.deepEqual(Array.from(cli.test!.labels), Array.from(d.test!.labels));
  }
});

test('bad files and mismatched files are refused with a DataError naming the file', async () => {
  const refuses = (p: Promise<unknown>, re: RegExp) => assert.rejects(p, (e: unknown) => e instanceof DataError && re.test(e.message));
  await refuses(parseUserFile('bad.npy', enc('not numpy at all')), /bad\.npy: is not a \.npy file/);
  await refuses(parseUserFile('notes.docx', enc('x')), /extension '\.docx'/);
  const train = await parseUserFile('train_data.npy', writeNpy(new Float32Array(12), [3, 4]));
  const labels = (n: number) => parseUserFile('train_label.npy', writeNpy(Int32Array.from({ length: n }, (_, i) => i % 2), [n]));
  await refuses(assembleUserData({ trainData: train }), /train_data\.npy: has no labels/);
  await refuses(assembleUserData({ trainData: train, trainLabels: await labels(2) }), /train_label\.npy: has 2 labels but train_data\.npy has 3 rows/);
  const test3 = await parseUserFile('test_data.npy', writeNpy(new Float32Array(6), [2, 3]));
  const testLabels = await parseUserFile('test_label.npy', writeNpy(Int32Array.from([0, 1]), [2]));
  await refuses(assembleUserData({ trainData: train, trainLabels: await labels(3), testData: test3, testLabels }), /test_data\.npy: has 3 features per row, but the training data \(train_data\.npy\) has 4/);
  const oneClass = await parseUserFile('train_label.npy', writeNpy(new Int32Array(3), [3]));
  await refuses(assembleUserData({ trainData: train, trainLabels: oneClass }), /a single class/);
});

test('runs are labelled by the preset they match, then by what changed', () => {
  const fashion = { name: 'Fashion-MNIST', rows: 10_000 };
  const base = resolveRun(mergeSpecs(PRESETS.default, { train: { epochs: 30 } }));
  const first = labelRun(1, base, fashion, null);
  assert.equal(first.label, '#1 study default');

  const lowerDropout = resolveRun(mergeSpecs(PRESETS.default, { train: { epochs: 30 }, network: { dropout: 0.2 } }));
  const second = labelRun(2, lowerDropout, fashion, first.settings);
  assert.equal(second.label, '#2 dropout 0.5 → 0.2');

  const same = labelRun(3, lowerDropout, fashion, second.settings);
  assert.equal(same.label, '#3 repeat (same settings)');

  // Three changes: two shown, the rest counted; momentum goes with the optimizer.
  const adam = resolveRun(mergeSpecs(PRESETS.default, { train: { epochs: 30, optimizer: 'adam', batchSize: 64 }, network: { widths: [128, 64] } }));
  const fourth = labelRun(4, adam, fashion, first.settings);
  assert.deepEqual(differences(first.settings, fourth.settings), ['widths [64, 64] → [128, 64]', 'optimizer sgd → adam', 'batch size 32 → 64']);
  assert.equal(fourth.label, '#4 widths [64, 64] → [128, 64], optimizer sgd → adam, +1 more');

  // A third layer: the layer count and the widths, not the implied activation list.
  const deeper = resolveRun(mergeSpecs(PRESETS.default, { train: { epochs: 30 }, network: { widths: [64, 64, 64] } }));
  assert.deepEqual(differences(first.settings, describeRun(deeper, fashion)), ['hidden layers 2 → 3', 'widths [64, 64] → [64, 64, 64]']);

  assert.deepEqual(differences(first.settings, describeRun(base, { name: 'Fashion-MNIST', rows: 2000 })), ['training rows 10,000 → 2,000']);

  const final = resolveRun(mergeSpecs(PRESETS.final, { train: { epochs: 30 } }));
  assert.equal(labelRun(1, final, fashion, null).label, '#1 study final');
});

test("the page shows a name's bidirectional controls instead of applying them", () => {
  // A column named with a right-to-left override would reverse the rest of a status line.
  assert.equal(shown('price\u202Egnp.exe (column 2)'), 'price<U+202E>gnp.exe (column 2)');
  assert.equal(shown('a\u2066b\u2069c'), 'a<U+2066>b<U+2069>c');
  assert.equal(shown('plain text, ü and 中文'), 'plain text, ü and 中文');
});
