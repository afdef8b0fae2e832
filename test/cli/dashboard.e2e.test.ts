/**
 * `mlplab dashboard` as people run it, a child process beside a running study: its one line,
 * its JSON while the study runs (the counts rise) and once it is done (the best value and
 * Table 1 as study.json has them), the page in real Chromium, the token a dashboard bound
 * beyond this machine requires, a damaged study listed with its error, and each bad input
 * in one line. With a PostgreSQL test server, the same over --storage, its password in no
 * answer and no output.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { table1Html } from '../../src/tune/report/html.js';
import type { StudyReport } from '../../src/tune/report/study-report.js';
import type { StudyDetail, StudySummary } from '../../src/tune/dashboard/api.js';
import { BIN, mlplab, tempDir, writeStudyFolder } from './helpers.js';
import { launchChromium, skipWithoutChromium } from '../web/site.js';
import { PG_URL, freshDatabase, pgSkip, sql } from '../tune/pg.js';

const work = tempDir('mlplab-dashboard-');
mkdirSync(join(work, 'data'));
writeStudyFolder(join(work, 'data'), { train: 2000, test: 200, features: 16 });
const CONFIG = join(work, 'watched.json');
const OUT = join(work, 'out');
after(() => rmSync(work, { recursive: true, force: true }));
writeFileSync(
  CONFIG,
  JSON.stringify({
    name: 'watched',
    data: { source: 'data', scale: 'standard', trainRows: 1500 },
    base: { network: { widths: [128], activations: 'relu', batchNorm: false, dropout: 0 }, train: { learningRate: 0.01, batchSize: 32, momentum: 0.9, weightDecay: 0 } },
    factors: [
      { path: 'train.learningRate', values: [0.003, 0.01] },
      { path: 'network.widths', values: [[64], [128]] },
    ],
    seeds: 2,
    // About ten seconds of training in all: long enough to watch the counts rise.
    epochs: 800,
    earlyStopping: false,
    final: { epochs: 10 },
  }),
);

interface Child {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

function background(args: string[]): Child {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: work });
  let out = '', err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return { child, out: () => out, err: () => err, exited: new Promise((r) => child.on('exit', (code) => r(code))) };
}

async function until<T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Start a dashboard; returns it with the address it printed. */
async function dashboard(args: string[]): Promise<Child & { url: string }> {
  const d = background(['dashboard', ...args]);
  const line = await until('the dashboard to print its address', () => (d.out().includes('\n') ? d.out() : undefined) ?? (d.err() ? Promise.reject(new Error(d.err())) : undefined), 30_000);
  return { ...d, url: line.trim().replace(/^dashboard: /, '') };
}

async function stop(d: Child): Promise<number | null> {
  d.child.kill('SIGTERM');
  return d.exited;
}

const api = async <T>(base: string, path: string): Promise<T> => {
  const r = await fetch(new URL(path, base));
  assert.equal(r.status, 200, `${path}: ${r.status} ${await r.clone().text()}`);
  return (await r.json()) as T;
};

const studyTables = (dir: string) => {
  if (!existsSync(join(dir, 'study.db'))) return false;
  try {
    const db = new Database(join(dir, 'study.db'), { readonly: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM mlplab_studies').get() as { n: number }).n > 0;
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
};

/** The best metric of a finished trial before the final model, as study.json records the trials. */
const bestOf = (r: StudyReport) => Math.max(...r.trialLog.filter((t) => t.state === 'done' && t.metric !== null).map((t) => t.metric!));

test('the dashboard of a running study prints one line, its counts rise while the study runs, and at the end it shows the best value, Table 1 and the test accuracy of study.json', { timeout: 240_000 }, async () => {
  const study = background(['study', CONFIG, '--out', OUT, '--workers', '1', '--no-html']);
  await until('the study to create its tables', () => studyTables(OUT));
  const d = await dashboard([OUT, '--port', '0']);
  try {
    assert.match(d.out(), /^dashboard: http:\/\/127\.0\.0\.1:\d+\/\n$/);
    const seen: StudySummary[] = [];
    let ended = false;
    void study.exited.then(() => (ended = true));
    while (!ended) {
      const r = await api<{ studies: StudySummary[] }>(d.url, '/api/studies');
      seen.push(r.studies[0]);
      await new Promise((res) => setTimeout(res, 400));
    }
    assert.equal(await study.exited, 0, study.err());
    const live = seen.filter((s) => s.state !== 'done');
    assert.ok(live.length >= 2, `the dashboard saw the study running (${seen.length} answers, ${live.length} before the end)`);
    assert.ok(live.some((s) => s.counts.running > 0 || s.counts.queued > 0), 'trials were running or queued while it ran');
    assert.ok(live[live.length - 1].counts.done > live[0].counts.done, `done rose while the study ran: ${live.map((s) => s.counts.done).join(', ')}`);

    const report = JSON.parse(readFileSync(join(OUT, 'study.json'), 'utf8')) as StudyReport;
    // The answers are reused for 2 s: wait for one read after the study ended.
    const end = await until('the dashboard to see the study done', async () => {
      const r = await api<{ studies: StudySummary[] }>(d.url, '/api/studies');
      return r.studies[0].state === 'done' ? r.studies[0] : undefined;
    });
    assert.equal(end.name, 'watched');
    assert.equal(end.strategy, 'one-at-a-time');
    assert.equal(end.best, bestOf(report));
    assert.equal(end.counts.running + end.counts.queued, 0);
    const detail = await api<StudyDetail>(d.url, '/api/study/watched');
    assert.equal(detail.trials.length, end.counts.done + end.counts.pruned + end.counts.failed);
    assert.equal(detail.bestOverTime.at(-1)?.best, bestOf(report));
    assert.ok(detail.table1, 'a one-at-a-time study shows Table 1');
    assert.equal(detail.table1.html, table1Html(report.table1, report.metric), 'the page draws the Table 1 of study.json');
    assert.equal(detail.final?.testAccuracy, report.final?.test?.accuracy);

    const page = await fetch(d.url);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.doesNotMatch(html, /(src|href)="?(https?:)?\/\//, 'the page loads nothing from elsewhere');
    const missing = await fetch(new URL('/api/study/nothing-here', d.url));
    assert.equal(missing.status, 404);
    // fetch sets Host itself: a request naming another host (DNS rebinding) goes through http.
    const foreign = await new Promise<number | undefined>((resolve, reject) => get(d.url, { headers: { host: 'attacker.example' } }, (res) => resolve(res.resume().statusCode)).on('error', reject));
    assert.equal(foreign, 403, 'a loopback dashboard answers requests to localhost only');
  } finally {
    assert.equal(await stop(d), 0, `SIGTERM closes it cleanly: ${d.err()}`);
    assert.equal(d.out().split('\n').filter(Boolean).length, 1, 'it printed exactly one line');
    assert.equal(d.err(), '');
  }
});

test('the page in Chromium shows the study, its trials table (sortable), its curve and Table 1, with no page error', { skip: skipWithoutChromium, timeout: 120_000 }, async (t) => {
  assert.ok(studyTables(OUT), 'the study of the first test is there');
  const d = await dashboard([OUT, '--port', '0']);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => void (m.type() === 'error' && problems.push(m.text())));
    page.on('request', (r) => void (!r.url().startsWith(d.url.replace(/\/$/, '')) && problems.push(`request elsewhere: ${r.url()}`)));
    await page.goto(d.url);
    await page.waitForSelector('#trials-table tbody tr');
    assert.equal(await page.textContent('#study-name'), 'watched');
    assert.equal(await page.textContent('#studies-table tbody tr th bdi'), 'watched');
    const rows = await page.$$eval('#trials-table tbody tr', (r) => r.length);
    const detail = await api<StudyDetail>(d.url, '/api/study/watched');
    assert.equal(rows, detail.trials.length);
    assert.ok(await page.$('#best-chart svg path.best'), 'the best value over time is drawn');
    assert.ok(await page.isVisible('#table1 table.t1'), 'Table 1 is shown');
    assert.match((await page.textContent('#study-cards')) ?? '', /Final test accuracy/);
    // Sorting by the metric, highest first: the first row holds the best value.
    await page.click('#trials-table th[data-key="metric"]');
    await page.click('#trials-table th[data-key="metric"]');
    assert.equal(await page.getAttribute('#trials-table th[data-key="metric"]', 'aria-sort'), 'descending');
    const best = detail.trials.filter((x) => x.metric !== null).sort((a, b) => b.metric! - a.metric!)[0];
    assert.equal(await page.textContent('#trials-table tbody tr:first-child td:nth-child(7)'), best.metricText);
    // Two trials picked in the table: their learning curves, read from the stored epochs, one path each.
    await page.click('#trials-table tbody tr:nth-child(1)');
    await page.click('#trials-table tbody tr:nth-child(2)');
    await page.waitForFunction(() => document.querySelectorAll('#curves-chart path.trial-curve').length === 2, null, { timeout: 10_000 });
    const firstId = Number(await page.getAttribute('#trials-table tbody tr:nth-child(1)', 'data-id'));
    const curve = (await (await fetch(new URL(`/api/study/${encodeURIComponent(detail.summary.name)}/trial/${firstId}`, d.url))).json()) as { epochs: unknown[] };
    const stored = detail.trials.find((x) => x.id === firstId)!;
    assert.equal(curve.epochs.length, stored.epochs);
    // It polls: the status line is renewed without a reload.
    const first = await page.textContent('#status');
    await page.waitForFunction((s) => document.getElementById('status')!.textContent !== s, first, { timeout: 10_000 });
    const shot = join('/tmp', 'mlplab-dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    t.diagnostic(`screenshot: ${shot}`);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await stop(d);
  }
});

test('bound beyond loopback the dashboard needs a token: it makes one of 32 hex characters, and a request without it gets 401', { timeout: 60_000 }, async () => {
  const d = await dashboard([OUT, '--host', '0.0.0.0', '--port', '0']);
  try {
    const m = /^dashboard: http:\/\/0\.0\.0\.0:(\d+)\/\?token=([0-9a-f]{32})\n$/.exec(d.out());
    assert.ok(m, d.out());
    const base = `http://127.0.0.1:${m[1]}`;
    for (const path of ['/', '/api/studies', '/api/study/watched']) {
      assert.equal((await fetch(base + path)).status, 401, path);
      assert.equal((await fetch(`${base}${path}?token=${'0'.repeat(32)}`)).status, 401, `${path} with a wrong token`);
    }
    assert.equal((await fetch(`${base}/api/studies?token=${m[2]}`)).status, 200);
    assert.equal((await fetch(`${base}/api/studies`, { headers: { authorization: `Bearer ${m[2]}` } })).status, 200);
    assert.equal((await fetch(`${base}/?token=${m[2]}`)).status, 200);
  } finally {
    await stop(d);
  }
  const given = await dashboard([OUT, '--port', '0', '--token', 'a-token-of-our-own']);
  try {
    assert.match(given.out(), /\?token=a-token-of-our-own\n$/);
    const base = given.url.replace(/\?.*$/, '');
    assert.equal((await fetch(`${base}api/studies`)).status, 401);
    assert.equal((await fetch(`${base}api/studies?token=a-token-of-our-own`)).status, 200);
  } finally {
    await stop(given);
  }
});

test('a damaged study is listed with its error, and the page still answers', { timeout: 60_000 }, async () => {
  const dir = join(work, 'damaged');
  mkdirSync(dir);
  // A copy through SQLite's backup, so rows still in the write-ahead log come along.
  const source = new Database(join(OUT, 'study.db'), { readonly: true });
  await source.backup(join(dir, 'study.db'));
  source.close();
  const db = new Database(join(dir, 'study.db'));
  db.prepare("UPDATE mlplab_studies SET config_json = '{not json'").run();
  db.prepare("UPDATE mlplab_trials SET result_json = '[broken' WHERE id = 1").run();
  db.close();
  const d = await dashboard([dir, '--port', '0']);
  try {
    const r = await api<{ studies: StudySummary[] }>(d.url, '/api/studies');
    assert.equal(r.studies.length, 1);
    assert.equal(r.studies[0].state, 'damaged');
    assert.match(r.studies[0].error ?? '', /config_json/);
    const detail = await api<StudyDetail>(d.url, '/api/study/watched');
    assert.match(detail.summary.error ?? '', /damaged/);
    assert.equal((await fetch(d.url)).status, 200);
  } finally {
    await stop(d);
  }
});

test('bad input is one line each: a folder without a study, a short token, a port in use, an unreachable database (its password not shown)', { timeout: 60_000 }, async () => {
  const oneLine = (r: { status: number | null; stdout: string; stderr: string }, pattern: RegExp) => {
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^mlplab: error: [^\n]+\n$/);
    assert.match(r.stderr, pattern);
  };
  oneLine(mlplab(['dashboard', join(work, 'data'), '--port', '0']), /holds no study/);
  oneLine(mlplab(['dashboard', OUT, '--port', '0', '--token', 'short']), /--token: got "5 characters"/);
  oneLine(mlplab(['dashboard', '--port', '0']), /a study folder, or --storage URL/);
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as { port: number }).port;
  try {
    oneLine(mlplab(['dashboard', OUT, '--port', String(port)]), new RegExp(`--port: got ${port}, expected a free port`));
  } finally {
    blocker.close();
  }
  const secret = 'hunter2-never-shown';
  const r = mlplab(['dashboard', '--storage', `postgresql://someone:${secret}@127.0.0.1:1/studies`, '--port', '0']);
  oneLine(r, /postgresql:\/\/someone@127\.0\.0\.1:1\/studies: cannot reach PostgreSQL/);
  assert.ok(!r.stderr.includes(secret) && !r.stdout.includes(secret));
});

test('over PostgreSQL: the dashboard reads a study stored there, and the password is in no answer and no output', { skip: pgSkip, timeout: 240_000 }, async () => {
  const db = await freshDatabase();
  try {
    const password = decodeURIComponent(new URL(PG_URL).password);
    assert.ok(password.length > 0, 'the test server has a password');
    const out = join(work, 'pg-out');
    const study = background(['study', CONFIG, '--storage', db.url, '--out', out, '--workers', '1', '--no-html']);
    await until('the study to be stored', async () => (await sql<{ n: string }>(db.url, "SELECT COUNT(*) AS n FROM mlplab_trials WHERE status = 'running'").catch(() => [{ n: '0' }]))[0].n !== '0');
    const d = await dashboard(['--storage', db.url, '--port', '0']);
    try {
      // Live: the counts rise while the study runs.
      const first = (await api<{ studies: StudySummary[] }>(d.url, '/api/studies')).studies[0];
      assert.notEqual(first.state, 'done');
      await until('a trial to finish', async () => (await api<{ studies: StudySummary[] }>(d.url, '/api/studies')).studies[0].counts.done > first.counts.done);
      assert.equal(await study.exited, 0, study.err());
      await until('the dashboard to see the study done', async () => (await api<{ studies: StudySummary[] }>(d.url, '/api/studies')).studies[0].state === 'done');
      const report = JSON.parse(readFileSync(join(out, 'study.json'), 'utf8')) as StudyReport;
      const list = await fetch(new URL('/api/studies', d.url)).then((x) => x.text());
      const detail = await fetch(new URL('/api/study/watched', d.url)).then((x) => x.text());
      const page = await fetch(d.url).then((x) => x.text());
      const summary = (JSON.parse(list) as { studies: StudySummary[] }).studies[0];
      assert.equal(summary.best, bestOf(report));
      assert.equal((JSON.parse(detail) as StudyDetail).table1?.html, table1Html(report.table1, report.metric));
      for (const text of [list, detail, page, d.out(), d.err()]) assert.ok(!text.includes(password), 'the password is not shown');
    } finally {
      await stop(d);
    }
    for (const text of [d.out(), d.err()]) assert.ok(!text.includes(password));
  } finally {
    await db.drop();
  }
});
