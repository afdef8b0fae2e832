/**
 * Vega-Lite specifications of mlplab's figures. Pure data builders with no Node or DOM
 * dependency: the Node renderer (render-node.ts) turns them into SVG and PNG files, and the
 * browser playground hands the same specs to Vega.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { EpochRecord } from '../metrics/history-types.js';
import { topConfusions } from '../metrics/classification.js';
import { formatCount, formatPercent } from '../format.js';

/**
 * Above this many classes the reports summarise instead of drawing every class: the
 * confusion figure shows the most frequent confusions, the per-class tables the classes of
 * lowest and highest F1. The run's files (metrics.json, predictions.csv) keep every class.
 */
export const SUMMARY_CLASSES = 30;

/** How many confusions the summary figure and tables show. */
export const TOP_CONFUSIONS = 20;

/** Font family of every chart; the PNG renderer ships this font so text renders anywhere. */
export const CHART_FONT = 'DejaVu Sans';

/** Colours shared by the charts and the HTML report. */
export const CHART_COLORS = {
  training: '#2f6db5',
  validation: '#e0762b',
  marker: '#6b7280',
  ink: '#1f2937',
  muted: '#6b7280',
  grid: '#e5e7eb',
} as const;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** The Vega config every mlplab chart uses: one font, quiet axes, left-aligned titles. */
export function chartConfig(): NonNullable<TopLevelSpec['config']> {
  return {
    font: CHART_FONT,
    background: 'white',
    padding: 12,
    view: { stroke: null },
    title: {
      anchor: 'start',
      fontSize: 15,
      fontWeight: 'bold',
      color: CHART_COLORS.ink,
      subtitleFontSize: 11,
      subtitleColor: CHART_COLORS.muted,
      subtitlePadding: 4,
      offset: 12,
    },
    axis: {
      labelFontSize: 11,
      labelColor: '#4b5563',
      titleFontSize: 12,
      titleFontWeight: 'normal',
      titleColor: '#374151',
      titlePadding: 10,
      gridColor: CHART_COLORS.grid,
      domainColor: '#9ca3af',
      tickColor: '#9ca3af',
    },
    legend: { labelFontSize: 11, labelColor: '#374151', titleFontSize: 11, symbolStrokeWidth: 3 },
    header: { labelFontSize: 12, labelFontWeight: 'bold', labelColor: CHART_COLORS.ink },
  };
}

/** Options of {@link lossChart} and {@link accuracyChart}. */
export interface CurveChartOptions {
  title?: string;
  subtitle?: string;
  /** Plot area size in pixels (default 600 x 300). */
  width?: number;
  height?: number;
}

type CurveMetric = 'loss' | 'accuracy';

function bestIndex(history: EpochRecord[], metric: CurveMetric): number {
  let best = -1;
  for (let i = 0; i < history.length; i++) {
    const v = metric === 'loss' ? history[i].valLoss : history[i].valAccuracy;
    if (!Number.isFinite(v)) continue;
    const b = best < 0 ? NaN : metric === 'loss' ? history[best].valLoss : history[best].valAccuracy;
    if (best < 0 || (metric === 'loss' ? v < b : v > b)) best = i;
  }
  return best;
}

function curveChart(history: EpochRecord[], metric: CurveMetric, options: CurveChartOptions): TopLevelSpec {
  const isLoss = metric === 'loss';
  const values = history.flatMap((r) => [
    { epoch: r.epoch, series: 'training', value: isLoss ? r.trainLoss : r.trainAccuracy },
    { epoch: r.epoch, series: 'validation', value: isLoss ? r.valLoss : r.valAccuracy },
  ]).filter((d) => Number.isFinite(d.value));
  const lastEpoch = history.length ? history[history.length - 1].epoch : 1;
  const firstEpoch = history.length ? history[0].epoch : 1;
  const xStart = firstEpoch === 1 && lastEpoch >= 20 ? 0 : firstEpoch;
  const b = bestIndex(history, metric);
  const best = b >= 0 ? { epoch: history[b].epoch, value: isLoss ? history[b].valLoss : history[b].valAccuracy } : null;
  const x = {
    field: 'epoch',
    type: 'quantitative' as const,
    title: 'epoch',
    // Long runs start the axis at 0 when numbering starts at 1, so ticks fall on round numbers.
    scale: { domain: [xStart, Math.max(lastEpoch, firstEpoch + 1)], nice: false },
    axis: { tickMinStep: 1, format: 'd', grid: false },
  };
  const y = {
    field: 'value',
    type: 'quantitative' as const,
    title: isLoss ? 'cross-entropy loss' : 'accuracy',
    scale: { zero: false, nice: true },
    axis: isLoss ? { tickCount: 6 } : { format: '.0%', tickCount: 6 },
  };
  const layers: unknown[] = [
    {
      mark: { type: 'line', strokeWidth: 2, interpolate: 'linear', point: history.length <= 30 },
      encoding: {
        x,
        y,
        color: {
          field: 'series',
          type: 'nominal',
          title: null,
          scale: { domain: ['training', 'validation'], range: [CHART_COLORS.training, CHART_COLORS.validation] },
          legend: { orient: 'top', direction: 'horizontal', symbolType: 'stroke', offset: 6 },
        },
      },
    },
  ];
  if (best) {
    const shown = isLoss ? best.value.toFixed(3) : formatPercent(best.value, 1);
    const label = `best ${shown} (epoch ${best.epoch})`;
    // Vega sizes the chart from estimated text widths (0.8 em per character without a canvas);
    // the label goes on the side of the marker where that estimate fits, so it never widens the chart.
    const width = options.width ?? 600;
    const estimated = 0.8 * 11 * label.length + 6;
    const right = (width * (lastEpoch - best.epoch)) / Math.max(1, lastEpoch - xStart);
    const alignLeft = estimated <= right || (estimated > width - right && right > width / 2);
    layers.push(
      {
        data: { values: [best] },
        mark: { type: 'rule', strokeDash: [4, 4], color: CHART_COLORS.marker, strokeWidth: 1 },
        encoding: { x: { field: 'epoch', type: 'quantitative' } },
      },
      {
        data: { values: [best] },
        mark: { type: 'point', filled: true, size: 70, color: CHART_COLORS.validation, stroke: 'white', strokeWidth: 1.5, opacity: 1 },
        encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'value', type: 'quantitative' } },
      },
      {
        data: { values: [{ ...best, label }] },
        mark: {
          type: 'text',
          align: alignLeft ? 'left' : 'right',
          dx: alignLeft ? 6 : -6,
          // Loss curves fall, accuracy curves rise: the label goes where the curves are not.
          y: isLoss ? 8 : (options.height ?? 300) - 8,
          baseline: isLoss ? 'top' : 'bottom',
          fontSize: 11,
          color: CHART_COLORS.muted,
        },
        encoding: { x: { field: 'epoch', type: 'quantitative' }, text: { field: 'label' } },
      },
    );
  }
  return {
    $schema: SCHEMA,
    title: {
      text: options.title ?? (isLoss ? 'Loss per epoch' : 'Accuracy per epoch'),
      subtitle: options.subtitle ?? 'training vs validation',
    },
    width: options.width ?? 600,
    height: options.height ?? 300,
    data: { values },
    layer: layers,
    config: chartConfig(),
  } as TopLevelSpec;
}

/**
 * Training and validation loss per epoch, with the epoch of the lowest validation loss marked.
 * Example: `lossChart(history)` then `specToSvg(spec)` in Node or `vega.View` in the browser.
 */
export function lossChart(history: EpochRecord[], options: CurveChartOptions = {}): TopLevelSpec {
  return curveChart(history, 'loss', options);
}

/** Training and validation accuracy per epoch, with the best validation accuracy marked. */
export function accuracyChart(history: EpochRecord[], options: CurveChartOptions = {}): TopLevelSpec {
  return curveChart(history, 'accuracy', options);
}

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
    title: { text: options.title ?? 'Confusion matrix', subtitle: options.subtitle ?? `${String(total).replace(/\B(?=(\d{3})+(?!\d))/g, ',')} samples; rows are actual classes, columns predicted` },
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

/** One tried value of one factor in a tuning study: the mean validation accuracy over its trials. */
export interface FactorPoint {
  /** The factor varied, e.g. "dropout". */
  factor: string;
  /** The value tried, e.g. 0.2 or "[128,64]"; shown as a category, in the order given. */
  value: string | number;
  /** Mean validation accuracy (fraction). */
  mean: number;
  /** Spread of the trials (standard deviation), drawn as mean ± sd; omit for a single trial. */
  sd?: number;
  /** Number of trials behind the mean. */
  n?: number;
  /** Marks the default model's value of this factor. */
  isDefault?: boolean;
}

/** Options of {@link factorChart}. */
export interface FactorChartOptions {
  title?: string;
  subtitle?: string;
  /** Panels per row (default 3). */
  columns?: number;
  /** Accuracy of the default model, drawn as a dashed line in every panel. */
  baseline?: number;
  /** Axis title of the measured value (default "validation accuracy"). */
  metric?: string;
  /** Size of one panel in pixels (default 200 x 170). */
  panelWidth?: number;
  panelHeight?: number;
}

/**
 * Value vs accuracy per factor of a tuning study: one panel per factor, one point per value
 * tried with mean ± sd error bars, the default value highlighted, the y scale shared so panels
 * compare. Example: `factorChart([{ factor: 'dropout', value: 0.2, mean: 0.505, sd: 0.004, n: 3 }, ...])`.
 */
export function factorChart(points: FactorPoint[], options: FactorChartOptions = {}): TopLevelSpec {
  const factors = [...new Set(points.map((p) => p.factor))];
  const values = points.map((p) => ({
    factor: p.factor,
    value: String(p.value),
    mean: p.mean,
    lower: p.mean - (p.sd ?? 0),
    upper: p.mean + (p.sd ?? 0),
    sd: p.sd ?? 0,
    n: p.n ?? 1,
    kind: p.isDefault ? 'default' : 'tried',
  }));
  const metric = options.metric ?? 'validation accuracy';
  const longest = values.reduce((m, v) => Math.max(m, [...v.value].length), 0);
  const x = {
    field: 'value',
    type: 'ordinal' as const,
    sort: null,
    title: null,
    axis: { labelAngle: longest > 6 ? -30 : 0, labelAlign: longest > 6 ? 'right' : 'center', labelLimit: 120, ticks: false },
  };
  const layers: unknown[] = [];
  if (options.baseline !== undefined) {
    layers.push({
      // One row per panel, so each panel draws one baseline rather than one per value.
      transform: [{ aggregate: [{ op: 'count', as: 'values' }] }],
      mark: { type: 'rule', strokeDash: [4, 4], color: CHART_COLORS.marker, strokeWidth: 1 },
      encoding: { y: { datum: options.baseline, type: 'quantitative' } },
    });
  }
  layers.push(
    {
      mark: { type: 'rule', strokeWidth: 1.5, color: CHART_COLORS.training },
      encoding: { x, y: { field: 'lower', type: 'quantitative' }, y2: { field: 'upper' } },
    },
    {
      mark: { type: 'point', filled: true, size: 70, opacity: 1, stroke: 'white', strokeWidth: 1 },
      encoding: {
        x,
        y: { field: 'mean', type: 'quantitative', title: metric, scale: { zero: false }, axis: { format: '.0%', grid: true, tickCount: 5 } },
        color: {
          field: 'kind',
          type: 'nominal',
          title: null,
          scale: { domain: ['tried', 'default'], range: [CHART_COLORS.training, CHART_COLORS.validation] },
          legend: { orient: 'top', direction: 'horizontal' },
        },
        tooltip: [
          { field: 'factor' },
          { field: 'value' },
          { field: 'mean', format: '.2%' },
          { field: 'sd', format: '.2%' },
          { field: 'n' },
        ],
      },
    },
  );
  return {
    $schema: SCHEMA,
    title: {
      text: options.title ?? 'Validation accuracy by factor',
      subtitle:
        options.subtitle ??
        `mean ± sd over trials; one factor varied at a time${options.baseline !== undefined ? '; dashed line: the default model' : ''}`,
    },
    data: { values },
    facet: { field: 'factor', type: 'nominal', sort: factors, title: null, header: { labelAnchor: 'start', labelPadding: 6 } },
    columns: options.columns ?? 3,
    // Panels placed by their plot areas, not by their (estimated) label extents, so rows line up.
    bounds: 'flush',
    spacing: { column: 36, row: 64 },
    spec: { width: options.panelWidth ?? 200, height: options.panelHeight ?? 170, layer: layers },
    resolve: { scale: { x: 'independent' } },
    config: chartConfig(),
  } as TopLevelSpec;
}

/** Which per-layer quantity a {@link layerChart} plots. */
export type LayerMetric = 'gradientNorm' | 'deadFraction' | 'updateRatio';

const LAYER_METRICS: Record<LayerMetric, { title: string; subtitle: string; axis: string; log: boolean; format?: string }> = {
  gradientNorm: { title: 'Gradient norm per layer', subtitle: 'norm of the loss gradient of each hidden layer’s weights', axis: '‖∂L/∂W‖', log: true },
  deadFraction: { title: 'Dead units per layer', subtitle: 'share of units that never left the flat region in the epoch', axis: 'dead units', log: false, format: '.0%' },
  updateRatio: { title: 'Update ratio per layer', subtitle: 'size of each step relative to the weights (about 1e-3 is healthy)', axis: '‖ΔW‖ / ‖W‖', log: true },
};

/** One per-layer quantity over the epochs, one line per hidden layer. */
export function layerChart(history: EpochRecord[], metric: LayerMetric, options: { width?: number; height?: number } = {}): TopLevelSpec {
  const m = LAYER_METRICS[metric];
  const values = history.flatMap((e) =>
    (e.layers ?? []).flatMap((l) => {
      const v = l[metric];
      return Number.isFinite(v) && (!m.log || v > 0) ? [{ epoch: e.epoch, layer: l.name, value: v }] : [];
    }),
  );
  // Log axes are labelled at powers of ten only: Vega's default log ticks crowd a short axis.
  let ticks: number[] | undefined;
  if (m.log && values.length > 0) {
    const lo = Math.floor(Math.log10(values.reduce((m, v) => Math.min(m, v.value), Infinity)));
    const hi = Math.ceil(Math.log10(values.reduce((m, v) => Math.max(m, v.value), 0)));
    ticks = Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i));
  }
  return {
    $schema: SCHEMA,
    title: { text: m.title, subtitle: m.subtitle },
    width: options.width ?? 600,
    height: options.height ?? 240,
    data: { values },
    mark: { type: 'line', strokeWidth: 2, point: history.length <= 30 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
      y: {
        field: 'value',
        type: 'quantitative',
        title: m.axis,
        scale: m.log ? { type: 'log' } : { domain: [0, 1] },
        axis: m.format ? { format: m.format, tickCount: 5 } : { format: '.0e', values: ticks },
      },
      color: { field: 'layer', type: 'nominal', title: null, legend: { orient: 'top', direction: 'horizontal', symbolType: 'stroke' } },
    },
    config: chartConfig(),
  } as TopLevelSpec;
}

/** One trial of a search, for {@link searchChart} and {@link sliceCharts}: its number, metric (NaN when it did not finish) and state. */
export interface SearchPoint {
  trial: number;
  value: number;
  state: 'done' | 'pruned' | 'failed';
}

/** The metric of every trial in order, and the best so far as a step line: how the search progressed. */
export function searchChart(points: SearchPoint[], o: { metric: string; higherIsBetter: boolean; width?: number; height?: number; percent?: boolean }): TopLevelSpec {
  let best = NaN;
  const rows = points.map((p) => {
    if (p.state === 'done' && Number.isFinite(p.value) && (Number.isNaN(best) || (o.higherIsBetter ? p.value > best : p.value < best))) best = p.value;
    return { ...p, best: Number.isNaN(best) ? null : best };
  });
  const axis = o.percent ? { format: '.0%' } : {};
  return {
    $schema: SCHEMA,
    title: { text: `${o.metric} by trial`, subtitle: 'each trial (pruned trials at the value where they stopped); line: best so far' },
    width: o.width ?? 600,
    height: o.height ?? 260,
    data: { values: rows },
    layer: [
      {
        mark: { type: 'point', filled: true, size: 40, opacity: 0.8 },
        encoding: {
          x: { field: 'trial', type: 'quantitative', title: 'trial', axis: { format: 'd', tickMinStep: 1 } },
          y: { field: 'value', type: 'quantitative', title: o.metric, scale: { zero: false }, axis },
          color: { field: 'state', type: 'nominal', title: null, scale: { domain: ['done', 'pruned', 'failed'], range: [CHART_COLORS.training, CHART_COLORS.validation, '#9ca3af'] }, legend: { orient: 'top' } },
        },
      },
      {
        mark: { type: 'line', interpolate: 'step-after', color: CHART_COLORS.ink, strokeWidth: 1.5 },
        encoding: { x: { field: 'trial', type: 'quantitative' }, y: { field: 'best', type: 'quantitative' } },
      },
    ],
    config: chartConfig(),
  } as TopLevelSpec;
}

/** One panel per parameter: the metric of each finished trial against that parameter's value. */
export function sliceCharts(
  params: { name: string; log: boolean; categorical: boolean; int?: boolean; points: { x: number | string; value: number }[] }[],
  o: { metric: string; percent?: boolean; width?: number; columns?: number },
): TopLevelSpec {
  const axis = o.percent ? { format: '.0%' } : {};
  return {
    $schema: SCHEMA,
    title: { text: `${o.metric} by parameter`, subtitle: 'every finished trial; one panel per searched parameter' },
    columns: o.columns ?? 3,
    concat: params.map((p) => ({
      width: o.width ?? 170,
      height: 160,
      title: { text: p.name, fontSize: 12 },
      data: { values: p.points },
      mark: { type: 'point', filled: true, size: 30, opacity: 0.7, color: CHART_COLORS.training },
      encoding: {
        x: p.categorical
          ? { field: 'x', type: 'nominal', title: null, axis: { labelAngle: -30 } }
          : { field: 'x', type: 'quantitative', title: null, scale: p.log ? { type: 'log' } : { zero: false }, axis: p.int ? { format: 'd', tickCount: 4, tickMinStep: 1 } : p.log ? { format: '.0e', tickCount: 4 } : { tickCount: 4 } },
        y: { field: 'value', type: 'quantitative', title: o.metric, scale: { zero: false }, axis },
      },
    })),
    config: chartConfig(),
  } as TopLevelSpec;
}
