// A number to predict: the penguins' body mass from their other columns, scored on held-out rows.
// Run: npm run example -- regression
import { readFileSync } from 'node:fs';
import { fromRecords, loadPredictor, runExperiment } from '../src/index.js';

export async function example(file = 'examples/data/penguins.json'): Promise<number[]> {
  const penguins = JSON.parse(readFileSync(file, 'utf8'));
  // The label holds whole grams of many values: a quantity, so the run is a regression.
  const result = await runExperiment({}, fromRecords(penguins, { label: 'body_mass_g', test: 0.25 }));
  const { r2, rmse } = result.regression!;
  console.log(`test R² ${r2.toFixed(3)}, RMSE ${rmse.toFixed(0)} g`);
  const p = await loadPredictor(result.modelFile);
  const rows = [{ species: 'Gentoo', island: 'Biscoe', bill_length_mm: 47.5, bill_depth_mm: 14.9, flipper_length_mm: 216, sex: 'male', year: 2009 }];
  const grams = Array.from(p.predictValues(fromRecords(rows)));
  result.model.dispose();
  for (const m of result.members) m.dispose();
  p.dispose();
  return grams;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await example(...process.argv.slice(2)));
