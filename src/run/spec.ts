import { z } from 'zod';
import { activationSchema, dropoutSchema, initSchema, widthSchema, type HiddenLayerOptions, type ModelOptions } from '../nn/config.js';
import { trainSchema } from '../train/options.js';
import { parseConfig } from '../validate.js';
import { ConfigError } from '../errors.js';
import { prepareSchema } from '../data/prepare.js';
import { ACTIVATIONS } from '../tensor/backend.js';

/**
 * A run described the way people talk about it (the study's vocabulary): hidden widths, the
 * activation of each layer, batch norm on/off, a dropout rate, and the training options.
 * It is the shape of `--config` files, the presets and the base model of tuning studies, and
 * becomes per-layer `ModelOptions` once the data fixes the input and class counts.
 */
const perLayer = <T extends z.ZodType>(leaf: T, what: string) => z.union([leaf, z.array(leaf).max(64, { error: 'one entry per layer, at most 64' })], { error: what });

export const networkSchema = z
  .object({
    widths: z.array(widthSchema, { error: 'a list of layer widths like [64, 64]' }).max(64, { error: 'at most 64 widths, one per hidden layer' }).describe('hidden layer widths, e.g. 128,64'),
    /** Default: widths.length. */
    layers: z
      .number({ error: 'a whole number from 0 to 64' }).int({ error: 'a whole number from 0 to 64' }).min(0, { error: 'a whole number from 0 to 64' }).max(64, { error: 'a whole number from 0 to 64' })
      .optional()
      .describe('number of hidden layers (lists are cut or their last entry repeated)'),
    activations: perLayer(activationSchema, `an activation (${ACTIVATIONS.join(', ')}) or a list of them`).default('relu').describe(`one or per-layer: ${ACTIVATIONS.join(', ')}`),
    batchNorm: perLayer(z.boolean(), 'true/false or a list of them').default(true).meta({ description: 'batch normalisation in every hidden layer', off: 'no batch normalisation' }),
    dropout: perLayer(dropoutSchema, 'a drop probability in [0, 1) or a list of them').default(0).describe('drop probability, one or per layer, in [0, 1)'),
    init: initSchema.default('auto').describe("weight initialisation: auto | he | xavier | pytorch (nn.Linear's default)"),
  })
  .strict();

/** The data options of a run: the pre-processing schema, its seed coming from `train.seed`. */
export const dataOptionsSchema = prepareSchema.omit({ seed: true });

export const runSchema = z
  .object({
    /** The network and training were chosen from the data (run/auto.ts), under the options given. */
    auto: z.boolean({ error: 'true or false' }).optional(),
    network: networkSchema,
    train: trainSchema.default(trainSchema.parse({})),
    data: dataOptionsSchema.default(dataOptionsSchema.parse({})),
  })
  .strict();

export type NetworkSpec = z.input<typeof networkSchema>;
export type RunSpec = z.input<typeof runSchema>;
/**
 * What a run is given: a run spec whose network may be left out. Without a network (or with
 * `auto: true`) mlplab chooses the network and training from the data (run/auto.ts), and the
 * options given override its choices one by one.
 */
export type RunInput = Omit<RunSpec, 'network'> & { network?: Partial<NetworkSpec> };
export type DataOptions = z.output<typeof dataOptionsSchema>;
export type ResolvedRun = z.output<typeof runSchema>;

const STUDY_DEFAULT: RunSpec = {
  network: { widths: [64, 64], activations: ['gelu', 'relu'], batchNorm: true, dropout: 0.5 },
  train: { learningRate: 0.001, batchSize: 32, weightDecay: 0.001, momentum: 0.9 },
};
const STUDY_FINAL: RunSpec = {
  network: { widths: [128, 64], activations: ['relu', 'relu'], batchNorm: true, dropout: 0.2 },
  train: { learningRate: 0.0001, batchSize: 32, weightDecay: 0.001, momentum: 0.85 },
};

/**
 * The study's two models (SEED.md): `study-default` is where tuning started, `study-final` what
 * it chose. `default` and `final` are their earlier names, kept as aliases.
 */
export const PRESETS: Record<'study-default' | 'study-final' | 'default' | 'final', RunSpec> = {
  'study-default': STUDY_DEFAULT,
  'study-final': STUDY_FINAL,
  default: STUDY_DEFAULT,
  final: STUDY_FINAL,
};

export function resolveRun(spec: unknown, context = ''): ResolvedRun {
  return parseConfig(runSchema, spec, context);
}

/** Deep-merge plain objects (arrays and scalars in `over` replace those in `base`). */
export function mergeSpecs<T>(base: T, over: unknown): T {
  if (over === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(over)) return over as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = mergeSpecs(out[k], v);
  return out as T;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Per-layer model options for a network spec, once the data fixes inputs and classes. */
export function networkToModelOptions(network: ResolvedRun['network'], inputs: number, classes: number): ModelOptions {
  const layers = network.layers ?? network.widths.length;
  const pick = <T>(value: T | T[], field: string, i: number): T => {
    if (!Array.isArray(value)) return value;
    if (value.length === 0) throw new ConfigError(`network.${field}`, value, 'a non-empty list, or a single value for all layers');
    return value[Math.min(i, value.length - 1)];
  };
  if (layers > 0 && network.widths.length === 0) throw new ConfigError('network.widths', network.widths, 'at least one width when layers > 0');
  const hidden: HiddenLayerOptions[] = [];
  for (let i = 0; i < layers; i++) {
    hidden.push({
      width: pick(network.widths, 'widths', i),
      activation: pick(network.activations, 'activations', i),
      batchNorm: pick(network.batchNorm, 'batchNorm', i),
      dropout: pick(network.dropout, 'dropout', i),
    });
  }
  return { inputs, classes, hidden, init: network.init };
}
