import { ConfigError, DataError } from '../errors.js';
import type { Backend } from '../tensor/index.js';
import { checkDataset, classCounts, countClasses, fmtCount, selectRows, type Dataset, type PrepStep } from './dataset.js';
import { countNulls, describeColumns, finiteRows } from './nulls.js';
import { fitPca, type PcaFit } from './pca.js';
import { Pipeline } from './pipeline.js';
import { fitScaler, type ScaleKind, type ScalerParams } from './scale.js';
import { stratifiedSplit } from './split.js';

/** Pre-processing choices. Every field is optional; the defaults are the study's setup. */
export interface PrepareOptions {
  /** Rows holding NaN or infinite values: 'drop' them and report how many (default, the study's step), or 'refuse' the data. */
  nulls?: 'drop' | 'refuse';
  /** Feature scaling, fitted on the training part: 'standard' (default), 'minmax' or 'none'. */
  scale?: ScaleKind;
  /** PCA to this many components, fitted on the training part; null (default) for none. */
  pca?: number | null;
  /** Fraction of the training rows held out for validation, stratified by class. Default 0.1; 0 leaves the validation set empty. */
  valFraction?: number;
  /** Seed for the validation split. Default 0. */
  seed?: number;
  /** Kernels for PCA; default getBackend(). */
  backend?: Backend;
}

export interface Prepared {
  /** The training part, transformed. */
  train: Dataset;
  /** The validation part (0 rows when valFraction is 0), transformed with the training fit. */
  val: Dataset;
  /** The test set, transformed with the training fit; never used for fitting. */
  test: Dataset | null;
  pipeline: Pipeline;
  steps: PrepStep[];
  /** Number of classes: largest label + 1 over training and test labels. */
  classes: number;
  classNames?: string[];
  /** The fitted PCA, when there is one (explained variance for reports). */
  pcaFit?: PcaFit;
}

export const PREPARE_DEFAULTS = { nulls: 'drop', scale: 'standard', pca: null, valFraction: 0.1, seed: 0 } as const;

function resolve(opts: PrepareOptions): Required<Omit<PrepareOptions, 'backend'>> {
  const o = { ...PREPARE_DEFAULTS, ...stripUndefined(opts) };
  if (o.nulls !== 'drop' && o.nulls !== 'refuse') throw new ConfigError('nulls', o.nulls, "'drop' or 'refuse'");
  if (o.scale !== 'none' && o.scale !== 'standard' && o.scale !== 'minmax') throw new ConfigError('scale', o.scale, "'none', 'standard' or 'minmax'");
  if (o.pca !== null && !(Number.isInteger(o.pca) && o.pca >= 1)) throw new ConfigError('pca', o.pca, 'a number of components >= 1, or null');
  if (typeof o.valFraction !== 'number' || !(o.valFraction >= 0 && o.valFraction < 1)) {
    throw new ConfigError('valFraction', o.valFraction, 'a fraction in [0, 1)');
  }
  if (!Number.isInteger(o.seed)) throw new ConfigError('seed', o.seed, 'an integer');
  return o as Required<Omit<PrepareOptions, 'backend'>>;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function pct(x: number, digits = 1): string {
  return `${(100 * x).toFixed(digits)}%`;
}

/**
 * Check and prepare loaded data: drop (or refuse) rows with NaN/infinite values, hold out a
 * stratified validation part, fit scaling and PCA on the training part only and apply them to
 * validation and test. Each step is reported in `steps`.
 *
 * @example
 * const prepared = prepare(await loadSource('fashion-mnist'), { pca: 128, valFraction: 0.1, seed: 1 });
 * prepared.train.cols; // 128
 */
export function prepare(raw: { train: Dataset; test: Dataset | null }, opts: PrepareOptions = {}): Prepared {
  const o = resolve(opts);
  const steps: PrepStep[] = [];
  let train = raw.train;
  let test = raw.test;
  checkDataset(train);
  if (test) {
    checkDataset(test);
    if (test.cols !== train.cols) {
      throw new DataError(test.source, `has ${test.cols} features per row, but the training data (${train.source}) has ${train.cols}`);
    }
  }

  // 1. NaN and infinite values, per file.
  const nullInfo = [train, test].filter((d): d is Dataset => d !== null).map((d) => ({ d, count: countNulls(d.features, d.rows, d.cols) }));
  const bad = nullInfo.filter((x) => x.count.rows > 0);
  if (bad.length === 0) {
    steps.push({
      name: 'nulls',
      summary: `No NaN or infinite values in ${nullInfo.map((x) => `${fmtCount(x.d.rows)} rows of ${x.d.source}`).join(' or ')}`,
      details: { dropped: 0 },
    });
  } else {
    const describe = (x: (typeof nullInfo)[number]) =>
      `${fmtCount(x.count.rows)} of ${fmtCount(x.d.rows)} rows of ${x.d.source} (${fmtCount(x.count.values)} values; ${describeColumns(x.count.perColumn)})`;
    if (o.nulls === 'refuse') {
      throw new DataError(bad[0].d.source, `NaN or infinite values in ${bad.map(describe).join('; ')}. help: pass nulls 'drop' (--nulls drop) to drop those rows`);
    }
    const details: Record<string, unknown> = {};
    for (const x of nullInfo) {
      details[x.d === train ? 'train' : 'test'] = { rows: x.count.rows, values: x.count.values, perColumn: Object.fromEntries(x.count.perColumn) };
    }
    steps.push({ name: 'nulls', summary: `Dropped rows holding NaN or infinite values: ${bad.map(describe).join('; ')}`, details, warning: true });
    // Only the files that hold such rows are copied.
    for (const x of bad) {
      if (x.d === train) train = selectRows(train, finiteRows(train));
      else if (test) test = selectRows(test, finiteRows(test));
    }
    if (train.rows === 0) throw new DataError(train.source, 'every row holds a NaN or infinite value; nothing is left to train on');
  }

  // 2. Classes.
  const classes = countClasses(train, test);
  const classNames = train.classNames ?? test?.classNames;
  if (classNames && classNames.length < classes) {
    throw new DataError(train.source, `has labels up to ${classes - 1} but only ${classNames.length} class names`);
  }
  const counts = classCounts(train.labels, classes);
  const absent = counts.flatMap((n, c) => (n === 0 ? [c] : []));
  const nameOf = (c: number) => (classNames ? `${c} (${classNames[c]})` : String(c));
  steps.push({
    name: 'classes',
    summary:
      `${classes} classes (labels 0..${classes - 1}); training rows per class from ${fmtCount(Math.min(...counts))} to ${fmtCount(Math.max(...counts))}` +
      (absent.length ? `. Warning: no training rows for class ${absent.map(nameOf).join(', ')}` : ''),
    details: { classes, counts, absent },
    warning: absent.length > 0 || undefined,
  });

  // 3. Validation part, stratified; the test set is not looked at.
  const { train: trIdx, val: vaIdx } = stratifiedSplit(train.labels, o.valFraction, o.seed);
  if (trIdx.length === 0) throw new DataError(train.source, `has ${train.rows} rows; holding out ${pct(o.valFraction, 0)} for validation leaves none to train on`);
  const whole = train;
  const trainPart = o.valFraction > 0 ? selectRows(whole, trIdx, `${whole.source} (training part)`) : whole;
  const valPart = selectRows(whole, vaIdx, `${whole.source} (validation part)`);
  steps.push({
    name: 'split',
    summary:
      o.valFraction > 0
        ? `Held out ${fmtCount(valPart.rows)} of ${fmtCount(whole.rows)} training rows for validation (${pct(o.valFraction, 0)}, stratified by class, seed ${o.seed})` +
          (test ? `; the ${fmtCount(test.rows)} test rows are kept for the final evaluation` : '')
        : `All ${fmtCount(whole.rows)} training rows used for training (no validation part)`,
    details: { train: trainPart.rows, val: valPart.rows, test: test?.rows ?? 0, valFraction: o.valFraction, seed: o.seed },
  });

  // 4. Scaling, fitted on the training part.
  let scaler: ScalerParams | null = null;
  if (o.scale !== 'none') {
    scaler = fitScaler(trainPart.features, trainPart.rows, trainPart.cols, o.scale);
    let constant = 0;
    for (let c = 0; c < trainPart.cols; c++) if (scaler.scale[c] === 1 && isConstant(trainPart, c)) constant++;
    steps.push({
      name: 'scale',
      summary:
        (o.scale === 'standard'
          ? `Standardised ${trainPart.cols} features to mean 0 and standard deviation 1`
          : `Scaled ${trainPart.cols} features onto [0, 1] (min-max)`) +
        `, fitted on the ${fmtCount(trainPart.rows)} training rows only` +
        (constant ? `; ${constant} constant features left at 0` : ''),
      details: { kind: o.scale, constantFeatures: constant },
    });
  }

  // 5. PCA, fitted on the (scaled) training part.
  let pcaFit: PcaFit | undefined;
  if (o.pca !== null) {
    const scaled = scaler ? new Pipeline(trainPart.cols, scaler).transform(trainPart.features, trainPart.rows) : trainPart.features;
    pcaFit = fitPca(scaled, trainPart.rows, trainPart.cols, o.pca, opts.backend);
    const total = pcaFit.explainedVarianceRatio.reduce((a, b) => a + b, 0);
    steps.push({
      name: 'pca',
      summary:
        `PCA ${trainPart.cols} -> ${o.pca} components, fitted on the ${fmtCount(trainPart.rows)} training rows only; ` +
        `they explain ${pct(total)} of the variance (first: ${pcaFit.explainedVarianceRatio.slice(0, 3).map((r) => pct(r)).join(', ')})`,
      details: { k: o.pca, from: trainPart.cols, explainedVarianceRatio: pcaFit.explainedVarianceRatio, total },
    });
  }

  const pipeline = Pipeline.fitted(whole.cols, scaler, pcaFit ?? null);
  const apply = (d: Dataset): Dataset => {
    if (pipeline.isIdentity) return d;
    const out: Dataset = { ...d, features: pipeline.transform(d.features, d.rows, opts.backend), cols: pipeline.outputCols };
    return out;
  };
  return {
    train: apply(trainPart),
    val: apply(valPart),
    test: test ? apply(test) : null,
    pipeline,
    steps,
    classes,
    ...(classNames ? { classNames } : {}),
    ...(pcaFit ? { pcaFit } : {}),
  };
}

function isConstant(d: Dataset, c: number): boolean {
  const first = d.features[c];
  for (let r = 1; r < d.rows; r++) if (d.features[r * d.cols + c] !== first) return false;
  return true;
}
