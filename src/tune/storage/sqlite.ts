/**
 * The embedded study store: one SQLite file, `study.db`, in the study folder. One process at a
 * time works in a folder: it holds the folder (a row naming its process and host, renewed
 * while it runs), and a second process is refused with a line naming the holder. A holder that
 * died (killed, machine restarted) is noticed and replaced, and the trials it left running are
 * queued again.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { OutputError } from '../../errors.js';
import type { EpochRecord } from '../../metrics/history-types.js';
import {
  STORAGE_SCHEMA_VERSION,
  finiteOrNull,
  isFinished,
  noTrials,
  type Claim,
  type FinalOutput,
  type NewStudy,
  type StoredTrial,
  type StudyRecord,
  type StudyStage,
  type StudyStorage,
  type TrialCounts,
  type TrialFinish,
  type TrialSpec,
  type TrialStatus,
} from './types.js';
import { STUDY_FILES, refuseForeignOutputs, refuseReadOnly } from './folder.js';
import { epochFromRow, finalFromRow, studyFromRow, trialFromRow, type EpochRow, type StudyRow, type TrialRow } from './rows.js';

/** How long the folder stays held without a renewal (the holder renews it every third of that). */
const HOLD_SECONDS = 30;

const NOW_ISO = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS mlplab_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS mlplab_holder (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    since TEXT NOT NULL,
    lease_until REAL NOT NULL
  );
  CREATE TABLE IF NOT EXISTS mlplab_studies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    config_hash TEXT NOT NULL,
    config_json TEXT NOT NULL,
    fingerprint_json TEXT NOT NULL,
    backend TEXT NOT NULL,
    stage TEXT NOT NULL CHECK (stage IN ('search', 'interaction', 'final', 'done') OR stage LIKE 'repair:%'),
    created_at TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS mlplab_trials (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NOT NULL REFERENCES mlplab_studies(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    position INTEGER NOT NULL,
    config_key TEXT NOT NULL,
    seed INTEGER NOT NULL,
    phase TEXT NOT NULL CHECK (phase IN ('search', 'interaction', 'repair', 'final')),
    label TEXT NOT NULL,
    levels_json TEXT NOT NULL,
    params_json TEXT,
    epochs INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'pruned', 'failed')),
    attempt INTEGER NOT NULL DEFAULT 0,
    worker TEXT,
    lease_until REAL,
    progress_epoch INTEGER NOT NULL DEFAULT 0,
    result_json TEXT,
    error TEXT,
    output_json TEXT,
    queued_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    UNIQUE (study_id, key)
  );
  CREATE INDEX IF NOT EXISTS mlplab_trials_queue ON mlplab_trials (study_id, status, position);
  CREATE TABLE IF NOT EXISTS mlplab_epochs (
    trial_id INTEGER NOT NULL REFERENCES mlplab_trials(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    train_loss REAL, val_loss REAL, train_accuracy REAL, val_accuracy REAL, seconds REAL, learning_rate REAL,
    PRIMARY KEY (trial_id, epoch)
  );
`;

const TRIAL_COLUMNS =
  'id, key, position, config_key, seed, phase, label, levels_json, params_json, epochs, status, attempt, worker, progress_epoch, result_json, error, finished_at';

interface Holder {
  pid: number;
  host: string;
  since: string;
  expired: number;
}

export class SqliteStorage implements StudyStorage {
  readonly kind = 'sqlite';
  readonly where: string;
  /** Trials a previous process left running when it stopped; queued again when this one took the folder. */
  readonly recovered: number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private lost: string | null = null;
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly db: Database.Database,
    private readonly since: string,
    recovered: number,
  ) {
    this.where = join(dir, STUDY_FILES.db);
    this.recovered = recovered;
  }

  /**
   * What `dir` holds, without creating or changing anything: the study stored there, if any.
   * Refuses (OutputError) a folder with study outputs but no study.db, a database that is not
   * an mlplab study or is of another version, a read-only folder holding a study (resuming
   * writes to it), and a folder another live process holds. Lets a command refuse before it
   * spends time loading data.
   */
  static inspect(dir: string): StudyRecord | undefined {
    const file = join(dir, STUDY_FILES.db);
    if (!existsSync(file)) {
      refuseForeignOutputs(dir);
      return undefined;
    }
    refuseReadOnly(dir, file);
    let db: Database.Database;
    try {
      db = new Database(file, { readonly: true, fileMustExist: true });
    } catch (e) {
      throw sqliteProblem(file, e);
    }
    try {
      return guard(file, () => {
        if (!checkSchema(db, file)) return undefined;
        const holder = readHolder(db);
        if (holder && holderAlive(holder)) throw heldBy(dir, holder);
        const row = db.prepare('SELECT * FROM mlplab_studies ORDER BY id LIMIT 1').get() as StudyRow | undefined;
        return row ? studyFromRow(row) : undefined;
      });
    } finally {
      db.close();
    }
  }

  /**
   * Refuse, without changing anything, a folder `inspect` refuses or one holding another
   * config's study (the OutputError `createStudy` would give).
   */
  static check(dir: string, name: string, hash: string): void {
    const existing = SqliteStorage.inspect(dir);
    if (existing && existing.hash !== hash) throw conflict(dir, existing.name, existing.hash, hash);
  }

  /**
   * Open (or create) the study store in `dir` and hold the folder for this process. Refuses
   * what `inspect` refuses. Trials left running by a process that stopped are queued again
   * (`recovered` says how many).
   */
  static open(dir: string): SqliteStorage {
    const file = join(dir, STUDY_FILES.db);
    if (!existsSync(file)) refuseForeignOutputs(dir);
    else refuseReadOnly(dir, file);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new OutputError(dir, `cannot create the study folder: ${(e as Error).message}`);
    }
    let db: Database.Database;
    try {
      db = new Database(file);
      db.pragma('busy_timeout = 5000');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
    } catch (e) {
      throw sqliteProblem(file, e);
    }
    try {
      return guard(file, () => {
        const fresh = !checkSchema(db, file);
        if (fresh) {
          db.exec(SCHEMA);
          db.prepare("INSERT OR IGNORE INTO mlplab_meta (key, value) VALUES ('schema_version', ?)").run(String(STORAGE_SCHEMA_VERSION));
        }
        const { since, recovered } = db
          .transaction(() => {
            const holder = readHolder(db);
            if (holder && holderAlive(holder)) throw heldBy(dir, holder);
            const since = new Date().toISOString();
            db.prepare(`INSERT OR REPLACE INTO mlplab_holder (id, pid, host, since, lease_until) VALUES (1, ?, ?, ?, julianday('now') + ? / 86400.0)`).run(
              process.pid,
              hostname(),
              since,
              HOLD_SECONDS,
            );
            // Whoever held the folder before is gone: what it left running runs again.
            const info = db.prepare("UPDATE mlplab_trials SET status = 'queued', worker = NULL, lease_until = NULL, progress_epoch = 0 WHERE status = 'running'").run();
            return { since, recovered: info.changes };
          })
          .immediate();
        const store = new SqliteStorage(dir, db, since, recovered);
        store.timer = setInterval(() => store.renew(), (HOLD_SECONDS * 1000) / 3);
        store.timer.unref();
        return store;
      });
    } catch (e) {
      db.close();
      throw e;
    }
  }

  private renew(): void {
    if (this.closed || this.lost) return;
    try {
      const info = this.db
        .prepare("UPDATE mlplab_holder SET lease_until = julianday('now') + ? / 86400.0 WHERE id = 1 AND pid = ? AND host = ? AND since = ?")
        .run(HOLD_SECONDS, process.pid, hostname(), this.since);
      if (info.changes !== 1) this.lost = 'another process took over the study folder while this one was stopped';
    } catch (e) {
      this.lost = sqliteProblem(this.where, e).message;
    }
  }

  /** Every call checks the folder is still ours: a process paused past its hold must not write over its successor. */
  private run<T>(f: () => T): T {
    if (this.closed) throw new OutputError(this.where, 'the study store is closed');
    if (!this.lost) {
      const ours = guard(this.where, () => this.db.prepare('SELECT 1 AS ok FROM mlplab_holder WHERE id = 1 AND pid = ? AND host = ? AND since = ?').get(process.pid, hostname(), this.since));
      if (!ours) this.lost = 'another process took over the study folder while this one was stopped';
    }
    if (this.lost) throw new OutputError(this.dir, this.lost);
    return guard(this.where, f);
  }

  async findStudy(name: string): Promise<StudyRecord | undefined> {
    return this.run(() => {
      const row = this.db.prepare('SELECT * FROM mlplab_studies WHERE name = ?').get(name) as StudyRow | undefined;
      return row ? studyFromRow(row) : undefined;
    });
  }

  async unfinishedStudies(): Promise<StudyRecord[]> {
    return this.run(() => (this.db.prepare("SELECT * FROM mlplab_studies WHERE stage <> 'done' ORDER BY id").all() as StudyRow[]).map(studyFromRow));
  }

  async createStudy(study: NewStudy, trials: TrialSpec[]): Promise<{ study: StudyRecord; created: boolean }> {
    return this.run(() =>
      this.db
        .transaction(() => {
          // A folder holds one study: any other config in it is refused, whatever its name.
          const existing = this.db.prepare('SELECT * FROM mlplab_studies ORDER BY id LIMIT 1').get() as StudyRow | undefined;
          if (existing) {
            if (existing.config_hash !== study.hash) throw conflict(this.dir, existing.name, existing.config_hash, study.hash);
            return { study: studyFromRow(existing), created: false };
          }
          const info = this.db
            .prepare(`INSERT INTO mlplab_studies (name, config_hash, config_json, fingerprint_json, backend, stage, created_at) VALUES (?, ?, ?, ?, ?, 'search', ${NOW_ISO})`)
            .run(study.name, study.hash, JSON.stringify(study.config), JSON.stringify(study.fingerprint), study.backend);
          const id = Number(info.lastInsertRowid);
          this.insertTrials(id, trials);
          return { study: studyFromRow(this.db.prepare('SELECT * FROM mlplab_studies WHERE id = ?').get(id) as StudyRow), created: true };
        })
        .immediate(),
    );
  }

  private insertTrials(studyId: number, trials: TrialSpec[]): void {
    const start = (this.db.prepare('SELECT COALESCE(MAX(position), -1) + 1 AS p FROM mlplab_trials WHERE study_id = ?').get(studyId) as { p: number }).p;
    const ins = this.db.prepare(
      `INSERT INTO mlplab_trials (study_id, key, position, config_key, seed, phase, label, levels_json, params_json, epochs, status, queued_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ${NOW_ISO}) ON CONFLICT (study_id, key) DO NOTHING`,
    );
    trials.forEach((t, i) => ins.run(studyId, t.key, start + i, t.configKey, t.seed, t.phase, t.label, JSON.stringify(t.levels), t.params ? JSON.stringify(t.params) : null, t.epochs));
  }

  async study(studyId: number): Promise<StudyRecord> {
    return this.run(() => {
      const row = this.db.prepare('SELECT * FROM mlplab_studies WHERE id = ?').get(studyId) as StudyRow | undefined;
      if (!row) throw new OutputError(this.where, `holds no study with id ${studyId}`);
      return studyFromRow(row);
    });
  }

  async advance(studyId: number, from: StudyStage, to: StudyStage, trials: TrialSpec[]): Promise<boolean> {
    return this.run(() =>
      this.db
        .transaction(() => {
          const info = this.db.prepare('UPDATE mlplab_studies SET stage = ? WHERE id = ? AND stage = ?').run(to, studyId, from);
          if (info.changes !== 1) return false;
          this.insertTrials(studyId, trials);
          return true;
        })
        .immediate(),
    );
  }

  async claim(studyId: number, worker: string, leaseSeconds: number): Promise<Claim | null> {
    return this.run(() =>
      this.db
        .transaction(() => {
          const next = this.db.prepare("SELECT id FROM mlplab_trials WHERE study_id = ? AND status = 'queued' ORDER BY position LIMIT 1").get(studyId) as { id: number } | undefined;
          if (!next) return null;
          const row = this.db
            .prepare(
              `UPDATE mlplab_trials SET status = 'running', attempt = attempt + 1, worker = ?, lease_until = julianday('now') + ? / 86400.0,
               progress_epoch = 0, started_at = ${NOW_ISO} WHERE id = ? RETURNING ${TRIAL_COLUMNS}`,
            )
            .get(worker, leaseSeconds, next.id) as TrialRow;
          return { studyId, trial: trialFromRow(row) };
        })
        .immediate(),
    );
  }

  async heartbeat(claims: { claim: Claim; epoch: number }[], leaseSeconds: number): Promise<number[]> {
    return this.run(() =>
      this.db
        .transaction(() => {
          const upd = this.db.prepare(
            `UPDATE mlplab_trials SET lease_until = julianday('now') + ? / 86400.0, progress_epoch = ?
             WHERE id = ? AND attempt = ? AND status = 'running' AND lease_until >= julianday('now')`,
          );
          return claims.filter((c) => upd.run(leaseSeconds, c.epoch, c.claim.trial.id, c.claim.trial.attempt).changes !== 1).map((c) => c.claim.trial.id);
        })
        .immediate(),
    );
  }

  async finish(claim: Claim, outcome: TrialFinish): Promise<boolean> {
    const t = claim.trial;
    return this.run(() =>
      this.db
        .transaction(() => {
          const upd = this.db
            .prepare(
              `UPDATE mlplab_trials SET status = ?, result_json = ?, error = ?, output_json = ?, lease_until = NULL, progress_epoch = ?, finished_at = ${NOW_ISO}
               WHERE id = ? AND attempt = ? AND status = 'running' AND lease_until >= julianday('now')`,
            )
            .run(
              outcome.status,
              outcome.result ? JSON.stringify(outcome.result) : null,
              outcome.error,
              outcome.output ? JSON.stringify(outcome.output) : null,
              outcome.history.length,
              t.id,
              t.attempt,
            );
          if (upd.changes !== 1) {
            // The same claim finishing again (a retried call) is already stored; anything else lost its lease.
            const now = this.db.prepare('SELECT status, attempt FROM mlplab_trials WHERE id = ?').get(t.id) as { status: TrialStatus; attempt: number } | undefined;
            return now !== undefined && now.attempt === t.attempt && isFinished(now.status);
          }
          const ins = this.db.prepare(
            'INSERT INTO mlplab_epochs (trial_id, epoch, train_loss, val_loss, train_accuracy, val_accuracy, seconds, learning_rate) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          );
          for (const e of outcome.history) {
            ins.run(t.id, e.epoch, finiteOrNull(e.trainLoss), finiteOrNull(e.valLoss), finiteOrNull(e.trainAccuracy), finiteOrNull(e.valAccuracy), finiteOrNull(e.seconds), finiteOrNull(e.learningRate));
          }
          return true;
        })
        .immediate(),
    );
  }

  async release(claim: Claim): Promise<void> {
    this.run(() =>
      this.db
        .prepare("UPDATE mlplab_trials SET status = 'queued', worker = NULL, lease_until = NULL, progress_epoch = 0 WHERE id = ? AND attempt = ? AND status = 'running'")
        .run(claim.trial.id, claim.trial.attempt),
    );
  }

  async reap(studyId: number): Promise<StoredTrial[]> {
    return this.run(() =>
      this.db
        .transaction(() => {
          const stale = this.db
            .prepare(`SELECT ${TRIAL_COLUMNS} FROM mlplab_trials WHERE study_id = ? AND status = 'running' AND lease_until < julianday('now') ORDER BY position`)
            .all(studyId) as TrialRow[];
          const upd = this.db.prepare("UPDATE mlplab_trials SET status = 'queued', worker = NULL, lease_until = NULL, progress_epoch = 0 WHERE id = ?");
          for (const r of stale) upd.run(r.id);
          // Each comes back as queued, naming the worker that lost it.
          return stale.map((r) => ({ ...trialFromRow(r), status: 'queued' as const, epoch: 0 }));
        })
        .immediate(),
    );
  }

  async trials(studyId: number): Promise<StoredTrial[]> {
    return this.run(() => (this.db.prepare(`SELECT ${TRIAL_COLUMNS} FROM mlplab_trials WHERE study_id = ? ORDER BY position`).all(studyId) as TrialRow[]).map(trialFromRow));
  }

  async counts(studyId: number): Promise<TrialCounts> {
    return this.run(() => {
      const out = noTrials();
      for (const r of this.db.prepare('SELECT status, COUNT(*) AS n FROM mlplab_trials WHERE study_id = ? GROUP BY status').all(studyId) as { status: TrialStatus; n: number }[]) out[r.status] = r.n;
      return out;
    });
  }

  async epochs(trialId: number): Promise<EpochRecord[]> {
    return this.run(() => (this.db.prepare('SELECT * FROM mlplab_epochs WHERE trial_id = ? ORDER BY epoch').all(trialId) as EpochRow[]).map(epochFromRow));
  }

  async finalTrials(studyId: number): Promise<{ trial: StoredTrial; output: FinalOutput | null }[]> {
    return this.run(() => {
      const rows = this.db.prepare(`SELECT ${TRIAL_COLUMNS}, output_json FROM mlplab_trials WHERE study_id = ? AND phase = 'final' ORDER BY position`).all(studyId) as (TrialRow & { output_json: string | null })[];
      return rows.map(finalFromRow);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    try {
      if (!this.lost) this.db.prepare('DELETE FROM mlplab_holder WHERE id = 1 AND pid = ? AND host = ? AND since = ?').run(process.pid, hostname(), this.since);
    } catch {
      // The folder is released when its lease runs out; nothing else is at stake here.
    }
    this.closed = true;
    this.db.close();
  }
}

/**
 * True when the file holds the current schema, false when it is empty (a new study); throws
 * for a file that is not an mlplab study or is of another version.
 */
function checkSchema(db: Database.Database, file: string): boolean {
  const names = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name));
  if (names.size === 0) return false;
  if (names.has('study') && names.has('trials')) {
    const v = (db.prepare('SELECT schema_version AS v FROM study LIMIT 1').get() as { v: number } | undefined)?.v ?? 1;
    throw otherVersion(file, v);
  }
  if (!names.has('mlplab_meta') || !names.has('mlplab_studies')) throw new OutputError(file, 'is not an mlplab study database. help: pass another --out folder');
  const row = db.prepare("SELECT value FROM mlplab_meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
  if (!row || Number(row.value) !== STORAGE_SCHEMA_VERSION) throw otherVersion(file, row ? row.value : 'unknown');
  return true;
}

function otherVersion(file: string, version: number | string): OutputError {
  return new OutputError(file, `was written by another mlplab version (study schema ${version}, this mlplab reads ${STORAGE_SCHEMA_VERSION}). help: pass another --out folder, or use the mlplab version that wrote it`);
}

function readHolder(db: Database.Database): Holder | undefined {
  return db.prepare("SELECT pid, host, since, lease_until < julianday('now') AS expired FROM mlplab_holder WHERE id = 1").get() as Holder | undefined;
}

/**
 * A holder on this machine holds the folder while its process lives (paused or busy, it is
 * still there); one on another machine (a shared file system) while it renews its hold.
 */
function holderAlive(h: Holder): boolean {
  if (h.host !== hostname()) return !h.expired;
  try {
    process.kill(h.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function heldBy(dir: string, h: Holder): OutputError {
  const who = h.pid === process.pid && h.host === hostname() ? `this process (${h.pid})` : `process ${h.pid} on ${h.host}`;
  return new OutputError(
    dir,
    `is in use by ${who}, running this study since ${h.since.slice(0, 19).replace('T', ' ')} UTC; a second process would mix its trials with that one's. ` +
      'help: wait for it to finish or stop it (it resumes where it stopped), or pass another --out folder',
  );
}

function conflict(where: string, name: string, hash: string, ours: string): OutputError {
  return new OutputError(
    where,
    `holds the results of study "${name}" written by a different config (hash ${hash}, this config ${ours}); ` +
      'its results are kept and not mixed with these. help: pass another --out folder to start a fresh study, or run the config that wrote it to resume',
  );
}

/** Run `f`, turning SQLite's own errors (read-only, disk full, locked, corrupt) into one line naming the file. */
function guard<T>(file: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw sqliteProblem(file, e);
  }
}

function sqliteProblem(file: string, e: unknown): Error {
  if (!(e instanceof Database.SqliteError)) return e as Error;
  const code = e.code;
  let what = e.message;
  if (code.startsWith('SQLITE_READONLY')) what = 'cannot be written (read-only)';
  else if (code === 'SQLITE_FULL') what = 'cannot be written: the disk is full';
  else if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_LOCKED')) what = 'is locked by another process';
  else if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') what = 'is damaged or not a database';
  else if (code.startsWith('SQLITE_CANTOPEN')) what = 'cannot be opened';
  return new OutputError(file, `${what} (${code}). help: check the folder's permissions and free space, or pass another --out folder`);
}
