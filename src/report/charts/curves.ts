/**
 * Training curves: loss and accuracy per epoch, training against validation, the best epoch
 * marked; for regression, the validation R^2 per epoch instead of accuracy.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { EpochRecord } from '../../metrics/history-types.js';
import { formatFixed, formatPercent } from '../../format.js';
import { CHART_COLORS, SCHEMA, chartConfig } from './common.js';

/** Options of {@link lossChart}, {@link accuracyChart} and {@link r2Chart}. */
export interface CurveChartOptions {
  title?: string;
  subtitle?: string;
  /** Title of the y axis (default: cross-entropy loss, accuracy, or validation R²). */
  yTitle?: string;
  /** Plot area size in pixels (default 600 x 300). */
  width?: number;
  height?: number;
}

type CurveMetric = 'loss' | 'accuracy' | 'r2';
type Series = 'training' | 'validation';

/** An epoch's value of a metric for one series (NaN where it was not measured: R^2 is measured on validation only). */
function pick(r: EpochRecord, metric: CurveMetric, series: Series): number {
  if (metric === 'loss') return series === 'training' ? r.trainLoss : r.valLoss;
  if (metric === 'accuracy') return series === 'training' ? r.trainAccuracy : r.valAccuracy;
  return series === 'validation' ? r.valR2 ?? NaN : NaN;
}

function bestIndex(history: EpochRecord[], metric: CurveMetric): number {
  let best = -1;
  for (let i = 0; i < history.length; i++) {
    const v = pick(history[i], metric, 'validation');
    if (!Number.isFinite(v)) continue;
    const b = best < 0 ? NaN : pick(history[best], metric, 'validation');
    if (best < 0 || (metric === 'loss' ? v < b : v > b)) best = i;
  }
  return best;
}

/**
 * Where the R^2 chart's axis ends below: an untrained network's first epochs (R^2 of -5, -2)
 * would flatten the rest of the curve. A run whose best R^2 reaches 0.5 is cut at 0 (worse
 * than predicting the mean), any other at -1; the epochs below run off the bottom.
 */
function r2Floor(values: number[]): number {
  return values.some((v) => v >= 0.5) ? 0 : -1;
}

/**
 * A y scale whose tick labels differ from one another: a flat or nearly flat curve (a run at
 * chance sits at 10.0% for every epoch) gets a domain around its values and enough digits,
 * where the default would label every tick "10%". R^2 stays at most 1 and is cut at r2Floor.
 */
function readableAxis(values: number[], metric: CurveMetric): { scale: Record<string, unknown>; axis: Record<string, unknown> } {
  const isLoss = metric === 'loss';
  const isPercent = metric === 'accuracy';
  const lo = values.reduce((m, v) => Math.min(m, v), Infinity);
  const hi = values.reduce((m, v) => Math.max(m, v), -Infinity);
  if (!Number.isFinite(lo)) return { scale: { zero: false, nice: true }, axis: isPercent ? { format: '.0%', tickCount: 6 } : { tickCount: 6 } };
  if (metric === 'r2' && lo < r2Floor(values)) return { scale: { zero: false, nice: false, domain: [r2Floor(values), 1] }, axis: { tickCount: 6 } };
  // Half the span shown, at least a small share of the value itself (or of a percent point).
  const pad = Math.max((hi - lo) / 2, isLoss ? Math.abs(hi) * 0.01 || 0.01 : 0.005);
  const span = hi - lo + 2 * pad;
  // Ticks about span / 5 apart need this many decimals to read apart.
  const step = span / 5;
  const decimals = Math.max(0, Math.ceil(-Math.log10(isPercent ? step * 100 : step)));
  const format = isPercent ? `.${Math.min(decimals, 4)}%` : `.${Math.min(decimals, isLoss ? 6 : 4)}f`;
  if (hi - lo > 0.05 * Math.max(Math.abs(hi), isLoss ? 1e-12 : 1)) {
    return { scale: { zero: false, nice: true }, axis: { tickCount: 6, ...(isPercent ? { format } : {}) } };
  }
  const top = isLoss ? hi + pad : Math.min(1, hi + pad);
  const domain = [metric === 'r2' ? lo - pad : Math.max(0, lo - pad), top];
  return { scale: { zero: false, nice: false, domain }, axis: { tickCount: 5, format } };
}

function curveChart(history: EpochRecord[], metric: CurveMetric, options: CurveChartOptions): TopLevelSpec {
  const isLoss = metric === 'loss';
  const all: Series[] = ['training', 'validation'];
  const values = history.flatMap((r) => all.map((series) => ({ epoch: r.epoch, series, value: pick(r, metric, series) }))).filter((d) => Number.isFinite(d.value));
  // The legend names the series that were measured (a run without a validation part has no validation curve).
  const shown = all.filter((series) => values.some((d) => d.series === series));
  const series = shown.length ? shown : all;
  const lastEpoch = history.length ? history[history.length - 1].epoch : 1;
  const firstEpoch = history.length ? history[0].epoch : 1;
  const xStart = firstEpoch === 1 && lastEpoch >= 20 ? 0 : firstEpoch;
  const b = bestIndex(history, metric);
  const best = b >= 0 ? { epoch: history[b].epoch, value: pick(history[b], metric, 'validation') } : null;
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
    title: options.yTitle ?? (isLoss ? 'cross-entropy loss' : metric === 'accuracy' ? 'accuracy' : 'validation R²'),
    ...readableAxis(values.map((d) => d.value), metric),
  };
  const floor = metric === 'r2' ? r2Floor(values.map((d) => d.value)) : -Infinity;
  const clipped = values.some((d) => d.value < floor);
  const layers: unknown[] = [
    {
      mark: { type: 'line', strokeWidth: 2, interpolate: 'linear', point: history.length <= 30, ...(clipped ? { clip: true } : {}) },
      encoding: {
        x,
        y,
        color: {
          field: 'series',
          type: 'nominal',
          title: null,
          scale: { domain: series, range: series.map((s) => CHART_COLORS[s]) },
          legend: { orient: 'top', direction: 'horizontal', symbolType: 'stroke', offset: 6 },
        },
      },
    },
  ];
  if (best) {
    const label = `best ${metric === 'accuracy' ? formatPercent(best.value, 1) : formatFixed(best.value, 3)} (epoch ${best.epoch})`;
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
          // Loss curves fall, accuracy and R^2 curves rise: the label goes where the curves are not.
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
      text: options.title ?? (isLoss ? 'Loss per epoch' : metric === 'accuracy' ? 'Accuracy per epoch' : 'Validation R² per epoch'),
      subtitle: options.subtitle ?? defaultSubtitle(metric, shown, clipped ? floor : null),
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

/**
 * The validation part's R^2 per epoch (regression), with the best epoch marked; R^2 below -1
 * (an untrained network's first epochs) runs off the bottom so the rest of the curve reads.
 */
export function r2Chart(history: EpochRecord[], options: CurveChartOptions = {}): TopLevelSpec {
  return curveChart(history, 'r2', options);
}

/** The subtitle; a second line for R^2 cut at `floor` (Vega sizes a chart from estimated text widths: one long line would widen it). */
function defaultSubtitle(metric: CurveMetric, shown: Series[], floor: number | null): string | string[] {
  if (metric === 'r2') {
    const first = '1 is perfect, 0 is predicting the mean';
    return floor === null ? first : [first, `epochs below ${floor === 0 ? '0' : '−1'} run off the bottom`];
  }
  if (shown.length === 2) return 'training vs validation';
  return shown[0] === 'validation' ? 'validation only' : 'training only: this run had no validation part';
}
