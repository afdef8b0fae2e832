/** One epoch of training, as stored in history.json and shown in reports. */
export interface EpochRecord {
  /** Epoch number, from 1. */
  epoch: number;
  /** Mean training loss over the epoch's batches (dropout on, as seen while training). */
  trainLoss: number;
  /** Loss on the validation part in inference mode (NaN without a validation part). */
  valLoss: number;
  trainAccuracy: number;
  valAccuracy: number;
  /** Wall-clock seconds this epoch took, validation included. */
  seconds: number;
  learningRate: number;
}
