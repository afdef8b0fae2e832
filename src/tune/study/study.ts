/**
 * Running a study: create it in its store with every trial the strategy defines (or join it
 * when it exists with the same config), work on it with this process's worker threads until
 * every trial is finished, by whichever process, then write Table 1, the report and the final
 * model. `runWorker` is the other half: a process that joins studies someone else created and
 * takes their trials until none are left.
 */
import type { Prepared } from '../../data/prepare.js';
import { ConfigError, MlplabError, StorageError } from '../../errors.js';
import type { BackendName } from '../../tensor/index.js';
import { configStats, rankConfigs } from '../analysis/table1.js';
import { describeRun, resolveStudy, type ResolvedStudy } from './config.js';
import { loadStudyData, subsetRows } from './data.js';
import { loadStudyBackend, recordKernels, studyKernels } from './kernels.js';
import { checkFingerprint, dataFingerprint } from './fingerprint.js';
import { REFERENCE_PREFIX, analyse, checkPlan, searchTrials, uniqueStats } from './plan.js';
import { studyForData } from './task.js';
import { PoolStoppedError, WorkerFailure, defaultWorkers } from '../exec/pool.js';
import { ProgressTracker, type StudyProgress } from '../exec/progress.js';
import { buildStudyReport, type StudyReport } from '../report/study-report.js';
import { writeStudyReport } from '../report/write.js';
import { runTrials, type RunnerStats } from '../exec/runner.js';
import { DEFAULT_LEASE_SECONDS, isFinished, type DataFingerprint, type StudyRecord, type StudyStorage } from '../storage/types.js';
import { SqliteStorage } from '../storage/sqlite.js';

export { finalRun, trialKey } from './plan.js';
export type { RunningTrial, StudyPhase, StudyProgress } from '../exec/progress.js';

/** The study stopped before finishing (Ctrl-C, a signal); what finished is stored. */
export class StudyInterrupted extends MlplabError {
  constructor(readonly where: string) {
    super(`the study was interrupted; finished trials are stored in ${where}. help: run the same command again to resume`);
  }
}

export interface RunStudyOptions {
  /** The study folder: report.html, table1.md, final/ (and study.db when no other storage is given). */
  dir: string;
  /** The study's data, prepared once (loadStudyData). */
  data: Prepared;
  /** Where the study's trials live; default SQLite in `dir` (opened and closed here). */
  storage?: StudyStorage;
  /** Worker threads of this process; default one per core. */
  workers?: number;
  /** Kernel threads per trial; default the study file's `threads`, else the cores divided among the workers. */
  threads?: number | 'auto';
  /** Kernel backend of every trial; default 'auto'. Recorded with the study: every worker uses it. */
  backend?: BackendName;
  /** Seconds a worker holds a trial without renewing its lease; default 30. */
  leaseSeconds?: number;
  /** Abort: running trials go back to the queue (they re-run on resume), and runStudy rejects with StudyInterrupted. */
  signal?: AbortSignal;
  onProgress?: (p: StudyProgress) => void;
  /** One-line messages: phases, decisions, workers that stopped. */
  onLog?: (line: string) => void;
  /** Write report.html (with figures); default true. Tests skip it for speed. */
  htmlReport?: boolean;
}

export interface StudyOutcome {
  dir: string;
  report: StudyReport;
  files: string[];
  /** Trials trained by this process, by other workers during this run, and found finished from before. */
  executed: number;
  byOthers: number;
  reused: number;
  /** Trials a stopped process left unfinished, queued again by this one. */
  interrupted: number;
  wallSeconds: number;
  /** Time this process spent in database calls, and how many. */
  db: { seconds: number; calls: number };
}

/**
 * Run (or resume, or join) `study`. Throws OutputError / StorageError when the store holds the
 * study's name with a different config, DataError when it was created on other data,
 * StudyInterrupted when aborted.
 *
 * @example
 * const data = await loadStudyData(study);
 * const { report } = await runStudy(study, { dir: 'studies/seed', data, workers: 2 });
 */
export async function runStudy(given: ResolvedStudy, options: RunStudyOptions): Promise<StudyOutcome> {
  const started = performance.now();
  // The metric a study file left out is the data's (R² for a regression); a metric or option of the other task is refused.
  const study = studyForData(given, options.data);
  const storage = options.storage ?? SqliteStorage.open(options.dir);
  const log = options.onLog ?? (() => undefined);
  const workers = Math.max(1, options.workers ?? defaultWorkers());
  let tracker: ProgressTracker | null = null;
  try {
    const fingerprint = dataFingerprint(options.data);
    checkPlan(study, options.data.train.cols, options.data.classes, options.data.task);
    const { study: record, created } = await storage.createStudy(
      { name: study.name, hash: study.hash, config: study.input, fingerprint, backend: studyKernels(options.backend ?? 'auto') },
      searchTrials(study),
    );
    if (!created) checkJoin(storage, record, study, fingerprint, studyKernels(options.backend ?? 'auto'));
    if (storage.recovered > 0) log(`resuming: ${storage.recovered} trial${storage.recovered === 1 ? ' was' : 's were'} interrupted and will run again`);
    const before = await storage.trials(record.id);
    if (!created && storage.kind === 'postgresql') {
      const done = before.filter((t) => isFinished(t.status)).length;
      log(`joined study "${study.name}" in ${storage.where}: ${done} of ${before.length} trials finished`);
    }
    const search = before.filter((t) => t.phase === 'search').length;
    const on = `on ${workers} worker${workers === 1 ? '' : 's'} here`;
    if (study.strategy.type === 'tpe') log(`tpe search: ${study.strategy.trials} trials, the first ${search} drawn at random, the rest suggested from the results, ${on}`);
    else if (study.space.length > 0) log(`random search: ${search} trials drawn from the space ${on}`);
    else log(`${study.strategy.type} search: ${search} trials (${search / study.seeds} configurations x ${study.seeds} seeds) ${on}`);
    tracker = new ProgressTracker(storage, record.id, study, started, workers, options.onProgress);
    tracker.start(before);
    const t = tracker;
    let stats: RunnerStats;
    try {
      stats = await runTrials({
        storage,
        record,
        study,
        data: options.data,
        workers,
        ...(options.threads !== undefined ? { threads: options.threads } : {}),
        leaseSeconds: options.leaseSeconds ?? DEFAULT_LEASE_SECONDS,
        signal: options.signal,
        ...t.events(),
        onLog: log,
      });
    } catch (e) {
      throw translate(e, storage.where);
    }
    await tracker.stop();
    const trials = await storage.trials(record.id);
    const report = await studyReport(storage, record.id, study, options.data, { workers, wallSeconds: (performance.now() - started) / 1000, executed: stats.executed });
    const files = await writeStudyReport(options.dir, report.report, { modelJson: report.modelJson, referenceJson: report.referenceJson, html: options.htmlReport ?? true, test: options.data.test });
    const finishedBefore = tracker.finishedBefore();
    const reused = trials.filter((x) => finishedBefore.has(x.id) && x.phase !== 'final').length;
    return {
      dir: options.dir,
      report: report.report,
      files,
      executed: stats.executed,
      byOthers: report.report.trials.total - reused - stats.executed,
      reused,
      interrupted: storage.recovered + stats.requeued,
      wallSeconds: (performance.now() - started) / 1000,
      db: { seconds: stats.dbSeconds, calls: stats.dbCalls },
    };
  } catch (e) {
    if (options.signal?.aborted) throw new StudyInterrupted(storage.where);
    throw e;
  } finally {
    await tracker?.stop();
    if (!options.storage) await storage.close();
  }
}

/** A study that exists already is joined only with the same data (and on the same kernels). */
function checkJoin(storage: StudyStorage, record: StudyRecord, study: ResolvedStudy, fingerprint: DataFingerprint, kernels: string): void {
  const theirs = recordKernels(storage.where, record).backend;
  const mine = kernels.split(':')[0];
  if (mine !== theirs) {
    throw new ConfigError('--backend', mine, `"${theirs}" (or "auto" where it resolves to that): study "${record.name}" was created on those kernels and every trial runs on them`);
  }
  checkFingerprint(study.data.source, fingerprint, record.fingerprint, record.name);
}

/** Build the study report from what the store holds (the study must be done). */
async function studyReport(
  storage: StudyStorage,
  studyId: number,
  study: ResolvedStudy,
  data: Prepared,
  run: { workers: number; wallSeconds: number; executed: number },
): Promise<{ report: StudyReport; modelJson: string | null; referenceJson: string | null }> {
  const record = await storage.study(studyId);
  const all = await storage.trials(studyId);
  const trials = all.filter((t) => t.phase !== 'final');
  const a = analyse(study, trials, record.stage);
  const configs = [...a.search, ...a.checkConfigs, ...(a.repair?.configs ?? [])];
  const stats = configStats(configs, trials);
  const finals = await storage.finalTrials(studyId);
  const final = finals.find((f) => !f.trial.key.startsWith(REFERENCE_PREFIX));
  const reference = finals.find((f) => f.trial.key.startsWith(REFERENCE_PREFIX));
  const trialRows = subsetRows(data.train, study.data.trainRows, study.data.seed);
  const workers = new Set(all.map((t) => t.worker).filter((w) => w !== null));
  const report = buildStudyReport({
    study,
    data,
    source: study.data.source,
    trialRows: trialRows ? trialRows.length : data.train.rows,
    table: a.table,
    candidate: a.candidate,
    check: a.check,
    repair: a.repair?.result ?? null,
    ranking: rankConfigs(study, uniqueStats(configs, stats)),
    winner: a.winner ?? a.search[0],
    final: final?.output?.report ?? null,
    finalError: final?.trial.status === 'failed' ? final.trial.error : null,
    reference: study.reference && final
      ? { label: study.reference.label, spec: study.reference.spec, description: describeRun(study.reference.run), final: reference?.output?.report ?? null, error: reference?.trial.status === 'failed' ? reference.trial.error : null, sameAsWinner: reference === undefined }
      : null,
    trials,
    workers: storage.kind === 'sqlite' ? run.workers : Math.max(run.workers, workers.size),
    wallSeconds: run.wallSeconds,
    executed: run.executed,
  });
  return { report, modelJson: final?.output?.modelFile ?? null, referenceJson: reference?.output?.modelFile ?? null };
}

export interface RunWorkerOptions {
  storage: StudyStorage;
  /** Work on this study only; default: every unfinished study, oldest first. */
  study?: string;
  /** Read the study's data from here instead of the source its config names (needs `study`). */
  dataSource?: string;
  /** Relative data sources are looked up here first; default the working directory. */
  configDir?: string;
  workers?: number;
  /** Kernel threads per trial; default each study's `threads`, else the cores divided among the workers. */
  threads?: number | 'auto';
  leaseSeconds?: number;
  signal?: AbortSignal;
  /** Told when this worker joins a study, with the data it prepared. */
  onJoin?: (record: StudyRecord, study: ResolvedStudy, data: Prepared) => void;
  onProgress?: (study: ResolvedStudy, p: StudyProgress) => void;
  onLog?: (line: string) => void;
}

export interface WorkerOutcome {
  studies: { name: string; executed: number; dropped: number; requeued: number; db: { seconds: number; calls: number } }[];
}

/**
 * Join unfinished studies (or the one named) and take their trials until none are left; a
 * study is left when it is done, whoever finished it. Refuses a study created on other data
 * (DataError) or by another mlplab version (StorageError).
 */
export async function runWorker(options: RunWorkerOptions): Promise<WorkerOutcome> {
  const { storage } = options;
  const log = options.onLog ?? (() => undefined);
  if (options.dataSource !== undefined && options.study === undefined) {
    throw new ConfigError('--data', options.dataSource, 'a data source together with --study NAME (each study names its own data)');
  }
  const outcome: WorkerOutcome = { studies: [] };
  const skipped = new Set<string>();
  const workers = Math.max(1, options.workers ?? defaultWorkers());
  while (!options.signal?.aborted) {
    let record: StudyRecord | undefined;
    let study: ResolvedStudy;
    if (options.study !== undefined) {
      if (outcome.studies.length > 0) break;
      record = await storage.findStudy(options.study);
      if (!record) {
        const names = storage.kind === 'postgresql' ? await (storage as { studyNames?: () => Promise<string[]> }).studyNames?.() : undefined;
        throw new StorageError(storage.where, `holds no study named "${options.study}"${names && names.length ? `; its studies: ${names.join(', ')}` : '; it holds no studies yet'}. help: start one with mlplab study CONFIG --storage URL`);
      }
      if (record.stage === 'done') {
        log(`study "${record.name}" is finished; nothing to do`);
        break;
      }
      study = resolveStored(storage, record);
    } else {
      // A damaged study is said once and passed over: the worker goes on with the others.
      const skip = (name: string, problem: string) => {
        if (skipped.has(name)) return;
        skipped.add(name);
        log(`study "${name}" skipped: ${problem}`);
      };
      record = (await storage.unfinishedStudies(skip)).find((r) => !skipped.has(r.name));
      if (!record) break;
      try {
        study = resolveStored(storage, record);
      } catch (e) {
        if (!(e instanceof MlplabError)) throw e;
        skip(record.name, e.message);
        continue;
      }
    }
    const source = options.dataSource ?? study.data.source;
    // Prepared on the study's kernels, as the process that created it did (PCA runs on them).
    const kernels = recordKernels(storage.where, record);
    const data = await loadStudyData({ ...study, data: { ...study.data, source } }, options.configDir ?? '.', await loadStudyBackend(kernels));
    checkFingerprint(source, dataFingerprint(data), record.fingerprint, record.name);
    if (studyForData(study, data).hash !== study.hash) {
      throw new StorageError(storage.where, `study "${record.name}" was stored without the metric its data takes; it was created by another mlplab version`);
    }
    options.onJoin?.(record, study, data);
    const started = performance.now();
    const tracker = new ProgressTracker(storage, record.id, study, started, workers, options.onProgress ? (p) => options.onProgress!(study, p) : undefined);
    tracker.start(await storage.trials(record.id));
    try {
      const s = await runTrials({
        storage,
        record,
        study,
        data,
        workers,
        ...(options.threads !== undefined ? { threads: options.threads } : {}),
        leaseSeconds: options.leaseSeconds ?? DEFAULT_LEASE_SECONDS,
        signal: options.signal,
        ...tracker.events(),
        onLog: log,
      });
      outcome.studies.push({ name: record.name, executed: s.executed, dropped: s.dropped, requeued: s.requeued, db: { seconds: s.dbSeconds, calls: s.dbCalls } });
    } catch (e) {
      if (options.signal?.aborted) throw new StudyInterrupted(storage.where);
      throw translate(e, storage.where);
    } finally {
      await tracker.stop();
    }
  }
  if (options.signal?.aborted) throw new StudyInterrupted(storage.where);
  return outcome;
}

/** The study a record holds, resolved by this mlplab; refused when it resolves to another config here. */
function resolveStored(storage: StudyStorage, record: StudyRecord): ResolvedStudy {
  let study: ResolvedStudy;
  try {
    study = resolveStudy(record.config, `study "${record.name}"`, record.name);
  } catch (e) {
    if (e instanceof MlplabError) throw new StorageError(storage.where, `study "${record.name}" has a config this mlplab cannot read (${e.message}); it was created by another mlplab version`);
    throw e;
  }
  if (study.hash !== record.hash) {
    throw new StorageError(storage.where, `study "${record.name}" was created by another mlplab version (its config hashes to ${study.hash} here, ${record.hash} when it was created); results would not be comparable`);
  }
  return study;
}

function translate(e: unknown, where: string): unknown {
  if (e instanceof PoolStoppedError) return new StudyInterrupted(where);
  if (e instanceof WorkerFailure && e.remoteStack) {
    const err = new Error(`a study worker failed: ${e.remoteName}: ${e.message}`);
    err.stack = e.remoteStack;
    return err;
  }
  return e;
}
