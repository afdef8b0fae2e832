/**
 * Eigen-decomposition of a real symmetric matrix, in float64: Householder reduction to
 * tridiagonal form, then the QL algorithm with implicit shifts. O(n^3); `symmetricEigenTop`
 * skips most of the eigenvector work when only the leading few are wanted.
 */

export interface SymmetricEigen {
  /** Eigenvalues, largest first. */
  values: Float64Array;
  /** Eigenvectors as rows (row i belongs to values[i]), unit length, largest-|entry| positive. */
  vectors: Float64Array;
}

/** Eigenvalues and eigenvectors of the symmetric n x n row-major matrix `a` (not modified). */
export function symmetricEigen(a: Float64Array, n: number): SymmetricEigen {
  if (a.length !== n * n) throw new RangeError(`symmetricEigen: ${a.length} values for a ${n} x ${n} matrix`);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const q = tridiagonalize(Float64Array.from(a), n, d, e);
  ql(d, e, q, n);
  return sortAndSign(d, q, n);
}

/**
 * Reduce A to tridiagonal T = Q^T A Q by Householder reflections H = I - beta v v^T, each
 * zeroing one column below the subdiagonal. Writes diag(T) to d and the superdiagonal to
 * e (e[i] couples i and i+1). Returns Q^T, row-major: its rows are the columns of Q.
 */
function tridiagonalize(A: Float64Array, n: number, d: Float64Array, e: Float64Array): Float64Array {
  const reflectors = reduce(A, n, d, e);
  return accumulate(A, n, reflectors);
}

interface Reflector { v: Float64Array; beta: number }

/** The Householder reduction itself; returns the reflectors (undefined where a column needed none). A is overwritten. */
function reduce(A: Float64Array, n: number, d: Float64Array, e: Float64Array): (Reflector | undefined)[] {
  const reflectors: (Reflector | undefined)[] = [];
  const p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    const m = n - k - 1; // length of the column part being reflected
    const o = k + 1; // first row/column of the trailing block
    const x0 = A[o * n + k];
    let tail = 0;
    for (let i = 1; i < m; i++) {
      const x = A[(o + i) * n + k];
      tail += x * x;
    }
    if (tail === 0) {
      e[k] = x0; // already tridiagonal in this column
      continue;
    }
    const norm = Math.sqrt(x0 * x0 + tail);
    // alpha takes the sign opposite to x0 so that v0 = x0 - alpha does not cancel.
    const alpha = x0 > 0 ? -norm : norm;
    const v = new Float64Array(m);
    v[0] = x0 - alpha;
    for (let i = 1; i < m; i++) v[i] = A[(o + i) * n + k];
    const beta = 2 / (v[0] * v[0] + tail);
    // p = beta A' v; then A' -= v q^T + q v^T with q = p - (beta/2)(v.p) v. Only the lower
    // triangle of A' is read and updated: each stored A'[i][j] (j < i) serves row i and,
    // as A'[j][i], row j. Half the memory traffic of using the full block.
    p.fill(0, 0, m);
    for (let i = 0; i < m; i++) {
      const row = (o + i) * n + o;
      const vi = v[i];
      let s = 0;
      for (let j = 0; j < i; j++) {
        const a = A[row + j];
        s += a * v[j];
        p[j] += a * vi;
      }
      p[i] += s + A[row + i] * vi;
    }
    let vp = 0;
    for (let i = 0; i < m; i++) {
      p[i] *= beta;
      vp += v[i] * p[i];
    }
    const K = 0.5 * beta * vp;
    for (let i = 0; i < m; i++) p[i] -= K * v[i];
    for (let i = 0; i < m; i++) {
      const row = (o + i) * n + o;
      const vi = v[i], qi = p[i];
      for (let j = 0; j <= i; j++) A[row + j] -= vi * p[j] + qi * v[j];
    }
    e[k] = alpha;
    reflectors[k] = { v, beta };
  }
  if (n >= 2) e[n - 2] = A[(n - 1) * n + n - 2];
  e[n - 1] = 0;
  for (let i = 0; i < n; i++) d[i] = A[i * n + i];
  return reflectors;
}

/** Q^T from the reflectors, built in `work` (n x n scratch) and returned transposed. */
function accumulate(work: Float64Array, n: number, reflectors: (Reflector | undefined)[]): Float64Array {
  const p = new Float64Array(n);
  // Q = H_0 H_1 ... H_{n-3}, accumulated from the right end: H_k only touches the trailing
  // block from row/column k+1 on, and the product so far is the identity outside it.
  const q = work;
  q.fill(0);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  const w = p;
  for (let k = n - 3; k >= 0; k--) {
    const h = reflectors[k];
    if (h === undefined) continue;
    const { v, beta } = h;
    const o = k + 1, m = n - o;
    w.fill(0, 0, m);
    for (let i = 0; i < m; i++) {
      const vi = v[i], row = (o + i) * n + o;
      for (let j = 0; j < m; j++) w[j] += vi * q[row + j];
    }
    for (let i = 0; i < m; i++) {
      const f = beta * v[i], row = (o + i) * n + o;
      for (let j = 0; j < m; j++) q[row + j] -= f * w[j];
    }
  }
  const qt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) qt[j * n + i] = q[i * n + j];
  return qt;
}

function pythag(a: number, b: number): number {
  const x = Math.abs(a), y = Math.abs(b);
  if (x > y) {
    const t = y / x;
    return x * Math.sqrt(1 + t * t);
  }
  if (y === 0) return 0;
  const t = x / y;
  return y * Math.sqrt(1 + t * t);
}

/**
 * Diagonalise the tridiagonal (d, e) by QL sweeps with Wilkinson-style implicit shifts,
 * applying every plane rotation to rows i, i+1 of z (which starts as Q^T).
 */
function ql(d: Float64Array, e: Float64Array, z: Float64Array | null, n: number): void {
  const EPS = 2 ** -52;
  for (let l = 0; l < n; l++) {
    for (let iter = 0; ; iter++) {
      let m = l;
      while (m < n - 1 && Math.abs(e[m]) > EPS * (Math.abs(d[m]) + Math.abs(d[m + 1]))) m++;
      if (m === l) break;
      if (iter === 100) throw new Error(`symmetricEigen: no convergence for eigenvalue ${l}`);
      // Shift from the leading 2x2 block, folded into the first rotation.
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = pythag(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1, c = 1, p = 0;
      let deflated = false;
      for (let i = m - 1; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = pythag(f, g);
        e[i + 1] = r;
        if (r === 0) {
          // The off-diagonal underflowed: the matrix split; start this eigenvalue again.
          d[i + 1] -= p;
          e[m] = 0;
          deflated = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        if (z === null) continue;
        const ri = i * n, rj = ri + n;
        for (let k = 0; k < n; k++) {
          const zi = z[ri + k], zj = z[rj + k];
          z[rj + k] = s * zi + c * zj;
          z[ri + k] = c * zi - s * zj;
        }
      }
      if (deflated) continue;
      d[l] -= p;
      e[l] = g;
      e[m] = 0;
    }
  }
}

function sortAndSign(d: Float64Array, z: Float64Array, n: number): SymmetricEigen {
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[j] - d[i]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = d[src];
    const row = z.subarray(src * n, src * n + n);
    let big = 0;
    for (let k = 1; k < n; k++) if (Math.abs(row[k]) > Math.abs(row[big])) big = k;
    const sign = row[big] < 0 ? -1 : 1;
    for (let k = 0; k < n; k++) vectors[dst * n + k] = sign * row[k];
  });
  return { values, vectors };
}

/**
 * The k largest eigenpairs of the symmetric n x n matrix `a`, and all n eigenvalues. Cheaper
 * than `symmetricEigen` when k is well below n: after the Householder reduction, eigenvalues
 * come from QL without vectors (O(n^2)), each wanted eigenvector of the tridiagonal matrix from
 * inverse iteration (O(n) per solve, re-orthogonalised within clusters of close eigenvalues,
 * as LAPACK's dstein does), and the reflectors carry it back (O(n^2) per vector).
 */
export function symmetricEigenTop(a: Float64Array, n: number, k: number): SymmetricEigen {
  if (a.length !== n * n) throw new RangeError(`symmetricEigenTop: ${a.length} values for a ${n} x ${n} matrix`);
  if (!(Number.isInteger(k) && k >= 1 && k <= n)) throw new RangeError(`symmetricEigenTop: k must be in 1..${n}, got ${k}`);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const reflectors = reduce(Float64Array.from(a), n, d, e);
  const lambda = Float64Array.from(d);
  const off = Float64Array.from(e);
  ql(lambda, off, null, n);
  lambda.sort().reverse();

  // Scale of T for tolerances: its 1-norm.
  let norm = 0;
  for (let i = 0; i < n; i++) norm = Math.max(norm, Math.abs(d[i]) + Math.abs(i > 0 ? e[i - 1] : 0) + Math.abs(e[i]));
  if (norm === 0) norm = 1;
  const EPS = 2 ** -52;
  const separate = 10 * EPS * norm; // shifts of a cluster are pushed at least this far apart
  const clusterGap = 1e-3 * norm;

  const vectors = new Float64Array(k * n);
  const solver = new ShiftedTridiagonal(d, e, n, EPS * norm);
  const x = new Float64Array(n);
  let clusterStart = 0;
  let prevShift = Infinity;
  for (let i = 0; i < k; i++) {
    if (i > 0 && lambda[i - 1] - lambda[i] > clusterGap) clusterStart = i;
    const shift = Math.min(lambda[i], prevShift - separate);
    prevShift = shift;
    solver.factor(shift);
    // A fixed, irregular start, different for each vector, so equal shifts still diverge.
    for (let j = 0; j < n; j++) x[j] = 1 + 0.5 * Math.sin(1.7 * j + 2.3 * i);
    for (let iter = 0; iter < 4; iter++) {
      solver.solve(x);
      for (let c = clusterStart; c < i; c++) {
        const y = vectors.subarray(c * n, c * n + n);
        let dot = 0;
        for (let j = 0; j < n; j++) dot += x[j] * y[j];
        for (let j = 0; j < n; j++) x[j] -= dot * y[j];
      }
      let ss = 0;
      for (let j = 0; j < n; j++) ss += x[j] * x[j];
      const inv = 1 / Math.sqrt(ss);
      for (let j = 0; j < n; j++) x[j] *= inv;
    }
    // These are eigenvectors of T in the tridiagonal basis for now; back-transform below.
    vectors.set(x, i * n);
  }
  for (let i = 0; i < k; i++) applyQ(vectors.subarray(i * n, i * n + n), reflectors, n);
  for (let i = 0; i < k; i++) fixSign(vectors.subarray(i * n, i * n + n));
  return { values: lambda, vectors };
}

/** y <- Q y = H_0 H_1 ... H_{n-3} y. */
function applyQ(y: Float64Array, reflectors: (Reflector | undefined)[], n: number): void {
  for (let k = n - 3; k >= 0; k--) {
    const h = reflectors[k];
    if (h === undefined) continue;
    const o = k + 1, m = n - o, v = h.v;
    let dot = 0;
    for (let i = 0; i < m; i++) dot += v[i] * y[o + i];
    const f = h.beta * dot;
    for (let i = 0; i < m; i++) y[o + i] -= f * v[i];
  }
}

function fixSign(row: Float64Array): void {
  let big = 0;
  for (let j = 1; j < row.length; j++) if (Math.abs(row[j]) > Math.abs(row[big])) big = j;
  if (row[big] < 0) for (let j = 0; j < row.length; j++) row[j] = -row[j];
}

/**
 * LU factorisation with partial pivoting of T - shift I, T tridiagonal (diagonal d, off-diagonal
 * e), for inverse iteration. Row swaps give U a second superdiagonal. A zero pivot is replaced
 * by `tiny`, which is what makes (T - lambda I) x = b usable at an eigenvalue.
 */
class ShiftedTridiagonal {
  private readonly u0: Float64Array;
  private readonly u1: Float64Array;
  private readonly u2: Float64Array;
  private readonly mult: Float64Array;
  private readonly swap: Uint8Array;

  constructor(private readonly d: Float64Array, private readonly e: Float64Array, private readonly n: number, private readonly tiny: number) {
    this.u0 = new Float64Array(n);
    this.u1 = new Float64Array(n);
    this.u2 = new Float64Array(n);
    this.mult = new Float64Array(n);
    this.swap = new Uint8Array(n);
  }

  factor(shift: number): void {
    const { d, e, n, tiny, u0, u1, u2, mult, swap } = this;
    // The row being eliminated holds a, b, c in columns i, i+1, i+2.
    let a = d[0] - shift, b = n > 1 ? e[0] : 0, c = 0;
    for (let i = 0; i < n - 1; i++) {
      const lo = e[i], nd = d[i + 1] - shift, nu = i + 2 < n ? e[i + 1] : 0;
      if (Math.abs(a) >= Math.abs(lo)) {
        if (a === 0) a = tiny;
        const m = lo / a;
        u0[i] = a; u1[i] = b; u2[i] = c;
        mult[i] = m; swap[i] = 0;
        a = nd - m * b; b = nu - m * c; c = 0;
      } else {
        const m = a / lo;
        u0[i] = lo; u1[i] = nd; u2[i] = nu;
        mult[i] = m; swap[i] = 1;
        a = b - m * nd; b = c - m * nu; c = 0;
      }
    }
    u0[n - 1] = a === 0 ? tiny : a;
  }

  /** x <- (T - shift I)^-1 x. */
  solve(x: Float64Array): void {
    const { n, u0, u1, u2, mult, swap } = this;
    for (let i = 0; i < n - 1; i++) {
      if (swap[i]) {
        const t = x[i];
        x[i] = x[i + 1];
        x[i + 1] = t;
      }
      x[i + 1] -= mult[i] * x[i];
    }
    x[n - 1] /= u0[n - 1];
    if (n > 1) x[n - 2] = (x[n - 2] - u1[n - 2] * x[n - 1]) / u0[n - 2];
    for (let i = n - 3; i >= 0; i--) x[i] = (x[i] - u1[i] * x[i + 1] - u2[i] * x[i + 2]) / u0[i];
    // Rescale to avoid overflow: near an eigenvalue the solution grows by 1 / tiny.
    let big = 0;
    for (let i = 0; i < n; i++) big = Math.max(big, Math.abs(x[i]));
    if (big > 0 && Number.isFinite(big)) for (let i = 0; i < n; i++) x[i] /= big;
  }
}
