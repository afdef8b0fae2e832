import type { Sequential } from '../nn/model.js';
import type { EpochRecord } from '../metrics/history-types.js';
import type { EarlyStoppingOptions } from './options.js';

/** What callbacks see and may change while `fit` runs. */
export interface TrainContext {
  model: Sequential;
  /** Maximum number of epochs. */
  epochs: number;
  /** Set to true to stop after the current epoch. */
  stopTraining: boolean;
  history: EpochRecord[];
}

/**
 * Hooks into the training loop (in the spirit of Keras callbacks): every hook is optional,
 * a callback resets itself in `onTrainBegin`, and stops training through the context flag.
 */
export interface Callback {
  onTrainBegin?(ctx: TrainContext): void | Promise<void>;
  onEpochEnd?(record: EpochRecord, ctx: TrainContext): void | Promise<void>;
  onTrainEnd?(ctx: TrainContext): void | Promise<void>;
}

/** What early stopping and the checkpoint watch: a validation metric, or the training loss (with no validation part). */
export type Monitor = 'valLoss' | 'valAccuracy' | 'trainLoss';

/**
 * Whether `value` of the monitored metric improves on `best` by more than `minDelta` (lower
 * loss, higher accuracy). The first finite value always does. Early stopping and the
 * checkpoint share this rule, so the checkpointed epoch is the one early stopping restores.
 */
export function improves(value: number, best: number, monitor: Monitor, minDelta: number): boolean {
  if (!Number.isFinite(value)) return false;
  if (Number.isNaN(best)) return true;
  return (monitor === 'valAccuracy' ? value - best : best - value) > minDelta;
}

/**
 * Stop when the monitored validation metric has not improved by more than `minDelta` for
 * `patience` epochs; optionally put back the weights of the best epoch at the end.
 */
export class EarlyStopping implements Callback {
  bestEpoch = 0;
  bestValue = NaN;
  stoppedEpoch = 0;
  restored = false;
  private wait = 0;
  private best: Float32Array[] | null = null;

  constructor(readonly options: EarlyStoppingOptions) {}

  onTrainBegin(): void {
    this.bestEpoch = 0;
    this.bestValue = NaN;
    this.stoppedEpoch = 0;
    this.restored = false;
    this.wait = 0;
    this.best = null;
  }

  onEpochEnd(record: EpochRecord, ctx: TrainContext): void {
    const value = record[this.options.monitor];
    if (!Number.isFinite(value)) return;
    if (improves(value, this.bestValue, this.options.monitor, this.options.minDelta)) {
      this.bestValue = value;
      this.bestEpoch = record.epoch;
      this.wait = 0;
      if (this.options.restoreBest) this.best = ctx.model.snapshot();
      return;
    }
    this.wait++;
    if (this.wait >= this.options.patience) {
      this.stoppedEpoch = record.epoch;
      ctx.stopTraining = true;
    }
  }

  onTrainEnd(ctx: TrainContext): void {
    const last = ctx.history[ctx.history.length - 1];
    if (this.options.restoreBest && this.best !== null && last && last.epoch !== this.bestEpoch) {
      ctx.model.restore(this.best);
      this.restored = true;
    }
  }
}

/**
 * Save the model whenever the monitored validation metric improves, by the same rule as early
 * stopping. Saving is the caller's (a file in Node, memory in the browser), so the callback
 * itself runs anywhere.
 */
export class Checkpoint implements Callback {
  /** Epoch of the last save (0: none yet). */
  savedEpoch = 0;
  private best = NaN;

  constructor(
    private readonly save: (model: Sequential, epoch: number) => Promise<void>,
    private readonly monitor: Monitor = 'valLoss',
    private readonly minDelta = 0,
  ) {}

  onTrainBegin(): void {
    this.best = NaN;
    this.savedEpoch = 0;
  }

  async onEpochEnd(record: EpochRecord, ctx: TrainContext): Promise<void> {
    const value = record[this.monitor];
    if (!improves(value, this.best, this.monitor, this.minDelta)) return;
    this.best = value;
    this.savedEpoch = record.epoch;
    await this.save(ctx.model, record.epoch);
  }
}

/**
 * Let the event loop run between epochs, at most every `everyMs` milliseconds: a training that
 * nothing else awaits (the folds of a cross-validation) still sees a stop, a signal or a message
 * while it runs. A timer is a real turn of the loop in Node and in a worker; the cost is bounded
 * by the interval (about 1 ms, 4 ms in a browser, per interval).
 */
export class YieldToEvents implements Callback {
  private last = performance.now();

  constructor(private readonly everyMs = 100) {}

  async onEpochEnd(): Promise<void> {
    if (performance.now() - this.last < this.everyMs) return;
    await new Promise((r) => setTimeout(r, 0));
    this.last = performance.now();
  }
}
