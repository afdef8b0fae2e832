// The pieces on their own: prepare, build, fit, score, save (the README's second library example).
// `npm run example -- library`; the tests run it and check that the README shows this code.
import { Sequential, classificationReport, fit, predict, prepare } from '../src/index.js';
import { loadModel, loadSource, saveModel } from '../src/node.js';
import { formatClassificationReport } from '../src/report/index.js';

export async function example(source = 'examples/data/wine-train.csv,examples/data/wine-test.csv', out = 'runs/example-library.json'): Promise<number> {
  // Standardise, holding out 10% of the training rows for validation (fitted on the rest only).
  const data = prepare(await loadSource(source), { scale: 'standard', valFraction: 0.1, seed: 1 });
  const model = Sequential.create(
    {
      inputs: data.train.cols,
      classes: data.classes,
      hidden: [
        { width: 32, activation: 'relu', batchNorm: true, dropout: 0.1 },
        { width: 16, activation: 'relu', batchNorm: true, dropout: 0.1 },
      ],
    },
    { seed: 1 },
  );
  const result = await fit(model, data.train, data.val, {
    train: { epochs: 60, optimizer: 'adam', learningRate: 0.01, earlyStopping: { patience: 8 } },
  });
  console.log(`stopped after ${result.history.length} epochs, best ${result.bestEpoch}`);

  // The test set is touched once, by the final model.
  const test = data.test!;
  const predicted = predict(model, test);
  const report = classificationReport(test.labels, predicted, data.classes, data.classNames);
  console.log(formatClassificationReport(report));

  // Saved with the fitted pre-processing, so `mlplab predict` and `loadPredictor` take raw rows.
  await saveModel(out, { model, pipeline: data.pipeline, classNames: data.classNames });
  const again = await loadModel(out);
  console.log('reloaded model agrees:', predict(again.model, test).every((p, i) => p === predicted[i]));
  again.model.dispose();
  model.dispose();
  return report.accuracy;
}

if (import.meta.url === `file://${process.argv[1]}`) await example(...process.argv.slice(2));
