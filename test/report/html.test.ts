import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../src/errors.js';
import { escapeHtml } from '../../src/format.js';
import { composeRunReportHtml } from '../../src/report/html.js';
import { renderRunReportHtml } from '../../src/report/render-node.js';
import { checkRunReport } from '../../src/report/run-report.js';
import { diagnoseHistory } from '../../src/report/diagnose.js';
import { classificationReport, confusionMatrix } from '../../src/metrics/classification.js';
import { assertWellFormed } from './helpers.js';
import { sampleRunReport, syntheticHistory } from './sample.js';

const sample = sampleRunReport();
const htmlPromise = renderRunReportHtml(sample);

function section(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}">`);
  assert.ok(start >= 0, `section ${id}`);
  return html.slice(start, html.indexOf('</section>', start));
}

test('the report has every section, in order, and three inline figures', async () => {
  const html = await htmlPromise;
  const ids = ['diagnostics', 'curves', 'test', 'predictions', 'data', 'config'];
  const at = ids.map((id) => html.indexOf(`<section id="${id}">`));
  assert.ok(at.every((p) => p > 0), String(at));
  assert.deepEqual([...at].sort((a, b) => a - b), at);
  assert.equal((html.match(/<svg /g) ?? []).length, 3);
  assert.match(section(html, 'curves'), /Loss per epoch[\s\S]*Accuracy per epoch/);
  assert.match(section(html, 'test'), /Confusion matrix/);
  assertWellFormed(html.replace(/^<!DOCTYPE html>\n/, '').replace(/<meta [^>]*>/g, ''));
});

test('self-contained: no scripts, no external resources, unique ids across inline SVGs', async () => {
  const html = await htmlPromise;
  assert.doesNotMatch(html, /<script|<link|<img|<iframe|@import|\bsrc=/i);
  const urls = [...html.matchAll(/https?:\/\/[^\s"')]+/g)].map((m) => m[0]);
  assert.deepEqual([...new Set(urls)].sort(), ['http://www.w3.org/1999/xlink', 'http://www.w3.org/2000/svg'], 'only XML namespace names');
  const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  for (const ref of html.matchAll(/url\(#([^)]+)\)/g)) assert.ok(ids.includes(ref[1]), `reference to #${ref[1]} resolves`);
});

test('summary header: test accuracy, macro F1, epochs, run time', async () => {
  const html = await htmlPromise;
  const header = html.slice(html.indexOf('<header>'), html.indexOf('</header>'));
  const t = sample.test!;
  assert.ok(header.includes(`${(t.accuracy * 100).toFixed(2)}%`));
  assert.ok(header.includes(t.report.macro.f1.toFixed(3)));
  assert.match(header, />400</);
  const s = Math.round(sample.seconds);
  assert.ok(header.includes(`${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`), 'run time');
});

test('classification report table: one row per class plus accuracy and averages, numbers right-aligned', async () => {
  const html = await htmlPromise;
  const table = section(html, 'test');
  const rows = [...table.matchAll(/<tr><th scope="row">(?:<bdi>)?([^<]*)(?:<\/bdi>)?<\/th>((?:<td class="num">[^<]*<\/td>)+)<\/tr>/g)];
  assert.equal(rows.length, 10);
  rows.forEach((row, i) => {
    const c = sample.test!.report.classes[i];
    const cells = [...row[2].matchAll(/<td class="num">([^<]*)<\/td>/g)].map((m) => m[1]);
    assert.equal(row[1], escapeHtml(c.label));
    assert.deepEqual(cells, [c.precision.toFixed(3), c.recall.toFixed(3), c.f1.toFixed(3), c.support.toLocaleString('en-US')]);
  });
  assert.match(table, /accuracy<\/th><td><\/td><td><\/td><td class="num">0\.\d{3}<\/td><td class="num">10,000</);
  assert.match(table, /macro avg/);
  assert.match(table, /weighted avg/);
});

test('diagnostic sentences appear in the page', async () => {
  const html = await htmlPromise;
  const d = diagnoseHistory(sample.history);
  assert.ok(d.sentences.length >= 2);
  for (const s of d.sentences) assert.ok(section(html, 'diagnostics').includes(escapeHtml(s)), s);
});

test('the last N predictions with class names; N is an option', async () => {
  const r = sampleRunReport();
  const html = composeRunReportHtml(r, {}, { lastPredictions: 7 });
  const block = section(html, 'predictions');
  const rows = [...block.matchAll(/<tr class="(ok|miss)"><td class="num">(\d+)<\/td><td><bdi>([^<]*)<\/bdi><\/td><td class="pred"><bdi>([^<]*)<\/bdi><\/td>/g)];
  const last = r.test!.predictions.slice(-7);
  assert.deepEqual(
    rows.map((m) => [m[1], Number(m[2]), m[3], m[4]]),
    last.map((p) => [p.predicted === p.actual ? 'ok' : 'miss', p.index, escapeHtml(r.data.classNames[p.actual]), escapeHtml(r.data.classNames[p.predicted])]),
  );
  assert.match(block, /Last 7 test predictions/);
});

test('hostile strings in class names, config, title and steps are escaped', async () => {
  const evil = '<script>alert(1)</script>';
  const base = sampleRunReport();
  const names = [...base.data.classNames];
  names[2] = evil;
  const yTrue = base.test!.predictions.map((p) => p.actual);
  const yPred = base.test!.predictions.map((p) => p.predicted);
  const r = sampleRunReport({
    title: `Run <img src=x onerror=alert(1)>`,
    config: { note: '"><svg onload=alert(1)>', nested: { 'key<i>': evil } },
    data: { ...base.data, classNames: names, source: `data & "quotes"`, steps: [{ name: '<b>step</b>', summary: "it's & <ok>" }] },
    test: { ...base.test!, report: classificationReport(yTrue, yPred, 10, names), confusion: confusionMatrix(yTrue, yPred, 10) },
  });
  const html = await renderRunReportHtml(r);
  assert.doesNotMatch(html, /<script|<img|<svg onload|<b>step|<i>/i);
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(html.includes('Run &lt;img src=x onerror=alert(1)&gt;'));
  assert.ok(html.includes('&quot;&gt;&lt;svg onload=alert(1)&gt;'));
  assert.ok(html.includes('key&lt;i&gt;'));
  assert.ok(html.includes('data &amp; &quot;quotes&quot;'));
  assert.ok(html.includes('it&#39;s &amp; &lt;ok&gt;'));
  // Scripts could not run even if something slipped through.
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
});

test('a run without a test set or epochs still renders, saying what is missing', async () => {
  const html = await renderRunReportHtml(sampleRunReport({ test: null, history: [] }));
  assert.match(section(html, 'test'), /not evaluated on a test set/);
  assert.match(section(html, 'diagnostics'), /No epochs were recorded/);
  assert.doesNotMatch(html, /<section id="predictions">/);
  assert.equal((html.match(/<svg /g) ?? []).length, 2, 'empty curves, no confusion matrix');
  assert.match(html, /Test accuracy<\/div><div class="card-value">—/);
});

test('early stopping shows in the header and the diagnostics', () => {
  const history = syntheticHistory({ epochs: 47, overfitFrom: 30 });
  const html = composeRunReportHtml(sampleRunReport({ history, stoppedEarly: { bestEpoch: 37, restored: true } }), {});
  assert.match(html, /stopped early; best epoch 37 restored/);
  assert.match(section(html, 'diagnostics'), /Early stopping ended training at epoch 47, 10 epochs after the best epoch \(37\); the weights of epoch 37 were restored\./);
});

test('a report whose parts disagree is refused with a ConfigError naming the field', () => {
  const r = sampleRunReport();
  assert.throws(() => checkRunReport({ ...r, test: { ...r.test!, confusion: r.test!.confusion.slice(1) } }), (e: unknown) => e instanceof ConfigError && e.field === 'report.test.confusion');
  assert.throws(() => checkRunReport({ ...r, data: { ...r.data, classNames: ['a'] } }), (e: unknown) => e instanceof ConfigError && e.field === 'report.data.classNames');
  assert.throws(() => checkRunReport({ ...r, test: { ...r.test!, accuracy: 0.5 } }), (e: unknown) => e instanceof ConfigError && e.field === 'report.test.accuracy');
  const preds = [...r.test!.predictions];
  preds[3] = { index: 3, predicted: 10, actual: 1 };
  assert.throws(() => checkRunReport({ ...r, test: { ...r.test!, predictions: preds } }), (e: unknown) => e instanceof ConfigError && e.field === 'report.test.predictions[3].predicted');
});

test('the browser-safe modules import nothing from Node, Vega or the Node renderer', () => {
  for (const file of ['index.js', 'html.js', 'page.js', 'charts/common.js', 'charts/curves.js', 'charts/confusion.js', 'charts/layers.js', 'charts/study.js', 'diagnose.js', 'run-report.js', 'text.js']) {
    const js = readFileSync(new URL(`../../src/report/${file}`, import.meta.url), 'utf8');
    assert.doesNotMatch(js, /from ['"](node:|vega['"]|@resvg|\.\/render-node)/, file);
  }
});

test('class names and the source are isolated in the page, a right-to-left override shown and not applied', () => {
  const base = sampleRunReport();
  const names = base.data.classNames.map((n, i) => (i === 2 ? `evil\u202Egnp.exe` : n));
  const r = { ...base, data: { ...base.data, classNames: names, source: `data\u202Ev.csv` }, test: base.test ? { ...base.test, report: classificationReport([0, 1, 2], [0, 1, 2], 3, names.slice(0, 3)) } : null };
  const html = composeRunReportHtml(r, {});
  // The override is shown, not applied, and the name still sits in its own bidi island.
  assert.ok(html.includes(`<bdi>evil&lt;U+202E&gt;gnp.exe</bdi>`), 'the class name sits in its own bidi island');
  assert.ok(html.includes(`<bdi>data&lt;U+202E&gt;v.csv</bdi>`), 'so does the source');
  assert.ok(!html.includes('\u202E'), 'no override is applied anywhere in the page');
});
