/**
 * A study's results in one SQLite file (`study.db` in the study folder). Every finished trial
 * is written with its per-epoch metrics in one transaction, so a study killed at any moment
 * resumes from what was finished: trials left 'running' are cleared and run again, and a trial
 * is stored once (its key is unique).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { OutputError } from '../errors.js';
import type { EpochRecord, LayerStats } from '../metrics/history-types.js';
import type { ResolvedStudy } from './config.js';

/** File names a study writes into its folder. */
export const STUDY_FILES = { db: 'study.db', report: 'report.html', table: 'table1.md', model: 'final/model.json', summary: 'study.json' } as const;

const SCHEMA_VERSION = 1;

export type TrialStatus = 'running' | 'done' | 'failed';

/** What a finished trial measured. */
export interface TrialResult {
  /** The study's metric at the kept epoch (the best one under early stopping, else the last). */
  metric: number;
  valAccuracy: number;
  valLoss: number;
  /** Epoch whose weights were kept (from 1). */
  bestEpoch: number;
  epochs: number;
  stoppedEarly: boolean;
  /** Training wall-clock seconds, and seconds per epoch (the cost the study's cost rule reads). */
  seconds: number;
  secondsPerEpoch: number;
  /** The layer statistics at the kept epoch (when the run measured them). */
  layers?: LayerStats[];
}

/** A trial as stored. */
export interface StoredTrial {
  id: number;
  key: string;
  configKey: string;
  seed: number;
  phase: string;
  label: string;
  status: TrialStatus;
  result: TrialResult | null;
  error: string | null;
}

/** The final model as stored: its report (JSON), and the model file (JSON). */
export interface StoredFinal {
  configKey: string;
  report: unknown;
  model: unknown;
}

export class StudyStore {
  private constructor(
    readonly dir: string,
    private readonly db: Database.Database,
  ) {}

  /**
   * Open (or create) the store of `study` in `dir`. A folder holding another study's results,
   * or outputs without a study.db, is refused with an OutputError that says how to start fresh.
   * Trials a previous process left 'running' are cleared so they run again.
   */
  static open(dir: string, study: ResolvedStudy): StudyStore {
    const file = join(dir, STUDY_FILES.db);
    if (!existsSync(file) && existsSync(dir)) {
      const ours = Object.values(STUDY_FILES).filter((f) => existsSync(join(dir, f)));
      if (ours.length > 0) {
        throw new OutputError(dir, `holds study outputs (${ours.join(', ')}) but no ${STUDY_FILES.db}; refusing to overwrite them. help: pass another --out folder`);
      }
    }
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new OutputError(dir, `cannot create the study folder: ${(e as Error).message}`);
    }
    let db: Database.Database;
    try {
      db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
    } catch (e) {
      throw new OutputError(file, `cannot open the study database: ${(e as Error).message}`);
    }
    try {
      const store = new StudyStore(dir, db);
      store.init(study);
      return store;
    } catch (e) {
      db.close();
      throw e;
    }
  }

  /**
   * Check, without creating or changing anything, that `dir` can hold `study`: it has no
   * study yet, or this very one. Throws the same OutputError as `open`. Lets a command
   * refuse before it spends time loading data.
   */
  static check(dir: string, study: ResolvedStudy): void {
    const file = join(dir, STUDY_FILES.db);
    if (!existsSync(file)) {
      const ours = existsSync(dir) ? Object.values(STUDY_FILES).filter((f) => existsSync(join(dir, f))) : [];
      if (ours.length > 0) {
        throw new OutputError(dir, `holds study outputs (${ours.join(', ')}) but no ${STUDY_FILES.db}; refusing to overwrite them. help: pass another --out folder`);
      }
      return;
    }
    let db: Database.Database;
    try {
      db = new Database(file, { readonly: true, fileMustExist: true });
    } catch (e) {
      throw new OutputError(file, `cannot open the study database: ${(e as Error).message}`);
    }
    try {
      const hasStudy = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'study'").get();
      if (!hasStudy) throw new OutputError(file, 'is not an mlplab study database. help: pass another --out folder');
      const row = db.prepare('SELECT name, config_hash FROM study WHERE id = 1').get() as { name: string; config_hash: string } | undefined;
      if (row && row.config_hash !== study.hash) throw conflict(dir, row, study);
    } finally {
      db.close();
    }
  }

  private init(study: ResolvedStudy): void {
    const tables = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    const names = new Set(tables.map((t) => t.name));
    if (names.size > 0 && !names.has('study')) {
      throw new OutputError(join(this.dir, STUDY_FILES.db), 'is not an mlplab study database. help: pass another --out folder');
    }
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS study (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        name TEXT NOT NULL,
        config_hash TEXT NOT NULL,
        config_json TEXT NOT NULL,
        schema_version INTEGER NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS trials (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        config_key TEXT NOT NULL,
        seed INTEGER NOT NULL,
        phase TEXT NOT NULL,
        label TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
        result_json TEXT,
        error TEXT,
        started_at TEXT,
        finished_at TEXT
      );
      CREATE TABLE IF NOT EXISTS epochs (
        trial_id INTEGER NOT NULL REFERENCES trials(id) ON DELETE CASCADE,
        epoch INTEGER NOT NULL,
        train_loss REAL, val_loss REAL, train_accuracy REAL, val_accuracy REAL, seconds REAL, learning_rate REAL,
        PRIMARY KEY (trial_id, epoch)
      );
      CREATE TABLE IF NOT EXISTS final (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        config_key TEXT NOT NULL,
        report_json TEXT NOT NULL,
        model_json TEXT NOT NULL,
        finished_at TEXT NOT NULL
      );
    `);
    const row = this.db.prepare('SELECT name, config_hash, schema_version FROM study WHERE id = 1').get() as
      | { name: string; config_hash: string; schema_version: number }
      | undefined;
    if (!row) {
      this.db
        .prepare('INSERT INTO study (id, name, config_hash, config_json, schema_version, created_at) VALUES (1, ?, ?, ?, ?, ?)')
        .run(study.name, study.hash, JSON.stringify(study.canonical), SCHEMA_VERSION, new Date().toISOString());
    } else if (row.config_hash !== study.hash) {
      throw conflict(this.dir, row, study);
    } else if (row.schema_version !== SCHEMA_VERSION) {
      throw new OutputError(join(this.dir, STUDY_FILES.db), `was written by another mlplab version (schema ${row.schema_version}, expected ${SCHEMA_VERSION}). help: pass another --out folder`);
    }
  }

  /** Clear trials left 'running' by a process that stopped (their epochs go too); returns how many. */
  resetInterrupted(): number {
    return this.db.transaction(() => {
      const ids = this.db.prepare("SELECT id FROM trials WHERE status = 'running'").all() as { id: number }[];
      const del = this.db.prepare('DELETE FROM trials WHERE id = ?');
      for (const { id } of ids) del.run(id);
      return ids.length;
    })();
  }

  /** Every stored trial, in the order they were started. */
  trials(): StoredTrial[] {
    const rows = this.db.prepare('SELECT * FROM trials ORDER BY id').all() as TrialRow[];
    return rows.map(fromRow);
  }

  /** The stored trial with this key, if any. */
  trial(key: string): StoredTrial | undefined {
    const row = this.db.prepare('SELECT * FROM trials WHERE key = ?').get(key) as TrialRow | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Record that a trial started; a trial is started at most once per key. */
  start(t: { key: string; configKey: string; seed: number; phase: string; label: string }): number {
    const info = this.db
      .prepare("INSERT INTO trials (key, config_key, seed, phase, label, status, started_at) VALUES (?, ?, ?, ?, ?, 'running', ?)")
      .run(t.key, t.configKey, t.seed, t.phase, t.label, new Date().toISOString());
    return Number(info.lastInsertRowid);
  }

  /** Store a finished trial and its epochs in one transaction. */
  finish(id: number, result: TrialResult, history: EpochRecord[]): void {
    this.db.transaction(() => {
      const ins = this.db.prepare(
        'INSERT INTO epochs (trial_id, epoch, train_loss, val_loss, train_accuracy, val_accuracy, seconds, learning_rate) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      );
      for (const e of history) ins.run(id, e.epoch, num(e.trainLoss), num(e.valLoss), num(e.trainAccuracy), num(e.valAccuracy), num(e.seconds), num(e.learningRate));
      const upd = this.db.prepare("UPDATE trials SET status = 'done', result_json = ?, finished_at = ? WHERE id = ? AND status = 'running'").run(JSON.stringify(result), new Date().toISOString(), id);
      if (upd.changes !== 1) throw new OutputError(join(this.dir, STUDY_FILES.db), `trial ${id} is not running; refusing to store its result twice`);
    })();
  }

  /** Store a trial that failed for a reason of its own (divergence): it is not run again. */
  fail(id: number, error: string, history: EpochRecord[]): void {
    this.db.transaction(() => {
      const ins = this.db.prepare(
        'INSERT INTO epochs (trial_id, epoch, train_loss, val_loss, train_accuracy, val_accuracy, seconds, learning_rate) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      );
      for (const e of history) ins.run(id, e.epoch, num(e.trainLoss), num(e.valLoss), num(e.trainAccuracy), num(e.valAccuracy), num(e.seconds), num(e.learningRate));
      this.db.prepare("UPDATE trials SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status = 'running'").run(error, new Date().toISOString(), id);
    })();
  }

  /** Per-epoch metrics of a trial. */
  epochs(id: number): EpochRecord[] {
    const rows = this.db.prepare('SELECT * FROM epochs WHERE trial_id = ? ORDER BY epoch').all(id) as EpochRow[];
    return rows.map((r) => ({
      epoch: r.epoch,
      trainLoss: r.train_loss ?? NaN,
      valLoss: r.val_loss ?? NaN,
      trainAccuracy: r.train_accuracy ?? NaN,
      valAccuracy: r.val_accuracy ?? NaN,
      seconds: r.seconds ?? NaN,
      ...(r.learning_rate === null ? {} : { learningRate: r.learning_rate }),
    }));
  }

  /** Number of stored epoch rows (all trials). */
  epochCount(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM epochs').get() as { n: number }).n;
  }

  finalResult(): StoredFinal | undefined {
    const row = this.db.prepare('SELECT config_key, report_json, model_json FROM final WHERE id = 1').get() as
      | { config_key: string; report_json: string; model_json: string }
      | undefined;
    return row ? { configKey: row.config_key, report: JSON.parse(row.report_json), model: JSON.parse(row.model_json) } : undefined;
  }

  saveFinal(f: StoredFinal): void {
    this.db
      .prepare('INSERT OR REPLACE INTO final (id, config_key, report_json, model_json, finished_at) VALUES (1, ?, ?, ?, ?)')
      .run(f.configKey, JSON.stringify(f.report), JSON.stringify(f.model), new Date().toISOString());
  }

  close(): void {
    this.db.close();
  }
}

function conflict(dir: string, row: { name: string; config_hash: string }, study: ResolvedStudy): OutputError {
  return new OutputError(
    dir,
    `holds the results of study "${row.name}" written by a different config (hash ${row.config_hash}, this config ${study.hash}); ` +
      'its results are kept and not mixed with these. help: pass another --out folder to start a fresh study, or run the config that wrote it to resume',
  );
}

interface TrialRow {
  id: number;
  key: string;
  config_key: string;
  seed: number;
  phase: string;
  label: string;
  status: TrialStatus;
  result_json: string | null;
  error: string | null;
}

interface EpochRow {
  epoch: number;
  train_loss: number | null;
  val_loss: number | null;
  train_accuracy: number | null;
  val_accuracy: number | null;
  seconds: number | null;
  learning_rate: number | null;
}

function fromRow(r: TrialRow): StoredTrial {
  return {
    id: r.id,
    key: r.key,
    configKey: r.config_key,
    seed: r.seed,
    phase: r.phase,
    label: r.label,
    status: r.status,
    result: r.result_json ? (JSON.parse(r.result_json) as TrialResult) : null,
    error: r.error,
  };
}

/** SQLite stores NaN as NULL; keep non-finite values out of REAL columns. */
function num(v: number | undefined): number | null {
  return v === undefined || !Number.isFinite(v) ? null : v;
}
