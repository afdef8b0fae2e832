import { existsSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { createBackend, type BackendName } from '../tensor/index.js';
import { fmtMetric } from '../tune/analysis.js';
import { resolveStudy } from '../tune/config.js';
import { loadStudyData } from '../tune/data.js';
import { LiveView, fmtEta } from '../tune/live.js';
import { defaultWorkers } from '../tune/pool.js';
import { formatTable1Text } from '../tune/report.js';
import { STUDY_FILES, StudyStore } from '../tune/store.js';
import { runStudy } from '../tune/study.js';
import { parse, readJsonFile } from './options.js';

interface StudyFlags {
  workers?: number;
  threads?: number | 'auto';
  out?: string;
  backend: BackendName;
  html: boolean;
}

/** `mlplab study <config.json> [--workers N] [--out DIR]`: run or resume a tuning study. */
export function registerStudyCommand(program: Command): void {
  program
    .command('study')
    .description('run a tuning study (one-at-a-time, grid or random search, several seeds per configuration); running it again resumes')
    .argument('<config>', 'study file (JSON): data, base model, factors and values, strategy, seeds; see examples/seed-study.json')
    .option('--workers <n>', `worker threads training trials in parallel (default: one per core, here ${defaultWorkers()})`, parse.int('--workers'))
    .option('--out <dir>', 'study folder: results database and reports (default studies/<name>); the same folder resumes')
    .option('--backend <name>', 'kernels: auto | wasm | reference', parse.backend, 'auto')
    .option('--threads <n>', 'threads for the kernels of each trial (default: the cores divided among the workers; workers x threads may not exceed the cores); overrides the study file\'s "threads"', parse.threads)
    .option('--no-html', 'skip report.html and figures (Table 1 and study.json are still written)')
    .action(async (file: string, flags: StudyFlags) => {
      if (flags.workers !== undefined && flags.workers < 1) throw new ConfigError('--workers', flags.workers, 'a number of workers >= 1');
      if (!existsSync(file)) throw new ConfigError('<config>', file, 'an existing study file (JSON); see examples/seed-study.json');
      const study = resolveStudy(await readJsonFile(file, 'config'), file, basename(file, extname(file)));
      const dir = flags.out ?? join('studies', study.name);
      StudyStore.check(dir, study);
      const out = (s: string) => process.stdout.write(s + '\n');
      out(`mlplab study ${study.name}: ${study.factors.length} factors, ${study.strategy.type}, ${study.seeds} seeds per configuration -> ${dir}`);
      const data = await loadStudyData(study, dirname(file), createBackend(flags.backend));
      for (const s of data.steps) out(`  data: ${s.summary}`);
      out(`  rows: ${study.data.trainRows !== undefined && study.data.trainRows < data.train.rows ? `${study.data.trainRows} of ${data.train.rows}` : data.train.rows} training rows per trial, ${data.val.rows} validation, ${data.test?.rows ?? 0} test; ${data.train.cols} features`);

      const view = new LiveView({ metric: study.metric });
      const controller = new AbortController();
      const onSigint = () => {
        if (controller.signal.aborted) process.exit(130);
        view.log('mlplab: interrupted; stopping the workers (finished trials are kept; run the same command to resume)');
        controller.abort();
      };
      process.on('SIGINT', onSigint);
      let outcome;
      try {
        outcome = await runStudy(study, {
          dir,
          data,
          workers: flags.workers,
          threads: flags.threads,
          backend: flags.backend,
          signal: controller.signal,
          onProgress: (p) => view.update(p),
          onLog: (line) => view.log(line),
          htmlReport: flags.html,
        });
      } finally {
        view.stop();
        process.off('SIGINT', onSigint);
      }
      const r = outcome.report;
      out('');
      out(formatTable1Text(r));
      out('');
      if (r.interaction) out(`interaction check: ${r.interaction.summary}`);
      out(`final model: ${r.winner.label}`);
      if (r.final?.test) {
        out(`test accuracy ${fmtMetric(r.final.test.accuracy, 'valAccuracy')}, macro F1 ${r.final.test.report.macro.f1.toFixed(3)} (${r.final.test.report.macro.support} test rows, evaluated once)`);
      }
      out(
        `${r.trials.total} trials (${outcome.executed} run now, ${outcome.reused} from an earlier run${outcome.interrupted ? `, ${outcome.interrupted} re-run after an interruption` : ''}) in ${fmtEta(outcome.wallSeconds)} on ${r.trials.workers} worker${r.trials.workers === 1 ? '' : 's'}`,
      );
      out(`Table 1: ${join(dir, STUDY_FILES.table)}`);
      if (flags.html) out(`report: ${join(dir, STUDY_FILES.report)}`);
    });
}
