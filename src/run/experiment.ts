/**
 * One run, end to end and browser-safe: prepare the data with the run's options, build and
 * train the model, evaluate it once on the test set, and return everything as data (the run
 * report, the model file). The command line, the study's final model and the playground all
 * run through `runExperiment`; `writeRunFolder` (src/run/folder.ts) writes its result in Node.
 */
import { prepare, type Prepared, type RawData } from '../data/prepare.js';
import type { Sequential } from '../nn/model.js';
import { diagnoseLayers, type LayerFinding } from '../report/layers.js';
import { firstLayerWeights } from '../report/weights-image.js';
import type { Backend } from '../tensor/backend.js';
import { sharedBackend } from '../tensor/index.js';
import { Checkpoint, type Callback } from '../train/callbacks.js';
import { checkTaskOptions, type FitResult } from '../train/fit.js';
import { encodeModelFile, ensembleProba, meanValues } from './model-file.js';
import { TRAIN_LOSS_STOPPING, chooseRun, markGiven, type Choice } from './auto.js';
import { measureChoices } from './measure.js';
import { crossValidate, mostFolds, type CvSummary, type FoldScore } from './cv.js';
import { ConfigError } from '../errors.js';
import { dataOptionsSchema, mergeSpecs, resolveRun, type ResolvedRun, type RunInput } from './spec.js';
import { parseConfig } from '../validate.js';
import { trainSchema } from '../train/options.js';
import { evaluate, evaluateProbabilities, scoreValues, trainRun, type Evaluation, type RegressionEvaluation } from './train.js';
import { MAX_REGRESSION_POINTS, type RegressionReport, type RunReport } from '../report/run-report.js';

/** What a front end hooks into a run. Every field is optional. */
export interface RunHooks {
  /** Kernels for pre-processing (PCA) and training; default sharedBackend(threads). */
  backend?: Backend;
  /**
   * Threads for the kernels when no `backend` is given: a whole number from 1 to 64, or
   * 'auto' (default: one per core). Results are bit-identical for every count; where threads
   * cannot run (a page without cross-origin isolation, a page's main thread) one thread runs.
   */
  threads?: number | 'auto';
  /** Extra callbacks (live progress, pause). */
  callbacks?: Callback[];
  /** Abort between batches; the run still returns what it measured. */
  signal?: AbortSignal;
  onBatch?: (epoch: number, batch: number, batches: number, meanLoss: number) => void;
  /** Called when the data is prepared, before training starts. */
  onPrepared?: (prepared: Prepared) => void;
  /** Called when a fold of cross-validation is done. */
  onFold?: (score: FoldScore, of: number) => void;
  /** Called when a fold of the measuring cross-validation is done (a model chosen for the data; `variant`: "without bins", "with 8 bins", "the epochs"). */
  onMeasureFold?: (variant: string, score: FoldScore, of: number) => void;
  /** Called before each further network of a seed ensemble trains (number 2, 3, ... of `of`). */
  onMember?: (n: number, of: number) => void;
  /**
   * Train the further networks of a seed ensemble elsewhere (worker threads, in Node): each the
   * network `spec` describes, trained on `prepared` with one of `seeds`, exactly as here.
   * Default: one after another in this thread.
   */
  trainMembers?: (prepared: Prepared, spec: ResolvedRun, seeds: number[]) => Promise<Sequential[]>;
  /** Called with the run that will train, and what was chosen for the data when no network was given. */
  onSpec?: (spec: ResolvedRun, choices: Choice[] | null) => void;
  /** Receives the model file of each new best epoch (by the early-stopping rule): checkpoint.json. */
  onCheckpoint?: (modelFile: string, epoch: number) => Promise<void>;
  /** Report title. */
  title?: string;
  /** Name of the data source, for the report and the model file. Default: the training rows' source. */
  source?: string;
}

/** What a run produced, as plain data: structured-cloneable, so it crosses threads, and what a run folder holds. */
export interface RunOutput {
  report: RunReport;
  /** The trained model in mlplab's model file format (model.json). */
  modelFile: string;
  /** Regression: every test row's target and prediction (the report keeps at most MAX_REGRESSION_POINTS of them for its figures). */
  testValues?: { actual: Float64Array; predicted: Float64Array };
}

export interface RunResult extends RunOutput {
  /** The run as trained (options given, and what was chosen for the data). */
  spec: ResolvedRun;
  /** What was chosen for the data and why, when no network was given. */
  choices: Choice[] | null;
  /** The trained model (best weights restored when early stopping says so); the caller disposes it. */
  model: Sequential;
  /** A seed ensemble's other networks (the caller disposes them too); empty for one network. */
  members: Sequential[];
  /** Cross-validation's folds and their spread, when the run was cross-validated. */
  cv: CvSummary | null;
  prepared: Prepared;
  fit: FitResult;
  /** Classification: the test set's scores (null without a test set, or for regression). */
  test: Evaluation | null;
  /** Regression: the test set's predictions and scores (null without a test set, or for classification). */
  regression: RegressionEvaluation | null;
}

/**
 * Run one experiment: `options` is a run spec (the schema's defaults fill what it leaves out);
 * `data` is raw (prepared here with the spec's `data` options and the split seed `train.seed`)
 * or already prepared (a study's final model, a second run on the same data).
 *
 * @example
 * const result = await runExperiment({ ...PRESETS.final, train: { ...PRESETS.final.train, epochs: 20 } }, await loadSource('fashion-mnist'));
 * console.log(result.report.test?.accuracy);
 */
export async function runExperiment(options: RunInput, data: RawData | Prepared, hooks: RunHooks = {}): Promise<RunResult> {
  const started = performance.now();
  const auto = options.auto ?? options.network?.widths === undefined;
  const backend = hooks.backend ?? (await sharedBackend(hooks.threads ?? 'auto', runMemoryBytes(data)));
  const seed = parseConfig(trainSchema.shape.seed, options.train?.seed ?? 0, 'train.seed');
  // Cross-validation refits on all the training rows: the final model has no validation part.
  const cvFolds = parseConfig(trainSchema.shape.cv, options.train?.cv ?? null, 'train.cv');
  if (cvFolds !== null && 'pipeline' in data) throw new ConfigError('train.cv', cvFolds, 'null for data already prepared (cross-validation prepares each fold from the raw rows)');
  const noVal = cvFolds !== null ? { valFraction: 0 } : {};
  let spec: ResolvedRun;
  let prepared: Prepared;
  let choices: Choice[] | null = null;
  if (!auto) {
    spec = resolveRun(mergeSpecs(options, { data: noVal }));
    prepared = 'pipeline' in data ? data : prepare(data, { ...spec.data, seed: spec.train.seed }, backend);
  } else {
    // The validation part depends on the row count only; the network on the prepared features.
    const rows = data.train.rows + ('pipeline' in data ? data.val.rows : 0);
    const provisional = chooseRun({ rows, features: 1, classes: 2 }).spec;
    let dataOptions = parseConfig(dataOptionsSchema, mergeSpecs(mergeSpecs(provisional.data, options.data), noVal), 'data');
    // Bins and the epoch count are measured on the training rows (not under --cv, whose folds score the run and choose the epochs).
    const scoredByFolds = data.test === null;
    const measured = 'pipeline' in data || cvFolds !== null ? null : await measureChoices(data, options, dataOptions, { seed, backend, scoredByFolds, signal: hooks.signal, onFold: hooks.onMeasureFold });
    if (measured) dataOptions = { ...dataOptions, ...measured.data };
    prepared = 'pipeline' in data ? data : (measured?.prepared ?? prepare(data, { ...dataOptions, seed }, backend));
    const chosen = chooseRun({ rows, features: prepared.train.cols, classes: prepared.classes, regress: prepared.task === 'regress' });
    // With no validation rows (given so), the training loss decides when to stop.
    if (prepared.val.rows === 0) chosen.spec.train = { ...chosen.spec.train, earlyStopping: { ...TRAIN_LOSS_STOPPING } };
    spec = resolveRun({ ...mergeSpecs(chosen.spec, { ...options, data: dataOptions }), auto: true });
    choices = markGiven(chosen.choices, options, spec);
    if (measured?.epochs != null) {
      const most = spec.train.epochs;
      spec = { ...spec, train: { ...spec.train, epochs: measured.epochs, earlyStopping: false } };
      choices = refitLines(choices, most, measured.epochs, measured.epochsWhy!);
    }
    if (measured?.bins) choices.push(measured.bins);
    // No test set and no validation part: without a score the run would say nothing, so the rows are cross-validated.
    const fewest = mostFolds(prepared);
    if (!('pipeline' in data) && data.test === null && prepared.val.rows === 0 && options.train?.cv === undefined && fewest >= 2) {
      const k = Math.min(5, fewest);
      spec = { ...spec, train: { ...spec.train, cv: k } };
      choices.push({ option: 'score', value: `${k}-fold cross-validation`, why: 'the data has no test set, and too few rows for a validation part: the folds give the only honest score' });
    }
  }
  // Options the task cannot use are refused before any fold or network trains.
  checkTaskOptions(prepared.task, spec.train);
  hooks.onPrepared?.(prepared);
  let cv: CvSummary | null = null;
  if (spec.train.cv !== null) {
    cv = await crossValidate(spec, data as RawData, { backend, signal: hooks.signal, onFold: hooks.onFold });
    const most = spec.train.epochs;
    // The final model: all the training rows, for the epochs the folds chose.
    spec = { ...spec, train: { ...spec.train, epochs: cv.epochs, earlyStopping: false } };
    if (choices) choices = refitLines(choices, most, cv.epochs, `the mean of the best epochs of the ${cv.scores.length} cross-validation folds, each stopped on its own held-out rows`);
  }
  hooks.onSpec?.(spec, choices);
  const source = hooks.source ?? prepared.train.source ?? 'data';
  const parts = { train: prepared.train, val: prepared.val.rows > 0 ? prepared.val : null, classes: prepared.classes };
  const members: Sequential[] = [];
  const file = (model: Sequential, epoch: number, withMembers = false) =>
    encodeModelFile({
      model, ...(withMembers && members.length ? { members } : {}), pipeline: prepared.pipeline, table: prepared.table,
      classNames: prepared.classNames, classValues: prepared.classValues, run: spec, source, epoch,
    });
  const callbacks = [...(hooks.callbacks ?? [])];
  if (hooks.onCheckpoint) {
    const es = spec.train.earlyStopping;
    const save = hooks.onCheckpoint;
    // Without a validation part (and without early stopping to say), the training loss picks the epoch to keep.
    const monitor = es ? es.monitor : prepared.val.rows > 0 ? 'valLoss' : 'trainLoss';
    callbacks.unshift(new Checkpoint(async (m, epoch) => save(await file(m, epoch), epoch), monitor, es ? es.minDelta : 0));
  }
  const run = { backend, signal: hooks.signal, onBatch: hooks.onBatch, classNames: prepared.classNames };
  const { model, result } = await trainRun(parts, spec, { ...run, callbacks });
  try {
    // A seed ensemble: the other networks, each with its own seed and early stopping.
    const seeds = Array.from({ length: spec.train.ensemble - 1 }, (_, i) => spec.train.seed + i + 1);
    if (seeds.length && hooks.trainMembers && !result.aborted && !hooks.signal?.aborted) {
      hooks.onMember?.(2, spec.train.ensemble);
      members.push(...(await hooks.trainMembers(prepared, spec, seeds)));
    } else {
      for (let i = 0; i < seeds.length && !result.aborted && !hooks.signal?.aborted; i++) {
        hooks.onMember?.(i + 2, spec.train.ensemble);
        members.push((await trainRun(parts, spec, { ...run, seed: seeds[i], callbacks: hooks.callbacks })).model);
      }
    }
    // An interrupted run is evaluated too: the report says it was interrupted, and the model returned is the one scored.
    const t = prepared.test;
    const regress = prepared.task === 'regress';
    const test = t && !regress ? (members.length ? evaluateProbabilities(ensembleProba({ model, members }, t.features, t.rows), t, prepared.classes, prepared.classNames) : evaluate(model, t, prepared.classNames)) : null;
    // Regression: each network predicts the test rows once; the ensemble's prediction is their mean.
    const each = t && regress ? [model, ...members].map((m) => m.predictValues(t.features, t.rows)) : null;
    const regression = t && each ? scoreValues(meanValues(each), t) : null;
    const ensemble = members.length && t
      ? [model, ...members].map((m, i) => ({ seed: spec.train.seed + i, ...(each ? { testR2: scoreValues(each[i], t).r2 } : { testAccuracy: evaluate(m, t, prepared.classNames).accuracy }) }))
      : null;
    const first = model.hidden[0];
    const report = runReport(spec, prepared, result, test, {
      regression,
      choices,
      cv,
      ensemble,
      firstLayer: first ? firstLayerWeights(first.params[0].value.data, model.inputs, first.units, prepared.pipeline.pca !== null) : null,
      title: hooks.title ?? 'mlplab training run',
      source,
      seconds: (performance.now() - started) / 1000,
    });
    const testValues = regression && t ? { testValues: { actual: t.targets!, predicted: regression.predicted } } : {};
    return { report, modelFile: await file(model, result.bestEpoch, true), ...testValues, model, members, prepared, fit: result, test, regression, spec, choices, cv };
  } catch (e) {
    model.dispose();
    for (const m of members) m.dispose();
    throw e;
  }
}

/** The stopping and epochs lines of a run whose final networks train on all the rows for the epochs folds chose (at most `most` in each fold). */
function refitLines(choices: Choice[], most: number, epochs: number, why: string): Choice[] {
  const picked = { option: 'stopping', value: `${epochs} epochs, on all the training rows`, why };
  return choices.map((c) => {
    if (c.option === 'stopping') return picked;
    if (c.option !== 'epochs') return c;
    // A count given bounds each fold; the final count is the folds' own.
    return { ...c, value: `up to ${most} in each fold, then ${epochs}`, why: c.why === 'given' ? 'the most in each fold, as given; then the folds\' mean best epoch' : c.why };
  });
}

/** About the memory a run on `data` holds in the kernels' memory: its rows once, plus room for a model and its buffers. */
function runMemoryBytes(data: RawData | Prepared): number {
  const parts = [data.train, data.val, data.test];
  return parts.reduce((n, d) => n + (d ? d.features.length * 4 : 0), 0) + (64 << 20);
}

interface ReportExtras {
  title: string;
  source: string;
  seconds: number;
  firstLayer: RunReport['firstLayer'];
  choices: Choice[] | null;
  cv: CvSummary | null;
  ensemble: RunReport['ensemble'] | null;
  regression: RegressionEvaluation | null;
}

function runReport(spec: ResolvedRun, p: Prepared, fit: FitResult, test: Evaluation | null, o: ReportExtras): RunReport {
  return {
    title: o.title,
    createdAt: new Date().toISOString(),
    config: spec as unknown as Record<string, unknown>,
    ...(o.choices ? { choices: o.choices } : {}),
    ...(o.cv ? { cv: o.cv } : {}),
    ...(o.ensemble ? { ensemble: o.ensemble } : {}),
    ...(p.task === 'regress' ? { task: 'regress' as const, regression: { target: p.classNames[0], test: o.regression && p.test ? regressionTest(o.regression, p.test.targets!) : null } } : {}),
    data: {
      source: o.source,
      trainRows: p.train.rows,
      valRows: p.val.rows,
      testRows: p.test?.rows ?? 0,
      features: p.train.cols,
      classes: p.classes,
      classNames: p.classNames,
      steps: p.steps.map((s) => ({ name: s.name, summary: s.summary, ...(s.warning ? { warning: true } : {}) })),
      ...(p.columns ? { columns: p.columns.map((c) => ({ name: c.name, role: c.role, missing: c.missing, distinct: c.distinct, why: c.why })) } : {}),
    },
    history: fit.history,
    bestEpoch: fit.bestEpoch,
    stoppedEarly: fit.stoppedEarly ? { bestEpoch: fit.bestEpoch, restored: fit.restoredBest } : null,
    restoredBest: fit.restoredBest,
    interrupted: fit.aborted,
    test:
      test && p.test
        ? {
            accuracy: test.accuracy,
            loss: test.loss,
            report: test.report,
            confusion: test.confusion,
            predictions: Array.from(test.predicted, (predicted, index) => ({ index, predicted, actual: p.test!.labels[index] })),
          }
        : null,
    seconds: o.seconds,
    findings: diagnoseLayers(fit.history),
    firstLayer: o.firstLayer,
  };
}

/** The test scores of a regression report, with at most MAX_REGRESSION_POINTS predictions spread over the rows. */
function regressionTest(e: RegressionEvaluation, actual: Float64Array): NonNullable<RegressionReport['test']> {
  const n = e.predicted.length;
  const count = Math.min(n, MAX_REGRESSION_POINTS);
  const predictions = Array.from({ length: count }, (_, j) => {
    const index = Math.floor((j * n) / count);
    return { index, predicted: e.predicted[index], actual: actual[index] };
  });
  return { rows: e.rows, r2: e.r2, rmse: e.rmse, mae: e.mae, predictions };
}

/** Summary of a run, stored as metrics.json. */
export interface RunMetrics {
  trainRows: number;
  valRows: number;
  testRows: number;
  epochs: number;
  bestEpoch: number;
  stoppedEarly: boolean;
  restoredBest: boolean;
  interrupted: boolean;
  seconds: number;
  valLoss: number | null;
  valAccuracy: number | null;
  testLoss: number | null;
  testAccuracy: number | null;
  /** Mean recall over the test set's classes. */
  balancedAccuracy: number | null;
  macroF1: number | null;
  confusionMatrix: number[][] | null;
  classificationReport: Evaluation['report'] | null;
  classNames: string[];
  /** What the layers say (see diagnoseLayers). */
  findings: LayerFinding[];
  /** Warnings about the data (few rows in a class, duplicated rows, columns left out, ...). */
  warnings: string[];
  /** Cross-validation, when the run was cross-validated. */
  cv?: CvSummary;
  /** A seed ensemble's networks, each scored alone on the test set. */
  ensemble?: RunReport['ensemble'];
  /** 'classify' or 'regress'. */
  task: 'classify' | 'regress';
  /** Regression: R^2, RMSE and MAE on the validation part at the kept epoch and on the test set (null where there is none). */
  valR2?: number | null;
  valRmse?: number | null;
  valMae?: number | null;
  testR2?: number | null;
  testRmse?: number | null;
  testMae?: number | null;
}

/** metrics.json of a run: the report's numbers at the kept epoch and on the test set. */
export function runMetrics(r: RunReport): RunMetrics {
  const h = r.history;
  const kept = h.find((e) => e.epoch === r.bestEpoch) ?? h[h.length - 1];
  const finite = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : null);
  return {
    trainRows: r.data.trainRows,
    valRows: r.data.valRows,
    testRows: r.data.testRows,
    epochs: h.length,
    bestEpoch: r.bestEpoch,
    stoppedEarly: r.stoppedEarly != null,
    restoredBest: r.restoredBest,
    interrupted: r.interrupted,
    seconds: r.seconds,
    valLoss: finite(kept?.valLoss),
    valAccuracy: finite(kept?.valAccuracy),
    testLoss: r.test ? r.test.loss : null,
    testAccuracy: r.test ? r.test.accuracy : null,
    balancedAccuracy: r.test ? r.test.report.balancedAccuracy : null,
    macroF1: r.test ? r.test.report.macro.f1 : null,
    confusionMatrix: r.test ? r.test.confusion : null,
    classificationReport: r.test ? r.test.report : null,
    classNames: r.data.classNames,
    findings: r.findings,
    warnings: r.data.steps.filter((s) => s.warning).map((s) => s.summary.replace(/^Warning: /, '')),
    ...(r.cv ? { cv: r.cv } : {}),
    ...(r.ensemble ? { ensemble: r.ensemble } : {}),
    task: r.task ?? 'classify',
    ...(r.task === 'regress'
      ? {
          valR2: finite(kept?.valR2),
          valRmse: finite(kept?.valRmse),
          valMae: finite(kept?.valMae),
          testR2: r.regression?.test?.r2 ?? null,
          testRmse: r.regression?.test?.rmse ?? null,
          testMae: r.regression?.test?.mae ?? null,
        }
      : {}),
  };
}
