import { join } from 'node:path';
import type { Command } from 'commander';
import { loadFeatures, loadSource } from '../data/files.js';
import { writeNpy } from '../data/npy.js';
import { ShapeError } from '../errors.js';
import { formatPercent } from '../format.js';
import { ensureWritableDir, writeFileAtomic } from '../io/files.js';
import { formatClassificationReport, formatConfusionMatrix } from '../report/text.js';
import { loadModel } from '../run/folder.js';
import type { ModelFileContents } from '../run/model-file.js';
import { csvField, predictionsCsv } from '../run/predictions.js';
import { evaluateClassifier } from '../run/train.js';
import { coreCount, disposeBackend, loadBackend, type Backend, type BackendName } from '../tensor/index.js';
import { loadOptionsFrom, parse } from './options.js';

/** Raw features -> what the network takes, checking the width first so errors speak of the user's file. */
function toModelInputs(m: ModelFileContents, features: Float32Array, rows: number, cols: number, file: string, backend: Backend): Float32Array {
  const expected = m.pipeline ? m.pipeline.inputCols : m.model.inputs;
  if (cols !== expected) {
    throw new ShapeError(`${file}: rows have ${cols} features, but the model was trained on data with ${expected} features per row`);
  }
  return m.pipeline ? m.pipeline.transform(features, rows, backend) : features;
}

export function registerModelCommands(program: Command): void {
  program
    .command('evaluate')
    .description("score a saved model on a data source's test set (or all its rows if it has none)")
    .requiredOption('--model <file>', 'model.json written by train, study or the playground')
    .option('--data <source>', 'data source (see train --help)', 'fashion-mnist')
    .option('--out <dir>', 'also write metrics.json and predictions.csv here')
    .option('--label-column <name|index>', 'CSV: the label column, by header name or 0-based index')
    .option('--header', 'CSV: the first line is a header (default: detected)')
    .option('--no-header', 'CSV: the first line is data')
    .option('--delimiter <char>', 'CSV: field separator (default: detected)')
    .option('--backend <name>', 'auto | wasm | reference', parse.backend, 'auto')
    .option('--threads <n>', `threads for the kernels: auto (one per core) or 1 to ${coreCount()}`, parse.threads, 'auto')
    .action(async (flags: { model: string; data: string; out?: string; backend: BackendName; threads: number | 'auto'; labelColumn?: string; header?: boolean; delimiter?: string }) => {
      if (flags.out) await ensureWritableDir(flags.out);
      const raw = await loadSource(flags.data, loadOptionsFrom(flags));
      const backend = await loadBackend(flags.backend, { threads: flags.threads, memoryBytes: bytesOf(raw.test ?? raw.train) });
      try {
        await evaluate(flags, raw, backend);
      } finally {
        disposeBackend(backend);
      }
    });

  program
    .command('predict')
    .description('predict classes for new rows with a saved model')
    .requiredOption('--model <file>', 'model.json written by train, study or the playground')
    .requiredOption('--input <file>', 'features as .npy (rows x features) or .csv (numbers only, optional header)')
    .requiredOption('--out <file>', 'predictions: .csv (index, class, name, probabilities) or .npy (class per row)')
    .option('--backend <name>', 'auto | wasm | reference', parse.backend, 'auto')
    .option('--threads <n>', `threads for the kernels: auto (one per core) or 1 to ${coreCount()}`, parse.threads, 'auto')
    .action(async (flags: { model: string; input: string; out: string; backend: BackendName; threads: number | 'auto' }) => {
      const input = await loadFeatures(flags.input);
      const backend = await loadBackend(flags.backend, { threads: flags.threads, memoryBytes: input.features.length * 4 });
      try {
        await predict(flags, input, backend);
      } finally {
        disposeBackend(backend);
      }
    });

}

/** Bytes of a dataset's features and then some: the shared memory of a backend with threads is sized from it. */
function bytesOf(d: { features: Float32Array }): number {
  return d.features.length * 4 + (64 << 20);
}

async function evaluate(flags: { model: string; data: string; out?: string }, raw: Awaited<ReturnType<typeof loadSource>>, backend: Backend): Promise<void> {
  const m = await loadModel(flags.model, backend);
  const part = raw.test ?? raw.train;
  const which = raw.test ? 'test set' : 'all rows (the source has no test set)';
  const x = toModelInputs(m, part.features, part.rows, part.cols, part.source ?? flags.data, backend);
  const ev = evaluateClassifier(m.model, { features: x, labels: part.labels, rows: part.rows, cols: m.model.inputs }, m.classNames);
  process.stdout.write(
    `${flags.model} on ${flags.data}, ${which}: ${part.rows} rows\n\n` +
      formatClassificationReport(ev.report) + '\n' +
      formatConfusionMatrix(ev.confusion, m.classNames) + '\n' +
      `accuracy ${formatPercent(ev.accuracy)}   macro F1 ${ev.report.macro.f1.toFixed(4)}   loss ${ev.loss.toFixed(4)}\n`,
  );
  if (flags.out) {
    const metrics = { model: flags.model, data: flags.data, rows: part.rows, accuracy: ev.accuracy, loss: ev.loss, macroF1: ev.report.macro.f1, confusionMatrix: ev.confusion, classificationReport: ev.report, classNames: m.classNames };
    await writeFileAtomic(join(flags.out, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
    await writeFileAtomic(join(flags.out, 'predictions.csv'), predictionsCsv(ev.predicted, part.labels, m.classNames));
    process.stdout.write(`wrote ${join(flags.out, 'metrics.json')} and predictions.csv\n`);
  }
  m.model.dispose();
}

async function predict(flags: { model: string; input: string; out: string }, input: Awaited<ReturnType<typeof loadFeatures>>, backend: Backend): Promise<void> {
  const m = await loadModel(flags.model, backend);
  const x = toModelInputs(m, input.features, input.rows, input.cols, flags.input, backend);
  const probs = m.model.predictProba(x, input.rows);
  const k = m.model.classes;
  const predicted = new Int32Array(input.rows);
  for (let r = 0; r < input.rows; r++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probs[r * k + c] > probs[r * k + best]) best = c;
    predicted[r] = best;
  }
  if (flags.out.toLowerCase().endsWith('.npy')) {
    await writeFileAtomic(flags.out, writeNpy(predicted, [input.rows]));
  } else {
    const lines = [['index', 'predicted', 'name', ...m.classNames.map((n) => csvField(`p(${n})`))].join(',')];
    for (let r = 0; r < input.rows; r++) {
      const p = Array.from(probs.subarray(r * k, r * k + k), (v) => v.toPrecision(6));
      lines.push([r, predicted[r], csvField(m.classNames[predicted[r]]), ...p].join(','));
    }
    await writeFileAtomic(flags.out, lines.join('\n') + '\n');
  }
  process.stdout.write(`predicted ${input.rows} rows -> ${flags.out}\n`);
  m.model.dispose();
}
