#!/usr/bin/env node
/**
 * Cut the playground's built-in data from Fashion-MNIST: the first `trainPerClass` training
 * images of every class and the first `testPerClass` test images of every class, in file
 * order (the files are already shuffled, so classes stay mixed). The subset is written in the
 * original IDX format, gzip-compressed, so the page reads it with the library's parseIdx.
 *
 * Used by web/vite.config.ts at build and dev time; run alone to write the files somewhere:
 *   node scripts/web-fashion-subset.mjs <out-dir>
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Folders searched for the IDX files, first match wins. */
export function fashionSearchPath() {
  return [
    process.env.MLPLAB_FASHION_MNIST,
    join(ROOT, 'data', 'fashion-mnist'),
    // Debian's dataset-fashion-mnist package installs the original files here.
    '/usr/share/datasets/fashion-mnist',
  ].filter((d) => typeof d === 'string' && d.length > 0);
}

const SOURCES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

function findSourceDir() {
  const tried = fashionSearchPath();
  for (const dir of tried) {
    if (Object.values(SOURCES).every((name) => existsSync(join(dir, `${name}.gz`)) || existsSync(join(dir, name)))) return dir;
  }
  throw new Error(
    `Fashion-MNIST IDX files (${Object.values(SOURCES).join(', ')}, optionally .gz) not found in ${tried.join(' or ')}. ` +
      'The playground cuts its built-in data from them: install Debian\'s dataset-fashion-mnist or set MLPLAB_FASHION_MNIST to their folder.',
  );
}

function readIdx(dir, name) {
  const gz = join(dir, `${name}.gz`);
  const bytes = existsSync(gz) ? gunzipSync(readFileSync(gz)) : readFileSync(join(dir, name));
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08) throw new Error(`${join(dir, name)}: not an unsigned-byte IDX file`);
  const nd = bytes[3];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: nd }, (_, d) => dv.getUint32(4 + 4 * d, false));
  const start = 4 + 4 * nd;
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - start !== count) throw new Error(`${join(dir, name)}: ${bytes.length - start} data bytes, header says ${count}`);
  return { shape, data: bytes.subarray(start) };
}

function writeIdx(shape, data) {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = 0x08;
  header[3] = shape.length;
  shape.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return gzipSync(Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]), { level: 6 });
}

function pick(images, labels, perClass) {
  const [n, h, w] = images.shape;
  const size = h * w;
  const taken = new Map();
  const rows = [];
  for (let i = 0; i < n; i++) {
    const c = labels.data[i];
    const k = taken.get(c) ?? 0;
    if (k < perClass) {
      taken.set(c, k + 1);
      rows.push(i);
    }
  }
  const outImages = new Uint8Array(rows.length * size);
  const outLabels = new Uint8Array(rows.length);
  rows.forEach((r, j) => {
    outImages.set(images.data.subarray(r * size, r * size + size), j * size);
    outLabels[j] = labels.data[r];
  });
  return { images: writeIdx([rows.length, h, w], outImages), labels: writeIdx([rows.length], outLabels) };
}

/**
 * The subset as gzip-compressed IDX files keyed by their file name in the site
 * (`train-images-idx3-ubyte.gz`, ...).
 */
export function fashionSubset({ trainPerClass = 1000, testPerClass = 200 } = {}) {
  const dir = findSourceDir();
  const train = pick(readIdx(dir, SOURCES.trainImages), readIdx(dir, SOURCES.trainLabels), trainPerClass);
  const test = pick(readIdx(dir, SOURCES.testImages), readIdx(dir, SOURCES.testLabels), testPerClass);
  return new Map([
    [`${SOURCES.trainImages}.gz`, train.images],
    [`${SOURCES.trainLabels}.gz`, train.labels],
    [`${SOURCES.testImages}.gz`, test.images],
    [`${SOURCES.testLabels}.gz`, test.labels],
  ]);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node scripts/web-fashion-subset.mjs <out-dir>');
    process.exit(2);
  }
  mkdirSync(out, { recursive: true });
  for (const [name, bytes] of fashionSubset()) {
    writeFileSync(join(out, name), bytes);
    console.log(`${join(out, name)}  ${bytes.length.toLocaleString('en-US')} bytes`);
  }
}
