/** The tuning study's figures: value against accuracy per factor, a search's progress, its slices per parameter and its parallel coordinates. */
import type { TopLevelSpec } from 'vega-lite';
import { CHART_COLORS, SCHEMA, chartConfig } from './common.js';

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

/** One axis of {@link parallelChart}: its name and the labels along it (at 0, its bottom, to 1, its top). */
export interface ParallelAxis {
  name: string;
  ticks: { at: number; text: string }[];
}

/** One trial of {@link parallelChart}: its number, its metric, and where it crosses each axis (0 to 1; null where it has no value). */
export interface ParallelLine {
  trial: number;
  value: number;
  at: (number | null)[];
}

/** The parallel coordinates of a search: the axes (the parameters, then the metric) and the trials drawn, best last. */
export interface ParallelData {
  /** The metric in words, for the title and the colour legend. */
  metric: string;
  higherIsBetter: boolean;
  /** The metric is a fraction (accuracy): the colour legend in percent. */
  percent: boolean;
  axes: ParallelAxis[];
  lines: ParallelLine[];
  /** Which trials are drawn, in words ("all 40 finished trials"). */
  rule: string;
}

/**
 * Parallel coordinates: one vertical axis per parameter and a last one for the metric, each
 * trial a line through its values coloured by its metric (darker is better), the best trial
 * in black on top. Positions come precomputed in `data` (see ParallelData), so a log range or
 * a list of choices is laid out by whoever knows the space.
 */
export function parallelChart(data: ParallelData, o: { width?: number; height?: number } = {}): TopLevelSpec {
  const names = data.axes.map((a) => a.name);
  const rows = (lines: ParallelLine[]) => lines.flatMap((l) => l.at.flatMap((at, k) => (at === null ? [] : [{ trial: l.trial, value: l.value, axis: names[k], k, at }])));
  const best = data.lines.at(-1);
  const x = { field: 'axis', type: 'ordinal' as const, sort: names, title: null, scale: { type: 'point' as const, padding: 0.4 }, axis: null };
  const y = { field: 'at', type: 'quantitative' as const, scale: { domain: [0, 1] }, axis: null };
  return {
    $schema: SCHEMA,
    title: { text: `${data.metric} across the parameters`, subtitle: `${data.rule}; one line per trial, darker is better, the best in black` },
    width: o.width ?? Math.max(400, 150 * names.length),
    height: o.height ?? 260,
    layer: [
      {
        data: { values: names.map((axis) => ({ axis })) },
        mark: { type: 'rule', color: '#9ca3af', strokeWidth: 1 },
        encoding: { x, y: { datum: 0, type: 'quantitative', scale: { domain: [0, 1] }, axis: null }, y2: { datum: 1 } },
      },
      {
        // The axes' names above them, whole (an axis's labels would be cut to the space between axes).
        data: { values: names.map((axis) => ({ axis, at: 1 })) },
        mark: { type: 'text', baseline: 'bottom', dy: -10, fontSize: 11, fontWeight: 'bold', color: CHART_COLORS.ink },
        encoding: { x, y, text: { field: 'axis', type: 'nominal' } },
      },
      {
        data: { values: rows(data.lines) },
        mark: { type: 'line', strokeWidth: 1, opacity: 0.6, aria: false },
        encoding: {
          x,
          y,
          detail: { field: 'trial', type: 'nominal' },
          order: { field: 'k', type: 'quantitative' },
          color: {
            field: 'value',
            type: 'quantitative',
            title: data.metric,
            // The lightest blues would vanish on white: the scheme from a third of the way in.
            scale: { scheme: { name: 'blues', extent: [0.3, 1] }, reverse: !data.higherIsBetter },
            legend: { orient: 'bottom', direction: 'horizontal', gradientLength: 220, titleOrient: 'left', format: data.percent ? '.1%' : '.4~r', tickCount: 4 },
          },
        },
      },
      {
        data: { values: best ? rows([best]) : [] },
        mark: { type: 'line', strokeWidth: 2.5, color: CHART_COLORS.ink },
        encoding: { x, y, order: { field: 'k', type: 'quantitative' } },
      },
      {
        data: { values: data.axes.flatMap((a) => a.ticks.map((t) => ({ axis: a.name, at: t.at, text: t.text }))) },
        mark: { type: 'text', align: 'left', dx: 5, fontSize: 10, color: '#4b5563' },
        encoding: { x, y, text: { field: 'text', type: 'nominal' } },
      },
    ],
    config: chartConfig(),
  } as TopLevelSpec;
}
