/**
 * One process's share of a study: N worker threads, each in a loop of claim a trial, train
 * it, finish it, while a timer renews the leases of what runs here and re-queues what other
 * workers left behind. When nothing is left to claim, the loop advances the study (enqueues
 * the interaction check or the final model once their inputs are complete) or waits for
 * trials running elsewhere. It returns when the study is done. The same code runs in
 * `mlplab study` and in `mlplab worker`, on either backend.
 */
import { hostname } from 'node:os';
import type { Prepared } from '../../data/prepare.js';
import { ConfigError, StorageError } from '../../errors.js';
import type { EpochRecord } from '../../metrics/history-types.js';
import { coreCount, resolveThreads } from '../../tensor/index.js';
import type { ResolvedStudy } from '../study/config.js';
import { shared, subsetRows } from '../study/data.js';
import { direction } from '../analysis/table1.js';
import { recordKernels, type StudyKernels } from '../study/kernels.js';
import { configKey, dependsOnEarlier } from '../study/config.js';
import { REFERENCE_PREFIX, earlierTrials, finalRun, nextStage, searchOrder } from '../study/plan.js';
import { JobCancelledError, PoolStoppedError, WorkerPool } from './pool.js';
import type { PruneInput, WorkerInit, WorkerJob } from './protocol.js';
import { isFinished, workerName, type Claim, type StoredTrial, type StudyRecord, type StudyStorage, type TrialFinish } from '../storage/types.js';
import { trialConfiguration } from '../study/strategies.js';

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

export interface RunnerStats {
  /** Trials this process trained and stored (the final model not counted). */
  executed: number;
  /** Trials this process trained but could not store: their lease had run out. */
  dropped: number;
  /** Trials of workers that stopped, queued again by this process. */
  requeued: number;
  /** Seconds spent waiting on the database, and its calls. */
  dbSeconds: number;
  dbCalls: number;
}

/** Work on `record` until it is done. */
export async function runTrials(o: RunnerOptions): Promise<RunnerStats> {
  const timing = { seconds: 0, calls: 0 };
  const store = timed(o.storage, timing);
  const log = o.onLog ?? (() => undefined);
  const studyId = o.record.id;
  const hasTest = o.record.fingerprint.test !== null;
  const host = hostname();
  const names = Array.from({ length: o.workers }, (_, w) => workerName(host, process.pid, w + 1));
  if (dependsOnEarlier(o.study) && o.workers > o.study.parallelTrials) {
    log(`${o.workers} workers here, but trial n of this study waits for trials 0 .. n - ${o.study.parallelTrials} (parallelTrials): at most ${o.study.parallelTrials} of its search trials train at once; set "parallelTrials" to the workers you run`);
  }
  const pollMs = Math.max(50, Math.min(1000, (o.leaseSeconds * 1000) / 4));
  const beatMs = Math.max(50, Math.min(5000, (o.leaseSeconds * 1000) / 3));
  const stats: RunnerStats = { executed: 0, dropped: 0, requeued: 0, dbSeconds: 0, dbCalls: 0 };
  const active = new Map<number, { claim: Claim; epoch: number; lost: boolean; training: boolean }>();
  let pool: WorkerPool | null = null;
  let starting: Promise<WorkerPool> | null = null;
  let done = false;
  let failure: unknown = null;
  let lastReap = 0;
  const stopped = () => done || failure !== null || o.signal?.aborted === true;

  const getPool = (): Promise<WorkerPool> => {
    if (pool) return Promise.resolve(pool);
    starting ??= WorkerPool.start(o.workers, workerInit(o.study, o.data, recordKernels(o.storage.where, o.record), trialThreads(o.threads ?? o.study.threads, o.workers, coreCount()))).then((p) => (pool = p));
    return starting;
  };
  const onAbort = () => void (pool ? pool.stop() : starting?.then((p) => p.stop()));
  o.signal?.addEventListener('abort', onAbort);

  const reap = async () => {
    if (Date.now() - lastReap < pollMs) return;
    lastReap = Date.now();
    for (const t of await store.reap(studyId)) {
      stats.requeued++;
      log(`re-queued ${t.label}, seed ${t.seed}: its worker ${t.worker ?? '?'} stopped renewing its lease (attempt ${t.attempt}); it runs again`);
    }
  };

  // The study advances in one place at a time in this process; the database arbitrates between processes.
  let advancing: Promise<boolean> | null = null;
  const advance = (): Promise<boolean> => {
    advancing ??= (async () => {
      try {
        const rec = await store.study(studyId);
        if (rec.stage === 'done') {
          done = true;
          return false;
        }
        const counts = await store.counts(studyId);
        if (counts.queued > 0) return true;
        // The stage's last trial ended: show what finished before the decisions that follow.
        if (counts.running === 0) await o.beforeAdvance?.();
        const next = nextStage(o.study, rec.stage, await store.trials(studyId), hasTest, log);
        // Trials of this stage still run (here or elsewhere) and none is to be added: wait for them.
        if (next.to === rec.stage && next.trials.length === 0) return false;
        const moved = await store.advance(studyId, rec.stage, next.to, next.trials);
        if (moved && next.to === 'done') done = true;
        return true;
      } finally {
        advancing = null;
      }
    })();
    return advancing;
  };

  let beating = false;
  const beat = async () => {
    if (beating || stopped()) return;
    beating = true;
    try {
      const live = [...active.entries()].filter(([, a]) => !a.lost);
      if (live.length > 0) {
        const lost = new Set(await store.heartbeat(live.map(([, a]) => ({ claim: a.claim, epoch: a.epoch })), o.leaseSeconds));
        for (const [w, a] of live) {
          if (!lost.has(a.claim.trial.id)) continue;
          a.lost = true;
          log(`lease lost: ${a.claim.trial.label}, seed ${a.claim.trial.seed} on ${names[w]} was not renewed in time and runs elsewhere; stopping it here`);
          if (pool && a.training) void pool.replace(w).catch((e: unknown) => log(`could not restart worker ${names[w]}: ${(e as Error).message}`));
        }
      }
      await reap();
    } catch (e) {
      if (failure === null) failure = e;
      void pool?.stop();
    } finally {
      beating = false;
    }
  };
  const timer = setInterval(() => void beat(), beatMs);

  // A pruned search judges trial n against trials 0 .. n - parallelTrials (plan.earlierTrials): it
  // starts once they ended, whichever worker ran them, so the decision is the same for any number
  // of workers. An ended trial's curve never changes, so each is read once.
  const curves = new Map<number, number[]>();
  const pruneInput = async (t: StoredTrial, entry: { claim: Claim; lost: boolean }): Promise<PruneInput | undefined | null> => {
    if (o.study.pruner.type === 'none' || t.phase !== 'search') return undefined;
    for (;;) {
      const search = searchOrder(await store.trials(studyId));
      const before = earlierTrials(o.study, search, search.findIndex((x) => x.id === t.id));
      const open = before.filter((x) => !isFinished(x.status));
      if (open.length === 0) {
        const ended = before.filter((x) => x.status === 'done' || x.status === 'pruned');
        for (const x of ended) {
          if (!curves.has(x.id)) curves.set(x.id, (await store.epochs(x.id)).map((e) => (o.study.metric === 'valAccuracy' ? e.valAccuracy : e.valLoss)));
        }
        return { pruner: o.study.pruner, others: ended.map((x) => curves.get(x.id)!), sign: direction(o.study.metric) };
      }
      // A trial it waits for went back to the queue (its worker stopped): give this one back and take that one first.
      if (entry.lost || stopped() || open.some((x) => x.status === 'queued')) {
        if (!entry.lost) await store.release(entry.claim);
        return null;
      }
      await sleep(pollMs, o.signal);
    }
  };

  const slot = async (w: number) => {
    while (!stopped()) {
      const claim = await store.claim(studyId, names[w], o.leaseSeconds);
      if (!claim) {
        if (await advance()) continue;
        if (done) break;
        await reap();
        await sleep(pollMs, o.signal);
        continue;
      }
      const t = claim.trial;
      const entry = { claim, epoch: 0, lost: false, training: false };
      active.set(w, entry);
      o.onClaim?.(t, names[w]);
      let reply;
      try {
        const prune = await pruneInput(t, entry);
        if (prune === null) {
          active.delete(w);
          continue;
        }
        const job = jobFor(o.study, o.data, o.storage.where, t, prune);
        const p = await getPool();
        entry.training = true;
        reply = await p.run(w, job, (r: EpochRecord) => {
          entry.epoch = r.epoch;
          o.onEpoch?.(t, r.epoch);
        });
      } catch (e) {
        active.delete(w);
        if (e instanceof JobCancelledError) continue;
        await store.release(claim).catch(() => undefined);
        if (!(e instanceof PoolStoppedError) && failure === null) failure = e;
        void pool?.stop();
        break;
      }
      active.delete(w);
      if (entry.lost) continue;
      const outcome: TrialFinish =
        reply.type === 'done'
          ? { status: reply.pruned !== undefined ? 'pruned' : 'done', result: reply.result, error: reply.pruned ?? null, history: reply.history, output: null }
          : reply.type === 'failed'
            ? { status: 'failed', result: null, error: reply.error, history: reply.history, output: null }
            : { status: 'done', result: null, error: null, history: [], output: reply.output };
      const stored = await store.finish(claim, outcome);
      if (stored) {
        if (t.phase !== 'final') stats.executed++;
      }
      else {
        stats.dropped++;
        log(`lease lost: ${t.label}, seed ${t.seed} finished on ${names[w]} after its lease ran out; the result is dropped (another worker's run counts)`);
      }
      o.onFinish?.(t, names[w], outcome, stored);
    }
  };

  try {
    await Promise.all(names.map((_, w) => slot(w).catch((e: unknown) => {
      if (failure === null) failure = e;
      void pool?.stop();
    })));
  } finally {
    clearInterval(timer);
    o.signal?.removeEventListener('abort', onAbort);
    await Promise.all([...active.values()].map((a) => store.release(a.claim).catch(() => undefined)));
    // Assigned in the closures above; TypeScript's narrowing does not see that.
    const begun = starting as Promise<WorkerPool> | null;
    const p = (pool as WorkerPool | null) ?? (begun ? await begun.catch(() => null) : null);
    await p?.stop();
  }
  stats.dbSeconds = timing.seconds;
  stats.dbCalls = timing.calls;
  if (failure !== null) throw failure;
  if (o.signal?.aborted) throw new PoolStoppedError();
  return stats;
}

/** What a worker thread needs: the study's prepared data as shared arrays, and the rows trials use. */
export function workerInit(study: ResolvedStudy, d: Prepared, kernels: StudyKernels, threads = 1): WorkerInit {
  return {
    kernels,
    threads,
    train: shared(d.train),
    val: shared(d.val),
    trialRows: subsetRows(d.train, study.data.trainRows, study.data.seed),
    test: d.test ? shared(d.test) : null,
    classes: d.classes,
    classNames: d.classNames,
    ...(d.classValues ? { classValues: d.classValues } : {}),
    pipeline: d.pipeline.toTensors(),
    steps: d.steps,
    origin: d.origin,
    source: study.data.source,
  };
}

/** The job of a claimed trial, rebuilt from the study config and the trial's factor levels (or sampled parameters). */
function jobFor(study: ResolvedStudy, data: Prepared, where: string, t: StoredTrial, prune: PruneInput | undefined): WorkerJob {
  // The final stage's training rows (a stratified draw over the training set: only final jobs need it).
  const rows = () => subsetRows(data.train, study.final.trainRows, study.data.seed);
  if (t.key.startsWith(REFERENCE_PREFIX) && study.reference && configKey(study.reference.run) === t.configKey) {
    return { type: 'final', id: t.id, run: finalRun(study, study.reference.run, t.seed), rows: rows(), title: `${study.name}: ${study.reference.label}` };
  }
  const c = trialConfiguration(study, t);
  if (c.key !== t.configKey) {
    throw new StorageError(where, `trial ${t.key} of study "${study.name}" names configuration ${t.configKey}, but its ${t.params ? 'parameters' : 'levels'} give ${c.key} here: it was enqueued by another mlplab version`);
  }
  if (t.phase !== 'final') return { type: 'trial', id: t.id, run: c.run, seed: t.seed, metric: study.metric, ...(prune ? { prune } : {}) };
  const run = finalRun(study, c.run, t.seed);
  return { type: 'final', id: t.id, run, rows: rows(), title: `${study.name}: final model (${c.label})` };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
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
