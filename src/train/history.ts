/** One epoch of training, as stored in history.json and shown in reports (defined with the metrics). */
export type { EpochRecord } from '../metrics/history-types.js';
