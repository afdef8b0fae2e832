/**
 * One row of a training history: what the fit loop measured at the end of an epoch.
 * Epochs are numbered from 1. Losses are mean cross-entropy (regression: the regression loss on the standardised target);
 * accuracies are fractions in [0, 1] (NaN for regression).
 */
export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  valLoss: number;
  trainAccuracy: number;
  valAccuracy: number;
  /** The validation part's mean recall over its classes, and its macro F1: when asked for (a study scoring by them). */
  valBalancedAccuracy?: number;
  valMacroF1?: number;
  /** Regression: the validation part's R^2, root mean squared error and mean absolute error, in the target's units (accuracies are NaN). */
  valR2?: number;
  valRmse?: number;
  valMae?: number;
  /** Wall-clock seconds the epoch took (training and validation). */
  seconds: number;
  learningRate?: number;
  /** What each hidden layer did during the epoch (absent when diagnostics are off). */
  layers?: LayerStats[];
}

/** Mean and standard deviation of a set of values. */
export interface Moments {
  mean: number;
  std: number;
}

/** Size and change of one trained tensor during an epoch. */
export interface TensorStats {
  /** `hidden0.linear.weight`, ... */
  name: string;
  /** Number of entries. */
  size: number;
  /** Euclidean norm of the tensor at the end of the epoch. */
  norm: number;
  /** Norm of the loss gradient (weight decay not included), averaged over the sampled steps. */
  gradientNorm: number;
  /** Norm of the step the optimizer took divided by the norm of the tensor, averaged over the sampled steps. */
  updateRatio: number;
}

/**
 * One hidden layer over one epoch of training, measured on the training batches in training
 * mode (the pre-activation z after batch norm, the activation a before dropout).
 */
export interface LayerStats {
  /** `hidden0`, `hidden1`, ... */
  name: string;
  activation: string;
  units: number;
  /** z over every unit and training row of the epoch. */
  preActivation: Moments;
  /** a over every unit and training row of the epoch. */
  output: Moments;
  /**
   * Fraction of units that never left their activation's flat region during the epoch
   * (ReLU: z <= 0 for every row); see `saturatedFraction` for the regions.
   */
  deadFraction: number;
  /**
   * Fraction of the epoch's z values in the activation's flat region: ReLU, leaky ReLU and
   * GELU below -3; tanh beyond +-2.65 (|tanh| > 0.99); sigmoid beyond +-4.6 (outside
   * [0.01, 0.99]); never for the identity.
   */
  saturatedFraction: number;
  /** The linear weight's norm, gradient norm and update ratio (the `params[0]` numbers). */
  weightNorm: number;
  gradientNorm: number;
  updateRatio: number;
  /** Every trained tensor of the layer: linear weight and bias, then batch norm's scale and shift. */
  params: TensorStats[];
  /** Batch norm's learned scale (gamma) and shift (beta) across units, at the end of the epoch. */
  batchNorm: { scale: Moments; shift: Moments } | null;
}
