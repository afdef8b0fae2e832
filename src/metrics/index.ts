export type { EpochRecord } from './history-types.js';
export type { AverageScores, ClassReport, ClassificationReport } from './classification.js';
export { accuracy, classificationReport, confusionMatrix } from './classification.js';
