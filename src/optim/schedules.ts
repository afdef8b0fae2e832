/**
 * Learning-rate schedules: functions from the epoch index (0-based) to a learning rate.
 * The rate is constant within an epoch, as with PyTorch's epoch-stepped schedulers.
 */
export type Schedule = (epoch: number) => number;

export function constant(learningRate: number): Schedule {
  return () => learningRate;
}

/** Multiply the rate by `gamma` every `every` epochs. */
export function stepDecay(learningRate: number, every: number, gamma: number): Schedule {
  return (epoch) => learningRate * gamma ** Math.floor(epoch / every);
}

/** Cosine annealing from `learningRate` to `minLearningRate` over `epochs` epochs. */
export function cosine(learningRate: number, epochs: number, minLearningRate = 0): Schedule {
  return (epoch) => {
    const t = Math.min(epoch, epochs) / Math.max(1, epochs);
    return minLearningRate + 0.5 * (learningRate - minLearningRate) * (1 + Math.cos(Math.PI * t));
  };
}

/**
 * Linear warm-up over the first `epochs` epochs (from rate/epochs up to the full rate),
 * then `after` takes over, counting its epochs from the end of the warm-up.
 */
export function warmup(epochs: number, after: Schedule): Schedule {
  return (epoch) => (epoch < epochs ? (after(0) * (epoch + 1)) / epochs : after(epoch - epochs));
}
