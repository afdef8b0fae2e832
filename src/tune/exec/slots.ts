/**
 * The slot loop: each local worker slot claims a trial, waits (pruned searches) for the trials
 * it is judged against, trains it on its worker thread and stores the outcome; with nothing to
 * claim it asks the stage advancer for more, re-queues abandoned trials, or waits.
 */
import { metricOf } from '../study/config.js';
import type { Prepared } from '../../data/prepare.js';
import { StorageError } from '../../errors.js';
import type { EpochRecord } from '../../metrics/history-types.js';
import { direction } from '../analysis/table1.js';
import { configKey, type ResolvedStudy } from '../study/config.js';
import { subsetRows } from '../study/data.js';
import { REFERENCE_PREFIX, earlierTrials, finalRun, searchOrder } from '../study/plan.js';
import { trialConfiguration } from '../study/strategies.js';
import { isFinished, type StoredTrial, type TrialFinish } from '../storage/types.js';
import type { StageAdvancer } from './advancer.js';
import type { LeaseKeeper } from './leases.js';
import { JobCancelledError, PoolStoppedError } from './pool.js';
import type { PruneInput, WorkerJob, WorkerReply } from './protocol.js';
import type { ActiveTrial, RunnerContext, RunnerState } from './run-state.js';

/** What a slot reports as it goes (see RunnerEvents). */
export interface SlotEvents {
  onClaim?: (trial: StoredTrial, worker: string) => void;
  onEpoch?: (trial: StoredTrial, epoch: number) => void;
  onFinish?: (trial: StoredTrial, worker: string, outcome: TrialFinish, stored: boolean) => void;
}

export class SlotLoop {
  // An ended trial's curve never changes, so each is read once.
  private readonly curves = new Map<number, number[]>();

  constructor(
    private readonly ctx: RunnerContext,
    private readonly state: RunnerState,
    private readonly leases: LeaseKeeper,
    private readonly advancer: StageAdvancer,
    private readonly data: Prepared,
    /** Where the study is stored, for messages. */
    private readonly where: string,
    private readonly events: SlotEvents,
  ) {}

  /** Slot `w`'s loop, until the study is done, the runner failed or it is aborted. */
  async run(w: number): Promise<void> {
    const { store, studyId, names, leaseSeconds, pollMs, log, signal } = this.ctx;
    const state = this.state;
    while (!state.stopped()) {
      const claim = await store.claim(studyId, names[w], leaseSeconds);
      if (!claim) {
        if (await this.advancer.advance()) continue;
        if (state.done) break;
        await this.leases.reap();
        await sleep(pollMs, signal);
        continue;
      }
      const t = claim.trial;
      const entry: ActiveTrial = { claim, epoch: 0, lost: false, training: false };
      state.active.set(w, entry);
      this.events.onClaim?.(t, names[w]);
      let reply;
      try {
        const prune = await this.pruneInput(t, entry);
        if (prune === null) {
          state.active.delete(w);
          continue;
        }
        const job = jobFor(this.ctx.study, this.data, this.where, t, prune);
        const p = await state.workers();
        entry.training = true;
        reply = await p.run(w, job, (r: EpochRecord) => {
          entry.epoch = r.epoch;
          this.events.onEpoch?.(t, r.epoch);
        });
      } catch (e) {
        state.active.delete(w);
        if (e instanceof JobCancelledError) continue;
        await store.release(claim).catch(() => undefined);
        if (e instanceof PoolStoppedError) state.stopPool();
        else state.fail(e);
        break;
      }
      state.active.delete(w);
      if (entry.lost) continue;
      const outcome = finishOf(reply);
      const stored = await store.finish(claim, outcome);
      if (stored) {
        if (t.phase !== 'final') state.counts.executed++;
      } else {
        state.counts.dropped++;
        log(`lease lost: ${t.label}, seed ${t.seed} finished on ${names[w]} after its lease ran out; the result is dropped (another worker's run counts)`);
      }
      this.events.onFinish?.(t, names[w], outcome, stored);
    }
  }

  /**
   * What a pruned search trial is judged against: trial n against trials 0 .. n - parallelTrials
   * (plan.earlierTrials). It starts once they ended, whichever worker ran them, so the decision
   * is the same for any number of workers. Undefined when the trial is not judged; null when it
   * was given back (or its lease lost) while waiting.
   */
  private async pruneInput(t: StoredTrial, entry: ActiveTrial): Promise<PruneInput | undefined | null> {
    const { store, studyId, study, pollMs, signal } = this.ctx;
    if (study.pruner.type === 'none' || t.phase !== 'search') return undefined;
    for (;;) {
      const search = searchOrder(await store.trials(studyId));
      const before = earlierTrials(study, search, search.findIndex((x) => x.id === t.id));
      const open = before.filter((x) => !isFinished(x.status));
      if (open.length === 0) {
        const ended = before.filter((x) => x.status === 'done' || x.status === 'pruned');
        for (const x of ended) {
          if (!this.curves.has(x.id)) this.curves.set(x.id, (await store.epochs(x.id)).map((e) => metricOf(e, study.metric)));
        }
        return { pruner: study.pruner, others: ended.map((x) => this.curves.get(x.id)!), sign: direction(study.metric) };
      }
      // A trial it waits for went back to the queue (its worker stopped): give this one back and take that one first.
      if (entry.lost || this.state.stopped() || open.some((x) => x.status === 'queued')) {
        if (!entry.lost) await store.release(entry.claim);
        return null;
      }
      await sleep(pollMs, signal);
    }
  }
}

/** What the storage records of a worker's reply. */
function finishOf(reply: Extract<WorkerReply, { type: 'done' | 'failed' | 'final' | 'member' }>): TrialFinish {
  if (reply.type === 'member') throw new Error('a study worker answered a trial with an ensemble member');
  return reply.type === 'done'
    ? { status: reply.pruned !== undefined ? 'pruned' : 'done', result: reply.result, error: reply.pruned ?? null, history: reply.history, output: null }
    : reply.type === 'failed'
      ? { status: 'failed', result: null, error: reply.error, history: reply.history, output: null }
      : { status: 'done', result: null, error: null, history: [], output: reply.output };
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
