// A table held as JavaScript objects (text, numbers, nulls), trained on and predicted from directly.
// Run: npm run example -- records
import { readFileSync } from 'node:fs';
import { fromRecords, loadPredictor, runExperiment } from '../src/index.js';

export async function example(file = 'examples/data/penguins.json'): Promise<(string | number)[]> {
  const penguins = JSON.parse(readFileSync(file, 'utf8'));
  // No network given: mlplab chooses one for the data; a quarter of the rows is held out to test.
  const result = await runExperiment({}, fromRecords(penguins, { label: 'species', test: 0.25 }));
  console.log(`test accuracy ${result.report.test!.accuracy.toFixed(3)}`);
  const p = await loadPredictor(result.modelFile);
  const rows = [{ island: 'Biscoe', bill_length_mm: 47.5, bill_depth_mm: 14.9, flipper_length_mm: 216, body_mass_g: 5100, sex: null, year: 2009 }];
  const labels = p.labels(p.predict(fromRecords(rows)));
  result.model.dispose();
  p.dispose();
  return labels;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await example(...process.argv.slice(2)));
