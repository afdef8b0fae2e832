import type { ClassificationReport } from '../metrics/classification.js';
import { formatFixed, padLeft, padRight, textWidth } from '../format.js';

/** Options of {@link formatClassificationReport}. */
export interface TextReportOptions {
  /** Decimals of precision, recall and F1 (default 2, as scikit-learn). */
  digits?: number;
}

/**
 * The classification report as plain text in scikit-learn's layout: one row per class, then
 * accuracy, macro avg and weighted avg. The accuracy row is always printed (scikit-learn prints
 * "micro avg" instead when some named class occurs in neither labels nor predictions; the
 * value is the same).
 * Example: `console.log(formatClassificationReport(classificationReport(yTrue, yPred, 10)))`.
 */
export function formatClassificationReport(report: ClassificationReport, options: TextReportOptions = {}): string {
  const digits = options.digits ?? 2;
  const width = Math.max('weighted avg'.length, digits, ...report.classes.map((c) => textWidth(c.label)));
  const col = (s: string) => ' ' + padLeft(s, 9);
  const num = (x: number) => col(formatFixed(x, digits));
  let out = padLeft('', width) + ' ' + ['precision', 'recall', 'f1-score', 'support'].map(col).join('') + '\n\n';
  for (const c of report.classes) {
    out += padLeft(c.label, width) + ' ' + num(c.precision) + num(c.recall) + num(c.f1) + col(String(c.support)) + '\n';
  }
  out += '\n';
  out += padLeft('accuracy', width) + ' ' + col('') + col('') + num(report.accuracy) + col(String(report.macro.support)) + '\n';
  for (const [name, avg] of [['macro avg', report.macro], ['weighted avg', report.weighted]] as const) {
    out += padLeft(name, width) + ' ' + num(avg.precision) + num(avg.recall) + num(avg.f1) + col(String(avg.support)) + '\n';
  }
  return out;
}

/**
 * A confusion matrix as a text table, rows = actual class, columns = predicted class. Columns
 * are headed by class names when every name is short (at most 8 characters), otherwise by the
 * class index, which also prefixes each row name.
 * Example: `formatConfusionMatrix([[5, 1], [0, 4]], ['cat', 'dog'])`.
 */
export function formatConfusionMatrix(matrix: number[][], classNames?: string[]): string {
  const k = matrix.length;
  const names = classNames ?? matrix.map((_, i) => String(i));
  const shortNames = names.every((n) => textWidth(n) <= 8);
  const heads = shortNames ? names : names.map((_, i) => String(i));
  const rowNames = shortNames ? names : names.map((n, i) => `${padLeft(String(i), String(k - 1).length)} ${n}`);
  const corner = 'actual \\ predicted';
  const nameWidth = Math.max(textWidth(corner), ...rowNames.map(textWidth));
  const cellWidth = Math.max(...heads.map(textWidth), ...matrix.flat().map((v) => String(v).length));
  const line = (first: string, cells: string[]) =>
    (padRight(first, nameWidth) + cells.map((c) => '  ' + padLeft(c, cellWidth)).join('')).trimEnd() + '\n';
  let out = line(corner, heads);
  for (let i = 0; i < k; i++) out += line(rowNames[i], matrix[i].map(String));
  return out;
}
