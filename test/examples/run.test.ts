import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { example } from '../../examples/run.js';
import { capturingLog, tempDir, writeStudyFolder } from '../cli/helpers.js';

test("the README's run example runs: one experiment, written as a run folder", async () => {
  const data = tempDir();
  writeStudyFolder(data, { train: 900, test: 300, features: 16, classes: 3 });
  const out = join(tempDir(), 'run');
  const { value: accuracy, logged } = await capturingLog(() => example(data, out, 8));
  assert.ok(accuracy > 0.8, `separable clusters; got accuracy ${accuracy}`);
  for (const f of ['model.json', 'history.json', 'metrics.json', 'report.html']) assert.ok(existsSync(join(out, f)), f);
  assert.equal(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).testAccuracy, accuracy);
  assert.match(logged.join('\n'), /test accuracy \d+\.\d\d%/);
});
