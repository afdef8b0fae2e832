import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EpochRecord } from '../../src/metrics/history-types.js';
import { lossChart, r2Chart } from '../../src/report/charts/curves.js';
import { formatTarget, histogramRange, niceStep, predictedChart, residualBins, residualHistogram } from '../../src/report/charts/regression.js';
import { diagnoseHistory } from '../../src/report/diagnose.js';
import { renderRunReportHtml } from '../../src/report/render-node.js';
import { MAX_REGRESSION_POINTS, checkRunReport, type RunReport } from '../../src/report/run-report.js';
import { Rng } from '../../src/tensor/rng.js';
import { markItems, renderChecked as render, texts } from './helpers.js';
import { sampleRunReport } from './sample.js';

/** A regression history: R^2 per epoch as given, the loss falling, no accuracy. */
function regressionHistory(r2: number[]): EpochRecord[] {
  return r2.map((v, i) => ({ epoch: i + 1, trainLoss: 1 / (i + 1), valLoss: 1 - v, trainAccuracy: NaN, valAccuracy: NaN, valR2: v, valRmse: 2, valMae: 1.5, seconds: 0.1 }));
}

test('residual bins: a round width about sqrt(n) bins across, zero on an edge, counts worked by hand', () => {
  assert.deepEqual([0.37, 3, 12, 1, 0.001].map(niceStep), [0.5, 5, 20, 1, 0.001]);
  // Six residuals: 8 bins wanted over 4.1, so 0.5125 wide, rounded to 0.5; the first edge below -1.2 is -1.5.
  const bins = residualBins([-1.2, -0.3, 0, 0.4, 0.45, 2.9, NaN]);
  assert.deepEqual(bins.map((b) => b.start), [-1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5]);
  assert.deepEqual(bins.map((b) => b.count), [1, 0, 1, 3, 0, 0, 0, 0, 1]);
  assert.ok(bins.every((b) => Math.abs(b.end - b.start - 0.5) < 1e-12));
  assert.deepEqual(residualBins([NaN]), []);
  // One value: one bin holding it.
  const one = residualBins([3]);
  assert.equal(one.reduce((s, b) => s + b.count, 0), 1);
  assert.ok(one.some((b) => b.start <= 3 && 3 < b.end));
  // Many: at most 40 bins (plus the one the largest value opens).
  const rng = new Rng(5);
  const many = residualBins(Array.from({ length: 20000 }, () => rng.normal()));
  assert.ok(many.length >= 20 && many.length <= 41, `${many.length} bins`);
  assert.equal(many.reduce((s, b) => s + b.count, 0), 20000);
});

test('validation R² curve: one line, the highest R² marked, the untrained first epochs cut off at 0', async () => {
  const h = regressionHistory([-3, 0.2, 0.6, 0.8, 0.79]);
  const spec = r2Chart(h);
  const svg = await render(spec);
  const lines = markItems(svg, 'mark-line role-mark');
  assert.equal(lines.length, 1, 'validation only: R² is not measured on the training batches');
  assert.equal(/\bd="([^"]+)"/.exec(lines[0])![1].split(/[ML]/).filter((s) => s.trim()).length, 5);
  assert.deepEqual(texts(markItems(svg, 'mark-text role-mark')), ['best 0.800 (epoch 4)']);
  assert.deepEqual(texts(markItems(svg, 'mark-text role-legend-label')), ['validation']);
  const titles = texts(markItems(svg, 'mark-text role-title-text'));
  assert.ok(titles.includes('Validation R² per epoch'), titles.join());
  assert.match(texts(markItems(svg, 'mark-text role-title-subtitle')).join(' '), /epochs below 0 run off the bottom/);
  const y = (spec as unknown as { layer: { encoding: { y: { scale: { domain?: number[] }; title: string } } }[] }).layer[0].encoding.y;
  assert.deepEqual(y.scale.domain, [0, 1]);
  assert.equal(y.title, 'validation R²');
  // A run that never reaches 0.5 keeps its negative values in view down to -1.
  const poor = r2Chart(regressionHistory([-4, -0.5, 0.1, 0.2]));
  assert.deepEqual((poor as unknown as { layer: { encoding: { y: { scale: { domain?: number[] } } } }[] }).layer[0].encoding.y.scale.domain, [-1, 1]);
});

test('a loss chart without a validation part names only the training curve, its y title as given', async () => {
  const h = regressionHistory([NaN, NaN, NaN]).map((e) => ({ ...e, valLoss: NaN, valR2: undefined }));
  const svg = await render(lossChart(h, { yTitle: 'MSE on the standardised target' }));
  assert.deepEqual(texts(markItems(svg, 'mark-text role-legend-label')), ['training']);
  assert.deepEqual(texts(markItems(svg, 'mark-text role-title-subtitle')), ['training only: this run had no validation part']);
  assert.ok(texts(markItems(svg, 'mark-text role-axis-title')).includes('MSE on the standardised target'));
});

test('the target name is text in the figures: escaped in the SVG, never markup', async () => {
  const svg = await render(predictedChart([{ index: 0, actual: 1, predicted: 2 }, { index: 1, actual: 2, predicted: 2.5 }], '<b>&"y'));
  assert.ok(!svg.includes('<b>'));
  assert.deepEqual(texts(markItems(svg, 'mark-text role-axis-title')).sort(), ['actual &lt;b&gt;&amp;"y', 'predicted &lt;b&gt;&amp;"y']);
});

test('a regression history: a best validation R² near zero is a failure, a good one is not, a NaN loss is caught', () => {
  const flat = diagnoseHistory(regressionHistory([-0.4, -0.1, 0.01, 0.005, 0.0]), { classes: 1, task: 'regress' });
  const f = flat.findings.find((x) => x.kind === 'at-chance');
  assert.ok(f, flat.sentences.join(' | '));
  assert.equal(f.severity, 'error');
  assert.match(f.message, /Validation R² never rose clearly above zero: its best, 0\.010, is no better than predicting the mean/);
  const good = diagnoseHistory(regressionHistory([0.2, 0.5, 0.7, 0.8, 0.85]), { classes: 1, task: 'regress' });
  assert.ok(!good.findings.some((x) => x.kind === 'at-chance' || x.severity === 'error'), good.sentences.join(' | '));
  const nan = regressionHistory([0.2, 0.5, 0.6, 0.7]);
  nan[2] = { ...nan[2], valLoss: NaN, valR2: NaN };
  assert.equal(diagnoseHistory(nan, { task: 'regress' }).findings[0].kind, 'non-finite');
});

/** A regression report of `rows` test rows on a target "price", every row in the report up to the cap, and the loss given. */
function regressionReport(rows: number, loss: string): RunReport {
  const rng = new Rng(9);
  const all = Array.from({ length: rows }, (_, index) => {
    const actual = 150000 + 40000 * rng.normal();
    return { index, actual, predicted: actual + 15000 * rng.normal() };
  });
  const count = Math.min(rows, MAX_REGRESSION_POINTS);
  const predictions = Array.from({ length: count }, (_, j) => all[Math.floor((j * rows) / count)]);
  let se = 0, ae = 0, mean = 0;
  for (const p of all) mean += p.actual / rows;
  let tot = 0;
  for (const p of all) {
    se += (p.actual - p.predicted) ** 2;
    ae += Math.abs(p.actual - p.predicted);
    tot += (p.actual - mean) ** 2;
  }
  const base = sampleRunReport();
  return {
    ...base,
    config: { train: { loss } },
    task: 'regress',
    regression: { target: 'price', test: { rows, r2: 1 - se / tot, rmse: Math.sqrt(se / rows), mae: ae / rows, predictions } },
    data: { ...base.data, classes: 1, classNames: ['price'], testRows: rows },
    history: regressionHistory([0.3, 0.6, 0.8, 0.85, 0.86]),
    bestEpoch: 5,
    test: null,
  };
}

test('more test rows than the figures keep: the page says how many it shows; the loss named as trained (Huber)', async () => {
  const r = regressionReport(5000, 'huber');
  assert.doesNotThrow(() => checkRunReport(r));
  const html = await renderRunReportHtml(r);
  assert.match(html, /The figures show 2,000 of the 5,000 test rows, spread evenly over them; the scores use every row\./);
  assert.match(html, /The 10 test rows the model missed most, among those in the figures/);
  assert.match(html, /2,000 of 5,000 test rows, R² 0\.\d{3}/);
  assert.match(html, /Huber loss on the standardised target/);
  // House prices are shown in whole units: an RMSE near 15,000 needs no decimals.
  assert.match(html, /RMSE 1\d,\d{3} and MAE 1\d,\d{3} \(in the units of <bdi>price<\/bdi>\)/);
  // Every section of a run report, with the test section's regression figures inline.
  for (const id of ['diagnostics', 'curves', 'test', 'data', 'config']) assert.ok(html.includes(`<section id="${id}">`), id);
  assert.equal((html.match(/<svg /g) ?? []).length, 5);
});

test('a regression report without a test set: dashes in the cards, no test figures, the curves still drawn', async () => {
  const r = regressionReport(10, 'mse');
  r.regression = { target: 'price', test: null };
  r.data.testRows = 0;
  const html = await renderRunReportHtml(r);
  const header = html.slice(html.indexOf('<header>'), html.indexOf('</header>'));
  assert.match(header, /Test R²<\/div><div class="card-value">—<\/div><div class="card-sub">no test evaluation/);
  assert.match(html, /This run was not evaluated on a test set\./);
  assert.equal((html.match(/<svg /g) ?? []).length, 2, 'loss and validation R²');
  assert.match(html, /MSE on the standardised target/);
});

test('values in the target\'s units: grouped by thousands from 10,000, no sign on a zero', () => {
  assert.deepEqual(
    [formatTarget(41366.49, 0), formatTarget(-599634, 0), formatTarget(1234.5, 1), formatTarget(12345.678, 2), formatTarget(-0.03, 0), formatTarget(-0.004, 2), formatTarget(NaN, 2)],
    ['41,366', '-599,634', '1234.5', '12,345.68', '0', '0.00', 'NaN'],
  );
});

test('a few far-out residuals leave the histogram, counted in its subtitle; ordinary tails stay', async () => {
  const even = Array.from({ length: 100 }, (_, i) => i);
  assert.equal(histogramRange(even), null, 'no far-out values');
  // 101 values: quartiles 25 and 75 (numpy's percentile), so the far-out fences are 25 - 150 and 75 + 150.
  assert.deepEqual(histogramRange([...even, 10000]), [-125, 225]);
  const points = [...even, 10000].map((r, index) => ({ index, actual: 50 + r, predicted: 50 }));
  const spec = residualHistogram(points, 'y');
  const bins = (spec as unknown as { layer: { data: { values: { count: number }[] } }[] }).layer[0].data.values;
  assert.equal(bins.reduce((s, b) => s + b.count, 0), 100);
  const svg = await render(spec);
  const lines = texts(markItems(svg, 'mark-text role-title-subtitle')).flatMap((t) => [...t.matchAll(/<tspan[^>]*>([^<]*)<\/tspan>/g)].map((m) => m[1]));
  assert.deepEqual(lines, ['101 test rows; mean 148, standard deviation 991', '1 far-out residual outside -125 to 225 not drawn']);
});

test('a diverged regression read back from JSON (non-finite values as null) passes the checks and renders with dashes', async () => {
  const r = regressionReport(50, 'mse');
  const t = r.regression!.test!;
  for (const p of t.predictions.slice(0, 3)) p.predicted = NaN;
  t.r2 = t.rmse = t.mae = NaN;
  const back = JSON.parse(JSON.stringify(r)) as RunReport;
  assert.equal(back.regression!.test!.predictions[0].predicted, null);
  assert.doesNotThrow(() => checkRunReport(back));
  const html = await renderRunReportHtml(back);
  assert.match(html, /Test R²<\/div><div class="card-value">–</);
  const figures = html.split('<figure ').slice(1).filter((f) => f.includes('3 non-finite left out'));
  assert.equal(figures.length, 3, 'said in each of the three test figures');
  // The largest errors list rows with a prediction only.
  const listed = [...html.matchAll(/<tr><td class="num">(\d+)<\/td>/g)].map((m) => Number(m[1]));
  assert.equal(listed.length, 10);
  assert.ok(listed.every((i) => i >= 3), listed.join());
});
