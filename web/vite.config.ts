import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { fashionSubset } from '../scripts/web-fashion-subset.mjs';

const SUBSET_DIR = 'fashion-mnist';

/**
 * Cross-origin isolation: with these two headers the page gets SharedArrayBuffer, and training
 * runs on one thread per core. A static host serving web/dist/ must send the same two headers
 * on every file (README, "Browser playground"); without them the page trains on one thread.
 */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * The built-in data: a Fashion-MNIST subset cut from the full IDX files when the site is
 * built (emitted as files of the site) or served (answered by the dev server), so the
 * repository never holds a second copy of the images.
 */
function fashionMnistSubset(): Plugin {
  let files: Map<string, Uint8Array> | null = null;
  const subset = () => (files ??= fashionSubset());
  return {
    name: 'mlplab-fashion-mnist-subset',
    configureServer(server) {
      server.middlewares.use(`/${SUBSET_DIR}/`, (req, res, next) => {
        const name = (req.url ?? '').replace(/^\/+/, '').split('?')[0];
        const bytes = subset().get(name);
        if (!bytes) return next();
        res.setHeader('Content-Type', 'application/octet-stream');
        res.setHeader('Content-Length', String(bytes.length));
        res.end(bytes);
      });
    },
    generateBundle() {
      for (const [name, bytes] of subset()) this.emitFile({ type: 'asset', fileName: `${SUBSET_DIR}/${name}`, source: bytes });
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [fashionMnistSubset()],
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2048,
    reportCompressedSize: false,
    rollupOptions: {
      onwarn(warning, warn) {
        // zod ships comments that Rollup cannot place; they are harmless.
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('node_modules')) return;
        warn(warning);
      },
    },
  },
  server: { host: '127.0.0.1', headers: ISOLATION_HEADERS },
  preview: { host: '127.0.0.1', headers: ISOLATION_HEADERS },
});
