/**
 * Regression in the playground, in headless Chromium. The built-in regression set (generated
 * from y = 3·sin(x1) + x2² − x3 with seeded noise) trains with validation R² per epoch and a
 * live predicted-against-actual figure (the validation rows while training, the test rows at
 * the end); its test R² is what `mlplab predict` on the exported model gives, scored here by
 * hand, and its ONNX export gives the same values in ONNX Runtime. One's own CSV with a numeric target is said to be a regression, the task can be
 * switched and back, and its run is scored the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import * as ort from 'onnxruntime-web';
import { decodeModelFile } from '../../src/index.js';
import '../export/ort.js'; // ONNX Runtime set up for Node (WebAssembly files from node_modules, one thread)
import { ROOT, buildSite, launchChromium, openPlayground, screenshotWholePage, serve, skipWithoutChromium as skip } from './site.js';

function cli(...args: string[]): string {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'mlplab'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `mlplab ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** R² of predictions against actual values, written out here (1 − residual / total sum of squares). */
function r2(actual: number[], predicted: number[]): number {
  const mean = actual.reduce((a, b) => a + b, 0) / actual.length;
  const res = actual.reduce((a, y, i) => a + (y - predicted[i]) ** 2, 0);
  const tot = actual.reduce((a, y) => a + (y - mean) ** 2, 0);
  return 1 - res / tot;
}

/** One column of a CSV file by header name, as numbers (a blank cell as NaN). */
function column(csv: string, name: string): number[] {
  const [head, ...lines] = csv.trim().split('\n');
  const c = head.split(',').indexOf(name);
  assert.ok(c >= 0, `column ${name} in ${head}`);
  return lines.map((l) => (l.split(',')[c] === '' ? NaN : Number(l.split(',')[c])));
}

/** `mlplab predict` with a regression model: one predicted value per input row. */
function cliPredict(model: string, input: string, dir: string, target: string): number[] {
  const out = join(dir, `predictions-${Math.random().toString(36).slice(2)}.csv`);
  cli('predict', '--model', model, '--input', input, '--out', out);
  return column(readFileSync(out, 'utf8'), target);
}

/** Download what a button gives into `dir`, returning the file's path. */
async function download(page: Page, selector: string, dir: string, name: string): Promise<string> {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const path = join(dir, name);
  writeFileSync(path, await readFile(await d.path()));
  return path;
}

/** The prediction grid: each row's index and the predicted and actual values it shows (full precision in data-value). */
const gridValues = (page: Page) =>
  page.$$eval('#prediction-grid tr.prediction-row', (rows) => rows.map((r) => ({
    row: Number((r as HTMLElement).dataset.row),
    predicted: Number((r.querySelector('td.pred') as HTMLElement).dataset.value),
    actual: Number((r.querySelector('td.actual') as HTMLElement).dataset.value),
    cells: Array.from(r.children, (c) => c.textContent!),
  })));

const points = (page: Page) => page.locator('#scatter-chart svg .mark-symbol path').count();
const text = async (page: Page, selector: string) => (await page.textContent(selector)) ?? '';
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)), `${what}: ${a} against ${b}`);

async function waitForRuns(page: Page, runs: number): Promise<void> {
  await page.waitForFunction((n) => document.body.dataset.phase === 'idle' && document.querySelectorAll('#runs-body tr').length === n, runs, { timeout: 180_000 });
}

test('the built-in regression set: validation R² per epoch, a live predicted-against-actual figure, test R², RMSE and MAE, and exported models mlplab predict and ONNX Runtime read', { skip, timeout: 400_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mlplab-regression-'));
  const site = await buildSite();
  const { server, url } = await serve(site);
  const browser = await launchChromium();
  try {
    const { page, pageErrors } = await openPlayground(browser, url);
    await page.click('#tab-regression');
    await page.waitForFunction(() => /Best possible/.test(document.getElementById('regression-facts')?.textContent ?? ''), null, { timeout: 30_000 });
    assert.match(await text(page, '#pane-regression'), /y = 3·sin\(x1\) \+ x2² − x3/);
    // The preview: y against each of the three features.
    assert.equal(await page.locator('#regression-preview svg .mark-symbol path').count(), 3 * 400);

    // The files the page trains on: the test rows' best score is the function's own, computed here.
    const trainCsv = await download(page, '#regression-train-csv', dir, 'generated-train.csv');
    const testCsv = await download(page, '#regression-test-csv', dir, 'generated-test.csv');
    const test = readFileSync(testCsv, 'utf8');
    const y = column(test, 'y');
    assert.equal(y.length, 500);
    assert.equal(column(readFileSync(trainCsv, 'utf8'), 'y').length, 1000);
    const f = column(test, 'x1').map((x1, i) => 3 * Math.sin(x1) + column(test, 'x2')[i] ** 2 - column(test, 'x3')[i]);
    const best = r2(y, f);
    assert.match(await text(page, '#regression-facts'), new RegExp(`Best possible on the test rows: R² ${best.toFixed(3)}`));

    // A table with a number to predict: the model chosen for the data, and the panels of a regression.
    assert.equal(await page.inputValue('#model-mode'), 'auto');
    assert.equal(await page.isVisible('#regression-row'), true);
    assert.equal(await page.isVisible('#classification-row'), false);
    assert.deepEqual(await page.$$eval('.tile-label', (l) => l.map((x) => x.textContent)), ['Epoch', 'Training loss', 'Validation R²', 'Validation RMSE', 'Test R²']);

    await page.fill('#epochs', '30');
    await page.click('#train');
    await page.waitForFunction(() => Number(document.body.dataset.epoch ?? 0) >= 2, null, { timeout: 120_000 });
    await page.click('#pause');
    await page.getByRole('button', { name: 'Resume' }).waitFor({ timeout: 60_000 });
    // While training: the model chosen for 1,000 rows and a test set trains on all of them, for the epochs its folds chose, so the live figure shows the training rows.
    // The panels of the epoch it paused after (they are redrawn at most every 0.4 s).
    await page.waitForFunction(() => document.getElementById('scatter-chart')!.textContent!.includes(`epoch ${document.body.dataset.epoch},`), null, { timeout: 30_000 });
    assert.equal(await points(page), 1000);
    const epoch = Number(await page.getAttribute('body', 'data-epoch'));
    assert.match(await text(page, '#scatter-chart'), new RegExp(`training rows \\(1,000\\), epoch ${epoch}, first network`));
    assert.match(await text(page, '#status'), /^Paused after epoch \d+/);
    assert.match(await text(page, '#scores-caption'), /^No validation part: the scores come at the end\.$/);
    await page.getByRole('button', { name: 'Resume' }).click();
    await waitForRuns(page, 1);

    // At the end: the test rows with the final model (five networks averaged), R² per epoch drawn, the loss named.
    assert.equal(await points(page), 500);
    assert.match(await text(page, '#scatter-chart'), /Predicted against actual y.*test rows \(500\), final model \(5 networks averaged\)/);
    assert.match(await text(page, '#accuracy-chart'), /R² per epoch.*no validation part \(every training row trains the model\)/);
    assert.match(await text(page, '#choices-table tr[data-option="stopping"]'), /^stopping\d+ epochs, on all the training rowsthe mean best epoch of 5-fold cross-validation/);
    assert.match(await text(page, '#loss-chart'), /mean squared error \(standardised target\)/);
    const status = await text(page, '#status');
    const shown = /test R² (-?\d\.\d{3}) · RMSE (\S+) · MAE (\S+)$/.exec(status);
    assert.ok(shown, `the status gives the test scores: ${status}`);
    const testR2 = Number(shown[1]);
    assert.equal(await text(page, '#tile-final'), shown[1]);
    assert.ok(testR2 > 0.8 && testR2 <= best, `test R² ${testR2}: well above predicting the mean, at most the function's ${best}`);
    const scores = await page.$$eval('#scores tbody tr', (rows) => rows.map((r) => Array.from(r.children, (c) => c.textContent)));
    assert.deepEqual(scores.map((r) => r[0]), ['test, final model, 5 networks averaged', 'predicting the training mean', 'the function itself, without noise']);
    assert.deepEqual(scores[0].slice(1), [shown[1], shown[2], shown[3], '500']);
    assert.equal(scores[2][1], best.toFixed(3));
    assert.equal(await text(page, '#runs-final-head'), 'Test R²');
    // No class wording for a regression: no accuracy, confusion matrix or classes in the run's panels.
    assert.doesNotMatch(await page.locator('.results').innerText(), /accuracy|confusion|classes/i);

    // The exported model is a regression model file: mlplab predict reads it, and its predictions
    // of the test rows score the page's test R² (by hand here) and are the page's grid values.
    const model = await download(page, '#export', dir, 'model.json');
    const contents = await decodeModelFile(readFileSync(model, 'utf8'), 'exported model');
    assert.deepEqual([contents.model.task, contents.classNames, contents.members?.length], ['regress', ['y'], 4]);
    contents.model.dispose();
    for (const m of contents.members ?? []) m.dispose();
    const predicted = cliPredict(model, testCsv, dir, 'y');
    assert.ok(Math.abs(r2(y, predicted) - testR2) <= 0.0005 + 1e-6, `mlplab predict scores R² ${r2(y, predicted)}, the page showed ${testR2}`);
    const grid = await gridValues(page);
    assert.deepEqual(grid.map((g) => g.row), Array.from({ length: 24 }, (_, i) => i));
    grid.forEach((g, i) => {
      close(g.predicted, predicted[i], `row ${i}: the page's prediction against mlplab predict's`);
      assert.equal(g.actual, y[i]);
    });
    // Export ONNX: the same model with its table encoding inside; ONNX Runtime on the raw columns gives mlplab predict's values.
    const onnx = readFileSync(await download(page, '#export-onnx', dir, 'model.onnx'));
    const session = await ort.InferenceSession.create(onnx);
    try {
      assert.deepEqual([[...session.inputNames], [...session.outputNames]], [['x1', 'x2', 'x3'], ['value']]);
      const feeds = Object.fromEntries(['x1', 'x2', 'x3'].map((c) => [c, new ort.Tensor('float32', Float32Array.from(column(test, c)), [y.length, 1])]));
      const values = (await session.run(feeds)).value.data as Float32Array;
      predicted.forEach((p, i) => close(values[i], p, `row ${i}: ONNX Runtime against mlplab predict`));
    } finally {
      await session.release();
    }
    const evaluated = /R² (-?\d\.\d{4})/.exec(cli('evaluate', '--model', model, '--data', testCsv));
    assert.ok(evaluated && Math.abs(Number(evaluated[1]) - testR2) <= 0.00055, `mlplab evaluate gives R² ${evaluated?.[1]}, the page showed ${testR2}`);

    // The whole page after the run, for a person to look at.
    const shot = join(mkdtempSync(join(tmpdir(), 'mlplab-regression-shots-')), 'regression.png');
    await screenshotWholePage(page, shot);
    t.diagnostic(`screenshot: ${shot}`);
    console.log(`regression screenshot: ${shot}`);

    // A validation part of 1,500 rows is drawn by 1,000 of them, spread over it.
    await page.setViewportSize({ width: 1440, height: 1000 });
    await page.selectOption('#regression-rows', '5000');
    await page.selectOption('#model-mode', 'manual');
    await page.fill('#val-fraction', '0.3');
    // Epochs enough that the run is still going when Pause is pressed; it is stopped after the look.
    await page.fill('#epochs', '300');
    await page.click('#train');
    await page.waitForFunction(() => document.body.dataset.phase === 'running' && Number(document.body.dataset.epoch ?? 0) >= 1, null, { timeout: 120_000 });
    await page.click('#pause');
    await page.getByRole('button', { name: 'Resume' }).waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => document.getElementById('scatter-chart')!.textContent!.includes(`epoch ${document.body.dataset.epoch}`), null, { timeout: 30_000 });
    assert.equal(await points(page), 1000);
    assert.match(await text(page, '#scatter-chart'), /1,000 of the 1,500 validation rows, epoch \d+;/);
    // While training: the validation rows' R² in the tile, the scores table and the R² curve.
    const live = Number(await page.getAttribute('body', 'data-epoch'));
    const liveR2 = Number(await text(page, '#tile-val-acc'));
    assert.ok(liveR2 <= 1 && Number.isFinite(liveR2), `validation R² ${liveR2}`);
    assert.match(await text(page, '#scores'), new RegExp(`validation, epoch ${live}${liveR2.toFixed(3)}`));
    assert.ok((await page.locator('#accuracy-chart svg .mark-line path').count()) >= 1, 'the R² curve is drawn');
    assert.match(await text(page, '#accuracy-chart'), /validation R²best \d\.\d{3} \(epoch \d+\)/);
    await page.click('#stop');
    await waitForRuns(page, 2);
    assert.match(await text(page, '#scatter-chart'), /test rows \(500\), final model;/);
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser.close();
    server.close();
    rmSync(site, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Houses: an area (blank in one test row), rooms (1 to 5), a district (text), and a price with cents, last. */
function houses(n: number, from: number): string {
  const lines = ['area,rooms,district,price'];
  for (let i = from; i < from + n; i++) {
    const area = 40 + ((i * 37) % 120), rooms = 1 + ((i * 7) % 5), d = i % 3;
    const price = 2 * area + 15 * rooms + [0, 40, 90][d] + ((i * 13) % 11) - 5 + 0.25 * (i % 4);
    lines.push(`${i === from + 5 && from > 0 ? '' : area},${rooms},${['north', 'south', 'east'][d]},${price.toFixed(2)}`);
  }
  return lines.join('\n') + '\n';
}

test('one\'s own CSV with a numeric target: said to be a regression, the task switched and back, a run scored by R² and a model mlplab predict reads', { skip, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlplab-regression-csv-'));
  const train = houses(150, 0);
  const test = houses(40, 1000);
  const testCsv = join(dir, 'houses-test.csv');
  writeFileSync(testCsv, test);
  const site = await buildSite();
  const { server, url } = await serve(site);
  const browser = await launchChromium();
  try {
    const { page, pageErrors } = await openPlayground(browser, url);
    await page.click('#tab-files');
    await page.setInputFiles('#file-trainData', { name: 'houses.csv', mimeType: 'text/csv', buffer: Buffer.from(train) });
    await page.setInputFiles('#file-testData', { name: 'houses-test.csv', mimeType: 'text/csv', buffer: Buffer.from(test) });
    const note = page.locator('#task-note');
    await page.waitForFunction(() => /a number to predict/.test(document.querySelector('#files-summary p')?.textContent ?? ''), null, { timeout: 30_000 });
    const firstFraction = train.trim().split('\n').slice(1).findIndex((l) => !l.endsWith('.00'));
    const price = column(train, 'price')[firstFraction];
    assert.equal(await note.textContent(), `Regression of "price": the labels are numbers with fractions (${price} at row ${firstFraction})`);
    assert.match(await text(page, '#files-summary p'), /^Ready: 150 training rows, 40 test rows, 3 columns, a number to predict from "price" \(regression\)\.$/);
    assert.equal(await page.locator('#files-summary .target-histogram svg').count(), 1);
    assert.equal(await page.getAttribute('body', 'data-task'), 'regress');

    // Asked to classify, the prices are refused by row; back to the label column's own task.
    await page.selectOption('#task', 'classify');
    await page.waitForFunction(() => /not a whole number/.test(document.querySelector('#files-summary')?.textContent ?? ''));
    assert.equal(await note.textContent(), '');
    await page.selectOption('#task', 'auto');
    await page.waitForFunction(() => /^Regression of "price"/.test(document.getElementById('task-note')?.textContent ?? ''));
    // Another label column of five whole numbers: classes, and the panels of a classification.
    await page.selectOption('#label-column', 'rooms');
    await page.waitForFunction(() => /5 classes from "rooms"/.test(document.querySelector('#files-summary p')?.textContent ?? ''));
    assert.equal(await note.textContent(), 'Classification: the labels are 5 distinct whole numbers');
    assert.equal(await page.getAttribute('body', 'data-task'), 'classify');
    await page.selectOption('#label-column', '');
    await page.waitForFunction(() => /^Regression of "price"/.test(document.getElementById('task-note')?.textContent ?? ''));

    // The model chosen for the data: 150 rows train without a validation part, scored on the 40 test rows at the end.
    await page.fill('#epochs', '60');
    await page.click('#train');
    await waitForRuns(page, 1);
    const status = await text(page, '#status');
    const shown = /test R² (-?\d\.\d{3}) · RMSE \S+ · MAE \S+$/.exec(status);
    assert.ok(shown, `the status gives the test scores: ${status}`);
    assert.match(await text(page, '#run-facts'), /150 training · 0 validation · 40 test rows/);
    assert.match(await text(page, '#accuracy-chart'), /no validation part/);
    assert.equal(await points(page), 40);
    assert.match(await text(page, '#scatter-chart'), /Predicted against actual price.*test rows \(40\), final model \(5 networks averaged\)/);
    assert.match(await text(page, '#prep-steps'), /Regression of "price": the labels are numbers with fractions/);
    const grid = await gridValues(page);
    assert.equal(grid.length, 24);
    const sixth = test.trim().split('\n')[6].split(',');
    assert.deepEqual(grid[5].cells.slice(1, 4), ['blank', sixth[1], sixth[2]], 'the blank area is shown as such');

    const model = await download(page, '#export', dir, 'houses-model.json');
    const predicted = cliPredict(model, testCsv, dir, 'price');
    const actual = column(test, 'price');
    const testR2 = Number(shown[1]);
    assert.ok(Math.abs(r2(actual, predicted) - testR2) <= 0.0005 + 1e-6, `mlplab predict scores R² ${r2(actual, predicted)}, the page showed ${testR2}`);
    grid.forEach((g, i) => close(g.predicted, predicted[i], `row ${i}`));
    assert.ok(testR2 > 0, `test R² ${testR2} beats predicting the mean`);
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser.close();
    server.close();
    rmSync(site, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});
