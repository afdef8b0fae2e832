/**
 * A regression's test predictions as figures: predicted against actual with the line of a
 * perfect prediction, the residuals against the prediction with the zero line, and the
 * residuals' histogram. Axes are in the target's units and named after the target.
 */
import type { TopLevelSpec } from 'vega-lite';
import { formatCount, formatFixed, showControls } from '../../format.js';
import { CHART_COLORS, SCHEMA, chartConfig } from './common.js';

/** One test row: its index in the test set, the model's prediction and the actual target. */
export interface RegressionPoint {
  index: number;
  predicted: number;
  actual: number;
}

/** Options of the regression charts. */
export interface RegressionChartOptions {
  title?: string;
  subtitle?: string;
  /** Plot area size in pixels (defaults: 460 x 460 for the scatter, 600 x 320 for the others). */
  width?: number;
  height?: number;
}

/** A histogram bin: residuals in [start, end) (the last bin includes its end). */
export interface ResidualBin {
  start: number;
  end: number;
  count: number;
}

/** The round step (1, 2 or 5 times a power of ten) nearest above `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

/** [lo, hi] widened to multiples of a round step, about `ticks` steps across; a single value gets room around it. */
function niceDomain(lo: number, hi: number, ticks = 6): [number, number] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi - lo <= 0) {
    const pad = Math.abs(lo) * 0.1 || 1;
    return niceDomain(lo - pad, hi + pad, ticks);
  }
  const step = niceStep((hi - lo) / ticks);
  return [Math.floor(lo / step) * step, Math.ceil(hi / step) * step];
}

/**
 * `x` with `decimals` decimals, its whole part grouped by thousands from 10,000 on (41,366.5):
 * a value in the target's units as the reports print it. Non-finite values print as they are.
 */
export function formatTarget(x: number, decimals: number): string {
  // A value that rounds to zero prints without a sign.
  const text = formatFixed(x, decimals).replace(/^-(?=0(\.0*)?$)/, '');
  const [whole, fraction] = text.split('.');
  const digits = whole.replace('-', '');
  if (!Number.isFinite(x) || digits.length < 5) return text;
  return `${whole.startsWith('-') ? '-' : ''}${digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction !== undefined ? `.${fraction}` : ''}`;
}

/** Tick labels for an axis over `domain`: SI prefixes (400k, 1.2M) once the values reach 10,000, where full numbers crowd the axis. */
function axisFor(domain: readonly number[], tickCount: number): Record<string, unknown> {
  const large = Math.max(...domain.map(Math.abs)) >= 1e4;
  // d3's prefix format would label zero "0k".
  return { tickCount, ...(large ? { labelExpr: "datum.value === 0 ? '0' : format(datum.value, '~s')" } : {}) };
}

function finitePoints(points: readonly RegressionPoint[]): RegressionPoint[] {
  return points.filter((p) => Number.isFinite(p.predicted) && Number.isFinite(p.actual));
}

/** Marks sized for the number of points: a few hundred read as dots, two thousand as a cloud. */
function pointMark(n: number): Record<string, unknown> {
  return { type: 'circle', size: n <= 300 ? 30 : n <= 1000 ? 18 : 10, opacity: n <= 300 ? 0.7 : n <= 1000 ? 0.5 : 0.35, color: CHART_COLORS.training };
}

function tooltip(target: string) {
  return [
    { field: 'index', type: 'quantitative', title: 'test row' },
    { field: 'actual', type: 'quantitative', title: `actual ${showControls(target)}` },
    { field: 'predicted', type: 'quantitative', title: `predicted ${showControls(target)}` },
  ];
}

function missingNote(given: number, drawn: number): string {
  return drawn < given ? `; ${formatCount(given - drawn)} non-finite left out` : '';
}

/**
 * Predicted against actual target, one point per test row, both axes over the same range so
 * the dashed line y = x (a perfect prediction) runs corner to corner at 45 degrees.
 * Example: `predictedChart(report.regression.test.predictions, 'price')`.
 */
export function predictedChart(points: readonly RegressionPoint[], target: string, options: RegressionChartOptions = {}): TopLevelSpec {
  const values = finitePoints(points);
  const lo = values.reduce((m, p) => Math.min(m, p.actual, p.predicted), Infinity);
  const hi = values.reduce((m, p) => Math.max(m, p.actual, p.predicted), -Infinity);
  const domain = niceDomain(lo, hi);
  const size = options.width ?? options.height ?? 460;
  const x = { field: 'actual', type: 'quantitative', title: `actual ${showControls(target)}`, scale: { domain, nice: false, zero: false }, axis: axisFor(domain, 6) };
  const y = { field: 'predicted', type: 'quantitative', title: `predicted ${showControls(target)}`, scale: { domain, nice: false, zero: false }, axis: axisFor(domain, 6) };
  return {
    $schema: SCHEMA,
    title: {
      text: options.title ?? 'Predicted against actual',
      subtitle: options.subtitle ?? `${formatCount(values.length)} test rows${missingNote(points.length, values.length)}; dashed line: predicted = actual`,
    },
    width: options.width ?? size,
    height: options.height ?? size,
    layer: [
      {
        data: { values: [{ actual: domain[0], predicted: domain[0] }, { actual: domain[1], predicted: domain[1] }] },
        mark: { type: 'line', color: CHART_COLORS.marker, strokeDash: [5, 4], strokeWidth: 1.5 },
        encoding: { x, y },
      },
      { data: { values }, mark: pointMark(values.length), encoding: { x, y, tooltip: tooltip(target) } },
    ],
    config: chartConfig(),
  } as TopLevelSpec;
}

/**
 * Residuals (actual − predicted) against the prediction, with the zero line: points above it
 * were predicted too low, below it too high; a trend or a funnel shows what the model misses.
 */
export function residualChart(points: readonly RegressionPoint[], target: string, options: RegressionChartOptions = {}): TopLevelSpec {
  const values = finitePoints(points).map((p) => ({ ...p, residual: p.actual - p.predicted }));
  const lo = values.reduce((m, p) => Math.min(m, p.predicted), Infinity);
  const hi = values.reduce((m, p) => Math.max(m, p.predicted), -Infinity);
  const far = values.reduce((m, p) => Math.max(m, Math.abs(p.residual)), 0);
  const reach = niceDomain(-far, far)[1];
  const xDomain = niceDomain(lo, hi);
  return {
    $schema: SCHEMA,
    title: {
      text: options.title ?? 'Residuals against predicted',
      // Two short lines: Vega sizes a chart from estimated text widths, and one long subtitle would widen it.
      subtitle: options.subtitle ?? ['residual = actual − predicted', `above the line the model predicted too low${missingNote(points.length, values.length)}`],
    },
    width: options.width ?? 600,
    height: options.height ?? 320,
    layer: [
      {
        // One datum: a layer without data of its own draws nothing (the chart has no top-level data).
        data: { values: [{}] },
        mark: { type: 'rule', color: CHART_COLORS.marker, strokeDash: [5, 4], strokeWidth: 1.5 },
        encoding: { y: { datum: 0, type: 'quantitative' } },
      },
      {
        data: { values },
        mark: pointMark(values.length),
        encoding: {
          x: { field: 'predicted', type: 'quantitative', title: `predicted ${showControls(target)}`, scale: { domain: xDomain, nice: false, zero: false }, axis: axisFor(xDomain, 6) },
          y: { field: 'residual', type: 'quantitative', title: `residual (${showControls(target)})`, scale: { domain: [-reach, reach], nice: false }, axis: axisFor([reach], 6) },
          tooltip: [...tooltip(target), { field: 'residual', type: 'quantitative', title: 'residual' }],
        },
      },
    ],
    config: chartConfig(),
  } as TopLevelSpec;
}

/** The width among 1, 2, 2.5 and 5 times a power of ten nearest to `raw` (on a log scale): a histogram's bin width. */
function binWidth(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  const steps = [1, 2, 2.5, 5, 10].map((m) => m * power);
  return steps.reduce((best, s) => (Math.abs(Math.log(s / raw)) < Math.abs(Math.log(best / raw)) ? s : best));
}

/**
 * The residuals in bins of a round width, one edge at zero: about the square root of the
 * number of values, between 8 and 40 bins. Non-finite residuals are left out.
 */
export function residualBins(residuals: readonly number[]): ResidualBin[] {
  const r = residuals.filter((v) => Number.isFinite(v));
  if (r.length === 0) return [];
  const lo = r.reduce((m, v) => Math.min(m, v), Infinity);
  const hi = r.reduce((m, v) => Math.max(m, v), -Infinity);
  const wanted = Math.max(8, Math.min(40, Math.round(Math.sqrt(r.length))));
  const step = binWidth(hi > lo ? (hi - lo) / wanted : Math.abs(lo) / 10 || 1);
  const first = Math.floor(lo / step);
  const count = Math.max(1, Math.floor(hi / step) - first + 1);
  const bins = Array.from({ length: count }, (_, i) => ({ start: (first + i) * step, end: (first + i + 1) * step, count: 0 }));
  for (const v of r) bins[Math.min(count - 1, Math.floor(v / step) - first)].count++;
  return bins;
}

/** The `q` quantile of sorted values, interpolating linearly between neighbours (numpy's default). */
function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const i = Math.floor(at);
  return i + 1 < sorted.length ? sorted[i] + (at - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
}

/**
 * The range a histogram of `values` draws: all of it, unless a few far-out values (beyond 3
 * interquartile ranges from the quartiles, Tukey's far-out fences) would stretch the axis to
 * more than twice the fences' width and squeeze the rest into a few bars; then the fences.
 */
export function histogramRange(values: readonly number[]): [number, number] | null {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length < 4) return null;
  const q1 = quantile(sorted, 0.25), q3 = quantile(sorted, 0.75);
  const lo = q1 - 3 * (q3 - q1), hi = q3 + 3 * (q3 - q1);
  const full = sorted[sorted.length - 1] - sorted[0];
  return hi > lo && full > 2 * (hi - lo) ? [lo, hi] : null;
}

/**
 * The histogram of the residuals (actual − predicted) with the zero line; their mean and
 * spread in the subtitle. Far-out residuals that would squeeze the rest (see histogramRange)
 * are left out of the bars and counted in the subtitle; the residual plot shows them.
 */
export function residualHistogram(points: readonly RegressionPoint[], target: string, options: RegressionChartOptions = {}): TopLevelSpec {
  const residuals = finitePoints(points).map((p) => p.actual - p.predicted);
  const range = histogramRange(residuals);
  const drawn = range ? residuals.filter((v) => v >= range[0] && v <= range[1]) : residuals;
  const bins = residualBins(drawn);
  const n = residuals.length;
  const mean = n ? residuals.reduce((s, v) => s + v, 0) / n : NaN;
  const sd = n > 1 ? Math.sqrt(residuals.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : NaN;
  // Mean and spread to three significant digits of the spread: a mean of -0.031 next to 5.59 reads as -0.03.
  const decimals = Number.isFinite(sd) && sd > 0 ? Math.min(8, Math.max(0, 2 - Math.floor(Math.log10(sd)))) : 3;
  const spread = n ? `mean ${formatTarget(mean, decimals)}${n > 1 ? `, standard deviation ${formatTarget(sd, decimals)}` : ''}` : 'no finite residuals';
  const xDomain: [number, number] = bins.length ? [Math.min(bins[0].start, 0), Math.max(bins[bins.length - 1].end, 0)] : [-1, 1];
  return {
    $schema: SCHEMA,
    title: {
      text: options.title ?? 'Distribution of residuals',
      subtitle:
        options.subtitle ??
        (drawn.length < n
          ? [`${formatCount(n)} test rows; ${spread}${missingNote(points.length, n)}`, `${formatCount(n - drawn.length)} far-out residual${n - drawn.length === 1 ? '' : 's'} outside ${formatTarget(range![0], decimals)} to ${formatTarget(range![1], decimals)} not drawn`]
          : `${formatCount(n)} test rows; ${spread}${missingNote(points.length, n)}`),
    },
    width: options.width ?? 600,
    height: options.height ?? 300,
    layer: [
      {
        data: { values: bins },
        mark: { type: 'rect', color: CHART_COLORS.training, stroke: 'white', strokeWidth: 1 },
        encoding: {
          x: { field: 'start', type: 'quantitative', title: `residual = actual − predicted (${showControls(target)})`, scale: { domain: xDomain, nice: false, zero: false }, axis: axisFor(xDomain, 8) },
          x2: { field: 'end' },
          y: { field: 'count', type: 'quantitative', title: 'test rows', scale: { zero: true, nice: true }, axis: { tickMinStep: 1, format: 'd' } },
          y2: { datum: 0 },
          tooltip: [
            { field: 'start', type: 'quantitative', title: 'from' },
            { field: 'end', type: 'quantitative', title: 'to' },
            { field: 'count', type: 'quantitative', title: 'rows' },
          ],
        },
      },
      {
        data: { values: [{}] },
        mark: { type: 'rule', color: CHART_COLORS.validation, strokeDash: [5, 4], strokeWidth: 1.5 },
        encoding: { x: { datum: 0, type: 'quantitative' } },
      },
    ],
    config: chartConfig(),
  } as TopLevelSpec;
}
