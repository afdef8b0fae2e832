import { z } from 'zod';
import { ACTIVATIONS } from '../tensor/backend.js';
import { fields, parseConfig } from '../validate.js';

/**
 * The network's options, one zod schema each; the TypeScript types are inferred from them, so
 * every option is defined and validated in one place. The run spec (src/run/spec.ts) builds
 * its per-layer lists from the same leaves.
 */

const WIDTH = 'a whole number of units from 1 to 65536';
/** Most input features a network takes (the largest pipeline width a model file declares). */
export const MAX_INPUTS = 2 ** 24;
/** Most classes a network predicts. */
export const MAX_OUTPUTS = 65536;
const INPUTS = `a whole number of input features from 1 to ${MAX_INPUTS}`;
const CLASSES = `a whole number of classes from 2 to ${MAX_OUTPUTS}`;
/** Units of a hidden layer. */
export const widthSchema = fields.positiveInt(WIDTH).max(65536, { error: WIDTH });
/** Activation after the (normalised) linear map. */
export const activationSchema = z.enum(ACTIVATIONS, { error: `one of ${ACTIVATIONS.join(', ')}` });
/** Probability of dropping each unit while training. */
export const dropoutSchema = fields.probability('a drop probability in [0, 1)');
/**
 * Weight initialisation: 'auto' uses He for ReLU-like layers and Xavier/Glorot otherwise;
 * 'pytorch' is PyTorch's default for nn.Linear (weights and biases U(+-1/sqrt(fan_in))).
 */
export const initSchema = z.enum(['auto', 'he', 'xavier', 'pytorch'], { error: "'auto', 'he', 'xavier' or 'pytorch'" });

/** One hidden layer: Linear -> BatchNorm (optional) -> activation -> Dropout. */
export const hiddenLayerSchema = z
  .object({
    /** Number of units, 1 to 65536. */
    width: widthSchema,
    /** Default 'relu'. */
    activation: activationSchema.default('relu'),
    /** Batch normalisation between the linear map and the activation. Default true. */
    batchNorm: z.boolean({ error: 'true or false' }).default(true),
    /** Drop probability while training, in [0, 1). Default 0. */
    dropout: dropoutSchema.default(0),
  })
  .strict();

/** A sequential MLP classifier described as plain data. */
export const modelSchema = z
  .object(
    {
      /** Number of input features, 1 to 2^24. */
      inputs: fields.positiveInt(INPUTS).max(MAX_INPUTS, { error: INPUTS }),
      /** Number of classes (output units), 2 to 65536. */
      classes: fields.positiveInt(CLASSES).min(2, { error: CLASSES }).max(MAX_OUTPUTS, { error: CLASSES }),
      /** Hidden layers, first to last. An empty list gives multinomial logistic regression. */
      hidden: z.array(hiddenLayerSchema, { error: 'a list of hidden layers' }).max(64, { error: 'at most 64 hidden layers' }),
      /** Default 'auto'. */
      init: initSchema.default('auto'),
      /** Negative slope of leaky ReLU. Default 0.01. */
      leakySlope: fields.nonNegative().default(0.01),
      /** Batch-norm running-statistics momentum (PyTorch convention). Default 0.1. */
      batchNormMomentum: z.number({ error: 'a number in (0, 1]' }).gt(0, { error: 'a number in (0, 1]' }).max(1, { error: 'a number in (0, 1]' }).default(0.1),
      /** Batch-norm epsilon. Default 1e-5. */
      batchNormEps: fields.positive().default(1e-5),
    },
    { error: 'an object {inputs, classes, hidden: [...]}' },
  )
  .strict();

export type HiddenLayerOptions = z.input<typeof hiddenLayerSchema>;
export type ModelOptions = z.input<typeof modelSchema>;
export type ResolvedModelOptions = z.output<typeof modelSchema>;

/** Validate model options and fill in defaults; throws ConfigError naming the bad field. */
export function resolveModelOptions(options: unknown, context = 'model'): ResolvedModelOptions {
  return parseConfig(modelSchema, options, context);
}
