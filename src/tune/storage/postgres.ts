/**
 * The shared study store: studies in a PostgreSQL database, so processes on many machines
 * work on one study. Claims use `SELECT ... FOR UPDATE SKIP LOCKED` (no two workers get one
 * trial, none waits on another's lock), leases and their expiry use the server's clock, and
 * every call that fails because the connection dropped (the server restarted, the network
 * blinked) is retried on a new connection for `reconnectSeconds` before it gives up.
 *
 * Opening the store checks the server, the credentials and the schema version, and changes
 * nothing; the tables are created with the first study.
 */
import pg from 'pg';
import { ConfigError, StorageError } from '../../errors.js';
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
import { checkSchemaVersion, studyConflict } from './problems.js';
import { EPOCH_COLUMNS, REQUEUE, TRIAL_COLUMNS, TRIAL_INSERT_COLUMNS, queries } from './queries.js';
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

export interface PostgresOptions {
  /** How long a call keeps retrying after its connection dropped; default 60 s. */
  reconnectSeconds?: number;
  /** Connections at most; default 8. */
  maxConnections?: number;
  /** Told once per call that retries after a dropped connection (for a log line). */
  onReconnect?: (problem: string) => void;
}

/** PostgreSQL's SQL: leases are timestamps by the server's clock; claims lock the row they take. */
export const POSTGRES: Dialect = {
  name: 'postgresql',
  types: { key: 'SERIAL PRIMARY KEY', real: 'DOUBLE PRECISION', clock: 'TIMESTAMPTZ' },
  ifNotExists: false,
  params: (text) => {
    let n = 0;
    return text.replace(/\?/g, () => `$${++n}`);
  },
  now: 'now()',
  later: (seconds) => `now() + ${seconds} * interval '1 second'`,
  nowIso: `to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
  skipLocked: ' FOR UPDATE SKIP LOCKED',
};

const Q = queries(POSTGRES);

/**
 * Many rows in one statement, as arrays (a stage's trials, an epoch history, every claim a
 * process renews), and the reaping of stale leases in one statement that skips rows another
 * process is reaping.
 */
const BATCH = {
  insertTrials: `INSERT INTO mlplab_trials (${TRIAL_INSERT_COLUMNS.join(', ')}, status, queued_at)
     SELECT $1, $2 + ord - 1, k, ck, s, ph, l, lv, pj, e, 'queued', ${POSTGRES.nowIso}
     FROM unnest($3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[], $10::int[]) WITH ORDINALITY AS x(k, ck, s, ph, l, lv, pj, e, ord)
     ON CONFLICT (study_id, key) DO NOTHING`,
  insertEpochs: `INSERT INTO mlplab_epochs (${EPOCH_COLUMNS.join(', ')})
     SELECT $1, * FROM unnest($2::int[], $3::float8[], $4::float8[], $5::float8[], $6::float8[], $7::float8[], $8::float8[])`,
  heartbeat: `UPDATE mlplab_trials t SET lease_until = ${POSTGRES.later('$1')}, progress_epoch = v.epoch
     FROM unnest($2::int[], $3::int[], $4::int[]) AS v(id, attempt, epoch)
     WHERE t.id = v.id AND t.attempt = v.attempt AND t.status = 'running' AND t.lease_until >= now()
     RETURNING t.id`,
  reap: `WITH stale AS (
       SELECT id, worker FROM mlplab_trials WHERE study_id = $1 AND status = 'running' AND lease_until < now() FOR UPDATE SKIP LOCKED)
     UPDATE mlplab_trials t SET ${REQUEUE}
     FROM stale WHERE t.id = stale.id RETURNING ${TRIAL_COLUMNS.map((c) => (c === 'worker' ? 'stale.worker' : `t.${c}`)).join(', ')}`,
};

/** The columns of `rows` (rows of equal length), for statements that take each column as an array. */
function transpose(rows: unknown[][], width: number): unknown[][] {
  return Array.from({ length: width }, (_, j) => rows.map((r) => r[j]));
}

/** Held while creating tables or a study, so two processes creating at once wait for each other. */
const CREATE_LOCK = 0x6d6c706c;

type Queryable = pg.Pool | pg.PoolClient | pg.Client;

/** Is `url` a PostgreSQL connection URL? */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** Query parameters of a connection URL that hold a secret. */
const SECRET_PARAMS = /((?:^|[?&\s])(?:password|passfile|sslpassword|sslkey|sslcert)=)[^&#\s]*/gi;

/**
 * A storage URL as it may be printed or stored: without the password of its user-info (even
 * one with an unencoded `@`, or in a URL that does not parse) and with the values of its
 * secret parameters (`password`, `passfile`, `sslpassword`, ...) replaced by `***`.
 */
export function redactUrl(url: string): string {
  const scheme = url.indexOf('//');
  if (scheme < 0) return url.replace(SECRET_PARAMS, '$1***');
  const rest = url.slice(scheme + 2);
  // The user-info ends at the last '@' before the path: a password may hold '@' unencoded.
  const pathStart = rest.search(/[/?#]/);
  const authority = pathStart < 0 ? rest : rest.slice(0, pathStart);
  const at = authority.lastIndexOf('@');
  let out = url;
  if (at >= 0) {
    const user = authority.slice(0, at).split(':')[0];
    out = `${url.slice(0, scheme + 2)}${user}@${rest.slice(at + 1)}`;
  }
  return out.replace(SECRET_PARAMS, '$1***');
}

export class PostgresStorage implements StudyStorage {
  readonly kind = 'postgresql';
  readonly recovered = 0;
  private closed = false;
  private hasTables: boolean;

  private constructor(
    readonly where: string,
    private readonly pool: pg.Pool,
    private readonly options: PostgresOptions,
    hasTables: boolean,
  ) {
    this.hasTables = hasTables;
  }

  /**
   * Connect to `url` and check the database: reachable, credentials accepted, and either no
   * mlplab tables yet or tables of this schema version. Changes nothing. Each problem is one
   * StorageError naming the URL (without its password).
   */
  static async connect(url: string, options: PostgresOptions = {}): Promise<PostgresStorage> {
    if (!isPostgresUrl(url)) throw new ConfigError('--storage', redactUrl(url), 'a PostgreSQL URL such as postgresql://user:password@host:5432/database');
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError('--storage', redactUrl(url), 'a PostgreSQL URL such as postgresql://user:password@host:5432/database');
    }
    if (!parsed.hostname) throw new ConfigError('--storage', redactUrl(url), 'a PostgreSQL URL with a host, such as postgresql://user@host:5432/database');
    const where = redactUrl(url);
    // A first connection of its own: a failed one is closed at once (a pool would leave a
    // half-authenticated connection waiting on the server).
    const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000, application_name: 'mlplab' });
    let hasTables: boolean;
    try {
      await probe.connect();
      const r = await probe.query<{ meta: string | null; studies: string | null }>("SELECT to_regclass('mlplab_meta') AS meta, to_regclass('mlplab_studies') AS studies");
      const { meta, studies } = r.rows[0];
      if (meta) await checkVersion(probe, where);
      else if (studies) throw new StorageError(where, 'holds an mlplab_studies table but no mlplab_meta table: not written by mlplab. help: use a database of its own for mlplab studies');
      hasTables = meta !== null;
    } catch (e) {
      throw e instanceof StorageError ? e : connectProblem(where, parsed, e);
    } finally {
      await probe.end().catch(() => undefined);
    }
    const pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? 8,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      application_name: 'mlplab',
    });
    // An idle connection the server closes (a restart) is reported here; the next call opens a new one.
    pool.on('error', () => undefined);
    return new PostgresStorage(where, pool, options, hasTables);
  }

  /** Run `op`, and again on a new connection while the server is unreachable (up to `reconnectSeconds`). */
  private async retry<T>(op: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + (this.options.reconnectSeconds ?? 60) * 1000;
    let told = false;
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new StorageError(this.where, 'the study store is closed');
      try {
        return await op();
      } catch (e) {
        if (!isTransient(e) || Date.now() > deadline) {
          if (e instanceof StorageError) throw e;
          if (isTransient(e)) throw new StorageError(this.where, `lost the connection to the server and could not reconnect within ${this.options.reconnectSeconds ?? 60} s (${describe(e)})`);
          throw new StorageError(this.where, describe(e));
        }
        if (!told) this.options.onReconnect?.(describe(e));
        told = true;
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
      }
    }
  }

  private query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    return this.retry(() => this.pool.query<R>(text, values));
  }

  /** One transaction on one connection; rolled back when `f` throws. Retried whole on a dropped connection. */
  private tx<T>(f: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.retry(async () => {
      const c = await this.pool.connect();
      let broken: Error | undefined;
      // A checked-out connection the server drops between two statements reports it here (not on the pool); the next statement then fails and the transaction is retried.
      const onError = (e: Error) => void (broken ??= e);
      c.on('error', onError);
      try {
        await c.query('BEGIN');
        const out = await f(c);
        await c.query('COMMIT');
        return out;
      } catch (e) {
        if (isTransient(e)) broken = e as Error;
        else await c.query('ROLLBACK').catch((r: Error) => (broken = r));
        throw e;
      } finally {
        c.off('error', onError);
        c.release(broken);
      }
    });
  }

  async findStudy(name: string): Promise<StudyRecord | undefined> {
    if (!(await this.tablesExist())) return undefined;
    const r = await this.query<StudyRow>(Q.studyByName, [name]);
    return r.rows[0] ? studyFromRow(r.rows[0]) : undefined;
  }

  async unfinishedStudies(onDamaged?: (name: string, problem: string) => void): Promise<StudyRecord[]> {
    if (!(await this.tablesExist())) return [];
    const r = await this.query<StudyRow>(Q.unfinishedStudies);
    return studiesFromRows(r.rows, onDamaged);
  }

  /** Studies in the database, by name (for messages). */
  async studyNames(): Promise<string[]> {
    if (!(await this.tablesExist())) return [];
    return (await this.query<{ name: string }>(Q.studyNames)).rows.map((r) => r.name);
  }

  private async tablesExist(): Promise<boolean> {
    if (this.hasTables) return true;
    const r = await this.query<{ meta: string | null }>("SELECT to_regclass('mlplab_meta') AS meta");
    if (r.rows[0].meta) await this.retry(() => checkVersion(this.pool, this.where));
    this.hasTables = r.rows[0].meta !== null;
    return this.hasTables;
  }

  async createStudy(study: NewStudy, trials: TrialSpec[]): Promise<{ study: StudyRecord; created: boolean }> {
    const out = await this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [CREATE_LOCK]);
      const r = await c.query<{ meta: string | null }>("SELECT to_regclass('mlplab_meta') AS meta");
      if (r.rows[0].meta) await checkVersion(c, this.where);
      else {
        await c.query(Q.createTables);
        await c.query(Q.setVersion, [String(STORAGE_SCHEMA_VERSION)]);
      }
      const existing = (await c.query<StudyRow>(`${Q.studyByName} FOR UPDATE`, [study.name])).rows[0];
      if (existing) {
        if (existing.config_hash !== study.hash) throw studyConflict(this.where, study.name, existing.config_hash, study.hash);
        return { study: studyFromRow(existing), created: false };
      }
      const row = (await c.query<StudyRow>(Q.insertStudy, studyValues(study))).rows[0];
      await insertTrials(c, row.id, trials);
      return { study: studyFromRow(row), created: true };
    });
    this.hasTables = true;
    return out;
  }

  async study(studyId: number): Promise<StudyRecord> {
    const r = await this.query<StudyRow>(Q.studyById, [studyId]);
    if (!r.rows[0]) throw new StorageError(this.where, `holds no study with id ${studyId} (was it deleted?)`);
    return studyFromRow(r.rows[0]);
  }

  async advance(studyId: number, from: StudyStage, to: StudyStage, trials: TrialSpec[]): Promise<boolean> {
    return this.tx(async (c) => {
      const r = await c.query(Q.advance, [to, studyId, from]);
      if (r.rowCount !== 1) return false;
      await insertTrials(c, studyId, trials);
      return true;
    });
  }

  async claim(studyId: number, worker: string, leaseSeconds: number): Promise<Claim | null> {
    const r = await this.query<TrialRow>(Q.claim, [worker, leaseSeconds, studyId]);
    return r.rows[0] ? { studyId, trial: trialFromRow(r.rows[0]) } : null;
  }

  async heartbeat(claims: { claim: Claim; epoch: number }[], leaseSeconds: number): Promise<number[]> {
    if (claims.length === 0) return [];
    const r = await this.query<{ id: number }>(BATCH.heartbeat, [
      leaseSeconds,
      claims.map((c) => c.claim.trial.id),
      claims.map((c) => c.claim.trial.attempt),
      claims.map((c) => c.epoch),
    ]);
    const kept = new Set(r.rows.map((x) => Number(x.id)));
    return claims.map((c) => c.claim.trial.id).filter((id) => !kept.has(id));
  }

  async finish(claim: Claim, outcome: TrialFinish): Promise<boolean> {
    const t = claim.trial;
    return this.tx(async (c) => {
      const upd = await c.query(Q.finish, finishValues(claim, outcome));
      if (upd.rowCount !== 1) return finishedBefore(claim, (await c.query<{ status: TrialStatus; attempt: number }>(Q.trialState, [t.id])).rows[0]);
      const h = outcome.history;
      if (h.length > 0) await c.query(BATCH.insertEpochs, [t.id, ...transpose(h.map(epochValues), EPOCH_COLUMNS.length - 1)]);
      return true;
    });
  }

  async release(claim: Claim): Promise<void> {
    await this.query(Q.release, [claim.trial.id, claim.trial.attempt]);
  }

  async reap(studyId: number): Promise<StoredTrial[]> {
    const r = await this.query<TrialRow>(BATCH.reap, [studyId]);
    return r.rows.map(trialFromRow);
  }

  async trials(studyId: number): Promise<StoredTrial[]> {
    const r = await this.query<TrialRow>(Q.trials, [studyId]);
    return r.rows.map(trialFromRow);
  }

  async counts(studyId: number): Promise<TrialCounts> {
    return countsFromRows((await this.query<{ status: TrialStatus; n: string }>(Q.counts, [studyId])).rows);
  }

  async epochs(trialId: number): Promise<EpochRecord[]> {
    const r = await this.query<EpochRow>(Q.epochs, [trialId]);
    return r.rows.map(epochFromRow);
  }

  async finalTrials(studyId: number): Promise<{ trial: StoredTrial; output: FinalOutput | null }[]> {
    const r = await this.query<TrialRow & { output_json: string | null }>(Q.finalTrials, [studyId]);
    return r.rows.map(finalFromRow);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end().catch(() => undefined);
  }
}

async function checkVersion(c: Queryable, where: string): Promise<void> {
  let rows: { value: string }[];
  try {
    rows = (await c.query<{ value: string }>(Q.version)).rows;
  } catch (e) {
    // A table of that name with other columns (42703: no such column; 42804: another type) was not written by mlplab.
    const code = (e as { code?: string }).code;
    if (code === '42703' || code === '42804') {
      throw new StorageError(where, `holds a table mlplab_meta that mlplab did not write (${(e as Error).message}). help: use a database of its own for mlplab studies`);
    }
    throw e;
  }
  checkSchemaVersion('postgresql', where, rows[0]?.value);
}

async function insertTrials(c: pg.PoolClient, studyId: number, trials: TrialSpec[]): Promise<void> {
  const start = Number((await c.query<{ p: number }>(Q.nextPosition, [studyId])).rows[0].p);
  const chunk = 2000;
  for (let i = 0; i < trials.length; i += chunk) {
    const part = trials.slice(i, i + chunk);
    await c.query(BATCH.insertTrials, [studyId, start + i, ...transpose(part.map(trialValues), TRIAL_INSERT_COLUMNS.length - 2)]);
  }
}

/** Errors that mean the connection went away (a restart, a network cut), not that the request was wrong. */
export function isTransient(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: string }).code ?? '';
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTCONN'].includes(code)) return true;
  // SQLSTATE 08 (connection exception), 57P01-03 (server shutting down or starting), 40001/40P01 (retry the transaction).
  if (/^08/.test(code) || ['57P01', '57P02', '57P03', '40001', '40P01'].includes(code)) return true;
  return /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect/i.test(e.message);
}

function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const code = (e as { code?: string }).code;
  return code && !e.message.includes(code) ? `${e.message} (${code})` : e.message;
}

/** One line for a failed first connection. */
function connectProblem(where: string, url: URL, e: unknown): StorageError {
  const code = (e as { code?: string }).code ?? '';
  const msg = e instanceof Error ? e.message : String(e);
  const host = url.hostname;
  const port = url.port || '5432';
  const user = decodeURIComponent(url.username) || process.env.PGUSER || 'the default user';
  const db = decodeURIComponent(url.pathname.replace(/^\//, '')) || user;
  if (code === 'ECONNREFUSED') return new StorageError(where, `cannot reach PostgreSQL at ${host}:${port} (connection refused). help: is the server running and listening there? check the host and port`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new StorageError(where, `cannot reach PostgreSQL: no host named "${host}". help: check the host in the URL`);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT' || /timeout/i.test(msg)) {
    return new StorageError(where, `cannot reach PostgreSQL at ${host}:${port} (no answer within 10 s). help: check the host, the port and any firewall between`);
  }
  if (code === '28P01') return new StorageError(where, `the server refused the password of user "${user}". help: check the user and password in the URL (or PGPASSWORD)`);
  if (code === '28000') return new StorageError(where, `the server refused user "${user}": ${msg}. help: check the user in the URL and the server's pg_hba.conf`);
  if (code === '3D000') return new StorageError(where, `database "${db}" does not exist. help: create it (createdb ${db}) or name an existing one in the URL`);
  if (/password must be a string|SASL/i.test(msg)) return new StorageError(where, `the server asks for a password and none was given. help: put it in the URL (postgresql://user:password@host/db) or in PGPASSWORD`);
  return new StorageError(where, `cannot connect to PostgreSQL: ${describe(e)}`);
}
