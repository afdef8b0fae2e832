/**
 * Browser-safe part of the reports: chart specs, diagnostics, text tables, the HTML page from
 * ready SVGs. Rendering to SVG/PNG files in Node lives in render-node.ts and run-report.ts.
 */
export {
  CHART_COLORS,
  CHART_FONT,
  accuracyChart,
  chartConfig,
  confusionChart,
  factorChart,
  lossChart,
  type ConfusionChartOptions,
  type CurveChartOptions,
  type FactorChartOptions,
  type FactorPoint,
} from './charts.js';
export { diagnoseHistory, type DiagnoseOptions, type Finding, type FindingKind, type HistoryDiagnosis } from './diagnose.js';
export { formatDuration, formatFixed, formatPercent } from './format.js';
export { formatClassificationReport, formatConfusionMatrix, type TextReportOptions } from './text.js';
export { composeRunReportHtml, escapeHtml, runReportCharts, type RunReportFigures, type RunReportHtmlOptions } from './html.js';
export type { RunReport } from './run-report.js';
