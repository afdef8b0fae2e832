// The README's library example, run by the tests on a small data folder.
import { Sequential, classificationReport, fit, predict, prepare } from '../src/index.js';
import { loadModel, loadSource, saveModel } from '../src/node.js';
import { formatClassificationReport } from '../src/report/index.js';

export async function example(source = 'fashion-mnist', out = 'runs/library-example.json', pca = 128): Promise<number> {
  // Load, then standardise and reduce to 128 components fitted on the training part only.
  const data = prepare(await loadSource(source), { scale: 'standard', pca, valFraction: 0.1, seed: 1 });

  // The study's final model: 128 -> 64 hidden units, ReLU, batch norm, dropout 0.2.
  const model = Sequential.create(
    {
      inputs: data.train.cols,
      classes: data.classes,
      hidden: [
        { width: 128, activation: 'relu', batchNorm: true, dropout: 0.2 },
        { width: 64, activation: 'relu', batchNorm: true, dropout: 0.2 },
      ],
    },
    { seed: 1 },
  );
  const result = await fit(model, data.train, data.val, {
    train: { epochs: 20, learningRate: 0.01, momentum: 0.85, weightDecay: 0.001, earlyStopping: { patience: 3 } },
  });
  console.log(`stopped after ${result.history.length} epochs, best ${result.bestEpoch}`);

  // The test set is touched once, by the final model.
  const test = data.test!;
  const predicted = predict(model, test);
  const report = classificationReport(test.labels, predicted, data.classes, data.classNames);
  console.log(formatClassificationReport(report));

  // Save with the fitted pre-processing, so `mlplab predict` can take raw rows.
  await saveModel(out, { model, pipeline: data.pipeline, classNames: data.classNames });
  const { model: again } = await loadModel(out);
  console.log('reloaded model agrees:', predict(again, test).every((p, i) => p === predicted[i]));
  return report.accuracy;
}

if (import.meta.url === `file://${process.argv[1]}`) await example(process.argv[2]);
