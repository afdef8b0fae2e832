import { z } from 'zod';
import { ACTIVATIONS, type Activation } from '../tensor/backend.js';
import { fields, parseConfig } from '../validate.js';

/** One hidden layer: Linear -> BatchNorm (optional) -> activation -> Dropout. */
export interface HiddenLayerOptions {
  /** Number of units, >= 1. */
  width: number;
  /** Activation after the (normalised) linear map. Default 'relu'. */
  activation?: Activation;
  /** Batch normalisation between the linear map and the activation. Default true. */
  batchNorm?: boolean;
  /** Probability of dropping each unit while training, in [0, 1). Default 0. */
  dropout?: number;
}

/** A sequential MLP classifier described as plain data. */
export interface ModelOptions {
  /** Number of input features. */
  inputs: number;
  /** Number of classes (output units). */
  classes: number;
  /** Hidden layers, first to last. An empty list gives multinomial logistic regression. */
  hidden: HiddenLayerOptions[];
  /** Weight initialisation: 'auto' uses He for ReLU-like layers and Xavier/Glorot otherwise. */
  init?: 'auto' | 'he' | 'xavier';
  /** Negative slope of leaky ReLU. Default 0.01. */
  leakySlope?: number;
  /** Batch-norm running-statistics momentum (PyTorch convention). Default 0.1. */
  batchNormMomentum?: number;
  /** Batch-norm epsilon. Default 1e-5. */
  batchNormEps?: number;
}

export type ResolvedModelOptions = Required<Omit<ModelOptions, 'hidden'>> & { hidden: Required<HiddenLayerOptions>[] };

const activation = z.enum(ACTIVATIONS, { error: `one of ${ACTIVATIONS.join(', ')}` });

const hiddenLayerSchema = z
  .object({
    width: fields.positiveInt('a whole number of units from 1 to 65536').max(65536, {
      error: 'a whole number of units from 1 to 65536',
    }),
    activation: activation.default('relu'),
    batchNorm: z.boolean({ error: 'true or false' }).default(true),
    dropout: fields.probability('a drop probability in [0, 1)').default(0),
  })
  .strict();

const modelSchema = z
  .object(
    {
    inputs: fields.positiveInt('a whole number of input features >= 1'),
    classes: fields.positiveInt('a whole number of classes >= 2').min(2, { error: 'a whole number of classes >= 2' }),
    hidden: z.array(hiddenLayerSchema, { error: 'a list of hidden layers' }).max(64, { error: 'at most 64 hidden layers' }),
    init: z.enum(['auto', 'he', 'xavier'], { error: "'auto', 'he' or 'xavier'" }).default('auto'),
    leakySlope: fields.nonNegative().default(0.01),
    batchNormMomentum: z.number({ error: 'a number in (0, 1]' }).gt(0, { error: 'a number in (0, 1]' }).max(1, { error: 'a number in (0, 1]' }).default(0.1),
    batchNormEps: fields.positive().default(1e-5),
    },
    { error: 'an object {inputs, classes, hidden: [...]}' },
  )
  .strict();

/** Validate model options and fill in defaults; throws ConfigError naming the bad field. */
export function resolveModelOptions(options: unknown, context = 'model'): ResolvedModelOptions {
  return parseConfig(modelSchema, options, context) as ResolvedModelOptions;
}
