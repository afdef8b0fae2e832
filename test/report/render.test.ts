import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHART_COLORS } from '../../src/report/charts/common.js';
import { confusionChart } from '../../src/report/charts/confusion.js';
import { lossChart } from '../../src/report/charts/curves.js';
import { writeFileAtomic } from '../../src/io/files.js';
import { bundledFontFiles, specToSvg, svgToPng, writeRunFigures } from '../../src/report/render-node.js';
import { OutputError } from '../../src/errors.js';
import { countColor, decodePng } from './helpers.js';
import { sampleRunReport, syntheticHistory } from './sample.js';

function svgSize(svg: string): { width: number; height: number } {
  const m = /<svg[^>]*\bwidth="(\d+(?:\.\d+)?)"[^>]*\bheight="(\d+(?:\.\d+)?)"/.exec(svg)!;
  return { width: Number(m[1]), height: Number(m[2]) };
}

test('the PNG of a chart is a valid PNG at twice the SVG size, with both curves drawn', async () => {
  const svg = await specToSvg(lossChart(syntheticHistory({ epochs: 80, overfitFrom: 30 })));
  const { png, width, height } = svgToPng(svg);
  const size = svgSize(svg);
  const decoded = decodePng(png);
  assert.equal(decoded.width, width);
  assert.equal(decoded.height, height);
  assert.equal(width, Math.ceil(size.width * 2));
  assert.equal(height, Math.ceil(size.height * 2));
  assert.ok(width > 1000 && width < 2000 && height > 500 && height < 1200, `${width} x ${height}`);
  // Not blank: a white background, ink in a few percent of the pixels, the two series colours present.
  const total = width * height;
  const white = countColor(decoded, '#ffffff', 3);
  assert.ok(white / total > 0.6 && white / total < 0.99, `white share ${white / total}`);
  assert.ok(countColor(decoded, CHART_COLORS.training, 30) > 500, 'training curve drawn');
  assert.ok(countColor(decoded, CHART_COLORS.validation, 30) > 500, 'validation curve drawn');
});

test('text is drawn with the bundled font alone, and only with it', () => {
  const fonts = bundledFontFiles();
  assert.equal(fonts.length, 2);
  for (const f of fonts) assert.ok(readFileSync(f).subarray(0, 4).equals(Buffer.from([0, 1, 0, 0])), `${f} is a TrueType font`);
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><text x="4" y="28" font-size="20" font-family="DejaVu Sans">Epoch 37</text></svg>';
  const dark = (png: Buffer) => {
    const d = decodePng(png);
    let n = 0;
    for (let i = 0; i < d.pixels.length; i += 4) if (d.pixels[i] < 128) n++;
    return n;
  };
  assert.ok(dark(svgToPng(svg, { scale: 1 }).png) > 200, 'glyphs rendered');
  // With no font files (and system fonts never loaded) the same text leaves the image white:
  // the glyphs above came from the bundled font.
  assert.equal(dark(svgToPng(svg, { scale: 1, fontFiles: [] }).png), 0);
});

test('writeRunFigures writes SVG and PNG of the three figures, no temporary files left', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlplab-figures-'));
  try {
    const written = await writeRunFigures(join(dir, 'run'), sampleRunReport());
    const names = ['loss', 'accuracy', 'confusion'].flatMap((n) => [`${n}.svg`, `${n}.png`]);
    assert.deepEqual(written.map((p) => p.slice(join(dir, 'run').length + 1)), names);
    assert.deepEqual(readdirSync(join(dir, 'run')).sort(), [...names].sort());
    for (const p of written.filter((x) => x.endsWith('.png'))) {
      const d = decodePng(readFileSync(p));
      assert.ok(d.width > 600 && d.height > 400, `${p}: ${d.width} x ${d.height}`);
    }
    assert.match(readFileSync(join(dir, 'run', 'confusion.svg'), 'utf8'), /^<svg /);
    // Without a test set there is no confusion matrix.
    const noTest = await writeRunFigures(join(dir, 'nt'), sampleRunReport({ test: null }));
    assert.equal(noTest.length, 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('confusion PNG: dark diagonal cells', async () => {
  const svg = await specToSvg(confusionChart([[50, 0], [0, 50]], ['a', 'b']));
  const d = decodePng(svgToPng(svg).png);
  assert.ok(countColor(d, '#0b3b7a', 10) > 1000, 'the largest counts get the darkest blue');
});

test('an unwritable destination is an OutputError naming the path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlplab-out-'));
  try {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const target = join(file, 'loss.svg');
    await assert.rejects(writeFileAtomic(target, 'svg'), (e: unknown) => e instanceof OutputError && e.path === target);
    assert.deepEqual(readdirSync(dir), ['a-file']);
    await writeFileAtomic(join(dir, 'sub', 'ok.txt'), 'fine');
    assert.equal(readFileSync(join(dir, 'sub', 'ok.txt'), 'utf8'), 'fine');
    assert.ok(!existsSync(join(dir, 'sub', 'ok.txt.tmp')));
    assert.deepEqual(readdirSync(join(dir, 'sub')), ['ok.txt']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
