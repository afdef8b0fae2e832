import { join } from 'node:path';
import type { Command } from 'commander';
import { loadFeatures, loadSource } from '../data/files.js';
import { writeNpy } from '../data/formats/npy.js';
import { ConfigError, DataError, ShapeError } from '../errors.js';
import { selectRows, type Dataset, type FeatureRows } from '../data/dataset.js';
import { csvCell, formatFixed, formatPercent } from '../format.js';
import { SUMMARY_CLASSES } from '../report/charts/confusion.js';
import { checkOutputFile, ensureWritableDir, textLines, writeFileAtomic } from '../io/files.js';
import { formatClassificationReport, formatConfusionMatrix } from '../report/text.js';
import { unitsFormat } from '../report/regression-html.js';
import { loadModel } from '../run/folder.js';
import type { ModelFileContents } from '../run/model-file.js';
import { predictionsCsv } from '../run/predictions.js';
import { predictor } from '../run/predictor.js';
import type { EncodeCounts } from '../data/table/encoder.js';
import { evaluate, evaluateProbabilities, evaluateRegression } from '../run/train.js';
import { argmaxRows, ensembleProba, ensembleValues } from '../run/model-file.js';
import { describeBackend, disposeBackend, loadBackend, type Backend, type BackendName } from '../tensor/index.js';
import { addReadFlags, flag, loadOptionsFrom } from './options.js';
import { isCsvName } from '../data/resolver.js';

interface ModelFlags {
  model: string;
  backend: BackendName;
  maxModelSize?: number;
}

/** Load the model of `--model`, within `--max-model-size`. */
function loadModelFrom(flags: ModelFlags, backend: Backend): Promise<ModelFileContents> {
  return loadModel(flags.model, { backend, ...(flags.maxModelSize !== undefined ? { maxBytes: flags.maxModelSize } : {}) });
}

function addModelOptions(cmd: Command): Command {
  return cmd.addOption(flag('model', { required: true })).addOption(flag('maxModelSize'));
}

export function registerModelCommands(program: Command): void {
  const evaluateCommand = addModelOptions(program.command('evaluate').description("score a saved model on a data source's test set (or all its rows if it has none)"))

    .addOption(flag('data', { default: 'fashion-mnist' }))
    .addOption(flag('out', { help: 'also write metrics.json and predictions.csv here' }))
    .addOption(flag('backend', { default: 'auto' }))
    .addOption(flag('threads', { default: 'auto' }));
  addReadFlags(evaluateCommand).action(async (flags: ModelFlags & { data: string; out?: string; threads: number | 'auto' }, cmd: Command) => {
    if (flags.out) await ensureWritableDir(flags.out);
    const backend = await loadBackend(flags.backend, { threads: flags.threads, memoryBytes: SHARED_MEMORY_BYTES });
    const m = await loadModelFrom(flags, backend);
    try {
      // The data's labels are mapped onto the model's classes, by value (1990, 2000, ...) or by name; a regressor's are numbers.
      const regress = m.model.task === 'regress';
      const classes = { names: m.classNames, ...(m.classValues ? { values: m.classValues } : {}) };
      const load = loadOptionsFrom(cmd);
      if (load.task !== undefined && load.task !== 'auto' && load.task !== m.model.task) {
        throw new ConfigError('--task', load.task, `${m.model.task} or left out: ${flags.model} is a ${regress ? 'regression' : 'classification'} model`);
      }
      // A table model knows its label column by name.
      const label = load.labelColumn === undefined && m.table?.meta.label && isCsvName(flags.data) ? { labelColumn: m.table.meta.label } : {};
      const raw = await loadSource(flags.data, { ...load, ...label, ...(regress ? { task: 'regress' as const } : { classes }) });
      // What reading left out (rows with a blank label) is said, as train says it.
      for (const n of raw.notes) if (n.warning) process.stdout.write(`${n.summary.replace(/^Warning: /, 'warning: ')}\n`);
      if (regress) return await evaluateRegressor(m, raw.test ?? raw.train, raw.test ? 'test set' : 'all rows (the source has no test set)', flags, backend);
      const part = raw.test ?? raw.train;
      const which = raw.test ? 'test set' : 'all rows (the source has no test set)';
      const encoded = predictor(m, backend).encode({ ...part, source: part.source ?? flags.data });
      const x = encoded.inputs;
      const rows = { features: x, labels: part.labels, rows: part.rows, cols: m.model.inputs };
      const ev = m.members?.length ? evaluateProbabilities(ensembleProba(m, x, part.rows), rows, m.model.classes, m.classNames) : evaluate(m.model, rows, m.classNames);
      process.stdout.write(
        `${flags.model} on ${flags.data}, ${which}: ${part.rows} rows\n` +
          `kernels: ${describeBackend(backend)}\n\n` +
          encodeNotes(encoded.counts) +
          formatClassificationReport(ev.report, { maxClasses: SUMMARY_CLASSES }) + '\n' +
          formatConfusionMatrix(ev.confusion, m.classNames) + '\n' +
          `accuracy ${formatPercent(ev.accuracy)}   macro F1 ${formatFixed(ev.report.macro.f1, 4)}   loss ${formatFixed(ev.loss, 4)}\n`,
      );
      if (flags.out) {
        const metrics = { model: flags.model, data: flags.data, rows: part.rows, ...countsJson(encoded.counts), accuracy: ev.accuracy, loss: ev.loss, macroF1: ev.report.macro.f1, confusionMatrix: ev.confusion, classificationReport: ev.report, classNames: m.classNames };
        await writeFileAtomic(join(flags.out, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
        await writeFileAtomic(join(flags.out, 'predictions.csv'), predictionsCsv(ev.predicted, part.labels, m.classNames));
        process.stdout.write(`wrote ${join(flags.out, 'metrics.json')} and predictions.csv\n`);
      }
    } finally {
      m.model.dispose();
      for (const x of m.members ?? []) x.dispose();
      disposeBackend(backend);
    }
  });

  const predict = addModelOptions(program.command('predict').description('predict classes (or, with a regression model, numbers) for new rows with a saved model'))

    .addOption(flag('input', { required: true }))
    .addOption(flag('out', { required: true, help: 'predictions: .csv (index, class, name, probabilities; a regression: index and the predicted number) or .npy (class per row: the label values the model was trained on; a regression: float64 numbers)' }))
    .addOption(flag('overwrite'))
    .addOption(flag('backend', { default: 'auto' }))
    .addOption(flag('threads', { default: 'auto' }));
  addReadFlags(predict, { labels: false }).action(async (flags: ModelFlags & { input: string; out: string; threads: number | 'auto'; overwrite?: boolean }, cmd: Command) => {
    await checkOutputFile(flags.out, { '--model': flags.model, '--input': flags.input }, flags.overwrite === true);
    const backend = await loadBackend(flags.backend, { threads: flags.threads, memoryBytes: SHARED_MEMORY_BYTES });
    const m = await loadModelFrom(flags, backend);
    try {
      const input = await loadFeatures(flags.input, loadOptionsFrom(cmd));
      // A table model fills blanks itself; a model of numbers needs every value.
      if (!m.table) refuseNonFinite(input.features, input.rows, input.cols, flags.input);
      const p = predictor(m, backend);
      const encoded = p.encode({ ...input, source: flags.input });
      if (m.model.task === 'regress') {
        await writeValues(flags.out, flags.input, ensembleValues(m, encoded.inputs, input.rows), m.classNames[0], input);
        process.stdout.write(`kernels: ${describeBackend(backend)}\n${encodeNotes(encoded.counts)}predicted ${input.rows} rows -> ${flags.out}\n`);
        return;
      }
      // A seed ensemble's probabilities are the mean of its networks'.
      const probs = ensembleProba(m, encoded.inputs, input.rows);
      const k = m.model.classes;
      for (let i = 0; i < probs.length; i++) {
        if (!Number.isFinite(probs[i])) {
          const row = Math.floor(i / k);
          throw new ShapeError(`${flags.input}: row ${row} gives a non-finite probability (${probs[i]}); its features overflow the model (values of ${describeRow(input.features, row, input.cols)}). No predictions were written`);
        }
      }
      const predicted = argmaxRows(probs, k);
      // The label each class stands for: the training labels' values when the model kept them.
      const value = (c: number) => (m.classValues ? m.classValues[c] : c);
      if (flags.out.toLowerCase().endsWith('.npy')) {
        const values = Float64Array.from(predicted, value);
        const fits = values.every((v) => v >= -(2 ** 31) && v < 2 ** 31);
        await writeFileAtomic(flags.out, fits ? writeNpy(Int32Array.from(values), [input.rows]) : writeNpy(BigInt64Array.from(values, (v) => BigInt(v)), [input.rows]));
      } else {
        const header = ['index', 'predicted', 'name', ...m.classNames.map((n) => csvCell(`p(${n})`))].join(',');
        const line = (r: number) => [r, value(predicted[r]), csvCell(m.classNames[predicted[r]]), ...Array.from(probs.subarray(r * k, r * k + k), (v) => v.toPrecision(6))].join(',');
        await writeFileAtomic(flags.out, textLines(header, input.rows, line));
      }
      process.stdout.write(`kernels: ${describeBackend(backend)}\n${encodeNotes(encoded.counts)}predicted ${input.rows} rows -> ${flags.out}\n`);
    } finally {
      m.model.dispose();
      for (const x of m.members ?? []) x.dispose();
      disposeBackend(backend);
    }
  });
}

/** A regression model's scores on labelled rows: R^2, RMSE, MAE printed, and with --out metrics.json and predictions.csv. */
async function evaluateRegressor(m: ModelFileContents, rows: Dataset, which: string, flags: ModelFlags & { data: string; out?: string }, backend: Backend): Promise<void> {
  // Rows without a number to score against are left out and counted, as training leaves them out.
  const scored = Int32Array.from(rows.targets!.keys()).filter((i) => Number.isFinite(rows.targets![i]));
  const part = scored.length === rows.rows ? rows : selectRows(rows, scored);
  if (part.rows === 0) throw new DataError(flags.data, `no row of the ${which} has a finite target to score against`);
  if (part.rows < rows.rows) process.stdout.write(`left out ${rows.rows - part.rows} of ${rows.rows} rows without a finite target (blank, NaN or infinite)\n`);
  const encoded = predictor(m, backend).encode({ ...part, source: part.source ?? flags.data });
  const ev = evaluateRegression(m.model, { ...part, features: encoded.inputs, cols: m.model.inputs }, m.members ?? []);
  const num = unitsFormat(part.targets!, ev.rmse);
  process.stdout.write(
    `${flags.model} on ${flags.data}, ${which}: ${part.rows} rows\n` +
      `kernels: ${describeBackend(backend)}\n\n` +
      encodeNotes(encoded.counts) +
      `R² ${formatFixed(ev.r2, 4)}   RMSE ${num(ev.rmse)}   MAE ${num(ev.mae)}   (target ${JSON.stringify(m.classNames[0])})\n`,
  );
  if (!flags.out) return;
  const metrics = { model: flags.model, data: flags.data, rows: part.rows, ...countsJson(encoded.counts), task: 'regress', target: m.classNames[0], r2: ev.r2, rmse: ev.rmse, mae: ev.mae };
  await writeFileAtomic(join(flags.out, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
  const t = part.targets!, p = ev.predicted;
  await writeFileAtomic(join(flags.out, 'predictions.csv'), textLines('index,actual,predicted,residual', part.rows, (r) => `${r},${t[r]},${p[r]},${t[r] - p[r]}`));
  process.stdout.write(`wrote ${join(flags.out, 'metrics.json')} and predictions.csv\n`);
}

/** A regression model's predictions: .npy (float64, one per row) or .csv (index, the target's name). */
async function writeValues(out: string, input: string, values: Float64Array, target: string, rows: FeatureRows): Promise<void> {
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new ShapeError(`${input}: row ${bad} gives a non-finite prediction (${values[bad]}): the network's output times the target's scaling overflows (features of the row from ${describeRow(rows.features, bad, rows.cols)}). No predictions were written`);
  if (out.toLowerCase().endsWith('.npy')) return writeFileAtomic(out, writeNpy(values, [values.length]));
  await writeFileAtomic(out, textLines(`index,${csvCell(target)}`, values.length, (r) => `${r},${values[r]}`));
}

/** Lines on what a table model's encoder met in the rows: blanks filled, categories never seen in training. */
function encodeNotes(c: EncodeCounts | null): string {
  if (!c) return '';
  let out = '';
  if (c.ignored.length) out += `ignored columns the model does not use: ${c.ignored.map((n) => JSON.stringify(n)).join(', ')}\n`;
  if (c.imputed.size) {
    const total = [...c.imputed.values()].reduce((a, b) => a + b, 0);
    out += `filled ${total} blank cells with the training values (${[...c.imputed].map(([n, k]) => `${n}: ${k}`).join(', ')})\n`;
  }
  for (const [n, u] of c.unknown) {
    out += `warning: ${u.rows} rows hold a category of "${n}" not seen in training (${u.examples.map((e) => JSON.stringify(e)).join(', ')}), ${u.other ? "read as 'other'" : 'encoded as no known category'}\n`;
  }
  return out;
}

function countsJson(c: EncodeCounts | null): Record<string, unknown> {
  if (!c) return {};
  return { imputed: Object.fromEntries(c.imputed), unknownCategories: Object.fromEntries([...c.unknown].map(([n, u]) => [n, u])) };
}

/** Shared memory of a backend with threads, sized up front: a model and a data set's features. */
const SHARED_MEMORY_BYTES = 1 << 30;

/** Rows with NaN or infinite features have no prediction: refuse them by row and column. */
function refuseNonFinite(features: Float32Array, rows: number, cols: number, file: string): void {
  let bad = 0, first = -1;
  for (let i = 0; i < features.length; i++) {
    if (!Number.isFinite(features[i])) {
      if (first < 0) first = i;
      bad++;
    }
  }
  if (first < 0) return;
  const row = Math.floor(first / cols);
  throw new DataError(file, `row ${row}, column ${first % cols} holds ${features[first]} (${bad} non-finite values in ${rows} rows); predict needs finite features: drop or fill those rows first`);
}

function describeRow(features: Float32Array, row: number, cols: number): string {
  let lo = Infinity, hi = -Infinity;
  for (let c = 0; c < cols; c++) {
    const v = features[row * cols + c];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return `${lo} to ${hi}`;
}
