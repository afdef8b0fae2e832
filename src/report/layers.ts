/**
 * What the layers say: findings read off the per-layer statistics of a history (dying ReLU
 * units, saturation, vanishing or exploding gradients, updates out of scale with the weights),
 * each with its evidence and a fix to try. Pure and browser-safe: the report, metrics.json,
 * the study and the playground all show this list.
 */
import { formatFixed, formatPercent, formatScientific as sci } from '../format.js';
import type { EpochRecord, LayerStats } from '../metrics/history-types.js';

export type LayerFindingKind = 'dead-units' | 'saturation' | 'vanishing-gradients' | 'exploding-gradients' | 'update-ratio';

export interface LayerFinding {
  kind: LayerFindingKind;
  /** The hidden layer it is about (`hidden0`, ...). */
  layer: string;
  /** The epoch the evidence is from. */
  epoch: number;
  message: string;
}

/** The thresholds of the findings; each is documented in the README. */
export const LAYER_THRESHOLDS = {
  /** A layer with at least this share of dead units. */
  deadFraction: 0.2,
  /** A layer with at least this share of its z values in the flat region. */
  saturatedFraction: 0.25,
  /** A layer whose gradient per weight is this many times smaller than the largest layer's. */
  vanishingRatio: 100,
  /** A layer whose gradient norm grew this many times over its first epoch's. */
  explodingGrowth: 50,
  /** Update ratios outside [low, high]: steps too small to move the weights, or large enough to throw them about. */
  updateRatioLow: 1e-5,
  updateRatioHigh: 1e-2,
} as const;

const NAME: Record<string, string> = { relu: 'ReLU', leaky_relu: 'leaky ReLU', gelu: 'GELU', gelu_tanh: 'GELU (tanh)', tanh: 'tanh', sigmoid: 'sigmoid', identity: 'identity' };

/**
 * The findings of a history: the last epoch of each layer's statistics decides, and each
 * finding names the epoch its evidence was first there.
 *
 * @example
 * for (const f of diagnoseLayers(result.report.history)) console.log(f.kind, f.layer, f.message);
 */
export function diagnoseLayers(history: EpochRecord[]): LayerFinding[] {
  const epochs = history.filter((e) => e.layers && e.layers.length > 0);
  if (epochs.length === 0) return [];
  const last = epochs[epochs.length - 1];
  const first = epochs[0];
  const t = LAYER_THRESHOLDS;
  const out: LayerFinding[] = [];
  const firstEpoch = (i: number, test: (l: LayerStats) => boolean) => epochs.find((e) => test(e.layers![i]))?.epoch ?? last.epoch;

  last.layers!.forEach((l, i) => {
    const act = NAME[l.activation] ?? l.activation;
    if (l.deadFraction >= t.deadFraction) {
      const since = firstEpoch(i, (x) => x.deadFraction >= t.deadFraction);
      out.push({
        kind: 'dead-units',
        layer: l.name,
        epoch: since,
        message:
          `${l.name} (${act}): ${formatPercent(l.deadFraction, 0)} of its ${l.units} units never activated in epoch ${last.epoch} (since epoch ${since}); ` +
          'they pass no gradient and stop learning. Try a lower learning rate, batch normalisation, or leaky ReLU / GELU.',
      });
    } else if (l.activation !== 'identity' && l.saturatedFraction >= t.saturatedFraction) {
      out.push({
        kind: 'saturation',
        layer: l.name,
        epoch: firstEpoch(i, (x) => x.saturatedFraction >= t.saturatedFraction),
        message:
          `${l.name} (${act}): ${formatPercent(l.saturatedFraction, 0)} of its pre-activations were in the flat region in epoch ${last.epoch} ` +
          `(mean ${formatFixed(l.preActivation.mean, 2)}, sd ${formatFixed(l.preActivation.std, 2)}), where the gradient is nearly zero. ` +
          'Try batch normalisation, standardised inputs, a smaller initialisation or a lower learning rate.',
      });
    }
    const g0 = first.layers![i].gradientNorm;
    if (g0 > 0 && l.gradientNorm >= t.explodingGrowth * g0) {
      out.push({
        kind: 'exploding-gradients',
        layer: l.name,
        epoch: last.epoch,
        message:
          `${l.name}: the gradient norm grew from ${sci(g0)} in epoch ${first.epoch} to ${sci(l.gradientNorm)} in epoch ${last.epoch} (${Math.round(l.gradientNorm / g0)}x). ` +
          'Try a lower learning rate, batch normalisation, or weight decay.',
      });
    }
    if (l.gradientNorm > 0 && (l.updateRatio < t.updateRatioLow || l.updateRatio > t.updateRatioHigh)) {
      const small = l.updateRatio < t.updateRatioLow;
      out.push({
        kind: 'update-ratio',
        layer: l.name,
        epoch: last.epoch,
        message:
          `${l.name}: each step changed the weights by ${sci(l.updateRatio)} of their size in epoch ${last.epoch}; about 1e-3 is typical. ` +
          (small ? 'Learning is slow: try a larger learning rate (or more epochs).' : 'Steps this large throw the weights about: try a smaller learning rate.'),
      });
    }
  });

  // Vanishing gradients: a layer whose gradient per weight (comparable across layer sizes) is far below the largest layer's.
  const perWeight = last.layers!.map((l) => l.gradientNorm / Math.sqrt(Math.max(1, l.params[0]?.size ?? 1)));
  const top = perWeight.reduce((m, x) => (Number.isFinite(x) ? Math.max(m, x) : m), 0);
  if (last.layers!.length > 1 && top > 0) {
    const best = perWeight.indexOf(top);
    last.layers!.forEach((l, i) => {
      if (perWeight[i] > 0 && top / perWeight[i] >= t.vanishingRatio) {
        out.push({
          kind: 'vanishing-gradients',
          layer: l.name,
          epoch: last.epoch,
          message:
            `${l.name}: its weights get gradients ${Math.round(top / perWeight[i])}x smaller per weight than ${last.layers![best].name}'s in epoch ${last.epoch}, ` +
            'so it learns far more slowly than the layers after it. Try batch normalisation, ReLU-like activations with He initialisation, or fewer layers.',
        });
      }
    });
  }
  return out;
}
