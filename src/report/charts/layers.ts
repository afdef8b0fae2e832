/** Per-layer diagnostics over the epochs: gradient norms, dead units, update ratios. */
import type { TopLevelSpec } from 'vega-lite';
import type { EpochRecord } from '../../metrics/history-types.js';
import { CHART_COLORS, SCHEMA, chartConfig } from './common.js';

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
  if (values.length === 0) return emptyChart(m.title, whyEmpty(history, metric), options);
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

/** Why a layer chart has nothing to draw, in words for the chart itself. */
function whyEmpty(history: EpochRecord[], metric: LayerMetric): string {
  const records = history.flatMap((e) => e.layers ?? []);
  if (records.length === 0) return 'No layer statistics were recorded (diagnostics were off, or no epoch finished).';
  if (records.every((l) => l[metric] === 0)) {
    return metric === 'gradientNorm'
      ? 'Every gradient norm was 0: no gradient reached the hidden layers (dead units pass none), and a log axis cannot show 0.'
      : 'Every value was 0, which a log axis cannot show: the weights never moved.';
  }
  return 'No finite value to draw: the statistics overflowed (the loss diverged).';
}

/** A chart's frame with a sentence in place of the plot, so an empty figure says why it is empty. */
function emptyChart(title: string, reason: string, options: { width?: number; height?: number }): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle: 'nothing to draw' },
    width: options.width ?? 600,
    height: options.height ?? 240,
    data: { values: [{ reason: wrap(reason, 46) }] },
    mark: { type: 'text', fontSize: 13, lineHeight: 18, align: 'center', baseline: 'middle', color: CHART_COLORS.muted },
    encoding: { text: { field: 'reason' }, x: { value: (options.width ?? 600) / 2 }, y: { value: (options.height ?? 240) / 2 } },
    config: chartConfig(),
  } as TopLevelSpec;
}

/** Words in lines of at most `width` characters (Vega draws an array of strings as lines). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
