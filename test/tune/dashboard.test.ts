/**
 * The dashboard's answers over a store that counts its queries: any number of pages polling
 * at once cost the store one read per interval, a failed read is not kept, and a study whose
 * stored config is unreadable is listed with its error beside the others.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DashboardApi } from '../../src/tune/dashboard/api.js';
import { dashboardToken, isLoopback } from '../../src/tune/dashboard/server.js';
import type { DashboardSource, StatusRow } from '../../src/tune/dashboard/source.js';
import type { StudyRow } from '../../src/tune/storage/rows.js';
import { ConfigError } from '../../src/errors.js';

const CONFIG = {
  name: 'counted',
  data: { source: 'data' },
  base: 'default',
  factors: [{ path: 'train.learningRate', values: [0.01, 0.1] }],
  seeds: 2,
  epochs: 3,
};

function row(id: number, name: string, config: string): StudyRow {
  return { id, name, config_hash: 'h', config_json: config, fingerprint_json: '{}', backend: 'wasm', stage: 'search', created_at: '2026-01-01T00:00:00Z' };
}

function countingSource(rows: StudyRow[], status: StatusRow[]): DashboardSource & { calls: Record<string, number>; fail: boolean } {
  const calls = { studyRows: 0, statusRows: 0, trials: 0 };
  const s = {
    kind: 'sqlite' as const,
    where: 'test.db',
    calls,
    fail: false,
    studyRows: async () => {
      calls.studyRows++;
      if (s.fail) throw new ConfigError('store', 'x', 'readable');
      return rows;
    },
    statusRows: async () => (calls.statusRows++, status),
    trials: async () => (calls.trials++, []),
    finalOutputs: async () => [],
    epochs: async () => [],
    close: async () => undefined,
  };
  return s;
}

test('many pages polling at once cost one read of the store per interval; a failed read is tried again', async () => {
  const source = countingSource([row(1, 'counted', JSON.stringify(CONFIG))], [{ studyId: 1, status: 'done', n: 3, maxMetric: 0.9, minMetric: 0.7, last: '2026-01-01T00:01:00Z' }]);
  const api = new DashboardApi(source, 60_000);
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? api.studies() : api.study('counted'))));
  assert.equal(source.calls.studyRows, 1);
  assert.equal(source.calls.statusRows, 1);
  assert.equal(source.calls.trials, 1);
  const list = answers[1] as Awaited<ReturnType<DashboardApi['studies']>>;
  assert.equal(list.studies[0].best, 0.9, 'the best of a study maximising accuracy');
  assert.equal(list.studies[0].counts.done, 3);

  const quick = new DashboardApi(source, 0);
  source.fail = true;
  await assert.rejects(quick.studies(), ConfigError);
  source.fail = false;
  assert.equal((await quick.studies()).studies.length, 1, 'the next request reads again');
});

test('a study whose stored config is unreadable is listed with its error beside the others', async () => {
  const source = countingSource([row(1, 'broken', '{not json'), row(2, 'counted', JSON.stringify(CONFIG))], []);
  const { studies } = await new DashboardApi(source).studies();
  assert.deepEqual(studies.map((s) => [s.name, s.state]), [['broken', 'damaged'], ['counted', 'idle']]);
  assert.match(studies[0].error ?? '', /config_json/);
  assert.equal(studies[1].error, null);
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
