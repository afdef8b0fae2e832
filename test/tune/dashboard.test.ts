/**
 * The dashboard's reading of a store and its answers: the copy it keeps equals a full read
 * after any mix of claims, heartbeats, finishes, releases, reaps and new stages, while each
 * read after the first takes only the rows that may have changed, on the trials' index and
 * primary key; any number of pages polling at once cost one read per interval; a damaged
 * study or trial row is shown as such beside the others; the trials table is sorted, filtered
 * and paged on the server; a search's parallel coordinates and importance come from the
 * report's own functions; the study folder's reports are served by name only, inside it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from '../../src/errors.js';
import { Rng } from '../../src/tensor/rng.js';
import { DashboardApi } from '../../src/tune/dashboard/api.js';
import { readReport, reportLinks } from '../../src/tune/dashboard/figures.js';
import { StoreMirror } from '../../src/tune/dashboard/mirror.js';
import { dashboardToken, isLoopback, trialQuery } from '../../src/tune/dashboard/server.js';
import { changesQuery, openDatabase, openFolder, type DashboardSource, type DashboardTrial } from '../../src/tune/dashboard/source.js';
import { DEFAULT_QUERY, trialPage, trialTable } from '../../src/tune/dashboard/views.js';
import { parallelData, slicePanels, studyParams, trialParams } from '../../src/tune/report/search-figures.js';
import { parameterImportance } from '../../src/tune/search/importance.js';
import { resolveStudy } from '../../src/tune/study/config.js';
import { PostgresStorage } from '../../src/tune/storage/postgres.js';
import { SqliteStorage } from '../../src/tune/storage/sqlite.js';
import type { Claim, NewStudy, StoredTrial, StudyStorage, TrialFinish, TrialResult, TrialSpec } from '../../src/tune/storage/types.js';
import type { StudyRow } from '../../src/tune/storage/rows.js';
import { tempDir } from './helpers.js';
import { freshDatabase, pgSkip } from './pg.js';

const CONFIG = {
  name: 'counted',
  data: { source: 'data' },
  base: 'default',
  factors: [{ path: 'train.learningRate', values: [0.01, 0.1] }],
  seeds: 2,
  epochs: 3,
};

const SPACE = {
  name: 'searched',
  data: { source: 'data' },
  base: 'default',
  space: [
    { path: 'train.learningRate', name: 'lr', low: 0.001, high: 0.1, log: true },
    { path: 'network.dropout', name: 'dropout', choices: [0, 0.5] },
  ],
  strategy: { type: 'random', trials: 50, seed: 1 },
  epochs: 3,
};

const newStudy = (name = 'counted', config: unknown = { ...CONFIG, name }): NewStudy => ({
  name,
  hash: `h-${name}`,
  config,
  fingerprint: { train: [10, 2], val: [5, 2], test: null, classes: 2, hash: 'f00d' },
  backend: 'wasm',
});

const specs = (n: number, prefix = 'c', phase: TrialSpec['phase'] = 'search'): TrialSpec[] =>
  Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}/s0`, configKey: `${prefix}${i}`, seed: 0, phase, label: `${prefix}=${i}`, levels: [i % 2], epochs: 3 }));

const result = (metric: number): TrialResult => ({ metric, valAccuracy: metric, valLoss: 1 - metric, bestEpoch: 2, epochs: 2, stoppedEarly: false, seconds: 0.5, secondsPerEpoch: 0.25 });
const ended = (status: TrialFinish['status'], metric: number): TrialFinish => ({ status, result: status === 'failed' ? null : result(metric), error: status === 'done' ? null : status, history: [], output: null });
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a full read and the copy must agree on (not the attempt count: a trial claimed and given back between two reads is queued at both, and its count is not shown). */
const facts = (t: StoredTrial) => [t.id, t.status, t.worker, t.epoch, t.finishedAt, t.result?.metric ?? null, t.error];

/** The two stores: a study folder, and a fresh PostgreSQL database when a test server is configured. */
const BACKENDS: { name: string; skip: false | string; open: () => Promise<{ store: StudyStorage; source: () => Promise<DashboardSource>; done: () => Promise<void> }> }[] = [
  {
    name: 'SQLite',
    skip: false,
    open: async () => {
      const t = tempDir();
      const store = SqliteStorage.open(t.dir);
      return { store, source: async () => openFolder(t.dir), done: async () => (await store.close(), t.done()) };
    },
  },
  {
    name: 'PostgreSQL',
    skip: pgSkip,
    open: async () => {
      const db = await freshDatabase();
      const store = await PostgresStorage.connect(db.url);
      return { store, source: () => openDatabase(db.url), done: async () => (await store.close(), await db.drop()) };
    },
  },
];

for (const backend of BACKENDS) {
  test(`${backend.name}: the copy equals a full read after claims, heartbeats, finishes, releases, reaps and a new stage, reading only what may have changed`, { skip: backend.skip }, async () => {
    const o = await backend.open();
    const store = o.store;
    try {
      const { study } = await store.createStudy(newStudy(), specs(40));
      const source = await o.source();
      const mirror = new StoreMirror(source);
      const rng = new Rng(7);
      const claims: Claim[] = [];
      let stage: 'search' | 'interaction' = 'search';
      try {
          assert.equal((await mirror.refresh()).rows, 40, 'the first read takes every trial');
          let epoch = 1;
          for (let step = 0; step < 120; step++) {
            // Up to four changes between two reads: a trial may be claimed and finished in between.
            for (let k = 1 + rng.int(4); k > 0; k--) {
              const op = rng.int(10);
              if (op < 4) {
                // Some claims are leased for a moment only: they run out and are reaped.
                const c = await store.claim(study.id, `host-${rng.int(2)}:${100 + rng.int(3)}:1`, rng.int(6) === 0 ? 0.001 : 30);
                if (c) claims.push(c);
              } else if (op < 6 && claims.length) {
                const c = claims.splice(rng.int(claims.length), 1)[0];
                await store.finish(c, ended((['done', 'done', 'pruned', 'failed'] as const)[rng.int(4)], rng.uniform()));
              } else if (op === 6 && claims.length) {
                await store.heartbeat(claims.map((claim) => ({ claim, epoch: ++epoch % 3 })), 30);
              } else if (op === 7 && claims.length) {
                await store.release(claims.splice(rng.int(claims.length), 1)[0]);
              } else if (op === 8) {
                await wait(2);
                await store.reap(study.id);
              } else if (stage === 'search' && step > 60) {
                assert.ok(await store.advance(study.id, 'search', 'interaction', specs(5, 'i', 'interaction')));
                stage = 'interaction';
              }
            }
            const before = [...mirror.studies.get(study.id)!.trials.values()].filter((x) => x.status === 'running').length;
            const read = await mirror.refresh();
            const copy = [...mirror.studies.get(study.id)!.trials.values()].sort((a, b) => a.id - b.id);
            const full = await store.trials(study.id);
            assert.deepEqual(copy.map(facts), full.map(facts), `step ${step}`);
            assert.equal(mirror.studies.get(study.id)!.row.stage, stage);
            // The rows read: the ones running before, the ones claimed since (and their neighbours after a trial was given back), new ones.
            assert.ok(read.rows <= before + full.length - copy.filter((x) => x.status === 'queued').length + 5, `step ${step}: ${read.rows} rows read`);
          }
          // Nothing changes: nothing is read; a claim reads that trial; its finish reads it once more.
          for (const c of claims.splice(0)) await store.finish(c, ended('done', 0.5));
          await store.reap(study.id);
          await mirror.refresh();
          const next = stage === 'search' ? 'interaction' : 'final';
          assert.ok(await store.advance(study.id, stage, next, specs(3, 'n', next)));
          assert.equal((await mirror.refresh()).rows, 3, 'a new stage reads its new trials');
          assert.equal((await mirror.refresh()).rows, 0, 'an idle store is read for nothing');
          const c = (await store.claim(study.id, 'host-0:1:1', 30))!;
          assert.equal((await mirror.refresh()).rows, 1);
          await store.finish(c, ended('done', 0.9));
          const read = await mirror.refresh();
          assert.deepEqual(read, { rows: 1, changed: 1 });
          assert.equal(mirror.studies.get(study.id)!.trials.get(c.trial.id)!.result?.metric, 0.9);
          assert.equal((await mirror.refresh()).rows, 0);
      } finally {
        await source.close();
      }
    } finally {
      await o.done();
    }
  });
}

test('the read of what changed runs on the trials index and primary key, never a scan of the table', () => {
  const t = tempDir();
  try {
    SqliteStorage.open(t.dir);
    const db = new Database(join(t.dir, 'study.db'), { readonly: true });
    try {
      const q = changesQuery('sqlite', [
        { studyId: 1, from: 0, after: -1, running: [] },
        { studyId: 2, from: 120, after: 400, running: [3, 5, 8] },
      ]);
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${q.text}`).all(...q.values) as { detail: string }[]).map((r) => r.detail).filter((d) => /mlplab_trials/.test(d));
      assert.ok(plan.length >= 5, plan.join('\n'));
      for (const line of plan) assert.match(line, /^SEARCH mlplab_trials USING (INDEX mlplab_trials_queue|INTEGER PRIMARY KEY)/, plan.join('\n'));
    } finally {
      db.close();
    }
  } finally {
    t.done();
  }
});

/** A source over rows given in the test that counts its reads. */
function countingSource(rows: StudyRow[], trials: DashboardTrial[]): DashboardSource & { calls: Record<string, number>; fail: boolean } {
  const calls = { studyRows: 0, changes: 0 };
  const s = {
    kind: 'sqlite' as const,
    where: 'test.db',
    folder: null,
    calls,
    fail: false,
    studyRows: async () => {
      calls.studyRows++;
      if (s.fail) throw new ConfigError('store', 'x', 'readable');
      return { rows, now: '2026-01-01T00:02:00.000Z' };
    },
    changes: async () => (calls.changes++, calls.changes === 1 ? trials : []),
    finalOutputs: async () => [],
    epochs: async () => [],
    close: async () => undefined,
  };
  return s;
}

function row(id: number, name: string, config: string): StudyRow {
  return { id, name, config_hash: `h${id}`, config_json: config, fingerprint_json: '{}', backend: 'wasm', stage: 'search', created_at: '2026-01-01T00:00:00Z' };
}

function trial(id: number, studyId: number, status: StoredTrial['status'], metric: number | null, over: Partial<DashboardTrial> = {}): DashboardTrial {
  return {
    id, studyId, key: `k${id}`, position: id, configKey: `c${id}`, seed: 0, phase: 'search', label: `c=${id}`, levels: [id % 2], params: null, epochs: 3,
    status, attempt: status === 'queued' ? 0 : 1, worker: status === 'queued' ? null : 'box:12:1', epoch: 1, result: metric === null ? null : result(metric), error: null,
    finishedAt: metric === null ? null : `2026-01-01T00:01:${String(id).padStart(2, '0')}.000Z`, queuedAt: '2026-01-01T00:00:00.000Z', startedAt: status === 'queued' ? null : '2026-01-01T00:01:00.000Z',
    leaseUntil: status === 'running' ? '2026-01-01T00:02:20.000Z' : null, ...over,
  };
}

test('many pages polling at once cost one read of the store per interval; a failed read is tried again', async () => {
  const source = countingSource([row(1, 'counted', JSON.stringify(CONFIG))], [trial(1, 1, 'done', 0.7), trial(2, 1, 'done', 0.9), trial(3, 1, 'running', null), trial(4, 1, 'queued', null)]);
  const api = new DashboardApi(source, 60_000);
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? api.studies() : api.study('counted'))));
  assert.equal(source.calls.studyRows, 1);
  assert.equal(source.calls.changes, 1);
  const list = answers[1] as Awaited<ReturnType<DashboardApi['studies']>>;
  assert.equal(list.studies[0].best, 0.9, 'the best of a study maximising accuracy');
  assert.deepEqual(list.studies[0].counts, { queued: 1, running: 1, done: 2, pruned: 0, failed: 0 });
  assert.equal(list.studies[0].state, 'running');
  const detail = (answers[0] as Awaited<ReturnType<DashboardApi['study']>>)!;
  assert.ok(detail.table1?.html.includes('<table class="t1">'), 'a study of factors shows its Table 1');
  assert.equal(detail.search, null, 'one at a time searches no parameters');
  assert.deepEqual(detail.workers.map((w) => [w.name, w.host, w.state, w.trial?.number, w.done, w.leaseLeft]), [['box:12:1', 'box', 'running', 3, 2, 20]]);
  assert.ok(detail.workers[0].heartbeatAgo !== null && detail.workers[0].heartbeatAgo >= 0);

  const quick = new DashboardApi(source, 0);
  source.fail = true;
  await assert.rejects(quick.studies(), ConfigError);
  source.fail = false;
  assert.equal((await quick.studies()).studies.length, 1, 'the next request reads again');
});

test('a study whose stored config is unreadable, and a trial whose stored row is, are shown as such beside the others', async () => {
  const damaged = trial(3, 2, 'done', null, { damaged: 'trial k3: result_json is not JSON; the row is damaged' });
  const source = countingSource([row(1, 'broken', '{not json'), row(2, 'counted', JSON.stringify(CONFIG))], [trial(1, 1, 'done', 0.5), trial(2, 2, 'done', 0.8), damaged]);
  const api = new DashboardApi(source);
  const { studies } = await api.studies();
  assert.deepEqual(studies.map((s) => [s.name, s.state, s.counts.done]), [['broken', 'damaged', 1], ['counted', 'idle', 2]]);
  assert.match(studies[0].error ?? '', /config_json/);
  assert.equal(studies[1].error, null);
  assert.equal(studies[1].damagedTrials, 1);
  const detail = (await api.study('counted', { ...DEFAULT_QUERY, state: 'damaged' }))!;
  assert.deepEqual(detail.trials.map((x) => [x.id, x.damaged]), [[3, damaged.damaged]]);
  assert.equal((await api.study('broken'))!.trials.length, 1, 'the trials of a damaged study are still listed');
});

test('the trials table is sorted (empty values last), filtered and paged on the server; a query it does not understand is left at its defaults', () => {
  const trials = Array.from({ length: 450 }, (_, i) => trial(i + 1, 1, i % 10 === 0 ? 'failed' : 'done', i % 10 === 0 ? null : (i % 37) / 37, { worker: `box:${i % 3}:1` }));
  const table = trialTable(trials, 'valAccuracy', '2026-01-01T00:02:00.000Z');
  const first = trialPage(table, DEFAULT_QUERY);
  assert.equal(first.rows.length, 200);
  assert.equal(first.total, 450);
  assert.deepEqual(first.rows.slice(0, 3).map((r) => r.number), [1, 2, 3]);
  const best = trialPage(table, { ...DEFAULT_QUERY, sort: 'metric', dir: -1, limit: 1000 });
  assert.equal(best.rows[0].metric, 36 / 37);
  assert.equal(best.rows.at(-1)!.metric, null, 'failed trials, without a metric, come last either way');
  assert.equal(trialPage(table, { ...DEFAULT_QUERY, sort: 'metric', dir: 1, limit: 1000 }).rows.at(-1)!.metric, null);
  const filtered = trialPage(table, { ...DEFAULT_QUERY, filter: 'BOX:2', state: 'done', offset: 100 });
  assert.equal(filtered.matched, trials.filter((x) => x.worker === 'box:2:1' && x.status === 'done').length);
  assert.ok(filtered.rows.every((r) => r.worker === 'box:2:1' && r.state === 'done'));
  assert.equal(filtered.rows.length, filtered.matched - 100);
  assert.deepEqual(trialQuery(new URLSearchParams('sort=metric&dir=-1&q=lr&state=pruned&offset=200&limit=50')), { sort: 'metric', dir: -1, filter: 'lr', state: 'pruned', offset: 200, limit: 50 });
  assert.deepEqual(trialQuery(new URLSearchParams('sort=__proto__&dir=2&state=x&offset=-5&limit=100000')), { ...DEFAULT_QUERY, limit: 1000 });
});

test('a search: its parameters (a grid\'s factors as choices), the parallel coordinates and slices of its trials, and the importance the report shows', () => {
  const space = resolveStudy(SPACE);
  const params = studyParams(space);
  assert.deepEqual(params.map((p) => p.kind), ['range', 'choice']);
  const grid = resolveStudy({ ...CONFIG, factors: [...CONFIG.factors, { path: 'network.dropout', values: [0, 0.3] }], strategy: 'grid' });
  assert.deepEqual(studyParams(grid).map((p) => [p.kind, p.path]), [['choice', 'train.learningRate'], ['choice', 'network.dropout']]);
  assert.deepEqual(trialParams(grid, { levels: [1, 0] }), { 'train.learningRate': 0.1, 'network.dropout': 0 });
  assert.equal(trialParams(grid, { levels: [1] }), null);
  assert.deepEqual(studyParams(resolveStudy(CONFIG)), [], 'one at a time is no search');

  const rng = new Rng(3);
  const trials = Array.from({ length: 2500 }, (_, i) => {
    const lr = 10 ** (-3 + 2 * rng.uniform());
    return { number: i + 1, value: 0.5 + 0.1 * Math.log10(lr) + 0.01 * rng.uniform(), params: { 'train.learningRate': lr, 'network.dropout': i % 2 ? 0.5 : 0 } };
  });
  const all = parallelData(params, trials.slice(0, 40), { metric: 'valAccuracy', metricTitle: 'validation accuracy' });
  assert.equal(all.rule, 'all 40 finished trials');
  assert.deepEqual(all.axes.map((a) => a.name), ['lr', 'dropout', 'validation accuracy']);
  assert.deepEqual(all.axes[0].ticks.map((x) => x.text), ['0.001', '0.01', '0.1'], 'a log range is labelled by its decades');
  assert.deepEqual(all.axes[1].ticks, [{ at: 0.25, text: '0' }, { at: 0.75, text: '0.5' }]);
  const bestOf40 = Math.max(...trials.slice(0, 40).map((x) => x.value));
  assert.equal(all.lines.at(-1)!.value, bestOf40, 'the best is drawn last');
  assert.equal(all.lines.at(-1)!.at[2], 1);
  const lr = trials[0].params['train.learningRate'];
  assert.ok(Math.abs(all.lines.find((l) => l.trial === 1)!.at[0]! - (Math.log10(lr) + 3) / 2) < 1e-12, 'a log range is laid out by its logarithm');
  const many = parallelData(params, trials, { metric: 'valAccuracy', metricTitle: 'validation accuracy' });
  assert.equal(many.lines.length, 1000);
  assert.equal(many.rule, '1,000 of 2,500 finished trials: the best 100 and 900 others spread evenly');
  const top = [...trials].sort((a, b) => b.value - a.value).slice(0, 100).map((x) => x.number).sort((a, b) => a - b);
  assert.deepEqual(many.lines.slice(-100).map((l) => l.trial).sort((a, b) => a - b), top);
  const lower = parallelData(params, trials.slice(0, 10), { metric: 'valLoss', metricTitle: 'validation loss' });
  assert.equal(lower.lines.at(-1)!.value, Math.min(...trials.slice(0, 10).map((x) => x.value)), 'a loss: the lowest is the best');
  assert.equal(lower.higherIsBetter, false);

  const slices = slicePanels(params, trials.slice(0, 3));
  assert.deepEqual(slices[1], { name: 'dropout', log: false, categorical: true, int: false, points: trials.slice(0, 3).map((x) => ({ x: String(x.params['network.dropout']), value: x.value })) });
  const importance = parameterImportance(params, trials.map((x) => ({ params: x.params, value: x.value })));
  assert.equal(importance[0].path, 'train.learningRate', 'the metric follows the learning rate');
});

test('the study folder\'s reports are served by their names only, and only from inside the folder', async () => {
  const t = tempDir();
  const outside = tempDir();
  try {
    writeFileSync(join(t.dir, 'report.html'), '<p>study</p>');
    writeFileSync(join(t.dir, 'study.db'), '');
    mkdirSync(join(t.dir, 'final'));
    writeFileSync(join(outside.dir, 'secret.html'), 'secret');
    // A link out of the folder under a served name is not followed.
    symlinkSync(join(outside.dir, 'secret.html'), join(t.dir, 'final', 'report.html'));
    assert.deepEqual(reportLinks(t.dir), [{ label: 'the study report', href: 'files/report.html' }]);
    assert.equal(await readReport(t.dir, 'report.html'), '<p>study</p>');
    for (const path of ['final/report.html', 'study.db', '../report.html', '/etc/passwd', 'final/../report.html', 'reference/report.html']) assert.equal(await readReport(t.dir, path), null, path);
    assert.equal(await readReport(null, 'report.html'), null);
    assert.deepEqual(reportLinks(null), []);
  } finally {
    t.done();
    outside.done();
  }
});

test('loopback addresses need no token; any other gets a new one of 32 hex characters; a given one must be 16 characters or more', () => {
  for (const h of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.1.2.3']) assert.ok(isLoopback(h), h);
  for (const h of ['0.0.0.0', '192.168.1.4', '::', 'example.org']) assert.ok(!isLoopback(h), h);
  assert.equal(dashboardToken('127.0.0.1', undefined), undefined);
  assert.match(dashboardToken('0.0.0.0', undefined) ?? '', /^[0-9a-f]{32}$/);
  assert.notEqual(dashboardToken('0.0.0.0', undefined), dashboardToken('0.0.0.0', undefined));
  assert.equal(dashboardToken('127.0.0.1', 'sixteen-chars-ok'), 'sixteen-chars-ok');
  assert.throws(() => dashboardToken('0.0.0.0', 'too-short'), /--token: got "9 characters"/);
});
