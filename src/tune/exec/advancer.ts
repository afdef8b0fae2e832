/**
 * The stage advancer: when nothing is left to claim, moves the study on as plan.nextStage
 * decides (TPE's next suggestion, the interaction check, the repair steps, the final model) or
 * reports that trials of the stage still run. One advance at a time in this process; the
 * database arbitrates between processes.
 */
import { nextStage } from '../study/plan.js';
import type { RunnerContext, RunnerState } from './run-state.js';

export class StageAdvancer {
  private advancing: Promise<boolean> | null = null;

  constructor(
    private readonly ctx: RunnerContext,
    private readonly state: RunnerState,
    /** Whether the study's data has a test set (the final model needs one). */
    private readonly hasTest: boolean,
    /** Awaited before the stage's decisions once its last trial ended. */
    private readonly beforeAdvance?: () => Promise<void>,
  ) {}

  /** Whether there may be something to claim now; false when the study is done or its stage waits for trials running elsewhere. */
  advance(): Promise<boolean> {
    this.advancing ??= (async () => {
      try {
        return await this.step();
      } finally {
        this.advancing = null;
      }
    })();
    return this.advancing;
  }

  private async step(): Promise<boolean> {
    const { store, studyId, study, log } = this.ctx;
    const rec = await store.study(studyId);
    if (rec.stage === 'done') {
      this.state.done = true;
      return false;
    }
    const counts = await store.counts(studyId);
    if (counts.queued > 0) return true;
    // The stage's last trial ended: show what finished before the decisions that follow.
    if (counts.running === 0) await this.beforeAdvance?.();
    const next = nextStage(study, rec.stage, await store.trials(studyId), this.hasTest, log);
    // Trials of this stage still run (here or elsewhere) and none is to be added: wait for them.
    if (next.to === rec.stage && next.trials.length === 0) return false;
    const moved = await store.advance(studyId, rec.stage, next.to, next.trials);
    if (moved && next.to === 'done') this.state.done = true;
    return true;
  }
}
