/**
 * Telling signal from noise: summaries of repeated runs and Welch's t-test.
 *
 * A configuration's runs differ only by seed (initial weights, dropout masks, batch order),
 * so their spread is the run-to-run noise. Two configurations differ significantly at level
 * alpha when Welch's two-sided t-test on their per-seed values gives p < alpha; Welch's test
 * does not assume equal variances, which suits configurations as different as 1 and 3 layers.
 */

/** Mean, sample standard deviation (n - 1) and count of some values. */
export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation; 0 for a single value. */
  sd: number;
}

export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  if (n === 0) return { n: 0, mean: NaN, sd: NaN };
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return { n, mean, sd: n > 1 ? Math.sqrt(ss / (n - 1)) : 0 };
}

/** Result of comparing a sample `a` against a reference sample `b`. */
export interface Comparison {
  /** mean(a) - mean(b). */
  diff: number;
  /** Standard error of the difference, sqrt(sa²/na + sb²/nb). */
  se: number;
  t: number;
  /** Welch-Satterthwaite degrees of freedom. */
  df: number;
  /** Two-sided p-value; NaN when either side has fewer than 2 values. */
  p: number;
  significant: boolean;
}

/**
 * Welch's t-test of mean(a) vs mean(b), two-sided at level `alpha`. With fewer than two values
 * on a side the noise is unknown and nothing is called significant. When both sides have zero
 * spread, any difference is significant (the runs are exactly repeatable).
 */
export function welchTest(a: readonly number[], b: readonly number[], alpha = 0.05): Comparison {
  const sa = summarize(a), sb = summarize(b);
  const diff = sa.mean - sb.mean;
  if (sa.n < 2 || sb.n < 2) return { diff, se: NaN, t: NaN, df: NaN, p: NaN, significant: false };
  const va = (sa.sd * sa.sd) / sa.n, vb = (sb.sd * sb.sd) / sb.n;
  const se = Math.sqrt(va + vb);
  if (se === 0) {
    const p = diff === 0 ? 1 : 0;
    return { diff, se, t: diff === 0 ? 0 : Math.sign(diff) * Infinity, df: sa.n + sb.n - 2, p, significant: p < alpha };
  }
  const t = diff / se;
  // Welch-Satterthwaite: df = (va + vb)^2 / (va^2/(na-1) + vb^2/(nb-1)).
  const df = (va + vb) ** 2 / (va * va / (sa.n - 1) + vb * vb / (sb.n - 1));
  const p = studentTwoSidedP(t, df);
  return { diff, se, t, df, p, significant: p < alpha };
}

/** P(|T| >= |t|) for Student's t with `df` degrees of freedom: I_{df/(df+t²)}(df/2, 1/2). */
export function studentTwoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return 0;
  return regularizedBeta(df / (df + t * t), df / 2, 0.5);
}

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms; ~15 digits). */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * The regularized incomplete beta function I_x(a, b), by its continued fraction evaluated
 * with the modified Lentz method; for x beyond the mean (a+1)/(a+b+2) the symmetry
 * I_x(a, b) = 1 - I_{1-x}(b, a) keeps the fraction in its fast-converging range.
 */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  if (x > (a + 1) / (a + b + 2)) return 1 - (Math.exp(lnFront) * betaFraction(1 - x, b, a)) / b;
  return (Math.exp(lnFront) * betaFraction(x, a, b)) / a;
}

function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    // Even step: d_{2m} = m(b-m)x / ((a+2m-1)(a+2m)).
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    // Odd step: d_{2m+1} = -(a+m)(a+b+m)x / ((a+2m)(a+2m+1)).
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}
