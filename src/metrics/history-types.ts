/**
 * One row of a training history: what the fit loop measured at the end of an epoch.
 * Epochs are numbered from 1. Losses are mean cross-entropy; accuracies are fractions in [0, 1].
 */
export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  trainAccuracy: number;
  valAccuracy: number;
  /** Wall-clock seconds the epoch took (training and validation). */
  seconds: number;
  learningRate?: number;
}
