/**
 * `mlplab/infer`: predictions from a saved model and nothing else, for pages and services that
 * only answer rows. The model file carries its pre-processing, so raw rows go in.
 *
 * @example
 * import { loadPredictor } from 'mlplab/infer';
 * const p = await loadPredictor(modelJsonText);
 * const classes = p.predict({ features: new Float32Array(rows * p.inputs), rows, cols: p.inputs });
 *
 * @module mlplab/infer
 */
export { DataError, MlplabError, ModelFormatError, ShapeError } from './errors.js';
export { loadBackend, type Backend, type BackendName } from './tensor/index.js';
export type { FeatureRows } from './data/dataset.js';
export { loadPredictor, type Predictor } from './run/predictor.js';
