/**
 * The schema of a study file: what each section may hold and its defaults. Resolving a parsed
 * file against the run options (config.ts) is where paths and values are checked.
 */
import { z } from 'zod';
import { prepareSchema } from '../../data/prepare.js';
import { earlyStoppingSchema } from '../../train/options.js';
import { fields } from '../../validate.js';
import { prunerSchema } from '../search/pruners.js';
import { loadOptionsSchema } from '../../data/resolver.js';
import { spaceSchema } from '../search/space.js';
import { STUDY_METRICS } from './metrics.js';

/** Bounds on what a study file may ask for, checked before anything is planned. */
export const MAX_VALUES = 1000;
export const MAX_TRIALS = 100_000;

const factorSchema = z
  .object({
    /** Label in tables and plots; default: the last part of the path ("momentum"). */
    name: z.string({ error: 'a short label' }).min(1, { error: 'a non-empty label' }).optional(),
    /** The run option varied, e.g. "train.momentum" or "network.widths". */
    path: z.string({ error: 'an option path such as "train.momentum"' }).min(1, { error: 'an option path such as "train.momentum"' }),
    /** The values tried, in the order shown. */
    values: z.array(z.unknown(), { error: 'a list of values to try' }).min(1, { error: 'a non-empty list of values to try' }).max(MAX_VALUES, { error: `at most ${MAX_VALUES} values` }),
  })
  .strict();

const SAMPLERS = "a sampler: 'one-at-a-time', 'grid', {\"type\": \"random\", \"trials\": N} or {\"type\": \"tpe\", \"trials\": N}";

const strategySchema = z.union(
  [
    z.literal('one-at-a-time'),
    z.literal('grid'),
    z.discriminatedUnion(
      'type',
      [
        z.object({ type: z.literal('random'), trials: fields.positiveInt('a number of configurations >= 1').max(MAX_TRIALS, { error: `at most ${MAX_TRIALS} configurations` }), seed: z.number({ error: 'a whole number' }).int({ error: 'a whole number' }).default(0) }).strict(),
        z
          .object({
            type: z.literal('tpe'),
            trials: fields.positiveInt('a number of trials >= 1').max(MAX_TRIALS, { error: `at most ${MAX_TRIALS} trials` }),
            seed: z.number({ error: 'a whole number' }).int({ error: 'a whole number' }).default(0),
            /** Trials drawn at random before the model is used (they can run in parallel). */
            startupTrials: fields.positiveInt('a number of trials >= 1').default(10),
            /** Values drawn from the good density per parameter, of which the best ratio wins. */
            candidates: fields.positiveInt('a number of candidates >= 1').default(24),
          })
          .strict(),
      ],
      { error: SAMPLERS },
    ),
  ],
  { error: SAMPLERS },
);

const combineSchema = z
  .object({
    /**
     * How a factor's value is chosen for the combined candidate: 'significant' keeps the
     * base value unless another is significantly better; 'best-mean' takes the best mean.
     */
    pick: z.enum(['significant', 'best-mean'], { error: "'significant' or 'best-mean'" }).default('significant'),
    /**
     * The cost rule: a value whose training takes more than `maxTimeRatio` times the base
     * model's time per epoch is taken only if it gains at least `minGain` (absolute, in the
     * metric's units: 0.01 is one point of accuracy, 0.01 of R², 0.01 of the target's units
     * for RMSE and MAE). The study's case: 3 layers cost 2x for < 1%.
     */
    costRule: z
      .object({
        maxTimeRatio: z.number({ error: 'a ratio >= 1' }).min(1, { error: 'a ratio >= 1' }).default(1.5),
        minGain: fields.nonNegative("a gain >= 0 in the metric's units (0.01 is one point of accuracy, or 0.01 of R²)").default(0.01),
      })
      .strict()
      .default({ maxTimeRatio: 1.5, minGain: 0.01 }),
    /**
     * Which neighbours of the candidate are run to check interactions: 'changed' moves each
     * factor the candidate changed one step either way and back to its base value; 'all'
     * moves every factor one step either way.
     */
    neighbours: z.enum(['changed', 'all'], { error: "'changed' or 'all'" }).default('changed'),
  })
  .strict();

const finalSchema = z
  .object({
    /** Train the final model and evaluate it on the test set (default true). */
    enabled: z.boolean({ error: 'true or false' }).default(true),
    epochs: fields.positiveInt().optional(),
    earlyStopping: z.union([earlyStoppingSchema, z.literal(false)], { error: 'false or {monitor, patience, minDelta, restoreBest}' }).optional(),
    /** Training rows for the final model; default: all of the training split. */
    trainRows: fields.positiveInt('a number of rows >= 1').optional(),
    /**
     * A model to train and test beside the final one, on the same data with the same final
     * training (epochs, early stopping, seed): a preset name ("final": the model the original
     * study chose) or {network, train}.
     */
    compareWith: z.unknown().optional(),
  })
  .strict();

/** The study's data: a source and the pre-processing options (the split seed included). */
const studyDataSchema = prepareSchema
  .extend({
    /** What loadSource reads: a named dataset ("fashion-mnist") or a path. */
    source: z.string({ error: 'a data source such as "fashion-mnist" or a folder of .npy files' }).min(1, { error: 'a data source' }),
    /** How a CSV source is read (as `mlplab train`'s flags): label column, header, delimiter, lines to skip. */
    labelColumn: loadOptionsSchema.shape.labelColumn,
    header: loadOptionsSchema.shape.header,
    delimiter: loadOptionsSchema.shape.delimiter,
    skipRows: loadOptionsSchema.shape.skipRows,
    /** What the label column is: classes, a number to predict, or 'auto' (as `mlplab train --task`). */
    task: loadOptionsSchema.shape.task,
    /** Use only the first N rows of the training split for the trials (keeps studies fast). */
    trainRows: fields.positiveInt('a number of rows >= 1').optional(),
  })
  .strict();

/** A study file: its data, base model, factors or space, strategy, pruner, seeds and final model. */
export const studySchema = z
  .object({
    // The name becomes a folder (studies/<name>): "." and ".." would be the current folder or its parent.
    name: z
      .string({ error: 'a study name' })
      .max(100, { error: 'a name of at most 100 characters' })
      .regex(/^(?!\.{1,2}$)[A-Za-z0-9._-]+$/, { error: 'a name of letters, digits, ".", "_" or "-" (not "." or "..")' })
      .optional(),
    data: studyDataSchema,
    /** The model every configuration starts from: a preset or a run spec (network, train). */
    base: z.unknown().default('default'),
    /** What one-at-a-time, grid and random search vary: listed values per option. */
    factors: z.array(factorSchema, { error: 'a list of factors [{path, values}]' }).min(1, { error: 'at least one factor: a study with nothing to vary is empty' }).max(100, { error: 'at most 100 factors' }).optional(),
    /** What TPE and random search over ranges sample: ranges and choices per option (instead of factors). */
    space: spaceSchema.optional(),
    strategy: strategySchema.default('one-at-a-time'),
    /** Stop unpromising trials of the search early (off by default). */
    pruner: prunerSchema.default({ type: 'none' }),
    /**
     * When later search trials depend on earlier results (TPE's suggestions, pruning), trial n
     * waits for trials 0 .. n - parallelTrials to end and uses exactly those, so results are the
     * same for any number of workers; at most this many such trials run at once.
     */
    parallelTrials: fields.positiveInt('a number of trials >= 1').max(1000, { error: 'at most 1000' }).default(2),
    /**
     * Score each trial by k-fold cross-validation over the training (and validation) rows: one
     * model per fold, the metric their mean. Null or absent: the validation part alone.
     */
    cv: z
      .union([z.number({ error: 'a whole number of folds from 2 to 20' }).int({ error: 'a whole number of folds from 2 to 20' }).min(2, { error: 'a whole number of folds from 2 to 20' }).max(20, { error: 'a whole number of folds from 2 to 20' }), z.null()], { error: 'a whole number of folds from 2 to 20, or null' })
      .default(null),
    /** Runs per configuration, each with its own seed (weights, dropout, batch order). */
    seeds: fields.positiveInt('a number of seeds >= 1').max(100, { error: 'at most 100 seeds' }).default(3),
    /** Overrides of the base model's training epochs and early stopping. */
    epochs: fields.positiveInt().optional(),
    earlyStopping: z.union([earlyStoppingSchema, z.literal(false)], { error: 'false or {monitor, patience, minDelta, restoreBest}' }).optional(),
    /**
     * What a configuration is judged by on the validation part (balanced accuracy and macro F1
     * suit imbalanced classes; R², RMSE and MAE score a regression). Absent: accuracy for
     * classes, R² for a regression (known once the data is loaded, unless data.task says).
     */
    metric: z
      .enum(STUDY_METRICS, { error: "'valAccuracy', 'valLoss', 'valBalancedAccuracy', 'valMacroF1' (classes), 'valR2', 'valRmse' or 'valMae' (a regression)" })
      .optional(),
    /** Significance level of Welch's t-test (two-sided) against the base configuration. */
    alpha: z.number({ error: 'a level in (0, 0.5]' }).gt(0, { error: 'a level in (0, 0.5]' }).max(0.5, { error: 'a level in (0, 0.5]' }).default(0.05),
    combine: combineSchema.default(combineSchema.parse({})),
    final: finalSchema.default(finalSchema.parse({})),
    /**
     * Threads for the kernels of each trial (a whole number, or 'auto'). Default: the cores
     * divided among the workers; workers x threads may not exceed the cores. Not part of the
     * study's identity: a trial's result is the same on any number of threads.
     */
    threads: z.union([fields.positiveInt('a whole number of threads >= 1, or "auto"'), z.literal('auto')], { error: 'a whole number of threads >= 1, or "auto"' }).optional(),
  })
  .strict();

export type StudyConfig = z.input<typeof studySchema>;
export type ParsedStudy = z.output<typeof studySchema>;
