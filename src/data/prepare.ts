import { z } from 'zod';
import { DataError } from '../errors.js';
import { getBackend, type Backend } from '../tensor/index.js';
import { fields, parseConfig } from '../validate.js';
import { checkDataset, classCounts, countClasses, selectRows, type Dataset, type PrepStep } from './dataset.js';
import { formatCount, formatPercent } from '../format.js';
import { listClasses } from './labels.js';
import { countNulls, describeColumns, finiteRows } from './nulls.js';
import { fitPca, type PcaFit } from './pca.js';
import { Pipeline } from './pipeline.js';
import { fitScaler, type ScalerParams } from './scale.js';
import { stratifiedSplit } from './split.js';
import { tableOptionsShape } from './table/plan.js';
import type { TableEncoder } from './table/encoder.js';
import type { ColumnPlan } from './table/plan.js';
import { encodeParts, planTable, tableWarnings } from './table/steps.js';
import { targetStep, type Task } from './labels.js';

/**
 * Pre-processing choices, validated once here; the run spec's `data` section and the study's
 * `data` section are this schema (without the seed, which comes from the run). Every field is
 * optional; the defaults are the study's setup.
 */
export const prepareSchema = z
  .object({
    /** Dropping rows is the study's step; tables keep their rows and fill the blanks. */
    nulls: z
      .enum(['impute', 'drop', 'refuse'], { error: "'impute', 'drop' or 'refuse'" })
      .optional()
      .describe('blank/NaN cells: impute (fitted on the training rows; the default for tables) | drop the rows (the default for arrays, the study\'s choice) | refuse'),
    ...tableOptionsShape,
    scale: z.enum(['none', 'standard', 'minmax'], { error: "'none', 'standard' or 'minmax'" }).default('standard').describe('feature scaling fitted on the training part: standard | minmax | none'),
    pca: z
      .union([fields.positiveInt('a number of components >= 1'), z.null()], { error: 'a number of components >= 1, or null' })
      .default(null)
      .describe('reduce features to k principal components fitted on the training part (none, null in a config file, keeps all)'),
    /** 0 holds out none. */
    valFraction: z
      .number({ error: 'a fraction in [0, 1)' }).min(0, { error: 'a fraction in [0, 1)' }).lt(1, { error: 'a fraction in [0, 1)' })
      .default(0.1)
      .describe('fraction of the training rows held out (stratified, seeded) for validation'),
    /** Seed of the validation split. */
    seed: z.number({ error: 'a whole number' }).int({ error: 'a whole number' }).default(0),
  })
  .strict();

export type PrepareOptions = z.input<typeof prepareSchema>;
export type ResolvedPrepareOptions = z.output<typeof prepareSchema>;
/** The defaults, as the schema fills them in. */
export const PREPARE_DEFAULTS: ResolvedPrepareOptions = prepareSchema.parse({});

/** What `prepare` takes: loaded training rows, an optional test set, optionally a separate validation set. */
export interface RawData {
  train: Dataset;
  test: Dataset | null;
  /** Labelled rows used whole for validation instead of a held-out fraction of `train`. */
  val?: Dataset | null;
  /** What loading did (files, formats, shapes); they open the prepared data's steps. */
  notes?: PrepStep[];
}

export interface Prepared {
  /** The training part, transformed. */
  train: Dataset;
  /** The validation part (0 rows when valFraction is 0 and no validation set is given), transformed with the training fit. */
  val: Dataset;
  /** The test set, transformed with the training fit; never used for fitting. */
  test: Dataset | null;
  /** Scaling and PCA, fitted on the training part: numbers in, the network's inputs out. */
  pipeline: Pipeline;
  /** What loading and each pre-processing step did, in order. */
  steps: PrepStep[];
  /** Classification, or regression (the datasets carry `targets`). */
  task: Task;
  /** Number of classes: largest label + 1 over training and test labels; 1 (one output) for regression. */
  classes: number;
  classNames: string[];
  /** The label value of each class, when the source's labels were numbers other than 0..K-1 (see Dataset.classValues). */
  classValues?: number[];
  /**
   * Where each prepared row came from: its index in the raw training rows (for `train`, and
   * for `val` when it was held out of them), in the raw validation set (when one was given),
   * and in the raw test set.
   */
  origin: { train: Int32Array; val: Int32Array; test: Int32Array | null };
  /** The fitted PCA, when there is one (explained variance for reports). */
  pcaFit?: PcaFit;
  /** A table's fitted encoder (raw cells to numbers), applied before `pipeline`; null for arrays of numbers. */
  table: TableEncoder | null;
  /** What each column of a table is (data info's column table). */
  columns?: ColumnPlan[];
}


const identity = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

/** A dataset that names its source, for messages. */
type Named = Dataset & { source: string };
const named = (d: Dataset, fallback: string): Named => (d.source === undefined ? { ...d, source: fallback } : (d as Named));

/**
 * Check and prepare loaded data: drop (or refuse) rows with NaN/infinite values, hold out a
 * stratified validation part, fit scaling and PCA on the training part only and apply them to
 * validation and test. Each step is reported in `steps`.
 *
 * @example
 * const prepared = prepare(await loadSource('fashion-mnist'), { pca: 128, valFraction: 0.1, seed: 1 });
 * prepared.train.cols; // 128
 */
export function prepare(raw: RawData, options: PrepareOptions = {}, backend: Backend = getBackend()): Prepared {
  const o = parseConfig(prepareSchema, options, 'data');
  const steps: PrepStep[] = [...(raw.notes ?? [])];
  let train = named(raw.train, 'training data');
  let test = raw.test ? named(raw.test, 'test data') : null;
  let trainRows: Int32Array = identity(train.rows);
  let testRows: Int32Array | null = test ? identity(test.rows) : null;
  checkDataset(train);
  if (test) {
    checkDataset(test);
    if (test.cols !== train.cols && !(train.table?.named && test.table?.named)) {
      throw new DataError(test.source, `has ${test.cols} features per row, but the training data (${train.source}) has ${train.cols}`);
    }
  }
  // Tables keep their rows and fill the blanks; arrays (the study's data) drop them.
  const nulls = o.nulls ?? (train.table ? 'impute' : 'drop');
  // Imputing an array makes it a table of numeric columns, so the one encoder fills the blanks.
  if (nulls === 'impute' && !train.table) {
    train = asTable(train);
    if (test) test = asTable(test);
  }

  // 1. The columns of a table: what each is, and what is left out.
  const plans = train.table ? planTable(train, o, steps) : null;
  const used = plans ? plans.filter((p) => p.role !== 'ignored').map((p) => p.index) : null;

  // 2. NaN and infinite values, per file (in the columns used).
  const nullInfo = [train, test].filter((d): d is Named => d !== null).map((d) => ({ d, count: countNulls(d.features, d.rows, d.cols, columnsOf(d, used, train)) }));
  const bad = nullInfo.filter((x) => x.count.rows > 0);
  const describe = (x: (typeof nullInfo)[number]) =>
    `${formatCount(x.count.rows)} of ${formatCount(x.d.rows)} rows of ${x.d.source} (${formatCount(x.count.values)} values; ${describeColumns(x.count.perColumn, 6, x.d.table?.names)})`;
  if (bad.length === 0) {
    steps.push({
      name: 'nulls',
      summary: `No ${train.table ? 'blank, NaN' : 'NaN'} or infinite values in ${nullInfo.map((x) => `${formatCount(x.d.rows)} rows of ${x.d.source}`).join(' or ')}`,
      details: { dropped: 0 },
    });
  } else if (nulls === 'refuse') {
    throw new DataError(bad[0].d.source, `missing, NaN or infinite values in ${bad.map(describe).join('; ')}. help: --nulls impute fills them (fitted on the training rows), --nulls drop drops those rows`);
  } else if (nulls === 'impute') {
    steps.push({ name: 'nulls', summary: `Missing values to impute: ${bad.map(describe).join('; ')}`, details: nullDetails(nullInfo, train), warning: true });
  } else {
    steps.push({ name: 'nulls', summary: `Dropped rows holding missing, NaN or infinite values: ${bad.map(describe).join('; ')}`, details: nullDetails(nullInfo, train), warning: true });
    // Only the files that hold such rows are copied.
    for (const x of bad) {
      if (x.d === train) {
        trainRows = finiteRows(train, columnsOf(train, used, train));
        train = selectRows(train, trainRows) as Named;
      } else if (test) {
        testRows = finiteRows(test, columnsOf(test, used, train));
        test = selectRows(test, testRows) as Named;
      }
    }
    if (train.rows === 0) throw new DataError(train.source, 'every row holds a missing, NaN or infinite value; nothing is left to train on. help: --nulls impute fills them instead');
  }

  // Regression: rows without a target are dropped (or refused) here; the target is described, not counted in classes.
  if (train.targets) {
    const kept = knownTargets(train, test, nulls, steps);
    train = kept.train;
    trainRows = Int32Array.from(kept.trainRows, (i) => trainRows[i]);
    if (test && kept.test) {
      testRows = Int32Array.from(kept.testRows!, (i) => testRows![i]);
      test = kept.test;
    }
    steps.push(targetStep(train.targets!, train.classNames?.[0] ?? 'target', train.source));
  }
  const regress = train.targets !== undefined;

  // 3. Classes: as many as the source named (a class may have no rows), at least up to the largest label.
  const classNames = train.classNames ?? test?.classNames;
  const classes = regress ? 1 : Math.max(countClasses(train, test), classNames?.length ?? 0);
  if (classes < 2 && !regress) {
    const only = classNames?.[0] ?? train.classValues?.[0] ?? 0;
    throw new DataError(train.source, `holds a single class (${JSON.stringify(String(only))}) in its labels; a classifier needs at least two (is the label column the right one?)`);
  }
  const classValues = train.classValues ?? test?.classValues;
  if (classValues && classValues.length !== classes) {
    throw new DataError(train.source, `has ${classValues.length} class values for ${classes} classes`);
  }
  if (classNames && classNames.length < classes) {
    throw new DataError(train.source, `has labels up to ${classes - 1} but only ${classNames.length} class names`);
  }
  const names = classNames ?? (regress ? ['target'] : Array.from({ length: classes }, (_, i) => String(i)));
  if (!regress) classSteps(train, test, classes, names, classNames, classValues, steps);

  // 4. Validation part: a separate set, or held out of the training rows, stratified; the test set is not looked at.
  const separate = raw.val ? validationSet(raw.val, train, regress ? Infinity : classes, nulls, used) : null;
  const valFraction = separate ? 0 : o.valFraction;
  const { train: trIdx, val: vaIdx } = stratifiedSplit(train.labels, valFraction, o.seed);
  if (trIdx.length === 0) throw new DataError(train.source, `has ${train.rows} rows; holding out ${formatPercent(o.valFraction, 0)} for validation leaves none to train on`);
  const whole = train;
  let trainPart = valFraction > 0 ? selectRows(whole, trIdx, `${whole.source} (training part)`) : whole;
  let valPart = separate ? separate.data : selectRows(whole, vaIdx, `${whole.source} (validation part)`);
  const origin = {
    train: Int32Array.from(trIdx, (i) => trainRows[i]),
    val: separate ? separate.rows : Int32Array.from(vaIdx, (i) => trainRows[i]),
    test: testRows,
  };
  if (separate) steps.push(separate.step);
  else steps.push({
    name: 'split',
    summary:
      valFraction > 0
        ? `Held out ${formatCount(valPart.rows)} of ${formatCount(whole.rows)} training rows for validation (${formatPercent(o.valFraction, 0)}, stratified by ${regress ? "the target's deciles" : 'class'}, seed ${o.seed})` +
          (test ? `; the ${formatCount(test.rows)} test rows are kept for the final evaluation` : '')
        : `All ${formatCount(whole.rows)} training rows used for training (no validation part)`,
    details: { train: trainPart.rows, val: valPart.rows, test: test?.rows ?? 0, valFraction, seed: o.seed },
  });

  // 5. A table's columns become numbers: the encoder is fitted on the training part.
  let table: TableEncoder | null = null;
  if (plans) {
    const encoded = encodeParts(trainPart, valPart, test, plans, o, steps);
    table = encoded.encoder;
    trainPart = encoded.train;
    valPart = encoded.val;
    test = encoded.test as Named | null;
  }
  steps.push(...tableWarnings.duplicates(trainPart, valPart, test));

  // 6. Scaling, fitted on the training part; 0/1 columns of an encoded table are left as they are.
  let scaler: ScalerParams | null = null;
  if (o.scale !== 'none') {
    const keep = table?.zeroOne();
    scaler = fitScaler(trainPart.features, trainPart.rows, trainPart.cols, o.scale, keep);
    let constant = 0;
    for (let c = 0; c < trainPart.cols; c++) if (scaler.scale[c] === 1 && !keep?.[c] && isConstant(trainPart, c)) constant++;
    const zeroOne = keep ? keep.filter(Boolean).length : 0;
    const scaled = trainPart.cols - zeroOne;
    steps.push({
      name: 'scale',
      summary:
        (o.scale === 'standard'
          ? `Standardised ${scaled} ${scaled === 1 ? 'feature' : 'features'} to mean 0 and standard deviation 1`
          : `Scaled ${scaled} ${scaled === 1 ? 'feature' : 'features'} onto [0, 1] (min-max)`) +
        `, fitted on the ${formatCount(trainPart.rows)} training rows only` +
        (zeroOne ? `; ${zeroOne} 0/1 columns left as they are` : '') +
        (constant ? `; ${constant} constant features left at 0` : ''),
      details: { kind: o.scale, constantFeatures: constant, zeroOne },
    });
  }

  // 7. PCA, fitted on the (scaled) training part.
  let pcaFit: PcaFit | undefined;
  if (o.pca !== null) {
    const scaled = scaler ? new Pipeline(trainPart.cols, scaler).transform(trainPart.features, trainPart.rows, backend) : trainPart.features;
    pcaFit = fitPca(scaled, trainPart.rows, trainPart.cols, o.pca, backend);
    const total = pcaFit.explainedVarianceRatio.reduce((a, b) => a + b, 0);
    steps.push({
      name: 'pca',
      summary:
        `PCA ${trainPart.cols} -> ${o.pca} components, fitted on the ${formatCount(trainPart.rows)} training rows only; ` +
        `they explain ${formatPercent(total, 1)} of the variance (first: ${pcaFit.explainedVarianceRatio.slice(0, 3).map((r) => formatPercent(r, 1)).join(', ')})`,
      details: { k: o.pca, from: trainPart.cols, explainedVarianceRatio: pcaFit.explainedVarianceRatio, total },
    });
  }

  const pipeline = Pipeline.fitted(trainPart.cols, scaler, pcaFit ?? null);
  const apply = (d: Dataset): Dataset => {
    if (pipeline.isIdentity) return d;
    return { ...d, features: pipeline.transform(d.features, d.rows, backend), cols: pipeline.outputCols };
  };
  return {
    train: apply(trainPart),
    val: apply(valPart),
    test: test ? apply(test) : null,
    pipeline,
    table,
    ...(plans ? { columns: plans } : {}),
    steps,
    task: regress ? 'regress' : 'classify',
    classes,
    classNames: names,
    ...(classValues ? { classValues } : {}),
    origin,
    ...(pcaFit ? { pcaFit } : {}),
  };
}

/** The classes step and the class warnings (few rows, no test rows, a label that looks like a quantity). */
function classSteps(train: Named, test: Named | null, classes: number, names: string[], classNames: string[] | undefined, classValues: number[] | undefined, steps: PrepStep[]): void {
  const counts = classCounts(train.labels, classes);
  const absent = counts.flatMap((n, c) => (n === 0 ? [c] : []));
  const nameOf = (c: number) => (classNames ? `${c} (${classNames[c]})` : String(c));
  let fewest = Infinity, most = 0;
  for (const n of counts) {
    if (n < fewest) fewest = n;
    if (n > most) most = n;
  }
  steps.push({
    name: 'classes',
    summary:
      `${formatCount(classes)} classes: ${listClasses(names)}; training rows per class from ${formatCount(fewest)} to ${formatCount(most)}` +
      (absent.length ? `. Warning: no training rows for class ${listClasses(absent.map(nameOf))}` : ''),
    details: { classes, counts, absent },
    warning: absent.length > 0 || undefined,
  });
  steps.push(...tableWarnings.classes(train, test, counts, names, classValues));
}

/** Rows whose target is a number: the others are dropped with a count, or refused (nulls 'refuse'). */
function knownTargets(train: Named, test: Named | null, nulls: 'impute' | 'drop' | 'refuse', steps: PrepStep[]) {
  const keep = (d: Named) => {
    const rows: number[] = [];
    for (let r = 0; r < d.rows; r++) if (Number.isFinite(d.targets![r])) rows.push(r);
    return Int32Array.from(rows);
  };
  const trainRows = keep(train);
  const testRows = test?.targets ? keep(test) : null;
  const dropped = [[train, trainRows], [test, testRows]].filter(([d, r]) => d && r && (r as Int32Array).length < (d as Named).rows) as [Named, Int32Array][];
  if (dropped.length === 0) return { train, trainRows, test, testRows };
  const what = dropped.map(([d, r]) => `${formatCount(d.rows - r.length)} of ${formatCount(d.rows)} rows of ${d.source}`).join(' and ');
  if (nulls === 'refuse') throw new DataError(dropped[0][0].source, `${what} have no target (NaN or infinite). help: --nulls drop leaves those rows out`);
  steps.push({ name: 'target', summary: `Left out ${what}: no target (NaN or infinite)`, details: { dropped: dropped.map(([d, r]) => ({ source: d.source, rows: d.rows - r.length })) }, warning: true });
  const t = trainRows.length < train.rows ? (selectRows(train, trainRows) as Named) : train;
  if (t.rows === 0) throw new DataError(train.source, 'has no row with a target to learn from');
  const e = test && testRows && testRows.length < test.rows ? (selectRows(test, testRows) as Named) : test;
  return { train: t, trainRows, test: e, testRows };
}

/** An array of numbers as a table of numeric columns named by position. */
function asTable(d: Named): Named {
  const names = Array.from({ length: d.cols }, (_, j) => `column ${j}`);
  return { ...d, table: { names, named: false, kinds: names.map(() => 'number'), dictionaries: names.map(() => null), words: names.map(() => null), overflow: names.map(() => 0) } };
}

/** The columns of `d` that are used (by the training table's names), or null for all. */
function columnsOf(d: Dataset, used: number[] | null, train: Dataset): number[] | null {
  if (!used) return null;
  if (d === train || !d.table?.named || !train.table?.named) return used;
  return used.map((i) => d.table!.names.indexOf(train.table!.names[i])).filter((i) => i >= 0);
}

function nullDetails(info: { d: Dataset; count: ReturnType<typeof countNulls> }[], train: Dataset): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  for (const x of info) details[x.d === train ? 'train' : 'test'] = { rows: x.count.rows, values: x.count.values, perColumn: Object.fromEntries(x.count.perColumn) };
  return details;
}

/**
 * A separate validation set: the same features as the training rows, rows with NaN or
 * infinite values dropped (or refused) by the same rule, labels within the training classes.
 */
function validationSet(v: Dataset, train: Named, classes: number, nulls: 'impute' | 'drop' | 'refuse', used: number[] | null): { data: Dataset; rows: Int32Array; step: PrepStep } {
  const source = v.source ?? 'validation data';
  checkDataset(v);
  if ((v.targets === undefined) !== (train.targets === undefined)) {
    throw new DataError(source, `is ${v.targets ? 'regression' : 'classification'} data, but the training data (${train.source}) is ${train.targets ? 'regression' : 'classification'} data`);
  }
  if (v.cols !== train.cols && !(v.table?.named && train.table?.named)) {
    throw new DataError(source, `has ${v.cols} features per row, but the training data (${train.source}) has ${train.cols}`);
  }
  const keep = nulls === 'impute' ? identity(v.rows) : finiteRows(v, columnsOf(v, used, train));
  if (nulls === 'refuse' && keep.length < v.rows) {
    throw new DataError(source, `${v.rows - keep.length} rows hold missing, NaN or infinite values. help: --nulls impute fills them, --nulls drop drops them`);
  }
  const clean = keep.length === v.rows ? v : selectRows(v, keep);
  for (let r = 0; r < clean.rows; r++) {
    if (clean.labels[r] >= classes) {
      throw new DataError(source, `row ${keep[r]} has label ${clean.labels[r]}, but the training data has ${classes} classes`);
    }
  }
  if (clean.rows === 0) throw new DataError(source, 'has no usable rows for validation');
  return {
    data: { ...clean, source },
    rows: keep,
    step: {
      name: 'validation',
      summary:
        `Validation part: ${formatCount(clean.rows)} rows from ${source}` +
        (keep.length < v.rows ? ` (${v.rows - keep.length} rows with NaN or infinite values dropped)` : '') +
        ', transformed with the pre-processing fitted on the training rows',
      details: { rows: clean.rows, dropped: v.rows - keep.length },
    },
  };
}

function isConstant(d: Dataset, c: number): boolean {
  const first = d.features[c];
  for (let r = 1; r < d.rows; r++) if (d.features[r * d.cols + c] !== first) return false;
  return true;
}
