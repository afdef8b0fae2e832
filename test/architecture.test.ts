/**
 * The layout's rules, checked on the TypeScript sources: every import points down the floors
 * (a lower floor never imports a higher one, not even for a type), no file takes part in an
 * import cycle, the browser entries run in a browser (nothing they reach imports Node), the
 * playground imports the library through public entries only, and the house stays small
 * enough to hold in one's head (folders, files, the main entry's names, one schema).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SRC = join(ROOT, 'src');

/** Floors from the bottom up; a file may import its own floor or any floor below. */
const FLOORS: string[][] = [
  ['errors.ts', 'validate.ts', 'format.ts', 'io'],
  ['tensor'],
  ['nn'],
  ['optim'],
  ['data'],
  ['metrics'],
  ['train'],
  ['report'],
  ['run'],
  ['export'],
  ['tune'],
  ['cli'],
  ['index.ts', 'node.ts', 'infer.ts'],
];

/** The public entries: the package's exports map, as source files. */
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { default: string }> };
const ENTRIES = new Map(Object.entries(PACKAGE.exports).map(([sub, e]) => [sub, join(ROOT, e.default.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts'))]));
/** Entries that must run in a browser: all but the Node ones. */
const BROWSER_ENTRIES = [...ENTRIES].filter(([sub]) => sub !== './node' && sub !== './tune');

/** Packages that exist only in Node: the browser entry must not reach them. */
const NODE_ONLY_PACKAGES = ['@resvg/resvg-js', 'better-sqlite3', 'cli-progress', 'commander', 'pg'];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') && !name.endsWith('.generated.ts') ? [path] : [];
  });
}

/** Every module specifier a file imports or re-exports, type-only ones included. */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^;'"]*?from\s*['"]([^'"]+)['"]/gm)) out.push(m[1]);
  for (const m of text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)) out.push(m[1]);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]);
  return out;
}

/** The source file a relative specifier names (`./x.js` is written for `./x.ts`). */
function target(from: string, spec: string): string {
  return normalize(join(dirname(from), spec.replace(/\.js$/, '.ts')));
}

const files = tsFiles(SRC);
const graph = new Map(files.map((f) => [f, specifiers(f)]));

function floorOf(file: string): number {
  const first = relative(SRC, file).split('/')[0];
  const i = FLOORS.findIndex((names) => names.includes(first));
  assert.notEqual(i, -1, `${relative(ROOT, file)} is on no floor; add its folder to FLOORS`);
  return i;
}

test('every import in src/ points to the same floor or one below', () => {
  const upward: string[] = [];
  for (const [file, specs] of graph) {
    for (const spec of specs.filter((s) => s.startsWith('.'))) {
      const to = target(file, spec);
      if (floorOf(to) > floorOf(file)) upward.push(`${relative(SRC, file)} -> ${relative(SRC, to)}`);
    }
  }
  assert.deepEqual(upward, []);
});

test('src/ has no import cycle', () => {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(' -> '));
      return;
    }
    state.set(file, 'open');
    for (const spec of graph.get(file) ?? []) if (spec.startsWith('.')) visit(target(file, spec), [...path, file]);
    state.set(file, 'done');
  };
  for (const f of files) visit(f, []);
  assert.deepEqual(cycles, []);
});

for (const [sub, entry] of BROWSER_ENTRIES) {
  test(`the entry ${sub === '.' ? 'mlplab' : `mlplab/${sub.slice(2)}`} runs in a browser: nothing it reaches imports Node or a Node-only package`, () => {
    const seen = new Set<string>();
    const offending: string[] = [];
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of graph.get(file) ?? []) {
        if (spec.startsWith('.')) walk(target(file, spec));
        else if (spec.startsWith('node:') || NODE_ONLY_PACKAGES.some((p) => spec === p || spec.startsWith(`${p}/`))) {
          offending.push(`${relative(SRC, file)} imports ${spec}`);
        }
      }
    };
    assert.ok(graph.has(entry), `${relative(ROOT, entry)} exists`);
    walk(entry);
    assert.deepEqual(offending, []);
  });
}

test('the playground imports the library through public entries only', () => {
  const web = join(ROOT, 'web', 'src');
  const deep: string[] = [];
  for (const file of tsFiles(web)) {
    for (const spec of specifiers(file)) {
      const to = spec.startsWith('.') ? target(file, spec) : '';
      if (to.startsWith(SRC + '/') && ![...ENTRIES.values()].includes(to)) {
        deep.push(`${relative(ROOT, file)} imports ${spec}`);
      }
    }
  }
  assert.deepEqual(deep, []);
});

test('no folder of src/ or web/src holds more than 15 source files, and no source file is over 450 lines', () => {
  const web = tsFiles(join(ROOT, 'web', 'src'));
  const perFolder = new Map<string, number>();
  for (const f of [...files, ...web]) perFolder.set(dirname(f), (perFolder.get(dirname(f)) ?? 0) + 1);
  const crowded = [...perFolder].filter(([, n]) => n > 15).map(([d, n]) => `${relative(ROOT, d)}: ${n} files`);
  assert.deepEqual(crowded, []);
  const long = [...files, ...web]
    .map((f) => [f, readFileSync(f, 'utf8').split('\n').length - 1] as const)
    .filter(([, n]) => n > 450)
    .map(([f, n]) => `${relative(ROOT, f)}: ${n} lines`);
  assert.deepEqual(long, []);
});

test('the main entry holds at most 60 runtime names; the rest are in subpaths', async () => {
  const main = await import('../src/index.js');
  const names = Object.keys(main);
  assert.ok(names.length >= 20 && names.length <= 60, `mlplab exports ${names.length} runtime names: ${names.join(', ')}`);
  for (const [sub, entry] of ENTRIES) {
    if (sub === '.') continue;
    const compiled = entry.replace(SRC, join(ROOT, 'dist', 'src')).replace(/\.ts$/, '.js');
    const mod = (await import(compiled)) as Record<string, unknown>;
    assert.ok(Object.keys(mod).length > 0, `${sub} exports something`);
  }
});

test('the study tables are created in one file', () => {
  const creating = files.filter((f) => /CREATE TABLE/i.test(readFileSync(f, 'utf8'))).map((f) => relative(SRC, f));
  assert.equal(creating.length, 1, `CREATE TABLE appears in ${creating.join(', ')}`);
});
