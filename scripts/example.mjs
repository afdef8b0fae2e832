// `npm run example -- NAME [ARGS]`: runs examples/NAME.ts, compiled to dist/examples/ by the build.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const names = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
const [name, ...args] = process.argv.slice(2);
if (!name || !names.includes(name)) {
  process.stderr.write(`npm run example -- NAME: NAME is one of ${names.join(', ')}${name ? `, not "${name}"` : ''}\n`);
  process.exit(2);
}
const file = join(root, 'dist', 'examples', `${name}.js`);
if (!existsSync(file)) {
  process.stderr.write(`${file} is missing: run npm run build first (npm ci does)\n`);
  process.exit(2);
}
const r = spawnSync(process.execPath, [file, ...args], { stdio: 'inherit' });
process.exit(r.status ?? 1);
