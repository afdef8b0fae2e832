import { topConfusions, type ClassificationReport, type ClassReport } from '../metrics/classification.js';
import { formatCount, formatFixed, padLeft, padRight, textWidth } from '../format.js';
import { SUMMARY_CLASSES, TOP_CONFUSIONS } from './charts/confusion.js';

/** Options of {@link formatClassificationReport}. */
export interface TextReportOptions {
  /** Decimals of precision, recall and F1 (default 2, as scikit-learn). */
  digits?: number;
  /**
   * Above this many classes only the classes of lowest and highest F1 are listed (half each),
   * with a line saying so; the averages cover every class. Default: every class.
   */
  maxClasses?: number;
}

/**
 * The classes a summarised table lists: the `n / 2` of lowest F1, then the `n / 2` of highest
 * (ties by class order), each group in F1 order; all of them when there are at most `n`.
 */
export function summaryClasses(classes: readonly ClassReport[], n: number): { shown: ClassReport[]; summarised: boolean } {
  if (classes.length <= n) return { shown: [...classes], summarised: false };
  const half = Math.max(1, Math.floor(n / 2));
  const order = classes.map((c, i) => ({ c, i })).sort((a, b) => a.c.f1 - b.c.f1 || a.i - b.i);
  return { shown: [...order.slice(0, half), ...order.slice(-half)].map((x) => x.c), summarised: true };
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
  const { shown, summarised } = summaryClasses(report.classes, options.maxClasses ?? Infinity);
  const width = shown.reduce((m, c) => Math.max(m, textWidth(c.label)), Math.max('weighted avg'.length, digits));
  const col = (s: string) => ' ' + padLeft(s, 9);
  const num = (x: number) => col(formatFixed(x, digits));
  let out = padLeft('', width) + ' ' + ['precision', 'recall', 'f1-score', 'support'].map(col).join('') + '\n\n';
  if (summarised) {
    const half = shown.length / 2;
    out += `(${formatCount(report.classes.length)} classes: the ${half} of lowest F1, then the ${half} of highest)\n`;
  }
  for (const c of shown) {
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
  if (k > SUMMARY_CLASSES) return formatTopConfusions(matrix, names);
  const shortNames = names.every((n) => textWidth(n) <= 8);
  const heads = shortNames ? names : names.map((_, i) => String(i));
  const rowNames = shortNames ? names : names.map((n, i) => `${padLeft(String(i), String(k - 1).length)} ${n}`);
  const corner = 'actual \\ predicted';
  const nameWidth = rowNames.reduce((m, n) => Math.max(m, textWidth(n)), textWidth(corner));
  let cellWidth = heads.reduce((m, h) => Math.max(m, textWidth(h)), 0);
  for (const row of matrix) for (const v of row) cellWidth = Math.max(cellWidth, String(v).length);
  const line = (first: string, cells: string[]) =>
    (padRight(first, nameWidth) + cells.map((c) => '  ' + padLeft(c, cellWidth)).join('')).trimEnd() + '\n';
  let out = line(corner, heads);
  for (let i = 0; i < k; i++) out += line(rowNames[i], matrix[i].map(String));
  return out;
}

/** The most frequent confusions as lines "count  actual -> predicted", for many classes. */
function formatTopConfusions(matrix: number[][], names: string[]): string {
  const top = topConfusions(matrix, TOP_CONFUSIONS);
  let errors = 0;
  for (let i = 0; i < matrix.length; i++) for (let j = 0; j < matrix[i].length; j++) if (i !== j) errors += matrix[i][j];
  const width = top.reduce((m, c) => Math.max(m, String(c.count).length), 5);
  let out = `${formatCount(matrix.length)} classes, too many for a table: the ${top.length} most frequent of ${formatCount(errors)} errors\n`;
  out += `${padLeft('count', width)}  actual -> predicted\n`;
  for (const c of top) out += `${padLeft(String(c.count), width)}  ${names[c.actual]} -> ${names[c.predicted]}\n`;
  return out;
}
