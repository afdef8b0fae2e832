import { z } from 'zod';
import { fields, parseConfig } from '../validate.js';
import type { Sequential } from '../nn/model.js';
import { adam, adamw, sgd, type Optimizer } from '../optim/optimizers.js';
import { constant, cosine, stepDecay, warmup, type Schedule } from '../optim/schedules.js';

export const scheduleSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('constant') }).strict(),
    z.object({ type: z.literal('step'), every: fields.positiveInt(), gamma: fields.positive() }).strict(),
    z.object({ type: z.literal('cosine'), minLearningRate: fields.nonNegative().default(0) }).strict(),
  ],
  { error: "an object with type 'constant', 'step' (every, gamma) or 'cosine' (minLearningRate)" },
);

export const earlyStoppingSchema = z
  .object({
    monitor: z
      .enum(['valLoss', 'valAccuracy', 'trainLoss'], { error: "'valLoss', 'valAccuracy' or 'trainLoss'" })
      .default('valLoss')
      .describe('early stopping and checkpoint metric: valLoss | valAccuracy | trainLoss (scikit-learn\'s rule: no validation part needed)'),
    patience: fields.positiveInt().default(10).describe('early stopping: epochs without improvement before stopping'),
    minDelta: fields.nonNegative().default(0).describe('early stopping: smallest change that counts as improvement'),
    restoreBest: z.boolean({ error: 'true or false' }).default(true).meta({ description: 'early stopping: put back the weights of the best epoch at the end', off: 'keep the last weights instead of the best epoch' }),
  })
  .strict();

const FOLDS = 'a whole number of folds from 2 to 100 (or null for none)';

/** Everything about how a model is trained. Defaults are the study's default run. */
export const trainSchema = z
  .object({
    epochs: fields.positiveInt().default(100).describe('maximum number of epochs'),
    batchSize: fields.positiveInt().default(32).describe('rows per mini-batch'),
    optimizer: z.enum(['sgd', 'adam', 'adamw'], { error: "'sgd', 'adam' or 'adamw'" }).default('sgd').describe('sgd (with momentum) | adam | adamw'),
    learningRate: fields.positive('a learning rate > 0').default(0.001).describe('learning rate'),
    momentum: fields.probability('a momentum in [0, 1)').default(0.9).describe('SGD momentum in [0, 1)'),
    nesterov: z.boolean({ error: 'true or false' }).default(false).describe('Nesterov momentum'),
    weightDecay: fields.nonNegative('a weight decay >= 0').default(0.001).describe('L2 weight decay (AdamW: decoupled)'),
    beta1: fields.probability().default(0.9),
    beta2: fields.probability().default(0.999),
    eps: fields.positive().default(1e-8),
    schedule: scheduleSchema.default({ type: 'constant' }).describe('learning-rate schedule: constant | step:EVERY:GAMMA | cosine[:MIN_LR]'),
    warmupEpochs: z.number({ error: 'a whole number >= 0' }).int({ error: 'a whole number >= 0' }).min(0, { error: 'a whole number >= 0' }).default(0).describe('linear learning-rate warm-up epochs'),
    loss: z
      .enum(['auto', 'mse', 'huber', 'mae'], { error: "'auto', 'mse', 'huber' or 'mae'" })
      .default('auto')
      .describe('regression loss on the standardised target: mse (auto) | huber (delta 1) | mae; classification uses softmax cross-entropy'),
    labelSmoothing: fields.probability('a label smoothing in [0, 1)').default(0).describe('label smoothing in [0, 1)'),
    earlyStopping: z
      .union([earlyStoppingSchema, z.literal(false)], { error: 'false or {monitor, patience, minDelta, restoreBest}' })
      .default(false)
      .meta({ description: 'stop when the monitored validation metric stops improving', off: 'train for all epochs' }),
    seed: z.number({ error: 'a whole number' }).int({ error: 'a whole number' }).default(0).describe('seed for weights, dropout, shuffling and the validation split'),
    classWeight: z
      .union([z.enum(['none', 'balanced']), z.record(z.string(), fields.positive('a weight > 0'))], { error: "'none', 'balanced' or weights by class name {name: weight}" })
      .default('none')
      .describe("weigh each row's loss by its class: none | balanced (rows / (classes x rows of the class), as scikit-learn) | NAME=W,NAME=W (others 1)"),
    ensemble: fields
      .positiveInt('a whole number of networks from 1 to 64')
      .max(64, { error: 'a whole number of networks from 1 to 64' })
      .default(1)
      .describe('networks trained with seeds seed, seed+1, ...; their probabilities are averaged, in one model file'),
    cv: z
      .union([z.number({ error: FOLDS }).int({ error: FOLDS }).min(2, { error: FOLDS }).max(100, { error: FOLDS }), z.null()], { error: FOLDS })
      .default(null)
      .describe('k-fold cross-validation on the training rows (stratified, seeded): each fold scored, then the model refit on all of them for the epochs the folds chose'),
    cvRepeats: fields
      .positiveInt('a whole number of repeats from 1 to 20')
      .max(20, { error: 'a whole number of repeats from 1 to 20' })
      .default(1)
      .describe('repeat the cross-validation with other fold assignments (seed, seed+1, ...)'),
    /** A few percent of the epoch time. */
    diagnostics: z.boolean({ error: 'true or false' }).default(true).meta({
      description: "measure every hidden layer each epoch (history.json `layers`, the report's \"What the layers say\")",
      off: "skip the per-layer statistics of each epoch (history.json `layers`, the report's \"What the layers say\")",
    }),
  })
  .strict();

export type TrainOptions = z.input<typeof trainSchema>;
export type ResolvedTrainOptions = z.output<typeof trainSchema>;
export type EarlyStoppingOptions = z.output<typeof earlyStoppingSchema>;

export function resolveTrainOptions(options: unknown, context = 'train'): ResolvedTrainOptions {
  return parseConfig(trainSchema, options ?? {}, context);
}

/** The learning-rate schedule the options describe. */
export function makeSchedule(o: ResolvedTrainOptions): Schedule {
  let s: Schedule;
  const s0 = o.schedule;
  if (s0.type === 'step') s = stepDecay(o.learningRate, s0.every, s0.gamma);
  else if (s0.type === 'cosine') s = cosine(o.learningRate, Math.max(1, o.epochs - o.warmupEpochs), s0.minLearningRate);
  else s = constant(o.learningRate);
  return o.warmupEpochs > 0 ? warmup(o.warmupEpochs, s) : s;
}

/** Build the optimizer the options describe for a model. */
export function makeOptimizer(model: Sequential, o: ResolvedTrainOptions): Optimizer {
  const target = {
    backend: model.backend,
    values: model.flatValues,
    grads: model.flatGrads,
    decayedValues: model.flatValues.slice(0, model.decayedLength),
    decayedGrads: model.flatGrads.slice(0, model.decayedLength),
  };
  const learningRate = makeSchedule(o);
  switch (o.optimizer) {
    case 'sgd':
      return sgd(target, { learningRate, momentum: o.momentum, nesterov: o.nesterov, weightDecay: o.weightDecay });
    case 'adam':
      return adam(target, { learningRate, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay });
    case 'adamw':
      return adamw(target, { learningRate, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay });
  }
}
