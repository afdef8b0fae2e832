// The README's first library example: one run, as `mlplab train` does it. The tests run it on a small data folder.
import { PRESETS, mergeSpecs, runExperiment } from '../src/index.js';
import { loadSource, writeRunFolder } from '../src/node.js';
import { formatPercent } from '../src/report/index.js';

export async function example(source = 'fashion-mnist', out = 'runs/library-run', pca: number | null = 128): Promise<number> {
  // The study's final model with 20 epochs and early stopping, on data reduced to 128 components by PCA.
  const spec = mergeSpecs(PRESETS.final, { train: { epochs: 20, learningRate: 0.01, earlyStopping: { patience: 3 } }, data: { pca } });
  const result = await runExperiment(spec, await loadSource(source), { title: 'final model, 20 epochs', source });
  await writeRunFolder(result, out); // model.json, history.json, metrics.json, figures, report.html, ...
  console.log(`test accuracy ${formatPercent(result.report.test!.accuracy)}; report: ${out}/report.html`);
  result.model.dispose();
  return result.report.test!.accuracy;
}

if (import.meta.url === `file://${process.argv[1]}`) await example(process.argv[2]);
