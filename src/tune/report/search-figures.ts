/**
 * A search's figures as data, built once for report.html and the dashboard alike: the
 * parameters a study varies (a space's ranges and choices, or a grid's or a random search's
 * factors as lists of choices), each finished trial's values, the slices per parameter, the
 * parallel coordinates and the importance of each parameter. Both pages draw these objects
 * with the same chart functions (src/report/charts/study.ts).
 */
import type { ParallelAxis, ParallelData, ParallelLine } from '../../report/charts/study.js';
import { formatCount } from '../../format.js';
import { fmtMetric } from '../analysis/table1.js';
import { parameterImportance, type Importance } from '../search/importance.js';
import { formatParamValue, internalBounds, toInternal, type Param } from '../search/space.js';
import { isFraction, metricDirection, type ResolvedStudy, type StudyMetric } from '../study/config.js';

/** A finished trial of a search: its number, its metric and its parameters' values by option path. */
export interface SearchedTrial {
  number: number;
  value: number;
  params: Record<string, unknown>;
}

/** The parameters a study varies as a search: its space, or its factors as lists of choices (grid, random over factors); none for one-at-a-time. */
export function studyParams(study: Pick<ResolvedStudy, 'space' | 'factors' | 'strategy'>): Param[] {
  if (study.space.length > 0) return study.space;
  if (study.strategy.type === 'one-at-a-time') return [];
  return study.factors.map((f) => ({ kind: 'choice', path: f.path, name: f.name, choices: f.values }));
}

/** A trial's values by option path: a space's sampled values, or each factor's value at the trial's levels; null when it has none. */
export function trialParams(study: Pick<ResolvedStudy, 'space' | 'factors'>, t: { params?: Record<string, unknown> | null; levels?: (number | null)[] }): Record<string, unknown> | null {
  if (t.params) return t.params;
  const levels = t.levels ?? [];
  if (study.space.length > 0 || study.factors.length === 0 || levels.length !== study.factors.length) return null;
  const out: Record<string, unknown> = {};
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i];
    if (l === null || !(l >= 0 && l < study.factors[i].values.length)) return null;
    out[study.factors[i].path] = study.factors[i].values[l];
  }
  return out;
}

/** The importance of each parameter over the finished trials (eta², see search/importance.ts), as both pages show it. */
export function searchImportance(params: Param[], trials: SearchedTrial[]): Importance[] {
  return parameterImportance(params, trials.map((t) => ({ params: t.params, value: t.value })));
}

/** The slice panels of sliceCharts: every finished trial's metric against each parameter's value. */
export function slicePanels(params: Param[], trials: SearchedTrial[]) {
  return params.map((p) => ({
    name: p.name,
    log: p.kind === 'range' && p.log,
    categorical: p.kind === 'choice',
    int: p.kind === 'range' && p.int,
    points: trials.map((t) => {
      const v = t.params[p.path];
      return { x: p.kind === 'choice' ? formatParamValue(p, v) : (v as number), value: t.value };
    }),
  }));
}

/** Most trials the parallel coordinates draw: beyond it, lines only hide each other and the page slows down. */
export const PARALLEL_LIMIT = 1000;

/** Where a value sits on a parameter's axis, 0 to 1: a range in its sampling coordinate (log10 for a log range), a choice at its slot; null when it is not one. */
function position(p: Param, v: unknown): number | null {
  if (p.kind === 'choice') {
    const key = JSON.stringify(v);
    const i = p.choices.findIndex((c) => JSON.stringify(c) === key);
    return i < 0 ? null : (i + 0.5) / p.choices.length;
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || (p.log && v <= 0)) return null;
  const { a, b } = internalBounds(p);
  return Math.min(1, Math.max(0, (toInternal(p, v) - a) / (b - a)));
}

/** The labels along a parameter's axis: every choice (the first and last of a long list), or a range's ends and middle (its decades when log). */
function ticks(p: Param): ParallelAxis['ticks'] {
  if (p.kind === 'choice') {
    const idx = p.choices.length <= 12 ? p.choices.map((_, i) => i) : [0, p.choices.length - 1];
    return idx.map((i) => ({ at: (i + 0.5) / p.choices.length, text: formatParamValue(p, p.choices[i]) }));
  }
  let values = [p.low, p.log ? Math.sqrt(p.low * p.high) : (p.low + p.high) / 2, p.high];
  if (p.log) {
    const decades: number[] = [];
    for (let e = Math.ceil(Math.log10(p.low)); e <= Math.floor(Math.log10(p.high)); e++) decades.push(10 ** e);
    if (decades.length >= 2 && decades.length <= 6) values = decades;
  }
  if (p.int) values = [...new Set(values.map(Math.round))];
  return values.map((v) => ({ at: position(p, v) ?? 0, text: formatParamValue(p, p.int ? Math.round(v) : v) }));
}

/**
 * The parallel coordinates of a search: an axis per parameter and one for the metric, each
 * finished trial a line. Beyond `limit` trials it draws the best tenth of the limit and the
 * others spread evenly over the rest by trial number, and says so; the best is drawn last.
 */
export function parallelData(params: Param[], trials: SearchedTrial[], o: { metric: StudyMetric; metricTitle: string; limit?: number }): ParallelData {
  const dir = metricDirection(o.metric);
  const limit = Math.max(10, o.limit ?? PARALLEL_LIMIT);
  const ranked = trials.filter((t) => Number.isFinite(t.value)).sort((a, b) => dir * (b.value - a.value) || a.number - b.number);
  let shown = ranked;
  let rule = ranked.length === 1 ? 'the one finished trial' : `all ${formatCount(ranked.length)} finished trials`;
  if (ranked.length > limit) {
    const keep = Math.ceil(limit / 10);
    const rest = ranked.slice(keep).sort((a, b) => a.number - b.number);
    const others = Array.from({ length: limit - keep }, (_, i) => rest[Math.floor((i * rest.length) / (limit - keep))]);
    shown = [...ranked.slice(0, keep), ...others].sort((a, b) => dir * (b.value - a.value) || a.number - b.number);
    rule = `${formatCount(limit)} of ${formatCount(ranked.length)} finished trials: the best ${formatCount(keep)} and ${formatCount(limit - keep)} others spread evenly`;
  }
  const values = ranked.map((t) => t.value);
  const lo = Math.min(...values), hi = Math.max(...values);
  // Every trial at one value: one tick in the middle.
  const at = (v: number) => (hi > lo ? (v - lo) / (hi - lo) : 0.5);
  const metricAxis: ParallelAxis = {
    name: o.metricTitle,
    ticks: ranked.length === 0 ? [] : hi > lo ? [lo, (lo + hi) / 2, hi].map((v) => ({ at: at(v), text: fmtMetric(v, o.metric) })) : [{ at: 0.5, text: fmtMetric(lo, o.metric) }],
  };
  const lines: ParallelLine[] = shown
    .map((t) => ({ trial: t.number, value: t.value, at: [...params.map((p) => position(p, t.params[p.path])), at(t.value)] }))
    // Worst first: the better lines are drawn over the worse.
    .reverse();
  // Axes are told apart by name: two parameters of one name are named by their paths.
  const named = params.map((p) => (params.filter((q) => q.name === p.name).length > 1 || p.name === o.metricTitle ? p.path : p.name));
  return { metric: o.metricTitle, higherIsBetter: dir > 0, percent: isFraction(o.metric), axes: [...params.map((p, i) => ({ name: named[i], ticks: ticks(p) })), metricAxis], lines, rule };
}
