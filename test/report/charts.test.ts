import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CHART_FONT } from '../../src/report/charts/common.js';
import { confusionChart } from '../../src/report/charts/confusion.js';
import { accuracyChart, lossChart } from '../../src/report/charts/curves.js';
import { factorChart, type FactorPoint } from '../../src/report/charts/study.js';
import { markItems, renderChecked as render, texts } from './helpers.js';
import { syntheticHistory } from './sample.js';

test('loss chart: two curves with one vertex per epoch, the best epoch marked and labelled', async () => {
  const history = syntheticHistory({ epochs: 40, overfitFrom: 20, seed: 4 });
  const svg = await render(lossChart(history));
  const lines = markItems(svg, 'mark-line role-mark');
  assert.equal(lines.length, 2, 'training and validation');
  for (const line of lines) {
    // A Vega line path is "M x,y L x,y ..." with one vertex per epoch.
    const d = /\bd="([^"]+)"/.exec(line)![1];
    assert.equal(d.split(/[ML]/).filter((s) => s.trim()).length, 40);
  }
  let best = 0;
  history.forEach((r, i) => {
    if (r.valLoss < history[best].valLoss) best = i;
  });
  assert.equal(markItems(svg, 'mark-rule role-mark').length, 1);
  assert.equal(markItems(svg, 'mark-symbol role-mark layer_2').length, 1, 'the best point');
  assert.deepEqual(texts(markItems(svg, 'mark-text role-mark')), [`best ${history[best].valLoss.toFixed(3)} (epoch ${best + 1})`]);
  assert.deepEqual(texts(markItems(svg, 'mark-text role-legend-label')), ['training', 'validation']);
  assert.ok(texts(markItems(svg, 'mark-text role-title-text')).includes('Loss per epoch'));
  assert.ok(svg.includes(`font-family="${CHART_FONT}"`));
});

test('accuracy chart marks the highest validation accuracy, axis in percent', async () => {
  const history = syntheticHistory({ epochs: 60, overfitFrom: 30, seed: 2 });
  const svg = await render(accuracyChart(history));
  let best = 0;
  history.forEach((r, i) => {
    if (r.valAccuracy > history[best].valAccuracy) best = i;
  });
  assert.deepEqual(texts(markItems(svg, 'mark-text role-mark')), [`best ${(history[best].valAccuracy * 100).toFixed(1)}% (epoch ${best + 1})`]);
  const yLabels = texts(markItems(svg, 'mark-text role-axis-label')).filter((t) => t.endsWith('%'));
  assert.ok(yLabels.length >= 3, `percent labels: ${yLabels}`);
});

test('confusion heatmap: one cell and one count per pair, class names on both axes, names escaped', async () => {
  const matrix = [
    [5, 1, 0],
    [2, 7, 1],
    [0, 0, 9],
  ];
  const names = ['cat', 'dog', '<b>&bird</b>'];
  const svg = await render(confusionChart(matrix, names));
  assert.equal(markItems(svg, 'mark-rect role-mark').length, 9);
  assert.deepEqual(texts(markItems(svg, 'mark-text role-mark')), matrix.flat().map(String));
  const axisLabels = texts(markItems(svg, 'mark-text role-axis-label'));
  const escaped = ['cat', 'dog', '&lt;b&gt;&amp;bird&lt;/b&gt;'];
  assert.deepEqual(axisLabels.sort(), [...escaped, ...escaped].sort());
  assert.ok(!svg.includes('<b>'));
  // The largest count is drawn in white on the darkest cell, small counts in dark ink.
  const counts = markItems(svg, 'mark-text role-mark');
  assert.match(counts[8], /fill="white"/);
  assert.doesNotMatch(counts[1], /fill="white"/);
  assert.doesNotMatch(counts[2], /fill="white"/);
});

test('a hostile class name cannot break out of the label expression', async () => {
  const names = ['a"]; datum.x; ["', "b'\\", 'c'];
  const svg = await render(confusionChart([[1, 0, 0], [0, 1, 0], [0, 0, 1]], names));
  // Each name comes back verbatim on both axes: it stayed a string literal.
  assert.deepEqual(texts(markItems(svg, 'mark-text role-axis-label')), [...names, ...names]);
});

test('factor chart: one panel per factor, one point and one error bar per value, default highlighted', async () => {
  const points: FactorPoint[] = [
    ...[0.85, 0.9, 0.95, 0.99].map((v, i) => ({ factor: 'momentum', value: v, mean: 0.4 + 0.01 * i, sd: 0.005, n: 3, isDefault: v === 0.9 })),
    ...[0, 0.2, 0.5].map((v, i) => ({ factor: 'dropout', value: v, mean: 0.45 - 0.02 * i, sd: 0.01, n: 3, isDefault: v === 0.5 })),
  ];
  const svg = await render(factorChart(points, { baseline: 0.4074 }));
  const symbols = markItems(svg, 'mark-symbol role-mark');
  assert.equal(symbols.length, 7);
  // The error bars and the two baseline rules are rule marks.
  assert.equal(markItems(svg, 'mark-rule role-mark').length, 7 + 2);
  const headers = texts(markItems(svg, 'mark-text role-column-header')).concat(texts(markItems(svg, 'mark-text role-header')));
  for (const f of ['momentum', 'dropout']) assert.ok(svg.includes(`>${f}</text>`), `panel ${f}; headers ${headers}`);
  const xLabels = texts(markItems(svg, 'mark-text role-axis-label'));
  for (const v of ['0.85', '0.9', '0.95', '0.99', '0', '0.2', '0.5']) assert.ok(xLabels.includes(v), `value ${v}`);
  const orange = symbols.filter((s) => /fill="#e0762b"/i.test(s));
  assert.equal(orange.length, 2, 'one default value per factor');
});

test('chart specs are plain JSON data that a browser can take as they are', () => {
  const spec = lossChart(syntheticHistory({ epochs: 5 }));
  assert.deepEqual(JSON.parse(JSON.stringify(spec)), spec);
  // The chart modules import nothing at run time but other browser-safe modules.
  for (const file of ['common.js', 'curves.js', 'confusion.js', 'layers.js', 'study.js']) {
    const compiled = readFileSync(new URL(`../../src/report/charts/${file}`, import.meta.url), 'utf8');
    assert.doesNotMatch(compiled, /from ['"](node:|vega['"]|@resvg)/, file);
  }
});

test('layer and search charts render without warnings: one line per layer, one point per trial, one panel per parameter', async () => {
  const { layerChart } = await import('../../src/report/charts/layers.js');
  const { searchChart, sliceCharts } = await import('../../src/report/charts/study.js');
  const history = syntheticHistory({ epochs: 6, seed: 2 }).map((e) => ({
    ...e,
    layers: ['hidden0', 'hidden1'].map((name, i) => ({
      name, activation: 'relu', units: 8, preActivation: { mean: 0, std: 1 }, output: { mean: 0.4, std: 0.6 },
      deadFraction: 0.1 * i, saturatedFraction: 0, weightNorm: 3, gradientNorm: 0.5 / (i + 1) / e.epoch, updateRatio: 1e-3 * (i + 1), params: [], batchNorm: null,
    })),
  }));
  for (const metric of ['gradientNorm', 'deadFraction', 'updateRatio'] as const) {
    const svg = await render(layerChart(history, metric));
    assert.equal(markItems(svg, 'mark-line role-mark').length, 2, `${metric}: two layers`);
  }
  const points = [0.5, 0.6, NaN, 0.55, 0.7].map((value, i) => ({ trial: i + 1, value, state: Number.isNaN(value) ? ('failed' as const) : i === 3 ? ('pruned' as const) : ('done' as const) }));
  const search = await render(searchChart(points, { metric: 'validation accuracy', higherIsBetter: true, percent: true }));
  assert.equal(markItems(search, 'mark-symbol role-mark').length, 4, 'one point per finished or pruned trial');
  assert.equal(markItems(search, 'mark-line role-mark').length, 1, 'the best so far');
  const slices = await render(sliceCharts([
    { name: 'learningRate', log: true, categorical: false, points: [{ x: 1e-3, value: 0.5 }, { x: 1e-2, value: 0.7 }] },
    { name: 'optimizer', log: false, categorical: true, points: [{ x: 'sgd', value: 0.5 }, { x: 'adam', value: 0.7 }] },
  ], { metric: 'validation accuracy', percent: true }));
  const titles = texts(markItems(slices, 'mark-text role-title-text'));
  assert.ok(titles.includes('learningRate') && titles.includes('optimizer'), titles.join(', '));
});

test('a flat accuracy curve (a run at chance) keeps tick labels that read apart', async () => {
  const history = [1, 2, 3].map((epoch) => ({ epoch, trainLoss: 2.3, valLoss: 2.3, trainAccuracy: 0.0995 + epoch * 0.0004, valAccuracy: 0.1, seconds: 1 }));
  const svg = await render(accuracyChart(history));
  const yLabels = texts(markItems(svg, 'mark-text role-axis-label')).filter((t) => t.endsWith('%'));
  assert.ok(yLabels.length >= 3, `percent labels: ${yLabels}`);
  assert.equal(new Set(yLabels).size, yLabels.length, `every label differs: ${yLabels.join(', ')}`);
  const constant = [1, 2, 3].map((epoch) => ({ epoch, trainLoss: 0.5, valLoss: 0.5, trainAccuracy: 0.25, valAccuracy: 0.25, seconds: 1 }));
  for (const spec of [accuracyChart(constant), lossChart(constant)]) {
    const labels = texts(markItems(await render(spec), 'mark-text role-axis-label')).filter((t) => /\d/.test(t) && !/^[123]$/.test(t));
    assert.ok(labels.length >= 3 && new Set(labels).size === labels.length, `constant curve labels: ${labels.join(', ')}`);
  }
});

test('an empty layer chart says why it is empty', async () => {
  const { layerChart } = await import('../../src/report/charts/layers.js');
  const dead = [1, 2].map((epoch) => ({
    epoch, trainLoss: 2.3, valLoss: 2.3, trainAccuracy: 0.1, valAccuracy: 0.1, seconds: 1,
    layers: [{ name: 'hidden0', activation: 'relu', units: 8, preActivation: { mean: 0, std: 1 }, output: { mean: 0, std: 0 }, deadFraction: 1, saturatedFraction: 1, weightNorm: 3, gradientNorm: 0, updateRatio: 0, params: [], batchNorm: null }],
  }));
  const svg = await render(layerChart(dead, 'gradientNorm'));
  const lines = (t: string[]) => t.join(' ').replace(/<\/tspan><tspan[^>]*>/g, ' ').replace(/<\/?tspan[^>]*>/g, '');
  assert.match(lines(texts(markItems(svg, 'mark-text role-mark'))), /Every gradient norm was 0: no gradient reached the hidden layers/);
  const none = await render(layerChart(dead.map(({ layers: _layers, ...e }) => e), 'updateRatio'));
  assert.match(lines(texts(markItems(none, 'mark-text role-mark'))), /No layer statistics were recorded/);
});
