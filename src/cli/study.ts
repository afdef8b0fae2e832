import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, OutputError } from '../errors.js';
import { formatFixed } from '../format.js';
import { coreCount, createBackend, type BackendName } from '../tensor/index.js';
import { describeStudy, resolveStudy, type ResolvedStudy } from '../tune/study/config.js';
import { loadStudyData } from '../tune/study/data.js';
import { LiveView, fmtEta } from './live.js';
import { trialThreads } from '../tune/exec/runner.js';
import { defaultWorkers } from '../tune/exec/pool.js';
import { formatTable1Text } from '../tune/report/text.js';
import { comparisonSentence, finalTestLine, metricName } from '../tune/report/wording.js';
import { givenTask, metricPending, possibleHashes, studyForData, studyForTask } from '../tune/study/task.js';
import { loadStudyBackend, recordKernels } from '../tune/study/kernels.js';
import { DEFAULT_LEASE_SECONDS, type StudyRecord } from '../tune/storage/types.js';
import { PostgresStorage } from '../tune/storage/postgres.js';
import { studyConflict } from '../tune/storage/problems.js';
import { STUDY_FILES } from '../tune/storage/folder.js';
import { SqliteStorage } from '../tune/storage/sqlite.js';
import { runStudy, runWorker } from '../tune/study/study.js';
import { flag, readJsonFile } from './options.js';

interface StudyFlags {
  workers?: number;
  out?: string;
  storage?: string;
  lease: number;
  backend: BackendName;
  html: boolean;
  threads?: number | 'auto';
}

interface WorkerFlags {
  storage: string;
  study?: string;
  data?: string;
  workers?: number;
  lease: number;
  threads?: number | 'auto';
}

function checkWorkers(n: number | undefined): void {
  if (n !== undefined && n < 1) throw new ConfigError('--workers', n, 'a number of workers >= 1');
}

/** `--threads` checked against the workers before any data is loaded. */
function checkThreads(threads: number | 'auto' | undefined, workers: number | undefined): void {
  if (threads === undefined) return;
  try {
    trialThreads(threads, Math.max(1, workers ?? defaultWorkers()), coreCount());
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError('--threads', threads, e.expected);
    throw e;
  }
}

/** Connect to the study database, reporting reconnections on stderr. */
async function connect(url: string, log: (line: string) => void): Promise<PostgresStorage> {
  return PostgresStorage.connect(url, { onReconnect: (problem) => log(`lost the connection to the study database (${problem}); reconnecting`) });
}

/** Ctrl-C once stops the workers (their trials go back to the queue); twice exits at once. */
function onInterrupt(log: (line: string) => void, controller: AbortController, what: string): () => void {
  const handler = () => {
    if (controller.signal.aborted) process.exit(130);
    log(`mlplab: interrupted; stopping the workers (${what})`);
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/**
 * `mlplab study <config.json> [--storage URL] [--workers N] [--out DIR]`: run, resume or join a
 * tuning study; `mlplab worker --storage URL`: take trials of studies started elsewhere.
 */
export function registerStudyCommand(program: Command): void {
  program
    .command('study')
    .description('run a tuning study (one-at-a-time, grid or random search over factors with several seeds per configuration, or TPE or random search over a space with pruning); running it again resumes')
    .argument('<config>', 'study file (JSON): data, base model, factors and values (or a space of ranges), strategy, seeds, pruner, metric (a regression: R² by default, or valRmse, valMae, valLoss); see examples/seed-study.json, examples/fashion-best.json and examples/penguin-mass-study.json')
    .addOption(flag('workers'))
    .addOption(flag('out', { help: 'study folder: reports, and the results database without --storage (default studies/<name>); the same folder resumes' }))
    .addOption(flag('storage'))
    .addOption(flag('lease', { default: DEFAULT_LEASE_SECONDS }))
    .addOption(flag('backend', { default: 'auto' }))
    .addOption(flag('threads'))
    .addOption(flag('html'))
    .action(async (file: string, flags: StudyFlags) => {
      checkWorkers(flags.workers);
      checkThreads(flags.threads, flags.workers);
      if (!existsSync(file)) throw new ConfigError('<config>', file, 'an existing study file (JSON); see examples/seed-study.json');
      let study = resolveStudy(await readJsonFile(file, 'config'), file, basename(file, extname(file)));
      const defaulted = study.input.metric === undefined;
      // A study file that says its task is checked against it before any data is loaded.
      const task = givenTask(study);
      if (task) study = studyForTask(study, task);
      // Without a metric or a task, the data decides the metric (R² for a regression), and with it the study's identity.
      const pending = metricPending(study);
      const dir = flags.out ?? join('studies', study.name);
      const err = (s: string) => process.stderr.write(s + '\n');
      // Refuse what can be refused before the data is loaded: an unreachable database, a name taken by another config, a folder in use.
      const storage = flags.storage ? await connect(flags.storage, err) : null;
      try {
        let existing: StudyRecord | undefined;
        if (storage) {
          existing = await refuseOtherConfig(storage, study.name, possibleHashes(study));
          if (existsSync(join(dir, STUDY_FILES.db))) {
            throw new OutputError(dir, `holds a study stored in its own ${STUDY_FILES.db}; a study stored in PostgreSQL writes its reports elsewhere. help: pass another --out folder`);
          }
        } else SqliteStorage.check(dir, study.name, possibleHashes(study));
        const out = (s: string) => process.stdout.write(s + '\n');
        out(`mlplab study ${study.name}: ${describeStudy(study)} -> ${dir}${storage ? ` (trials in ${storage.where})` : ''}`);
        // Joining a stored study: its data is prepared on the study's kernels (PCA runs on them), as its other workers do.
        const kernels = existing ? recordKernels(storage!.where, existing) : null;
        const data = await loadStudyData(study, dirname(file), kernels ? await loadStudyBackend(kernels) : createBackend(flags.backend));
        for (const s of data.steps) out(`  data: ${s.summary}`);
        study = studyForData(study, data);
        if (pending) {
          if (storage) await refuseOtherConfig(storage, study.name, [study.hash]);
          else SqliteStorage.check(dir, study.name, study.hash);
        }
        if (defaulted && data.task === 'regress') out(`  metric: ${metricName(study.metric)}, the default for a regression (the study file's "metric" chooses another)`);
        out(`  rows: ${study.data.trainRows !== undefined && study.data.trainRows < data.train.rows ? `${study.data.trainRows} of ${data.train.rows}` : data.train.rows} training rows per trial, ${data.val.rows} validation, ${data.test?.rows ?? 0} test; ${data.train.cols} features`);

        const view = new LiveView({ metric: study.metric });
        const controller = new AbortController();
        const release = onInterrupt((l) => view.log(l), controller, 'finished trials are kept; run the same command to resume');
        let outcome;
        try {
          outcome = await runStudy(study, {
            dir,
            data,
            storage: storage ?? undefined,
            workers: flags.workers,
            ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
            backend: flags.backend,
            leaseSeconds: flags.lease,
            signal: controller.signal,
            onProgress: (p) => view.update(p),
            onLog: (line) => view.log(line),
            htmlReport: flags.html,
          });
        } finally {
          view.stop();
          release();
        }
        const r = outcome.report;
        out('');
        out(formatTable1Text(r));
        out('');
        if (r.interaction) out(`interaction check: ${r.interaction.summary}`);
        if (r.repair) out(`repair: ${r.repair.summary}`);
        out(`final model: ${r.winner.label}`);
        const tested = finalTestLine(r);
        if (tested) {
          out(tested.charAt(0).toLowerCase() + tested.slice(1, -1));
          const compared = comparisonSentence(r);
          if (compared) out(compared);
        }
        const parts = [`${outcome.executed} run here`];
        if (outcome.byOthers > 0) parts.push(`${outcome.byOthers} by other workers`);
        parts.push(`${outcome.reused} from an earlier run`);
        if (outcome.interrupted) parts.push(`${outcome.interrupted} re-run after an interruption`);
        out(`${r.trials.total} trials (${parts.join(', ')}) in ${fmtEta(outcome.wallSeconds)} on ${r.trials.workers} worker${r.trials.workers === 1 ? '' : 's'}`);
        out(`Table 1: ${join(dir, STUDY_FILES.table)}`);
        if (flags.html) out(`report: ${join(dir, STUDY_FILES.report)}`);
      } finally {
        await storage?.close();
      }
    });

  program
    .command('worker')
    .description('join tuning studies stored in PostgreSQL (started with mlplab study --storage) and take their trials until none are left')
    .addOption(flag('storage', { required: true }))
    .addOption(flag('study'))
    .addOption(flag('data', { help: "this machine's copy of the study's data, when it is not where the study file says (needs --study); it must prepare to the same rows" }))
    .addOption(flag('workers'))
    .addOption(flag('lease', { default: DEFAULT_LEASE_SECONDS }))
    .addOption(flag('threads'))
    .action(async (flags: WorkerFlags) => {
      checkWorkers(flags.workers);
      checkThreads(flags.threads, flags.workers);
      const out = (s: string) => process.stdout.write(s + '\n');
      const err = (s: string) => process.stderr.write(s + '\n');
      const storage = await connect(flags.storage, err);
      const workers = Math.max(1, flags.workers ?? defaultWorkers());
      // The live view of the study being worked on (a new one per study joined).
      const ui: { view: LiveView | null } = { view: null };
      const say = (line: string) => (ui.view ? ui.view.log(line) : out(line));
      const controller = new AbortController();
      const release = onInterrupt(say, controller, 'their trials go back to the queue for other workers');
      try {
        out(`mlplab worker on ${hostname()} (process ${process.pid}, ${workers} worker${workers === 1 ? '' : 's'}): ${storage.where}`);
        const outcome = await runWorker({
          storage,
          study: flags.study,
          dataSource: flags.data,
          workers,
          ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
          leaseSeconds: flags.lease,
          signal: controller.signal,
          onJoin: (record, study: ResolvedStudy, data) => {
            ui.view?.stop();
            ui.view = null;
            out(`study "${record.name}": ${describeStudy(study)}; stage ${record.stage}`);
            for (const s of data.steps) out(`  data: ${s.summary}`);
            ui.view = new LiveView({ metric: study.metric });
          },
          onProgress: (_study, p) => ui.view?.update(p),
          onLog: say,
        });
        ui.view?.stop();
        ui.view = null;
        if (outcome.studies.length === 0 && flags.study === undefined) out(`no unfinished studies in ${storage.where}; nothing to do`);
        for (const s of outcome.studies) {
          const extra = [s.dropped ? `${s.dropped} dropped after their lease ran out` : '', s.requeued ? `${s.requeued} re-queued from workers that stopped` : ''].filter(Boolean);
          out(
            `study "${s.name}" is done: ${s.executed} trial${s.executed === 1 ? '' : 's'} trained here${extra.length ? ` (${extra.join(', ')})` : ''}; ` +
              `database time ${formatFixed(s.db.seconds, 2)} s over ${s.db.calls} calls`,
          );
        }
      } finally {
        ui.view?.stop();
        release();
        await storage.close();
      }
    });
}

/** The study stored under this name, if any: one of another config (none of `hashes`) is refused before any data is loaded. */
async function refuseOtherConfig(storage: PostgresStorage, name: string, hashes: readonly string[]): Promise<StudyRecord | undefined> {
  const existing = await storage.findStudy(name);
  if (existing && !hashes.includes(existing.hash)) throw studyConflict(storage.where, name, existing.hash, hashes[0]);
  return existing;
}
