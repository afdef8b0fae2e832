import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { classCounts } from '../../src/data/dataset.js';
import { FASHION_MNIST_CLASSES, type LoadedData } from '../../src/data/resolver.js';
import { loadSource } from '../../src/data/files.js';

// Loaded once for the whole file (about a second: 30 MB of gzip).
let data: LoadedData;
before(async () => {
  data = await loadSource('fashion-mnist');
});

test('the shipped Fashion-MNIST has the official 60,000 / 10,000 split of 784-pixel images', () => {
  const { train, test } = data;
  assert.equal(train.rows, 60000);
  assert.equal(train.cols, 784);
  assert.equal(test!.rows, 10000);
  assert.equal(test!.cols, 784);
  assert.equal(train.features.length, 60000 * 784);
});

test('labels are 0..9, balanced, with the class names in order', () => {
  const { train, test } = data;
  assert.deepEqual(classCounts(train.labels, 10), new Array(10).fill(6000));
  assert.deepEqual(classCounts(test!.labels, 10), new Array(10).fill(1000));
  assert.deepEqual(train.classNames, [
    'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
  ]);
  assert.deepEqual(test!.classNames, FASHION_MNIST_CLASSES);
  // First labels and pixel sums, recorded with numpy from the same files.
  assert.deepEqual(Array.from(train.labels.subarray(0, 10)), [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
  assert.deepEqual(Array.from(test!.labels.subarray(0, 10)), [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
  const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);
  assert.equal(sum(train.features.subarray(0, 784)), 76247);
  assert.equal(sum(train.features.subarray(59999 * 784)), 16684);
  assert.equal(sum(test!.features.subarray(0, 784)), 33456);
  let total = 0;
  for (let i = 0; i < test!.features.length; i++) total += test!.features[i];
  assert.equal(total, 573469082);
});

test('the notes name the shipped files without the install path', () => {
  assert.deepEqual(
    data.notes.slice(1, 3).map((n) => n.summary),
    ['fashion-mnist/train-images-idx3-ubyte.gz: uint8 (60000, 28, 28) (IDX)', 'fashion-mnist/train-labels-idx1-ubyte.gz: uint8 (60000,) (IDX)'],
  );
});
