import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError } from '../../src/errors.js';

/** The committed fixtures (recorded once with numpy and scikit-learn; see make_fixtures.py). */
export const FIXTURES = fileURLToPath(new URL('../../../test/data/fixtures/', import.meta.url));

export function fixture(...parts: string[]): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, ...parts)));
}

export function fixtureJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(join(FIXTURES, ...parts), 'utf8')) as T;
}

/** A fresh temporary folder, removed by the returned function. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mlplab-data-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Assert that `fn` throws a DataError naming `file` whose problem matches `problem`. */
export function throwsDataError(fn: () => unknown, file: string, problem: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DataError, `expected a DataError, got ${String(e)}`);
    assert.equal(e.file, file);
    assert.match(e.problem, problem);
    return true;
  });
}

/** The async form of throwsDataError; `file` may be a RegExp for paths built at run time. */
export async function rejectsDataError(p: Promise<unknown>, file: string | RegExp, problem: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof DataError, `expected a DataError, got ${String(e)}`);
    if (typeof file === 'string') assert.equal(e.file, file);
    else assert.match(e.file, file);
    assert.match(e.problem, problem);
    return true;
  });
}
