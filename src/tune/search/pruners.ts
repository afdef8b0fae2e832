/**
 * Pruners: after every epoch a trial reports its metric, and a pruner may stop it when it is
 * unlikely to end among the good ones. Both compare a trial's best value so far with other
 * trials' best values at the same epoch:
 * - median: stop when it is worse than the median of the trials that reached this epoch
 *   (after `warmupEpochs`, and once `startupTrials` others have reached it);
 * - successive halving (asynchronous, ASHA): at rungs minEpochs, minEpochs * eta, minEpochs * eta^2, ...
 *   a trial goes on only when it is in the best 1/eta of the trials that reached that rung so far.
 * Pure functions of the curves they are given, so a decision is reproducible from the store.
 */
import { z } from 'zod';
import { fields } from '../../validate.js';

export const prunerSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('none') }).strict(),
    z
      .object({
        type: z.literal('median'),
        /** Epochs every trial trains before it can be stopped. */
        warmupEpochs: z.number({ error: 'a whole number >= 0' }).int({ error: 'a whole number >= 0' }).min(0, { error: 'a whole number >= 0' }).default(3),
        /** Other trials that must have reached an epoch before a trial is judged there. */
        startupTrials: z.number({ error: 'a whole number >= 1' }).int({ error: 'a whole number >= 1' }).min(1, { error: 'a whole number >= 1' }).default(5),
      })
      .strict(),
    z
      .object({
        type: z.literal('successive-halving'),
        /** The first rung, in epochs. */
        minEpochs: fields.positiveInt('a whole number of epochs >= 1').default(1),
        /** eta: each rung keeps the best 1/eta of the trials that reached it. */
        reductionFactor: z.number({ error: 'a whole number >= 2' }).int({ error: 'a whole number >= 2' }).min(2, { error: 'a whole number >= 2' }).default(3),
      })
      .strict(),
  ],
  { error: "a pruner {type: 'none' | 'median' | 'successive-halving', ...}" },
);

export type PrunerConfig = z.output<typeof prunerSchema>;

/** A pruner's decision: stop, and why in words. */
export interface PruneDecision {
  prune: boolean;
  reason: string;
}

/** The best value so far at each epoch of a curve (index = epoch - 1); `sign` is +1 when higher is better. */
export function bestSoFar(curve: number[], sign: 1 | -1): number[] {
  const out: number[] = [];
  let best = NaN;
  for (const v of curve) {
    if (Number.isFinite(v) && (Number.isNaN(best) || sign * (v - best) > 0)) best = v;
    out.push(best);
  }
  return out;
}

/** Judges a trial after each epoch against the curves of other trials, and may stop it. */
export interface Pruner {
  /** The pruner's type, as a study file names it. */
  readonly name: string;
  /**
   * Decide, after `epoch` (from 1), whether the trial whose metric per epoch is `curve` stops
   * (null: it goes on). `others` are the curves of the study's other trials (finished, running
   * or pruned), each as far as it got.
   */
  prune(curve: number[], others: number[][], epoch: number): PruneDecision | null;
}

/**
 * The pruner a study's config names, judging a metric where higher is better when `sign` is +1
 * (accuracy), lower when -1 (a loss); null for `none`.
 *
 * @example
 * const stop = prunerFromConfig({ type: 'median', warmupEpochs: 2, startupTrials: 3 }, 1)?.prune(curve, others, 4);
 */
export function prunerFromConfig(config: PrunerConfig, sign: 1 | -1): Pruner | null {
  if (config.type === 'median') return new MedianPruner(sign, config.warmupEpochs, config.startupTrials);
  if (config.type === 'successive-halving') return new SuccessiveHalvingPruner(sign, config.minEpochs, config.reductionFactor);
  return null;
}

/** What both pruners share: the trial's best value so far at an epoch against the others' there. */
abstract class BestSoFarPruner implements Pruner {
  abstract readonly name: string;

  constructor(readonly sign: 1 | -1) {}

  prune(curve: number[], others: number[][], epoch: number): PruneDecision | null {
    const sign = this.sign;
    const mine = bestSoFar(curve.slice(0, epoch), sign)[epoch - 1];
    if (!Number.isFinite(mine)) return { prune: true, reason: `no finite metric by epoch ${epoch}` };
    const at = others.filter((c) => c.length >= epoch).map((c) => bestSoFar(c.slice(0, epoch), sign)[epoch - 1]).filter(Number.isFinite);
    return this.judge(mine, at, epoch);
  }

  /** The decision for a trial whose best so far is `mine`, given the others' best values `at` the same epoch. */
  protected abstract judge(mine: number, at: number[], epoch: number): PruneDecision | null;
}

/** Stops a trial worse than the median of the trials that reached its epoch. */
export class MedianPruner extends BestSoFarPruner {
  readonly name = 'median';

  constructor(
    sign: 1 | -1,
    readonly warmupEpochs: number,
    readonly startupTrials: number,
  ) {
    super(sign);
  }

  protected judge(mine: number, at: number[], epoch: number): PruneDecision | null {
    if (epoch <= this.warmupEpochs || at.length < this.startupTrials) return null;
    const m = median(at);
    if (this.sign * (mine - m) < 0) {
      return { prune: true, reason: `epoch ${epoch}: best ${fmt(mine)} is worse than the median ${fmt(m)} of ${at.length} trials at that epoch` };
    }
    return null;
  }
}

/** Asynchronous successive halving: only rungs decide, each keeping the best 1/eta of the trials that reached it. */
export class SuccessiveHalvingPruner extends BestSoFarPruner {
  readonly name = 'successive-halving';

  constructor(
    sign: 1 | -1,
    readonly minEpochs: number,
    readonly reductionFactor: number,
  ) {
    super(sign);
  }

  protected judge(mine: number, at: number[], epoch: number): PruneDecision | null {
    const sign = this.sign;
    let rung = this.minEpochs;
    while (rung < epoch) rung *= this.reductionFactor;
    if (rung !== epoch) return null;
    const competing = [...at, mine].sort((x, y) => sign * (y - x));
    // The best floor(n / eta) go on; with fewer than eta trials at the rung, only the best does.
    const keep = Math.max(1, Math.floor(competing.length / this.reductionFactor));
    const threshold = competing[keep - 1];
    if (sign * (mine - threshold) < 0) {
      return { prune: true, reason: `rung at epoch ${epoch}: best ${fmt(mine)} is not in the top ${keep} of ${competing.length} trials there (threshold ${fmt(threshold)})` };
    }
    return null;
  }
}

function fmt(x: number): string {
  return String(Number(x.toPrecision(4)));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = Math.floor(s.length / 2);
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}
