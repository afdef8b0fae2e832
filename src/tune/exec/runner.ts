/**
 * One process's share of a study: N worker threads, each in a loop of claim a trial, train
 * it, finish it (slots.ts), while a timer renews the leases of what runs here and re-queues
 * what other workers left behind (leases.ts). When nothing is left to claim, a loop advances
 * the study (advancer.ts: enqueues TPE's next trial, the interaction check or the final model
 * once their inputs are complete) or waits for trials running elsewhere. It returns when the
 * study is done. The same code runs in `mlplab study` and in `mlplab worker`, on either backend.
 */
import { hostname } from 'node:os';
import type { Prepared } from '../../data/prepare.js';
import { ConfigError } from '../../errors.js';
import { coreCount, resolveThreads } from '../../tensor/index.js';
import type { ResolvedStudy } from '../study/config.js';
import { subsetRows } from '../study/data.js';
import { handOffPrepared, sharedDataset } from '../../data/handoff.js';
import { recordKernels, type StudyKernels } from '../study/kernels.js';
import { dependsOnEarlier } from '../study/config.js';
import { StageAdvancer } from './advancer.js';
import { LeaseKeeper } from './leases.js';
import { PoolStoppedError, WorkerPool } from './pool.js';
import type { WorkerInit } from './protocol.js';
import { RunnerState, type RunnerContext, type TrialCounts } from './run-state.js';
import { SlotLoop } from './slots.js';
import { workerName, type StoredTrial, type StudyRecord, type StudyStorage, type TrialFinish } from '../storage/types.js';

export interface RunnerEvents {
  /** A local worker claimed a trial. */
  onClaim?: (trial: StoredTrial, worker: string) => void;
  onEpoch?: (trial: StoredTrial, epoch: number) => void;
  /** A local worker finished a trial; `stored` is false when its lease was lost and the result dropped. */
  onFinish?: (trial: StoredTrial, worker: string, outcome: TrialFinish, stored: boolean) => void;
  /** One-line messages: decisions, re-queued trials, lost leases, reconnections. */
  onLog?: (line: string) => void;
  /** Awaited before the study advances a stage here (so a live view shows the last finishes first). */
  beforeAdvance?: () => Promise<void>;
}

export interface RunnerOptions extends RunnerEvents {
  storage: StudyStorage;
  record: StudyRecord;
  study: ResolvedStudy;
  data: Prepared;
  workers: number;
  /** Threads per trial; default: the study file's, else the cores divided among the workers. */
  threads?: number | 'auto';
  leaseSeconds: number;
  /** Abort: running trials are given back to the queue and the runner rejects with PoolStoppedError. */
  signal?: AbortSignal;
}

export interface RunnerStats extends TrialCounts {
  /** Seconds spent waiting on the database, and its calls. */
  dbSeconds: number;
  dbCalls: number;
}

/**
 * Work on `record` until it is done: one slot loop per local worker, a lease keeper on a timer,
 * and a stage advancer the idle slots share (see slots.ts, leases.ts, advancer.ts).
 */
export async function runTrials(o: RunnerOptions): Promise<RunnerStats> {
  const timing = { seconds: 0, calls: 0 };
  const log = o.onLog ?? (() => undefined);
  const host = hostname();
  const ctx: RunnerContext = {
    store: timed(o.storage, timing),
    studyId: o.record.id,
    study: o.study,
    names: Array.from({ length: o.workers }, (_, w) => workerName(host, process.pid, w + 1)),
    leaseSeconds: o.leaseSeconds,
    pollMs: Math.max(50, Math.min(1000, (o.leaseSeconds * 1000) / 4)),
    log,
    signal: o.signal,
  };
  if (dependsOnEarlier(o.study) && o.workers > o.study.parallelTrials) {
    log(`${o.workers} workers here, but trial n of this study waits for trials 0 .. n - ${o.study.parallelTrials} (parallelTrials): at most ${o.study.parallelTrials} of its search trials train at once; set "parallelTrials" to the workers you run`);
  }
  const beatMs = Math.max(50, Math.min(5000, (o.leaseSeconds * 1000) / 3));
  const state = new RunnerState(
    () => WorkerPool.start(o.workers, workerInit(o.study, o.data, recordKernels(o.storage.where, o.record), trialThreads(o.threads ?? o.study.threads, o.workers, coreCount()))),
    o.signal,
  );
  const onAbort = () => state.abort();
  o.signal?.addEventListener('abort', onAbort);
  const leases = new LeaseKeeper(ctx, state);
  const advancer = new StageAdvancer(ctx, state, o.record.fingerprint.test !== null, o.beforeAdvance);
  const slots = new SlotLoop(ctx, state, leases, advancer, o.data, o.storage.where, o);
  leases.start(beatMs);
  try {
    await Promise.all(ctx.names.map((_, w) => slots.run(w).catch((e: unknown) => state.fail(e))));
  } finally {
    leases.stop();
    o.signal?.removeEventListener('abort', onAbort);
    await Promise.all([...state.active.values()].map((a) => ctx.store.release(a.claim).catch(() => undefined)));
    await state.close();
  }
  if (state.failure !== null) throw state.failure;
  if (o.signal?.aborted) throw new PoolStoppedError();
  return { ...state.counts, dbSeconds: timing.seconds, dbCalls: timing.calls };
}

/** What a worker thread needs: the study's prepared data as shared arrays, and the rows trials use. */
export function workerInit(study: ResolvedStudy, d: Prepared, kernels: StudyKernels, threads = 1): WorkerInit {
  return {
    kernels,
    threads,
    data: handOffPrepared(d, sharedDataset),
    trialRows: subsetRows(d.train, study.data.trainRows, study.data.seed),
    source: study.data.source,
    ...(study.cv !== null ? { cv: { folds: study.cv, seed: study.data.seed } } : {}),
  };
}

/** `s` with the time of every call added to `into`. */
function timed(s: StudyStorage, into: { seconds: number; calls: number }): StudyStorage {
  return new Proxy(s, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function' || prop === 'close') return v;
      return async (...args: unknown[]) => {
        const t0 = performance.now();
        try {
          return await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          into.seconds += (performance.now() - t0) / 1000;
          into.calls++;
        }
      };
    },
  });
}

/**
 * Threads per trial: `threads` as asked, or by default the cores divided among the workers.
 * A study never runs more threads than there are cores: workers x threads above `cores` is a
 * ConfigError naming the cap.
 */
export function trialThreads(threads: number | 'auto' | undefined, workers: number, cores: number): number {
  const share = Math.max(1, Math.floor(cores / workers));
  if (threads === undefined || threads === 'auto') return share;
  const n = resolveThreads(threads);
  if (n > 1 && n * workers > cores) {
    throw new ConfigError('threads', threads, `at most ${share} with ${workers} worker${workers === 1 ? '' : 's'} on ${cores} cores (workers x threads may not exceed the cores), or "auto"`);
  }
  return n;
}
