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
import { PostgresStorage } from '../storage/postgres.js';
import { checkSchemaVersion } from '../storage/problems.js';
import { TRIAL_COLUMNS } from '../storage/queries.js';
import { epochFromRow, finalFromRow, trialFromRow, type EpochRow, type StudyRow, type TrialRow } from '../storage/rows.js';
import { columnsOf } from '../storage/schema.js';
import type { EpochRecord } from '../../metrics/history-types.js';
import type { FinalOutput, StoredTrial, TrialStatus } from '../storage/types.js';

/** One status of one study's trials: how many, the best and worst metric of the finished ones, the last moment anything happened. */
export interface StatusRow {
  studyId: number;
  status: TrialStatus;
  n: number;
  maxMetric: number | null;
  minMetric: number | null;
  last: string | null;
}

/** A stored trial with when it started (for the duration of a running one). */
export interface DashboardTrial extends StoredTrial {
  startedAt: string | null;
}

/** What the dashboard reads of a store. */
export interface DashboardSource {
  readonly kind: 'sqlite' | 'postgresql';
  /** Where the studies are, without any password. */
  readonly where: string;
  /** The study rows, as stored (a damaged one is parsed, and reported, by the caller). */
  studyRows(): Promise<StudyRow[]>;
  /** Trials counted per study and status, with the search trials' best metrics, in one query. */
  statusRows(): Promise<StatusRow[]>;
  /** Every trial of a study, in claim order. */
  trials(studyId: number): Promise<DashboardTrial[]>;
  /** The epochs a trial recorded (one indexed read of its rows), for its learning curve. */
  epochs(trialId: number): Promise<EpochRecord[]>;
  /** The finished final-stage trials of a study with their outputs (read once a study has them). */
  finalOutputs(studyId: number): Promise<{ trial: StoredTrial; output: FinalOutput | null }[]>;
  close(): Promise<void>;
}

/** The SQL both databases run, with `?` for parameters; `metric` reads result_json's metric in the dialect (NULL, not an error, when the row is damaged). */
function statements(metric: string) {
  const cols = TRIAL_COLUMNS.join(', ');
  return {
    studies: 'SELECT * FROM mlplab_studies ORDER BY id',
    status: `SELECT study_id, status, COUNT(*) AS n,
        MAX(CASE WHEN phase <> 'final' THEN ${metric} END) AS max_metric, MIN(CASE WHEN phase <> 'final' THEN ${metric} END) AS min_metric,
        MAX(COALESCE(finished_at, started_at, queued_at)) AS last
      FROM mlplab_trials GROUP BY study_id, status`,
    trials: `SELECT ${cols}, started_at FROM mlplab_trials WHERE study_id = ? ORDER BY position`,
    finals: `SELECT ${cols}, output_json FROM mlplab_trials WHERE study_id = ? AND phase = 'final' AND status = 'done' ORDER BY position`,
    epochs: `SELECT ${columnsOf('mlplab_epochs').join(', ')} FROM mlplab_epochs WHERE trial_id = ? ORDER BY epoch`,
  };
}

interface RawStatus {
  study_id: number | string;
  status: TrialStatus;
  n: number | string;
  max_metric: number | string | null;
  min_metric: number | string | null;
  last: string | Date | null;
}

const num = (v: number | string | null): number | null => (v === null ? null : Number.isFinite(Number(v)) ? Number(v) : null);
const iso = (v: string | Date | null): string | null => (v === null ? null : v instanceof Date ? v.toISOString() : String(v));

function statusFrom(r: RawStatus): StatusRow {
  return { studyId: Number(r.study_id), status: r.status, n: Number(r.n), maxMetric: num(r.max_metric), minMetric: num(r.min_metric), last: iso(r.last) };
}

function trialWithStart(r: TrialRow & { started_at: string | Date | null }): DashboardTrial {
  return { ...trialFromRow(r), startedAt: iso(r.started_at) };
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
  const q = statements("CASE WHEN json_valid(result_json) THEN json_extract(result_json, '$.metric') END");
  const read = <T>(f: () => T): Promise<T> => {
    try {
      return Promise.resolve(f());
    } catch (e) {
      return Promise.reject(new OutputError(file, `cannot be read (${(e as Error).message})`));
    }
  };
  return {
    kind: 'sqlite',
    where: file,
    studyRows: () => read(() => db.prepare(q.studies).all() as StudyRow[]),
    statusRows: () => read(() => (db.prepare(q.status).all() as RawStatus[]).map(statusFrom)),
    trials: (id) => read(() => (db.prepare(q.trials).all(id) as (TrialRow & { started_at: string | null })[]).map(trialWithStart)),
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
  // No `?` in this regular expression: every `?` of a statement becomes a parameter marker.
  const q = statements(`CAST(substring(result_json from '"metric":(-{0,1}[0-9][0-9.eE+-]*)') AS DOUBLE PRECISION)`);
  const marks = (text: string) => {
    let n = 0;
    return text.replace(/\?/g, () => `$${++n}`);
  };
  const run = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> => {
    try {
      return (await pool.query<R>(marks(text), values)).rows;
    } catch (e) {
      throw new StorageError(where, `cannot be read (${(e as Error).message})`);
    }
  };
  return {
    kind: 'postgresql',
    where,
    studyRows: () => run<StudyRow>(q.studies),
    statusRows: async () => (await run<RawStatus & pg.QueryResultRow>(q.status)).map(statusFrom),
    trials: async (id) => (await run<TrialRow & { started_at: string | Date | null }>(q.trials, [id])).map(trialWithStart),
    finalOutputs: async (id) => (await run<TrialRow & { output_json: string | null }>(q.finals, [id])).map(finalFromRow),
    epochs: async (id) => (await run<EpochRow & pg.QueryResultRow>(q.epochs, [id])).map(epochFromRow),
    close: () => pool.end(),
  };
}
