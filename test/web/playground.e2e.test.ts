/**
 * End-to-end test of the browser playground: build the site with Vite, serve it, and drive it
 * in headless Chromium. Bad settings and bad files must give a message and leave the page
 * working; training on the built-in data must beat chance; the exported model must load
 * the way the command line loads it and score what the page reported.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { decodeModelFile } from '../../src/index.js';
import { parseIdx, writeNpy } from '../../src/data/index.js';
import { runOnnx } from '../export/ort.js';
import { buildSite, launchChromium, openPlayground, screenshotWholePage, serve, skipWithoutChromium as skip } from './site.js';

const npyFile = (name: string, data: Float32Array | Int32Array, shape: number[]) => ({
  name,
  mimeType: 'application/octet-stream',
  buffer: Buffer.from(writeNpy(data, shape)),
});

async function messageWith(page: Page, text: string): Promise<string> {
  const box = page.locator('.message', { hasText: text }).first();
  await box.waitFor({ timeout: 15_000 });
  return (await box.textContent()) ?? '';
}

test('playground trains in headless Chromium, refuses bad input with a message, and exports a model the CLI reads and ONNX Runtime runs', { skip, timeout: 240_000 }, async (t) => {
  const started = performance.now();
  const site = await buildSite();
  t.diagnostic(`site built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const { server, url } = await serve(site);
  let plain: { server: Server; url: string } | null = null;
  const browser = await launchChromium();
  try {
    const { page, pageErrors } = await openPlayground(browser, url);

    // Cross-origin isolated: the engine runs one thread per core in the training worker, and says so.
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const badge = page.locator('#engine');
    await page.waitForFunction(() => document.getElementById('engine')?.dataset.threads !== undefined, null, { timeout: 30_000 });
    assert.equal(await page.evaluate(() => crossOriginIsolated), true);
    assert.equal(await badge.getAttribute('data-threads'), String(cores));
    assert.match((await badge.textContent()) ?? '', new RegExp(`^engine: wasm (relaxed-SIMD|SIMD), ${cores} threads?, in a Web Worker$`));

    // The built-in data arrives and one sample per class is drawn with its label.
    await page.locator('#samples canvas').first().waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('#samples canvas').count(), 10);
    assert.match((await page.textContent('#samples')) ?? '', /Ankle boot/);

    const train = page.getByRole('button', { name: 'Train', exact: true });

    // An absurd width: a message naming the field, no run started.
    await page.fill('#layer-0-width', '100000');
    await train.click();
    assert.match(await messageWith(page, 'Layer 1 width'), /100000.*65536/);
    assert.equal(await page.getAttribute('body', 'data-phase'), 'idle');
    await page.fill('#layer-0-width', '64');

    // A file that is not a .npy: a message naming it.
    await page.click('#tab-files');
    await page.setInputFiles('#file-trainData', { name: 'bad.npy', mimeType: 'application/octet-stream', buffer: Buffer.from('definitely not numpy') });
    assert.match(await messageWith(page, 'bad.npy'), /not a \.npy file/);

    // Test features that do not match the training features: refused before training.
    const rows = 20;
    await page.setInputFiles('#file-trainData', npyFile('train_data.npy', new Float32Array(rows * 4).map((_, i) => i % 7), [rows, 4]));
    await page.setInputFiles('#file-trainLabels', npyFile('train_label.npy', Int32Array.from({ length: rows }, (_, i) => i % 2), [rows, 1]));
    await page.setInputFiles('#file-testData', npyFile('test_data.npy', new Float32Array(rows * 3), [rows, 3]));
    await page.setInputFiles('#file-testLabels', npyFile('test_label.npy', new Int32Array(rows), [rows]));
    await train.click();
    assert.match(await messageWith(page, 'test_data.npy'), /3 features per row, but the training data \(train_data\.npy\) has 4/);
    assert.equal(await page.getAttribute('body', 'data-phase'), 'idle');

    // The page still works: train on the built-in data, pause, resume, stop and evaluate.
    await page.click('#tab-builtin');
    await page.selectOption('#train-rows', '2000');
    await page.fill('#epochs', '200');
    await train.click();
    await page.waitForFunction(() => Number(document.body.dataset.epoch ?? 0) >= 1, null, { timeout: 90_000 });
    await page.click('#pause');
    await page.getByRole('button', { name: 'Resume' }).waitFor({ timeout: 30_000 });
    const pausedAt = Number(await page.getAttribute('body', 'data-epoch'));
    await page.waitForTimeout(400);
    assert.equal(Number(await page.getAttribute('body', 'data-epoch')), pausedAt, 'no epoch runs while paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.waitForFunction((after) => Number(document.body.dataset.epoch ?? 0) > Math.max(after, 1), pausedAt, { timeout: 90_000 });
    const status = (await page.textContent('#status')) ?? '';
    const shown = /validation accuracy (\d+(?:\.\d+)?)%/.exec(status);
    assert.ok(shown, `status shows the validation accuracy: ${status}`);
    assert.ok(Number(shown[1]) > 20, `validation accuracy ${shown[1]}% is above chance (10%)`);
    await page.click('#stop');
    await page.waitForFunction(() => document.body.dataset.phase === 'idle' && document.getElementById('tile-final')?.textContent !== '–', null, { timeout: 120_000 });

    // Charts rendered with their marks; report and prediction grid filled.
    for (const id of ['loss-chart', 'accuracy-chart', 'compare-chart']) {
      assert.ok((await page.locator(`#${id} svg .mark-line path`).count()) >= 1, `${id} draws lines`);
    }
    assert.equal(await page.locator('#confusion-chart svg .mark-rect path').count(), 100, 'confusion matrix has 10 x 10 cells');
    assert.equal(await page.locator('#report tbody tr').count(), 13, '10 classes, accuracy, macro and weighted averages');
    assert.equal(await page.locator('#prediction-grid canvas').count(), 24);
    // What each layer does: one row per hidden layer, the gradient chart, the findings, the first layer's weights as images.
    assert.equal(await page.locator('#layers-table tbody tr').count(), 2);
    assert.match((await page.textContent('#layers-table tbody')) ?? '', /hidden0 \(gelu\)\s*\d+%/);
    assert.ok((await page.locator('#layers-chart svg .mark-line path').count()) >= 1, 'the gradient-norm chart draws lines');
    assert.ok((await page.locator('#layer-findings li').count()) >= 1, 'findings, or that the layers look healthy');
    assert.equal(await page.isVisible('#weights-box'), true);
    assert.ok((await page.$eval('#weights-img', (img) => (img as HTMLImageElement).naturalWidth)) > 100, 'the weight tiles are drawn');
    assert.equal(await page.locator('#runs-body tr').count(), 1);
    assert.match((await page.textContent('#status')) ?? '', /^Stopped after \d+ epochs/);
    const testAccuracy = Number(((await page.textContent('#tile-final')) ?? '').replace('%', '')) / 100;
    assert.ok(testAccuracy > 0.2, `test accuracy ${testAccuracy} is above chance`);

    // The exported model loads as the command line loads it and scores what the page showed.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const { model, pipeline: saved, classNames } = await decodeModelFile(await readFile(await download.path(), 'utf8'), 'exported model');
    assert.equal(classNames[9], 'Ankle boot');
    const pipeline = saved!;
    const images = parseIdx(await readFile(join(site, 'fashion-mnist', 't10k-images-idx3-ubyte.gz')), 'test images');
    const labels = parseIdx(await readFile(join(site, 'fashion-mnist', 't10k-labels-idx1-ubyte.gz')), 'test labels');
    const n = labels.shape[0];
    const features = pipeline.transform(Float32Array.from(images.data), n);
    let correct = 0;
    model.predict(features, n).forEach((p, i) => (correct += p === labels.data[i] ? 1 : 0));
    assert.ok(Math.abs(correct / n - testAccuracy) < 0.0006, `exported model scores ${correct / n}, the page showed ${testAccuracy}`);

    // Export ONNX gives the same model with its pre-processing inside: ONNX Runtime on the raw
    // test images gives the labels of the exported model file.
    const [onnxDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export-onnx')]);
    assert.match(onnxDownload.suggestedFilename(), /\.onnx$/);
    const some = 200;
    const raw = Float32Array.from(images.data.subarray(0, some * 784));
    const onnxOut = await runOnnx(new Uint8Array(await readFile(await onnxDownload.path())), raw, some, 784);
    assert.deepEqual(Array.from(onnxOut.label, Number), Array.from(model.predict(pipeline.transform(raw, some), some)));
    model.dispose();

    const shot = join(mkdtempSync(join(tmpdir(), 'mlplab-playground-')), 'playground.png');
    await screenshotWholePage(page, shot);
    t.diagnostic(`screenshot: ${shot}`);
    console.log(`playground screenshot: ${shot}`);
    assert.deepEqual(pageErrors, []);

    // Served without the isolation headers: no shared memory, so one thread, and the badge says why.
    plain = await serve(site, false);
    const page2 = await browser.newPage();
    await page2.goto(plain.url);
    await page2.waitForFunction(() => document.getElementById('engine')?.dataset.threads !== undefined, null, { timeout: 30_000 });
    assert.equal(await page2.evaluate(() => crossOriginIsolated), false);
    assert.equal(await page2.locator('#engine').getAttribute('data-threads'), '1');
    assert.match((await page2.textContent('#engine')) ?? '', /^engine: wasm (relaxed-SIMD|SIMD), 1 thread \(not cross-origin isolated\), in a Web Worker$/);
    assert.match((await page2.getAttribute('#engine', 'title')) ?? '', /one thread: .*Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp/);
  } finally {
    await browser.close();
    server.close();
    plain?.server.close();
    rmSync(site, { recursive: true, force: true });
  }
});
