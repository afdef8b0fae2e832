/**
 * What every mlplab chart shares: the Vega-Lite schema, the font, the colours and the config.
 * The chart builders (curves, confusion, layers, study) are pure data with no Node or DOM
 * dependency: the Node renderer (render-node.ts) turns their specs into SVG and PNG files, and
 * the browser playground hands the same specs to Vega.
 */
import type { TopLevelSpec } from 'vega-lite';

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

export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

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
