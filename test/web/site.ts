/**
 * What the playground's browser tests share: the site built with Vite into a folder of its
 * own, served on 127.0.0.1 (cross-origin isolated unless told otherwise), and headless Chromium
 * started with the flags that work on a machine without a network.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CHROMIUM = process.env.MLPLAB_CHROMIUM ?? '/usr/bin/chromium';

/** Why a browser test is skipped here, or false when Chromium is installed. */
export const skipWithoutChromium = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}: install Debian's chromium package (.ci/run does) or set MLPLAB_CHROMIUM`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

/** The headers that make a page cross-origin isolated (shared memory, so threads), as web/vite.config.ts sends them. */
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/**
 * Build the site into a new temporary folder, so a concurrent `npm run build:web` (or a second
 * test run) cannot replace the files while the browser loads them. Returns the folder.
 */
export async function buildSite(): Promise<string> {
  const site = mkdtempSync(join(tmpdir(), 'mlplab-site-'));
  await build({ configFile: join(ROOT, 'web', 'vite.config.ts'), logLevel: 'warn', build: { outDir: site, emptyOutDir: true } });
  return site;
}

/** Serve a folder on 127.0.0.1 at a free port, cross-origin isolated unless told otherwise. */
export async function serve(dir: string, isolated = true): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(dir, path));
    if (!file.startsWith(dir + sep)) {
      res.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (body) => res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', ...(isolated ? ISOLATION : {}) }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, url: `http://127.0.0.1:${address.port}/` };
}

/** Headless Chromium, without the background connections a machine without a network refuses. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** The playground at `url` in a new desktop-sized page that accepts downloads, and the errors the page throws (for a test to find none). */
export async function openPlayground(browser: Browser, url: string): Promise<{ page: Page; pageErrors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, acceptDownloads: true });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(url);
  return { page, pageErrors };
}

/** A screenshot of the whole page at `path`, the viewport first made as tall as the page so the settings column (which scrolls on its own) shows whole. */
export async function screenshotWholePage(page: Page, path: string): Promise<void> {
  const height = await page.evaluate(() => Math.max(document.documentElement.scrollHeight, (document.querySelector('.settings')?.scrollHeight ?? 0) + 120));
  await page.setViewportSize({ width: 1440, height });
  await page.waitForTimeout(500);
  await page.screenshot({ path, fullPage: true });
}
