/**
 * What a page pays to predict with a saved model: a one-line page built with vite for
 * `mlplab/infer` (loadPredictor) and for onnxruntime-web (InferenceSession), side by side.
 * Sizes are of every file the build writes (JavaScript and WebAssembly), raw and gzipped.
 *
 *   npm run build && node dist/bench/bundle.js
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const PAGES: Record<string, string> = {
  'mlplab/infer': `import { loadPredictor } from 'mlplab/infer';\nwindow.addEventListener('load', async () => { document.body.textContent = String((await loadPredictor(await (await fetch('model.json')).text())).classNames); });\n`,
  'onnxruntime-web': `import { InferenceSession } from 'onnxruntime-web';\nwindow.addEventListener('load', async () => { document.body.textContent = String((await InferenceSession.create('model.onnx')).outputNames); });\n`,
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

export interface BundleSize {
  page: string;
  files: number;
  bytes: number;
  gzipBytes: number;
}

export async function bundleSizes(): Promise<BundleSize[]> {
  const out: BundleSize[] = [];
  for (const [page, code] of Object.entries(PAGES)) {
    // Inside the package, so the page resolves onnxruntime-web from its node_modules.
    mkdirSync(join(ROOT, 'build'), { recursive: true });
    const dir = mkdtempSync(join(ROOT, 'build', 'bundle-'));
    try {
      writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="./main.js"></script>\n');
      writeFileSync(join(dir, 'main.js'), code);
      await build({
        root: dir,
        logLevel: 'silent',
        configFile: false,
        resolve: { alias: { 'mlplab/infer': join(ROOT, 'src/infer.ts') } },
        build: { outDir: join(dir, 'dist'), target: 'es2022', reportCompressedSize: false, chunkSizeWarningLimit: 1 << 30 },
      });
      const written = files(join(dir, 'dist')).filter((f) => /\.(m?js|wasm)$/.test(f));
      const bytes = written.reduce((s, f) => s + statSync(f).size, 0);
      const gzipBytes = written.reduce((s, f) => s + gzipSync(readFileSync(f), { level: 9 }).length, 0);
      out.push({ page, files: written.length, bytes, gzipBytes });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
  console.log('| one-line page | files | size | gzipped |\n|---|---:|---:|---:|');
  for (const s of await bundleSizes()) console.log(`| ${s.page} | ${s.files} | ${kb(s.bytes)} | ${kb(s.gzipBytes)} |`);
}
