/**
 * The live state of a study as the database sees it: every worker's trials, whichever
 * machine runs them, with the epochs of this process's own trials as they happen. Refreshed
 * from the store on a timer and whenever a local trial starts or ends.
 */
import { hostname } from 'node:os';
import { bestConfig, configStats } from '../analysis/table1.js';
import type { ResolvedStudy } from '../study/config.js';
import type { RunnerEvents } from './runner.js';
import { isFinished, type StoredTrial, type StudyStorage, type TrialPhase, type TrialResult } from '../storage/types.js';
import { trialConfiguration, type Configuration } from '../study/strategies.js';

export type StudyPhase = TrialPhase;

/** A running trial, for the live view. */
export interface RunningTrial {
  label: string;
  seed: number;
  epoch: number;
  epochs: number;
  /** Who runs it: "host:pid:thread". */
  worker?: string;
}

/** The live state of a study, passed to `onProgress` whenever it changes. */
export interface StudyProgress {
  phase: StudyPhase;
  /** Trials of this phase: finished (now or in an earlier run), running, not started. */
  done: number;
  running: RunningTrial[];
  left: number;
  total: number;
  /** Trials of this phase found finished from an earlier run. */
  reused: number;
  best: { label: string; mean: number; n: number } | null;
  elapsedSeconds: number;
  /** Estimated seconds to finish this phase, once a trial has finished in this run. */
  etaSeconds: number | null;
  /** Workers on the study now (this process's, and any others running trials), and their hosts. */
  workers: number;
  hosts?: number;
  /** The trial that just finished, if that is what changed. */
  finished?: { label: string; seed: number; result: TrialResult | null; pruned?: boolean; error?: string; worker?: string };
}

const REFRESH_MS = 1000;

export class ProgressTracker {
  private readonly before = new Set<number>();
  private readonly reported = new Set<number>();
  private readonly localEpochs = new Map<number, number>();
  private readonly configs = new Map<string, Configuration>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private busy: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly storage: StudyStorage,
    private readonly studyId: number,
    private readonly study: ResolvedStudy,
    private readonly started: number,
    private readonly localWorkers: number,
    private readonly emit: ((p: StudyProgress) => void) | undefined,
  ) {}

  /** Remember what was finished before this run (it counts as reused) and start refreshing. */
  start(trials: StoredTrial[]): void {
    for (const t of trials) {
      if (isFinished(t.status)) {
        this.before.add(t.id);
        this.reported.add(t.id);
      }
    }
    if (!this.emit) return;
    this.timer = setInterval(() => this.refresh(), REFRESH_MS);
    this.timer.unref();
    this.refresh();
  }

  /** Trial ids finished before this run. */
  finishedBefore(): Set<number> {
    return this.before;
  }

  epoch(trial: StoredTrial, epoch: number): void {
    this.localEpochs.set(trial.id, epoch);
  }

  /** Something changed here (a claim, a finish): refresh now. */
  changed(trial?: StoredTrial): void {
    if (trial) this.localEpochs.delete(trial.id);
    this.refresh();
  }

  /** The runner's events that keep this view current (claims, epochs, finishes, and a refresh before each decision). */
  events(): Required<Pick<RunnerEvents, 'onClaim' | 'onEpoch' | 'onFinish' | 'beforeAdvance'>> {
    return {
      onClaim: () => this.changed(),
      onEpoch: (trial, epoch) => this.epoch(trial, epoch),
      onFinish: (trial) => this.changed(trial),
      beforeAdvance: () => this.flush(),
    };
  }

  /** Refresh now and wait for it: what finished is shown before what is decided next. */
  async flush(): Promise<void> {
    if (!this.emit || this.stopped) return;
    await this.busy;
    await this.once().catch(() => undefined);
  }

  /** Refresh once more (so the last finishes are shown) and stop. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.emit && !this.stopped) {
      await this.busy;
      await this.once().catch(() => undefined);
    }
    this.stopped = true;
  }

  private refresh(): void {
    if (!this.emit || this.stopped) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = this.once()
      // The live view is not worth failing a study for; the next refresh tries again.
      .catch(() => undefined)
      .finally(() => {
        this.busy = null;
        if (this.again) {
          this.again = false;
          this.refresh();
        }
      });
  }

  private async once(): Promise<void> {
    const trials = await this.storage.trials(this.studyId);
    if (this.stopped || trials.length === 0) return;
    const fresh = trials
      .filter((t) => isFinished(t.status) && !this.reported.has(t.id))
      .sort((a, b) => (a.finishedAt ?? '').localeCompare(b.finishedAt ?? ''));
    if (fresh.length === 0) {
      this.emit!(this.state(trials, new Set()));
      return;
    }
    const shown = new Set<number>();
    for (const t of fresh) {
      shown.add(t.id);
      this.reported.add(t.id);
      this.emit!({ ...this.state(trials, new Set([...fresh.map((f) => f.id)].filter((id) => !shown.has(id))), t.phase), finished: { label: t.label, seed: t.seed, result: t.result, ...(t.status === 'pruned' ? { pruned: true } : {}), ...(t.error ? { error: t.error } : {}), ...(t.worker ? { worker: t.worker } : {}) } });
    }
  }

  /** The state of phase `shown` (default: the current one), with the trials in `hide` (finished, not yet reported) still counted as running. */
  private state(trials: StoredTrial[], hide: Set<number>, shown?: StudyPhase): StudyProgress {
    const isDone = (t: StoredTrial) => isFinished(t.status) && !hide.has(t.id);
    const pending = trials.filter((t) => !isDone(t));
    const phase = shown ?? pending[0]?.phase ?? trials[trials.length - 1].phase;
    const here = trials.filter((t) => t.phase === phase);
    const running = trials.filter((t) => t.status === 'running' || hide.has(t.id));
    const workers = new Set(running.map((t) => t.worker ?? ''));
    const hosts = new Set([hostname(), ...[...workers].map((w) => w.split(':')[0])]);
    const doneHere = here.filter(isDone);
    // TPE's trials not suggested yet count as left.
    const s = this.study.strategy;
    const owed = phase === 'search' && s.type === 'tpe' ? Math.max(0, s.trials - here.length) : 0;
    const left = here.filter((t) => t.status === 'queued').length + owed;
    const thisRun = doneHere.filter((t) => !this.before.has(t.id) && t.result);
    const perTrial = thisRun.length > 0 ? thisRun.reduce((n, t) => n + t.result!.seconds, 0) / thisRun.length : null;
    const active = Math.max(1, workers.size, this.localWorkers);
    let best: StudyProgress['best'] = null;
    if (phase !== 'final') {
      const configs = [...new Map(here.map((t) => [t.configKey, t])).values()].map((t) => this.config(t));
      const b = bestConfig(this.study, configStats(configs, trials.filter(isDone)).values());
      if (b) best = { label: b.label, mean: b.metric.mean, n: b.metric.n };
    }
    return {
      phase,
      done: doneHere.length,
      running: here
        .filter((t) => t.status === 'running' || hide.has(t.id))
        .map((t) => ({ label: phase === 'final' ? `final: ${t.label}` : t.label, seed: t.seed, epoch: this.localEpochs.get(t.id) ?? t.epoch, epochs: t.epochs, ...(t.worker ? { worker: t.worker } : {}) })),
      left,
      total: here.length + owed,
      reused: here.filter((t) => this.before.has(t.id)).length,
      best,
      elapsedSeconds: (performance.now() - this.started) / 1000,
      etaSeconds: perTrial === null ? null : (perTrial * (left + running.length / 2)) / active,
      workers: Math.max(workers.size, this.localWorkers),
      hosts: hosts.size,
    };
  }

  private config(t: StoredTrial): Configuration {
    let c = this.configs.get(t.configKey);
    if (!c) {
      c = trialConfiguration(this.study, t);
      this.configs.set(t.configKey, c);
    }
    return c;
  }
}
