/** Training curves: loss and accuracy per epoch, training against validation, the best epoch marked. */
import type { TopLevelSpec } from 'vega-lite';
import type { EpochRecord } from '../../metrics/history-types.js';
import { formatFixed, formatPercent } from '../../format.js';
import { CHART_COLORS, SCHEMA, chartConfig } from './common.js';

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

/**
 * A y scale whose tick labels differ from one another: a flat or nearly flat curve (a run at
 * chance sits at 10.0% for every epoch) gets a domain around its values and enough digits,
 * where the default would label every tick "10%".
 */
function readableAxis(values: number[], isLoss: boolean): { scale: Record<string, unknown>; axis: Record<string, unknown> } {
  const lo = values.reduce((m, v) => Math.min(m, v), Infinity);
  const hi = values.reduce((m, v) => Math.max(m, v), -Infinity);
  if (!Number.isFinite(lo)) return { scale: { zero: false, nice: true }, axis: isLoss ? { tickCount: 6 } : { format: '.0%', tickCount: 6 } };
  // Half the span shown, at least a small share of the value itself (or of a percent point).
  const pad = Math.max((hi - lo) / 2, isLoss ? Math.abs(hi) * 0.01 || 0.01 : 0.005);
  const span = hi - lo + 2 * pad;
  // Ticks about span / 5 apart need this many decimals to read apart.
  const step = span / 5;
  const decimals = Math.max(0, Math.ceil(-Math.log10(isLoss ? step : step * 100)));
  const format = isLoss ? `.${Math.min(decimals, 6)}f` : `.${Math.min(decimals, 4)}%`;
  if (hi - lo > 0.05 * Math.max(Math.abs(hi), isLoss ? 1e-12 : 1)) {
    return { scale: { zero: false, nice: true }, axis: { tickCount: 6, ...(isLoss ? {} : { format }) } };
  }
  const domain = [isLoss ? Math.max(0, lo - pad) : Math.max(0, lo - pad), isLoss ? hi + pad : Math.min(1, hi + pad)];
  return { scale: { zero: false, nice: false, domain }, axis: { tickCount: 5, format } };
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
    ...readableAxis(values.map((d) => d.value), isLoss),
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
    const shown = isLoss ? formatFixed(best.value, 3) : formatPercent(best.value, 1);
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
