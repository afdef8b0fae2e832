import { chromium } from 'playwright-core';
const [,, file, out, sel, h] = process.argv;
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const p = await b.newPage({ viewport: { width: 1200, height: 1200 } });
await p.goto('file://' + file);
await p.$$eval('details', (ds) => ds.forEach((d) => (d.open = true)));
const y = await p.$eval(sel, (e) => e.getBoundingClientRect().top + window.scrollY);
await p.screenshot({ path: out, clip: { x: 0, y, width: 1200, height: Number(h ?? 1400) }, fullPage: true });
await b.close();
