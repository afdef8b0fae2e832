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

const TARGET = 'the target\'s training {mean, std}: a finite mean and a standard deviation > 0';

/** A sequential MLP classifier or regressor described as plain data. */
export const modelSchema = z
  .object(
    {
      /** 'classify' (softmax over `classes` outputs, the default) or 'regress' (one linear output). */
      task: z.enum(['classify', 'regress'], { error: "'classify' or 'regress'" }).default('classify'),
      /** Number of input features, 1 to 2^24. */
      inputs: fields.positiveInt(INPUTS).max(MAX_INPUTS, { error: INPUTS }),
      /** Number of classes (output units), 2 to 65536; 1 for regression (the default there). */
      classes: fields.positiveInt(CLASSES).max(MAX_OUTPUTS, { error: CLASSES }),
      /**
       * Regression: the target's training mean and standard deviation. The network learns
       * (y - mean) / std, and predictValues returns output x std + mean. Default {0, 1}.
       */
      target: z
        .object({ mean: z.number({ error: TARGET }).refine(Number.isFinite, { error: TARGET }), std: z.number({ error: TARGET }).positive({ error: TARGET }).refine(Number.isFinite, { error: TARGET }) }, { error: TARGET })
        .strict()
        .optional(),
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
  .strict()
  .superRefine((o, ctx) => {
    if (o.task === 'classify' && o.classes < 2) ctx.addIssue({ code: 'custom', path: ['classes'], input: o.classes, message: CLASSES });
    if (o.task === 'regress' && o.classes !== 1) ctx.addIssue({ code: 'custom', path: ['classes'], input: o.classes, message: '1 for a regression model (one output), or left out' });
    if (o.task === 'classify' && o.target !== undefined) ctx.addIssue({ code: 'custom', path: ['target'], input: o.target, message: "no target scaling for a classifier (task 'classify')" });
  });

export type HiddenLayerOptions = z.input<typeof hiddenLayerSchema>;
/** Model options; `classes` may be left out of a regression model's (it has one output). */
export type ModelOptions = Omit<z.input<typeof modelSchema>, 'classes'> & { classes?: number };
export type ResolvedModelOptions = z.output<typeof modelSchema>;

/** Validate model options and fill in defaults; throws ConfigError naming the bad field. */
export function resolveModelOptions(options: unknown, context = 'model'): ResolvedModelOptions {
  const o = options as Record<string, unknown> | null;
  const regress = o !== null && typeof o === 'object' && o.task === 'regress' && o.classes === undefined;
  return parseConfig(modelSchema, regress ? { ...o, classes: 1 } : options, context);
}
