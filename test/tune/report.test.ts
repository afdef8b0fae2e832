import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTable1, combinedCandidate, configStats, rankConfigs } from '../../src/tune/analysis/table1.js';
import { resolveStudy } from '../../src/tune/study/config.js';
import { buildStudyReport } from '../../src/tune/report/study-report.js';
import { factorPoints } from '../../src/tune/report/html.js';
import { formatTable1Markdown } from '../../src/tune/report/markdown.js';
import { formatTable1Text } from '../../src/tune/report/text.js';
import type { TrialOutcomeRecord } from '../../src/tune/analysis/table1.js';
import { configuration, expandStrategy } from '../../src/tune/study/strategies.js';
import { syntheticStudyData, tinyStudyConfig } from './helpers.js';

type ReportTrial = TrialOutcomeRecord & Parameters<typeof buildStudyReport>[0]['trials'][number];

function handMadeReport() {
  const s = resolveStudy(
    tinyStudyConfig({
      factors: [
        { path: 'network.dropout', values: [0, 0.2, 0.5] },
        { path: 'train.momentum', values: [0.85, 0.9] },
      ],
      base: { network: { widths: [8], dropout: 0.5 }, train: { momentum: 0.9 } },
      seeds: 3,
    }),
  );
  const configs = expandStrategy(s);
  const values: Record<string, number[]> = { base: [0.405, 0.407, 0.409], 'dropout=0': [0.44, 0.43, 0.45], 'dropout=0.2': [0.505, 0.503, 0.507], 'momentum=0.85': [0.4, 0.42, 0.41] };
  let id = 0;
  const trials: ReportTrial[] = configs.flatMap((c) =>
    values[c.label].map((v, seed) => ({
      id: ++id, position: id, key: `${c.key}/s${seed}`, configKey: c.key, seed, phase: 'search', label: c.label, status: 'done' as const, error: null,
      result: { metric: v, valAccuracy: v, valLoss: 1, bestEpoch: 3, epochs: 3, stoppedEarly: false, seconds: 2, secondsPerEpoch: 2 / 3 },
    })),
  );
  const stats = configStats(configs, trials);
  const table = buildTable1(s, configs, stats);
  const candidate = combinedCandidate(s, table);
  return buildStudyReport({
    study: s, data: syntheticStudyData(), source: 'synthetic blobs', trialRows: 240, table, candidate, check: null, repair: null, ranking: rankConfigs(s, stats.values()),
    winner: configuration(s, candidate.levels), final: null, finalError: null, trials, workers: 2, wallSeconds: 12, executed: trials.length,
  });
}

test('Table 1 as terminal text: one row per factor, one column per value, mean ± sd, time, significance marks', () => {
  const r = handMadeReport();
  const lines = formatTable1Text(r).split('\n');
  assert.match(lines[0], /^Table 1: validation accuracy by factor \(the base model with one factor changed; mean ± sd over 3 seeds in %/);
  assert.match(lines[1], /^factor\s+\| value 1\s+\| value 2\s+\| value 3$/);
  // dropout 0: mean 44.00, sd 1.00; 0.2: 50.50 ± 0.20; 0.5 is the base, 40.70 ± 0.20.
  assert.match(lines[3], /^dropout\s+\| 0\+ {2}44\.00 ± 1\.00 {2}2\.00 s\s+\| 0\.2\+ {2}50\.50 ± 0\.20 {2}2\.00 s\s+\| 0\.5\* {2}40\.70 ± 0\.20 {2}2\.00 s$/);
  // momentum 0.85: 41.00 ± 1.00, within the noise (no mark).
  assert.match(lines[4], /^momentum\s+\| 0\.85 {2}41\.00 ± 1\.00 {2}2\.00 s\s+\| 0\.9\* {2}40\.70 ± 0\.20 {2}2\.00 s$/);
  assert.match(lines[5], /^\* base value; \+ \/ - significantly better \/ worse/);
  assert.equal(lines[6], 'base model: 40.70 ± 0.20% (n=3)');
  // Columns line up: every '|' of the body rows sits where the header's does.
  const bars = (l: string) => [...l].flatMap((c, i) => (c === '|' ? [i] : []));
  assert.deepEqual(bars(lines[3]), bars(lines[1]));
});

test('Table 1 in Markdown, the factor plot points, and the combined candidate', () => {
  const r = handMadeReport();
  const md = formatTable1Markdown(r);
  assert.match(md, /\| dropout \| `0` 44\.00 ± 1\.00 ↑ · 2\.00 s \| `0\.2` 50\.50 ± 0\.20 ↑ · 2\.00 s \| `0\.5` \(base\) 40\.70 ± 0\.20 · 2\.00 s \|/);
  assert.match(md, /\| momentum \| `0\.85` 41\.00 ± 1\.00 · 2\.00 s \| `0\.9` \(base\) 40\.70 ± 0\.20 · 2\.00 s \| {2}\|/);
  assert.match(md, /Of 3 comparisons with the base, about 0\.15 would come out significant by chance alone/);
  assert.match(md, /- \*\*dropout\*\*: 0\.2 — \+9\.80 points over 0\.5, p < 0\.001/);
  assert.equal(r.winner.label, 'dropout=0.2');
  const pts = factorPoints(r);
  assert.equal(pts.length, 5);
  const p = pts.find((x) => x.factor === 'dropout' && x.value === '0.2')!;
  assert.ok(Math.abs(p.mean - 0.505) < 1e-12 && Math.abs(p.sd! - 0.002) < 1e-12 && p.n === 3 && !p.isDefault);
  assert.equal(pts.find((x) => x.factor === 'dropout' && x.value === '0.5')!.isDefault, true);
});

test('with the validation loss as the metric, lower is better: verdicts, candidate and ranking follow', () => {
  const s = resolveStudy(tinyStudyConfig({ metric: 'valLoss', seeds: 3, factors: [{ path: 'network.dropout', values: [0, 0.5] }], base: { network: { widths: [8], dropout: 0.5 } } }));
  const configs = expandStrategy(s);
  const losses: Record<string, number[]> = { base: [0.6, 0.61, 0.605], 'dropout=0': [0.5, 0.51, 0.505] };
  let id = 0;
  const trials: ReportTrial[] = configs.flatMap((c) =>
    losses[c.label].map((v, seed) => ({
      id: ++id, position: id, key: `${c.key}/s${seed}`, configKey: c.key, seed, phase: 'search', label: c.label, status: 'done' as const, error: null,
      result: { metric: v, valAccuracy: 1 - v, valLoss: v, bestEpoch: 3, epochs: 3, stoppedEarly: false, seconds: 1, secondsPerEpoch: 1 / 3 },
    })),
  );
  const stats = configStats(configs, trials);
  const table = buildTable1(s, configs, stats);
  assert.equal(table.rows[0].cells[0].verdict, 'better');
  const cand = combinedCandidate(s, table);
  assert.deepEqual(cand.levels, [0]);
  assert.ok(Math.abs(cand.sumOfGains - 0.1) < 1e-12);
  assert.equal(rankConfigs(s, stats.values())[0].stats.label, 'dropout=0');
  const r = buildStudyReport({ study: s, data: syntheticStudyData(), source: 'synthetic blobs', trialRows: 240, table, candidate: cand, check: null, repair: null, ranking: rankConfigs(s, stats.values()), winner: configuration(s, cand.levels), final: null, finalError: null, trials, workers: 1, wallSeconds: 1, executed: 6 });
  assert.match(formatTable1Text(r), /0\+ {2}0\.5050 ± 0\.0050/);
});

test('user text in table1.md cannot open HTML or break a table row', () => {
  const r = handMadeReport();
  const hostile = { ...r, name: 'x<script>alert(1)</script>', table1: { ...r.table1, rows: r.table1.rows.map((row, i) => (i === 0 ? { ...row, factor: '<img src=x onerror=alert(1)>|drop' } : row)) } };
  const md = formatTable1Markdown(hostile);
  assert.ok(!/<img|<script/.test(md), md.slice(0, 400));
  assert.match(md, /^# x&lt;script>alert\(1\)&lt;\/script>: Table 1$/m);
  assert.match(md, /^\| &lt;img src=x onerror=alert\(1\)>\\\|drop \| /m);
  // Plain comparisons stay as they are.
  assert.ok(!md.includes('&lt; 0') && !md.includes('&amp;'), 'no escape where none is needed');
});
