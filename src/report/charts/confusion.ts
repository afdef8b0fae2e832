/** The confusion matrix as a heatmap, or its most frequent confusions when there are many classes. */
import type { TopLevelSpec } from 'vega-lite';
import { topConfusions } from '../../metrics/classification.js';
import { formatCount } from '../../format.js';
import { CHART_COLORS, SCHEMA, chartConfig } from './common.js';

/**
 * Above this many classes the reports summarise instead of drawing every class: the
 * confusion figure shows the most frequent confusions, the per-class tables the classes of
 * lowest and highest F1. The run's files (metrics.json, predictions.csv) keep every class.
 */
export const SUMMARY_CLASSES = 30;

/** How many confusions the summary figure and tables show. */
export const TOP_CONFUSIONS = 20;

/** Options of {@link confusionChart}. */
export interface ConfusionChartOptions {
  title?: string;
  subtitle?: string;
  /** Side of one cell in pixels (default: 520 / classes, between 30 and 72). */
  cellSize?: number;
}

/**
 * The confusion matrix as an annotated heatmap: rows are actual classes, columns predicted
 * classes, each cell shows its count; class names label both axes. Above SUMMARY_CLASSES
 * classes, a bar chart of the TOP_CONFUSIONS most frequent confusions instead.
 * Example: `confusionChart(confusionMatrix(yTrue, yPred, 10), classNames)`.
 */
export function confusionChart(matrix: number[][], classNames?: string[], options: ConfusionChartOptions = {}): TopLevelSpec {
  const k = matrix.length;
  const names = classNames ?? matrix.map((_, i) => String(i));
  if (k > SUMMARY_CLASSES) return confusionSummaryChart(matrix, names, options);
  const values = matrix.flatMap((row, actual) => {
    const total = row.reduce((s, v) => s + v, 0);
    return row.map((count, predicted) => ({
      actual,
      predicted,
      actualName: names[actual],
      predictedName: names[predicted],
      count,
      share: total > 0 ? count / total : 0,
    }));
  });
  const max = values.reduce((m, d) => Math.max(m, d.count), 1);
  const cell = options.cellSize ?? Math.max(30, Math.min(72, Math.floor(520 / Math.max(1, k))));
  const longest = names.reduce((m, n) => Math.max(m, [...n].length), 0);
  // Class names are data: they reach the chart as a JSON string literal inside the label expression.
  const labelExpr = `${JSON.stringify(names)}[datum.value]`;
  const domain = names.map((_, i) => i);
  const x = {
    field: 'predicted',
    type: 'ordinal' as const,
    title: 'predicted class',
    scale: { domain },
    axis: { labelExpr, labelAngle: longest > 3 ? -40 : 0, labelAlign: longest > 3 ? 'right' : 'center', ticks: false, domain: false, labelPadding: 6 },
  };
  const y = {
    field: 'actual',
    type: 'ordinal' as const,
    title: 'actual class',
    scale: { domain },
    axis: { labelExpr, ticks: false, domain: false, labelPadding: 6 },
  };
  const total = values.reduce((s, d) => s + d.count, 0);
  return {
    $schema: SCHEMA,
    title: { text: options.title ?? 'Confusion matrix', subtitle: options.subtitle ?? `${formatCount(total)} samples; rows are actual classes, columns predicted` },
    width: k * cell,
    height: k * cell,
    data: { values },
    encoding: { x, y },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
        encoding: {
          color: {
            field: 'count',
            type: 'quantitative',
            // A square-root scale keeps the off-diagonal confusions visible next to the large diagonal.
            scale: { type: 'sqrt', domain: [0, max], range: ['#f5f8fc', '#9ecae1', '#3a7fc1', '#0b3b7a'], interpolate: 'lab' },
            legend: null,
          },
          tooltip: [
            { field: 'actualName', title: 'actual' },
            { field: 'predictedName', title: 'predicted' },
            { field: 'count', title: 'count' },
          ],
        },
      },
      {
        mark: { type: 'text', fontSize: cell >= 44 ? 12 : 10, baseline: 'middle' },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: `datum.count > ${max * 0.3}`, value: 'white' }, value: CHART_COLORS.ink },
        },
      },
    ],
    config: chartConfig(),
  } as TopLevelSpec;
}

/** The most frequent confusions as horizontal bars ("actual → predicted"), for many classes. */
function confusionSummaryChart(matrix: number[][], names: string[], options: ConfusionChartOptions): TopLevelSpec {
  let total = 0, correct = 0;
  for (let i = 0; i < matrix.length; i++) {
    for (let j = 0; j < matrix[i].length; j++) total += matrix[i][j];
    correct += matrix[i][i];
  }
  const values = topConfusions(matrix, TOP_CONFUSIONS).map((c, rank) => ({
    rank,
    pair: `${names[c.actual]} → ${names[c.predicted]}`,
    count: c.count,
    share: total > 0 ? c.count / total : 0,
  }));
  const errors = total - correct;
  return {
    $schema: SCHEMA,
    title: {
      text: options.title ?? 'Most frequent confusions',
      subtitle:
        options.subtitle ??
        `${formatCount(matrix.length)} classes: the ${values.length} largest of ${formatCount(errors)} errors in ${formatCount(total)} samples`,
    },
    width: 420,
    height: Math.max(1, values.length) * 20,
    data: { values },
    encoding: {
      y: { field: 'pair', type: 'nominal', sort: { field: 'rank', order: 'ascending' }, title: null, axis: { labelLimit: 260, ticks: false } },
      x: { field: 'count', type: 'quantitative', title: 'samples', axis: { tickMinStep: 1, format: 'd' } },
    },
    layer: [
      { mark: { type: 'bar', color: CHART_COLORS.training, height: 14 }, encoding: { tooltip: [{ field: 'pair', title: 'confusion' }, { field: 'count', title: 'count' }] } },
      { mark: { type: 'text', align: 'left', dx: 4, fontSize: 11, color: CHART_COLORS.ink }, encoding: { text: { field: 'count', type: 'quantitative' } } },
    ],
    config: chartConfig(),
  } as TopLevelSpec;
}
