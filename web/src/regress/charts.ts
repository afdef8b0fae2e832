/**
 * The figures of a regression: the model's predictions against the actual values with the
 * line y = x where perfect predictions lie, validation R² per epoch, the loss chart's axis
 * named for the regression loss, the generated data's target against each feature, and a
 * target's histogram. Vega-Lite specs in the library's style (its config and colours).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { EpochRecord } from '../../../src/index.js';
import { CHART_COLORS, chartConfig, formatNumber } from '../../../src/report/index.js';
import type { Scatter } from '../protocol.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** The points' colour by set: validation rows orange as in the curves, test rows blue. */
const SET_COLOR: Record<Scatter['set'], string> = { validation: CHART_COLORS.validation, test: CHART_COLORS.training, training: CHART_COLORS.training };

/** A shared domain for both axes around the values, a little padded, so the y = x line is the diagonal. */
function squareDomain(values: number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  let lo = Math.min(...finite), hi = Math.max(...finite);
  if (hi === lo) [lo, hi] = [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.04;
  return [lo - pad, hi + pad];
}

/**
 * Predicted against actual, one point per row (at most MAX_POINTS, spread over the set), on
 * axes of the same scale with the line y = x: points above it are over-predicted, below it under.
 */
export function scatterChart(s: Scatter, o: { target: string; subtitle: string; size: number }): TopLevelSpec {
  const values = s.actual.map((actual, i) => ({ actual, predicted: s.predicted[i], row: s.rows[i] })).filter((v) => Number.isFinite(v.predicted));
  const domain = squareDomain([...s.actual, ...s.predicted]);
  const scale = { domain, nice: false, zero: false };
  // Vega's own tick format: 150, 0.5, 1,500 (a fixed '~g' would print 1.5e+2 for ticks 50 apart).
  const axis = { tickCount: 6 };
  return {
    $schema: SCHEMA,
    title: { text: `Predicted against actual ${o.target}`, subtitle: o.subtitle },
    width: o.size,
    height: o.size,
    layer: [
      {
        data: { values: domain.map((v) => ({ actual: v, predicted: v })) },
        mark: { type: 'line', strokeDash: [6, 4], color: CHART_COLORS.muted, strokeWidth: 1.3 },
        encoding: { x: { field: 'actual', type: 'quantitative', scale }, y: { field: 'predicted', type: 'quantitative', scale } },
      },
      {
        // Left of the line's upper end, above the line: where it reads as the line's name.
        data: { values: [{ actual: domain[1], predicted: domain[1], label: 'y = x' }] },
        mark: { type: 'text', align: 'right', baseline: 'top', dx: -8, dy: 2, fontSize: 11, color: CHART_COLORS.muted },
        encoding: { x: { field: 'actual', type: 'quantitative', scale }, y: { field: 'predicted', type: 'quantitative', scale }, text: { field: 'label' } },
      },
      {
        data: { values },
        mark: { type: 'circle', size: values.length > 400 ? 16 : 30, opacity: 0.6, color: SET_COLOR[s.set] },
        encoding: {
          x: { field: 'actual', type: 'quantitative', title: `actual ${o.target}`, scale, axis },
          y: { field: 'predicted', type: 'quantitative', title: `predicted ${o.target}`, scale, axis },
          tooltip: [{ field: 'row', title: 'row' }, { field: 'actual', format: '.4~g' }, { field: 'predicted', format: '.4~g' }],
        },
      },
    ],
    config: chartConfig(),
  } as TopLevelSpec;
}

/** Validation R² per epoch (the first network of a seed ensemble), the best epoch marked. */
export function r2Chart(history: EpochRecord[], o: { subtitle: string; width: number; height: number }): TopLevelSpec {
  const values = history.filter((r) => Number.isFinite(r.valR2)).map((r) => ({ epoch: r.epoch, r2: r.valR2! }));
  const best = values.reduce<{ epoch: number; r2: number } | null>((b, v) => (b === null || v.r2 > b.r2 ? v : b), null);
  const lo = Math.min(0, ...values.map((v) => v.r2));
  const last = history.length ? history[history.length - 1].epoch : 1;
  const x = { field: 'epoch', type: 'quantitative', title: 'epoch', scale: { domain: [1, Math.max(2, last)], nice: false }, axis: { tickMinStep: 1, format: 'd', grid: false } };
  const y = { field: 'r2', type: 'quantitative', title: 'validation R²', scale: { domain: [Math.max(lo, -1), 1], nice: false, clamp: true }, axis: { tickCount: 6 } };
  return {
    $schema: SCHEMA,
    title: { text: 'R² per epoch', subtitle: o.subtitle },
    width: o.width,
    height: o.height,
    layer: [
      {
        data: { values: [{ r2: 0 }] },
        mark: { type: 'rule', color: CHART_COLORS.grid, strokeWidth: 1.5 },
        encoding: { y: { field: 'r2', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: { type: 'line', strokeWidth: 2, color: CHART_COLORS.validation, point: values.length <= 30 },
        encoding: { x, y },
      },
      ...(best
        ? [{
            data: { values: [{ ...best, label: `best ${formatNumber(best.r2, 3)} (epoch ${best.epoch})` }] },
            layer: [
              { mark: { type: 'point', filled: true, size: 70, color: CHART_COLORS.validation, stroke: 'white', strokeWidth: 1.5, opacity: 1 }, encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'r2', type: 'quantitative' } } },
              { mark: { type: 'text', align: 'right', baseline: 'bottom', dy: -8, x: 'width', fontSize: 11, color: CHART_COLORS.muted }, encoding: { y: { field: 'r2', type: 'quantitative' }, text: { field: 'label' } } },
            ],
          }]
        : []),
    ],
    config: chartConfig(),
  } as TopLevelSpec;
}

/** The library's loss chart with its axis named for a regression loss (it names cross-entropy). */
export function regressionLoss(spec: TopLevelSpec, loss: string): TopLevelSpec {
  const title = `${loss} (standardised target)`;
  const layers = (spec as { layer?: { encoding?: { y?: { title?: string } } }[] }).layer ?? [];
  for (const l of layers) if (l.encoding?.y?.title !== undefined) l.encoding.y.title = title;
  return spec;
}

/** The generated training rows: the target against each feature, side by side (the sine, the parabola and the line). */
export function previewChart(x: number[][], y: number[], names: readonly string[], target: string, width: number): TopLevelSpec {
  const values = x.flatMap((row, r) => row.map((v, c) => ({ feature: names[c], value: v, y: y[r] })));
  return {
    $schema: SCHEMA,
    data: { values },
    facet: { column: { field: 'feature', type: 'nominal', title: null, sort: [...names], header: { labelFontSize: 11, labelPadding: 2 } } },
    spec: {
      width,
      height: width,
      mark: { type: 'circle', size: 7, opacity: 0.5, color: CHART_COLORS.training },
      encoding: {
        x: { field: 'value', type: 'quantitative', title: null, scale: { domain: [-3, 3] }, axis: { tickCount: 3, labelFontSize: 9 } },
        y: { field: 'y', type: 'quantitative', title: target, axis: { tickCount: 4, labelFontSize: 9 } },
      },
    },
    spacing: 6,
    config: { ...chartConfig(), padding: 4 },
  } as TopLevelSpec;
}

/** A target's distribution over the training rows, in 20 bins. */
export function targetHistogram(values: ArrayLike<number>, target: string, width: number): TopLevelSpec {
  const rows = Array.from(values, (v) => ({ v })).filter((d) => Number.isFinite(d.v));
  return {
    $schema: SCHEMA,
    data: { values: rows },
    width,
    height: 90,
    mark: { type: 'bar', color: CHART_COLORS.training, opacity: 0.85 },
    encoding: {
      x: { field: 'v', type: 'quantitative', bin: { maxbins: 20 }, title: `${target} (training rows)`, axis: { labelFontSize: 9 } },
      y: { aggregate: 'count', type: 'quantitative', title: 'rows', axis: { tickCount: 3, labelFontSize: 9 } },
    },
    config: { ...chartConfig(), padding: 4 },
  } as TopLevelSpec;
}
