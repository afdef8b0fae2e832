/**
 * The lease keeper: on a timer, renews the leases of the trials running here (a trial whose
 * renewal fails runs elsewhere and is stopped here), and re-queues the trials of workers that
 * stopped renewing theirs.
 */
import type { RunnerContext, RunnerState } from './run-state.js';

export class LeaseKeeper {
  private timer: ReturnType<typeof setInterval> | null = null;
  private beating = false;
  private lastReap = 0;

  constructor(
    private readonly ctx: RunnerContext,
    private readonly state: RunnerState,
  ) {}

  /** Renew every `beatMs` until stopped. */
  start(beatMs: number): void {
    this.timer = setInterval(() => void this.beat(), beatMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Queue again the trials whose workers stopped renewing their leases; at most once per poll interval. */
  async reap(): Promise<void> {
    const { store, studyId, log, pollMs } = this.ctx;
    if (Date.now() - this.lastReap < pollMs) return;
    this.lastReap = Date.now();
    for (const t of await store.reap(studyId)) {
      this.state.counts.requeued++;
      log(`re-queued ${t.label}, seed ${t.seed}: its worker ${t.worker ?? '?'} stopped renewing its lease (attempt ${t.attempt}); it runs again`);
    }
  }

  private async beat(): Promise<void> {
    const { store, names, log, leaseSeconds } = this.ctx;
    const state = this.state;
    if (this.beating || state.stopped()) return;
    this.beating = true;
    try {
      const live = [...state.active.entries()].filter(([, a]) => !a.lost);
      if (live.length > 0) {
        const lost = new Set(await store.heartbeat(live.map(([, a]) => ({ claim: a.claim, epoch: a.epoch })), leaseSeconds));
        for (const [w, a] of live) {
          if (!lost.has(a.claim.trial.id)) continue;
          a.lost = true;
          log(`lease lost: ${a.claim.trial.label}, seed ${a.claim.trial.seed} on ${names[w]} was not renewed in time and runs elsewhere; stopping it here`);
          const pool = state.running;
          if (pool && a.training) void pool.replace(w).catch((e: unknown) => log(`could not restart worker ${names[w]}: ${(e as Error).message}`));
        }
      }
      await this.reap();
    } catch (e) {
      state.fail(e);
    } finally {
      this.beating = false;
    }
  }
}
