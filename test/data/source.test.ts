import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Command } from 'commander';
import { describeSource, formatSourceInfo, registerDataCommands } from '../../src/cli/data.js';
import { parseNpy, writeNpy } from '../../src/data/formats/npy.js';
import { loadFeatures, loadSource } from '../../src/data/files.js';
import { memoryFiles, resolveSource } from '../../src/data/source.js';
import { ConfigError, DataError } from '../../src/errors.js';
import { FIXTURES, fixture, rejectsDataError, tempDir } from './helpers.js';

let dir = '';
let cleanup = () => {};
const p = (...parts: string[]) => join(dir, ...parts);

// A small data set in the study's layout: 12 rows x 3 features, labels 0..2 as an (N, 1) int64 column.
const trainX = Float32Array.from({ length: 36 }, (_, i) => i / 4);
const trainY = BigInt64Array.from({ length: 12 }, (_, i) => BigInt(i % 3));
const testX = Float64Array.from({ length: 9 }, (_, i) => -i);
const testY = Uint8Array.from([2, 1, 0]);

function put(path: string, bytes: Uint8Array | string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, bytes);
}

before(() => {
  ({ dir, cleanup } = tempDir());
  put(p('study', 'train_data.npy'), writeNpy(trainX, [12, 3]));
  put(p('study', 'train_label.npy'), writeNpy(trainY, [12, 1]));
  put(p('study', 'test_data.npy'), writeNpy(testX, [3, 3]));
  put(p('study', 'test_label.npy'), writeNpy(testY, [3]));
  put(p('study', 'class_names.json'), '["a", "b", "c"]');
  put(p('idx', 'train-images-idx3-ubyte.gz'), gzipSync(fixture('idx', 'images-idx3-ubyte')));
  put(p('idx', 'train-labels-idx1-ubyte'), fixture('idx', 'labels-idx1-ubyte'));
  put(p('train.csv'), 'x1,x2,label\n1,2,0\n3,4,1\n5,6,1\n');
  put(p('test.csv'), 'x1,x2,label\n7,8,0\n');
  put(p('iris.csv'), 'sl,sw,species\n5.1,3.5,setosa\n7,3.2,versicolor\n');
  put(p('labels.csv'), '0\n1\n1\n');
});
after(() => cleanup());

const readBytes = (path: string) => new Uint8Array(readFileSync(path));

test('a folder in the study layout loads train and test, with the (N, 1) label column and class names', async () => {
  const { train, test, notes } = await loadSource(p('study'));
  assert.equal(train.rows, 12);
  assert.equal(train.cols, 3);
  assert.deepEqual(Array.from(train.features), Array.from(trainX));
  assert.deepEqual(Array.from(train.labels), Array.from(trainY, Number));
  assert.deepEqual(Array.from(test!.features), Array.from(testX));
  assert.deepEqual(Array.from(test!.labels), [2, 1, 0]);
  assert.deepEqual(train.classNames, ['a', 'b', 'c']);
  assert.match(notes[0].summary, /train_data\.npy: float32 \(12, 3\) \(\.npy 1\.0\)/);
});

test('pairs, four-file lists, IDX folders, npz archives and CSV files are all sources', async () => {
  const pair = await loadSource(`${p('study', 'train_data.npy')},${p('study', 'train_label.npy')}`);
  assert.equal(pair.test, null);
  assert.equal(pair.train.rows, 12);
  const four = await loadSource(['train_data', 'train_label', 'test_data', 'test_label'].map((n) => p('study', `${n}.npy`)).join(','));
  assert.equal(four.test!.rows, 3);
  const idx = await loadSource(p('idx'));
  assert.equal(idx.train.rows, 2);
  assert.equal(idx.train.cols, 9);
  // Labels 7 and 2 are the sorted distinct classes 2 and 7: indices 1 and 0, their values kept.
  assert.deepEqual(Array.from(idx.train.labels), [1, 0]);
  assert.deepEqual(idx.train.classValues, [2, 7]);
  assert.deepEqual(idx.train.classNames, ['2', '7']);
  assert.ok(idx.notes.some((n) => n.name === 'flatten'));
  const npz = await loadSource(join(FIXTURES, 'npy', 'keras.npz'));
  assert.equal(npz.train.rows, 5);
  assert.deepEqual(Array.from(npz.test!.labels), [1, 0, 1]);
  const csv = await loadSource(p('train.csv'));
  assert.deepEqual(Array.from(csv.train.labels), [0, 1, 1]);
  assert.match(csv.notes[0].summary, /labels from "label" \(column 2\) \(chosen by default/);
  const csvPair = await loadSource(`${p('train.csv')},${p('test.csv')}`);
  assert.deepEqual(Array.from(csvPair.test!.features), [7, 8]);
  const csvLabels = await loadSource(`${p('train.csv')},${p('labels.csv')}`, { labelColumn: 'x1' });
  assert.equal(csvLabels.test, null);
  const iris = await loadSource(p('iris.csv'));
  assert.deepEqual(iris.train.classNames, ['setosa', 'versicolor']);
  const features = await loadFeatures(p('study', 'test_data.npy'));
  assert.deepEqual([features.rows, features.cols], [3, 3]);
  const csvFeatures = await loadFeatures(p('train.csv'));
  assert.deepEqual([csvFeatures.rows, csvFeatures.cols], [3, 3]);
});

test('bad input as a new user would give it: one DataError naming the file and the problem', async () => {
  const bad = (name: string, bytes: Uint8Array | string) => {
    put(p('bad', name), bytes);
    return p('bad', name);
  };
  const good = writeNpy(trainX, [12, 3]);
  const labels = bad('labels.npy', writeNpy(trainY, [12, 1]));
  const pair = (data: string, lab = labels) => loadSource(`${data},${lab}`);

  await rejectsDataError(loadSource(p('nowhere')), p('nowhere'), /no such file or folder; expected 'fashion-mnist'/);
  await rejectsDataError(pair(p('missing.npy')), p('missing.npy'), /no such file/);
  await rejectsDataError(pair(bad('empty.npy', '')), p('bad', 'empty.npy'), /empty \(0 bytes\)/);
  await rejectsDataError(pair(bad('trunc.npy', good.subarray(0, good.length - 5))), p('bad', 'trunc.npy'), /truncated/);
  const lying = good.slice();
  lying.set(new TextEncoder().encode("'shape': (13, 3)"), new TextDecoder().decode(good.subarray(0, 100)).indexOf("'shape'"));
  await rejectsDataError(pair(bad('lying.npy', lying)), p('bad', 'lying.npy'), /truncated \(or its header is wrong\): header says shape \(13, 3\)/);
  await rejectsDataError(pair(bad('magic.npy', Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]))), p('bad', 'magic.npy'), /wrong magic bytes/);
  // Labels with fractions are a quantity: regression, unless classes are asked for.
  const frac = bad('frac.npy', writeNpy(Float64Array.from({ length: 12 }, (_, i) => i / 2), [12]));
  await rejectsDataError(loadSource(`${p('study', 'train_data.npy')},${frac}`, { task: 'classify' }), p('bad', 'frac.npy'), /label 0\.5 at row 1 is not a whole number/);
  // Whole numbers beyond 2^53 lose their last digits as doubles: refused as classes, not merged.
  const huge = bad('huge.npy', writeNpy(BigInt64Array.from({ length: 12 }, (_, i) => 2n ** 60n + BigInt(i % 3)), [12]));
  await rejectsDataError(loadSource(`${p('study', 'train_data.npy')},${huge}`, { task: 'classify' }), p('bad', 'huge.npy'), /label 1\.15292e\+18 at row 0 is beyond 2\^53 \(9,007,199,254,740,991\), where whole numbers lose their last digits and two classes could merge/);
  // A constant regression target is named by its own file, not the features'.
  const constant = bad('const.npy', writeNpy(new Float64Array(12).fill(1.5), [12]));
  await rejectsDataError(loadSource(`${p('study', 'train_data.npy')},${constant}`, { task: 'regress' }), p('bad', 'const.npy'), /the target "target" is 1\.5 in every one of its 12 training rows; a constant has nothing to learn/);
  const regression = await loadSource(`${p('study', 'train_data.npy')},${frac}`);
  assert.deepEqual(Array.from(regression.train.targets!), Array.from({ length: 12 }, (_, i) => i / 2));
  assert.match(regression.notes.find((n) => n.name === 'task')!.summary, /^Regression of "target": the labels are numbers with fractions \(0\.5 at row 1\)/);
  // Negative labels are classes like any other: -1 .. 10 are classes 0 .. 11.
  const negative = await pair(p('study', 'train_data.npy'), bad('neg.npy', writeNpy(Int32Array.from({ length: 12 }, (_, i) => i - 1), [12, 1])));
  assert.deepEqual(negative.train.classValues, Array.from({ length: 12 }, (_, i) => i - 1));
  assert.deepEqual(Array.from(negative.train.labels), Array.from({ length: 12 }, (_, i) => i));
  await rejectsDataError(
    pair(p('study', 'train_data.npy'), bad('short.npy', writeNpy(Int32Array.from({ length: 11 }), [11]))),
    p('bad', 'short.npy'),
    /has 11 labels but .*train_data\.npy has 12 rows/,
  );
  await rejectsDataError(
    pair(p('study', 'train_data.npy'), bad('wide.npy', writeNpy(Int32Array.from({ length: 24 }), [12, 2]))),
    p('bad', 'wide.npy'),
    /labels must have shape \(N,\) or \(N, 1\), got \(12, 2\)/,
  );
  // Test features of another width than the training features.
  put(p('width', 'train_data.npy'), good);
  put(p('width', 'train_label.npy'), writeNpy(trainY, [12, 1]));
  put(p('width', 'test_data.npy'), writeNpy(new Float32Array(12), [3, 4]));
  put(p('width', 'test_label.npy'), writeNpy(testY, [3]));
  await rejectsDataError(loadSource(p('width')), p('width', 'test_data.npy'), /has 4 features per row, but the training data .* has 3/);
  // A folder with a test data file but no test labels, and one with nothing usable.
  put(p('half', 'train_data.npy'), good);
  put(p('half', 'train_label.npy'), writeNpy(trainY, [12, 1]));
  put(p('half', 'test_data.npy'), good);
  await rejectsDataError(loadSource(p('half')), p('half', 'test_label.npy'), /no such file; a test set needs both/);
  put(p('nolabels', 'train_data.npy'), good);
  await rejectsDataError(loadSource(p('nolabels')), p('nolabels', 'train_label.npy'), /no such file/);
  put(p('other', 'notes.txt'), 'hello');
  await rejectsDataError(loadSource(p('other')), p('other'), /without training data: it holds notes\.txt/);
  await rejectsDataError(loadSource(p('study', 'train_data.npy')), p('study', 'train_data.npy'), /single array with no labels/);
  // Text in the data file of a pair (the table's own columns are typed by prepare).
  await rejectsDataError(pair(bad('text.csv', 'a,b\n1,oops\n2,3\n'), labels), p('bad', 'text.csv'), /column "b" holds text \("oops"\); the data file of a pair must be numbers/);
  await rejectsDataError(pair(bad('gz.npy.gz', gzipSync(Buffer.from(good)).subarray(0, 30))), p('bad', 'gz.npy.gz'), /not readable gzip data/);
  await rejectsDataError(loadSource(`${p('study', 'train_data.npy')},${labels},x`), /,/, /lists 3 files/);
  await rejectsDataError(loadSource(bad('obj.npz', readBytes(join(FIXTURES, 'npy', 'study.npz')).subarray(0, 50))), p('bad', 'obj.npz'), /not a readable zip/);
});

test('data info describes shapes, ranges, nulls and class balance; data export writes the study layout', async () => {
  const info = await describeSource(p('study'));
  assert.equal(info.classes, 3);
  assert.deepEqual(info.parts.map((x) => [x.part, x.rows, x.cols]), [['train', 12, 3], ['test', 3, 3]]);
  assert.deepEqual(info.parts[0].classes.map((c) => [c.name, c.rows]), [['a', 4], ['b', 4], ['c', 4]]);
  assert.equal(info.parts[0].max, 35 / 4);
  const text = formatSourceInfo(info);
  assert.match(text, /train: 12 rows x 3 features/);
  assert.match(text, /NaN\/infinite values: none/);

  const program = new Command().exitOverride();
  registerDataCommands(program);
  const out = p('exported');
  const write = process.stdout.write.bind(process.stdout);
  const printed: string[] = [];
  process.stdout.write = ((s: string) => (printed.push(s), true)) as typeof process.stdout.write;
  try {
    await program.parseAsync(['data', 'export', p('study'), '--pca', '2', '--scale', 'standard', '--out', out], { from: 'user' });
  } finally {
    process.stdout.write = write;
  }
  assert.ok(printed.some((s) => /PCA 3 -> 2 components/.test(s)));
  const x = parseNpy(readBytes(join(out, 'train_data.npy')), 'x');
  assert.deepEqual(x.shape, [12, 2]);
  assert.equal(x.descr, '<f4');
  const y = parseNpy(readBytes(join(out, 'train_label.npy')), 'y');
  assert.deepEqual([y.descr, ...y.shape], ['<i8', 12, 1]);
  assert.deepEqual(Array.from(y.data), Array.from(trainY, Number));
  assert.deepEqual(parseNpy(readBytes(join(out, 'test_data.npy')), 't').shape, [3, 2]);
  // The exported folder is itself a source, with the class names carried along.
  const again = await loadSource(out);
  assert.deepEqual(again.train.classNames, ['a', 'b', 'c']);
  assert.deepEqual(Array.from(again.train.features), Array.from(x.data));

  await assert.rejects(program.parseAsync(['data', 'export', p('study'), '--pca', 'x', '--out', out], { from: 'user' }), ConfigError);
  await assert.rejects(program.parseAsync(['data', 'info', p('nowhere')], { from: 'user' }), DataError);
});

test('only files.ts touches Node APIs, so the browser resolves sources with the same code', () => {
  const srcDir = fileURLToPath(new URL('../../src/data/', import.meta.url));
  const nodeOnly = readdirSync(srcDir)
    .filter((f) => f.endsWith('.js'))
    .filter((f) => /from ['"]node:/.test(readFileSync(join(srcDir, f), 'utf8')));
  assert.deepEqual(nodeOnly.sort(), ['files.js']);
});

test('files held in memory resolve exactly as the same files on disk (the page and the command line agree)', async () => {
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
  const memory = memoryFiles(new Map(walk(dir).map((f) => [f, readBytes(f)])));
  const sources = [
    p('study'),
    p('idx'),
    `${p('study', 'train_data.npy')},${p('study', 'train_label.npy')}`,
    `${p('train.csv')},${p('test.csv')}`,
    p('iris.csv'),
    `${p('train.csv')},${p('labels.csv')}`,
  ];
  for (const source of sources) {
    const disk = await loadSource(source);
    const mem = await resolveSource(source, memory);
    for (const part of ['train', 'test'] as const) {
      assert.deepEqual(mem[part] && { ...mem[part], features: Array.from(mem[part]!.features), labels: Array.from(mem[part]!.labels) }, disk[part] && { ...disk[part], features: Array.from(disk[part]!.features), labels: Array.from(disk[part]!.labels) }, `${source} ${part}`);
    }
    assert.deepEqual(mem.notes.map((n) => n.summary), disk.notes.map((n) => n.summary), source);
  }
  await rejectsDataError(resolveSource(p('nowhere'), memory), p('nowhere'), /no such file or folder/);
  await rejectsDataError(resolveSource('fashion-mnist', memory), 'fashion-mnist', /the built-in data is not available here/);
});
