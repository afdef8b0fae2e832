/**
 * What the dashboard shows of one study's trials, as plain data: the trials table (sorted,
 * filtered and cut to a page on the server, so a page of 10,000 trials receives 200 rows),
 * the best value over time (every improvement, and the other trials thinned out to a few
 * hundred dots), and the workers with their leases.
 */
import { formatDuration } from '../../format.js';
import { direction, fmtMetric } from '../analysis/table1.js';
import type { StudyMetric } from '../study/config.js';
import { isFinished, noTrials, type TrialCounts } from '../storage/types.js';
import type { StoreMirror } from './mirror.js';
import type { DashboardTrial } from './source.js';

/** One trial in the study's table. */
export interface TrialView {
  /** The trial's id in the store (its learning curve: /api/study/NAME/trial/ID). */
  id: number;
  /** From 1, in claim order. */
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
  /** Why its stored row cannot be read, when it cannot. */
  damaged: string | null;
}

/** The columns the table sorts by. */
export const SORT_KEYS = ['number', 'phase', 'label', 'seed', 'state', 'params', 'metric', 'epochs', 'worker', 'seconds', 'reason'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/** Which rows of the table a page asks for. */
export interface TrialQuery {
  sort: SortKey;
  /** 1 ascending, -1 descending. */
  dir: 1 | -1;
  /** Rows whose text holds this (case ignored); '' for all. */
  filter: string;
  /** Only trials in this state ('damaged': rows that cannot be read); '' for all. */
  state: string;
  offset: number;
  limit: number;
}

export const DEFAULT_QUERY: TrialQuery = { sort: 'number', dir: 1, filter: '', state: '', offset: 0, limit: 200 };

/** A study's trials as the page shows them, built once per change of the study. */
export interface TrialTable {
  views: TrialView[];
  /** Lower-cased text of each view, for the filter. */
  text: string[];
  counts: TrialCounts;
  damaged: number;
  /** The best metric of a finished trial before the final model. */
  best: number | null;
  lastActivity: string | null;
  sorted: Map<string, TrialView[]>;
}

const paramsText = (p: Record<string, unknown> | null): string => (p ? Object.keys(p).map((k) => `${k}=${JSON.stringify(p[k])}`).join(' ') : '');

/** The table of a study's trials (in claim order, numbered from 1), its counts and best value. */
export function trialTable(trials: DashboardTrial[], metric: StudyMetric, now: string | null): TrialTable {
  const ordered = [...trials].sort((a, b) => a.position - b.position);
  const at = now ? Date.parse(now) : Date.now();
  const dir = direction(metric);
  const counts = noTrials();
  let best: number | null = null, last: string | null = null, damaged = 0;
  const views = ordered.map((t, i) => {
    counts[t.status]++;
    if (t.damaged) damaged++;
    for (const x of [t.finishedAt, t.startedAt, t.queuedAt]) if (x && (last === null || x > last)) last = x;
    const value = t.result && Number.isFinite(t.result.metric) ? t.result.metric : null;
    if (value !== null && t.status === 'done' && t.phase !== 'final' && (best === null || dir * (value - best) > 0)) best = value;
    const seconds = t.result ? t.result.seconds : t.status === 'running' && t.startedAt ? Math.max(0, (at - Date.parse(t.startedAt)) / 1000) : null;
    return {
      id: t.id,
      number: i + 1,
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
      secondsText: seconds === null || !Number.isFinite(seconds) ? '' : formatDuration(seconds),
      reason: t.error,
      damaged: t.damaged ?? null,
    };
  });
  const text = views.map((v) => [v.label, v.state, v.phase, v.worker ?? '', paramsText(v.params), v.reason ?? '', v.damaged ?? ''].join('\n').toLowerCase());
  return { views, text, counts, damaged, best, lastActivity: last, sorted: new Map() };
}

function sortValue(v: TrialView, key: SortKey): string | number | null {
  if (key === 'params') return paramsText(v.params);
  const x = v[key];
  return x === null || x === undefined ? null : x;
}

/** One page of the table, sorted (empty values last, ties by number) and filtered. */
export function trialPage(table: TrialTable, q: TrialQuery): { rows: TrialView[]; matched: number; total: number } {
  const key = `${q.sort}:${q.dir}`;
  let sorted = table.sorted.get(key);
  if (!sorted) {
    sorted = [...table.views].sort((a, b) => {
      const x = sortValue(a, q.sort), y = sortValue(b, q.sort);
      if (x === y) return a.number - b.number;
      if (x === null) return 1;
      if (y === null) return -1;
      return (x < y ? -1 : 1) * q.dir;
    });
    table.sorted.set(key, sorted);
  }
  const needle = q.filter.trim().toLowerCase();
  let rows = sorted;
  if (needle || q.state) {
    rows = sorted.filter((v) => (q.state === '' || (q.state === 'damaged' ? v.damaged !== null : v.state === q.state)) && (needle === '' || table.text[v.number - 1].includes(needle)));
  }
  return { rows: rows.slice(q.offset, q.offset + q.limit), matched: rows.length, total: table.views.length };
}

/** Dots the best-over-time chart draws at most, besides every improvement. */
export const BEST_DOTS = 400;

/** The best value after each finished trial before the final model, in the order they finished: every improvement, and the other trials thinned to about BEST_DOTS. */
export function bestOverTime(trials: DashboardTrial[], metric: StudyMetric): { points: { at: string; value: number; best: number }[]; finished: number } {
  const dir = direction(metric);
  const done = trials
    .filter((t) => t.phase !== 'final' && t.status === 'done' && t.finishedAt && t.result && Number.isFinite(t.result.metric))
    .sort((a, b) => (a.finishedAt! < b.finishedAt! ? -1 : a.finishedAt! > b.finishedAt! ? 1 : a.position - b.position));
  let best = -Infinity * dir;
  const every = Math.max(1, Math.ceil(done.length / BEST_DOTS));
  const points: { at: string; value: number; best: number }[] = [];
  done.forEach((t, i) => {
    const v = t.result!.metric;
    const better = dir * (v - best) > 0;
    if (better) best = v;
    if (better || i % every === 0 || i === done.length - 1) points.push({ at: t.finishedAt!, value: v, best });
  });
  return { points, finished: done.length };
}

/** A worker of a study: what it runs now, its lease, and the trials it ended. */
export interface WorkerView {
  /** As the store names it: host:process:thread. */
  name: string;
  host: string;
  state: 'running' | 'idle' | 'lease ran out';
  /** The trial it runs (number as in the table). */
  trial: { id: number; number: number; label: string; epoch: number; maxEpochs: number; startedAt: string | null } | null;
  /** The end of its lease (the database's clock), and the seconds left of it. */
  leaseUntil: string | null;
  leaseLeft: number | null;
  /** About how many seconds ago it last renewed its lease (estimated from the lease, see StoreMirror.heartbeatAgo). */
  heartbeatAgo: number | null;
  done: number;
  pruned: number;
  failed: number;
  lastActivity: string | null;
}

/** Workers listed at most (running ones first, then the latest active). */
export const WORKER_LIMIT = 50;

/** The workers that ran trials of a study, from the trials' worker names and leases. */
export function workerViews(trials: DashboardTrial[], table: TrialTable, mirror: StoreMirror): { workers: WorkerView[]; total: number } {
  const number = new Map(table.views.map((v) => [v.id, v.number]));
  const now = mirror.now ? Date.parse(mirror.now) : Date.now();
  const by = new Map<string, WorkerView>();
  for (const t of trials) {
    if (!t.worker) continue;
    const parts = t.worker.split(':');
    let w = by.get(t.worker);
    if (!w) {
      w = { name: t.worker, host: parts.length >= 3 ? parts.slice(0, -2).join(':') : parts[0], state: 'idle', trial: null, leaseUntil: null, leaseLeft: null, heartbeatAgo: null, done: 0, pruned: 0, failed: 0, lastActivity: null };
      by.set(t.worker, w);
    }
    for (const x of [t.finishedAt, t.startedAt]) if (x && (w.lastActivity === null || x > w.lastActivity)) w.lastActivity = x;
    if (t.status === 'done' || t.status === 'pruned' || t.status === 'failed') w[t.status]++;
    if (t.status === 'running' && (w.trial === null || (t.startedAt ?? '') > (w.trial.startedAt ?? ''))) {
      const left = t.leaseUntil ? (Date.parse(t.leaseUntil) - now) / 1000 : null;
      w.trial = { id: t.id, number: number.get(t.id) ?? 0, label: t.label, epoch: t.epoch, maxEpochs: t.epochs, startedAt: t.startedAt };
      w.leaseUntil = t.leaseUntil;
      w.leaseLeft = left !== null && Number.isFinite(left) ? left : null;
      w.state = left !== null && left < 0 ? 'lease ran out' : 'running';
      w.heartbeatAgo = mirror.heartbeatAgo(t);
    }
  }
  const all = [...by.values()].sort((a, b) => Number(b.trial !== null) - Number(a.trial !== null) || (a.trial && b.trial ? a.trial.number - b.trial.number : (b.lastActivity ?? '').localeCompare(a.lastActivity ?? '')));
  return { workers: all.slice(0, WORKER_LIMIT), total: all.length };
}
