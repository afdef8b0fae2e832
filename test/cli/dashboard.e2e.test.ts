/**
 * `mlplab dashboard` as people run it, a child process beside a running study, with the page
 * open in real Chromium while the study runs: it names the study, its counts rise without a
 * reload, its workers show who runs what, and at the end its best value is study.json's, a
 * search shows its parallel coordinates and importance, a study of factors its Table 1 (the
 * one study.json has), and the final model its test scores, figures and report; no page error.
 * Also: the token a dashboard bound beyond this machine requires, a damaged study and a damaged
 * trial row shown as such, and each bad input in one line. With a PostgreSQL test server, the
 * same over --storage, its password in no answer and no output.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import { fmtMetric } from '../../src/tune/analysis/table1.js';
import { table1Html } from '../../src/tune/report/html.js';
import type { StudyReport } from '../../src/tune/report/study-report.js';
import type { StudyDetail, StudySummary } from '../../src/tune/dashboard/api.js';
import { BIN, mlplab, tempDir, writeStudyFolder } from './helpers.js';
import { launchChromium, skipWithoutChromium } from '../web/site.js';
import { PG_URL, freshDatabase, pgSkip, sql } from '../tune/pg.js';

const work = tempDir('mlplab-dashboard-');
mkdirSync(join(work, 'data'));
// Four overlapping classes in three features: the trials' scores differ.
writeStudyFolder(join(work, 'data'), { train: 1500, test: 300, features: 3, classes: 4, seed: 5 });
after(() => rmSync(work, { recursive: true, force: true }));

const BASE = { network: { widths: [64], activations: 'relu', batchNorm: false, dropout: 0 }, train: { learningRate: 0.01, batchSize: 32, momentum: 0.9, weightDecay: 0 } };
/** A random search over a space: 16 trials of about a second on two workers. */
const SEARCH = join(work, 'searched.json');
writeFileSync(
  SEARCH,
  JSON.stringify({
    name: 'searched',
    data: { source: 'data', scale: 'standard', trainRows: 1200 },
    base: BASE,
    space: [
      { path: 'train.learningRate', name: 'learning rate', low: 0.0003, high: 0.3, log: true },
      { path: 'network.widths', name: 'widths', choices: [[16], [64]] },
      { path: 'train.batchSize', name: 'batch', low: 16, high: 128, int: true },
    ],
    strategy: { type: 'random', trials: 16, seed: 3 },
    epochs: 1000,
    earlyStopping: false,
    final: { epochs: 10 },
  }),
);
/** One factor at a time, six trials of about a second and a half on one worker: Table 1 fills in while it runs. */
const FACTORS = join(work, 'watched.json');
writeFileSync(
  FACTORS,
  JSON.stringify({
    name: 'watched',
    data: { source: 'data', scale: 'standard', trainRows: 1200 },
    base: { ...BASE, network: { ...BASE.network, widths: [128] } },
    factors: [
      { path: 'train.learningRate', values: [0.003, 0.01] },
      { path: 'network.widths', values: [[64], [128]] },
    ],
    seeds: 2,
    epochs: 2000,
    earlyStopping: false,
    final: { epochs: 10 },
  }),
);
const OUT = join(work, 'out');

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

async function until<T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
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
  const line = await until('the dashboard to print its address', () => (d.out().includes('\n') ? d.out() : undefined) ?? (d.err() ? Promise.reject(new Error(d.err())) : undefined));
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

/** A page of the dashboard in Chromium that records every page error, console error and request elsewhere. */
async function openPage(url: string) {
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => void (m.type() === 'error' && problems.push(m.text())));
  page.on('request', (r) => void (!r.url().startsWith(url.replace(/\/(\?.*)?$/, '')) && problems.push(`request elsewhere: ${r.url()}`)));
  await page.goto(url);
  // Set once: a reload would clear it.
  await page.evaluate(() => ((window as unknown as { loadedOnce: boolean }).loadedOnce = true));
  return { browser, page, problems };
}

/** What the page shows of the study while it runs: its done counts, in order, and whether a running worker was listed with its host. */
async function watch(page: Page, study: Child): Promise<{ done: number[]; worker: string | null }> {
  let ended = false;
  void study.exited.then(() => (ended = true));
  const done: number[] = [];
  let worker: string | null = null;
  while (!ended) {
    const n = await page.textContent('#studies-table tbody tr td.count-done').catch(() => null);
    if (n !== null && n !== '' && Number(n) !== done.at(-1)) done.push(Number(n));
    worker ??= await page.textContent('#workers-table tbody tr:has(.state.running) td:nth-child(2)').catch(() => null);
    await new Promise((r) => setTimeout(r, 150));
  }
  return { done, worker };
}

test('a search running with the page open in Chromium: its counts rise without a reload, its workers show, and at the end the best of study.json, the parallel coordinates, the importance and the final model with its report', { skip: skipWithoutChromium, timeout: 60_000 }, async (t) => {
  const study = background(['study', SEARCH, '--out', OUT, '--workers', '2']);
  await until('the study to create its tables', () => studyTables(OUT));
  const t0 = Date.now();
  const at = (what: string) => t.diagnostic(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const d = await dashboard([OUT, '--port', '0']);
  const { browser, page, problems } = await openPage(d.url);
  at('page open');
  try {
    assert.match(d.out(), /^dashboard: http:\/\/127\.0\.0\.1:\d+\/\n$/);
    await page.waitForFunction(() => document.getElementById('study-name')?.textContent === 'searched', null, { timeout: 10_000 });
    const seen = await watch(page, study);
    at('study ended');
    assert.equal(await study.exited, 0, study.err());
    assert.ok(seen.done.length >= 2 && seen.done.at(-1)! > seen.done[0], `the done count rose while the study ran: ${seen.done.join(', ')}`);
    assert.ok(seen.done.every((n, i) => i === 0 || n > seen.done[i - 1]), `and never fell: ${seen.done.join(', ')}`);
    assert.equal(seen.worker, (await import('node:os')).hostname(), 'a running worker was listed with its host');

    const report = JSON.parse(readFileSync(join(OUT, 'study.json'), 'utf8')) as StudyReport;
    await page.waitForFunction(() => document.querySelector('#studies-table tbody tr .state')?.textContent === 'done', null, { timeout: 10_000 });
    assert.equal(await page.textContent('#card-best .card-value'), fmtMetric(bestOf(report), report.metric), 'the best value is study.json\'s');
    assert.equal(await page.textContent('#studies-table tbody tr td.best'), fmtMetric(bestOf(report), report.metric));
    const summary = (await api<{ studies: StudySummary[] }>(d.url, '/api/studies')).studies[0];
    assert.equal(summary.best, bestOf(report));
    assert.equal(summary.counts.done + summary.counts.pruned + summary.counts.failed, 17, 'the search and the final model');
    assert.equal(summary.counts.queued + summary.counts.running, 0);

    // The search: parallel coordinates drawn by the report's chart, the importance as report.html has it.
    await page.waitForSelector('#parallel-chart svg', { timeout: 10_000 });
    const detail = await api<StudyDetail>(d.url, '/api/study/searched');
    assert.equal(detail.search?.finished, 16);
    assert.deepEqual(detail.search?.importance.map((x) => x.path).sort(), report.search!.importance.map((x) => x.path).sort());
    for (const x of report.search!.importance) assert.ok(Math.abs(detail.search!.importance.find((y) => y.path === x.path)!.eta2 - x.eta2) < 1e-12, x.path);
    assert.equal(await page.locator('#importance-body tbody tr').count(), 3);
    await page.waitForFunction(() => /all 16 finished trials/.test(document.getElementById('parallel-chart')?.textContent ?? ''), null, { timeout: 10_000 });
    const reportHtml = readFileSync(join(OUT, 'report.html'), 'utf8');
    assert.match(reportHtml, /validation accuracy across the parameters/, 'report.html draws the same parallel coordinates');

    // The final model: its test accuracy, its figures, its report served read-only.
    await page.waitForSelector('#final-figures svg', { timeout: 15_000 });
    at('final figures drawn');
    assert.equal(await page.textContent('#card-final .card-value'), fmtMetric(report.final!.test!.accuracy, 'valAccuracy'));
    await page.waitForFunction(() => document.querySelectorAll('#final-links a').length === 2, null, { timeout: 10_000 });
    const links = await page.$$eval('#final-links a', (as) => as.map((a) => [a.textContent, (a as HTMLAnchorElement).href]));
    assert.deepEqual(links.map((l) => l[0]), ['the study report', "the final model's run report"]);
    const served = await fetch(links[0][1]!);
    assert.equal(served.status, 200);
    assert.equal(await served.text(), reportHtml);
    assert.match(served.headers.get('content-security-policy') ?? '', /sandbox/);
    assert.equal((await fetch(new URL('/files/study.db', d.url))).status, 404, 'only the reports are served');
    assert.equal((await fetch(new URL('/files/..%2Fdata%2Ftrain_data.npy', d.url))).status, 404);

    // The trials table: sorted by the metric on the server, highest first.
    await page.click('#trials-table th[data-key="metric"]');
    await page.click('#trials-table th[data-key="metric"]');
    await page.waitForFunction(() => document.querySelector('#trials-table th[data-key="metric"]')?.getAttribute('aria-sort') === 'descending');
    const top = await api<StudyDetail>(d.url, '/api/study/searched?sort=metric&dir=-1&limit=1');
    assert.equal(top.page.total, 17);
    assert.equal(await page.textContent('#trials-table tbody tr:first-child td:nth-child(7)'), top.trials[0].metricText);
    assert.equal(top.trials[0].metric, Math.max(...detail.trials.filter((x) => x.metric !== null).map((x) => x.metric!)));
    // Two trials picked: their learning curves, from the stored epochs.
    await page.click('#trials-table tbody tr:nth-child(2)');
    await page.click('#trials-table tbody tr:nth-child(3)');
    await page.waitForFunction(() => document.querySelectorAll('#curves-chart path.trial-curve').length === 2, null, { timeout: 10_000 });
    assert.equal(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce), true, 'the page was never reloaded');
    const shot = join(work, 'dashboard-search.png');
    await page.screenshot({ path: shot, fullPage: true });
    t.diagnostic(`screenshot: ${shot}`);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    study.child.kill('SIGTERM');
    assert.equal(await stop(d), 0, `SIGTERM closes it cleanly: ${d.err()}`);
    assert.equal(d.out().split('\n').filter(Boolean).length, 1, 'it printed exactly one line');
    assert.equal(d.err(), '');
  }
});

test('bound beyond loopback the dashboard needs a token: it makes one of 32 hex characters, and a request without it gets 401; a loopback one answers requests to localhost only', { timeout: 30_000 }, async () => {
  assert.ok(studyTables(OUT), 'the study of the first test is there');
  const d = await dashboard([OUT, '--host', '0.0.0.0', '--port', '0']);
  try {
    const m = /^dashboard: http:\/\/0\.0\.0\.0:(\d+)\/\?token=([0-9a-f]{32})\n$/.exec(d.out());
    assert.ok(m, d.out());
    const base = `http://127.0.0.1:${m[1]}`;
    for (const path of ['/', '/api/studies', '/api/study/searched', '/api/study/searched/figure', '/files/report.html']) {
      assert.equal((await fetch(base + path)).status, 401, path);
      assert.equal((await fetch(`${base}${path}?token=${'0'.repeat(32)}`)).status, 401, `${path} with a wrong token`);
    }
    assert.equal((await fetch(`${base}/api/studies?token=${m[2]}`)).status, 200);
    assert.equal((await fetch(`${base}/api/studies`, { headers: { authorization: `Bearer ${m[2]}` } })).status, 200);
    assert.equal((await fetch(`${base}/?token=${m[2]}`)).status, 200);
    assert.equal((await fetch(`${base}/files/report.html?token=${m[2]}`)).status, 200);
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
  const local = await dashboard([OUT, '--port', '0']);
  try {
    const page = await fetch(local.url);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.doesNotMatch(await page.text(), /(src|href)="?(https?:)?\/\//, 'the page loads nothing from elsewhere');
    assert.equal((await fetch(new URL('/api/study/nothing-here', local.url))).status, 404);
    // fetch sets Host itself: a request naming another host (DNS rebinding) goes through http.
    const foreign = await new Promise<number | undefined>((resolve, reject) => get(local.url, { headers: { host: 'attacker.example' } }, (res) => resolve(res.resume().statusCode)).on('error', reject));
    assert.equal(foreign, 403);
  } finally {
    await stop(local);
  }
});

test('a damaged study and a damaged trial row are shown as such in Chromium, and the page goes on', { skip: skipWithoutChromium, timeout: 30_000 }, async () => {
  const dir = join(work, 'damaged');
  mkdirSync(dir);
  // A copy through SQLite's backup, so rows still in the write-ahead log come along.
  const source = new Database(join(OUT, 'study.db'), { readonly: true });
  await source.backup(join(dir, 'study.db'));
  source.close();
  const db = new Database(join(dir, 'study.db'));
  db.prepare("INSERT INTO mlplab_studies (name, config_hash, config_json, fingerprint_json, backend, stage, created_at) SELECT 'broken', config_hash, '{not json', fingerprint_json, backend, 'search', created_at FROM mlplab_studies").run();
  db.prepare("UPDATE mlplab_trials SET result_json = '[broken' WHERE id = 2").run();
  db.close();
  const d = await dashboard([dir, '--port', '0']);
  const { browser, page, problems } = await openPage(d.url);
  try {
    const r = await api<{ studies: StudySummary[] }>(d.url, '/api/studies');
    assert.deepEqual(r.studies.map((s) => [s.name, s.state, s.damagedTrials]), [['searched', 'done', 1], ['broken', 'damaged', 0]]);
    assert.match(r.studies[1].error ?? '', /config_json/);
    await page.waitForSelector('#studies-table tbody tr:nth-child(2)');
    assert.match((await page.textContent('#studies-table tbody tr:nth-child(1) th')) ?? '', /1 trial row cannot be read \(damaged\)/);
    assert.match((await page.textContent('#studies-table tbody tr:nth-child(2)')) ?? '', /broken.*config_json.*damaged/s);
    // The healthy study: the damaged row marked in its table, the rest as before.
    await page.waitForSelector('#trials-table tbody tr.damaged');
    assert.match((await page.textContent('#trials-table tbody tr.damaged')) ?? '', /damaged row: .*result_json/);
    assert.equal(await page.isVisible('#study-damaged'), true);
    await page.waitForSelector('#parallel-chart svg');
    // The damaged study chosen: its name and why, no page error.
    await page.click('#studies-table tbody tr:nth-child(2)');
    await page.waitForFunction(() => document.getElementById('study-name')?.textContent === 'broken');
    assert.match((await page.textContent('#study-meta')) ?? '', /config_json/);
    const first = await page.textContent('#status');
    await page.waitForFunction((s) => document.getElementById('status')!.textContent !== s && !document.getElementById('status')!.classList.contains('bad'), first, { timeout: 10_000 });
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
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
  oneLine(mlplab(['dashboard', join(work, 'no-such-folder'), '--port', '0']), /holds no study/);
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

test('over PostgreSQL, a study of factors running with the page open in Chromium: counts rise without a reload, Table 1 and the best value end as study.json has them, and the password is in no answer and no output', { skip: pgSkip || skipWithoutChromium, timeout: 60_000 }, async (t) => {
  const db = await freshDatabase();
  try {
    const password = decodeURIComponent(new URL(PG_URL).password);
    assert.ok(password.length > 0, 'the test server has a password');
    const out = join(work, 'pg-out');
    const study = background(['study', FACTORS, '--storage', db.url, '--out', out, '--workers', '1', '--no-html']);
    await until('the study to be stored', async () => (await sql<{ n: string }>(db.url, 'SELECT COUNT(*) AS n FROM mlplab_trials').catch(() => [{ n: '0' }]))[0].n !== '0');
    const t0 = Date.now();
    const at = (what: string) => t.diagnostic(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const d = await dashboard(['--storage', db.url, '--port', '0']);
    const { browser, page, problems } = await openPage(d.url);
    at('page open');
    try {
      await page.waitForFunction(() => document.getElementById('study-name')?.textContent === 'watched', null, { timeout: 10_000 });
      const seen = await watch(page, study);
      at('study ended');
      assert.equal(await study.exited, 0, study.err());
      assert.ok(seen.done.length >= 2 && seen.done.at(-1)! > seen.done[0], `the done count rose while the study ran: ${seen.done.join(', ')}`);
      assert.ok(seen.worker, 'a running worker was listed with its host');
      const report = JSON.parse(readFileSync(join(out, 'study.json'), 'utf8')) as StudyReport;
      await page.waitForFunction(() => document.querySelector('#studies-table tbody tr .state')?.textContent === 'done', null, { timeout: 10_000 });
      assert.equal(await page.textContent('#card-best .card-value'), fmtMetric(bestOf(report), report.metric));
      const list = await fetch(new URL('/api/studies', d.url)).then((x) => x.text());
      const detail = await fetch(new URL('/api/study/watched', d.url)).then((x) => x.text());
      const html = await fetch(d.url).then((x) => x.text());
      assert.equal((JSON.parse(list) as { studies: StudySummary[] }).studies[0].best, bestOf(report));
      const parsed = JSON.parse(detail) as StudyDetail;
      assert.equal(parsed.table1?.html, table1Html(report.table1, report.metric), 'the page draws the Table 1 of study.json');
      assert.equal(parsed.final?.testAccuracy, report.final?.test?.accuracy);
      assert.equal(await page.innerHTML('#table1-body'), parsed.table1!.html);
      assert.equal(await page.textContent('#card-final .card-value'), fmtMetric(report.final!.test!.accuracy, 'valAccuracy'));
      assert.deepEqual(parsed.final?.links, [], 'a database has no report files to link');
      assert.equal(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce), true, 'the page was never reloaded');
      for (const text of [list, detail, html, d.out(), d.err(), await page.content()]) assert.ok(!text.includes(password), 'the password is not shown');
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      study.child.kill('SIGTERM');
      await stop(d);
    }
    for (const text of [d.out(), d.err()]) assert.ok(!text.includes(password));
  } finally {
    await db.drop();
  }
});
