/**
 * Plain-language diagnostics of a training history: first whether training failed (the loss
 * overflowed or exploded, never fell, accuracy stayed at chance or a regression's R^2 at
 * zero, a whole layer died), then
 * overfitting, epochs that did not improve the model, plateaus, early stopping. Pure
 * functions, browser-safe.
 */
import type { EpochRecord } from '../metrics/history-types.js';
import { formatDuration, formatFixed, formatPercent } from '../format.js';

export type FindingKind =
  | 'non-finite'
  | 'exploded'
  | 'no-learning'
  | 'at-chance'
  | 'dead-layer'
  | 'overfitting'
  | 'wasted-epochs'
  | 'plateau'
  | 'early-stopped'
  | 'still-improving'
  | 'no-improvement';

/** One observation about a history, with the numbers behind it and a sentence for people. */
export interface Finding {
  kind: FindingKind;
  /** 'error': training failed and the model is not worth using; these come first. */
  severity: 'error' | 'warning' | 'info';
  /** The epoch the finding is about (where overfitting starts, the best epoch, ...). */
  epoch: number | null;
  message: string;
  details: Record<string, number>;
}

export interface HistoryDiagnosis {
  epochs: number;
  lastEpoch: number | null;
  bestValLossEpoch: number | null;
  bestValLoss: number | null;
  bestValAccuracyEpoch: number | null;
  bestValAccuracy: number | null;
  /** Epochs trained after the one with the lowest validation loss. */
  epochsAfterBest: number;
  /** Where validation loss turns up while training loss keeps falling, or null. */
  overfitting: {
    startEpoch: number;
    valLossAtStart: number;
    valLossAtEnd: number;
    trainLossAtStart: number;
    trainLossAtEnd: number;
  } | null;
  findings: Finding[];
  /** The findings' messages, in order. */
  sentences: string[];
}

/** Options of {@link diagnoseHistory}. */
export interface DiagnoseOptions {
  /** Set when early stopping ended the run: its best epoch and whether its weights were restored. */
  stoppedEarly?: { bestEpoch: number; restored: boolean } | null;
  /** Relative rise of (smoothed) validation loss above its minimum that counts as overfitting (default 0.03). */
  minRise?: number;
  /** Relative distance to the best validation loss within which later epochs count as a plateau (default 0.01). */
  plateauTolerance?: number;
  /**
   * The number of classes: with it the diagnosis compares the run with guessing (accuracy
   * 1 / classes, cross-entropy ln(classes)) and names a run that exploded or learned nothing.
   */
  classes?: number;
  /**
   * 'regress' for a regression's history: its validation is measured by R^2 (accuracy is NaN),
   * and a best R^2 near zero, what predicting the mean gives, is a failure.
   */
  task?: 'classify' | 'regress';
}

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;


/**
 * Centred moving average, the window shrinking at the ends. Validation loss is noisy from
 * epoch to epoch; the trend, not one lucky epoch, decides whether it is rising.
 */
function smooth(values: number[], half: number): number[] {
  return values.map((_, i) => {
    const lo = Math.max(0, i - half);
    const hi = Math.min(values.length - 1, i + half);
    let sum = 0;
    for (let j = lo; j <= hi; j++) sum += values[j];
    return sum / (hi - lo + 1);
  });
}

function argBest(values: number[], better: (a: number, b: number) => boolean): number {
  let best = -1;
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i]) && (best < 0 || better(values[i], values[best]))) best = i;
  }
  return best;
}

/**
 * Reads a training history the way a careful person would and says what it shows: where the
 * model starts to overfit (validation loss rising while training loss falls), how many epochs
 * after the best one were wasted, when the curve reached a plateau, whether early stopping
 * ended the run, whether the loss was still falling. Returns structured findings and the
 * sentences that describe them.
 * Example: `diagnoseHistory(history).sentences.join(' ')` gives "The best validation loss
 * was at epoch 37 of 400; the 363 epochs after it did not improve it. ...".
 */
export function diagnoseHistory(history: EpochRecord[], options: DiagnoseOptions = {}): HistoryDiagnosis {
  const minRise = options.minRise ?? 0.03;
  const tolerance = options.plateauTolerance ?? 0.01;
  const n = history.length;
  const findings: Finding[] = [];
  const result: HistoryDiagnosis = {
    epochs: n,
    lastEpoch: n ? history[n - 1].epoch : null,
    bestValLossEpoch: null,
    bestValLoss: null,
    bestValAccuracyEpoch: null,
    bestValAccuracy: null,
    epochsAfterBest: 0,
    overfitting: null,
    findings,
    sentences: [],
  };
  if (n === 0) return result;

  const lastEpoch = history[n - 1].epoch;
  // A run without a validation part has no validation accuracy at all: its NaN validation loss is no failure.
  const validated = history.some((r) => Number.isFinite(r.valAccuracy) || Number.isFinite(r.valR2 ?? NaN));
  const firstBad = history.findIndex(
    (r) => !Number.isFinite(r.trainLoss) || (validated && !Number.isFinite(r.valLoss)),
  );
  if (firstBad >= 0) {
    const r = history[firstBad];
    findings.push({
      kind: 'non-finite',
      severity: 'error',
      epoch: r.epoch,
      message:
        `The loss became non-finite at epoch ${r.epoch} (training ${r.trainLoss}${validated ? `, validation ${r.valLoss}` : ''}); ` +
        'later epochs carry no information. A lower learning rate or standardised features usually prevent this.',
      details: { trainLoss: r.trainLoss, valLoss: r.valLoss },
    });
  }
  // Everything below reads the finite prefix of the history.
  const h = firstBad >= 0 ? history.slice(0, firstBad) : history;
  const m = h.length;
  const val = h.map((r) => r.valLoss);
  const train = h.map((r) => r.trainLoss);

  findings.push(...failures(h, options.task === 'regress' ? undefined : options.classes));
  if (options.task === 'regress') findings.push(...meanLevel(h));

  const b = argBest(val, (a, c) => a < c);
  const ba = argBest(h.map((r) => r.valAccuracy), (a, c) => a > c);
  if (ba >= 0) {
    result.bestValAccuracyEpoch = h[ba].epoch;
    result.bestValAccuracy = h[ba].valAccuracy;
  }
  if (b < 0) return finish(result);
  const best = h[b];
  result.bestValLossEpoch = best.epoch;
  result.bestValLoss = best.valLoss;
  result.epochsAfterBest = lastEpoch - best.epoch;

  // Overfitting: the smoothed validation loss bottoms out and then rises by more than
  // minRise, while the smoothed training loss keeps falling over the same span.
  const half = Math.min(7, Math.max(1, Math.floor(m / 30)));
  const sVal = smooth(val, half);
  const sTrain = smooth(train, half);
  const sMin = argBest(sVal, (a, c) => a < c);
  const after = m - 1 - sMin;
  if (sMin >= 0 && after >= Math.max(3, half + 1)) {
    const rise = (sVal[m - 1] - sVal[sMin]) / Math.abs(sVal[sMin] || 1);
    const trainFall = (sTrain[sMin] - sTrain[m - 1]) / Math.abs(sTrain[sMin] || 1);
    if (rise >= minRise && trainFall > 0.01) {
      // Name the lowest raw epoch inside the smoothing window, so the start agrees with the best epoch quoted elsewhere.
      let s0 = sMin;
      for (let i = Math.max(0, sMin - half); i <= Math.min(m - 1, sMin + half); i++) if (val[i] < val[s0]) s0 = i;
      const start = h[s0];
      const end = h[m - 1];
      result.overfitting = {
        startEpoch: start.epoch,
        valLossAtStart: start.valLoss,
        valLossAtEnd: end.valLoss,
        trainLossAtStart: start.trainLoss,
        trainLossAtEnd: end.trainLoss,
      };
      findings.push({
        kind: 'overfitting',
        severity: 'warning',
        epoch: start.epoch,
        message:
          `The model overfits from about epoch ${start.epoch}: validation loss rose from ${formatFixed(start.valLoss, 3)} ` +
          `to ${formatFixed(end.valLoss, 3)} by epoch ${end.epoch} (+${formatPercent(rise, 0)} on the smoothed curve) while training loss ` +
          `kept falling, from ${formatFixed(start.trainLoss, 3)} to ${formatFixed(end.trainLoss, 3)}. ` +
          'More dropout or weight decay, or stopping earlier, would help.',
        details: { rise, trainFall, smoothingWindow: 2 * half + 1 },
      });
    }
  }

  const stopped = options.stoppedEarly ?? null;
  const epochsAfter = lastEpoch - best.epoch;
  const secondsAfter = h.slice(b + 1).reduce((s, r) => s + (Number.isFinite(r.seconds) ? r.seconds : 0), 0);
  const secondsAll = h.reduce((s, r) => s + (Number.isFinite(r.seconds) ? r.seconds : 0), 0);
  if (stopped) {
    const kept = stopped.restored
      ? `the weights of epoch ${stopped.bestEpoch} were restored`
      : `the weights were not restored, so the model is the one of epoch ${lastEpoch}`;
    findings.push({
      kind: 'early-stopped',
      severity: 'info',
      epoch: stopped.bestEpoch,
      message:
        `Early stopping ended training at epoch ${lastEpoch}, ${lastEpoch - stopped.bestEpoch} ` +
        `epoch${lastEpoch - stopped.bestEpoch === 1 ? '' : 's'} after the best epoch (${stopped.bestEpoch}); ${kept}.`,
      details: { stoppedAt: lastEpoch, bestEpoch: stopped.bestEpoch, restored: stopped.restored ? 1 : 0 },
    });
  } else if (firstBad < 0 && epochsAfter >= Math.max(5, Math.ceil(0.1 * n))) {
    const time = secondsAfter > 0
      ? ` They took ${formatDuration(secondsAfter)}, ${formatPercent(secondsAfter / secondsAll, 0)} of the training time; early stopping would have saved it.`
      : ' Early stopping would have saved them.';
    findings.push({
      kind: 'wasted-epochs',
      severity: 'warning',
      epoch: best.epoch,
      message:
        `The best validation loss (${formatFixed(best.valLoss, 3)}) was at epoch ${best.epoch} of ${lastEpoch}; ` +
        `the ${epochsAfter} epoch${epochsAfter === 1 ? '' : 's'} after it did not improve it.${time}`,
      details: { bestEpoch: best.epoch, epochsAfter, secondsAfter },
    });
  }

  // Plateau: the first epoch already within `tolerance` of the best loss, well before the best.
  const near = val.findIndex((v) => v <= best.valLoss + tolerance * Math.abs(best.valLoss));
  if (near >= 0 && near < b && best.epoch - h[near].epoch >= Math.max(5, Math.ceil(0.1 * n))) {
    const gain = (val[near] - best.valLoss) / Math.abs(val[near] || 1);
    findings.push({
      kind: 'plateau',
      severity: 'info',
      epoch: h[near].epoch,
      message:
        `Validation loss was within ${formatPercent(tolerance, 0)} of its best by epoch ${h[near].epoch}; ` +
        `the ${best.epoch - h[near].epoch} epochs from there to the best (epoch ${best.epoch}) improved it by only ` +
        `${formatPercent(gain)}.`,
      details: { plateauEpoch: h[near].epoch, bestEpoch: best.epoch, gain },
    });
  }

  if (b === 0 && m >= 3 && !stopped) {
    findings.push({
      kind: 'no-improvement',
      severity: 'warning',
      epoch: best.epoch,
      message:
        `Validation loss never improved on its first value (${formatFixed(best.valLoss, 3)} at epoch ${best.epoch}). ` +
        'The learning rate may be too high, or the model is not learning from these features.',
      details: { bestEpoch: best.epoch },
    });
  } else if (b === m - 1 && m >= 5 && firstBad < 0 && !stopped) {
    const back = Math.max(1, Math.floor(m / 10));
    const drop = (val[m - 1 - back] - val[m - 1]) / Math.abs(val[m - 1 - back] || 1);
    if (drop > tolerance) {
      findings.push({
        kind: 'still-improving',
        severity: 'info',
        epoch: best.epoch,
        message:
          `Validation loss was still falling at the last epoch (${best.epoch}): it dropped ${formatPercent(drop, 1)} ` +
          `over the last ${back} epoch${back === 1 ? '' : 's'}. Training longer may help.`,
        details: { drop, epochs: back },
      });
    }
  }

  return finish(result);
}

/**
 * A regression that learned nothing: the best validation R^2 within 0.02 of zero or below it,
 * no better than predicting the training mean for every row.
 */
function meanLevel(h: EpochRecord[]): Finding[] {
  const best = h.reduce((a, r) => (Number.isFinite(r.valR2 ?? NaN) && r.valR2! > a ? r.valR2! : a), -Infinity);
  if (!Number.isFinite(best) || best > 0.02) return [];
  return [
    {
      kind: 'at-chance',
      severity: 'error',
      epoch: null,
      message:
        `Validation R² never rose clearly above zero: its best, ${formatFixed(best, 3)}, is no better than predicting the mean for every row (R² 0). ` +
        'This model predicts nothing useful: check the learning rate and whether the features carry the target.',
      details: { bestR2: best },
    },
  ];
}

/** Failures first (stable within a severity), and the sentences in that order. */
function finish(result: HistoryDiagnosis): HistoryDiagnosis {
  result.findings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  result.sentences = result.findings.map((f) => f.message);
  return result;
}

/**
 * What makes a run a failure, read off its finite epochs: a training loss that exploded far
 * above guessing's, one that never fell, validation accuracy no better than guessing, and a
 * hidden layer whose every unit is dead at the end.
 */
function failures(h: EpochRecord[], classes: number | undefined): Finding[] {
  const out: Finding[] = [];
  const m = h.length;
  if (m === 0) return out;
  const guessLoss = classes && classes >= 2 ? Math.log(classes) : null;
  const peak = h.reduce((p, r) => (r.trainLoss > p.trainLoss ? r : p), h[0]);
  if (guessLoss !== null && peak.trainLoss > 5 * guessLoss) {
    out.push({
      kind: 'exploded',
      severity: 'error',
      epoch: peak.epoch,
      message:
        `The training loss exploded: it reached ${formatFixed(peak.trainLoss, 2)} at epoch ${peak.epoch}, against ${formatFixed(guessLoss, 2)} for guessing ` +
        `(ln ${classes}). The steps were far too large: lower the learning rate, or turn batch normalisation on.`,
      details: { peakLoss: peak.trainLoss, guessLoss },
    });
  }
  if (m >= 2 && h[m - 1].trainLoss >= h[0].trainLoss) {
    out.push({
      kind: 'no-learning',
      severity: 'error',
      epoch: h[m - 1].epoch,
      message:
        `The training loss never fell: ${formatFixed(h[0].trainLoss, 3)} at epoch ${h[0].epoch}, ${formatFixed(h[m - 1].trainLoss, 3)} at epoch ${h[m - 1].epoch}. ` +
        'The model is not learning: check the learning rate (too high or too low) and the features.',
      details: { first: h[0].trainLoss, last: h[m - 1].trainLoss },
    });
  }
  const bestAcc = h.reduce((a, r) => (Number.isFinite(r.valAccuracy) && r.valAccuracy > a ? r.valAccuracy : a), -Infinity);
  if (classes && classes >= 2 && Number.isFinite(bestAcc)) {
    const chance = 1 / classes;
    // A margin of 2 points, or a tenth of chance for many classes: within it, the model guesses.
    if (bestAcc <= chance + Math.max(0.02, chance / 10)) {
      out.push({
        kind: 'at-chance',
        severity: 'error',
        epoch: null,
        message:
          `Validation accuracy never rose above chance: its best, ${formatPercent(bestAcc, 1)}, is what guessing gives with ${classes} classes ` +
          `(${formatPercent(chance, 1)}). This model predicts nothing useful.`,
        details: { bestAccuracy: bestAcc, chance },
      });
    }
  }
  const last = h[m - 1].layers ?? [];
  for (const l of last) {
    if (l.deadFraction < 1) continue;
    let since = m - 1;
    while (since > 0 && (h[since - 1].layers?.find((x) => x.name === l.name)?.deadFraction ?? 0) >= 1) since--;
    out.push({
      kind: 'dead-layer',
      severity: 'error',
      epoch: h[since].epoch,
      message:
        `Every unit of ${l.name} (${l.units}, ${l.activation}) is dead since epoch ${h[since].epoch}: the layer outputs the same for every row, ` +
        'so no gradient reaches the layers below it and the network above sees nothing. A lower learning rate, batch normalisation, or leaky ReLU / GELU keep units alive.',
      details: { since: h[since].epoch },
    });
  }
  return out;
}
