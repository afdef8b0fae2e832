/**
 * The further networks of a run's seed ensemble trained on worker threads, one per core: each
 * thread gets the prepared data once (shared memory) and trains the networks of its seeds on
 * the same kernels as the main thread, one thread each, so every network is bit for bit the one
 * the main thread would have trained. Node only.
 */
import { handOffPrepared, sharedDataset } from '../data/handoff.js';
import type { Prepared } from '../data/prepare.js';
import { Sequential } from '../nn/model.js';
import type { ResolvedRun } from '../run/spec.js';
import { modelOptionsFor } from '../run/train.js';
import { coreCount, type Backend, type BackendName } from '../tensor/index.js';
import { WorkerPool } from '../tune/exec/pool.js';
import { recordKernels, studyKernels } from '../tune/study/kernels.js';

/** A `trainMembers` hook for runExperiment on `kernels` (the `--backend` of the run), building the networks on `backend`. */
export function membersOnThreads(kernels: BackendName, backend: Backend): (prepared: Prepared, spec: ResolvedRun, seeds: number[]) => Promise<Sequential[]> {
  return async (prepared, spec, seeds) => {
    const n = Math.max(1, Math.min(seeds.length, coreCount()));
    const pool = await WorkerPool.start(n, {
      kernels: recordKernels('--backend', { name: 'run', backend: studyKernels(kernels) }),
      threads: 1,
      data: handOffPrepared(prepared, sharedDataset),
      trialRows: null,
      source: 'run',
    });
    const out: Sequential[] = [];
    try {
      const options = modelOptionsFor(spec, prepared);
      let next = 0;
      await Promise.all(
        Array.from({ length: n }, async (_, w) => {
          while (next < seeds.length) {
            const i = next++;
            const reply = await pool.run(w, { type: 'member', id: i, run: spec, seed: seeds[i] });
            if (reply.type !== 'member') throw new Error(`an ensemble worker answered with ${reply.type}`);
            const m = Sequential.create(options, { backend, capacity: spec.train.batchSize });
            m.restore(reply.snapshot);
            out[i] = m;
          }
        }),
      );
      return out;
    } catch (e) {
      for (const m of out) m?.dispose();
      throw e;
    } finally {
      await pool.stop();
    }
  };
}
