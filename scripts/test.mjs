// Runs the compiled tests with node's test runner, by tier:
//   unit  in-process tests only: no child process, server or browser (files *.test.js)
//   all   every test, the end-to-end ones too (files *.e2e.test.js start the command line,
//         PostgreSQL or Chromium)
// Node 20's runner takes no glob, so this lists the files.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tier = process.argv[2] ?? 'all';
if (tier !== 'unit' && tier !== 'all') {
  process.stderr.write(`scripts/test.mjs: tier "${tier}" is not unit or all\n`);
  process.exit(2);
}
const dir = join(root, 'dist', 'test');
if (!existsSync(dir)) {
  process.stderr.write('scripts/test.mjs: no compiled tests in dist/test; run npm run build first\n');
  process.exit(2);
}
const walk = (d) => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
const files = walk(dir)
  .filter((f) => f.endsWith('.test.js'))
  .filter((f) => tier === 'all' || !f.endsWith('.e2e.test.js'))
  .sort();
const env = { ...process.env };
// The unit tier never talks to a database server, even where one is configured.
if (tier === 'unit') for (const k of Object.keys(env)) if (k.startsWith('MLPLAB_TEST_PG')) delete env[k];
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...files], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
