import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { formatDuration, formatFixed, formatPercent, formatSignificant } from '../src/format.js';

// Python's format(value, '.Nf') for values that include exact binary ties (k/8, k/16).
const fixtures = JSON.parse(
  readFileSync(new URL('../../test/metrics/fixtures/formatting.json', import.meta.url), 'utf8'),
) as { cases: { value: number; digits: number; text: string }[] };

test('formatFixed rounds as Python does, ties to even', () => {
  assert.ok(fixtures.cases.length > 1000);
  const wrong = fixtures.cases.filter((c) => formatFixed(c.value, c.digits) !== c.text);
  assert.deepEqual(wrong.map((c) => `${c.value}/${c.digits}: ${formatFixed(c.value, c.digits)} vs ${c.text}`), []);
  assert.equal(formatFixed(0.125, 2), '0.12');
  assert.equal(formatFixed(0.375, 2), '0.38');
});

test('percent and duration', () => {
  assert.equal(formatPercent(0.5389), '53.89%');
  assert.equal(formatPercent(1, 1), '100.0%');
  assert.equal(formatDuration(4.5), '4.50 s');
  assert.equal(formatDuration(12.34), '12.3 s');
  assert.equal(formatDuration(245), '4 min 05 s');
  assert.equal(formatDuration(1800), '30 min 00 s');
  assert.equal(formatDuration(3725), '1 h 02 min');
});

test('significant digits, without trailing zeros', () => {
  assert.equal(formatSignificant(0.123456, 3), '0.123');
  assert.equal(formatSignificant(0.15, 2), '0.15');
  assert.equal(formatSignificant(2.5e-7, 2), '2.5e-7');
  assert.equal(formatSignificant(1234567, 6), '1234570');
  assert.equal(formatSignificant(NaN, 3), 'NaN');
});
