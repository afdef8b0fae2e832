/**
 * Which parameters mattered in a random or model-based search: for each parameter alone, the
 * share of the variance of the metric explained by grouping the trials by that parameter
 * (its choices, or four equal-count bins of a range in its internal coordinate, log for log
 * ranges): the correlation ratio eta^2 = between-group variance / total variance. The shares
 * are then normalised to sum to 1. A simple, documented stand-in for fANOVA: it sees each
 * parameter's main effect and not their interactions.
 */
import { toInternal, type Param } from './space.js';

export interface Importance {
  path: string;
  name: string;
  /** eta^2 of this parameter alone, in [0, 1]. */
  eta2: number;
  /** eta^2 normalised over the parameters (sums to 1 when any is above 0). */
  share: number;
}

/** Bins of a range parameter. */
const BINS = 4;

/** Importance of each parameter over finished trials (`params` by path, `value` the metric). */
export function parameterImportance(space: Param[], trials: { params: Record<string, unknown>; value: number }[]): Importance[] {
  const ok = trials.filter((t) => Number.isFinite(t.value));
  const values = ok.map((t) => t.value);
  const mean = values.reduce((s, v) => s + v, 0) / Math.max(1, values.length);
  const total = values.reduce((s, v) => s + (v - mean) ** 2, 0);
  const eta = space.map((p) => {
    if (ok.length < 2 || total === 0) return 0;
    const groups = new Map<string, number[]>();
    const key = groupKey(p, ok.map((t) => t.params[p.path]));
    ok.forEach((t, i) => {
      const g = groups.get(key[i]) ?? [];
      g.push(t.value);
      groups.set(key[i], g);
    });
    let between = 0;
    for (const g of groups.values()) {
      const m = g.reduce((s, v) => s + v, 0) / g.length;
      between += g.length * (m - mean) ** 2;
    }
    return between / total;
  });
  const sum = eta.reduce((s, x) => s + x, 0);
  return space.map((p, i) => ({ path: p.path, name: p.name, eta2: eta[i], share: sum > 0 ? eta[i] / sum : 0 })).sort((a, b) => b.eta2 - a.eta2);
}

/** The group of each value: the choice itself, or its quartile bin of the range. */
function groupKey(p: Param, values: unknown[]): string[] {
  if (p.kind === 'choice') return values.map((v) => JSON.stringify(v));
  const x = values.map((v) => toInternal(p, v as number));
  const sorted = [...x].sort((a, b) => a - b);
  const cuts = Array.from({ length: BINS - 1 }, (_, i) => sorted[Math.floor(((i + 1) * sorted.length) / BINS)]);
  return x.map((v) => String(cuts.filter((c) => v >= c).length));
}
