/**
 * The command line on input as people have it and as a hostile user would send it: labels
 * that are years, CSV preambles, text labels in a CSV pair, one spelling of every CSV flag,
 * CSV options given to a non-CSV source, formula-like class names, many classes, and run
 * folders that are written as a unit. Each case runs the real `bin/mlplab`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { before, describe, test } from 'node:test';
import { writeNpy, parseNpy } from '../../src/data/formats/npy.js';
import { csvCell } from '../../src/format.js';
import { Rng } from '../../src/tensor/rng.js';
import { BIN, mlplab, tempDir } from './helpers.js';

const dir = tempDir();
const p = (...parts: string[]) => join(dir, ...parts);
const YEARS = [1990, 2000, 2010];

/** Rows of 4 features whose class (one of `labels`) is the largest of the first three features. */
function table(rows: number, labels: readonly (string | number)[], seed: number, header = 'a,b,c,d,label'): string {
  const rng = new Rng(seed);
  const lines = [header];
  for (let r = 0; r < rows; r++) {
    const c = r % 3;
    const x = [0, 1, 2, 3].map((j) => (j === c ? 3 : 0) + rng.normal());
    lines.push(`${x.map((v) => v.toFixed(4)).join(',')},${labels[c]}`);
  }
  return lines.join('\n') + '\n';
}

before(() => {
  writeFileSync(p('years.csv'), table(240, YEARS, 1));
  writeFileSync(p('years-test.csv'), table(60, YEARS, 2));
  writeFileSync(p('text-train.csv'), table(240, ['=SUM(A1)', '+cat', '@dog'], 3));
  writeFileSync(p('text-test.csv'), table(60, ['=SUM(A1)', '+cat', '@dog'], 4));
  // scikit-learn's bundled CSVs: a line of counts and class names, then the rows (breast_cancer.csv: "569,30,malignant,benign").
  writeFileSync(p('preamble.csv'), `240,4,low,high\n${table(240, [0, 1, 2], 5).split('\n').slice(1).join('\n')}`);
  const x = new Float32Array(30 * 4).map((_, i) => (i % 5) - 2);
  writeFileSync(p('x.npy'), writeNpy(x, [30, 4]));
  writeFileSync(p('y.npy'), writeNpy(Int32Array.from({ length: 30 }, (_, i) => i % 2), [30]));
});

describe('labels: the sorted distinct values, kept in the model so predict writes them', () => {
  const out = p('runs', 'years');
  before(() => {
    const r = mlplab(['train', '--data', `${p('years.csv')},${p('years-test.csv')}`, '--epochs', '30', '--lr', '0.05', '--out', out, '--quiet']);
    assert.equal(r.status, 0, r.stderr);
  });

  test('three classes, reported with their values', () => {
    const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    assert.equal(model.model.classes, 3);
    assert.deepEqual(model.extras.classValues, YEARS);
    assert.deepEqual(model.extras.classNames, ['1990', '2000', '2010']);
    assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /3 classes: 1990, 2000, 2010/);
    assert.ok(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).testAccuracy > 0.8);
  });

  test('predict writes the original values, in CSV and in .npy', () => {
    const csv = mlplab(['predict', '--model', join(out, 'model.json'), '--input', p('x.npy'), '--out', p('pred.csv')]);
    assert.equal(csv.status, 0, csv.stderr);
    const lines = readFileSync(p('pred.csv'), 'utf8').trim().split('\n');
    assert.equal(lines[0], 'index,predicted,name,p(1990),p(2000),p(2010)');
    for (const line of lines.slice(1)) {
      const [, value, name, ...probs] = line.split(',');
      assert.ok(YEARS.includes(Number(value)), line);
      assert.equal(name, value);
      const ps = probs.map(Number);
      assert.ok(ps.every(Number.isFinite));
      assert.equal(ps.indexOf(Math.max(...ps)), YEARS.indexOf(Number(value)));
    }
    assert.equal(mlplab(['predict', '--model', join(out, 'model.json'), '--input', p('x.npy'), '--out', p('pred.npy')]).status, 0);
    const npy = parseNpy(new Uint8Array(readFileSync(p('pred.npy'))), 'pred.npy');
    assert.deepEqual(Array.from(npy.data), lines.slice(1).map((l) => Number(l.split(',')[1])));
  });

  test('a model of a table fills a NaN cell with its training median and says so; a model of arrays refuses NaN rows', () => {
    const x = new Float32Array(8 * 4).fill(0.5);
    x[2 * 4 + 1] = NaN;
    writeFileSync(p('nan.npy'), writeNpy(x, [8, 4]));
    const filled = mlplab(['predict', '--model', join(out, 'model.json'), '--input', p('nan.npy'), '--out', p('nan-filled.csv')]);
    assert.equal(filled.status, 0, filled.stderr);
    assert.match(filled.stdout, /filled 1 blank cells with the training values \(b: 1\)/);
    const arrays = p('runs', 'arrays');
    assert.equal(mlplab(['train', '--data', `${p('x.npy')},${p('y.npy')}`, '--epochs', '2', '--out', arrays, '--quiet']).status, 0);
    const r = mlplab(['predict', '--model', join(arrays, 'model.json'), '--input', p('nan.npy'), '--out', p('nan-pred.csv')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^mlplab: error: .*nan\.npy: row 2, column 1 holds NaN \(1 non-finite values in 8 rows\); predict needs finite features/);
    assert.ok(!existsSync(p('nan-pred.csv')));
  });

  test('evaluate maps a file holding only some of the classes onto the model\'s classes by value', () => {
    writeFileSync(p('two-years.csv'), table(30, [2010, 2000, 2010], 7));
    const r = mlplab(['evaluate', '--model', join(out, 'model.json'), '--data', p('two-years.csv')]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ {8}1990 +0\.00 +0\.00 +0\.00 +0$/m);
    writeFileSync(p('other-year.csv'), table(6, [2020, 2000, 2010], 7));
    const bad = mlplab(['evaluate', '--model', join(out, 'model.json'), '--data', p('other-year.csv')]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^mlplab: error: .*other-year\.csv \(label column\): label 2020 at row 0 is not one of the model's 3 classes \(1990, 2000, 2010\)\n$/);
  });
});

test('a CSV preamble: refused with a hint, read with --skip-rows', () => {
  const refused = mlplab(['data', 'info', p('preamble.csv')]);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /preamble\.csv: line 2 has 5 fields, expected 4 like the first row; if the file starts with lines that are not part of the table, skip them \(--skip-rows 1\)\n$/);
  const r = mlplab(['data', 'info', p('preamble.csv'), '--skip-rows', '1']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /train: 240 rows x 4 features/);
});

test('text labels in a CSV pair, and formula-like names escaped in the CSVs written', () => {
  const out = p('runs', 'text');
  const r = mlplab(['train', '--data', `${p('text-train.csv')},${p('text-test.csv')}`, '--epochs', '3', '--out', out, '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  const csv = readFileSync(join(out, 'predictions.csv'), 'utf8');
  for (const name of ['=SUM(A1)', '+cat', '@dog']) {
    assert.ok(!csv.includes(`,${name}`), `${name} written unescaped`);
    assert.ok(csv.includes(`"'${name}"`), `${name} not escaped`);
  }
});

test('csvCell quotes what RFC 4180 needs and defuses formulas, but leaves plain numbers alone', () => {
  assert.equal(csvCell('cat'), 'cat');
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('=1+1'), `"'=1+1"`);
  assert.equal(csvCell('@SUM(A1)'), `"'@SUM(A1)"`);
  assert.equal(csvCell('+cmd|x'), `"'+cmd|x"`);
  assert.equal(csvCell('-2+3'), `"'-2+3"`);
  assert.equal(csvCell('\tx'), `"'\tx"`);
  for (const n of ['-1', '+3.5', '-2e5', '-.5']) assert.equal(csvCell(n), n);
});

test('the CSV flags: one header spelling everywhere, -1 is the last column, and they are refused for a non-CSV source', () => {
  for (const args of [['data', 'info', p('years.csv'), '--header'], ['data', 'info', p('years.csv'), '--label-column', '-1'], ['data', 'export', p('years.csv'), '--header', '--out', p('exported')]]) {
    const r = mlplab(args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  // Read as data, the header row is a word in each column of numbers: the column table says where.
  const noHeader = mlplab(['data', 'info', p('years.csv'), '--no-header']);
  assert.equal(noHeader.status, 0, noHeader.stderr);
  assert.match(noHeader.stdout, /warning: column "column 0" is numbers with 1 word \(line 1: "a"\): read as missing values/);
  const lastColumn = mlplab(['train', '--data', p('years.csv'), '--label-column', '-1', '--epochs', '1', '--out', p('runs', 'last'), '--quiet']);
  assert.equal(lastColumn.status, 0, lastColumn.stderr);
  const pair = `${p('x.npy')},${p('y.npy')}`;
  for (const [flag, value] of [['--label-column', '3'], ['--no-header'], ['--skip-rows', '2'], ['--delimiter', ';']]) {
    const r = mlplab(['data', 'info', 'fashion-mnist', flag, ...(value ? [value] : [])]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `mlplab: error: fashion-mnist: ${flag} is a CSV option, but the built-in Fashion-MNIST is IDX files; leave it out\n`);
  }
  const npy = mlplab(['data', 'info', pair, '--label-column', '3']);
  assert.equal(npy.status, 1);
  assert.match(npy.stderr, /--label-column is a CSV option, but it holds no CSV file; leave it out/);
});

test('--pca none keeps every feature', () => {
  const out = p('runs', 'pca-none');
  const r = mlplab(['train', '--data', p('years.csv'), '--pca', 'none', '--epochs', '1', '--out', out, '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).data.pca, null);
  const e = mlplab(['data', 'export', p('years.csv'), '--pca', 'none', '--out', p('export-none')]);
  assert.equal(e.status, 0, e.stderr);
});

test('more classes than the reports draw: every file is written, the figure and tables summarise', () => {
  const rng = new Rng(9);
  const k = 420;
  const rows = k * 4;
  const x = Float32Array.from({ length: rows * 3 }, () => rng.normal());
  const y = Int32Array.from({ length: rows }, (_, i) => i % k);
  mkdirSync(p('many'));
  writeFileSync(p('many', 'train_data.npy'), writeNpy(x, [rows, 3]));
  writeFileSync(p('many', 'train_label.npy'), writeNpy(y, [rows]));
  writeFileSync(p('many', 'test_data.npy'), writeNpy(x, [rows, 3]));
  writeFileSync(p('many', 'test_label.npy'), writeNpy(y, [rows]));
  const out = p('runs', 'many');
  const r = mlplab(['train', '--data', p('many'), '--epochs', '2', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\(420 classes: the 15 of lowest F1, then the 15 of highest\)/);
  for (const f of ['model.json', 'metrics.json', 'predictions.csv', 'confusion.svg', 'confusion.png', 'report.html']) assert.ok(existsSync(join(out, f)), f);
  const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  assert.equal(m.confusionMatrix.length, k);
  assert.equal(m.classificationReport.classes.length, k);
  assert.match(readFileSync(join(out, 'confusion.svg'), 'utf8'), /Most frequent confusions/);
  assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /420 classes: the 15 of lowest F1, then the 15 of highest/);
});

describe('run folders are written as a unit', () => {
  test('an existing folder is refused before training, and --overwrite replaces it whole', () => {
    const out = p('runs', 'unit');
    const first = mlplab(['train', '--data', p('years.csv'), '--epochs', '2', '--out', out, '--quiet']);
    assert.equal(first.status, 0, first.stderr);
    writeFileSync(join(out, 'stale-from-an-older-run.txt'), 'x');
    const again = mlplab(['train', '--data', p('years.csv'), '--epochs', '2', '--out', out, '--quiet']);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /runs\/unit: the run folder exists already; pass --overwrite/);
    assert.ok(existsSync(join(out, 'stale-from-an-older-run.txt')), 'the refused run touched the folder');
    const replaced = mlplab(['train', '--data', p('years.csv'), '--epochs', '3', '--out', out, '--quiet', '--overwrite']);
    assert.equal(replaced.status, 0, replaced.stderr);
    const files = readdirSync(out);
    assert.ok(!files.includes('stale-from-an-older-run.txt'), files.join(', '));
    assert.ok(files.includes('model.json') && !files.includes('checkpoint.json'), files.join(', '));
    assert.equal(JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')).length, 3);
    assert.deepEqual(readdirSync(dirname(out)).filter((f) => f.includes('incomplete')), []);
  });

  test('a run killed during training leaves no run folder, only its incomplete sibling with the checkpoint', { timeout: 120_000 }, async () => {
    const out = p('runs', 'killed');
    const child = spawn(process.execPath, [BIN, 'train', '--data', p('years.csv'), '--epochs', '100000', '--no-early-stopping', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        // Killed once a few epochs (and so a checkpoint) are done.
        if (/epoch +5\//.test(stdout)) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
      child.on('error', reject);
    });
    await new Promise((resolve) => child.on('close', resolve));
    assert.match(stdout, /writing to .*killed\.incomplete-\d+-[0-9a-f]+ \(the best model so far in checkpoint\.json\)/);
    assert.ok(!existsSync(out), 'a killed run left a run folder');
    const drafts = readdirSync(dirname(out)).filter((f) => f.startsWith('killed.incomplete-'));
    assert.equal(drafts.length, 1);
    assert.ok(existsSync(join(dirname(out), drafts[0], 'checkpoint.json')));
  });
});

test('deep or huge JSON in a study file, a --network file or a --config file is one short line, no stack trace', () => {
  const deep = p('deep.json');
  writeFileSync(deep, `{"name": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
  const huge = p('huge.json');
  writeFileSync(huge, JSON.stringify({ name: 'x'.repeat(20_000_000), data: { source: 'fashion-mnist' } }));
  for (const args of [['study', deep], ['import', p('w.safetensors'), '--network', deep, '--out', p('m.json')], ['train', '--config', deep], ['study', huge]]) {
    const r = mlplab(args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr.slice(0, 300)}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr.slice(0, 500));
    assert.ok(lines[0].length < 400, `${lines[0].length} characters: ${lines[0].slice(0, 200)}`);
    assert.match(lines[0], /^mlplab: error: /);
    if (args.includes(deep)) assert.match(lines[0], /nested more than 64 levels deep/);
  }
});

test('predict, export and import never write over what they read, nor over an existing file without --overwrite', () => {
  const run = p('runs', 'inputs');
  const trained = mlplab(['train', '--data', p('years.csv'), '--epochs', '2', '--out', run, '--quiet']);
  assert.equal(trained.status, 0, trained.stderr);
  const model = join(run, 'model.json');
  const before = readFileSync(model, 'utf8');
  const rows = p('rows.csv');
  writeFileSync(rows, '1,2,3,4\n0,1,0,1\n');
  const refused = (args: string[], pattern: RegExp) => {
    const r = mlplab(args);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr.trim(), pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  };
  refused(['predict', '--model', model, '--input', rows, '--out', model], /model\.json: is the --model file this command reads/);
  refused(['predict', '--model', model, '--input', rows, '--out', rows], /rows\.csv: is the --input file this command reads/);
  refused(['export', '--model', model, '--format', 'onnx', '--out', model], /is the --model file this command reads/);
  assert.equal(readFileSync(model, 'utf8'), before, 'the model file is untouched');
  const out = p('predicted.csv');
  assert.equal(mlplab(['predict', '--model', model, '--input', rows, '--out', out]).status, 0);
  refused(['predict', '--model', model, '--input', rows, '--out', out], /predicted\.csv: exists already; pass --overwrite/);
  assert.equal(mlplab(['predict', '--model', model, '--input', rows, '--out', out, '--overwrite']).status, 0);
});

test('a device, a link to one, or a pipe given as any file is refused in one line before a byte is read', () => {
  const zeroNpy = p('zero.npy');
  const zeroCsv = p('zero.csv');
  for (const link of [zeroNpy, zeroCsv]) if (!existsSync(link)) symlinkSync('/dev/zero', link);
  const net = p('net4.json');
  writeFileSync(net, JSON.stringify({ widths: [4] }));
  const pipe = p('pipe.json');
  if (!existsSync(pipe)) spawnSync('mkfifo', [pipe]);
  const model = join(p('runs', 'inputs'), 'model.json');
  const cases: string[][] = [
    ['import', '/dev/zero', '--network', net, '--out', p('m-zero.json')],
    ['train', '--data', zeroNpy, '--out', p('runs', 'zero')],
    ['train', '--data', `${zeroCsv}`, '--out', p('runs', 'zero-csv')],
    ['evaluate', '--model', '/dev/zero'],
    ['study', pipe],
    ['train', '--config', '/dev/zero'],
  ];
  if (existsSync(model)) cases.push(['predict', '--model', model, '--input', zeroNpy, '--out', p('pz.csv')]);
  for (const args of cases) {
    const started = Date.now();
    const r = mlplab(args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /is not a regular file \(a device, a pipe or a socket\)/, args.join(' '));
    assert.ok(Date.now() - started < 20_000, `${args.join(' ')} took ${Date.now() - started} ms`);
  }
});

test('a sparse 1.5 GB safetensors file whose header declares more than it holds is refused by its header alone', () => {
  const header = new TextEncoder().encode(JSON.stringify({ '0.weight': { dtype: 'F32', shape: [100000, 100000], data_offsets: [0, 40_000_000_000] } }));
  const file = p('sparse.safetensors');
  const fd = openSync(file, 'w');
  const length = Buffer.alloc(8);
  length.writeUInt32LE(header.length, 0);
  writeSync(fd, length);
  writeSync(fd, header);
  ftruncateSync(fd, 1_500_000_000); // holes: no disk used
  closeSync(fd);
  const net = p('net-sparse.json');
  writeFileSync(net, JSON.stringify({ widths: [4] }));
  const started = Date.now();
  const r = mlplab(['import', file, '--network', net, '--out', p('sparse-model.json')]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr.trim(), /^mlplab: error: .*sparse\.safetensors: tensor 0\.weight: data_offsets \[0, 40000000000\] reach past the 1499999\d+ data bytes/);
  // Reading 1.5 GB would take seconds and as much memory; the header alone takes neither.
  assert.ok(Date.now() - started < 5000, `${Date.now() - started} ms`);
});

test('SIGTERM (or Ctrl-C) during training stops after the batch and writes a complete run folder that says it was interrupted', { timeout: 120_000 }, async () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const out = p('runs', `stopped-${signal}`);
    const child = spawn(process.execPath, [BIN, 'train', '--data', `${p('years.csv')},${p('years-test.csv')}`, '--epochs', '100000', '--no-early-stopping', '--ensemble', '1', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      let sent = false;
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (!sent && /epoch +3\//.test(stdout)) {
          sent = true;
          child.kill(signal);
        }
      });
      child.on('exit', (c) => resolve(c));
      child.on('error', reject);
    });
    assert.equal(code, 0, stderr);
    assert.match(stderr, new RegExp(`interrupted \\(${signal}\\); writing what was measured so far`));
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    assert.equal(metrics.interrupted, true);
    assert.ok(metrics.epochs >= 3 && metrics.epochs < 100000, String(metrics.epochs));
    assert.ok(existsSync(join(out, 'model.json')) && existsSync(join(out, 'report.html')));
  }
});
