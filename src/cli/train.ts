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
import { unitsFormat } from '../report/regression-html.js';
import { runExperiment, type RunResult } from '../run/experiment.js';
import { RunFolderDraft, writeRunFiles } from '../run/folder.js';
import { formatChoices } from '../run/auto.js';
import { membersOnThreads } from './members.js';
import { PRESETS, mergeSpecs, resolveRun, type ResolvedRun, type RunInput, type RunSpec } from '../run/spec.js';
import { WasmBackend, describeBackend, disposeBackend, loadBackend, type Backend, type BackendName } from '../tensor/index.js';
import type { Callback } from '../train/callbacks.js';
import { earlyStoppingSchema, type EarlyStoppingOptions } from '../train/options.js';
import { addReadFlags, flag, loadOptionsFrom, readJsonFile } from './options.js';
import { NETWORK_FLAGS, PREPARE_FLAGS, TABLE_FLAGS, addRunFlags, runFlag, runOptionsGiven, type RunFlagName } from './run-flags.js';

/** What train's flags that are not run options hold, as commander hands them over. */
interface TrainFlags {
  data: string;
  preset: string;
  config?: string;
  out?: string;
  valData?: string;
  overwrite?: boolean;
  backend: BackendName;
  threads: number | 'auto';
  quiet?: boolean;
}

/** The command line stops early unless told otherwise, with the schema's defaults. */
const CLI_EARLY_STOPPING: EarlyStoppingOptions = earlyStoppingSchema.parse({});

/** The run of the study's default model on the command line (reproduce's defaults). */
const CLI_DEFAULT_RUN = resolveRun(mergeSpecs(PRESETS['study-default'], { train: { earlyStopping: CLI_EARLY_STOPPING } }));

/** What train's help shows as the defaults of the options the data decides. */
const CHOSEN = 'chosen from the data';
const AUTO_DEFAULTS = {
  network: { widths: CHOSEN, activations: 'relu', batchNorm: false, dropout: CHOSEN, init: 'he' },
  train: { ...CLI_DEFAULT_RUN.train, optimizer: 'adam', weightDecay: 0.0001, batchSize: CHOSEN, epochs: CHOSEN, earlyStopping: { ...CLI_EARLY_STOPPING } },
  data: { ...CLI_DEFAULT_RUN.data, valFraction: '0.1, or 0 under 1,000 rows' },
};

/** The run options train takes as flags. */
const TRAIN_FLAGS: RunFlagName[] = ['epochs', 'seed', ...NETWORK_FLAGS, ...PREPARE_FLAGS, ...TABLE_FLAGS];

export function registerTrainCommands(program: Command): void {
  const train = program
    .command('train')
    .description('train a model, evaluate it once on the test set, and write a report folder')
    .addOption(flag('data', { default: 'fashion-mnist' }))
    .addOption(flag('preset', { default: 'auto' }))
    .addOption(flag('config'))
    .addOption(flag('valData'))
    .addOption(flag('out', { help: 'output folder (default runs/<time>-<preset>)' }));
  addRunFlags(train, TRAIN_FLAGS, AUTO_DEFAULTS);
  addReadFlags(train);
  train
    .addOption(flag('overwrite'))
    .addOption(flag('backend', { default: 'auto' }))
    .addOption(flag('threads', { default: 'auto' }))
    .addOption(flag('quiet'))
    .action(async (flags: TrainFlags, cmd: Command) => {
      const spec = await specFromFlags(flags, runOptionsGiven(cmd, TRAIN_FLAGS));
      const out = flags.out ?? join('runs', `${timestamp()}-${flags.config ? 'config' : flags.preset}`);
      const result = await runWithProgress({
        source: flags.data,
        spec,
        out,
        title: `${flags.config ? flags.config : flags.preset === 'auto' ? 'a model chosen for the data' : `the study's ${flags.preset.replace(/^study-/, '')} model`} on ${flags.data}`,
        backend: flags.backend,
        threads: flags.threads,
        quiet: flags.quiet,
        load: loadOptionsFrom(cmd),
        valSource: flags.valData,
        overwrite: flags.overwrite,
      });
      printSummary(result);
      result.model.dispose();
      for (const m of result.members) m.dispose();
      disposeBackend(result.kernels);
    });

  program
    .command('reproduce')
    .description("the study's two models on built-in Fashion-MNIST reduced to 128 features: the default model, then the final model, each for up to 100 epochs with early stopping on the validation loss (patience 10; at the study's small learning rates both may use every epoch), then the final model's test report")
    .addOption(flag('out', { help: 'output folder', default: join('runs', 'study') }))
    .addOption(runFlag('epochs', CLI_DEFAULT_RUN))
    .addOption(runFlag('seed', CLI_DEFAULT_RUN))
    .addOption(flag('backend', { default: 'auto' }))
    .addOption(flag('overwrite'))
    .addOption(flag('threads', { default: 'auto' }))
    .action(async (flags: { out: string; epochs?: number; seed?: number; backend: BackendName; overwrite?: boolean; threads: number | 'auto' }) => {
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

/**
 * Preset, then config file, then the run options given as flags (`given`, checked already by
 * their schemas): the resolved run (validated, with named errors).
 */
export async function specFromFlags(flags: Pick<TrainFlags, 'preset' | 'config'>, given: RunSpec & { load?: unknown }): Promise<ResolvedRun | RunInput> {
  if (flags.preset !== 'auto' && !(flags.preset in PRESETS)) throw new ConfigError('--preset', flags.preset, `auto, or one of ${Object.keys(PRESETS).join(', ')}`);
  const { network, train, data } = given;
  const file = flags.config ? await readJsonFile(flags.config, 'config') : undefined;
  const fileNetwork = file !== null && typeof file === 'object' && 'network' in file;
  // Auto: no preset named and no network in a config file; the data decides what is not given.
  if (flags.preset === 'auto' && !fileNetwork) {
    const input = mergeSpecs({ auto: true } as RunInput, mergeSpecs(file ?? {}, { network, train, data }));
    // Check what was given now, against a placeholder network, so errors come before any data is read.
    try {
      resolveRun(mergeSpecs({ network: { widths: [1] } }, input));
    } catch (e) {
      if (e instanceof ConfigError && flags.config) throw new ConfigError(`${flags.config}: ${e.field}`, e.value, e.expected);
      throw e;
    }
    return input;
  }
  const preset = flags.preset === 'auto' ? 'study-default' : (flags.preset as keyof typeof PRESETS);
  let spec: RunSpec = mergeSpecs(PRESETS[preset], { train: { earlyStopping: CLI_EARLY_STOPPING } });
  if (file !== undefined) {
    // Validate the file first so errors name the file and the field in it.
    try {
      resolveRun(mergeSpecs(spec, file));
    } catch (e) {
      if (e instanceof ConfigError) throw new ConfigError(`${flags.config}: ${e.field}`, e.value, e.expected);
      throw e;
    }
    spec = mergeSpecs(spec, file);
  }
  return resolveRun(mergeSpecs(spec, { network, train, data }), '');
}

interface ProgressRun {
  source: string;
  /** A resolved run, or one whose network the data will choose. */
  spec: ResolvedRun | RunInput;
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
  let epochs = r.spec.train?.epochs ?? 0;
  let spec: ResolvedRun | null = null;
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: ' epoch {epoch}/{epochs} {bar} {percentage}% | loss {loss} | {eta_formatted} left in epoch', hideCursor: true, clearOnComplete: true, barsize: 24 },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let barEpoch = 0;
  let folds = 0;
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
          (h.valR2 !== undefined || Number.isNaN(h.trainAccuracy)
            ? `  train loss ${formatNumber(h.trainLoss)}  val loss ${formatNumber(h.valLoss)} R² ${h.valR2 === undefined ? '–' : formatFixed(h.valR2, 4)}`
            : `  train loss ${formatNumber(h.trainLoss)} acc ${formatPercent(h.trainAccuracy)}  val loss ${formatNumber(h.valLoss)} acc ${formatPercent(h.valAccuracy)}`) +
          `  ${formatDuration(h.seconds)}` +
          (ctx.stopTraining || h.epoch === epochs ? '' : `  ETA <= ${formatSeconds(eta)}`),
      );
    },
  };
  const controller = new AbortController();
  // Ctrl-C, or SIGTERM from a service manager: stop after the current batch and write what was measured.
  const onSigint = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(signal === 'SIGTERM' ? 143 : 130);
    process.stderr.write(`\nmlplab: interrupted (${signal}); writing what was measured so far (${signal === 'SIGTERM' ? 'SIGTERM' : 'Ctrl-C'} again to quit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
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
      onCheckpoint: (file) => writeFileAtomic(draft.checkpoint, file),
      onPrepared: (p) => {
        for (const s of p.steps) log(`  data: ${s.summary}`);
        log(`  rows: train ${p.train.rows}, validation ${p.val?.rows ?? 0}, test ${p.test?.rows ?? 0}; ${p.train.cols} features`);
        log(`  kernels: ${describeBackend(kernels)}${note ? ` (${note})` : ''}`);
      },
      trainMembers: membersOnThreads(r.backend, kernels),
      onFold: (f, of) => {
        folds++;
        const scores = f.r2 !== undefined
          ? `R² ${formatFixed(f.r2, 4)}, RMSE ${formatNumber(f.rmse!)}`
          : `accuracy ${formatPercent(f.accuracy)}, balanced ${formatPercent(f.balancedAccuracy)}, loss ${formatNumber(f.loss)}`;
        log(`  cross-validation: fold ${f.fold}${f.repeat > 1 ? ` of repeat ${f.repeat}` : ''} (${folds}/${of}): ${scores}, best epoch ${f.bestEpoch} of ${f.epochs} (${f.trainRows} training rows, ${f.valRows} held out)`);
      },
      onMeasureFold: (variant, f, of) => {
        const score = f.r2 !== undefined ? `R² ${formatFixed(f.r2, 4)}` : `accuracy ${formatPercent(f.accuracy)}`;
        if (f.fold === 1) log(`  measuring ${variant} by ${of}-fold cross-validation of one network on the training rows:`);
        log(`    fold ${f.fold}/${of}: ${score}, best epoch ${f.bestEpoch} of ${f.epochs}`);
      },
      onMember: (_n, of) => log(`  ensemble: networks 2 to ${of} (seeds ${(spec?.train.seed ?? 0) + 1} to ${(spec?.train.seed ?? 0) + of - 1}), on worker threads`),
      onSpec: (s, choices) => {
        spec = s;
        epochs = s.train.epochs;
        if (choices) {
          log('  model chosen for the data (flags override each line; --preset study-default is the study\'s model):');
          for (const line of formatChoices(choices)) log(`    ${line}`);
        }
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
    const es = (spec as ResolvedRun | null)?.train.earlyStopping;
    if (f.stoppedEarly && es) {
      log(`early stopping: no improvement of the ${es.monitor === 'trainLoss' ? 'training loss' : es.monitor === 'valLoss' ? 'validation loss' : 'validation accuracy'} for ${es.patience} epochs; ${es.restoreBest ? `best epoch ${f.bestEpoch} of ${f.history.length}${f.restoredBest ? ', its weights restored' : ''}` : `stopped after epoch ${f.history.length}`}`);
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
    process.off('SIGTERM', onSigint);
  }
}

/**
 * The training source, and a validation source whose labels are mapped onto the training
 * source's classes (so label 2010 is the same class in both).
 */
async function loadWithValidation(source: string, valSource: string | undefined, load: LoadOptions = {}) {
  const raw = await loadSource(source, load);
  if (!valSource) return { ...raw, val: null };
  // A regression's validation targets are numbers; classes are mapped onto the training data's.
  const classes = { names: raw.train.classNames!, ...(raw.train.classValues ? { values: raw.train.classValues } : {}) };
  const val = await loadSource(valSource, raw.train.targets ? { ...load, task: 'regress' } : { ...load, classes });
  return { ...raw, val: val.train, notes: [...raw.notes, ...val.notes] };
}

function printSummary(r: FolderRun): void {
  const lines: string[] = [];
  if (r.fit.aborted) lines.push('training was interrupted; the outputs hold the epochs that finished');
  if (r.regression || r.prepared.task === 'regress') return printRegression(r, lines);
  if (r.cv) {
    const c = r.cv;
    const pct = (x: number) => formatPercent(x);
    lines.push('', `cross-validation, ${c.folds} folds${c.repeats > 1 ? ` x ${c.repeats} repeats` : ''}: accuracy ${pct(c.accuracy.mean)} +- ${pct(c.accuracy.sd)} (95% interval ${pct(c.accuracy.ci95[0])} to ${pct(c.accuracy.ci95[1])}), balanced accuracy ${pct(c.balancedAccuracy.mean)}, macro F1 ${formatFixed(c.macroF1.mean, 4)}`);
    lines.push(`refit on all ${r.prepared.train.rows} training rows for ${c.epochs} epochs (the mean of the folds' best epochs)`);
  }
  if (r.report.ensemble) {
    lines.push('', `ensemble of ${r.report.ensemble.length} networks; alone, each scores on the test set: ${r.report.ensemble.map((e) => formatPercent(e.testAccuracy ?? NaN)).join(', ')}`);
  }
  if (r.test) {
    lines.push('');
    lines.push(formatClassificationReport(r.test.report, { maxClasses: SUMMARY_CLASSES }));
    lines.push(`test accuracy ${formatPercent(r.test.accuracy)}   balanced accuracy ${formatPercent(r.test.report.balancedAccuracy)}   macro F1 ${formatFixed(r.test.report.macro.f1, 4)}   (${r.test.rows} test rows, evaluated once)`);
  }
  if (!r.test && r.cv) lines.push('no test set in this source: the cross-validation above is the score');
  if (!r.test && !r.cv) {
    const best = r.fit.history.find((h) => h.epoch === r.fit.bestEpoch);
    lines.push(`no test set in this source; validation accuracy ${best ? formatPercent(best.valAccuracy) : '-'} at the best epoch`);
  }
  lines.push(`trained ${r.fit.history.length} epochs in ${formatSeconds(r.fit.seconds)}; best epoch ${r.fit.bestEpoch}`);
  lines.push(`report: ${join(r.out, 'report.html')}`);
  process.stdout.write(lines.join('\n') + '\n');
}

/** The summary of a regression run: cross-validation, ensemble members, test R^2, RMSE and MAE. */
function printRegression(r: FolderRun, lines: string[]): void {
  const g = (x: number) => formatFixed(x, 4);
  // RMSE and MAE in the target's units, with the report's decimals.
  const num = unitsFormat(r.prepared.test?.targets ?? r.prepared.train.targets!, r.regression?.rmse ?? r.cv?.rmse?.mean ?? NaN);
  if (r.cv?.r2) {
    const c = r.cv;
    lines.push('', `cross-validation, ${c.folds} folds${c.repeats > 1 ? ` x ${c.repeats} repeats` : ''}: R² ${g(c.r2!.mean)} +- ${g(c.r2!.sd)} (95% interval ${g(c.r2!.ci95[0])} to ${g(c.r2!.ci95[1])}), RMSE ${num(c.rmse!.mean)}, MAE ${num(c.mae!.mean)}`);
    lines.push(`refit on all ${r.prepared.train.rows} training rows for ${c.epochs} epochs (the mean of the folds' best epochs)`);
  }
  if (r.report.ensemble) lines.push('', `ensemble of ${r.report.ensemble.length} networks, predictions averaged; alone, each scores R² ${r.report.ensemble.map((e) => g(e.testR2 ?? NaN)).join(', ')} on the test set`);
  const e = r.regression;
  if (e) lines.push('', `test R² ${g(e.r2)}   RMSE ${num(e.rmse)}   MAE ${num(e.mae)}   (${e.rows} test rows, evaluated once)`);
  if (!e && r.cv) lines.push('no test set in this source: the cross-validation above is the score');
  if (!e && !r.cv) {
    const best = r.fit.history.find((h) => h.epoch === r.fit.bestEpoch);
    lines.push(`no test set in this source; validation R² ${best?.valR2 !== undefined ? g(best.valR2) : '-'} at the best epoch`);
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
