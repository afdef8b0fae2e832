import { join } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { loadSource } from '../data/files.js';
import type { Prepared } from '../data/prepare.js';
import type { LoadOptions } from '../data/resolver.js';
import { ConfigError } from '../errors.js';
import { formatDuration, formatFixed, formatNumber, formatPercent } from '../format.js';
import { writeFileAtomic } from '../io/files.js';
import type { EpochRecord } from '../metrics/history-types.js';
import { SUMMARY_CLASSES } from '../report/charts/confusion.js';
import { formatClassificationReport } from '../report/text.js';
import { runExperiment, type RunResult } from '../run/experiment.js';
import { RunFolderDraft, writeRunFiles } from '../run/folder.js';
import { PRESETS, mergeSpecs, resolveRun, type ResolvedRun, type RunSpec } from '../run/spec.js';
import { WasmBackend, coreCount, describeBackend, disposeBackend, loadBackend, type Backend, type BackendName } from '../tensor/index.js';
import type { Callback } from '../train/callbacks.js';
import { addDataOptions, addOverwriteOption, loadOptionsFrom, parse, readJsonFile, type ReadFlags } from './options.js';

interface TrainFlags extends ReadFlags {
  data: string;
  preset: string;
  config?: string;
  out?: string;
  epochs?: number;
  seed?: number;
  widths?: number[];
  layers?: number;
  activations?: string | string[];
  batchNorm?: boolean;
  dropout?: number | number[];
  init?: string;
  optimizer?: string;
  lr?: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
  batchSize?: number;
  schedule?: string;
  warmupEpochs?: number;
  labelSmoothing?: number;
  earlyStopping: boolean;
  diagnostics: boolean;
  patience?: number;
  minDelta?: number;
  monitor?: string;
  restoreBest: boolean;
  pca?: number | 'none';
  scale?: string;
  valFraction?: number;
  nulls?: string;
  valData?: string;
  overwrite?: boolean;
  backend: BackendName;
  threads: number | 'auto';
  quiet?: boolean;
}

/** Early stopping the command line applies unless told otherwise. */
const CLI_EARLY_STOPPING = { monitor: 'valLoss', patience: 10, minDelta: 0, restoreBest: true } as const;

export function registerTrainCommands(program: Command): void {
  const train = program
    .command('train')
    .description('train a model, evaluate it once on the test set, and write a report folder')
    .option('--data <source>', 'fashion-mnist | a folder with train_data.npy, train_label.npy, test_data.npy, test_label.npy | data.npy,labels.npy | file.csv', 'fashion-mnist')
    .option('--preset <name>', "the study's models: default (64,64 GELU/ReLU, dropout 0.5) | final (128,64 ReLU, dropout 0.2)", 'default')
    .option('--config <file>', 'JSON run config {network, train, data}; overrides the preset, flags override it')
    .option('--val-data <source>', 'labelled data used whole for validation instead of holding out --val-fraction of the training rows')
    .option('--out <dir>', 'output folder (default runs/<time>-<preset>)')
    .option('--epochs <n>', 'maximum number of epochs (default 100)', parse.int('--epochs'))
    .option('--seed <n>', 'seed for weights, dropout, shuffling and the validation split (default 0)', parse.int('--seed'));
  addNetworkOptions(train);
  addDataOptions(train);
  addOverwriteOption(train);
  train
    .option('--backend <name>', 'kernels: auto (WebAssembly SIMD where available) | wasm | reference', parse.backend, 'auto')
    .option('--threads <n>', `threads for the kernels: auto (one per core, here ${coreCount()}) or 1 to ${coreCount()}; results are the same for every count`, parse.threads, 'auto')
    .option('--quiet', 'print only the final summary')
    .action(async (flags: TrainFlags) => {
      const spec = await specFromFlags(flags);
      const out = flags.out ?? join('runs', `${timestamp()}-${flags.config ? 'config' : flags.preset}`);
      const result = await runWithProgress({
        source: flags.data,
        spec,
        out,
        title: `${flags.config ? flags.config : `the study's ${flags.preset} model`} on ${flags.data}`,
        backend: flags.backend,
        threads: flags.threads,
        quiet: flags.quiet,
        load: loadOptionsFrom(flags),
        valSource: flags.valData,
        overwrite: flags.overwrite,
      });
      printSummary(result);
      result.model.dispose();
      disposeBackend(result.kernels);
    });

  program
    .command('reproduce')
    .description("the study end to end on built-in Fashion-MNIST reduced to 128 features: the default model, then the final model, each with early stopping, then the final model's test report")
    .option('--out <dir>', 'output folder', join('runs', 'study'))
    .option('--epochs <n>', 'maximum epochs per model', parse.int('--epochs'), 100)
    .option('--seed <n>', 'seed', parse.int('--seed'), 0)
    .option('--backend <name>', 'auto | wasm | reference', parse.backend, 'auto')
    .option('--overwrite', 'replace the run folders if they exist')
    .option('--threads <n>', `threads for the kernels: auto (one per core) or 1 to ${coreCount()}`, parse.threads, 'auto')
    .action(async (flags: { out: string; epochs: number; seed: number; backend: BackendName; overwrite?: boolean; threads: number | 'auto' }) => {
      const results: FolderRun[] = [];
      for (const preset of ['default', 'final'] as const) {
        process.stdout.write(`\n== the study's ${preset} model ==\n`);
        const spec = resolveRun(
          mergeSpecs(PRESETS[preset], {
            train: { epochs: flags.epochs, seed: flags.seed, earlyStopping: CLI_EARLY_STOPPING },
            data: { pca: 128, scale: 'standard' },
          }),
        );
        const result = await runWithProgress({
          source: 'fashion-mnist',
          spec,
          out: join(flags.out, preset),
          title: `The study's ${preset} model on Fashion-MNIST (128 PCA features)`,
          backend: flags.backend,
          threads: flags.threads,
          kernels: results[0]?.kernels,
          prepared: results[0]?.prepared,
          overwrite: flags.overwrite,
        });
        results.push(result);
      }
      process.stdout.write('\n' + compareLine(results) + '\n');
      printSummary(results[1]);
      process.stdout.write(`default model report: ${join(results[0].out, 'report.html')}\n`);
      for (const r of results) r.model.dispose();
      disposeBackend(results[0].kernels);
    });
}

/** Flags for every option of the network and its training. */
export function addNetworkOptions(cmd: Command): Command {
  return cmd
    .option('--widths <list>', 'hidden layer widths, e.g. 128,64', parse.intList('--widths'))
    .option('--layers <n>', 'number of hidden layers (lists are cut or their last entry repeated)', parse.int('--layers'))
    .option('--activations <list>', 'one or per-layer: relu, gelu, gelu_tanh, tanh, sigmoid, leaky_relu, identity', parse.list)
    .option('--batch-norm', 'batch normalisation in every hidden layer')
    .option('--no-batch-norm', 'no batch normalisation')
    .option('--dropout <p>', 'drop probability, one or per layer, in [0, 1)', parse.numberOrList('--dropout'))
    .option('--init <how>', "weight initialisation: auto | he | xavier | pytorch (nn.Linear's default)")
    .option('--optimizer <name>', 'sgd (with momentum) | adam | adamw')
    .option('--lr <rate>', 'learning rate', parse.number('--lr'))
    .option('--momentum <rho>', 'SGD momentum in [0, 1)', parse.number('--momentum'))
    .option('--nesterov', 'Nesterov momentum')
    .option('--weight-decay <lambda>', 'L2 weight decay (AdamW: decoupled)', parse.number('--weight-decay'))
    .option('--batch-size <n>', 'rows per mini-batch', parse.int('--batch-size'))
    .option('--schedule <s>', 'learning-rate schedule: constant | step:EVERY:GAMMA | cosine[:MIN_LR]')
    .option('--warmup-epochs <n>', 'linear learning-rate warm-up epochs', parse.int('--warmup-epochs'))
    .option('--label-smoothing <s>', 'label smoothing in [0, 1)', parse.number('--label-smoothing'))
    .option('--no-early-stopping', 'train for all epochs')
    .option('--no-diagnostics', 'skip the per-layer statistics of each epoch (history.json `layers`, the report\'s "What the layers say")')
    .option('--patience <n>', 'early stopping: epochs without improvement before stopping (default 10)', parse.int('--patience'))
    .option('--min-delta <d>', 'early stopping: smallest change that counts as improvement', parse.number('--min-delta'))
    .option('--monitor <metric>', 'early stopping and checkpoint metric: valLoss | valAccuracy')
    .option('--no-restore-best', 'keep the last weights instead of the best epoch');
}

/** Preset, then config file, then flags: the resolved run (validated, with named errors). */
export async function specFromFlags(flags: TrainFlags): Promise<ResolvedRun> {
  if (!(flags.preset in PRESETS)) throw new ConfigError('--preset', flags.preset, `one of ${Object.keys(PRESETS).join(', ')}`);
  let spec: RunSpec = mergeSpecs(PRESETS[flags.preset as keyof typeof PRESETS], { train: { earlyStopping: CLI_EARLY_STOPPING } });
  if (flags.config) {
    const file = await readJsonFile(flags.config, 'config');
    // Validate the file first so errors name the file and the field in it.
    try {
      resolveRun(mergeSpecs(spec, file));
    } catch (e) {
      if (e instanceof ConfigError) throw new ConfigError(`${flags.config}: ${e.field}`, e.value, e.expected);
      throw e;
    }
    spec = mergeSpecs(spec, file);
  }
  const network: Record<string, unknown> = {};
  const trainOpts: Record<string, unknown> = {};
  const data: Record<string, unknown> = {};
  // Each flag and the option it sets; flags left unset keep the preset's or the file's value.
  const targets: [Record<string, unknown>, string, unknown][] = [
    [network, 'widths', flags.widths], [network, 'layers', flags.layers], [network, 'activations', flags.activations],
    [network, 'batchNorm', flags.batchNorm], [network, 'dropout', flags.dropout], [network, 'init', flags.init],
    [trainOpts, 'epochs', flags.epochs], [trainOpts, 'seed', flags.seed], [trainOpts, 'optimizer', flags.optimizer],
    [trainOpts, 'learningRate', flags.lr], [trainOpts, 'momentum', flags.momentum], [trainOpts, 'nesterov', flags.nesterov],
    [trainOpts, 'weightDecay', flags.weightDecay], [trainOpts, 'batchSize', flags.batchSize],
    [trainOpts, 'warmupEpochs', flags.warmupEpochs], [trainOpts, 'labelSmoothing', flags.labelSmoothing],
    [data, 'pca', flags.pca === 'none' ? null : flags.pca], [data, 'scale', flags.scale], [data, 'valFraction', flags.valFraction], [data, 'nulls', flags.nulls],
  ];
  for (const [section, key, value] of targets) if (value !== undefined) section[key] = value;
  if (flags.schedule !== undefined) trainOpts.schedule = parseSchedule(flags.schedule);
  if (flags.diagnostics === false) trainOpts.diagnostics = false;
  if (flags.earlyStopping === false) trainOpts.earlyStopping = false;
  else if (flags.patience !== undefined || flags.minDelta !== undefined || flags.monitor !== undefined || flags.restoreBest === false) {
    const base = (spec.train?.earlyStopping || CLI_EARLY_STOPPING) as Record<string, unknown>;
    const es: Record<string, unknown> = { ...base };
    for (const [key, value] of [['patience', flags.patience], ['minDelta', flags.minDelta], ['monitor', flags.monitor]] as const) {
      if (value !== undefined) es[key] = value;
    }
    if (flags.restoreBest === false) es.restoreBest = false;
    trainOpts.earlyStopping = es;
  }
  spec = mergeSpecs(spec, { network, train: trainOpts, data });
  return resolveRun(spec, '');
}

function parseSchedule(s: string): unknown {
  const [type, a, b] = s.split(':');
  if (type === 'constant' && a === undefined) return { type };
  if (type === 'cosine') return { type, minLearningRate: a === undefined ? 0 : parse.number('--schedule')(a) };
  if (type === 'step' && a !== undefined && b !== undefined) {
    return { type, every: parse.int('--schedule')(a), gamma: parse.number('--schedule')(b) };
  }
  throw new ConfigError('--schedule', s, 'constant, step:EVERY:GAMMA (e.g. step:30:0.1) or cosine[:MIN_LR]');
}

interface ProgressRun {
  source: string;
  spec: ResolvedRun;
  out: string;
  title: string;
  backend: BackendName;
  threads: number | 'auto';
  /** Kernels already started (the second model of `reproduce`); otherwise started here from `backend` and `threads`. */
  kernels?: Backend;
  quiet?: boolean;
  /** Data already prepared for this spec (the second model of `reproduce`). */
  prepared?: Prepared;
  load?: LoadOptions;
  valSource?: string;
  /** Replace an existing run folder (else it is refused before any work starts). */
  overwrite?: boolean;
}

/** A run's outputs folder and what it produced, and the kernels it ran on (the caller stops their threads). */
type FolderRun = RunResult & { out: string; kernels: Backend };

/**
 * Run an experiment with a live view: a bar per epoch in a terminal (plain lines otherwise)
 * with losses, accuracies, time and ETA. Ctrl-C stops after the current batch and still
 * writes everything measured so far.
 */
export async function runWithProgress(r: ProgressRun): Promise<FolderRun> {
  const tty = process.stdout.isTTY === true && !r.quiet;
  const log = (s: string) => {
    if (!r.quiet) process.stdout.write(s + '\n');
  };
  const epochs = r.spec.train.epochs;
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: ' epoch {epoch}/{epochs} {bar} {percentage}% | loss {loss} | {eta_formatted} left in epoch', hideCursor: true, clearOnComplete: true, barsize: 24 },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let barEpoch = 0;
  const started = performance.now();
  const progress: Callback = {
    onEpochEnd(h: EpochRecord, ctx) {
      if (bar) {
        bar.stop();
        barEpoch = 0;
      }
      const elapsed = (performance.now() - started) / 1000;
      const eta = (elapsed / h.epoch) * (epochs - h.epoch);
      log(
        `epoch ${String(h.epoch).padStart(String(epochs).length)}/${epochs}` +
          `  train loss ${formatNumber(h.trainLoss)} acc ${formatPercent(h.trainAccuracy)}` +
          `  val loss ${formatNumber(h.valLoss)} acc ${formatPercent(h.valAccuracy)}` +
          `  ${formatDuration(h.seconds)}` +
          (ctx.stopTraining || h.epoch === epochs ? '' : `  ETA <= ${formatSeconds(eta)}`),
      );
    },
  };
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nmlplab: interrupted; writing what was measured so far (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  // The run folder is refused now if it exists, before any work; files go to a draft until the run is complete.
  const draft = await RunFolderDraft.open(r.out, r.overwrite ? 'replace' : 'refuse');
  log(`mlplab: ${r.title}`);
  let backend: Backend | null = r.kernels ?? null;
  try {
    const data = r.prepared ?? (await loadWithValidation(r.source, r.valSource, r.load));
    // The shared memory of a backend with threads is sized for the data up front.
    const memoryBytes = [data.train, data.val, data.test].reduce((n, d) => n + (d ? d.features.length * 4 : 0), 64 << 20);
    backend ??= await loadBackend(r.backend, { threads: r.threads, memoryBytes });
    const kernels = backend;
    const note = kernels instanceof WasmBackend ? kernels.threadNote : null;
    const result = await runExperiment(r.spec, data, {
      title: r.title,
      source: r.source,
      backend: kernels,
      callbacks: [progress],
      signal: controller.signal,
      onCheckpoint: (file) => writeFileAtomic(join(draft.path, 'checkpoint.json'), file),
      onPrepared: (p) => {
        for (const s of p.steps) log(`  data: ${s.summary}`);
        log(`  rows: train ${p.train.rows}, validation ${p.val?.rows ?? 0}, test ${p.test?.rows ?? 0}; ${p.train.cols} features`);
        log(`  kernels: ${describeBackend(kernels)}${note ? ` (${note})` : ''}`);
        log(`  writing to ${draft.path} (the best model so far in checkpoint.json); it becomes ${r.out} when the run is complete`);
      },
      onBatch: bar
        ? (epoch, b, batches, loss) => {
            if (barEpoch !== epoch) {
              bar.start(batches, 0, { epoch, epochs, loss: '-' });
              barEpoch = epoch;
            }
            if (b % 20 === 0 || b === batches) bar.update(b, { epoch, epochs, loss: formatFixed(loss, 4) });
          }
        : undefined,
    });
    const f = result.fit;
    if (f.stoppedEarly) {
      log(`early stopping: no improvement for ${r.spec.train.earlyStopping ? r.spec.train.earlyStopping.patience : 0} epochs; best epoch ${f.bestEpoch} of ${f.history.length}${f.restoredBest ? ', its weights restored' : ''}`);
    }
    await writeRunFiles(result, draft.path);
    await draft.commit();
    return { ...result, out: r.out, kernels: backend };
  } catch (e) {
    if (backend && !r.kernels) disposeBackend(backend);
    await draft.discard();
    throw e;
  } finally {
    bar?.stop();
    process.off('SIGINT', onSigint);
  }
}

/**
 * The training source, and a validation source whose labels are mapped onto the training
 * source's classes (so label 2010 is the same class in both).
 */
async function loadWithValidation(source: string, valSource: string | undefined, load: LoadOptions = {}) {
  const raw = await loadSource(source, load);
  if (!valSource) return { ...raw, val: null };
  const classes = { names: raw.train.classNames!, ...(raw.train.classValues ? { values: raw.train.classValues } : {}) };
  const val = await loadSource(valSource, { ...load, classes });
  return { ...raw, val: val.train, notes: [...raw.notes, ...val.notes] };
}

function printSummary(r: FolderRun): void {
  const lines: string[] = [];
  if (r.fit.aborted) lines.push('training was interrupted; the outputs hold the epochs that finished');
  if (r.test) {
    lines.push('');
    lines.push(formatClassificationReport(r.test.report, { maxClasses: SUMMARY_CLASSES }));
    lines.push(`test accuracy ${formatPercent(r.test.accuracy)}   macro F1 ${formatFixed(r.test.report.macro.f1, 4)}   (${r.test.rows} test rows, evaluated once)`);
  }
  if (!r.test) {
    const best = r.fit.history.find((h) => h.epoch === r.fit.bestEpoch);
    lines.push(`no test set in this source; validation accuracy ${best ? formatPercent(best.valAccuracy) : '-'} at the best epoch`);
  }
  lines.push(`trained ${r.fit.history.length} epochs in ${formatSeconds(r.fit.seconds)}; best epoch ${r.fit.bestEpoch}`);
  lines.push(`report: ${join(r.out, 'report.html')}`);
  process.stdout.write(lines.join('\n') + '\n');
}

function compareLine(results: FolderRun[]): string {
  const rows = results.map((r) => {
    const best = r.fit.history.find((h) => h.epoch === r.fit.bestEpoch);
    return `${r.report.title}\n   epochs run ${r.fit.history.length} (best ${r.fit.bestEpoch}), val accuracy ${best ? formatPercent(best.valAccuracy) : '-'}, test accuracy ${r.test ? formatPercent(r.test.accuracy) : '-'}, ${formatSeconds(r.fit.seconds)}`;
  });
  return rows.join('\n');
}

const formatSeconds = formatDuration;

function timestamp(): string {
  return new Date().toISOString().replace(/[:]/g, '-').replace(/\..*$/, '');
}
