/**
 * The playground's logic that needs no browser: reading the person's files into a dataset,
 * and labelling runs by what changed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zipSync } from 'fflate';
import { DataError, PRESETS, mergeSpecs, resolveRun, writeNpy } from '../../src/index.js';
import { assembleUserData, parseUserFile, type ParsedFile, type Slot } from '../../web/src/data.js';
import { differences, describeRun, labelRun } from '../../web/src/runs.js';

const enc = (text: string) => new TextEncoder().encode(text);

test('a CSV with text labels becomes features, labels and sorted class names', () => {
  const csv = 'a,b,species\n1,2,setosa\n3,4,virginica\n5,6,setosa\n';
  const f = parseUserFile('iris.csv', enc(csv), 'trainData');
  assert.deepEqual(Array.from(f.features!.features), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(f.labels!), [0, 1, 0]);
  assert.deepEqual(f.classNames, ['setosa', 'virginica']);
  const d = assembleUserData({ trainData: f });
  assert.equal(d.train.rows, 3);
  assert.equal(d.train.cols, 2);
  assert.deepEqual(d.classNames, ['setosa', 'virginica']);
  assert.equal(d.test, null);
  assert.equal(d.image, null, 'two columns are not an image');
});

test('.npy features and labels in the study layout, with 28x28 images recognised', () => {
  const rows = 3;
  const images = new Float32Array(rows * 784).map((_, i) => i % 256);
  const slots: Partial<Record<Slot, ParsedFile>> = {
    trainData: parseUserFile('train_data.npy', writeNpy(images, [rows, 28, 28]), 'trainData'),
    trainLabels: parseUserFile('train_label.npy', writeNpy(Int32Array.from([2, 0, 1]), [rows, 1]), 'trainLabels'),
  };
  assert.equal(slots.trainData!.summary, '3 rows × 784 features (28×28 images)');
  const d = assembleUserData(slots);
  assert.deepEqual(Array.from(d.train.labels), [2, 0, 1]);
  assert.deepEqual(d.classNames, ['0', '1', '2']);
  assert.deepEqual(d.image && [d.image.width, d.image.height, d.image.low, d.image.high], [28, 28, 0, 255]);
});

test('an .npz archive with Keras names fills every slot', () => {
  const npz = zipSync({
    'x_train.npy': writeNpy(new Float32Array(8), [4, 2]),
    'y_train.npy': writeNpy(Int32Array.from([0, 1, 0, 1]), [4]),
    'x_test.npy': writeNpy(new Float32Array(4), [2, 2]),
    'y_test.npy': writeNpy(Int32Array.from([1, 0]), [2]),
  });
  const f = parseUserFile('data.npz', npz, 'trainData');
  assert.deepEqual(Object.keys(f.bundle ?? {}).sort(), ['testData', 'testLabels', 'trainData', 'trainLabels']);
  const d = assembleUserData(f.bundle!);
  assert.equal(d.train.rows, 4);
  assert.equal(d.test?.rows, 2);
  assert.deepEqual(Array.from(d.test!.labels), [1, 0]);
});

test('bad files and mismatched files are refused with a DataError naming the file', () => {
  assert.throws(() => parseUserFile('bad.npy', enc('not numpy at all'), 'trainData'), (e: unknown) => e instanceof DataError && /bad\.npy: is not a \.npy file/.test(e.message));
  assert.throws(() => parseUserFile('notes.docx', enc('x'), 'trainData'), (e: unknown) => e instanceof DataError && /extension '\.docx'/.test(e.message));
  const train = parseUserFile('train_data.npy', writeNpy(new Float32Array(12), [3, 4]), 'trainData');
  const labels = (n: number) => parseUserFile('train_label.npy', writeNpy(Int32Array.from({ length: n }, (_, i) => i % 2), [n]), 'trainLabels');
  assert.throws(() => assembleUserData({ trainData: train }), /train_data\.npy: has no labels/);
  assert.throws(() => assembleUserData({ trainData: train, trainLabels: labels(2) }), /train_label\.npy: holds 2 labels, but train_data\.npy has 3 rows/);
  const test3 = parseUserFile('test_data.npy', writeNpy(new Float32Array(6), [2, 3]), 'testData');
  const testLabels = parseUserFile('test_label.npy', writeNpy(Int32Array.from([0, 1]), [2]), 'testLabels');
  assert.throws(
    () => assembleUserData({ trainData: train, trainLabels: labels(3), testData: test3, testLabels }),
    (e: unknown) => e instanceof DataError && /test_data\.npy: has 3 features per row, but the training data has 4/.test(e.message),
  );
  const oneClass = parseUserFile('train_label.npy', writeNpy(new Int32Array(3), [3]), 'trainLabels');
  assert.throws(() => assembleUserData({ trainData: train, trainLabels: oneClass }), /a single class/);
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
