/**
 * The study report as data: a typed object built from the stored trials and the analysis
 * (study.json is this object), and the questions the renderers ask of it. The terminal text,
 * table1.md and report.html are drawn from it by text.ts, markdown.ts and html.ts.
 */
import type { Prepared } from '../../data/prepare.js';
import { formatSignificant } from '../../format.js';
import type { RunReport } from '../../report/run-report.js';
import type { Candidate, InteractionCheck, RankedConfig, Table1 } from '../analysis/table1.js';
import { describeRun, metricDirection, type ResolvedStudy, type StudyMetric } from '../study/config.js';
import { parameterImportance, type Importance } from '../search/importance.js';
import type { PrunerConfig } from '../search/pruners.js';
import type { Param } from '../search/space.js';
import { isFinished, type StoredTrial } from '../storage/types.js';
import type { Repair } from '../analysis/repair.js';
import type { Configuration } from '../study/strategies.js';

/** A study's report as data: what study.json holds and every renderer reads. */
export interface StudyReport {
  name: string;
  createdAt: string;
  configHash: string;
  strategy: string;
  metric: StudyMetric;
  seeds: number;
  alpha: number;
  /** How differences are judged, in words. */
  significanceRule: string;
  /** The data: `task` 'regress' with the `target` (the label column's name) for a regression, `classes` 1 then. */
  data: { source: string; task: 'classify' | 'regress'; target: string | null; trialTrainRows: number; valRows: number; testRows: number; features: number; classes: number; steps: { name: string; summary: string }[] };
  trials: { total: number; pruned: number; failed: number; executedThisRun: number; trainSeconds: number; wallSeconds: number; workers: number };
  /** Every trial before the final model, in enqueue order: its state, the epochs it ran, its metric and, when pruned or failed, why. */
  trialLog: TrialLogEntry[];
  /** The pruner the search ran with. */
  pruner: PrunerConfig;
  /** Space studies (TPE, random over ranges): the parameters searched and how much each mattered. */
  search: { space: Param[]; importance: Importance[] } | null;
  table1: Table1;
  candidate: Candidate | null;
  interaction: InteractionCheck | null;
  /** The forward search that repaired the combination, when the combination did not hold up. */
  repair: Repair | null;
  costRule: { maxTimeRatio: number; minGain: number } | null;
  pickRule: 'significant' | 'best-mean';
  ranking: RankedConfig[];
  /** The configuration the final model trains: its key, label, spec and a one-line description. */
  winner: { key: string; label: string; spec: unknown; description: string };
  final: RunReport | null;
  /** Why there is no final model, when its training failed (diverged). */
  finalError: string | null;
  /** The model the study file names in `final.compareWith`, trained and tested beside the final model. */
  reference: ReferenceModel | null;
}

/** The reference model beside the final one: same data, same test set, same final training. */
export interface ReferenceModel {
  label: string;
  spec: unknown;
  /** The model in one line (describeRun). */
  description: string;
  /** Its run report (null when it is the final model itself, or its training failed). */
  final: RunReport | null;
  error: string | null;
  /** The search chose this very model: it trained once, as the final model. */
  sameAsWinner: boolean;
}

/** One trial as study.json records it. */
export interface TrialLogEntry {
  /** From 1, in enqueue order. */
  number: number;
  key: string;
  phase: StoredTrial['phase'];
  label: string;
  seed: number;
  state: 'done' | 'pruned' | 'failed';
  /** Epochs it trained. */
  epochs: number;
  /** The study's metric at its kept epoch (a pruned trial: where it stopped); null when it diverged. */
  metric: number | null;
  /** The pruner's reason, or why training failed. */
  reason: string | null;
  /** Space studies: the sampled values by option path. */
  params?: Record<string, unknown>;
}

/** What {@link buildStudyReport} reads. */
export interface BuildStudyReportArgs {
  study: ResolvedStudy;
  data: Prepared;
  /** Name of the data source, as the study file gives it. */
  source: string;
  trialRows: number;
  table: Table1;
  candidate: Candidate | null;
  check: InteractionCheck | null;
  /** The forward search that repaired the combination, when it ran. */
  repair: Repair | null;
  ranking: RankedConfig[];
  winner: Configuration;
  final: RunReport | null;
  finalError: string | null;
  reference?: ReferenceModel | null;
  trials: Pick<StoredTrial, 'key' | 'phase' | 'label' | 'seed' | 'status' | 'result' | 'error' | 'params' | 'position'>[];
  workers: number;
  wallSeconds: number;
  executed: number;
}

/** The rule that separates signal from noise, as the report states it. */
export function significanceRule(study: ResolvedStudy): string {
  const comparisons = study.strategy.type === 'one-at-a-time' ? study.factors.reduce((n, f) => n + f.values.length - (f.baseIndex >= 0 ? 1 : 0), 0) : 0;
  return (
    `Each configuration ran with ${study.seeds} seed${study.seeds === 1 ? '' : 's'} (weights, dropout masks, batch order); cells show mean ± sample sd. ` +
    `A difference is called significant when Welch's two-sided t-test on the per-seed values gives p < ${study.alpha}; otherwise it is within the noise` +
    (study.seeds < 2 ? ' (with one seed the noise is unknown, so nothing is called significant).' : '.') +
    (comparisons > 1 ? ` Of ${comparisons} comparisons with the base, about ${formatSignificant(comparisons * study.alpha, 2)} would come out significant by chance alone if no factor mattered.` : '')
  );
}

/** The report of a study from its definition, its data, its stored trials and their analysis. */
export function buildStudyReport(a: BuildStudyReportArgs): StudyReport {
  const s = a.study;
  const st = s.strategy;
  const strategy =
    st.type === 'random'
      ? `random search (${st.trials} ${s.space.length ? 'trials over ranges' : 'configurations'}, seed ${st.seed})`
      : st.type === 'tpe'
        ? `TPE (${st.trials} trials, ${st.startupTrials} random first, seed ${st.seed})`
        : st.type;
  const ended = a.trials.filter((t) => isFinished(t.status)).sort((x, y) => x.position - y.position);
  const trialLog: TrialLogEntry[] = ended.map((t, i) => ({
    number: i + 1,
    key: t.key,
    phase: t.phase,
    label: t.label,
    seed: t.seed,
    state: t.status as TrialLogEntry['state'],
    epochs: t.result?.epochs ?? 0,
    metric: t.result && Number.isFinite(t.result.metric) ? t.result.metric : null,
    reason: t.error,
    ...(t.params ? { params: t.params } : {}),
  }));
  const searched = trialLog.filter((t) => t.phase === 'search' && t.state === 'done' && t.params && t.metric !== null);
  return {
    name: s.name,
    createdAt: new Date().toISOString(),
    configHash: s.hash,
    strategy,
    metric: s.metric,
    seeds: s.seeds,
    alpha: s.alpha,
    significanceRule: significanceRule(s),
    data: {
      source: a.source,
      task: a.data.task,
      target: a.data.task === 'regress' ? (a.data.classNames[0] ?? 'target') : null,
      trialTrainRows: a.trialRows,
      valRows: a.data.val.rows,
      testRows: a.data.test?.rows ?? 0,
      features: a.data.train.cols,
      classes: a.data.classes,
      steps: a.data.steps.map((x) => ({ name: x.name, summary: x.summary })),
    },
    trials: {
      total: a.trials.length,
      pruned: a.trials.filter((t) => t.status === 'pruned').length,
      failed: a.trials.filter((t) => t.status === 'failed').length,
      executedThisRun: a.executed,
      trainSeconds: a.trials.reduce((n, t) => n + (t.result?.seconds ?? 0), 0),
      wallSeconds: a.wallSeconds,
      workers: a.workers,
    },
    trialLog,
    pruner: s.pruner,
    search: s.space.length ? { space: s.space, importance: parameterImportance(s.space, searched.map((t) => ({ params: t.params!, value: t.metric! }))) } : null,
    table1: a.table,
    candidate: a.candidate,
    interaction: a.check,
    repair: a.repair,
    costRule: a.candidate ? s.combine.costRule : null,
    pickRule: s.combine.pick,
    ranking: a.ranking,
    winner: { key: a.winner.key, label: a.winner.label, spec: a.winner.spec, description: describeRun(a.winner.run) },
    final: a.final,
    finalError: a.finalError,
    reference: a.reference ?? null,
  };
}

/** The search trials of a study, best first (finished ones by their metric). */
export function rankedSearch(r: StudyReport): TrialLogEntry[] {
  const dir = metricDirection(r.metric);
  return r.trialLog.filter((t) => t.phase === 'search' && t.state === 'done' && t.metric !== null).sort((a, b) => dir * (b.metric! - a.metric!) || a.number - b.number);
}

/** The search trials counted by how they ended. */
export function searchTally(r: StudyReport): { total: number; pruned: number; failed: number } {
  const search = r.trialLog.filter((t) => t.phase === 'search');
  return { total: search.length, pruned: search.filter((t) => t.state === 'pruned').length, failed: search.filter((t) => t.state === 'failed').length };
}

/** The trials a pruner stopped, with where and why. */
export function prunedTrials(r: StudyReport): TrialLogEntry[] {
  return r.trialLog.filter((t) => t.state === 'pruned');
}
