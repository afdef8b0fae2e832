/**
 * The figures of a regression the library's charts do not draw: the model's predictions
 * against the actual values of the validation rows while training and of the final set at the
 * end (the library's predictedChart draws a report's test rows), the generated data's target
 * against each feature, and a target's histogram. Vega-Lite specs in the library's style (its
 * config and colours); the curves are the library's lossChart and r2Chart.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CHART_COLORS, chartConfig } from '../../../src/report/index.js';
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
