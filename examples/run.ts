// One run, as `mlplab train` does it (the README's first library example).
// `npm run example -- run`; the tests run it and check that the README shows this code.
import { PRESETS, mergeSpecs, runExperiment } from '../src/index.js';
import { loadSource, writeRunFolder } from '../src/node.js';
import { formatPercent } from '../src/report/index.js';

export async function example(source = 'examples/data/wine-train.csv,examples/data/wine-test.csv', out = 'runs/example-run'): Promise<number> {
  // The study's final model with a higher learning rate, 50 epochs at most, stopping early.
  const spec = mergeSpecs(PRESETS.final, { train: { epochs: 50, learningRate: 0.01, earlyStopping: { patience: 5 } } });
  const result = await runExperiment(spec, await loadSource(source), { source });
  // An existing folder is refused unless asked; rerunning this example replaces its own.
  await writeRunFolder(result, out, { existing: 'replace' });
  console.log(`test accuracy ${formatPercent(result.report.test!.accuracy)}; report: ${out}/report.html`);
  result.model.dispose();
  return result.report.test!.accuracy;
}

if (import.meta.url === `file://${process.argv[1]}`) await example(...process.argv.slice(2));
