/**
 * `mlplab/node`: the parts that touch files, for Node.js: data sources on disk, model files,
 * run folders, and report figures drawn as SVG and PNG. Studies are `mlplab/tune`.
 *
 * @example
 * import { runExperiment, PRESETS } from 'mlplab';
 * import { loadSource, writeRunFolder } from 'mlplab/node';
 * const result = await runExperiment(PRESETS.final, await loadSource('fashion-mnist'));
 * await writeRunFolder(result, 'runs/final');
 *
 * @module mlplab/node
 */
export { diskFiles, loadFeatures, loadSource } from './data/files.js';
export { loadModel, saveModel, writeRunFolder, type LoadModelOptions, type RunFolderOptions } from './run/folder.js';
export { renderRunFigureSvgs, renderRunReportHtml, specToSvg, svgToPng, writeRunFigures, type PngOptions } from './report/render-node.js';
