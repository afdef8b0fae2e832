import type { Sequential } from '../nn/model.js';
import type { EpochRecord } from './history.js';
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
    const sign = this.options.monitor === 'valLoss' ? 1 : -1;
    if (!Number.isFinite(value)) return;
    if (Number.isNaN(this.bestValue) || sign * (this.bestValue - value) > this.options.minDelta) {
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
