/**
 * What the dashboard's JSON endpoints answer: the studies of a store with their counts, and
 * one study's trials, its best value over time, its Table 1 (drawn by the report's own code,
 * so the page and report.html show the same table) and its final model's test accuracy. Each
 * answer is cached for one polling interval, so any number of open pages costs one query per
 * interval; a damaged study is listed with its error instead of failing the list.
 */
import { MlplabError } from '../../errors.js';
import { formatDuration, formatFixed } from '../../format.js';
import { buildTable1, configStats, direction, fmtMetric, fmtUnits } from '../analysis/table1.js';
import { table1Html } from '../report/html.js';
import { significanceRule } from '../report/study-report.js';
import { metricName, metricTask, resolveStudy, type ResolvedStudy, type StudyMetric } from '../study/config.js';
import { REFERENCE_PREFIX } from '../study/plan.js';
import { expandStrategy } from '../study/strategies.js';
import { studyFromRow, type StudyRow } from '../storage/rows.js';
import { isFinished, noTrials, type StudyRecord, type TrialCounts } from '../storage/types.js';
import type { DashboardSource, DashboardTrial } from './source.js';

/** A study in the list. */
export interface StudySummary {
  name: string;
  strategy: string | null;
  metric: StudyMetric | null;
  /** The metric in words ("validation R²"). */
  metricName: string | null;
  stage: string | null;
  /** done, running (trials are being trained), or idle (no worker on it now). */
  state: 'done' | 'running' | 'idle' | 'damaged';
  counts: TrialCounts;
  /** The best metric of a finished trial before the final model. */
  best: number | null;
  /** The best metric as the reports write it (accuracy in percent, loss with 4 decimals). */
  bestText: string;
  lastActivity: string | null;
  /** Why the study cannot be read, when it cannot. */
  error: string | null;
}

/** One trial in the study's table. */
export interface TrialView {
  /** The trial's id in the store (its learning curve: /api/study/NAME/trial/ID). */
  id: number;
  number: number;
  phase: string;
  label: string;
  seed: number;
  state: string;
  params: Record<string, unknown> | null;
  metric: number | null;
  metricText: string;
  /** Epochs trained (a running trial: reported so far); null when the trial records none (the final model keeps its run report apart). */
  epochs: number | null;
  maxEpochs: number;
  worker: string | null;
  /** Training seconds of a finished trial; seconds since it started for a running one. */
  seconds: number | null;
  secondsText: string;
  reason: string | null;
}

/** One study in detail. */
export interface StudyDetail {
  summary: StudySummary;
  trials: TrialView[];
  /** The best value after each finished trial, in the order they finished. */
  bestOverTime: { at: string; value: number; best: number }[];
  /** Table 1 as report.html draws it (one-at-a-time studies), with its rule in words. */
  table1: { html: string; rule: string } | null;
  /** The final model's test: accuracy (macro F1 beside it), or for a regression R² (RMSE and MAE beside it). */
  final: {
    label: string;
    /** The headline score: 'accuracy' for classes, 'r2' for a regression; `valueText` as the reports write it, `detail` the scores beside it. */
    score: 'accuracy' | 'r2';
    value: number;
    valueText: string;
    detail: string;
    testRows: number;
    /** Classes: the test accuracy and macro F1 (NaN, sent as null, for a regression). */
    testAccuracy: number;
    testAccuracyText: string;
    macroF1: number;
  } | null;
}

/** A short description of the strategy. */
function strategyText(s: ResolvedStudy): string {
  const st = s.strategy;
  if (st.type === 'random') return `random search, ${st.trials} ${s.space.length ? 'trials over ranges' : 'configurations'}`;
  if (st.type === 'tpe') return `TPE, ${st.trials} trials`;
  return st.type;
}

const message = (e: unknown): string => (e instanceof MlplabError ? e.message : `unexpected: ${(e as Error).message ?? String(e)}`);

interface Known {
  record: StudyRecord;
  study: ResolvedStudy;
}

/** The answers of one store, cached for `ttlMs` (the page's polling interval). */
export class DashboardApi {
  private readonly cache = new Map<string, { at: number; value: Promise<unknown> }>();
  /** Final outputs never change once stored: read once per study. */
  private readonly finals = new Map<number, StudyDetail['final']>();
  /** A resolved config per study row's hash (resolving is not free). */
  private readonly resolved = new Map<string, ResolvedStudy>();

  constructor(
    private readonly source: DashboardSource,
    private readonly ttlMs = 2000,
  ) {}

  /** Every study with its counts (two queries per interval, whatever the number of pages). */
  studies(): Promise<{ where: string; studies: StudySummary[] }> {
    return this.cached('studies', async () => ({ where: this.source.where, studies: (await this.load()).map((s) => s.summary) }));
  }

  /** One study in detail; null when no study has that name. */
  study(name: string): Promise<StudyDetail | null> {
    return this.cached(`study:${name}`, async () => {
      const entry = (await this.load()).find((s) => s.summary.name === name);
      if (!entry) return null;
      if (!entry.known) return { summary: entry.summary, trials: [], bestOverTime: [], table1: null, final: null };
      const { record, study } = entry.known;
      const trials = await this.source.trials(record.id);
      return {
        summary: entry.summary,
        trials: trialViews(trials, study.metric),
        bestOverTime: bestOverTime(trials, study.metric),
        table1: this.table1(study, trials),
        final: await this.final(record, trials),
      };
    });
  }

  /** The learning curve of one trial of a study (its stored epochs); null when the study has no such trial. */
  trialEpochs(name: string, id: number): Promise<{ id: number; metric: string; epochs: { epoch: number; value: number; trainLoss: number; valLoss: number }[] } | null> {
    return this.cached(`epochs:${name}:${id}`, async () => {
      const entry = (await this.load()).find((s) => s.summary.name === name);
      if (!entry?.known) return null;
      const trials = await this.source.trials(entry.known.record.id);
      if (!trials.some((t) => t.id === id)) return null;
      // Per epoch the store keeps accuracy and loss: a study judged by another class metric shows the accuracy, a regression its loss.
      const judged = entry.known.study.metric;
      const metric = judged === 'valLoss' || metricTask(judged) === 'regress' || entry.known.record.fingerprint.task === 'regress' ? 'valLoss' : 'valAccuracy';
      const epochs = (await this.source.epochs(id)).map((e) => ({ epoch: e.epoch, value: e[metric], trainLoss: e.trainLoss, valLoss: e.valLoss }));
      return { id, metric, epochs };
    });
  }

  private cached<T>(key: string, f: () => Promise<T>): Promise<T> {
    const hit = this.cache.get(key);
    const now = Date.now();
    if (hit && now - hit.at < this.ttlMs) return hit.value as Promise<T>;
    const value = f();
    this.cache.set(key, { at: now, value });
    // A failed read is not kept: the next request tries again.
    value.catch(() => this.cache.delete(key));
    return value;
  }

  /** The studies and their counts, read once per interval and shared by the list and the details. */
  private load(): Promise<{ summary: StudySummary; known: Known | null }[]> {
    return this.cached('load', async () => {
      const [rows, status] = await Promise.all([this.source.studyRows(), this.source.statusRows()]);
      return rows.map((row) => {
        const mine = status.filter((s) => s.studyId === Number(row.id));
        const counts = noTrials();
        for (const s of mine) counts[s.status] = s.n;
        const last = mine.reduce<string | null>((m, s) => (s.last !== null && (m === null || s.last > m) ? s.last : m), null);
        const known = this.known(row);
        if ('error' in known) {
          return { summary: { name: row.name, strategy: null, metric: null, metricName: null, stage: String(row.stage), state: 'damaged' as const, counts, best: null, bestText: '', lastActivity: last, error: known.error }, known: null };
        }
        const done = mine.find((s) => s.status === 'done');
        const best = done ? (direction(known.study.metric) > 0 ? done.maxMetric : done.minMetric) : null;
        const state = row.stage === 'done' ? 'done' : counts.running > 0 ? 'running' : 'idle';
        return { summary: { name: row.name, strategy: strategyText(known.study), metric: known.study.metric, metricName: metricName(known.study.metric), stage: row.stage, state, counts, best, bestText: best === null ? '' : fmtMetric(best, known.study.metric), lastActivity: last, error: null }, known };
      });
    });
  }

  private known(row: StudyRow): Known | { error: string } {
    try {
      const record = studyFromRow(row);
      let study = this.resolved.get(record.hash);
      if (!study) {
        study = resolveStudy(record.config, '', record.name);
        this.resolved.set(record.hash, study);
      }
      return { record, study };
    } catch (e) {
      return { error: message(e) };
    }
  }

  /** Table 1 of a one-at-a-time study as far as its trials have come, by the analysis the report runs. */
  private table1(study: ResolvedStudy, trials: DashboardTrial[]): StudyDetail['table1'] {
    if (study.strategy.type !== 'one-at-a-time' || study.space.length > 0) return null;
    // As the study's analysis builds it: the search's configurations, their finished seeds.
    const configs = expandStrategy(study);
    const table = buildTable1(study, configs, configStats(configs, trials.filter((t) => t.phase !== 'final')));
    return { html: table1Html(table, study.metric), rule: significanceRule(study) };
  }

  private async final(record: StudyRecord, trials: DashboardTrial[]): Promise<StudyDetail['final']> {
    const cached = this.finals.get(record.id);
    if (cached) return cached;
    if (!trials.some((t) => t.phase === 'final' && t.status === 'done' && !t.key.startsWith(REFERENCE_PREFIX))) return null;
    const outputs = await this.source.finalOutputs(record.id);
    const mine = outputs.find((o) => !o.trial.key.startsWith(REFERENCE_PREFIX));
    const report = mine?.output?.report;
    const test = report?.test;
    const reg = report?.regression?.test;
    const label = mine?.trial.label ?? '';
    const final: StudyDetail['final'] = reg
      ? { label, score: 'r2', value: reg.r2, valueText: formatFixed(reg.r2, 4), detail: `RMSE ${fmtUnits(reg.rmse)}, MAE ${fmtUnits(reg.mae)} (${report!.regression!.target})`, testRows: reg.rows, testAccuracy: NaN, testAccuracyText: '', macroF1: NaN }
      : test
        ? { label, score: 'accuracy', value: test.accuracy, valueText: fmtMetric(test.accuracy, 'valAccuracy'), detail: `macro F1 ${formatFixed(test.report.macro.f1, 3)}`, testRows: test.report.macro.support, testAccuracy: test.accuracy, testAccuracyText: fmtMetric(test.accuracy, 'valAccuracy'), macroF1: test.report.macro.f1 }
        : null;
    if (final) this.finals.set(record.id, final);
    return final;
  }
}

function trialViews(trials: DashboardTrial[], metric: StudyMetric): TrialView[] {
  const now = Date.now();
  return trials.map((t, i) => view(t, i + 1, metric, now));
}

function view(t: DashboardTrial, number: number, metric: StudyMetric, now: number): TrialView {
  const value = t.result && Number.isFinite(t.result.metric) ? t.result.metric : null;
  const seconds = t.result ? t.result.seconds : t.status === 'running' && t.startedAt ? Math.max(0, (now - Date.parse(t.startedAt)) / 1000) : null;
  return {
    id: t.id,
    number,
    phase: t.phase,
    label: t.label,
    seed: t.seed,
    state: t.status,
    params: t.params ?? null,
    metric: value,
    metricText: value === null ? '' : fmtMetric(value, metric),
    epochs: t.result?.epochs ?? (isFinished(t.status) ? null : t.epoch),
    maxEpochs: t.epochs,
    worker: t.worker,
    seconds,
    secondsText: seconds === null ? '' : formatDuration(seconds),
    reason: t.error,
  };
}

/** The best value after each finished trial before the final model, in the order they finished. */
function bestOverTime(trials: DashboardTrial[], metric: StudyMetric): StudyDetail['bestOverTime'] {
  const dir = direction(metric);
  const done = trials
    .filter((t) => t.phase !== 'final' && t.status === 'done' && isFinished(t.status) && t.finishedAt && t.result && Number.isFinite(t.result.metric))
    .sort((a, b) => (a.finishedAt! < b.finishedAt! ? -1 : a.finishedAt! > b.finishedAt! ? 1 : a.position - b.position));
  let best = -Infinity * dir;
  return done.map((t) => {
    const v = t.result!.metric;
    if (dir * (v - best) > 0) best = v;
    return { at: t.finishedAt!, value: v, best };
  });
}
