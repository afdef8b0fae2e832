/**
 * One run, end to end and browser-safe: prepare the data with the run's options, build and
 * train the model, evaluate it once on the test set, and return everything as data (the run
 * report, the model file). The command line, the study's final model and the playground all
 * run through `runExperiment`; `writeRunFolder` (src/run/folder.ts) writes its result in Node.
 */
import { prepare, type Prepared, type RawData } from '../data/prepare.js';
import type { Sequential } from '../nn/model.js';
import { diagnoseLayers, type LayerFinding } from '../report/layers.js';
import type { RunReport } from '../report/run-report.js';
import { firstLayerWeights } from '../report/weights-image.js';
import type { Backend } from '../tensor/backend.js';
import { sharedBackend } from '../tensor/index.js';
import { Checkpoint, type Callback } from '../train/callbacks.js';
import type { FitResult } from '../train/fit.js';
import { encodeModelFile } from './model-file.js';
import { chooseRun, type Choice } from './auto.js';
import { dataOptionsSchema, mergeSpecs, resolveRun, type ResolvedRun, type RunInput, type RunSpec } from './spec.js';
import { parseConfig } from '../validate.js';
import { trainSchema } from '../train/options.js';
import { evaluate, trainRun, type Evaluation } from './train.js';

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
}

export interface RunResult extends RunOutput {
  /** The run as trained (options given, and what was chosen for the data). */
  spec: ResolvedRun;
  /** What was chosen for the data and why, when no network was given. */
  choices: Choice[] | null;
  /** The trained model (best weights restored when early stopping says so); the caller disposes it. */
  model: Sequential;
  prepared: Prepared;
  fit: FitResult;
  test: Evaluation | null;
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
  let spec: ResolvedRun;
  let prepared: Prepared;
  let choices: Choice[] | null = null;
  if (!auto) {
    spec = resolveRun(options);
    prepared = 'pipeline' in data ? data : prepare(data, { ...spec.data, seed: spec.train.seed }, backend);
  } else {
    // The validation part depends on the row count only; the network on the prepared features.
    const rows = data.train.rows + ('pipeline' in data ? data.val.rows : 0);
    const provisional = chooseRun({ rows, features: 1, classes: 2 }).spec;
    const dataOptions = parseConfig(dataOptionsSchema, mergeSpecs(provisional.data, options.data), 'data');
    const seed = parseConfig(trainSchema.shape.seed, options.train?.seed ?? 0, 'train.seed');
    prepared = 'pipeline' in data ? data : prepare(data, { ...dataOptions, seed }, backend);
    const chosen = chooseRun({ rows, features: prepared.train.cols, classes: prepared.classes });
    // With no validation rows (given so), the training loss decides when to stop.
    if (prepared.val.rows === 0) chosen.spec.train = { ...chosen.spec.train, earlyStopping: { monitor: 'trainLoss', patience: 10, minDelta: 0.0001, restoreBest: false } };
    spec = resolveRun({ ...mergeSpecs(chosen.spec, { ...options, data: dataOptions }), auto: true });
    choices = chosen.choices;
  }
  hooks.onPrepared?.(prepared);
  hooks.onSpec?.(spec, choices);
  const source = hooks.source ?? prepared.train.source ?? 'data';
  const modelFile = (model: Sequential, epoch: number) =>
    encodeModelFile({ model, pipeline: prepared.pipeline, table: prepared.table, classNames: prepared.classNames, classValues: prepared.classValues, run: spec, source, epoch });
  const callbacks = [...(hooks.callbacks ?? [])];
  if (hooks.onCheckpoint) {
    const es = spec.train.earlyStopping;
    const save = hooks.onCheckpoint;
    callbacks.unshift(new Checkpoint(async (m, epoch) => save(await modelFile(m, epoch), epoch), es ? es.monitor : 'valLoss', es ? es.minDelta : 0));
  }
  const val = prepared.val.rows > 0 ? prepared.val : null;
  const { model, result } = await trainRun({ train: prepared.train, val, classes: prepared.classes }, spec, {
    backend,
    callbacks,
    signal: hooks.signal,
    onBatch: hooks.onBatch,
  });
  try {
    // An interrupted run is evaluated too: the report says it was interrupted, and the model returned is the one scored.
    const test = prepared.test ? evaluate(model, prepared.test, prepared.classNames) : null;
    const first = model.hidden[0];
    const report = runReport(spec, prepared, result, test, {
      choices,
      firstLayer: first ? firstLayerWeights(first.params[0].value.data, model.inputs, first.units, prepared.pipeline.pca !== null) : null,
      title: hooks.title ?? 'mlplab training run',
      source,
      seconds: (performance.now() - started) / 1000,
    });
    return { report, modelFile: await modelFile(model, result.bestEpoch), model, prepared, fit: result, test, spec, choices };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** About the memory a run on `data` holds in the kernels' memory: its rows once, plus room for a model and its buffers. */
function runMemoryBytes(data: RawData | Prepared): number {
  const parts = [data.train, data.val, data.test];
  return parts.reduce((n, d) => n + (d ? d.features.length * 4 : 0), 0) + (64 << 20);
}

function runReport(spec: ResolvedRun, p: Prepared, fit: FitResult, test: Evaluation | null, o: { title: string; source: string; seconds: number; firstLayer: RunReport['firstLayer']; choices: Choice[] | null }): RunReport {
  return {
    title: o.title,
    createdAt: new Date().toISOString(),
    config: spec as unknown as Record<string, unknown>,
    ...(o.choices ? { choices: o.choices } : {}),
    data: {
      source: o.source,
      trainRows: p.train.rows,
      valRows: p.val.rows,
      testRows: p.test?.rows ?? 0,
      features: p.train.cols,
      classes: p.classes,
      classNames: p.classNames,
      steps: p.steps.map((s) => ({ name: s.name, summary: s.summary })),
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
  macroF1: number | null;
  confusionMatrix: number[][] | null;
  classificationReport: Evaluation['report'] | null;
  classNames: string[];
  /** What the layers say (see diagnoseLayers). */
  findings: LayerFinding[];
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
    macroF1: r.test ? r.test.report.macro.f1 : null,
    confusionMatrix: r.test ? r.test.confusion : null,
    classificationReport: r.test ? r.test.report : null,
    classNames: r.data.classNames,
    findings: r.findings,
  };
}
