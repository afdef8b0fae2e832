// --threads on the command line: bad counts are refused with the flag, the value and the
// allowed range; a run says which kernel build and how many threads ran; the same seed
// trains the same model on one thread and on all of them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { mlplab, tempDir, writeStudyFolder } from './helpers.js';

const cores = availableParallelism();

describe('mlplab --threads', () => {
  test('0, negative, fractional, words and more than the cores are refused by train, evaluate and predict', () => {
    const cases: [string, string[]][] = [
      ...['0', '-2', '1.5', 'many', String(cores + 1)].map((bad): [string, string[]] => [bad, ['train', '--data', 'nowhere']]),
      ['0', ['evaluate', '--model', 'none.json']],
      [String(cores + 1), ['predict', '--model', 'none.json', '--input', 'x.npy', '--out', 'p.csv']],
    ];
    for (const [bad, args] of cases) {
      const r = mlplab([...args, '--threads', bad]);
      assert.equal(r.status, 1, `${args[0]} --threads ${bad}`);
      assert.match(r.stderr, new RegExp(`--threads: got "${bad.replace('.', '\\.')}", expected a whole number from 1 to ${cores} \\(this machine's cores\\), or "auto"`));
    }
  });

  test('a run names the kernel build and the threads, and one thread and all threads train the same model', () => {
    const data = tempDir();
    writeStudyFolder(data, { train: 300, test: 60 });
    const models: string[] = [];
    for (const threads of ['1', 'auto']) {
      const out = join(tempDir(), 'run');
      const r = mlplab(['train', '--data', data, '--epochs', '2', '--seed', '4', '--out', out, '--no-early-stopping', '--threads', threads]);
      assert.equal(r.status, 0, r.stderr);
      const want = threads === '1' ? 1 : cores;
      assert.match(r.stdout, new RegExp(`kernels: wasm (relaxed-SIMD|SIMD), ${want} threads?`));
      // Node 20 runs the relaxed build only with the flag bin/mlplab sets for itself.
      assert.match(r.stdout, /kernels: wasm relaxed-SIMD/);
      const file = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as { tensors: unknown[] };
      models.push(JSON.stringify(file.tensors));
    }
    assert.equal(models[1], models[0], 'the model files hold the same tensors');
  });
});
