// Predictions from a saved model with mlplab/infer (the README's third library example); run after `library`.
// `npm run example -- predict`; the tests run it and check that the README shows this code.
import { readFile } from 'node:fs/promises';
import { loadPredictor } from '../src/infer.js';

export async function example(model = 'runs/example-library.json'): Promise<(string | number)[]> {
  const p = await loadPredictor(await readFile(model, 'utf8'), { file: model });
  // The first two rows of examples/data/wine-new.csv: 13 raw measurements of a wine each.
  const rows = [
    [12.72, 1.75, 2.28, 22.5, 84, 1.38, 1.76, 0.48, 1.63, 3.3, 0.88, 2.42, 488],
    [12.25, 4.72, 2.54, 21, 89, 1.38, 0.47, 0.53, 0.8, 3.85, 0.75, 1.27, 720],
  ];
  const labels = p.labels(p.predict({ features: Float32Array.from(rows.flat()), rows: rows.length, cols: p.inputs }));
  console.log(labels);
  p.dispose();
  return labels;
}

if (import.meta.url === `file://${process.argv[1]}`) await example(...process.argv.slice(2));
