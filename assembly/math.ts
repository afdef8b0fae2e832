// Vector (f32x4) versions of the scalar functions in src/tensor/scalar.ts. Every function
// here works lane by lane; the kernels call them on whole vectors and, for the last 1-3
// elements of an array, on a splatted scalar, so tails use the same formulas as bodies.

@inline export function splat(x: f32): v128 {
  return f32x4.splat(x);
}

/** Lanes [0, count) set, the rest clear: a mask for the last partial vector of a row. */
@inline export function laneMask(count: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(count));
}

/** Store lanes [0, count) of v at ptr (count in 1..4). */
@inline export function storePartial(ptr: usize, v: v128, count: i32): void {
  v128.store32_lane(ptr, v, 0);
  if (count > 1) v128.store32_lane(ptr, v, 1, 4);
  if (count > 2) v128.store32_lane(ptr, v, 2, 8);
  if (count > 3) v128.store32_lane(ptr, v, 3, 12);
}

/**
 * c + a b. Built with relaxed SIMD enabled, one fused multiply-add (rounded once; on a
 * processor without FMA, relaxed_madd may round twice, as the plain form does); otherwise a
 * multiply and an add. Only the matrix products use it, where it is worth 1.2-1.3x.
 */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

@inline export function hsum(v: v128): f32 {
  const s = f32x4.add(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.add(s, i32x4.shuffle(s, s, 1, 0, 3, 2)), 0);
}

/**
 * Largest lane. pmax (one instruction, where max with NaN rules takes six) may skip a NaN
 * lane; callers use the maximum only to shift a row before exp, where a NaN in the row still
 * makes the result NaN.
 */
@inline export function hmax(v: v128): f32 {
  const s = f32x4.pmax(v, i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.pmax(s, i32x4.shuffle(s, s, 1, 0, 3, 2)), 0);
}

/**
 * e^x. x = n ln2 + r with n = round(x / ln2) and |r| <= ln2 / 2; e^r from its Taylor series
 * to r^7 (truncation below 6e-9 relative), then scaled by 2^n built in the exponent bits.
 * ln2 is split in a part with few significant bits (n * LN2_HI is exact) and the rest, so r
 * keeps full precision. Arguments below ln(2^-126) give 0 (no subnormal results); above 88
 * they are clamped (the kernels only pass x <= 0 or moderate x).
 *
 * Written for V8's code generator: pmin/pmax are one instruction each where min/max (with
 * NaN rules) take six, and rounding by adding 1.5 * 2^23 leaves n in the low mantissa bits,
 * replacing nearest + trunc_sat (six instructions) with one add and one integer subtract.
 */
@inline export function expv(x: v128): v128 {
  const LOG2E: f32 = 1.4426950408889634;
  const LN2_HI: f32 = 0.693359375;
  const LN2_LO: f32 = -2.1219444005469058e-4;
  const ROUND: f32 = 12582912.0; // 1.5 * 2^23: its ulp is 1
  // pmax/pmin return their first operand when a compare is false, so NaN passes through.
  const xc = f32x4.pmin(f32x4.pmax(x, splat(-87.0)), splat(88.0));
  const t = f32x4.add(f32x4.mul(xc, splat(LOG2E)), splat(ROUND));
  const nf = f32x4.sub(t, splat(ROUND));
  let r = f32x4.sub(xc, f32x4.mul(nf, splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(nf, splat(LN2_LO)));
  let p = f32x4.add(splat(1.0 / 720.0), f32x4.mul(r, splat(1.0 / 5040.0)));
  p = f32x4.add(splat(1.0 / 120.0), f32x4.mul(r, p));
  p = f32x4.add(splat(1.0 / 24.0), f32x4.mul(r, p));
  p = f32x4.add(splat(1.0 / 6.0), f32x4.mul(r, p));
  p = f32x4.add(splat(0.5), f32x4.mul(r, p));
  p = f32x4.add(splat(1.0), f32x4.mul(r, p));
  p = f32x4.add(splat(1.0), f32x4.mul(r, p));
  // The bits of t are those of ROUND plus n; rebias n by 127 and shift it into the exponent.
  const scale = i32x4.shl(i32x4.add(t, i32x4.splat(127 - 0x4b400000)), 23);
  const e = f32x4.mul(p, scale);
  // NaN compares false, so NaN inputs stay NaN.
  return v128.andnot(e, f32x4.lt(x, splat(-87.33654475)));
}

/**
 * e^x for the GELU kernels: expv's range reduction and limits, with e^r from its Taylor
 * series to r^6 only (truncation below 1.3e-7 relative, within float32 rounding of the
 * erfcc formula it feeds), evaluated by Estrin's scheme, whose dependency chain is half as
 * long as Horner's.
 */
@inline function exp6v(x: v128): v128 {
  const LOG2E: f32 = 1.4426950408889634;
  const LN2_HI: f32 = 0.693359375;
  const LN2_LO: f32 = -2.1219444005469058e-4;
  const ROUND: f32 = 12582912.0; // 1.5 * 2^23: its ulp is 1
  const xc = f32x4.pmin(f32x4.pmax(x, splat(-87.0)), splat(88.0));
  const t = f32x4.add(f32x4.mul(xc, splat(LOG2E)), splat(ROUND));
  const nf = f32x4.sub(t, splat(ROUND));
  let r = f32x4.sub(xc, f32x4.mul(nf, splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(nf, splat(LN2_LO)));
  // (1 + r) + r^2 (1/2 + r/6) + r^4 (1/24 + r/120 + r^2/720)
  const r2 = f32x4.mul(r, r);
  const q0 = f32x4.add(splat(1.0), r);
  const q1 = f32x4.add(splat(0.5), f32x4.mul(r, splat(1.0 / 6.0)));
  const q2 = f32x4.add(f32x4.add(splat(1.0 / 24.0), f32x4.mul(r, splat(1.0 / 120.0))), f32x4.mul(r2, splat(1.0 / 720.0)));
  const p = f32x4.add(f32x4.add(q0, f32x4.mul(r2, q1)), f32x4.mul(f32x4.mul(r2, r2), q2));
  const scale = i32x4.shl(i32x4.add(t, i32x4.splat(127 - 0x4b400000)), 23);
  return v128.andnot(f32x4.mul(p, scale), f32x4.lt(x, splat(-87.33654475)));
}

/**
 * erf from the Chebyshev-fitted complementary error function (erfcc), the same formula as
 * src/tensor/scalar.ts. Returns 1 + erf(x) rather than erf(x): for x < 0 that is r itself,
 * with no cancellation, which is what GELU needs. The degree-9 polynomial in t is evaluated
 * by Estrin's scheme (pairs, then powers t^2, t^4, t^8) for a short dependency chain.
 */
@inline function onePlusErf(x: v128): v128 {
  const z = f32x4.abs(x);
  const t = f32x4.div(splat(1.0), f32x4.add(splat(1.0), f32x4.mul(splat(0.5), z)));
  const t2 = f32x4.mul(t, t);
  const t4 = f32x4.mul(t2, t2);
  const e01 = f32x4.add(splat(1.00002368), f32x4.mul(t, splat(0.37409196)));
  const e23 = f32x4.add(splat(0.09678418), f32x4.mul(t, splat(-0.18628806)));
  const e45 = f32x4.add(splat(0.27886807), f32x4.mul(t, splat(-1.13520398)));
  const e67 = f32x4.add(splat(1.48851587), f32x4.mul(t, splat(-0.82215223)));
  const lo = f32x4.add(e01, f32x4.mul(t2, e23));
  const hi = f32x4.add(e45, f32x4.mul(t2, e67));
  const p = f32x4.add(f32x4.add(lo, f32x4.mul(t4, hi)), f32x4.mul(f32x4.mul(t4, t4), splat(0.17087277)));
  const arg = f32x4.add(f32x4.sub(splat(-1.26551223), f32x4.mul(z, z)), f32x4.mul(t, p));
  const r = f32x4.mul(t, exp6v(arg));
  // erf = 1 - r for x >= 0, r - 1 otherwise.
  return v128.bitselect(f32x4.sub(splat(2.0), r), r, f32x4.ge(x, splat(0.0)));
}

const SQRT1_2: f32 = 0.7071067811865476;
const INV_SQRT_2PI: f32 = 0.3989422804014327;
const SQRT_2_OVER_PI: f32 = 0.7978845608028654;

/** GELU, exact erf form: x/2 (1 + erf(x / sqrt 2)). */
@inline export function geluv(x: v128): v128 {
  return f32x4.mul(f32x4.mul(splat(0.5), x), onePlusErf(f32x4.mul(x, splat(SQRT1_2))));
}

/**
 * d GELU / dx = Phi(x) + x phi(x), with phi the normal density, given y = GELU(x) = x Phi(x)
 * as well: Phi = y / x spares a second erf. For tiny |x| (where y may even be subnormal) the
 * quotient loses digits; there Phi(x) = 1/2 + x / sqrt(2 pi) to within |x|^3 / 15, under
 * 1e-10 for |x| < 1e-3.
 */
@inline export function geluGradFromYv(x: v128, y: v128): v128 {
  const nearZero = f32x4.lt(f32x4.abs(x), splat(1e-3));
  const cdf = v128.bitselect(f32x4.add(splat(0.5), f32x4.mul(x, splat(INV_SQRT_2PI))), f32x4.div(y, x), nearZero);
  const pdf = f32x4.mul(splat(INV_SQRT_2PI), exp6v(f32x4.mul(splat(-0.5), f32x4.mul(x, x))));
  return f32x4.add(cdf, f32x4.mul(x, pdf));
}

/** sigmoid(x) with e = exp(-|x|): 1 / (1 + e) for x >= 0, e / (1 + e) below. */
@inline export function sigmoidv(x: v128): v128 {
  const e = expv(f32x4.neg(f32x4.abs(x)));
  const d = f32x4.div(splat(1.0), f32x4.add(splat(1.0), e));
  return v128.bitselect(d, f32x4.mul(e, d), f32x4.ge(x, splat(0.0)));
}

/**
 * tanh. Below |x| = 0.25 its Taylor series to x^9 (error under 1e-8 relative); above,
 * (1 - e) / (1 + e) with e = exp(-2|x|) <= 0.61, which cannot overflow and loses little
 * to cancellation. The sign is copied from x.
 */
@inline export function tanhv(x: v128): v128 {
  const ax = f32x4.abs(x);
  const e = expv(f32x4.mul(splat(-2.0), ax));
  const big = f32x4.div(f32x4.sub(splat(1.0), e), f32x4.add(splat(1.0), e));
  const x2 = f32x4.mul(x, x);
  let p = f32x4.add(splat(-17.0 / 315.0), f32x4.mul(x2, splat(62.0 / 2835.0)));
  p = f32x4.add(splat(2.0 / 15.0), f32x4.mul(x2, p));
  p = f32x4.add(splat(-1.0 / 3.0), f32x4.mul(x2, p));
  const small = f32x4.add(ax, f32x4.mul(f32x4.mul(ax, x2), p));
  const t = v128.bitselect(small, big, f32x4.lt(ax, splat(0.25)));
  return v128.or(t, v128.and(x, i32x4.splat(0x80000000)));
}

/**
 * GELU, tanh form: x/2 (1 + tanh u) with u = sqrt(2/pi) (x + 0.044715 x^3). Computed as
 * x sigmoid(2u), the same number, because 1 + tanh u cancels badly for negative x.
 */
@inline export function geluTanhv(x: v128): v128 {
  const x2 = f32x4.mul(x, x);
  const u = f32x4.mul(splat(SQRT_2_OVER_PI), f32x4.add(x, f32x4.mul(splat(0.044715), f32x4.mul(x2, x))));
  return f32x4.mul(x, sigmoidv(f32x4.mul(splat(2.0), u)));
}

/**
 * d/dx of the tanh-form GELU: (1 + t)/2 + x (1 - t^2) u' / 2 with t = tanh u. With
 * s = sigmoid(2u): (1 + t)/2 = s and (1 - t^2)/4 = s (1 - s) = e / (1 + e)^2, e = exp(-2|u|).
 * Beyond |x| = 12 the derivative is exactly 1 or 0 in float32 (exp(-2|u|) flushes to 0); x is
 * clamped there so that x^2 and x^3 cannot overflow into inf * 0.
 */
@inline export function geluTanhGradv(xIn: v128): v128 {
  const x = f32x4.pmin(f32x4.pmax(xIn, splat(-12.0)), splat(12.0));
  const x2 = f32x4.mul(x, x);
  const u = f32x4.mul(splat(SQRT_2_OVER_PI), f32x4.add(x, f32x4.mul(splat(0.044715), f32x4.mul(x2, x))));
  const du = f32x4.mul(splat(SQRT_2_OVER_PI), f32x4.add(splat(1.0), f32x4.mul(splat(3.0 * 0.044715), x2)));
  const e = expv(f32x4.mul(splat(-2.0), f32x4.abs(u)));
  const d = f32x4.div(splat(1.0), f32x4.add(splat(1.0), e));
  const ed = f32x4.mul(e, d);
  const s = v128.bitselect(d, ed, f32x4.ge(u, splat(0.0)));
  const s1s = f32x4.mul(ed, d);
  return f32x4.add(s, f32x4.mul(f32x4.mul(splat(2.0), x), f32x4.mul(s1s, du)));
}
