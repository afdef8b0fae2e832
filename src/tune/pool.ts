/**
 * A fixed set of worker threads, each training one trial at a time on its own backend.
 * The caller runs one loop per worker (`pool.size` loops), so a job starts exactly when a
 * worker is free and the caller knows which trials are running.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { EpochRecord } from '../metrics/history-types.js';
import type { WorkerInit, WorkerJob, WorkerReply } from './protocol.js';

/** The pool was stopped (an interrupt) while jobs were running. */
export class PoolStoppedError extends Error {
  constructor() {
    super('the study was interrupted');
    this.name = 'PoolStoppedError';
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

type Result = Extract<WorkerReply, { type: 'done' | 'failed' | 'final' }>;

interface Slot {
  worker: Worker;
  pending: { resolve: (r: Result) => void; reject: (e: Error) => void; onEpoch?: (r: EpochRecord) => void } | null;
}

/** Default number of workers: one per core. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

export class WorkerPool {
  private stopped = false;

  private constructor(private readonly slots: Slot[]) {}

  get size(): number {
    return this.slots.length;
  }

  /** Start `n` workers and hand each the (shared) data; resolves when all are ready. */
  static async start(n: number, init: WorkerInit): Promise<WorkerPool> {
    const url = new URL('./worker.js', import.meta.url);
    const slots: Slot[] = [];
    const ready: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const worker = new Worker(url);
      const slot: Slot = { worker, pending: null };
      slots.push(slot);
      ready.push(
        new Promise<void>((resolve, reject) => {
          const onMessage = (m: WorkerReply) => {
            if (m.type === 'ready') {
              worker.off('error', reject);
              resolve();
            } else if (m.type === 'error') reject(new WorkerFailure(m.name, m.message, m.stack));
          };
          worker.once('error', reject);
          worker.on('message', onMessage);
        }),
      );
      worker.postMessage({ type: 'init', init });
    }
    const pool = new WorkerPool(slots);
    try {
      await Promise.all(ready);
    } catch (e) {
      await pool.stop();
      throw e;
    }
    for (const slot of slots) pool.wire(slot);
    return pool;
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
      } else if (m.type === 'done' || m.type === 'failed' || m.type === 'final') {
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
  run(index: number, job: WorkerJob, onEpoch?: (r: EpochRecord) => void): Promise<Result> {
    if (this.stopped) return Promise.reject(new PoolStoppedError());
    const slot = this.slots[index];
    if (slot.pending) return Promise.reject(new Error(`study worker ${index} is busy`));
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
