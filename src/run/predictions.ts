import { csvCell } from '../format.js';

/** One CSV field: quoted when it must be (RFC 4180), formula-like text escaped for spreadsheets (format.ts `csvCell`). */
export const csvField = csvCell;

/**
 * predictions.csv as `train`, `study` and `evaluate --out` write it: one row per labelled row,
 * its index, predicted and actual class, and their names.
 */
export function predictionsCsv(predicted: ArrayLike<number>, actual: ArrayLike<number>, names: readonly string[]): string {
  const lines = ['index,predicted,actual,predicted_name,actual_name'];
  for (let i = 0; i < predicted.length; i++) {
    lines.push(`${i},${predicted[i]},${actual[i]},${csvCell(names[predicted[i]] ?? '')},${csvCell(names[actual[i]] ?? '')}`);
  }
  return lines.join('\n') + '\n';
}
