import { Rng } from '../tensor/rng.js';

/**
 * Split row indices into a training part and a validation part, stratified by class: each
 * class gives `fraction` of its rows to validation (rounded so the total is round(N *
 * fraction), the remainder going to the classes with the largest fractional share, but never
 * a class's last row, so every class keeps at least one training row). Which
 * rows go is drawn from a seeded generator, so a seed fixes the split. Both parts keep the
 * original row order.
 */
export function stratifiedSplit(labels: Int32Array, fraction: number, seed: number): { train: Int32Array; val: Int32Array } {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`stratifiedSplit: fraction must be in [0, 1), got ${fraction}`);
  const n = labels.length;
  let classes = 0;
  for (let i = 0; i < n; i++) if (labels[i] + 1 > classes) classes = labels[i] + 1;
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < n; i++) byClass[labels[i]].push(i);

  const target = Math.round(n * fraction);
  const take = byClass.map((rows) => Math.floor(rows.length * fraction));
  let missing = target - take.reduce((a, b) => a + b, 0);
  const order = byClass
    .map((rows, c) => ({ c, frac: rows.length * fraction - take[c] }))
    .filter(({ c }) => take[c] < byClass[c].length - 1) // rounding never takes a class's last training row
    .sort((a, b) => b.frac - a.frac || a.c - b.c);
  for (const { c } of order) {
    if (missing <= 0) break;
    take[c]++;
    missing--;
  }

  const rng = new Rng(seed);
  const isVal = new Uint8Array(n);
  byClass.forEach((rows, c) => {
    const picked = rng.shuffle(Int32Array.from(rows));
    for (let i = 0; i < take[c]; i++) isVal[picked[i]] = 1;
  });
  const nVal = take.reduce((a, b) => a + b, 0);
  const train = new Int32Array(n - nVal);
  const val = new Int32Array(nVal);
  for (let i = 0, t = 0, v = 0; i < n; i++) {
    if (isVal[i]) val[v++] = i;
    else train[t++] = i;
  }
  return { train, val };
}
