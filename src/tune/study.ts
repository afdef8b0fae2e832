/**
 * Running a study: the strategy's trials on worker threads, stored as they finish; after a
 * one-at-a-time search, the combined candidate and its neighbours (the interaction check);
 * then the final model trained and evaluated once on the test set; then the reports.
 * Running the same study in the same folder again resumes it.
 */
import type { Prepared } from '../data/prepare.js';
import { ConfigError, MlplabError } from '../errors.js';
import type { EpochRecord } from '../metrics/history-types.js';
import type { RunReport } from '../report/run-report.js';
import { mergeSpecs, resolveRun, type ResolvedRun } from '../run/spec.js';
import { coreCount, resolveThreads, type BackendName } from '../tensor/index.js';
import { bestConfig, buildTable1, combinedCandidate, configStats, interactionCheck, rankConfigs, type Candidate, type InteractionCheck } from './analysis.js';
import type { ResolvedStudy } from './config.js';
import { shared, subsetRows } from './data.js';
import { PoolStoppedError, WorkerFailure, WorkerPool, defaultWorkers } from './pool.js';
import type { WorkerInit } from './protocol.js';
import { buildStudyReport, writeStudyReport, type StudyReport } from './report.js';
import { StudyStore, type TrialResult } from './store.js';
import { configuration, expandStrategy, neighbourLevels, studySeeds, type Configuration } from './strategies.js';

/** The study stopped before finishing (Ctrl-C, a signal); what finished is stored. */
export class StudyInterrupted extends MlplabError {
  constructor(readonly dir: string) {
    super(`the study was interrupted; finished trials are stored in ${dir}. help: run the same command again to resume`);
  }
}

export type StudyPhase = 'search' | 'interaction' | 'final';

/** A running trial, for the live view. */
export interface RunningTrial {
  label: string;
  seed: number;
  epoch: number;
  epochs: number;
}

/** The live state of a study, passed to `onProgress` whenever it changes. */
export interface StudyProgress {
  phase: StudyPhase;
  /** Trials of this phase: finished (now or in an earlier run), running, not started. */
  done: number;
  running: RunningTrial[];
  left: number;
  total: number;
  /** Trials of this phase found finished from an earlier run. */
  reused: number;
  best: { label: string; mean: number; n: number } | null;
  elapsedSeconds: number;
  /** Estimated seconds to finish this phase, once a trial has finished in this run. */
  etaSeconds: number | null;
  workers: number;
  /** The trial that just finished, if that is what changed. */
  finished?: { label: string; seed: number; result: TrialResult | null; error?: string };
}

export interface RunStudyOptions {
  /** The study folder (study.db, report.html, table1.md, ...). */
  dir: string;
  /** The study's data, prepared once (loadStudyData). */
  data: Prepared;
  /** Worker threads; default one per core. */
  workers?: number;
  /** Kernel backend each worker creates; default 'auto'. */
  backend?: BackendName;
  /** Threads per trial; overrides the study file's `threads`. Default: the cores divided among the workers. */
  threads?: number | 'auto';
  /** Abort: running trials are dropped (they re-run on resume), and runStudy rejects with StudyInterrupted. */
  signal?: AbortSignal;
  onProgress?: (p: StudyProgress) => void;
  /** One-line messages: phases, decisions. */
  onLog?: (line: string) => void;
  /** Write report.html (with figures); default true. Tests skip it for speed. */
  htmlReport?: boolean;
}

export interface StudyOutcome {
  dir: string;
  report: StudyReport;
  files: string[];
  /** Trials trained by this call, and found finished from an earlier run. */
  executed: number;
  reused: number;
  /** Trials an earlier, interrupted run left unfinished (run again by this call). */
  interrupted: number;
  wallSeconds: number;
}

/**
 * Run (or resume) `study` in `options.dir`. Throws OutputError when the folder belongs to a
 * different config, StudyInterrupted when aborted.
 *
 * @example
 * const data = await loadStudyData(study);
 * const { report } = await runStudy(study, { dir: 'studies/seed', data, workers: 2 });
 */
export async function runStudy(study: ResolvedStudy, options: RunStudyOptions): Promise<StudyOutcome> {
  const started = performance.now();
  const store = StudyStore.open(options.dir, study);
  const interrupted = store.resetInterrupted();
  const log = options.onLog ?? (() => undefined);
  if (interrupted) log(`resuming: ${interrupted} trial${interrupted === 1 ? ' was' : 's were'} interrupted and will run again`);
  const workers = Math.max(1, options.workers ?? defaultWorkers());
  const threads = trialThreads(options.threads ?? study.threads, workers, coreCount());
  const seeds = studySeeds(study);
  const trialRows = subsetRows(options.data.train, study.data.trainRows, study.data.seed);
  let pool: WorkerPool | null = null;
  let executed = 0;
  const signal = options.signal;
  const onAbort = () => void pool?.stop();
  signal?.addEventListener('abort', onAbort);

  const getPool = async (): Promise<WorkerPool> => {
    if (pool) return pool;
    if (signal?.aborted) throw new StudyInterrupted(options.dir);
    const d = options.data;
    const init: WorkerInit = {
      backend: options.backend ?? 'auto',
      threads,
      train: shared(d.train),
      val: shared(d.val),
      trialRows,
      test: d.test ? shared(d.test) : null,
      classes: d.classes,
      classNames: d.classNames,
      pipeline: d.pipeline.toTensors(),
      steps: d.steps,
      origin: d.origin,
      source: study.data.source,
    };
    pool = await WorkerPool.start(workers, init);
    if (signal?.aborted) {
      await pool.stop();
      throw new StudyInterrupted(options.dir);
    }
    return pool;
  };

  const runPhase = async (phase: StudyPhase, configs: Configuration[]): Promise<void> => {
    // Seed-major order: every configuration's first seed before any second one, so a drift in
    // machine speed over the run does not fall on one configuration's timings.
    const planned = seeds.flatMap((seed) => configs.map((c) => ({ c, seed, key: trialKey(c.key, seed) })));
    const queue = planned.filter((t) => store.trial(t.key) === undefined);
    const phaseReused = planned.length - queue.length;
    const running = new Map<number, RunningTrial>();
    const phaseStart = performance.now();
    let finishedHere = 0;
    let workerSeconds = 0;
    let doneCount = phaseReused;
    // The best configuration changes only when a trial finishes; recomputed then, not on every start.
    let best: ReturnType<typeof bestConfig> | undefined;
    const emit = (finished?: StudyProgress['finished']) => {
      if (!options.onProgress) return;
      if (best === undefined || finished) best = bestConfig(study, configStats(configs, store.trials()).values());
      const left = queue.length;
      const perTrial = finishedHere > 0 ? workerSeconds / finishedHere : null;
      options.onProgress({
        phase,
        done: doneCount,
        running: [...running.values()],
        left,
        total: planned.length,
        reused: phaseReused,
        best: best ? { label: best.label, mean: best.metric.mean, n: best.metric.n } : null,
        elapsedSeconds: (performance.now() - started) / 1000,
        etaSeconds: perTrial === null ? null : (perTrial * (left + running.size / 2)) / workers,
        workers,
        finished,
      });
    };
    if (queue.length === 0) {
      emit();
      return;
    }
    const p = await getPool();
    emit();
    let failure: unknown = null;
    const loop = async (w: number) => {
      while (queue.length > 0 && failure === null) {
        const t = queue.shift()!;
        const id = store.start({ key: t.key, configKey: t.c.key, seed: t.seed, phase, label: t.c.label });
        const state: RunningTrial = { label: t.c.label, seed: t.seed, epoch: 0, epochs: t.c.run.train.epochs };
        running.set(id, state);
        emit();
        const t0 = performance.now();
        let reply;
        try {
          reply = await p.run(w, { type: 'trial', id, run: t.c.run, seed: t.seed, metric: study.metric }, (r: EpochRecord) => {
            state.epoch = r.epoch;
          });
        } catch (e) {
          running.delete(id);
          if (failure === null) failure = e;
          await p.stop();
          return;
        }
        running.delete(id);
        workerSeconds += (performance.now() - t0) / 1000;
        finishedHere++;
        executed++;
        doneCount++;
        if (reply.type === 'done') {
          store.finish(id, reply.result, reply.history);
          emit({ label: t.c.label, seed: t.seed, result: reply.result });
        } else if (reply.type === 'failed') {
          store.fail(id, reply.error, reply.history);
          emit({ label: t.c.label, seed: t.seed, result: null, error: reply.error });
        }
      }
    };
    await Promise.all(Array.from({ length: p.size }, (_, w) => loop(w)));
    if (failure !== null) throw translate(failure, options.dir);
    log(`${phase}: ${planned.length} trials (${phaseReused} from an earlier run) in ${((performance.now() - phaseStart) / 1000).toFixed(1)} s`);
  };

  try {
    const search = expandStrategy(study);
    log(`${study.strategy.type} search: ${search.length} configurations x ${seeds.length} seeds = ${search.length * seeds.length} trials on ${workers} worker${workers === 1 ? '' : 's'}${threads > 1 ? ` of ${threads} threads each` : ''}`);
    await runPhase('search', search);
    let stats = configStats(search, store.trials());
    const table = buildTable1(study, search, stats);
    let candidate: Candidate | null = null;
    let check: InteractionCheck | null = null;
    let checkConfigs: Configuration[] = [];
    let winner: Configuration;
    if (study.strategy.type === 'one-at-a-time') {
      candidate = combinedCandidate(study, table);
      const candConfig = configuration(study, candidate.levels);
      checkConfigs = [candConfig, ...neighbourLevels(study, candidate.levels, study.combine.neighbours).map((l) => configuration(study, l))];
      for (const d of candidate.decisions) log(`  ${d.factor}: ${d.chosen} (${d.reason})`);
      log(`combined candidate: ${candConfig.label}; interaction check with ${checkConfigs.length - 1} neighbours`);
      await runPhase('interaction', checkConfigs);
      stats = configStats([...search, ...checkConfigs], store.trials());
      const bestSingle = bestConfig(study, uniqueStats(search, stats));
      check = interactionCheck(study, candConfig, checkConfigs.slice(1), stats, candidate.sumOfGains, search.find((c) => c.key === bestSingle?.key) ?? null);
      log(check.summary);
      winner = [...checkConfigs, ...search].find((c) => c.key === check!.winnerKey) ?? candConfig;
    } else {
      const best = bestConfig(study, stats.values());
      winner = search.find((c) => c.key === best?.key) ?? search[0];
    }

    let final: RunReport | null = null;
    let finalError: string | null = null;
    let modelJson: string | null = null;
    if (study.final.enabled && options.data.test) {
      const stored = store.finalResult();
      if (stored && stored.configKey === winner.key) {
        final = stored.report as RunReport;
        modelJson = stored.model as string;
        log('final model: found from an earlier run');
      } else {
        const run = finalRun(study, winner.run, seeds[0]);
        const rows = subsetRows(options.data.train, study.final.trainRows, study.data.seed);
        log(`final model: ${winner.label}, up to ${run.train.epochs} epochs on ${rows ? rows.length : options.data.train.rows} training rows`);
        const p = await getPool();
        const running: RunningTrial = { label: `final: ${winner.label}`, seed: seeds[0], epoch: 0, epochs: run.train.epochs };
        const progress = () =>
          options.onProgress?.({ phase: 'final', done: 0, running: [running], left: 0, total: 1, reused: 0, best: null, elapsedSeconds: (performance.now() - started) / 1000, etaSeconds: null, workers });
        progress();
        let reply;
        try {
          const title = `${study.name}: final model (${winner.label})`;
          reply = await p.run(0, { type: 'final', id: 0, run, rows, title }, (r) => {
            running.epoch = r.epoch;
            progress();
          });
        } catch (e) {
          throw translate(e, options.dir);
        }
        if (reply.type === 'failed') {
          finalError = reply.error;
          log(`final model: ${reply.error}`);
        } else if (reply.type === 'final') {
          final = reply.output.report;
          modelJson = reply.output.modelFile;
          store.saveFinal({ configKey: winner.key, report: final, model: modelJson });
        } else throw new Error(`unexpected reply ${reply.type} to the final job`);
      }
    }
    await (pool as WorkerPool | null)?.stop();
    pool = null;

    const allConfigs = [...search, ...checkConfigs];
    stats = configStats(allConfigs, store.trials());
    const trials = store.trials();
    const report = buildStudyReport({
      study,
      data: options.data,
      source: study.data.source,
      trialRows: trialRows ? trialRows.length : options.data.train.rows,
      table,
      candidate,
      check,
      ranking: rankConfigs(study, uniqueStats(allConfigs, stats)),
      winner,
      final,
      finalError,
      trials,
      workers,
      wallSeconds: (performance.now() - started) / 1000,
      executed,
    });
    const files = await writeStudyReport(options.dir, report, { modelJson, html: options.htmlReport ?? true });
    return { dir: options.dir, report, files, executed, reused: trials.length - executed, interrupted, wallSeconds: (performance.now() - started) / 1000 };
  } catch (e) {
    if (signal?.aborted) throw new StudyInterrupted(options.dir);
    throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await (pool as WorkerPool | null)?.stop();
    store.close();
  }
}

/** The stored key of a trial: its configuration and seed. */
export function trialKey(configKey: string, seed: number): string {
  return `${configKey}/s${seed}`;
}

function uniqueStats(configs: Configuration[], stats: ReturnType<typeof configStats>) {
  const seen = new Set<string>();
  return configs.flatMap((c) => {
    if (seen.has(c.key)) return [];
    seen.add(c.key);
    const s = stats.get(c.key);
    return s ? [s] : [];
  });
}

/** The winner's run with the study's final-model overrides (epochs, early stopping), trained with `seed`. */
export function finalRun(study: ResolvedStudy, run: ResolvedRun, seed: number): ResolvedRun {
  const over: Record<string, unknown> = { seed };
  if (study.final.epochs !== undefined) over.epochs = study.final.epochs;
  if (study.final.earlyStopping !== undefined) over.earlyStopping = study.final.earlyStopping;
  return resolveRun(mergeSpecs(run, { train: over }), 'final');
}

function translate(e: unknown, dir: string): unknown {
  if (e instanceof PoolStoppedError) return new StudyInterrupted(dir);
  if (e instanceof WorkerFailure && e.remoteStack) {
    const err = new Error(`a study worker failed: ${e.remoteName}: ${e.message}`);
    err.stack = e.remoteStack;
    return err;
  }
  return e;
}

/**
 * Threads per trial: `threads` as asked, or by default the cores divided among the workers.
 * A study never runs more threads than there are cores: workers x threads above `cores` is a
 * ConfigError naming the largest count allowed.
 */
export function trialThreads(threads: number | 'auto' | undefined, workers: number, cores: number): number {
  const share = Math.max(1, Math.floor(cores / workers));
  if (threads === undefined || threads === 'auto') return share;
  const n = resolveThreads(threads);
  if (n > 1 && n * workers > cores) {
    throw new ConfigError('threads', threads, `at most ${share} with ${workers} worker${workers === 1 ? '' : 's'} on ${cores} cores (workers x threads may not exceed the cores), or "auto"`);
  }
  return n;
}
