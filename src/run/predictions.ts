/** One CSV field, quoted when it holds a comma, a quote or a newline (RFC 4180). */
export function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * predictions.csv as `train`, `study` and `evaluate --out` write it: one row per labelled row,
 * its index, predicted and actual class, and their names.
 */
export function predictionsCsv(predicted: ArrayLike<number>, actual: ArrayLike<number>, names: readonly string[]): string {
  const lines = ['index,predicted,actual,predicted_name,actual_name'];
  for (let i = 0; i < predicted.length; i++) {
    lines.push(`${i},${predicted[i]},${actual[i]},${csvField(names[predicted[i]] ?? '')},${csvField(names[actual[i]] ?? '')}`);
  }
  return lines.join('\n') + '\n';
}
