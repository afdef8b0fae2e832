import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { example } from '../../examples/library.js';
import { capturingLog, tempDir, writeStudyFolder } from '../cli/helpers.js';

test("the README's library example runs: prepare, fit, report, save and load", async () => {
  const data = tempDir();
  writeStudyFolder(data, { train: 900, test: 300, features: 16, classes: 3 });
  const out = join(tempDir(), 'model.json');
  const { value: accuracy, logged } = await capturingLog(() => example(data, out, 8));
  assert.ok(accuracy > 0.8, `separable clusters; got accuracy ${accuracy}`);
  assert.ok(existsSync(out));
  assert.ok(logged.some((l) => /macro avg/.test(l)), 'prints the classification report');
  assert.ok(logged.includes('reloaded model agrees: true'), logged.join('\n'));
});
