#!/usr/bin/env node
/**
 * mlplab on the same training and test rows as bench.py's scikit-learn baselines: for each
 * table split by bench.py (build/tables/split/<name>/{train,test}.csv), `mlplab train` with no
 * model flag, then a Markdown table beside scikit-learn's MLP and gradient boosting.
 *
 *   node bench/tables/mlplab.mjs [--regression] [--check] [--flags "--ensemble 5"] [--label NAME] [table ...]
 *
 * Classification tables are scored by test accuracy; with --regression the regression tables,
 * by test R² beside scikit-learn's MLPRegressor and HistGradientBoostingRegressor. --check runs
 * the check set instead: tables added after the model chosen for the data was settled.
 *
 * Results accumulate in build/tables/mlplab.json under the label (default "no flags"), so runs
 * with other flags can be compared. Tables run one at a time, with the threads of the machine.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = process.env.TABLES_DIR ?? join(root, 'build', 'tables');
const args = process.argv.slice(2);
let flags = [];
let label = 'no flags';
let regression = false;
let check = false;
const names = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--regression') regression = true;
  else if (args[i] === '--check') check = true;
  else if (args[i] === '--flags') flags = args[++i].split(' ').filter(Boolean);
  else if (args[i] === '--label') label = args[++i];
  else names.push(args[i]);
}
const splitDir = join(out, 'split');
if (!existsSync(splitDir)) {
  console.error(`no ${splitDir}: run /usr/bin/python3 bench/tables/bench.py first (it writes the splits)`);
  process.exit(1);
}
const sklearn = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
const resultsFile = join(out, regression ? 'mlplab-regression.json' : 'mlplab.json');
const task = regression ? 'reg' : 'clf';
/** The score compared: test accuracy, or test R² for regression. */
const key = regression ? 'r2' : 'acc';
const results = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : {};
results[label] ??= {};
// With no names: the main set, or with --check the tables added after the defaults were settled (make.py's CHECK).
const inSet = (n) => (sklearn[n]?.set === 'check') === check;
const tables = readdirSync(splitDir).filter((n) => sklearn[n]?.task === task && (names.length === 0 ? inSet(n) : names.includes(n))).sort();
const work = mkdtempSync(join(tmpdir(), 'mlplab-bench-'));
/** The label column bench.py scored, by name. */
const target = (name) => (sklearn[name]?.profile?.target ? ['--label-column', sklearn[name].profile.target] : []);
for (const name of tables) {
  const folder = join(work, name);
  const data = `${join(splitDir, name, 'train.csv')},${join(splitDir, name, 'test.csv')}`;
  const t0 = performance.now();
  let r;
  try {
    execFileSync(process.execPath, [join(root, 'bin', 'mlplab'), 'train', '--data', data, '--quiet', '--out', folder, ...target(name), ...flags], { stdio: ['ignore', 'ignore', 'pipe'] });
    const m = JSON.parse(readFileSync(join(folder, 'metrics.json'), 'utf8'));
    const secs = (performance.now() - t0) / 1000;
    r = regression
      ? { r2: m.testR2, rmse: m.testRmse, mae: m.testMae, epochs: m.epochs, secs }
      : { acc: m.testAccuracy, balAcc: m.balancedAccuracy ?? null, macroF1: m.macroF1, epochs: m.epochs, secs };
  } catch (e) {
    r = { error: String(e.stderr ?? e.message).trim().split('\n').slice(-1)[0] };
  }
  results[label][name] = r;
  writeFileSync(resultsFile, JSON.stringify(results, null, 1));
  console.error(`${name}: ${JSON.stringify(r)}`);
}
rmSync(work, { recursive: true, force: true });

// The table: every table with a result under this label.
const rows = [];
const mean = { ml: [], mlp: [], hgb: [] };
for (const name of Object.keys(results[label]).sort()) {
  const r = results[label][name];
  const s = sklearn[name]?.scores ?? {};
  const f = (x) => (typeof x === 'number' ? x.toFixed(3) : '-');
  const ml = r[key];
  if (typeof ml === 'number' && typeof s.mlp?.[key] === 'number' && typeof s.hgb?.[key] === 'number') {
    mean.ml.push(ml);
    mean.mlp.push(s.mlp[key]);
    mean.hgb.push(s.hgb[key]);
  }
  const gap = typeof ml === 'number' && typeof s.mlp?.[key] === 'number' ? (regression ? (ml - s.mlp[key]).toFixed(3) : (100 * (ml - s.mlp[key])).toFixed(1)) : '-';
  rows.push(`| ${name} | ${sklearn[name]?.profile?.rows ?? '-'} | ${r.error ? `refused: ${r.error.slice(0, 60)}` : f(ml)} | ${f(s.mlp?.[key])} | ${f(s.hgb?.[key])} | ${gap} |`);
}
const avg = (a) => (a.length ? (a.reduce((x, y) => x + y, 0) / a.length).toFixed(3) : '-');
const what = regression ? 'test R²' : 'test accuracy';
console.log(`| table | rows | mlplab (${label}), ${what} | sklearn MLP | sklearn HGB | mlplab - MLP${regression ? '' : ' (points)'} |`);
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(r);
const diff = avg(mean.ml) - avg(mean.mlp);
console.log(`| mean over ${mean.ml.length} | | ${avg(mean.ml)} | ${avg(mean.mlp)} | ${avg(mean.hgb)} | ${regression ? diff.toFixed(3) : (diff * 100).toFixed(1)} |`);
