/**
 * A fixed set of worker threads, each training one trial at a time on its own backend.
 * The caller runs one loop per worker (`pool.size` loops), so a job starts exactly when a
 * worker is free and the caller knows which trials are running.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { EpochRecord } from '../../metrics/history-types.js';
import type { WorkerInit, WorkerJob, WorkerReply } from './protocol.js';

/** The pool was stopped (an interrupt) while jobs were running. */
export class PoolStoppedError extends Error {
  constructor() {
    super('the study was interrupted');
    this.name = 'PoolStoppedError';
  }
}

/** The job was cancelled: its worker was replaced by a fresh one (the trial's lease was lost). */
export class JobCancelledError extends Error {
  constructor() {
    super('the job was cancelled');
    this.name = 'JobCancelledError';
  }
}

/** A worker reported an unexpected error (not a diverging run). */
export class WorkerFailure extends Error {
  constructor(
    readonly remoteName: string,
    message: string,
    readonly remoteStack?: string,
  ) {
    super(message);
    this.name = remoteName;
  }
}

type Result = Extract<WorkerReply, { type: 'done' | 'failed' | 'final' | 'member' }>;

interface Slot {
  worker: Worker;
  pending: { resolve: (r: Result) => void; reject: (e: Error) => void; onEpoch?: (r: EpochRecord) => void } | null;
  /** Terminated by `replace`. */
  dead?: boolean;
}

/** Default number of workers: one per core. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

export class WorkerPool {
  private stopped = false;
  private readonly replacing = new Map<number, Promise<void>>();

  private constructor(
    private readonly slots: Slot[],
    private readonly init: WorkerInit,
  ) {}

  get size(): number {
    return this.slots.length;
  }

  /** Start `n` workers and hand each the (shared) data; resolves when all are ready. */
  static async start(n: number, init: WorkerInit): Promise<WorkerPool> {
    const pool = new WorkerPool([], init);
    const started = await Promise.allSettled(Array.from({ length: n }, () => WorkerPool.spawn(init)));
    for (const r of started) if (r.status === 'fulfilled') pool.slots.push(r.value);
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await pool.stop();
      throw failed.reason;
    }
    for (const slot of pool.slots) pool.wire(slot);
    return pool;
  }

  /** One worker, initialised with the data; resolves when it is ready. */
  private static spawn(init: WorkerInit): Promise<Slot> {
    const worker = new Worker(new URL('./worker.js', import.meta.url));
    const slot: Slot = { worker, pending: null };
    return new Promise<Slot>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      worker.once('error', onError);
      worker.on('message', (m: WorkerReply) => {
        if (m.type === 'ready') {
          worker.off('error', onError);
          resolve(slot);
        } else if (m.type === 'error') reject(new WorkerFailure(m.name, m.message, m.stack));
      });
      worker.postMessage({ type: 'init', init });
    }).catch(async (e: unknown) => {
      await worker.terminate();
      throw e;
    });
  }

  /**
   * Cancel whatever worker `index` runs by replacing it with a fresh worker; its job rejects
   * with JobCancelledError. Resolves when the new worker is ready.
   */
  async replace(index: number): Promise<void> {
    if (this.stopped) return;
    const task = (async () => {
      const old = this.slots[index];
      const p = old.pending;
      old.pending = null;
      old.dead = true;
      old.worker.removeAllListeners();
      await old.worker.terminate();
      p?.reject(new JobCancelledError());
      const fresh = await WorkerPool.spawn(this.init);
      if (this.stopped) {
        await fresh.worker.terminate();
        return;
      }
      this.slots[index] = fresh;
      this.wire(fresh);
    })();
    this.replacing.set(index, task.catch(() => undefined));
    try {
      await task;
    } finally {
      this.replacing.delete(index);
    }
  }

  private wire(slot: Slot): void {
    slot.worker.removeAllListeners('message');
    slot.worker.on('message', (m: WorkerReply) => {
      const p = slot.pending;
      if (!p) return;
      if (m.type === 'epoch') p.onEpoch?.(m.record);
      else if (m.type === 'error') {
        slot.pending = null;
        p.reject(new WorkerFailure(m.name, m.message, m.stack));
      } else if (m.type === 'done' || m.type === 'failed' || m.type === 'final' || m.type === 'member') {
        slot.pending = null;
        p.resolve(m);
      }
    });
    slot.worker.on('error', (e) => {
      const p = slot.pending;
      slot.pending = null;
      p?.reject(e);
    });
    slot.worker.on('exit', (code) => {
      const p = slot.pending;
      slot.pending = null;
      p?.reject(this.stopped ? new PoolStoppedError() : new Error(`a study worker exited with code ${code}`));
    });
  }

  /** Run one job on worker `index` (which must be idle). */
  async run(index: number, job: WorkerJob, onEpoch?: (r: EpochRecord) => void): Promise<Result> {
    await this.replacing.get(index);
    if (this.stopped) throw new PoolStoppedError();
    const slot = this.slots[index];
    if (slot.dead) throw new Error(`study worker ${index} could not be restarted`);
    if (slot.pending) throw new Error(`study worker ${index} is busy`);
    return new Promise<Result>((resolve, reject) => {
      slot.pending = { resolve, reject, onEpoch };
      slot.worker.postMessage(job);
    });
  }

  /** Terminate every worker; running jobs reject with PoolStoppedError. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(
      this.slots.map(async (s) => {
        const p = s.pending;
        s.pending = null;
        await s.worker.terminate();
        p?.reject(new PoolStoppedError());
      }),
    );
  }
}
