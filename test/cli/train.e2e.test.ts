import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { loadSource } from '../../src/data/files.js';
import { writeNpy } from '../../src/data/formats/npy.js';
import { runExperiment } from '../../src/run/experiment.js';
import { membersOnThreads } from '../../src/cli/members.js';
import { loadBackend } from '../../src/tensor/index.js';
import { resolveRun } from '../../src/run/spec.js';
import { mlplab, tempDir, writeStudyFolder } from './helpers.js';

describe('mlplab train / evaluate / predict on a study-layout folder', () => {
  const data = tempDir();
  const out = join(tempDir(), 'run');
  let trained: ReturnType<typeof mlplab>;
  before(() => {
    writeStudyFolder(data);
    // 600 rows: the model chosen for the data would train on all of them; a validation part is asked for here.
    trained = mlplab(['train', '--data', data, '--epochs', '4', '--seed', '3', '--out', out, '--lr', '0.05', '--no-early-stopping', '--val-fraction', '0.1']);
  });

  test('train exits 0 and prints the summary', () => {
    assert.equal(trained.status, 0, trained.stderr);
    assert.match(trained.stdout, /test accuracy \d+\.\d+%/);
    assert.match(trained.stdout, /macro F1 [01]\.\d{4}/);
    assert.ok(trained.stdout.includes(join(out, 'report.html')));
  });

  test('writes every output, none left under a temporary name', () => {
    const files = readdirSync(out).sort();
    assert.ok(!files.includes('checkpoint.json'), 'a complete run keeps no checkpoint (model.json is the kept model)');
    for (const f of ['model.json', 'config.json', 'history.json', 'metrics.json', 'predictions.csv', 'report.html', 'loss.png', 'loss.svg', 'accuracy.png', 'confusion.png', 'confusion.svg']) {
      assert.ok(files.includes(f), `${f} missing from ${files.join(', ')}`);
    }
    assert.ok(!files.some((f) => f.endsWith('.tmp')), files.join(', '));
  });

  test('history.json has one record per epoch with the documented fields', () => {
    const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')) as Record<string, number>[];
    assert.equal(history.length, 4);
    history.forEach((h, i) => {
      assert.equal(h.epoch, i + 1);
      for (const k of ['trainLoss', 'valLoss', 'trainAccuracy', 'valAccuracy', 'seconds']) assert.ok(Number.isFinite(h[k]), k);
    });
    assert.ok(history[3].valLoss < history[0].valLoss * 1.5);
  });

  test('metrics.json counts every row once and agrees with predictions.csv', () => {
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    assert.equal(m.trainRows + m.valRows, 600);
    assert.equal(m.valRows, 60);
    assert.equal(m.testRows, 200);
    const cm: number[][] = m.confusionMatrix;
    assert.equal(cm.flat().reduce((a, b) => a + b, 0), 200);
    const lines = readFileSync(join(out, 'predictions.csv'), 'utf8').trim().split('\n');
    assert.equal(lines[0], 'index,predicted,actual,predicted_name,actual_name');
    assert.equal(lines.length, 201);
    const correct = lines.slice(1).filter((l) => l.split(',')[1] === l.split(',')[2]).length;
    assert.equal(correct / 200, m.testAccuracy);
    assert.equal(m.classificationReport.accuracy, m.testAccuracy);
    assert.ok(m.testAccuracy > 0.8, `clusters are separable; got ${m.testAccuracy}`);
  });

  test('report.html is self-contained and shows the results', () => {
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.ok(html.includes('<svg'));
    assert.ok(!/<script[^>]+src=|<link[^>]+href="http/i.test(html), 'no external resources');
  });

  test('evaluate reproduces the test accuracy from the saved model', () => {
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    const r = mlplab(['evaluate', '--model', join(out, 'model.json'), '--data', data]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes(`accuracy ${(100 * m.testAccuracy).toFixed(2)}%`), r.stdout);
  });

  test('predict labels raw rows like the run did (pre-processing saved in the model)', () => {
    const dest = join(tempDir(), 'pred.csv');
    const r = mlplab(['predict', '--model', join(out, 'model.json'), '--input', join(data, 'test_data.npy'), '--out', dest]);
    assert.equal(r.status, 0, r.stderr);
    const ours = readFileSync(dest, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[1]);
    const run = readFileSync(join(out, 'predictions.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[1]);
    assert.deepEqual(ours, run);
  });

  test('predict refuses rows of the wrong width with a clear message', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'x.npy'), writeNpy(new Float32Array(5 * 7), [5, 7]));
    const r = mlplab(['predict', '--model', join(out, 'model.json'), '--input', join(dir, 'x.npy'), '--out', join(dir, 'p.csv')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /7 features.*12 features/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.ok(!existsSync(join(dir, 'p.csv')));
  });

  test('a corrupted model file is detected by its checksum', () => {
    const dir = tempDir();
    const text = readFileSync(join(out, 'model.json'), 'utf8');
    const i = text.indexOf('"data":"') + 12;
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, text.slice(0, i) + (text[i] === 'A' ? 'B' : 'A') + text.slice(i + 1));
    const r = mlplab(['evaluate', '--model', bad, '--data', data]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /bad\.json: checksum: does not match the document/);
  });

  test('a model file from another format version is refused', () => {
    const dir = tempDir();
    const doc = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    doc.version = 99;
    writeFileSync(join(dir, 'v99.json'), JSON.stringify(doc));
    const r = mlplab(['evaluate', '--model', join(dir, 'v99.json'), '--data', data]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /v99\.json: version: got 99, expected 1 or 2/);
  });
});

describe('mlplab train: bad input', () => {
  test('a data folder missing files names the missing file', () => {
    const dir = tempDir();
    writeStudyFolder(dir);
    rmSync(join(dir, 'train_label.npy'));
    const r = mlplab(['train', '--data', dir, '--epochs', '1', '--out', join(tempDir(), 'x')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /train_label\.npy/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  test('an unwritable output folder is refused before training', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), 'x');
    const r = mlplab(['train', '--data', 'nowhere', '--out', join(dir, 'file', 'run')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not writable/);
  });

  test('invalid options name the field, the value and what is allowed', () => {
    const cases: [string[], RegExp][] = [
      [['--widths', '64,0'], /--widths\[1\]: got 0, expected a whole number of units/],
      [['--activations', 'relu,swish'], /--activations\[1\]: got "swish", expected one of identity, relu/],
      [['--dropout', '1.5'], /--dropout: got 1\.5, expected a drop probability in \[0, 1\)/],
      [['--lr', '-1'], /--lr: got -1, expected a learning rate > 0/],
      [['--lr', 'NaN'], /--lr: got "NaN", expected a learning rate > 0/],
      [['--preset', 'best'], /--preset: got "best", expected auto, or one of study-default, study-final, default, final/],
    ];
    for (const [args, pattern] of cases) {
      const r = mlplab(['train', '--data', 'nowhere', ...args]);
      assert.equal(r.status, 1, args.join(' '));
      assert.match(r.stderr, pattern);
    }
  });
});

test('a run config gets the same early stopping through train --config and through runExperiment', async () => {
  const data = tempDir();
  writeStudyFolder(data, { train: 200, test: 40 });
  const config = { network: { widths: [8] }, train: { epochs: 2, earlyStopping: { monitor: 'valLoss' } } };
  const file = join(tempDir(), 'run.json');
  writeFileSync(file, JSON.stringify(config));
  const out = join(tempDir(), 'run');
  const r = mlplab(['train', '--data', data, '--config', file, '--out', out, '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  const cli = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  const lib = await runExperiment(resolveRun(config), await loadSource(data));
  lib.model.dispose();
  const libConfig = lib.report.config as { train: { earlyStopping: unknown } };
  assert.deepEqual(cli.train.earlyStopping, libConfig.train.earlyStopping);
  assert.equal(cli.train.earlyStopping.patience, 10);
});

test('a seed ensemble trained by train is scored whole by evaluate and predict: the same accuracy, probabilities that are the mean', () => {
  const data = tempDir();
  writeStudyFolder(data, { train: 300, test: 60 });
  const out = join(tempDir(), 'ensemble');
  const r = mlplab(['train', '--data', data, '--ensemble', '3', '--epochs', '3', '--out', out, '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
  assert.equal(metrics.ensemble.length, 3);
  const ev = mlplab(['evaluate', '--model', join(out, 'model.json'), '--data', data, '--out', join(out, 'eval')]);
  assert.equal(ev.status, 0, ev.stderr);
  assert.equal(JSON.parse(readFileSync(join(out, 'eval', 'metrics.json'), 'utf8')).accuracy, metrics.testAccuracy);
  const csv = join(out, 'pred.csv');
  assert.equal(mlplab(['predict', '--model', join(out, 'model.json'), '--input', join(data, 'test_data.npy'), '--out', csv]).status, 0);
  const predicted = readFileSync(csv, 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
  const actual = readFileSync(join(out, 'predictions.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[1]));
  assert.deepEqual(predicted, actual);
});

test('the networks of an ensemble trained on worker threads are bit for bit those trained one after another in one thread', async () => {
  const data = tempDir();
  writeStudyFolder(data, { train: 300, test: 60 });
  const spec = { network: { widths: [16], batchNorm: true, dropout: 0.2 }, train: { epochs: 4, ensemble: 3, optimizer: 'adam' as const } };
  const backend = await loadBackend('wasm', { threads: 1 });
  const one = await runExperiment(spec, await loadSource(data), { backend });
  const many = await runExperiment(spec, await loadSource(data), { backend, trainMembers: membersOnThreads('wasm', backend) });
  const tensors = (text: string) => (JSON.parse(text) as { tensors: { name: string; data: string }[] }).tensors.map((t) => [t.name, t.data]);
  const a = tensors(one.modelFile);
  assert.ok(a.some(([name]) => name.startsWith('ensemble.2.')));
  assert.deepEqual(tensors(many.modelFile), a);
  for (const r of [one, many]) {
    r.model.dispose();
    for (const m of r.members) m.dispose();
  }
});
