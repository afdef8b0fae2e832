/**
 * The dashboard's view of a study store, read-only at the connection: a study folder's
 * study.db opened by SQLite as read-only, or a PostgreSQL database on connections whose
 * transactions are read-only. It reads the study stores' tables with their own row readers
 * and never claims, leases or inserts, so a running study is not disturbed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { OutputError, StorageError } from '../../errors.js';
import { STUDY_FILES } from '../storage/folder.js';
import { POSTGRES, PostgresStorage } from '../storage/postgres.js';
import { SQLITE } from '../storage/sqlite.js';
import { checkSchemaVersion } from '../storage/problems.js';
import { TRIAL_COLUMNS } from '../storage/queries.js';
import { epochFromRow, finalFromRow, trialFromRow, type EpochRow, type StudyRow, type TrialRow } from '../storage/rows.js';
import { columnsOf } from '../storage/schema.js';
import type { EpochRecord } from '../../metrics/history-types.js';
import type { FinalOutput, StoredTrial } from '../storage/types.js';

/** A stored trial as the dashboard reads it: when it was queued and started, its lease, and why its row cannot be read when it cannot. */
export interface DashboardTrial extends StoredTrial {
  studyId: number;
  queuedAt: string | null;
  startedAt: string | null;
  /** The end of a running trial's lease (ISO time, the database's clock); null otherwise. */
  leaseUntil: string | null;
  /** Why the row is damaged (its JSON unreadable): then only its id, position, status, worker and times are known. */
  damaged?: string;
}

/**
 * What to read of one study's trials: those that may have changed since the last read. Ended
 * trials never change again, a queued one changes only when it is claimed (always the lowest
 * position queued first), and new trials take positions after every other. So the rows that
 * changed are: the ones running at the last read (`running`), those not queued at a position
 * from `from` (the lowest queued at the last read) on, and the queued ones after `after` (the
 * highest position read). The first read (`from` 0, `after` -1) is every trial. (A trial
 * claimed and given back between two reads is queued at both: only its attempt count, which
 * the page does not show, is not read again.)
 */
export interface TrialCursor {
  studyId: number;
  from: number;
  after: number;
  running: number[];
}

/** What the dashboard reads of a store. */
export interface DashboardSource {
  readonly kind: 'sqlite' | 'postgresql';
  /** Where the studies are, without any password. */
  readonly where: string;
  /** The study folder (its report files), when the store is one. */
  readonly folder: string | null;
  /** The study rows, as stored (a damaged one is parsed, and reported, by the caller), and the database's clock now. */
  studyRows(): Promise<{ rows: StudyRow[]; now: string | null }>;
  /** The trials of these studies that may have changed (see TrialCursor), in one statement on the trials' index and primary key. */
  changes(cursors: TrialCursor[]): Promise<DashboardTrial[]>;
  /** The epochs a trial recorded (one indexed read of its rows), for its learning curve. */
  epochs(trialId: number): Promise<EpochRecord[]>;
  /** The finished final-stage trials of a study with their outputs (read once a study has them). */
  finalOutputs(studyId: number): Promise<{ trial: StoredTrial; output: FinalOutput | null }[]>;
  close(): Promise<void>;
}

interface ChangeRow extends TrialRow {
  study_id: number | string;
  queued_at: string | null;
  started_at: string | null;
  lease_iso: string | null;
}

/** The SQL both databases run, with `?` for parameters; `nowIso` and `leaseIso` are the dialect's clock and a lease as ISO text. */
function statements(d: { nowIso: string; leaseIso: string; ids: (ids: number[]) => { text: string; values: unknown[] } }) {
  const cols = `${TRIAL_COLUMNS.join(', ')}, study_id, queued_at, started_at, ${d.leaseIso} AS lease_iso`;
  return {
    studies: `SELECT *, ${d.nowIso} AS db_now FROM mlplab_studies ORDER BY id`,
    /** One study's part of the changes: index ranges on (study_id, status, position), then primary-key lookups. */
    changes(c: TrialCursor): { text: string; values: unknown[] } {
      const parts = [
        `SELECT ${cols} FROM mlplab_trials WHERE study_id = ? AND status IN ('running', 'done', 'pruned', 'failed') AND position >= ?`,
        `SELECT ${cols} FROM mlplab_trials WHERE study_id = ? AND status = 'queued' AND position > ?`,
      ];
      const values: unknown[] = [c.studyId, c.from, c.studyId, c.after];
      if (c.running.length) {
        const ids = d.ids(c.running);
        parts.push(`SELECT ${cols} FROM mlplab_trials WHERE ${ids.text}`);
        values.push(...ids.values);
      }
      return { text: parts.join('\nUNION ALL\n'), values };
    },
    finals: `SELECT ${TRIAL_COLUMNS.join(', ')}, output_json FROM mlplab_trials WHERE study_id = ? AND phase = 'final' AND status = 'done' ORDER BY position`,
    epochs: `SELECT ${columnsOf('mlplab_epochs').join(', ')} FROM mlplab_epochs WHERE trial_id = ? ORDER BY epoch`,
  };
}

const SQLITE_Q = statements({
  nowIso: SQLITE.nowIso,
  leaseIso: "strftime('%Y-%m-%dT%H:%M:%fZ', lease_until)",
  ids: (ids) => ({ text: `id IN (${ids.map(() => '?').join(', ')})`, values: ids }),
});
const POSTGRES_Q = statements({
  nowIso: POSTGRES.nowIso,
  leaseIso: `to_char(lease_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
  ids: (ids) => ({ text: 'id = ANY(?::int[])', values: [ids] }),
});

/** The statement reading the trials of `cursors` that may have changed, in `kind`'s SQL (its parameter markers included). */
export function changesQuery(kind: DashboardSource['kind'], cursors: TrialCursor[]): { text: string; values: unknown[] } {
  const c = allChanges(kind === 'sqlite' ? SQLITE_Q : POSTGRES_Q, cursors);
  return kind === 'sqlite' ? c : { text: POSTGRES.params(c.text), values: c.values };
}

/** The changes of many studies in one statement. */
function allChanges(q: ReturnType<typeof statements>, cursors: TrialCursor[]): { text: string; values: unknown[] } {
  const parts = cursors.map((c) => q.changes(c));
  return { text: parts.map((p) => p.text).join('\nUNION ALL\n'), values: parts.flatMap((p) => p.values) };
}

const iso = (v: string | Date | null): string | null => (v === null ? null : v instanceof Date ? v.toISOString() : String(v));

/** A changed row as a trial; a row whose JSON cannot be read is kept as damaged, with what is known of it. */
function trialFrom(r: ChangeRow): DashboardTrial {
  const extra = { studyId: Number(r.study_id), queuedAt: iso(r.queued_at), startedAt: iso(r.started_at), leaseUntil: r.status === 'running' ? iso(r.lease_iso) : null };
  try {
    return { ...trialFromRow(r), ...extra };
  } catch (e) {
    if (!(e instanceof StorageError)) throw e;
    return {
      id: Number(r.id),
      key: String(r.key),
      position: Number(r.position),
      configKey: String(r.config_key),
      seed: Number(r.seed),
      phase: r.phase,
      label: String(r.label),
      levels: [],
      params: null,
      epochs: Number(r.epochs),
      status: r.status,
      attempt: Number(r.attempt),
      worker: r.worker,
      epoch: Number(r.progress_epoch),
      result: null,
      error: r.error,
      finishedAt: iso(r.finished_at),
      ...extra,
      damaged: e.problem,
    };
  }
}

/** Open the study in folder `dir` read-only; refuses a folder without one, or a file that is not an mlplab study of this version. */
export function openFolder(dir: string): DashboardSource {
  const file = join(dir, STUDY_FILES.db);
  if (!existsSync(file)) {
    throw new OutputError(dir, `holds no study (no ${STUDY_FILES.db}). help: pass the folder a study writes (its --out, default studies/<name>), or --storage URL for a study in PostgreSQL`);
  }
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
  } catch (e) {
    throw new OutputError(file, `cannot be opened for reading (${(e as Error).message})`);
  }
  try {
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name));
    if (!tables.has('mlplab_meta') || !tables.has('mlplab_studies')) throw new OutputError(file, 'is not an mlplab study database (yet). help: wait until the study has started, or pass the folder of another study');
    checkSchemaVersion('sqlite', file, (db.prepare("SELECT value FROM mlplab_meta WHERE key = 'schema_version'").get() as { value: string } | undefined)?.value);
  } catch (e) {
    db.close();
    if (e instanceof OutputError) throw e;
    throw new OutputError(file, `is damaged or not a database (${(e as Error).message})`);
  }
  const q = SQLITE_Q;
  const read = <T>(f: () => T): Promise<T> => {
    try {
      return Promise.resolve(f());
    } catch (e) {
      return Promise.reject(new OutputError(file, `cannot be read (${(e as Error).message})`));
    }
  };
  // Statements differ by their studies and running trials only: a few are kept prepared.
  const prepared = new Map<string, Database.Statement>();
  const prepare = (text: string): Database.Statement => {
    let st = prepared.get(text);
    if (!st) {
      if (prepared.size > 64) prepared.clear();
      st = db.prepare(text);
      prepared.set(text, st);
    }
    return st;
  };
  return {
    kind: 'sqlite',
    where: file,
    folder: dir,
    studyRows: () =>
      read(() => {
        const rows = prepare(q.studies).all() as (StudyRow & { db_now: string })[];
        return { rows, now: rows[0]?.db_now ?? null };
      }),
    changes: (cursors) =>
      read(() => {
        if (cursors.length === 0) return [];
        const c = changesQuery('sqlite', cursors);
        return (prepare(c.text).all(...c.values) as ChangeRow[]).map(trialFrom);
      }),
    finalOutputs: (id) => read(() => (db.prepare(q.finals).all(id) as (TrialRow & { output_json: string | null })[]).map(finalFromRow)),
    epochs: (id) => read(() => (db.prepare(q.epochs).all(id) as EpochRow[]).map(epochFromRow)),
    close: async () => void db.close(),
  };
}

/**
 * Open the studies of a PostgreSQL database read-only. The store's own connect checks the
 * server, the credentials and the schema version (one line naming the URL without its
 * password); the dashboard's connections then run every transaction read-only.
 */
export async function openDatabase(url: string): Promise<DashboardSource> {
  const checked = await PostgresStorage.connect(url, { reconnectSeconds: 0 });
  const where = checked.where;
  const names = await checked.studyNames();
  await checked.close();
  if (names.length === 0) throw new StorageError(where, 'holds no mlplab study yet. help: start one with mlplab study FILE --storage URL');
  const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000, application_name: 'mlplab dashboard', options: '-c default_transaction_read_only=on' });
  pool.on('error', () => undefined);
  const q = POSTGRES_Q;
  const run = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> => {
    try {
      return (await pool.query<R>(POSTGRES.params(text), values)).rows;
    } catch (e) {
      throw new StorageError(where, `cannot be read (${(e as Error).message})`);
    }
  };
  return {
    kind: 'postgresql',
    where,
    folder: null,
    studyRows: async () => {
      const rows = await run<StudyRow & { db_now: string } & pg.QueryResultRow>(q.studies);
      return { rows, now: rows[0]?.db_now ?? null };
    },
    changes: async (cursors) => {
      if (cursors.length === 0) return [];
      const c = changesQuery('postgresql', cursors);
      try {
        return (await pool.query<ChangeRow>(c.text, c.values)).rows.map(trialFrom);
      } catch (e) {
        throw new StorageError(where, `cannot be read (${(e as Error).message})`);
      }
    },
    finalOutputs: async (id) => (await run<TrialRow & { output_json: string | null }>(q.finals, [id])).map(finalFromRow),
    epochs: async (id) => (await run<EpochRow & pg.QueryResultRow>(q.epochs, [id])).map(epochFromRow),
    close: () => pool.end(),
  };
}
