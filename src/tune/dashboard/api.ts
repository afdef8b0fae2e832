/**
 * What the dashboard's JSON endpoints answer: the studies of a store with their counts, and
 * one study in detail: a page of its trials, its best value over time, its Table 1 (drawn by
 * the report's own code, so the page and report.html show the same table), for a search its
 * parameters' importance and parallel coordinates (the report's data and chart functions), its
 * workers and their leases, and its final model's test scores. The store is read through a
 * StoreMirror once per polling interval, whatever the number of open pages, and only the
 * trials that changed are read; a damaged study is listed with its error instead of failing
 * the list, a damaged trial row is shown as such.
 */
import { MlplabError } from '../../errors.js';
import { formatFixed } from '../../format.js';
import { buildTable1, configStats, fmtMetric, fmtUnits } from '../analysis/table1.js';
import { importanceHtml, table1Html } from '../report/html.js';
import { searchImportance, studyParams, trialParams, type SearchedTrial } from '../report/search-figures.js';
import { significanceRule } from '../report/study-report.js';
import { IMPORTANCE_NOTE } from '../report/wording.js';
import type { Importance } from '../search/importance.js';
import type { Param } from '../search/space.js';
import { metricName, resolveStudy, type ResolvedStudy, type StudyMetric } from '../study/config.js';
import { REFERENCE_PREFIX } from '../study/plan.js';
import { expandStrategy, type Configuration } from '../study/strategies.js';
import { studyFromRow, type StudyRow } from '../storage/rows.js';
import type { StudyRecord, TrialCounts } from '../storage/types.js';
import { FigureCache, reportLinks, type FinalFigure, type SearchFigure } from './figures.js';
import { StoreMirror, type MirroredStudy } from './mirror.js';
import type { DashboardSource, DashboardTrial } from './source.js';
import { bestOverTime, DEFAULT_QUERY, trialPage, trialTable, workerViews, type TrialQuery, type TrialTable, type TrialView, type WorkerView } from './views.js';

export type { TrialView, WorkerView } from './views.js';

/** A study in the list. */
export interface StudySummary {
  name: string;
  strategy: string | null;
  metric: StudyMetric | null;
  /** The metric in words ("validation R²"). */
  metricName: string | null;
  stage: string | null;
  /** done, running (trials are being trained), idle (no worker on it now), or damaged (its stored config cannot be read). */
  state: 'done' | 'running' | 'idle' | 'damaged';
  counts: TrialCounts;
  /** The best metric of a finished trial before the final model. */
  best: number | null;
  /** The best metric as the reports write it (accuracy in percent, loss with 4 decimals). */
  bestText: string;
  lastActivity: string | null;
  /** Why the study cannot be read, when it cannot. */
  error: string | null;
  /** Trials whose stored rows cannot be read. */
  damagedTrials: number;
}

/** A search's parameters and how much each mattered (as report.html's "Which parameters mattered"). */
export interface SearchView {
  params: { name: string; path: string; kind: Param['kind'] }[];
  importance: Importance[];
  /** The importance table as report.html draws it. */
  importanceHtml: string;
  /** What the importance measures, in words. */
  note: string;
  /** Finished trials behind it (the parallel coordinates are drawn anew when this grows). */
  finished: number;
}

/** The final model's test. */
export interface FinalView {
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
  /** The run report's figures the page can show (/api/study/NAME/final). */
  figures: boolean;
  /** The study folder's reports, served read-only by the dashboard. */
  links: { label: string; href: string }[];
}

/** One study in detail. */
export interface StudyDetail {
  summary: StudySummary;
  /** Changes whenever the study changed in the store. */
  version: number;
  /** The page of the trials table asked for (by default the first 200 in claim order). */
  trials: TrialView[];
  page: TrialQuery & { matched: number; total: number };
  /** The best value after each finished trial before the final model, in the order they finished: every improvement, the others thinned out. */
  bestOverTime: { at: string; value: number; best: number }[];
  /** Finished trials behind bestOverTime. */
  finishedTrials: number;
  /** Table 1 as report.html draws it (studies of factors), with its rule in words. */
  table1: { html: string; rule: string } | null;
  search: SearchView | null;
  workers: WorkerView[];
  workersTotal: number;
  final: FinalView | null;
}

/** A short description of the strategy. */
function strategyText(s: ResolvedStudy): string {
  const st = s.strategy;
  if (st.type === 'random') return `random search, ${st.trials} ${s.space.length ? 'trials over ranges' : 'configurations'}`;
  if (st.type === 'tpe') return `TPE, ${st.trials} trials`;
  return st.type;
}

const message = (e: unknown): string => (e instanceof MlplabError ? e.message : `unexpected: ${(e as Error).message ?? String(e)}`);

interface Entry {
  summary: StudySummary;
  mirrored: MirroredStudy;
  known: { record: StudyRecord; study: ResolvedStudy } | null;
  table: TrialTable;
}

/** A study's detail data, built once per change of the study. */
interface Derived {
  version: number;
  best: ReturnType<typeof bestOverTime>;
  table1: StudyDetail['table1'];
  search: (SearchView & { trials: SearchedTrial[]; space: Param[] }) | null;
}

/** The answers of one store, cached for `ttlMs` (the page's polling interval). */
export class DashboardApi {
  private readonly cache = new Map<string, { at: number; value: Promise<unknown> }>();
  readonly mirror: StoreMirror;
  private readonly tables = new Map<number, { version: number; table: TrialTable }>();
  private readonly derived = new Map<number, Derived>();
  /** Final outputs never change once stored: read once per study. */
  private readonly finals = new Map<number, Omit<FinalView, 'links'> & { report: unknown }>();
  /** A resolved config per study row's hash, and a factor study's configurations: resolving is not free. */
  private readonly resolved = new Map<string, ResolvedStudy>();
  private readonly configs = new WeakMap<ResolvedStudy, Configuration[]>();
  private readonly figures = new FigureCache();

  constructor(
    private readonly source: DashboardSource,
    private readonly ttlMs = 2000,
  ) {
    this.mirror = new StoreMirror(source);
  }

  /** Every study with its counts. */
  studies(): Promise<{ where: string; studies: StudySummary[] }> {
    return this.cached('studies', async () => ({ where: this.source.where, studies: (await this.load()).map((s) => s.summary) }));
  }

  /** One study in detail, with one page of its trials; null when no study has that name. */
  study(name: string, query: TrialQuery = DEFAULT_QUERY): Promise<StudyDetail | null> {
    return this.cached(`study:${name}:${JSON.stringify(query)}`, async () => {
      const entry = (await this.load()).find((s) => s.summary.name === name);
      if (!entry) return null;
      const d = entry.known ? this.derive(entry) : null;
      const table = entry.table;
      const page = trialPage(table, query);
      const trials = [...entry.mirrored.trials.values()];
      const workers = workerViews(trials, table, this.mirror);
      const search = d?.search ? { params: d.search.params, importance: d.search.importance, importanceHtml: d.search.importanceHtml, note: d.search.note, finished: d.search.finished } : null;
      return {
        summary: entry.summary,
        version: entry.mirrored.version,
        trials: page.rows,
        page: { ...query, matched: page.matched, total: page.total },
        bestOverTime: d?.best.points ?? [],
        finishedTrials: d?.best.finished ?? 0,
        table1: d?.table1 ?? null,
        search,
        workers: workers.workers,
        workersTotal: workers.total,
        final: entry.known ? await this.final(entry) : null,
      };
    });
  }

  /** The learning curve of one trial of a study (its stored epochs); null when the study has no such trial. */
  trialEpochs(name: string, id: number): Promise<{ id: number; metric: string; epochs: { epoch: number; value: number; trainLoss: number; valLoss: number }[] } | null> {
    return this.cached(`epochs:${name}:${id}`, async () => {
      const entry = (await this.load()).find((s) => s.summary.name === name);
      if (!entry?.known || !entry.mirrored.trials.has(id)) return null;
      const metric = entry.known.study.metric;
      // A regression's curve is its validation loss (no accuracy to draw); classes show accuracy unless the study minimises the loss.
      const byLoss = metric !== 'valAccuracy';
      const epochs = await this.source.epochs(id);
      return { id, metric: byLoss ? 'valLoss' : 'valAccuracy', epochs: epochs.map((e) => ({ epoch: e.epoch, value: byLoss ? e.valLoss : e.valAccuracy, trainLoss: e.trainLoss, valLoss: e.valLoss })) };
    });
  }

  /** A search's parallel coordinates as an SVG (the report's chart), drawn anew as trials finish; null when the study searches no parameters. */
  searchFigure(name: string): Promise<SearchFigure | null> {
    return this.cached(`figure:${name}`, async () => {
      const entry = (await this.load()).find((s) => s.summary.name === name);
      const d = entry?.known ? this.derive(entry) : null;
      if (!entry?.known || !d?.search) return null;
      const s = d.search, metric = entry.known.study.metric;
      return this.figures.parallel(entry.mirrored.id, s.finished, { params: s.space, trials: s.trials, metric, metricTitle: metricName(metric), running: entry.summary.counts.running > 0 });
    });
  }

  /** The final model's run figures (as its run report draws them); null when it has none. */
  finalFigures(name: string): Promise<FinalFigure[] | null> {
    return this.cached(`final:${name}`, async () => {
      const entry = (await this.load()).find((s) => s.summary.name === name);
      const f = entry?.known ? await this.final(entry) : null;
      const report = entry ? this.finals.get(entry.mirrored.id)?.report : undefined;
      if (!entry || !f?.figures || !report) return null;
      return this.figures.final(entry.mirrored.id, report);
    });
  }

  private cached<T>(key: string, f: () => Promise<T>): Promise<T> {
    const hit = this.cache.get(key);
    const now = Date.now();
    if (hit && now - hit.at < this.ttlMs) return hit.value as Promise<T>;
    // Old answers of other pages' queries go; the store is read again below anyway.
    if (this.cache.size > 500) for (const [k, v] of this.cache) if (now - v.at >= this.ttlMs) this.cache.delete(k);
    const value = f();
    this.cache.set(key, { at: now, value });
    // A failed read is not kept: the next request tries again.
    value.catch(() => this.cache.delete(key));
    return value;
  }

  /** The store read once per interval (only what changed) and each study summed up, shared by the list and the details. */
  private load(): Promise<Entry[]> {
    return this.cached('load', async () => {
      await this.mirror.refresh();
      return [...this.mirror.studies.values()].map((m) => this.entry(m));
    });
  }

  private entry(m: MirroredStudy): Entry {
    const row = m.row;
    const known = this.known(row);
    if ('error' in known) {
      const table = this.derivedTable(m, 'valAccuracy');
      const summary: StudySummary = { name: row.name, strategy: null, metric: null, metricName: null, stage: String(row.stage), state: 'damaged', counts: table.counts, best: null, bestText: '', lastActivity: table.lastActivity, error: known.error, damagedTrials: table.damaged };
      return { summary, mirrored: m, known: null, table };
    }
    const table = this.derivedTable(m, known.study.metric);
    const state = row.stage === 'done' ? 'done' : table.counts.running > 0 ? 'running' : 'idle';
    const best = table.best;
    const summary: StudySummary = {
      name: row.name,
      strategy: strategyText(known.study),
      metric: known.study.metric,
      metricName: metricName(known.study.metric),
      stage: row.stage,
      state,
      counts: table.counts,
      best,
      bestText: best === null ? '' : fmtMetric(best, known.study.metric),
      lastActivity: table.lastActivity,
      error: null,
      damagedTrials: table.damaged,
    };
    return { summary, mirrored: m, known: { record: known.record, study: known.study }, table };
  }

  /** The trials table of a study as of its version. */
  private derivedTable(m: MirroredStudy, metric: StudyMetric): TrialTable {
    const kept = this.tables.get(m.id);
    if (kept && kept.version === m.version) return kept.table;
    const table = trialTable([...m.trials.values()], metric, this.mirror.now);
    this.tables.set(m.id, { version: m.version, table });
    return table;
  }

  /** Everything the detail shows of a study, once per version. */
  private derive(entry: Entry): Derived {
    const m = entry.mirrored;
    const d = this.derived.get(m.id);
    if (d && d.version === m.version) return d;
    const { study } = entry.known!;
    const trials = [...m.trials.values()];
    const out: Derived = { version: m.version, best: bestOverTime(trials, study.metric), table1: this.table1(study, trials), search: this.search(study, trials, entry.table) };
    this.derived.set(m.id, out);
    return out;
  }

  private known(row: StudyRow): { record: StudyRecord; study: ResolvedStudy } | { error: string } {
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

  /** Table 1 of a study of factors as far as its trials have come, by the analysis the report runs. */
  private table1(study: ResolvedStudy, trials: DashboardTrial[]): StudyDetail['table1'] {
    if (study.space.length > 0 || study.factors.length === 0) return null;
    // As the study's analysis builds it: the search's configurations, their finished seeds.
    const configs = this.configs.get(study) ?? expandStrategy(study);
    this.configs.set(study, configs);
    const table = buildTable1(study, configs, configStats(configs, trials.filter((t) => t.phase !== 'final' && !t.damaged)));
    const rule = study.strategy.type === 'one-at-a-time' ? significanceRule(study) : `Each cell pools every configuration with that value (a marginal mean); mean ± sd over ${study.seeds} seed${study.seeds === 1 ? '' : 's'} per configuration.`;
    return { html: table1Html(table, study.metric), rule };
  }

  /** A search's parameters and the importance of each over its finished trials (a grid's or a random search's factors count as lists of choices). */
  private search(study: ResolvedStudy, trials: DashboardTrial[], table: TrialTable): Derived['search'] {
    const params = studyParams(study);
    if (params.length === 0) return null;
    const number = new Map(table.views.map((v) => [v.id, v.number]));
    const done: SearchedTrial[] = [];
    for (const t of trials) {
      if (t.phase !== 'search' || t.status !== 'done' || !t.result || !Number.isFinite(t.result.metric)) continue;
      const p = trialParams(study, t);
      if (p) done.push({ number: number.get(t.id) ?? 0, value: t.result.metric, params: p });
    }
    done.sort((a, b) => a.number - b.number);
    const importance = searchImportance(params, done);
    return {
      params: params.map((p) => ({ name: p.name, path: p.path, kind: p.kind })),
      importance,
      importanceHtml: importanceHtml(importance),
      note: IMPORTANCE_NOTE,
      finished: done.length,
      trials: done,
      space: params,
    };
  }

  private async final(entry: Entry): Promise<FinalView | null> {
    const id = entry.mirrored.id;
    const links = this.mirror.studies.size === 1 ? reportLinks(this.source.folder) : [];
    const cached = this.finals.get(id);
    if (cached) return { ...withoutReport(cached), links };
    const mine = [...entry.mirrored.trials.values()].some((t) => t.phase === 'final' && t.status === 'done' && !t.key.startsWith(REFERENCE_PREFIX));
    if (!mine) return null;
    let outputs: Awaited<ReturnType<DashboardSource['finalOutputs']>>;
    try {
      outputs = await this.source.finalOutputs(id);
    } catch {
      // A damaged output row: the study is shown without its final model.
      return null;
    }
    const out = outputs.find((o) => !o.trial.key.startsWith(REFERENCE_PREFIX));
    const report = out?.output?.report;
    const test = report?.test;
    const reg = report?.regression?.test;
    const label = out?.trial.label ?? '';
    const figures = !!report;
    const final = reg
      ? { label, score: 'r2' as const, value: reg.r2, valueText: formatFixed(reg.r2, 4), detail: `RMSE ${fmtUnits(reg.rmse)}, MAE ${fmtUnits(reg.mae)} (${report!.regression!.target})`, testRows: reg.rows, testAccuracy: NaN, testAccuracyText: '', macroF1: NaN, figures }
      : test
        ? { label, score: 'accuracy' as const, value: test.accuracy, valueText: fmtMetric(test.accuracy, 'valAccuracy'), detail: `macro F1 ${formatFixed(test.report.macro.f1, 3)}`, testRows: test.report.macro.support, testAccuracy: test.accuracy, testAccuracyText: fmtMetric(test.accuracy, 'valAccuracy'), macroF1: test.report.macro.f1, figures }
        : null;
    if (!final) return null;
    this.finals.set(id, { ...final, report });
    return { ...final, links };
  }
}

function withoutReport<T extends { report: unknown }>(x: T): Omit<T, 'report'> {
  const { report: _report, ...rest } = x;
  return rest;
}
