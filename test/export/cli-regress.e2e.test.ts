/**
 * The command line on a regression model: train on a CSV table, export to ONNX (run in ONNX
 * Runtime) and to PyTorch safetensors, import the weights back; every route predicts what
 * `mlplab predict` predicts. Bad flags are one clear line.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import * as ort from 'onnxruntime-web';
import { fromRecords } from '../../src/data/table/records.js';
import { parseSafetensors } from '../../src/export/safetensors.js';
import { decodeModelFile } from '../../src/run/model-file.js';
import { lcg } from '../helpers.js';
import { mlplab, tempDir, type CliResult } from '../cli/helpers.js';
import './ort.js'; // ONNX Runtime set up for Node

const COLUMNS = ['width', 'height', 'kind', 'depth'];

function oneLineError(r: CliResult, pattern: RegExp): void {
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^mlplab: error: /);
  assert.match(lines[0], pattern);
}

/** `mlplab predict`'s values: its CSV's last column. */
function predicted(file: string): number[] {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  return lines.slice(1).map((l) => Number(l.split(',').at(-1)));
}

function assertClose(got: ArrayLike<number>, expected: number[], tol: number, what: string): void {
  assert.equal(got.length, expected.length, what);
  const worst = expected.reduce((w, v, i) => Math.max(w, Math.abs(got[i] - v)), 0);
  assert.ok(worst <= tol, `${what}: values differ by up to ${worst}, more than ${tol}`);
}

describe('mlplab train, export and import of a regression model', () => {
  const dir = tempDir();
  const run = join(dir, 'run');
  const model = join(run, 'model.json');
  const rows: (number | string)[][] = [];
  const rand = lcg(71);
  for (let r = 0; r < 360; r++) {
    const w = Math.round(10 + 40 * rand()), h = Math.round(5 + 20 * rand()), d = Math.round(100 * rand()) / 10;
    const kind = ['oak', 'pine', 'birch'][r % 3];
    rows.push([w, h, kind, d, Math.round((w * h * (kind === 'oak' ? 1.5 : 1) + 30 * d + 40 * (rand() - 0.5)) * 100) / 100]);
  }
  const newRows = rows.slice(0, 40).map((r) => r.slice(0, 4));

  before(() => {
    writeFileSync(join(dir, 'train.csv'), ['width,height,kind,depth,price', ...rows.map((r) => r.join(','))].join('\n') + '\n');
    writeFileSync(join(dir, 'new.csv'), [COLUMNS.join(','), ...newRows.map((r) => r.join(','))].join('\n') + '\n');
    const r = mlplab(['train', '--data', join(dir, 'train.csv'), '--widths', '12', '--ensemble', '2', '--epochs', '30', '--out', run, '--quiet']);
    assert.equal(r.status, 0, r.stderr);
    const p = mlplab(['predict', '--model', model, '--input', join(dir, 'new.csv'), '--out', join(dir, 'predicted.csv')]);
    assert.equal(p.status, 0, p.stderr);
  });

  test('export --format onnx: ONNX Runtime gives the values of mlplab predict', async () => {
    const file = join(dir, 'model.onnx');
    const r = mlplab(['export', '--model', model, '--out', file]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /output value: float32 \[batch, 1\], the predicted "price" in the target's units \(the target scaling inside the graph; the mean over 2 networks\)/);
    assert.match(r.stdout, /input {2}kind: string \[batch, 1\]/);
    const session = await ort.InferenceSession.create(new Uint8Array(readFileSync(file)));
    try {
      const feeds: Record<string, ort.Tensor> = {};
      COLUMNS.forEach((c, j) => {
        feeds[c] = c === 'kind' ? new ort.Tensor('string', newRows.map((x) => String(x[j])), [40, 1]) : new ort.Tensor('float32', Float32Array.from(newRows, (x) => Number(x[j])), [40, 1]);
      });
      const { value } = await session.run(feeds);
      const expected = predicted(join(dir, 'predicted.csv'));
      assert.ok(Math.max(...expected) - Math.min(...expected) > 100, 'values that vary');
      assertClose(value.data as Float32Array, expected, 1e-5 * Math.max(...expected.map(Math.abs)), 'ONNX vs predict');
    } finally {
      await session.release();
    }
  });

  test('export --format safetensors, then import with the network it prints: predict gives the same values', async () => {
    const weights = join(dir, 'w.safetensors');
    const r = mlplab(['export', '--model', model, '--out', weights]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /a regression network: its output is the predicted "price" in the target's units \(the target scaling, x [\d.]+ \+ [\d.]+, folded into the last Linear\)/);
    assert.match(r.stdout, /the seed ensemble's 2 networks side by side in one network 2 times as wide/);
    assert.match(r.stdout, /nn\.Linear\(24, 1\),\n\)/);
    const network = /NET\.json holding\n(.*)\n/.exec(r.stdout)![1];
    assert.deepEqual(JSON.parse(network).widths, [24]);
    assert.deepEqual(parseSafetensors(new Uint8Array(readFileSync(weights)), weights).tensors.get('2.weight')!.shape, [1, 24]);
    writeFileSync(join(dir, 'net.json'), network);
    const back = join(dir, 'back.json');
    const i = mlplab(['import', weights, '--network', join(dir, 'net.json'), '--out', back]);
    assert.equal(i.status, 0, i.stderr);
    // The imported network takes the table encoder's columns (kind one-hot, and numeric bins when the run chose them): a state_dict holds no encoder.
    const { table, model: net } = await decodeModelFile(readFileSync(model, 'utf8'), 'model.json');
    net.dispose();
    assert.match(i.stdout, new RegExp(`layers ${table!.outputCols} -> 24 relu -> 1\n`));
    assert.match(i.stdout, /a regression network: its last Linear has one output row, read as the predicted "price" in the target's units \(target scaling mean 0, std 1\)\nwrote .*back\.json \(regression of "price"\)/);
    const records = newRows.map((x) => Object.fromEntries(COLUMNS.map((c, j) => [c, x[j]])));
    const { features } = table!.encode(fromRecords(records), 'new rows');
    const k = table!.outputCols;
    assert.ok(k > 4, `kind one-hot: ${k} columns`);
    const encoded = join(dir, 'encoded.csv');
    writeFileSync(encoded, newRows.map((_, r) => Array.from(features.subarray(r * k, (r + 1) * k)).join(',')).join('\n') + '\n');
    const out = join(dir, 'back.csv');
    const p = mlplab(['predict', '--model', back, '--input', encoded, '--no-header', '--out', out]);
    assert.equal(p.status, 0, p.stderr);
    const expected = predicted(join(dir, 'predicted.csv'));
    assertClose(predicted(out), expected, 1e-5 * Math.max(...expected.map(Math.abs)), 'imported vs predict');
  });

  test('class names for regression weights are one clear line', () => {
    const weights = join(dir, 'w.safetensors');
    const net = join(dir, 'net.json');
    const out = join(dir, 'm.json');
    oneLineError(
      mlplab(['import', weights, '--network', net, '--out', out, '--class-names', 'a,b']),
      /w\.safetensors: the weights are a regression network \(one output\), but 2 class names were given \(a, b\); class names are a classifier's, one per output row$/,
    );
    oneLineError(mlplab(['import', weights, '--network', net, '--out', out, '--class-names', 'price']), /but a class name was given \(price\)/);
  });

  test('--target-name names the target of imported regression weights', () => {
    const out = join(dir, 'named.json');
    const r = mlplab(['import', join(dir, 'w.safetensors'), '--network', join(dir, 'net.json'), '--out', out, '--target-name', 'price_eur']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /wrote .*named\.json \(regression of "price_eur"\)/);
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')).extras.classNames, ['price_eur']);
    for (const bad of ['   ', 'x'.repeat(300)]) {
      oneLineError(mlplab(['import', join(dir, 'w.safetensors'), '--network', join(dir, 'net.json'), '--out', join(dir, 'bad.json'), '--target-name', bad]), /is not a name: expected 1 to 256 characters, not only spaces$/);
    }
  });
});
