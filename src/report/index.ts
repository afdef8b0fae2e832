/**
 * Browser-safe part of the reports: the run report as data, chart specs, diagnostics, text
 * tables, the HTML page from ready SVGs. Rendering to SVG/PNG files in Node lives in render-node.ts.
 */
export {
  CHART_COLORS,
  CHART_FONT,
  SUMMARY_CLASSES,
  TOP_CONFUSIONS,
  accuracyChart,
  chartConfig,
  confusionChart,
  factorChart,
  layerChart,
  lossChart,
  type LayerMetric,
  type ConfusionChartOptions,
  type CurveChartOptions,
  type FactorChartOptions,
  type FactorPoint,
} from './charts.js';
export { diagnoseHistory, type DiagnoseOptions, type Finding, type FindingKind, type HistoryDiagnosis } from './diagnose.js';
export { formatClassificationReport, formatConfusionMatrix, summaryClasses, type TextReportOptions } from './text.js';
export { composeRunReportHtml, reportPage, runReportCharts, runReportHeader, runReportSections, type ReportSection, type RunReportFigures, type RunReportHtmlOptions } from './html.js';
export { checkRunReport, type RunReport } from './run-report.js';
export { LAYER_THRESHOLDS, diagnoseLayers, type LayerFinding, type LayerFindingKind } from './layers.js';
export { MAX_WEIGHT_TILES, firstLayerWeights, pngDataUrl, weightsPng, type FirstLayerWeights } from './weights-image.js';
export { topConfusions, type AverageScores, type ClassReport, type Confusion } from '../metrics/classification.js';
export * from '../format.js';
