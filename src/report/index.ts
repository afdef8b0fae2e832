/**
 * Browser-safe part of the reports: the run report as data, chart specs, diagnostics, text
 * tables, the HTML page from ready SVGs. Rendering to SVG/PNG files in Node lives in render-node.ts.
 *
 * @module mlplab/report
 */
export { CHART_COLORS, CHART_FONT, chartConfig } from './charts/common.js';
export { accuracyChart, lossChart, r2Chart, type CurveChartOptions } from './charts/curves.js';
export { niceStep, predictedChart, residualBins, residualChart, residualHistogram, type RegressionChartOptions, type RegressionPoint, type ResidualBin } from './charts/regression.js';
export { SUMMARY_CLASSES, TOP_CONFUSIONS, confusionChart, type ConfusionChartOptions } from './charts/confusion.js';
export { layerChart, type LayerMetric } from './charts/layers.js';
export { factorChart, type FactorChartOptions, type FactorPoint } from './charts/study.js';
export { diagnoseHistory, type DiagnoseOptions, type Finding, type FindingKind, type HistoryDiagnosis } from './diagnose.js';
export { formatClassificationReport, formatConfusionMatrix, summaryClasses, type TextReportOptions } from './text.js';
export { composeRunReportHtml, runReportCharts, runReportHeader, runReportSections, type RunReportFigures, type RunReportHtmlOptions } from './html.js';
export { reportPage, type ReportSection } from './page.js';
export { MAX_REGRESSION_POINTS, checkRunReport, type RegressionReport, type RunReport } from './run-report.js';
export { LAYER_THRESHOLDS, diagnoseLayers, type LayerFinding, type LayerFindingKind } from './layers.js';
export { MAX_WEIGHT_TILES, firstLayerWeights, pngDataUrl, weightsPng, type FirstLayerWeights } from './weights-image.js';
export { topConfusions, type AverageScores, type ClassReport, type Confusion } from '../metrics/classification.js';
export * from '../format.js';
