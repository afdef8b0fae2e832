import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeNpy } from '../../src/data/formats/npy.js';
import { Rng } from '../../src/tensor/rng.js';

export const BIN = fileURLToPath(new URL('../../../bin/mlplab', import.meta.url));
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run the real command line in a child process, as a user would. */
export function mlplab(args: string[], cwd = ROOT): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function tempDir(prefix = 'mlplab-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A small folder in the study's layout: Gaussian clusters, one per class, with the labels as
 * an (N, 1) column like the study's files.
 */
export function writeStudyFolder(dir: string, opts: { train?: number; test?: number; features?: number; classes?: number; seed?: number } = {}): void {
  const { train = 600, test = 200, features = 12, classes = 3, seed = 1 } = opts;
  const rng = new Rng(seed);
  const centers = Array.from({ length: classes }, () => Array.from({ length: features }, () => 2 * rng.normal()));
  const make = (rows: number) => {
    const x = new Float32Array(rows * features);
    const y = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      y[r] = r % classes;
      for (let c = 0; c < features; c++) x[r * features + c] = centers[y[r]][c] + rng.normal();
    }
    return { x, y };
  };
  const tr = make(train), te = make(test);
  writeFileSync(join(dir, 'train_data.npy'), writeNpy(tr.x, [train, features]));
  writeFileSync(join(dir, 'train_label.npy'), writeNpy(tr.y, [train, 1]));
  writeFileSync(join(dir, 'test_data.npy'), writeNpy(te.x, [test, features]));
  writeFileSync(join(dir, 'test_label.npy'), writeNpy(te.y, [test, 1]));
}

/** Run `f` with console.log captured; returns its result and the lines it logged. */
export async function capturingLog<T>(f: () => Promise<T>): Promise<{ value: T; logged: string[] }> {
  const logged: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void logged.push(args.join(' '));
  try {
    return { value: await f(), logged };
  } finally {
    console.log = log;
  }
}
