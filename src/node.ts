/**
 * mlplab for Node.js: everything in the main entry plus the parts that touch files (data
 * sources on disk, model files and run folders, report figures as SVG/PNG) and tuning studies.
 */
export * from './index.js';
export { diskFiles, loadFeatures, loadSource } from './data/files.js';
export { RunFolderDraft, loadModel, saveModel, writeRunFiles, writeRunFolder, type LoadModelOptions, type RunFolderOptions } from './run/folder.js';
export { renderRunFigureSvgs, renderRunReportHtml, specToSvg, svgToPng, writeRunFigures, type PngOptions } from './report/render-node.js';
export * from './tune/index.js';
