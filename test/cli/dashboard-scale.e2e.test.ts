/**
 * The dashboard over a large study: a store of 10,000 finished trials (and a few running and
 * queued), written with the storage API. Measured and reported: how long the first read of the
 * store and the answers take, how many rows a later read takes (only what changed), how large
 * the answers are, and how soon the page in Chromium shows its first rows and its parallel
 * coordinates; the page still follows the study (a trial that finishes shows without a reload).
 * The bounds are loose (the machine may be shared); the numbers are printed as diagnostics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Rng } from '../../src/tensor/rng.js';
import { startDashboard } from '../../src/tune/dashboard/server.js';
import { StoreMirror } from '../../src/tune/dashboard/mirror.js';
import { openFolder } from '../../src/tune/dashboard/source.js';
import type { StudyDetail, StudySummary } from '../../src/tune/dashboard/api.js';
import { SqliteStorage } from '../../src/tune/storage/sqlite.js';
import type { Claim, TrialSpec } from '../../src/tune/storage/types.js';
import { tempDir } from './helpers.js';
import { launchChromium, skipWithoutChromium } from '../web/site.js';

const FINISHED = 10_000;

const CONFIG = {
  name: 'large',
  data: { source: 'data' },
  base: 'default',
  space: [
    { path: 'train.learningRate', name: 'learning rate', low: 0.0001, high: 0.3, log: true },
    { path: 'network.widths', name: 'widths', choices: [[32], [64], [128], [256]] },
    { path: 'train.batchSize', name: 'batch', low: 16, high: 256, int: true },
    { path: 'network.dropout', name: 'dropout', low: 0, high: 0.6 },
  ],
  strategy: { type: 'random', trials: FINISHED + 8, seed: 1 },
  epochs: 20,
};

/** The store: FINISHED trials done, pruned or failed with three epochs each, two running, six queued. */
async function largeStore(dir: string): Promise<{ store: SqliteStorage; running: Claim[] }> {
  const rng = new Rng(11);
  const specs: TrialSpec[] = Array.from({ length: FINISHED + 8 }, (_, i) => {
    const params = {
      'train.learningRate': 10 ** (-4 + 3.5 * rng.uniform()),
      'network.widths': [[32], [64], [128], [256]][rng.int(4)],
      'train.batchSize': 16 + rng.int(241),
      'network.dropout': 0.6 * rng.uniform(),
    };
    return { key: `t${i}/s0`, configKey: `t${i}`, seed: 0, phase: 'search', label: `trial ${i}`, levels: [], params, epochs: 20 };
  });
  const store = SqliteStorage.open(dir);
  const { study } = await store.createStudy({ name: 'large', hash: 'large-hash', config: CONFIG, fingerprint: { train: [1000, 8], val: [200, 8], test: null, classes: 3, hash: 'f' }, backend: 'wasm' }, specs);
  for (let i = 0; i < FINISHED; i++) {
    const c = (await store.claim(study.id, `node-${i % 4}:${1000 + (i % 4)}:${1 + (i % 2)}`, 60))!;
    const p = c.trial.params!;
    // Best near a learning rate of 0.03, a little noise.
    const metric = 0.8 - 0.05 * (Math.log10(p['train.learningRate'] as number) + 1.5) ** 2 + 0.02 * rng.uniform();
    const status = i % 50 === 7 ? 'failed' : i % 10 === 3 ? 'pruned' : 'done';
    const result = status === 'failed' ? null : { metric, valAccuracy: metric, valLoss: 1 - metric, bestEpoch: 3, epochs: 3, stoppedEarly: false, seconds: 1 + rng.uniform(), secondsPerEpoch: 0.4 };
    const history = [1, 2, 3].map((epoch) => ({ epoch, trainLoss: 1 / epoch, valLoss: 1.1 / epoch, trainAccuracy: metric - 0.1 / epoch, valAccuracy: metric - 0.05 / epoch, seconds: 0.4 }));
    await store.finish(c, { status, result, error: status === 'done' ? null : status === 'pruned' ? 'below the median at epoch 3' : 'diverged', history, output: null });
  }
  const running = [(await store.claim(study.id, 'node-0:1000:1', 600))!, (await store.claim(study.id, 'node-1:1001:1', 600))!];
  return { store, running };
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await f();
  return { value, ms: performance.now() - t0 };
}

test(`${FINISHED.toLocaleString('en')} finished trials: the first read, the answers and the page stay quick, a later read takes only what changed, and the page still follows the study`, { skip: skipWithoutChromium, timeout: 240_000 }, async (t) => {
  const dir = tempDir('mlplab-dashboard-scale-');
  const built = await timed(() => largeStore(dir));
  t.diagnostic(`store of ${FINISHED} finished trials written in ${(built.ms / 1000).toFixed(1)} s`);
  const { store, running } = built.value;
  const source = openFolder(dir);
  const server = await startDashboard(source, { host: '127.0.0.1', port: 0 });
  const get = async (path: string) => {
    const r = await timed(async () => {
      const res = await fetch(new URL(path, server.url));
      assert.equal(res.status, 200, path);
      return res.text();
    });
    return { text: r.value, ms: r.ms, bytes: Buffer.byteLength(r.value) };
  };
  try {
    const list = await get('/api/studies');
    const summary = (JSON.parse(list.text) as { studies: StudySummary[] }).studies[0];
    assert.equal(summary.counts.done + summary.counts.pruned + summary.counts.failed, FINISHED);
    assert.deepEqual([summary.counts.running, summary.counts.queued], [2, 6]);
    const detail = await get('/api/study/large');
    const d = JSON.parse(detail.text) as StudyDetail;
    assert.equal(d.trials.length, 200, 'one page of the table');
    assert.equal(d.page.total, FINISHED + 8);
    assert.ok(d.bestOverTime.length <= 600, `the best over time thinned: ${d.bestOverTime.length} points`);
    assert.equal(d.search?.finished, summary.counts.done);
    const figure = await get('/api/study/large/figure');
    assert.match(figure.text, /1,000 of [\d,]+ finished trials: the best 100 and 900 others spread evenly/);
    await new Promise((r) => setTimeout(r, 2100));
    const warmList = await get('/api/studies');
    const warmDetail = await get('/api/study/large?sort=metric&dir=-1');
    const sorted = JSON.parse(warmDetail.text) as StudyDetail;
    assert.equal(sorted.trials[0].metric, summary.best);
    t.diagnostic(`first read and list: ${list.ms.toFixed(0)} ms; study (first page of trials): ${detail.ms.toFixed(0)} ms, ${(detail.bytes / 1024).toFixed(0)} KiB; parallel coordinates drawn: ${figure.ms.toFixed(0)} ms, ${(figure.bytes / 1024).toFixed(0)} KiB`);
    t.diagnostic(`a later interval: list ${warmList.ms.toFixed(0)} ms, study sorted by the metric ${warmDetail.ms.toFixed(0)} ms`);
    assert.ok(warmList.ms < 2000 && warmDetail.ms < 2000, 'a later answer is quick');

    // A later read of the store takes only the rows that may have changed: the two running trials.
    const mirror = new StoreMirror(source);
    const first = await timed(() => mirror.refresh());
    const again = await timed(() => mirror.refresh());
    t.diagnostic(`reads of the store: the first ${first.value.rows} rows in ${first.ms.toFixed(0)} ms, a later one ${again.value.rows} rows in ${again.ms.toFixed(1)} ms`);
    assert.equal(first.value.rows, FINISHED + 8);
    assert.equal(again.value.rows, 2);

    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('console', (m) => void (m.type() === 'error' && problems.push(m.text())));
      const t0 = performance.now();
      await page.goto(server.url);
      await page.waitForSelector('#trials-table tbody tr');
      const rows = performance.now() - t0;
      await page.waitForSelector('#parallel-chart svg', { timeout: 30_000 });
      const chart = performance.now() - t0;
      t.diagnostic(`page in Chromium: first rows after ${rows.toFixed(0)} ms, parallel coordinates after ${chart.toFixed(0)} ms`);
      assert.equal(await page.locator('#trials-table tbody tr').count(), 200);
      assert.match((await page.textContent('#trials-count')) ?? '', /Trials 1–200 of 10008/);
      await page.evaluate(() => ((window as unknown as { loadedOnce: boolean }).loadedOnce = true));
      // The next page of trials, then a trial that finishes: the page follows without a reload.
      await page.click('#trials-next');
      await page.waitForFunction(() => /Trials 201–400/.test(document.getElementById('trials-count')?.textContent ?? ''));
      const before = Number(await page.textContent('#studies-table tbody tr td.count-done'));
      const c = running[0];
      await store.finish(c, { status: 'done', result: { metric: 0.5, valAccuracy: 0.5, valLoss: 0.5, bestEpoch: 1, epochs: 1, stoppedEarly: false, seconds: 1, secondsPerEpoch: 1 }, error: null, history: [], output: null });
      const t1 = performance.now();
      await page.waitForFunction((n) => Number(document.querySelector('#studies-table tbody tr td.count-done')?.textContent) === n + 1, before, { timeout: 10_000 });
      t.diagnostic(`a finished trial shown ${(performance.now() - t1).toFixed(0)} ms after it was stored (the page polls every 2 s)`);
      assert.equal(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce), true);
      assert.ok(rows < 15_000, `first rows after ${rows.toFixed(0)} ms`);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  } finally {
    await server.close();
    await source.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
