/**
 * Run in a child process by bombs.e2e.test.ts: load one source, from disk (`disk`) or through the
 * page's in-memory files (`memory`), and print what happened and the peak memory as JSON.
 * Without arguments (the test runner loads every file under test/) it does nothing.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadSource } from '../../src/data/files.js';
import { memoryFiles, resolveSource } from '../../src/data/source.js';
import { MlplabError } from '../../src/errors.js';

const [mode, source] = process.argv.slice(2);

function filesUnder(path: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  if (statSync(path).isDirectory()) for (const name of readdirSync(path)) out.set(`${path}/${name}`, new Uint8Array(readFileSync(join(path, name))));
  else out.set(path, new Uint8Array(readFileSync(path)));
  return out;
}

async function run(): Promise<Record<string, unknown>> {
  try {
    const data = mode === 'memory' ? await resolveSource(source, memoryFiles(filesUnder(source))) : await loadSource(source);
    return { ok: true, rows: data.train.rows, cols: data.train.cols };
  } catch (e) {
    if (!(e instanceof MlplabError)) throw e;
    return { ok: false, name: e.name, message: e.message };
  }
}

if (source !== undefined) {
  const result = await run();
  result.maxRssBytes = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify(result));
}
