import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lnGamma, regularizedBeta, studentTwoSidedP, summarize, welchTest } from '../../src/tune/analysis/stats.js';

/** Recorded once from SciPy (make_welch.py): ttest_ind(equal_var=False), betainc, gammaln. */
const fixture = JSON.parse(readFileSync(fileURLToPath(new URL('../../../test/tune/fixtures/welch_scipy.json', import.meta.url)), 'utf8')) as {
  welch: { a: number[]; b: number[]; t: number; p: number; df: number }[];
  betainc: { x: number; a: number; b: number; value: number }[];
  lgamma: { x: number; value: number }[];
};

const close = (got: number, want: number, rel: number, what: string) =>
  assert.ok(Math.abs(got - want) <= rel * Math.max(1e-300, Math.abs(want)), `${what}: got ${got}, want ${want}`);

test('summarize: mean and sample standard deviation worked by hand', () => {
  // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sum of squares 32, sample variance 32/7.
  const s = summarize([2, 4, 4, 4, 5, 5, 7, 9]);
  assert.equal(s.n, 8);
  assert.equal(s.mean, 5);
  close(s.sd, Math.sqrt(32 / 7), 1e-15, 'sd');
  assert.deepEqual(summarize([0.3]), { n: 1, mean: 0.3, sd: 0 });
  assert.ok(Number.isNaN(summarize([]).mean));
});

test('lnGamma and the regularized incomplete beta match SciPy', () => {
  for (const c of fixture.lgamma) assert.ok(Math.abs(lnGamma(c.x) - c.value) <= 1e-13 * Math.max(1, Math.abs(c.value)), `lnGamma(${c.x})`);
  for (const c of fixture.betainc) close(regularizedBeta(c.x, c.a, c.b), c.value, 1e-11, `I_${c.x}(${c.a}, ${c.b})`);
});

test("Welch's t-test matches SciPy's ttest_ind(equal_var=False)", () => {
  for (const c of fixture.welch) {
    const r = welchTest(c.a, c.b, 0.05);
    close(r.t, c.t, 1e-12, 't');
    close(r.df, c.df, 1e-12, 'df');
    close(r.p, c.p, 1e-9, 'p');
    assert.equal(r.significant, c.p < 0.05);
  }
});

test('Welch by hand: two seeds each, t and df from the formulas', () => {
  // a = [1, 3]: mean 2, var 2; b = [0, 0.5]: mean 0.25, var 0.125. se² = 2/2 + 0.125/2 = 1.0625.
  const r = welchTest([1, 3], [0, 0.5]);
  close(r.diff, 1.75, 1e-15, 'diff');
  close(r.se, Math.sqrt(1.0625), 1e-15, 'se');
  close(r.t, 1.75 / Math.sqrt(1.0625), 1e-15, 't');
  // df = 1.0625² / (1² / 1 + 0.0625² / 1)
  close(r.df, 1.0625 ** 2 / (1 + 0.0625 ** 2), 1e-14, 'df');
  // With df = 1 the t distribution is Cauchy: P(|T| > t) = 1 - 2 atan(t) / pi.
  close(studentTwoSidedP(1.3, 1), 1 - (2 * Math.atan(1.3)) / Math.PI, 1e-12, 'Cauchy tail');
  // With df = 2: P(|T| > t) = 1 - t / sqrt(t² + 2).
  close(studentTwoSidedP(2.5, 2), 1 - 2.5 / Math.sqrt(2.5 ** 2 + 2), 1e-12, 'df 2 tail');
});

test('sub-1% differences within the run-to-run noise are not significant; clear ones are', () => {
  // The study's trap: 0.5 points apart, noise of about 1 point.
  const noisy = welchTest([0.845, 0.832, 0.851], [0.838, 0.829, 0.846]);
  assert.equal(noisy.significant, false);
  const clear = welchTest([0.505, 0.503, 0.507], [0.407, 0.41, 0.405]);
  assert.equal(clear.significant, true);
  assert.ok(clear.p < 1e-4);
});

test('one seed: the noise is unknown and nothing is significant; zero spread: any difference is', () => {
  const one = welchTest([0.9], [0.5]);
  assert.equal(one.significant, false);
  assert.ok(Number.isNaN(one.p));
  assert.equal(welchTest([0.5, 0.5], [0.4, 0.4]).significant, true);
  assert.equal(welchTest([0.5, 0.5], [0.5, 0.5]).significant, false);
});
