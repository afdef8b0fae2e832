/**
 * The playground on a real table, in headless Chromium: a CSV whose columns hold text, a yes/no
 * flag, an identifier and blank cells. The page shows the column table as `mlplab data info`
 * types it, lets a column's type and the label column be changed, trains the model chosen for
 * the data (a seed ensemble) and one set by hand, and the models it exports predict the test
 * rows (a blank cell, a category never seen in training) as the page showed: through the
 * library's loadPredictor, and through `mlplab predict`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { decodeModelFile, loadPredictor } from '../../src/index.js';
import { loadFeatures } from '../../src/node.js';
import { ROOT, buildSite, launchChromium, openPlayground, screenshotWholePage, serve, skipWithoutChromium as skip } from './site.js';

const ISLANDS = ['Biscoe', 'Dream', 'Torgersen'];
const SPECIES = ['Adelie', 'Gentoo', 'Chinstrap'];

/**
 * Penguin-like rows: the species (the label, first), its island (text; blank in every 7th
 * row), bill and flipper lengths (numbers; a blank bill in every 9th), an identifier and a
 * yes/no flag last, where the page looks for a label by default.
 */
function penguins(n: number, from: number): string[][] {
  return Array.from({ length: n }, (_, i) => {
    const k = from + i, s = k % 3;
    return [
      SPECIES[s],
      k % 7 === 3 ? '' : ISLANDS[(s + (k % 5 === 0 ? 1 : 0)) % 3],
      k % 9 === 4 ? '' : (38 + s * 6 + ((k * 7) % 5) * 0.5).toFixed(1),
      String(185 + s * 12 + ((k * 3) % 7)),
      `P-${1000 + k}`,
      k % 4 === 1 ? 'yes' : 'no',
    ];
  });
}
const HEADER = 'species,island,bill_mm,flipper_mm,id,smoker';
const csv = (rows: string[][]) => [HEADER, ...rows.map((r) => r.join(','))].join('\n') + '\n';
const TRAIN = penguins(90, 0);
// Test rows: ten like the training rows, one from an island never seen in training, one with two blanks.
const TEST = [...penguins(10, 500), ['Gentoo', 'Anvers', '50.0', '209', 'P-9001', 'no'], ['Adelie', '', '39.0', '', 'P-9002', 'yes']];

const share = (rows: string[][], c: number) => `${((100 * rows.filter((r) => r[c] === '').length) / rows.length).toFixed(1)}%`;

/** The rows of the page's column table: name, type, missing share, distinct values, what a run does. */
const columnRows = (page: Page) =>
  page.$$eval('#columns-table tr.column-row', (rows) => rows.map((r) => ({
    name: r.querySelector('th')!.textContent!,
    type: (r as HTMLElement).dataset.type!,
    missing: r.children[2].textContent!,
    distinct: r.children[3].textContent!,
    action: r.children[5].textContent!,
  })));

/** The page's predictions of the test rows: row, predicted class, its probability. */
const gridRows = (page: Page) =>
  page.$$eval('#prediction-grid tr.prediction-row', (rows) => rows.map((r) => ({
    row: Number((r as HTMLElement).dataset.row),
    cells: Array.from(r.children, (c) => c.textContent!),
    // Names from the user's file are isolated from the text around them (bidirectional text).
    predicted: r.querySelector('.pred bdi')!.textContent!,
    p: Number(r.querySelector('.proba')!.textContent),
  })));

function cli(...args: string[]): string {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'mlplab'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `mlplab ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** `mlplab predict` on the test rows: each row's predicted class name and its probability. */
function cliPredictions(model: string, input: string, dir: string): { predicted: string; p: number }[] {
  const out = join(dir, `predictions-${Math.random().toString(36).slice(2)}.csv`);
  cli('predict', '--model', model, '--input', input, '--out', out);
  const [head, ...lines] = readFileSync(out, 'utf8').trim().split('\n');
  const names = head.split(',').slice(3).map((h) => h.replace(/^p\((.*)\)$/, '$1'));
  return lines.map((line) => {
    const cells = line.split(',');
    return { predicted: cells[2], p: Number(cells[3 + names.indexOf(cells[2])]) };
  });
}

async function trainAndWait(page: Page, runs: number): Promise<void> {
  await page.click('#train');
  await page.waitForFunction((n) => document.body.dataset.phase === 'idle' && document.querySelectorAll('#runs-body tr').length === n, runs, { timeout: 120_000 });
}

test('a CSV with text, yes/no and blank cells: the column table, a run chosen for the data, and exported models that predict the test rows as the page did', { skip, timeout: 300_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mlplab-table-'));
  const trainCsv = join(dir, 'penguins.csv');
  const testCsv = join(dir, 'penguins-test.csv');
  writeFileSync(trainCsv, csv(TRAIN));
  writeFileSync(testCsv, csv(TEST));
  const site = await buildSite();
  const { server, url } = await serve(site);
  const browser = await launchChromium();
  try {
    const { page, pageErrors } = await openPlayground(browser, url);
    await page.click('#tab-files');
    await page.setInputFiles('#file-trainData', { name: 'penguins.csv', mimeType: 'text/csv', buffer: Buffer.from(csv(TRAIN)) });
    await page.setInputFiles('#file-testData', { name: 'penguins-test.csv', mimeType: 'text/csv', buffer: Buffer.from(csv(TEST)) });
    await page.locator('#columns-card').waitFor({ timeout: 15_000 });

    // The label is the last column by default; the person picks the species from the header.
    const summary = page.locator('#files-summary p').first();
    assert.match((await summary.textContent()) ?? '', /90 training rows, 12 test rows, 5 columns, 2 classes from "smoker"/);
    assert.equal(await page.locator('#label-column option:checked').textContent(), 'smoker (found by default)');
    assert.deepEqual(await page.$$eval('#label-column option', (o) => o.slice(1).map((x) => x.textContent)), HEADER.split(','));
    await page.selectOption('#label-column', 'species');
    await page.waitForFunction(() => /3 classes from "species"/.test(document.querySelector('#files-summary p')?.textContent ?? ''));

    // The column table: each column typed, its blanks, what a run does, the identifier's warning.
    const columns = await columnRows(page);
    assert.deepEqual(columns.map((c) => [c.name, c.type, c.missing]), [
      ['island', 'categorical', share(TRAIN, 1)],
      ['bill_mm', 'numeric', share(TRAIN, 2)],
      ['flipper_mm', 'numeric', '–'],
      ['id', 'ignored', '–'],
      ['smoker', 'boolean', '–'],
    ]);
    assert.match(columns[0].action, /^one-hot, 4 columns \(blanks: 'missing'\)$/);
    assert.match(columns[1].action, /blanks get the median \(\d+(\.\d+)?\) and a missing-indicator column/);
    assert.match((await page.textContent('#columns-table .column-warning')) ?? '', /column "id" looks like an identifier/);
    // The same table as `mlplab data info` prints for the same file.
    const info = JSON.parse(cli('data', 'info', trainCsv, '--label-column', 'species', '--json')) as { columns: { name: string; type: string; distinct: string; action: string }[] };
    assert.deepEqual(columns.map((c) => [c.name, c.type, c.distinct, c.action]), info.columns.map((c) => [c.name, c.type, c.distinct, c.action]));

    // A table gets the model chosen for the data by default.
    assert.equal(await page.inputValue('#model-mode'), 'auto');
    assert.equal(await page.isVisible('#layer-list'), false);
    assert.equal(await page.isDisabled('#optimizer'), true);

    // Leave the yes/no column out: the row says so, and the run's settings get it.
    await page.selectOption('#columns-table select[data-column="smoker"]', 'ignored');
    assert.equal(await page.getAttribute('#columns-table tr.column-row:last-child', 'data-type'), 'ignored');
    assert.match((await page.textContent('#columns-note')) ?? '', /data\.ignoreColumns = \["smoker"\].*--ignore-columns smoker/);
    const shots = mkdtempSync(join(tmpdir(), 'mlplab-table-shots-'));
    const columnShot = join(shots, 'columns.png');
    await page.locator('#columns-card').screenshot({ path: columnShot });
    t.diagnostic(`column table: ${columnShot}`);

    // Train a few epochs of the model chosen for the data: a seed ensemble of 5 networks on all 90 rows, for the epochs the folds chose (5 at most).
    await page.fill('#epochs', '5');
    await trainAndWait(page, 1);
    const status = /^Finished after ([1-5]) epochs? \(and 4 more networks of the seed ensemble\).* test accuracy \d/.exec((await page.textContent('#status')) ?? '');
    assert.ok(status, (await page.textContent('#status')) ?? '');
    // The two numeric columns go in as 8 bins each beside their values (7 + 2 x 8 features), as measured in the worker.
    assert.match((await page.textContent('#run-facts')) ?? '', /90 training · 0 validation · 12 test rows · 23 input features · .* a seed ensemble of 5 networks/);
    const choices = await page.$$eval('#choices-table tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.option));
    assert.deepEqual(choices, ['hidden layers', 'activation', 'batch norm', 'dropout', 'optimiser', 'batch size', 'epochs', 'ensemble', 'stopping', 'numeric bins']);
    assert.match((await page.textContent('#choices-table tr[data-option="numeric bins"]')) ?? '', /^numeric bins8 per numeric column5-fold cross-validation of one network on the training rows: [\d.]+% accuracy with bins, [\d.]+% without$/);
    assert.equal((await page.textContent('#choices-table tr[data-option="epochs"]')) ?? '', `epochsup to 5 in each fold, then ${status[1]}the most in each fold, as given; then the folds' mean best epoch`);
    assert.match((await page.textContent('#choices-table tr[data-option="stopping"]')) ?? '', new RegExp(`^stopping${status[1]} epochs, on all the training rowsthe mean best epoch of 5-fold cross-validation`));
    // The table reached the worker whole: it typed, filled and encoded the columns there.
    const steps = (await page.textContent('#prep-steps')) ?? '';
    assert.match(steps, /Encoded \d+ table columns into 23 features/);
    assert.match(steps, /Filled \d+ blank cells of the training part/);
    assert.match(await page.textContent('#runs-body') ?? '', /#1 chosen for the data: \[64\], adam lr 0\.001/);

    // The page's predictions of the test rows: the blank cells and the unseen island shown as such.
    const shown = await gridRows(page);
    assert.deepEqual(shown.map((r) => r.row), TEST.map((_, i) => i));
    assert.equal(shown[10].cells[1], 'Anvers new', 'the island never seen in training is marked');
    assert.equal(shown[0].cells[1], 'blank');
    assert.deepEqual([shown[11].cells[1], shown[11].cells[3]], ['blank', 'blank']);

    // The exported model keeps the encoder: the columns used, by name, the label, and the ensemble.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const chosenModel = join(dir, 'chosen.json');
    writeFileSync(chosenModel, await readFile(await download.path(), 'utf8'));
    const contents = await decodeModelFile(readFileSync(chosenModel, 'utf8'), 'exported model');
    assert.deepEqual(contents.table!.meta.columns.map((c) => [c.name, c.role, c.role === 'numeric' ? c.bins?.length : null]), [['island', 'categorical', null], ['bill_mm', 'numeric', 9], ['flipper_mm', 'numeric', 9]]);
    assert.equal(contents.table!.meta.label, 'species');
    assert.equal(contents.members?.length, 4);
    contents.model.dispose();
    for (const m of contents.members ?? []) m.dispose();

    // The library's predictor on the raw test rows (read by column name, as the command line reads them) says what the page showed.
    const rows = await loadFeatures(testCsv);
    const predictor = await loadPredictor(readFileSync(chosenModel, 'utf8'));
    const proba = predictor.predictProba(rows);
    const k = predictor.classNames.length;
    const library = Array.from(predictor.predict(rows), (c, r) => ({ predicted: predictor.classNames[c], p: proba[r * k + c] }));
    predictor.dispose();
    assert.deepEqual(library.map((x) => x.predicted), shown.map((x) => x.predicted));
    library.forEach((x, r) => assert.ok(Math.abs(x.p - shown[r].p) < 0.0006, `row ${r}: the library gives p = ${x.p}, the page showed ${shown[r].p}`));

    await t.test('mlplab predict averages the seed ensemble as the page does', () => {
      const fromCli = cliPredictions(chosenModel, testCsv, dir);
      assert.deepEqual(fromCli.map((x) => x.predicted), shown.map((x) => x.predicted));
      fromCli.forEach((x, r) => assert.ok(Math.abs(x.p - shown[r].p) < 0.0006, `row ${r}: mlplab predict gives p = ${x.p}, the page showed ${shown[r].p}`));
    });

    // A model set by hand (one network): `mlplab predict` on the same rows says what the page showed.
    await page.selectOption('#model-mode', 'manual');
    assert.equal(await page.isVisible('#layer-list'), true);
    assert.equal(await page.inputValue('#epochs'), '5');
    await trainAndWait(page, 2);
    assert.match((await page.textContent('#runs-body tr:last-child')) ?? '', /model chosen for the data → set by hand/);
    const byHand = await gridRows(page);
    const [download2] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const handModel = join(dir, 'by-hand.json');
    writeFileSync(handModel, await readFile(await download2.path(), 'utf8'));
    const fromCli = cliPredictions(handModel, testCsv, dir);
    assert.deepEqual(fromCli.map((x) => x.predicted), byHand.map((x) => x.predicted));
    fromCli.forEach((x, r) => assert.ok(Math.abs(x.p - byHand[r].p) < 0.0006, `row ${r}: mlplab predict gives p = ${x.p}, the page showed ${byHand[r].p}`));

    const pageShot = join(shots, 'table-run.png');
    await screenshotWholePage(page, pageShot);
    t.diagnostic(`page after two runs: ${pageShot}`);
    console.log(`table screenshots: ${columnShot} ${pageShot}`);
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser.close();
    server.close();
    rmSync(site, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});
