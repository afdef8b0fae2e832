import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromRecords, type Records } from '../../src/data/table/records.js';
import { ConfigError } from '../../src/errors.js';
import { regressionScores } from '../../src/metrics/regression.js';
import { predictedChart, residualChart, residualHistogram } from '../../src/report/charts/regression.js';
import { renderRunReportHtml, renderSvg } from '../../src/report/render-node.js';
import { checkRunReport, type RunReport } from '../../src/report/run-report.js';
import { runExperiment, type RunResult } from '../../src/run/experiment.js';
import { writeRunFolder } from '../../src/run/folder.js';
import { lcg } from '../helpers.js';
import { assertWellFormed, markItems, texts } from './helpers.js';

/** y = 3 x1 − 2 x2 + noise, in MPa-like units around 40. */
function records(rows: number, seed: number): Records {
  const rand = lcg(seed);
  return Array.from({ length: rows }, () => {
    const x1 = rand() * 4 - 2, x2 = rand() * 4 - 2;
    return { x1, x2, strength: 40 + 3 * x1 - 2 * x2 + (rand() - 0.5) * 1.5 };
  });
}

let shared: Promise<RunResult> | null = null;
/** One small real run, shared by the tests: 240 training rows (a fifth held out for validation), 90 test rows. */
function run(): Promise<RunResult> {
  shared ??= runExperiment(
    { train: { epochs: 25, ensemble: 1, seed: 4 }, data: { valFraction: 0.2 } },
    fromRecords(records(240, 1), { label: 'strength', task: 'regress', test: records(90, 2) }),
    { threads: 1 },
  );
  return shared;
}

function section(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}">`);
  assert.ok(start >= 0, `section ${id}`);
  return html.slice(start, html.indexOf('</section>', start));
}

/** The number printed after `label` in `text`, and half a unit of its last decimal: how far rounding may have moved it. */
function printed(text: string, label: string): { value: number; half: number } {
  const m = new RegExp(`${label}[^0-9−-]*([−-]?\\d+(?:\\.(\\d+))?)`).exec(text);
  assert.ok(m, `${label} in ${text.slice(0, 200)}`);
  return { value: Number(m[1].replace('−', '-')), half: 0.5 * 10 ** -(m[2]?.length ?? 0) };
}

function assertPrinted(text: string, label: string, expected: number): void {
  const p = printed(text, label);
  assert.ok(Math.abs(p.value - expected) <= p.half + 1e-12, `${label}: printed ${p.value}, the run's ${expected}`);
}

/** The centres of the symbols Vega drew, in drawing order (each is `transform="translate(x,y)"`). */
function symbolCentres(svg: string): { x: number; y: number }[] {
  return markItems(svg, 'mark-symbol role-mark').map((item) => {
    const m = /translate\(([-\d.e]+),([-\d.e]+)\)/.exec(item);
    assert.ok(m, item.slice(0, 120));
    return { x: Number(m[1]), y: Number(m[2]) };
  });
}

test('the run\'s report: the regression scores are what the test rows give, and the report passes its checks', async () => {
  const r = await run();
  const rep = r.report;
  assert.equal(rep.task, 'regress');
  const t = rep.regression!.test!;
  const actual = r.prepared.test!.targets!;
  const independent = regressionScores(actual, r.regression!.predicted);
  for (const k of ['r2', 'rmse', 'mae'] as const) assert.ok(Math.abs(t[k] - independent[k]) < 1e-12, k);
  assert.equal(t.predictions.length, 90, 'every test row, fewer than MAX_REGRESSION_POINTS');
  assert.ok(t.r2 > 0.5, `the run learned the line: R² ${t.r2}`);
  assert.doesNotThrow(() => checkRunReport(rep));
});

test('report.html of a regression: R², RMSE and MAE as the run computed them, the three test figures, no classification parts', async () => {
  const r = await run();
  const t = r.report.regression!.test!;
  const html = await renderRunReportHtml(r.report);
  assertWellFormed(html.replace(/^<!DOCTYPE html>\n/, '').replace(/<meta [^>]*>/g, ''));
  const header = html.slice(html.indexOf('<header>'), html.indexOf('</header>'));
  assertPrinted(header, 'Test R²</div><div class="card-value">', t.r2);
  assertPrinted(header, 'RMSE</div><div class="card-value">', t.rmse);
  assertPrinted(header, 'MAE', t.mae);
  const test = section(html, 'test');
  assertPrinted(test, 'R²', t.r2);
  assertPrinted(test, 'RMSE', t.rmse);
  assertPrinted(test, 'MAE', t.mae);
  assert.match(test, /\(in the units of <bdi>strength<\/bdi>\) on 90 test rows/);
  for (const label of ['Predicted against actual', 'Residuals against predicted', 'Distribution of residuals']) {
    assert.match(test, new RegExp(`<figure class="figure" aria-label="${label}"><svg `), label);
  }
  // The curves: loss on the standardised target, and validation R² in place of accuracy.
  const curves = section(html, 'curves');
  assert.match(curves, /aria-label="Loss per epoch"[\s\S]*MSE on the standardised target/);
  assert.match(curves, /aria-label="Validation R² per epoch"/);
  assert.doesNotMatch(html, /Accuracy per epoch|Classification report|Confusion matrix|confusion|<h3>Classes<\/h3>|macro F1|test predictions/i);
  assert.doesNotMatch(section(html, 'data'), /<dt>classes<\/dt>/);
  assert.match(section(html, 'data'), /<dt>target<\/dt><dd>strength<\/dd>/);
  // Five figures in all: loss, R², and the three of the test set (diagnostics off would drop the layer charts; these are on).
  const layerCharts = r.report.history.some((e) => e.layers?.length) ? 3 : 0;
  assert.equal((html.match(/<svg /g) ?? []).length, 5 + layerCharts);
  // The largest errors: the rows of largest |actual − predicted|, largest first.
  const rows = [...test.matchAll(/<tr><td class="num">(\d+)<\/td>/g)].map((m) => Number(m[1]));
  const byError = [...t.predictions].sort((a, b) => Math.abs(b.actual - b.predicted) - Math.abs(a.actual - a.predicted)).slice(0, 10).map((p) => p.index);
  assert.deepEqual(rows, byError);
});

test('the scatter\'s points are the test predictions: each maps back to its (actual, predicted) pair', async () => {
  const r = await run();
  const points = r.report.regression!.test!.predictions;
  const spec = predictedChart(points, 'strength', { width: 400, height: 400 });
  const { svg, warnings } = await renderSvg(spec);
  assert.deepEqual(warnings, []);
  const domain = (spec as unknown as { layer: { encoding: { x: { scale: { domain: [number, number] } } } }[] }).layer[1].encoding.x.scale.domain;
  const span = domain[1] - domain[0];
  const centres = symbolCentres(svg);
  assert.equal(centres.length, points.length, 'one point per test row');
  centres.forEach((c, i) => {
    const actual = domain[0] + (c.x / 400) * span;
    const predicted = domain[0] + ((400 - c.y) / 400) * span;
    assert.ok(Math.abs(actual - points[i].actual) < span * 1e-4, `row ${i}: x ${actual} vs ${points[i].actual}`);
    assert.ok(Math.abs(predicted - points[i].predicted) < span * 1e-4, `row ${i}: y ${predicted} vs ${points[i].predicted}`);
  });
  // The line y = x runs from the bottom-left corner to the top-right one.
  const line = markItems(svg, 'mark-line role-mark')[0];
  assert.match(line, /d="M0,400L400,0"/);
  const axisTitles = texts(markItems(svg, 'mark-text role-axis-title'));
  assert.deepEqual(axisTitles.sort(), ['actual strength', 'predicted strength']);
});

test('the residual figures: points at (predicted, actual − predicted), a histogram that counts every test row', async () => {
  const r = await run();
  const points = r.report.regression!.test!.predictions;
  const spec = residualChart(points, 'strength', { width: 500, height: 300 });
  const { svg } = await renderSvg(spec);
  const enc = (spec as unknown as { layer: { encoding: { x: { scale: { domain: number[] } }; y: { scale: { domain: number[] } } } }[] }).layer[1].encoding;
  const [x0, x1] = enc.x.scale.domain;
  const [y0, y1] = enc.y.scale.domain;
  assert.equal(y0, -y1, 'the residual axis is symmetric about zero');
  const centres = symbolCentres(svg);
  assert.equal(centres.length, points.length);
  centres.forEach((c, i) => {
    assert.ok(Math.abs(x0 + (c.x / 500) * (x1 - x0) - points[i].predicted) < (x1 - x0) * 1e-4);
    assert.ok(Math.abs(y0 + ((300 - c.y) / 300) * (y1 - y0) - (points[i].actual - points[i].predicted)) < (y1 - y0) * 1e-4);
  });
  // The zero line sits halfway down.
  const zero = markItems(svg, 'mark-rule role-mark');
  assert.equal(zero.length, 1);
  assert.match(zero[0], /transform="translate\([\d.]+,150\)"[^>]*y2="0"/);

  const hist = residualHistogram(points, 'strength');
  const bins = (hist as unknown as { layer: { data: { values: { start: number; end: number; count: number }[] } }[] }).layer[0].data.values;
  const residuals = points.map((p) => p.actual - p.predicted);
  assert.equal(bins.reduce((s, b) => s + b.count, 0), points.length);
  bins.forEach((b, i) => {
    const last = i === bins.length - 1;
    const inside = residuals.filter((v) => v >= b.start && (v < b.end || (last && v <= b.end))).length;
    assert.equal(b.count, inside, `bin [${b.start}, ${b.end})`);
  });
  const { svg: histSvg } = await renderSvg(hist);
  assert.equal(markItems(histSvg, 'mark-rect role-mark').length, bins.length);
  // The zero line stands where residual 0 is on the x axis (600 pixels wide by default), and zero is a bin edge.
  assert.ok(bins.some((b) => b.start === 0) || bins[0].start > 0 || bins[bins.length - 1].end < 0);
  const xDomain = (hist as unknown as { layer: { encoding: { x: { scale: { domain: number[] } } } }[] }).layer[0].encoding.x.scale.domain;
  const zeroAt = (600 * -xDomain[0]) / (xDomain[1] - xDomain[0]);
  const rule = markItems(histSvg, 'mark-rule role-mark');
  assert.equal(rule.length, 1);
  const at = /translate\(([\d.]+),/.exec(rule[0]);
  assert.ok(at && Math.abs(Number(at[1]) - zeroAt) < 0.01, `${rule[0]} at ${zeroAt}`);
  const mean = residuals.reduce((a, b) => a + b, 0) / residuals.length;
  const subtitle = texts(markItems(histSvg, 'mark-text role-title-subtitle'))[0];
  assertPrinted(subtitle, 'mean', mean);
});

test('the run folder of a regression: its figures, no accuracy or confusion, and predictions.csv of the test rows', async () => {
  const r = await run();
  const dir = mkdtempSync(join(tmpdir(), 'mlplab-regress-'));
  try {
    await writeRunFolder({ report: r.report, modelFile: r.modelFile }, join(dir, 'run'));
    const files = readdirSync(join(dir, 'run'));
    for (const name of ['loss', 'r2', 'predicted', 'residuals', 'residual-hist']) {
      assert.ok(files.includes(`${name}.svg`) && files.includes(`${name}.png`), name);
    }
    assert.ok(!files.some((f) => f.startsWith('accuracy') || f.startsWith('confusion')), files.join(', '));
    const lines = readFileSync(join(dir, 'run', 'predictions.csv'), 'utf8').trimEnd().split('\n');
    assert.equal(lines[0], 'index,actual,predicted,residual');
    assert.equal(lines.length, 91);
    const actual = r.prepared.test!.targets!;
    const predicted = r.regression!.predicted;
    lines.slice(1).forEach((line, i) => {
      const [index, a, p, res] = line.split(',').map(Number);
      assert.equal(index, i);
      assert.equal(a, actual[i]);
      assert.equal(p, predicted[i]);
      assert.equal(res, actual[i] - predicted[i]);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('checkRunReport refuses a regression report whose parts disagree, naming the field', async () => {
  const good = (await run()).report;
  const copy = (): RunReport => structuredClone(good);
  const refused = (r: RunReport, field: RegExp) =>
    assert.throws(() => checkRunReport(r), (e: unknown) => e instanceof ConfigError && field.test(e.message), String(field));
  const rmse = copy();
  rmse.regression!.test!.rmse *= 1.01;
  refused(rmse, /report\.regression\.test\.rmse/);
  const classes = copy();
  classes.data.classes = 2;
  classes.data.classNames = ['strength', 'other'];
  refused(classes, /report\.data\.classes/);
  const target = copy();
  target.regression!.target = 'price';
  refused(target, /report\.regression\.target/);
  const order = copy();
  order.regression!.test!.predictions.reverse();
  refused(order, /report\.regression\.test\.predictions\[1\]\.index/);
  const r2 = copy();
  r2.regression!.test!.r2 = 1.5;
  refused(r2, /report\.regression\.test\.r2/);
  const noTask = copy();
  delete noTask.task;
  refused(noTask, /report\.regression/);
  const missing = copy();
  delete missing.regression;
  refused(missing, /report\.regression/);
});

test('cross-validation and an ensemble in a regression report: R² mean ± sd and interval, each fold\'s scores, each network\'s test R²', async () => {
  const r = await runExperiment(
    { train: { epochs: 8, ensemble: 2, cv: 3, seed: 1 } },
    fromRecords(records(150, 3), { label: 'strength', task: 'regress', test: records(40, 4) }),
    { threads: 1 },
  );
  try {
    const html = await renderRunReportHtml(r.report);
    const cv = r.cv!;
    const text = section(html, 'cv');
    assertPrinted(text, 'R²', cv.r2!.mean);
    assertPrinted(text, '&plusmn;', cv.r2!.sd);
    assertPrinted(text, 'interval for the mean', cv.r2!.ci95[0]);
    assertPrinted(text.slice(text.indexOf('interval for the mean')), ' to', cv.r2!.ci95[1]);
    assertPrinted(text, 'RMSE', cv.rmse!.mean);
    assertPrinted(text, 'MAE', cv.mae!.mean);
    const rows = [...text.matchAll(/<tr><td>(\d+)<\/td><td>[\d,]+<\/td><td>[\d,]+<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td><td>(\d+) of (\d+)<\/td><\/tr>/g)];
    assert.equal(rows.length, 3, 'one row per fold, no loss column');
    rows.forEach((m, i) => {
      const f = cv.scores[i];
      assertPrinted(m[2], '', f.r2!);
      assertPrinted(m[3], '', f.rmse!);
      assertPrinted(m[4], '', f.mae!);
      assert.equal(Number(m[5]), f.bestEpoch);
    });
    assert.doesNotMatch(text, /accuracy|macro F1/);
    const members = r.report.ensemble!;
    assert.equal(members.length, 2);
    const line = /Alone, each scores R² ([^<]+) on the test set/.exec(section(html, 'test'));
    assert.ok(line, 'the ensemble line');
    const shown = line[1].split(', ');
    assert.equal(shown.length, 2);
    shown.forEach((s, i) => assertPrinted(s, '', members[i].testR2!));
  } finally {
    r.model.dispose();
    for (const m of r.members) m.dispose();
  }
});
