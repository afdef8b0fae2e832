import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dataset } from '../../src/data/dataset.js';
import { prepare } from '../../src/data/prepare.js';
import { runExperiment, runMetrics } from '../../src/run/experiment.js';
import { loadModel, writeRunFolder } from '../../src/run/folder.js';
import { decodeModelFile } from '../../src/run/model-file.js';
import { resolveRun } from '../../src/run/spec.js';
import { evaluate } from '../../src/run/train.js';
import { OutputError } from '../../src/errors.js';
import { gaussianBlobs, sameBits } from '../helpers.js';

const named = (d: Dataset, source: string): Dataset => ({ ...d, source, classNames: ['a', 'b', 'c'] });
const raw = () => ({
  train: named(gaussianBlobs(300, 6, 3, 11, 0.8), 'blobs-train'),
  test: named(gaussianBlobs(90, 6, 3, 12, 0.8, 11), 'blobs-test'),
  notes: [{ name: 'read', summary: 'synthetic blobs' }],
});
const spec = resolveRun({
  network: { widths: [16], activations: 'relu', batchNorm: true, dropout: 0.1 },
  train: { epochs: 6, learningRate: 0.05, batchSize: 16, seed: 4, earlyStopping: { patience: 3, minDelta: 0.001 } },
  data: { scale: 'standard', pca: 4, valFraction: 0.2 },
});

test('runExperiment prepares, trains, evaluates once and returns the run as data', async () => {
  const checkpoints: number[] = [];
  const r = await runExperiment(spec, raw(), { title: 'blobs', source: 'blobs', onCheckpoint: async (_file, epoch) => void checkpoints.push(epoch) });
  try {
    assert.equal(r.report.title, 'blobs');
    assert.equal(r.report.data.features, 4, 'PCA to 4 components');
    assert.equal(r.report.data.trainRows + r.report.data.valRows, 300);
    assert.equal(r.report.data.steps[0].summary, 'synthetic blobs', 'loading notes open the steps');
    assert.deepEqual(r.report.history, r.fit.history);
    // The test numbers are the model's own on the prepared test rows.
    const again = evaluate(r.model, r.prepared.test!, r.prepared.classNames);
    assert.equal(r.report.test!.accuracy, again.accuracy);
    assert.deepEqual(r.report.test!.confusion, again.confusion);
    // The checkpoint saved each new best epoch, by early stopping's rule: its last save is the kept epoch.
    assert.ok(checkpoints.length >= 1);
    assert.equal(checkpoints[checkpoints.length - 1], r.fit.bestEpoch);
    // The model file holds the same network and pre-processing: raw rows give the same predictions.
    const file = await decodeModelFile(r.modelFile, 'model.json');
    const t = raw().test;
    const x = file.pipeline!.transform(t.features, t.rows);
    assert.deepEqual(Array.from(file.model.predict(x, t.rows)), Array.from(r.model.predict(r.prepared.test!.features, t.rows)));
    assert.deepEqual(file.classNames, ['a', 'b', 'c']);
    assert.equal(file.epoch, r.fit.bestEpoch);
    file.model.dispose();
    const m = runMetrics(r.report);
    assert.equal(m.testAccuracy, r.report.test!.accuracy);
    assert.equal(m.bestEpoch, r.fit.bestEpoch);
    assert.equal(m.valLoss, r.fit.history[r.fit.bestEpoch - 1].valLoss);
  } finally {
    r.model.dispose();
  }
});

test('raw data and the same data prepared beforehand give the same run, bit for bit', async () => {
  const a = await runExperiment(spec, raw());
  const prepared = prepare(raw(), { ...spec.data, seed: spec.train.seed });
  const b = await runExperiment(spec, prepared);
  try {
    const strip = (h: typeof a.report.history) => h.map(({ seconds: _s, ...e }) => e);
    assert.deepEqual(strip(b.report.history), strip(a.report.history));
    const wa = a.model.snapshot(), wb = b.model.snapshot();
    assert.ok(wa.every((w, i) => sameBits(w, wb[i])));
  } finally {
    a.model.dispose();
    b.model.dispose();
  }
});

test('writeRunFolder writes the run folder from the result alone, and the model loads back', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'mlplab-run-'));
  const dir = join(parent, 'run');
  try {
    const r = await runExperiment(spec, raw(), { source: 'blobs' });
    const files = await writeRunFolder({ report: r.report, modelFile: r.modelFile }, dir);
    await assert.rejects(writeRunFolder({ report: r.report, modelFile: r.modelFile }, dir), (e: unknown) => e instanceof OutputError && /exists already/.test(e.message), 'an existing run folder is refused, as on the command line');
    await writeRunFolder({ report: r.report, modelFile: r.modelFile }, dir, { existing: 'replace' });
    const names = readdirSync(dir).sort();
    for (const f of ['model.json', 'config.json', 'history.json', 'metrics.json', 'predictions.csv', 'report.html', 'loss.svg', 'loss.png', 'confusion.png']) assert.ok(names.includes(f), f);
    assert.equal(files.length, names.length);
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')), JSON.parse(JSON.stringify(runMetrics(r.report))));
    const lines = readFileSync(join(dir, 'predictions.csv'), 'utf8').trim().split('\n');
    assert.equal(lines.length, 91);
    const loaded = await loadModel(join(dir, 'model.json'));
    assert.deepEqual(Array.from(loaded.model.predict(r.prepared.test!.features, 90)), r.report.test!.predictions.map((p) => p.predicted));
    loaded.model.dispose();
    r.model.dispose();
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test('an interrupted run still returns its report, evaluated and marked interrupted', async () => {
  const controller = new AbortController();
  const r = await runExperiment(spec, raw(), {
    signal: controller.signal,
    callbacks: [{ onEpochEnd: (e) => void (e.epoch === 2 && controller.abort()) }],
  });
  assert.equal(r.report.interrupted, true);
  assert.equal(r.report.history.length, 2);
  assert.ok(r.report.test !== null);
  r.model.dispose();
});
