import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
const [,, file, out, y, h] = process.argv;
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const p = await b.newPage({ viewport: { width: 1440, height: Number(h) } });
const data = readFileSync(file).toString('base64');
await p.setContent(`<body style="margin:0"><img src="data:image/png;base64,${data}" style="display:block;position:absolute;top:-${y}px;left:0"></body>`);
await p.screenshot({ path: out });
await b.close();
