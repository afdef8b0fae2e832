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
import { checkSchemaVersion, folderConflict, otherVersion } from './problems.js';
import { queries } from './queries.js';
import {
  countsFromRows,
  epochFromRow,
  epochValues,
  finalFromRow,
  finishValues,
  finishedBefore,
  studiesFromRows,
  studyFromRow,
  studyValues,
  trialFromRow,
  trialValues,
  type EpochRow,
  type StudyRow,
  type TrialRow,
} from './rows.js';
import type { Dialect } from './schema.js';

/** SQLite's SQL: leases are Julian days by SQLite's clock; one process writes, so rows need no locks. */
export const SQLITE: Dialect = {
  name: 'sqlite',
  types: { key: 'INTEGER PRIMARY KEY AUTOINCREMENT', real: 'REAL', clock: 'REAL' },
  ifNotExists: true,
  params: (text) => text,
  now: "julianday('now')",
  later: (seconds) => `julianday('now') + ${seconds} / 86400.0`,
  nowIso: "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
  skipLocked: '',
};

const Q = queries(SQLITE);

/** How long the folder stays held without a renewal (the holder renews it every third of that). */
const HOLD_SECONDS = 30;

/** The folder's holder: one row naming the process that works in it, with a lease it renews. */
const HOLDER = {
  take: `INSERT OR REPLACE INTO mlplab_holder (id, pid, host, since, lease_until) VALUES (1, ?, ?, ?, ${SQLITE.later('?')})`,
  renew: `UPDATE mlplab_holder SET lease_until = ${SQLITE.later('?')} WHERE id = 1 AND pid = ? AND host = ? AND since = ?`,
  ours: 'SELECT 1 AS ok FROM mlplab_holder WHERE id = 1 AND pid = ? AND host = ? AND since = ?',
  read: `SELECT pid, host, since, lease_until < ${SQLITE.now} AS expired FROM mlplab_holder WHERE id = 1`,
  drop: 'DELETE FROM mlplab_holder WHERE id = 1 AND pid = ? AND host = ? AND since = ?',
};

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
        const row = db.prepare(Q.firstStudy).get() as StudyRow | undefined;
        return row ? studyFromRow(row) : undefined;
      });
    } finally {
      db.close();
    }
  }

  /**
   * Refuse, without changing anything, a folder `inspect` refuses or one holding another
   * config's study (the OutputError `createStudy` would give). `hash` may list the hashes the
   * config can still take (a study whose metric the data decides): any of them is this config.
   */
  static check(dir: string, name: string, hash: string | readonly string[]): void {
    const hashes = typeof hash === 'string' ? [hash] : hash;
    const existing = SqliteStorage.inspect(dir);
    if (existing && !hashes.includes(existing.hash)) throw folderConflict(dir, existing.name, existing.hash, hashes[0]);
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
          db.exec(Q.createTables);
          db.prepare(Q.setVersion).run(String(STORAGE_SCHEMA_VERSION));
        }
        const { since, recovered } = db
          .transaction(() => {
            const holder = readHolder(db);
            if (holder && holderAlive(holder)) throw heldBy(dir, holder);
            const since = new Date().toISOString();
            db.prepare(HOLDER.take).run(process.pid, hostname(), since, HOLD_SECONDS);
            // Whoever held the folder before is gone: what it left running runs again.
            const info = db.prepare(Q.requeueRunning).run();
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
      const info = this.db.prepare(HOLDER.renew).run(HOLD_SECONDS, process.pid, hostname(), this.since);
      if (info.changes !== 1) this.lost = 'another process took over the study folder while this one was stopped';
    } catch (e) {
      this.lost = sqliteProblem(this.where, e).message;
    }
  }

  /** Every call checks the folder is still ours: a process paused past its hold must not write over its successor. */
  private run<T>(f: () => T): T {
    if (this.closed) throw new OutputError(this.where, 'the study store is closed');
    if (!this.lost) {
      const ours = guard(this.where, () => this.db.prepare(HOLDER.ours).get(process.pid, hostname(), this.since));
      if (!ours) this.lost = 'another process took over the study folder while this one was stopped';
    }
    if (this.lost) throw new OutputError(this.dir, this.lost);
    return guard(this.where, f);
  }

  async findStudy(name: string): Promise<StudyRecord | undefined> {
    return this.run(() => {
      const row = this.db.prepare(Q.studyByName).get(name) as StudyRow | undefined;
      return row ? studyFromRow(row) : undefined;
    });
  }

  async unfinishedStudies(onDamaged?: (name: string, problem: string) => void): Promise<StudyRecord[]> {
    return this.run(() => studiesFromRows(this.db.prepare(Q.unfinishedStudies).all() as StudyRow[], onDamaged));
  }

  async createStudy(study: NewStudy, trials: TrialSpec[]): Promise<{ study: StudyRecord; created: boolean }> {
    return this.run(() =>
      this.db
        .transaction(() => {
          // A folder holds one study: any other config in it is refused, whatever its name.
          const existing = this.db.prepare(Q.firstStudy).get() as StudyRow | undefined;
          if (existing) {
            if (existing.config_hash !== study.hash) throw folderConflict(this.dir, existing.name, existing.config_hash, study.hash);
            return { study: studyFromRow(existing), created: false };
          }
          const row = this.db.prepare(Q.insertStudy).get(...studyValues(study)) as StudyRow;
          this.insertTrials(row.id, trials);
          return { study: studyFromRow(row), created: true };
        })
        .immediate(),
    );
  }

  private insertTrials(studyId: number, trials: TrialSpec[]): void {
    const start = (this.db.prepare(Q.nextPosition).get(studyId) as { p: number }).p;
    const ins = this.db.prepare(Q.insertTrial);
    trials.forEach((t, i) => ins.run(studyId, start + i, ...trialValues(t)));
  }

  async study(studyId: number): Promise<StudyRecord> {
    return this.run(() => {
      const row = this.db.prepare(Q.studyById).get(studyId) as StudyRow | undefined;
      if (!row) throw new OutputError(this.where, `holds no study with id ${studyId}`);
      return studyFromRow(row);
    });
  }

  async advance(studyId: number, from: StudyStage, to: StudyStage, trials: TrialSpec[]): Promise<boolean> {
    return this.run(() =>
      this.db
        .transaction(() => {
          const info = this.db.prepare(Q.advance).run(to, studyId, from);
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
          const row = this.db.prepare(Q.claim).get(worker, leaseSeconds, studyId) as TrialRow | undefined;
          return row ? { studyId, trial: trialFromRow(row) } : null;
        })
        .immediate(),
    );
  }

  async heartbeat(claims: { claim: Claim; epoch: number }[], leaseSeconds: number): Promise<number[]> {
    return this.run(() =>
      this.db
        .transaction(() => {
          const upd = this.db.prepare(Q.heartbeat);
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
          const upd = this.db.prepare(Q.finish).run(...finishValues(claim, outcome));
          if (upd.changes !== 1) return finishedBefore(claim, this.db.prepare(Q.trialState).get(t.id) as { status: TrialStatus; attempt: number } | undefined);
          const ins = this.db.prepare(Q.insertEpoch);
          for (const e of outcome.history) ins.run(t.id, ...epochValues(e));
          return true;
        })
        .immediate(),
    );
  }

  async release(claim: Claim): Promise<void> {
    this.run(() => this.db.prepare(Q.release).run(claim.trial.id, claim.trial.attempt));
  }

  async reap(studyId: number): Promise<StoredTrial[]> {
    return this.run(() =>
      this.db
        .transaction(() => {
          const stale = this.db.prepare(Q.staleTrials).all(studyId) as TrialRow[];
          const upd = this.db.prepare(Q.requeue);
          for (const r of stale) upd.run(r.id);
          // Each comes back as queued, naming the worker that lost it.
          return stale.map((r) => ({ ...trialFromRow(r), status: 'queued' as const, epoch: 0 }));
        })
        .immediate(),
    );
  }

  async trials(studyId: number): Promise<StoredTrial[]> {
    return this.run(() => (this.db.prepare(Q.trials).all(studyId) as TrialRow[]).map(trialFromRow));
  }

  async counts(studyId: number): Promise<TrialCounts> {
    return this.run(() => countsFromRows(this.db.prepare(Q.counts).all(studyId) as { status: TrialStatus; n: number }[]));
  }

  async epochs(trialId: number): Promise<EpochRecord[]> {
    return this.run(() => (this.db.prepare(Q.epochs).all(trialId) as EpochRow[]).map(epochFromRow));
  }

  async finalTrials(studyId: number): Promise<{ trial: StoredTrial; output: FinalOutput | null }[]> {
    return this.run(() => (this.db.prepare(Q.finalTrials).all(studyId) as (TrialRow & { output_json: string | null })[]).map(finalFromRow));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    try {
      if (!this.lost) this.db.prepare(HOLDER.drop).run(process.pid, hostname(), this.since);
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
    throw otherVersion('sqlite', file, v);
  }
  if (!names.has('mlplab_meta') || !names.has('mlplab_studies')) throw new OutputError(file, 'is not an mlplab study database. help: pass another --out folder');
  checkSchemaVersion('sqlite', file, (db.prepare(Q.version).get() as { value: string } | undefined)?.value);
  return true;
}

function readHolder(db: Database.Database): Holder | undefined {
  return db.prepare(HOLDER.read).get() as Holder | undefined;
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
