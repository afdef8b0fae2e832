/**
 * What a study's trials say: per-configuration summaries over seeds, the study's Table 1
 * (one row per factor, one column per value), the combined candidate with its cost rule, and
 * the interaction check. Pure functions of the stored trials, so a resumed study reaches the
 * same conclusions as an uninterrupted one.
 */
import { inTargetUnits, isFraction, metricDirection } from '../study/config.js';
import { formatFixed, formatPercent } from '../../format.js';
import type { ResolvedStudy, StudyMetric } from '../study/config.js';
import { baseLevels, configuration, type Configuration } from '../study/strategies.js';
import { summarize, welchTest, type Comparison, type Summary } from './stats.js';
import type { StoredTrial, TrialResult } from '../storage/types.js';
import type { LayerStats } from '../../metrics/history-types.js';

/** What the analysis reads of a stored trial. */
export type TrialOutcomeRecord = Pick<StoredTrial, 'configKey' | 'seed' | 'status' | 'result'>;

/** A configuration's results over its seeds. */
export interface ConfigStats {
  key: string;
  label: string;
  levels: (number | null)[];
  /** The metric per finished seed, in seed order. */
  values: number[];
  metric: Summary;
  /** Validation accuracy per finished seed (the metric itself when it is valAccuracy). */
  accValues: number[];
  valAccuracy: Summary;
  /** Mean training seconds per trial and per epoch. */
  seconds: number;
  secondsPerEpoch: number;
  meanEpochs: number;
  /** Trials that diverged. */
  failed: number;
  /** Per hidden layer, its statistics at the kept epoch averaged over the finished seeds. */
  layers: LayerSummary[];
}

/** A hidden layer's statistics at the kept epoch, averaged over a configuration's seeds. */
export interface LayerSummary {
  name: string;
  activation: string;
  deadFraction: number;
  saturatedFraction: number;
  gradientNorm: number;
  updateRatio: number;
  weightNorm: number;
  /** Standard deviation of the pre-activations. */
  preActivationStd: number;
}

function layerSummaries(results: TrialResult[]): LayerSummary[] {
  const withLayers = results.filter((r) => r.layers && r.layers.length > 0);
  if (withLayers.length === 0) return [];
  const mean = (f: (l: LayerStats) => number, i: number) => withLayers.reduce((s, r) => s + f(r.layers![i]), 0) / withLayers.length;
  return withLayers[0].layers!.map((l, i) => ({
    name: l.name,
    activation: l.activation,
    deadFraction: mean((x) => x.deadFraction, i),
    saturatedFraction: mean((x) => x.saturatedFraction, i),
    gradientNorm: mean((x) => x.gradientNorm, i),
    updateRatio: mean((x) => x.updateRatio, i),
    weightNorm: mean((x) => x.weightNorm, i),
    preActivationStd: mean((x) => x.preActivation.std, i),
  }));
}

/** Summarise the finished trials of each configuration. */
export function configStats(configs: Configuration[], trials: TrialOutcomeRecord[]): Map<string, ConfigStats> {
  const byKey = new Map<string, TrialOutcomeRecord[]>();
  for (const t of trials) {
    const list = byKey.get(t.configKey) ?? [];
    list.push(t);
    byKey.set(t.configKey, list);
  }
  const out = new Map<string, ConfigStats>();
  for (const c of configs) {
    if (out.has(c.key)) continue;
    const ts = (byKey.get(c.key) ?? []).slice().sort((a, b) => a.seed - b.seed);
    const done = ts.filter((t) => t.status === 'done' && t.result);
    const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
    out.set(c.key, {
      key: c.key,
      label: c.label,
      levels: c.levels,
      values: done.map((t) => t.result!.metric),
      metric: summarize(done.map((t) => t.result!.metric)),
      accValues: done.map((t) => t.result!.valAccuracy),
      valAccuracy: summarize(done.map((t) => t.result!.valAccuracy)),
      seconds: mean(done.map((t) => t.result!.seconds)),
      secondsPerEpoch: mean(done.map((t) => t.result!.secondsPerEpoch)),
      meanEpochs: mean(done.map((t) => t.result!.epochs)),
      failed: ts.filter((t) => t.status === 'failed').length,
      layers: layerSummaries(done.map((t) => t.result!)),
    });
  }
  return out;
}

/** +1 when larger is better (accuracy, R²), -1 when smaller is (loss, RMSE, MAE). */
export function direction(metric: StudyMetric): 1 | -1 {
  return metricDirection(metric);
}

/** One cell of Table 1: a factor at one value. */
export interface Table1Cell {
  value: string;
  /** Whether this is the base model's value. */
  isBase: boolean;
  stats: ConfigStats | null;
  /** Against the base configuration (one-at-a-time), or null (base cell, grid and random). */
  vsBase: Comparison | null;
  /** 'better' / 'worse' when significant, 'noise' when within it, null when not judged. */
  verdict: 'better' | 'worse' | 'noise' | null;
}

export interface Table1Row {
  factor: string;
  path: string;
  cells: Table1Cell[];
}

export interface Table1 {
  metric: StudyMetric;
  /** 'configuration': one-at-a-time cells are configurations; 'marginal': grid/random cells pool every configuration with that value. */
  kind: 'configuration' | 'marginal';
  base: ConfigStats | null;
  rows: Table1Row[];
  alpha: number;
}

/**
 * The study's Table 1. One-at-a-time: each cell is the base model with one factor changed,
 * compared with the base by Welch's t-test. Grid and random: each cell pools every trial
 * whose configuration has that value (a marginal mean; the spread then includes the other
 * factors' effects, so no significance is claimed).
 */
export function buildTable1(study: ResolvedStudy, configs: Configuration[], stats: Map<string, ConfigStats>): Table1 {
  const dir = direction(study.metric);
  if (study.strategy.type === 'one-at-a-time') {
    const base = stats.get(configuration(study, baseLevels(study)).key) ?? null;
    const rows = study.factors.map((f, i) => ({
      factor: f.name,
      path: f.path,
      cells: f.values.map((_, j): Table1Cell => {
        const c = configuration(study, baseLevels(study).map((b, k) => (k === i ? j : b)));
        const s = stats.get(c.key) ?? null;
        const isBase = base !== null && c.key === base.key;
        const vsBase = !isBase && s && base && s.values.length > 0 ? welchTest(s.values, base.values, study.alpha) : null;
        return { value: f.labels[j], isBase, stats: s, vsBase, verdict: verdictOf(vsBase, dir) };
      }),
    }));
    return { metric: study.metric, kind: 'configuration', base, rows, alpha: study.alpha };
  }
  const rows = study.factors.map((f, i) => ({
    factor: f.name,
    path: f.path,
    cells: f.values.map((_, j): Table1Cell => {
      const members = configs.filter((c) => c.levels[i] === j).map((c) => stats.get(c.key)).filter((s): s is ConfigStats => !!s);
      return { value: f.labels[j], isBase: j === f.baseIndex, stats: members.length ? pool(`${f.name}=${f.labels[j]}`, members) : null, vsBase: null, verdict: null };
    }),
  }));
  const baseKey = configuration(study, baseLevels(study)).key;
  return { metric: study.metric, kind: 'marginal', base: stats.get(baseKey) ?? null, rows, alpha: study.alpha };
}

function verdictOf(c: Comparison | null, dir: 1 | -1): Table1Cell['verdict'] {
  if (!c || Number.isNaN(c.p)) return null;
  if (!c.significant) return 'noise';
  return dir * c.diff > 0 ? 'better' : 'worse';
}

function pool(label: string, members: ConfigStats[]): ConfigStats {
  const values = members.flatMap((m) => m.values);
  const weighted = (f: (m: ConfigStats) => number) => {
    let s = 0, n = 0;
    for (const m of members) {
      if (m.values.length === 0) continue;
      s += f(m) * m.values.length;
      n += m.values.length;
    }
    return n ? s / n : NaN;
  };
  return {
    key: label,
    label,
    levels: [],
    values,
    metric: summarize(values),
    accValues: members.flatMap((m) => m.accValues),
    valAccuracy: summarize(members.flatMap((m) => m.accValues)),
    seconds: weighted((m) => m.seconds),
    secondsPerEpoch: weighted((m) => m.secondsPerEpoch),
    meanEpochs: weighted((m) => m.meanEpochs),
    failed: members.reduce((n, m) => n + m.failed, 0),
    // Pooled configurations differ in their layers: no per-layer summary.
    layers: [],
  };
}

/** Why a factor's value was or was not taken into the combined candidate. */
export interface FactorDecision {
  factor: string;
  /** Value chosen (its label), and whether that is the base value. */
  chosen: string;
  changed: boolean;
  reason: string;
  /** Values better than the base by mean that the rules turned down, with the reason. */
  rejected: { value: string; reason: string }[];
}

export interface Candidate {
  levels: (number | null)[];
  decisions: FactorDecision[];
  /** Sum of the chosen values' gains over the base, each measured alone (positive = better). */
  sumOfGains: number;
}

/**
 * The combined candidate of a one-at-a-time study: per factor, the value with the largest
 * gain over the base that passes the rules: under pick 'significant' the gain must be
 * significant (Welch, level alpha); under the cost rule a value more than `maxTimeRatio` times
 * slower per epoch than the base must gain at least `minGain`. Otherwise the base value stays.
 */
export function combinedCandidate(study: ResolvedStudy, table: Table1): Candidate {
  const dir = direction(study.metric);
  const levels = baseLevels(study);
  const base = table.base;
  const { maxTimeRatio, minGain } = study.combine.costRule;
  let sumOfGains = 0;
  const decisions = table.rows.map((row, i): FactorDecision => {
    const f = study.factors[i];
    const baseLabel = f.baseIndex >= 0 ? f.labels[f.baseIndex] : 'base value';
    const rejected: FactorDecision['rejected'] = [];
    let best: { j: number; gain: number; ratio: number } | null = null;
    row.cells.forEach((cell, j) => {
      if (cell.isBase || !cell.stats || !base || cell.stats.values.length === 0) return;
      const gain = dir * (cell.stats.metric.mean - base.metric.mean);
      if (!(gain > 0)) return;
      const ratio = cell.stats.secondsPerEpoch / base.secondsPerEpoch;
      if (study.combine.pick === 'significant' && !(cell.vsBase?.significant ?? false)) {
        const why = cell.vsBase && !Number.isNaN(cell.vsBase.p) ? `${fmtP(cell.vsBase.p)} >= ${study.alpha}` : 'noise unknown (one seed)';
        rejected.push({ value: cell.value, reason: `+${fmtGain(gain, study.metric)} is within the noise (${why})` });
        return;
      }
      if (ratio > maxTimeRatio && gain < minGain) {
        rejected.push({ value: cell.value, reason: `costs ${formatFixed(ratio, 1)}x the time per epoch for +${fmtGain(gain, study.metric)} (< ${fmtGain(minGain, study.metric)})` });
        return;
      }
      if (!best || gain > best.gain) best = { j, gain, ratio };
    });
    const b = best as { j: number; gain: number; ratio: number } | null;
    if (b) {
      levels[i] = b.j;
      sumOfGains += b.gain;
      const sig = row.cells[b.j].vsBase;
      const pText = sig && !Number.isNaN(sig.p) ? `, ${fmtP(sig.p)}` : '';
      return { factor: f.name, chosen: f.labels[b.j], changed: true, reason: `+${fmtGain(b.gain, study.metric)} over ${baseLabel}${pText}, ${formatFixed(b.ratio, 2)}x time per epoch`, rejected };
    }
    return {
      factor: f.name,
      chosen: baseLabel,
      changed: false,
      reason: rejected.length ? 'no value passed the rules' : 'no value beat the base',
      rejected,
    };
  });
  return { levels, decisions, sumOfGains };
}

/** One configuration of the interaction check, compared with the candidate. */
export interface NeighbourResult {
  label: string;
  /** What moved relative to the candidate, e.g. "dropout 0.2 -> 0.3". */
  move: string;
  stats: ConfigStats | null;
  vsCandidate: Comparison | null;
  verdict: 'better' | 'worse' | 'noise' | null;
}

export interface InteractionCheck {
  candidate: ConfigStats | null;
  candidateLabel: string;
  base: ConfigStats | null;
  /** Candidate vs base. */
  vsBase: Comparison | null;
  /** Sum of the chosen values' gains over the base, measured one at a time (positive = better). */
  sumOfGains: number;
  neighbours: NeighbourResult[];
  /** The best configuration of the one-at-a-time search, and the candidate compared with it. */
  bestSingle: { label: string; stats: ConfigStats; vsCandidate: Comparison | null } | null;
  /**
   * True when the candidate finished, no neighbour is significantly better, and it is not
   * significantly worse than the best single change.
   */
  holdsUp: boolean;
  /** One sentence on the outcome. */
  summary: string;
  /** The configuration the final model uses: the candidate when it holds up, else the best of the others by mean. */
  winnerKey: string;
  winnerLabel: string;
}

/** Judge the candidate against its neighbours and the best single change (Welch, level alpha). */
export function interactionCheck(
  study: ResolvedStudy,
  candidate: Configuration,
  neighbours: Configuration[],
  stats: Map<string, ConfigStats>,
  sumOfGains: number,
  bestSingle: Configuration | null = null,
): InteractionCheck {
  const dir = direction(study.metric);
  const fmt = (x: number) => fmtMetric(x, study.metric);
  const cand = stats.get(candidate.key) ?? null;
  const candOk = cand !== null && cand.values.length > 0;
  const base = stats.get(configuration(study, baseLevels(study)).key) ?? null;
  const results = neighbours.map((n): NeighbourResult => {
    const s = stats.get(n.key) ?? null;
    const vs = s && candOk && s.values.length ? welchTest(s.values, cand.values, study.alpha) : null;
    return { label: n.label, move: describeMove(study, candidate.levels, n.levels), stats: s, vsCandidate: vs, verdict: verdictOf(vs, dir) };
  });
  const single = bestSingle && bestSingle.key !== candidate.key ? stats.get(bestSingle.key) ?? null : null;
  const singleVs = single && candOk && single.values.length ? welchTest(cand.values, single.values, study.alpha) : null;
  const vsBase = candOk && base && cand.key !== base.key && base.values.length ? welchTest(cand.values, base.values, study.alpha) : null;

  const problems: string[] = [];
  if (!candOk) problems.push(cand && cand.failed > 0 ? `the candidate diverged in ${cand.failed} of ${cand.failed + cand.values.length} seeds` : 'the candidate has no finished trials');
  const better = results.filter((r) => r.verdict === 'better');
  if (better.length) problems.push(`${better.map((r) => r.move).join('; ')} ${better.length === 1 ? 'is' : 'are'} significantly better than the candidate's ${fmt(cand!.metric.mean)}`);
  if (single && singleVs?.significant && dir * singleVs.diff < 0) problems.push(`the best single change (${single.label}, ${fmt(single.metric.mean)}) is significantly better`);
  const holdsUp = problems.length === 0;

  let winner = { key: candidate.key, label: candidate.label };
  if (!holdsUp) {
    const pool = [...results.map((r, i) => ({ key: neighbours[i].key, label: r.label, s: r.stats })), ...(single ? [{ key: single.key, label: single.label, s: single }] : []), ...(candOk ? [{ key: cand.key, label: candidate.label, s: cand }] : [])];
    let top: (typeof pool)[number] | null = null;
    for (const x of pool) {
      if (!x.s || x.s.values.length === 0) continue;
      if (!top || dir * (x.s.metric.mean - top.s!.metric.mean) > 0) top = x;
    }
    if (top) winner = { key: top.key, label: top.label };
    else if (base) winner = { key: base.key, label: 'base' };
  }
  const gains = `the chosen values gained ${fmtGain(sumOfGains, study.metric)} together when tried one at a time`;
  let summary: string;
  if (candOk && base && cand.key === base.key && results.length === 0) {
    summary = `no factor passed the rules, so the candidate is the base model (${fmt(cand.metric.mean)}); there is no combination to check`;
  } else if (holdsUp) {
    const overBase = base && base.values.length ? `, ${signed(dir * (cand!.metric.mean - base.metric.mean), study.metric)} over the base` : '';
    summary = `the combination holds up: ${fmt(cand!.metric.mean)}${overBase} (${gains}); no neighbour is significantly better`;
  } else {
    summary = `the combination does not hold up: ${problems.join('; ')}; the best configuration tried so far is ${winner.label}`;
  }
  return {
    candidate: cand,
    candidateLabel: candidate.label,
    base,
    vsBase,
    sumOfGains,
    neighbours: results,
    bestSingle: single ? { label: single.label, stats: single, vsCandidate: singleVs } : null,
    holdsUp,
    summary,
    winnerKey: winner.key,
    winnerLabel: winner.label,
  };
}

function signed(x: number, metric: StudyMetric): string {
  return `${x >= 0 ? '+' : '-'}${fmtGain(Math.abs(x), metric)}`;
}

function describeMove(study: ResolvedStudy, from: (number | null)[], to: (number | null)[]): string {
  const moves: string[] = [];
  study.factors.forEach((f, i) => {
    if (from[i] === to[i]) return;
    const label = (j: number | null) => (j === null ? 'base' : f.labels[j]);
    moves.push(`${f.name} ${label(from[i])} -> ${label(to[i])}`);
  });
  return moves.join(', ') || 'none';
}

/** The best configuration by mean metric among those with finished trials. */
export function bestConfig(study: ResolvedStudy, stats: Iterable<ConfigStats>): ConfigStats | null {
  const dir = direction(study.metric);
  let best: ConfigStats | null = null;
  for (const s of stats) {
    if (s.values.length === 0 || !Number.isFinite(s.metric.mean)) continue;
    if (!best || dir * (s.metric.mean - best.metric.mean) > 0) best = s;
  }
  return best;
}

/** Configurations ranked by mean, each compared with the best (is it within its noise?). */
export interface RankedConfig {
  stats: ConfigStats;
  vsBest: Comparison | null;
  withinNoise: boolean;
}

export function rankConfigs(study: ResolvedStudy, stats: Iterable<ConfigStats>, limit = 10): RankedConfig[] {
  const dir = direction(study.metric);
  const list = [...stats].filter((s) => s.values.length > 0 && Number.isFinite(s.metric.mean)).sort((a, b) => dir * (b.metric.mean - a.metric.mean));
  const best = list[0];
  return list.slice(0, limit).map((s, i) => {
    const vs = i === 0 ? null : welchTest(s.values, best.values, study.alpha);
    return { stats: s, vsBest: vs, withinNoise: i === 0 || !(vs?.significant ?? false) };
  });
}

/** A metric value for text: accuracy in percent, loss and R² with 4 decimals, RMSE and MAE (the target's units) to 5 significant digits. */
export function fmtMetric(x: number, metric: StudyMetric): string {
  if (!Number.isFinite(x)) return 'n/a';
  if (isFraction(metric)) return formatPercent(x);
  return inTargetUnits(metric) ? fmtUnits(x) : formatFixed(x, 4);
}

/** A gain for text: points of accuracy, a difference of loss or R², or of RMSE or MAE in the target's units. */
export function fmtGain(x: number, metric: StudyMetric): string {
  if (isFraction(metric)) return `${formatFixed(100 * x, 2)} points`;
  return inTargetUnits(metric) ? fmtUnits(x, 4) : formatFixed(x, 4);
}

/**
 * A number in the target's units (RMSE, MAE) to `digits` significant digits, as fixed decimals
 * with their trailing zeros, so a column reads alike: "299.60", "5.8638", "25013".
 */
export function fmtUnits(x: number, digits = 5): string {
  if (!Number.isFinite(x)) return 'n/a';
  const whole = x === 0 ? 1 : Math.floor(Math.log10(Math.abs(x))) + 1;
  return formatFixed(x, Math.min(12, Math.max(0, digits - whole)));
}

/** A gain with its sign: "+1.25 points". */
export function fmtSignedGain(x: number, metric: StudyMetric): string {
  return signed(x, metric);
}

/** A p-value as text: "p = 0.012", "p < 0.001". */
export function fmtP(p: number): string {
  return p < 0.001 ? 'p < 0.001' : `p = ${formatFixed(p, 3)}`;
}
