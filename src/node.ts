/**
 * mlplab for Node.js: everything in the main entry plus the parts that touch files
 * (loading data sources, saving and loading model files, writing run folders and reports).
 */
export * from './index.js';
export { loadFeatures, loadSource } from './data/source.js';
export { loadModel, saveModel } from './io/model-file.js';
export { runExperiment, type ExperimentOptions, type ExperimentResult, type RunMetrics } from './io/experiment.js';
export { renderRunReportHtml, writeRunFigures, type RunReport } from './report/run-report.js';
export * from './tune/index.js';
