/**
 * Decompression bombs of every format mlplab inflates: each is a file of about 2 MB that
 * inflates to 2 GiB. Loading one must fail with a DataError naming the file and both sizes,
 * and the process's peak memory (measured in a child process) must stay far below what
 * inflating the bomb would take. A member no loader needs is never inflated at all.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { writeNpy } from '../../src/data/formats/npy.js';
import { bombSize, deflateBomb, gzipBomb, zip } from './archives.js';
import { tempDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./bomb-child.js', import.meta.url));
const PIECES = 32;
/** Far below the 2 GiB a bomb inflates to; mlplab's cap here is 64 MB of output. */
const PEAK_LIMIT = 400e6;

const { dir, cleanup } = tempDir();
const p = (...parts: string[]) => join(dir, ...parts);
after(() => cleanup());

/** A .npy header for `count` uint8 values, padded to 128 bytes as numpy pads it. */
function npyHeader(count: number): Uint8Array {
  let h = `{'descr': '|u1', 'fortran_order': False, 'shape': (${count},), }`;
  h = h.padEnd(128 - 10 - 1) + '\n';
  const out = new Uint8Array(10 + h.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]);
  for (let i = 0; i < h.length; i++) out[10 + i] = h.charCodeAt(i);
  return out;
}

const total = bombSize(PIECES);
const labels = writeNpy(new Int32Array(3), [3]);
before(() => {
  const npy = npyHeader(total - 128);
  writeFileSync(p('bomb.npz'), zip([{ name: 'train_data.npy', raw: deflateBomb(npy, PIECES) }, { name: 'train_label.npy', data: labels }]));
  // The bomb is an array no loader asks for: the archive loads, the bomb untouched.
  writeFileSync(p('unused.npz'), zip([
    { name: 'junk.npy', raw: deflateBomb(npy, PIECES) },
    { name: 'x_train.npy', data: writeNpy(new Float32Array(6), [3, 2]), deflate: true },
    { name: 'y_train.npy', data: labels },
  ]));
  mkdirSync(p('npy'));
  writeFileSync(p('npy', 'train_data.npy'), gzipBomb(npy, PIECES));
  writeFileSync(p('npy', 'train_label.npy'), labels);
  mkdirSync(p('idx'));
  const idxHeader = new Uint8Array(16);
  new DataView(idxHeader.buffer).setUint32(0, 0x00000803, false);
  new DataView(idxHeader.buffer).setUint32(4, (total - 16) / 784, false);
  new DataView(idxHeader.buffer).setUint32(8, 28, false);
  new DataView(idxHeader.buffer).setUint32(12, 28, false);
  writeFileSync(p('idx', 'train-images-idx3-ubyte.gz'), gzipBomb(idxHeader, PIECES));
  writeFileSync(p('idx', 'train-labels-idx1-ubyte'), Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 1, 0));
  writeFileSync(p('rows.csv.gz'), gzipBomb(new TextEncoder().encode('a,label\n'), PIECES, new TextEncoder().encode('0,1\n')));
});

function load(mode: 'disk' | 'memory', source: string): { ok: boolean; name?: string; message?: string; maxRssBytes: number } {
  const r = spawnSync(process.execPath, [CHILD, mode, source], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const cases: [string, string, RegExp][] = [
  ['an .npz member', 'bomb.npz', /^.*bomb\.npz\[train_data\]: declares 2\.1 GB once inflated from \d+(\.\d+)? (kB|MB) compressed; .* at most 20 times its compressed size .*raise the limit/],
  ['a gzip .npy file', join('npy', 'train_data.npy'), /npy\/train_data\.npy: inflates to more than 64 MB from 2(\.\d)? MB compressed/],
  ['a gzip IDX file', join('idx', 'train-images-idx3-ubyte.gz'), /idx\/train-images-idx3-ubyte\.gz: inflates to more than 64 MB from 2(\.\d)? MB compressed/],
  ['a gzip CSV file', 'rows.csv.gz', /rows\.csv\.gz: inflates to more than 64 MB from \d+(\.\d+)? (kB|MB) compressed/],
];

for (const mode of ['disk', 'memory'] as const) {
  for (const [what, file, message] of cases) {
    test(`a bomb in ${what} (${mode === 'disk' ? 'from disk' : "through the page's in-memory files"}) is refused by name within the memory budget`, { timeout: 120_000 }, () => {
      const source = file.includes('/') ? p(file.split('/')[0]) : p(file);
      const r = load(mode, source);
      assert.equal(r.ok, false, 'the bomb loaded');
      assert.equal(r.name, 'DataError');
      assert.match(r.message!, message);
      assert.ok(r.maxRssBytes < PEAK_LIMIT, `peak memory ${(r.maxRssBytes / 1e6).toFixed(0)} MB for a bomb of ${total / 1e9} GB`);
    });
  }
}

test('an .npz array no loader needs is never inflated', { timeout: 120_000 }, () => {
  for (const mode of ['disk', 'memory'] as const) {
    const r = load(mode, p('unused.npz'));
    assert.equal(r.ok, true, r.message);
    assert.ok(r.maxRssBytes < PEAK_LIMIT, `peak memory ${(r.maxRssBytes / 1e6).toFixed(0)} MB`);
  }
});
