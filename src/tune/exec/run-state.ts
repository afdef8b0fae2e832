/**
 * What the parts of one process's runner share: the settings they read (RunnerContext) and the
 * state they change (RunnerState): the trial on each local worker slot, the tallies, the worker
 * threads (started on first use), and whether the runner is done or failed.
 */
import type { ResolvedStudy } from '../study/config.js';
import type { Claim, StudyStorage } from '../storage/types.js';
import type { WorkerPool } from './pool.js';

export interface RunnerContext {
  /** The study's storage, its calls timed. */
  store: StudyStorage;
  studyId: number;
  study: ResolvedStudy;
  /** The name of each local worker slot, as the storage records it. */
  names: string[];
  leaseSeconds: number;
  /** How often an idle slot looks for work, and how often expired leases are looked for. */
  pollMs: number;
  log: (line: string) => void;
  signal?: AbortSignal;
}

/** A trial claimed by a local worker slot. */
export interface ActiveTrial {
  claim: Claim;
  /** The last epoch it reported (sent with the lease renewals). */
  epoch: number;
  /** Its lease ran out and another worker may run it: its result is not stored. */
  lost: boolean;
  /** It runs on a worker thread (not waiting for the trials it is judged against). */
  training: boolean;
}

export interface TrialCounts {
  /** Trials this process trained and stored (the final model not counted). */
  executed: number;
  /** Trials this process trained but could not store: their lease had run out. */
  dropped: number;
  /** Trials of workers that stopped, queued again by this process. */
  requeued: number;
}

export class RunnerState {
  /** The study is done: every slot stops. */
  done = false;
  /** The first error: every slot stops and the runner rethrows it. */
  failure: unknown = null;
  /** The trial of each busy slot, by slot number. */
  readonly active = new Map<number, ActiveTrial>();
  readonly counts: TrialCounts = { executed: 0, dropped: 0, requeued: 0 };
  private pool: WorkerPool | null = null;
  private starting: Promise<WorkerPool> | null = null;

  constructor(
    private readonly startPool: () => Promise<WorkerPool>,
    private readonly signal?: AbortSignal,
  ) {}

  stopped(): boolean {
    return this.done || this.failure !== null || this.signal?.aborted === true;
  }

  /** Keep `e` as the failure (the first one wins) and stop the worker threads. */
  fail(e: unknown): void {
    if (this.failure === null) this.failure = e;
    this.stopPool();
  }

  /** The worker threads, started on first use. */
  workers(): Promise<WorkerPool> {
    if (this.pool) return Promise.resolve(this.pool);
    this.starting ??= this.startPool().then((p) => (this.pool = p));
    return this.starting;
  }

  /** The worker threads if they have started. */
  get running(): WorkerPool | null {
    return this.pool;
  }

  /** Stop the worker threads if they have started. */
  stopPool(): void {
    void this.pool?.stop();
  }

  /** Stop the worker threads, once started if they are starting (on abort). */
  abort(): void {
    void (this.pool ? this.pool.stop() : this.starting?.then((p) => p.stop()));
  }

  /** Stop the worker threads for good, waiting for a start under way. */
  async close(): Promise<void> {
    const p = this.pool ?? (this.starting ? await this.starting.catch(() => null) : null);
    await p?.stop();
  }
}
