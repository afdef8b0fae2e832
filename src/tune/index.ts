/**
 * Tuning studies (Node only: worker threads, SQLite or PostgreSQL). A study file names the data, a base
 * model, factors with values and a strategy; `runStudy` trains every trial on worker threads,
 * stores each as it finishes, resumes after an interruption, checks the combined winner for
 * interactions, trains the final model and writes Table 1 and the report.
 *
 * @example
 * const study = resolveStudy(JSON.parse(await readFile('examples/quick-study.json', 'utf8')), 'quick-study.json');
 * const data = await loadStudyData(study, 'examples');
 * // runStudy settles the metric by the data (R² for a regression when the file names none).
 * const { report } = await runStudy(study, { dir: 'studies/quick', data, workers: 2 });
 * console.log(formatTable1Text(report));
 *
 * @module mlplab/tune
 */
export { resolveStudy, factorPaths, type Factor, type ResolvedStudy, type Strategy, type StudyMetric } from './study/config.js';
export { studySchema, type StudyConfig } from './study/schema.js';
export { expandStrategy, neighbourLevels, spaceConfiguration, studySeeds, type Configuration } from './study/strategies.js';
export { resolveSpace, spaceSchema, type Param as SearchParam, type ParamSpec } from './search/space.js';
export { RandomSampler, type Observation, type Sampler } from './search/sampler.js';
export { TpeSampler, type TpeOptions } from './search/tpe.js';
export { bestSoFar, MedianPruner, prunerFromConfig, prunerSchema, SuccessiveHalvingPruner, type PruneDecision, type Pruner, type PrunerConfig } from './search/pruners.js';
export { parameterImportance, type Importance } from './search/importance.js';
export { summarize, welchTest, type Comparison, type Summary } from './analysis/stats.js';
export {
  buildTable1,
  combinedCandidate,
  interactionCheck,
  rankConfigs,
  type Candidate,
  type ConfigStats,
  type FactorDecision,
  type InteractionCheck,
  type NeighbourResult,
  type RankedConfig,
  type Table1,
  type Table1Cell,
} from './analysis/table1.js';
export { loadStudyData } from './study/data.js';
export { STUDY_METRICS, metricDirection, metricName, type StudyTask } from './study/metrics.js';
export { studyForData, studyForTask } from './study/task.js';
export {
  DEFAULT_LEASE_SECONDS,
  type Claim,
  type DataFingerprint,
  type StoredTrial,
  type StudyRecord,
  type StudyStage,
  type StudyStorage,
  type TrialFinish,
  type TrialResult,
  type TrialSpec,
} from './storage/types.js';
export { SqliteStorage } from './storage/sqlite.js';
export { STUDY_FILES } from './storage/folder.js';
export { PostgresStorage, isPostgresUrl, redactUrl, type PostgresOptions } from './storage/postgres.js';
export { dataFingerprint } from './study/fingerprint.js';
export { runStudy, runWorker, StudyInterrupted, type RunStudyOptions, type RunWorkerOptions, type StudyOutcome, type StudyProgress, type WorkerOutcome } from './study/study.js';
export { significanceRule, type ReferenceModel, type StudyReport, type TrialLogEntry } from './report/study-report.js';
export { formatTable1Text } from './report/text.js';
export { formatTable1Markdown } from './report/markdown.js';
export { renderStudyReportHtml } from './report/html.js';
export { comparisonSentence } from './report/wording.js';
