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

/**
 * Decide, after `epoch` (from 1), whether the trial whose metric per epoch is `curve` stops.
 * `others` are the curves of the study's other trials (finished, running or pruned), each as
 * far as it got. `sign` is +1 for a metric where higher is better (accuracy), -1 for a loss.
 */
export function shouldPrune(pruner: PrunerConfig, epoch: number, curve: number[], others: number[][], sign: 1 | -1): PruneDecision | null {
  if (pruner.type === 'none') return null;
  const mine = bestSoFar(curve.slice(0, epoch), sign)[epoch - 1];
  if (!Number.isFinite(mine)) return { prune: true, reason: `no finite metric by epoch ${epoch}` };
  const at = others.filter((c) => c.length >= epoch).map((c) => bestSoFar(c.slice(0, epoch), sign)[epoch - 1]).filter(Number.isFinite);
  const fmt = (x: number) => String(Number(x.toPrecision(4)));
  if (pruner.type === 'median') {
    if (epoch <= pruner.warmupEpochs || at.length < pruner.startupTrials) return null;
    const m = median(at);
    if (sign * (mine - m) < 0) {
      return { prune: true, reason: `epoch ${epoch}: best ${fmt(mine)} is worse than the median ${fmt(m)} of ${at.length} trials at that epoch` };
    }
    return null;
  }
  // Successive halving: only rungs decide.
  const eta = pruner.reductionFactor;
  let rung = pruner.minEpochs;
  while (rung < epoch) rung *= eta;
  if (rung !== epoch) return null;
  const competing = [...at, mine].sort((x, y) => sign * (y - x));
  // The best floor(n / eta) go on; with fewer than eta trials at the rung, only the best does.
  const keep = Math.max(1, Math.floor(competing.length / eta));
  const threshold = competing[keep - 1];
  if (sign * (mine - threshold) < 0) {
    return { prune: true, reason: `rung at epoch ${epoch}: best ${fmt(mine)} is not in the top ${keep} of ${competing.length} trials there (threshold ${fmt(threshold)})` };
  }
  return null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = Math.floor(s.length / 2);
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}
