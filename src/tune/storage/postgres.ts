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
import { epochFromRow, finalFromRow, studyFromRow, trialFromRow, type EpochRow, type StudyRow, type TrialRow } from './rows.js';

export interface PostgresOptions {
  /** How long a call keeps retrying after its connection dropped; default 60 s. */
  reconnectSeconds?: number;
  /** Connections at most; default 8. */
  maxConnections?: number;
  /** Told once per call that retries after a dropped connection (for a log line). */
  onReconnect?: (problem: string) => void;
}

const NOW_ISO = `to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Held while creating tables or a study, so two processes creating at once wait for each other. */
const CREATE_LOCK = 0x6d6c706c;

const SCHEMA = `
  CREATE TABLE mlplab_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE mlplab_studies (
    id SERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    config_hash TEXT NOT NULL,
    config_json TEXT NOT NULL,
    fingerprint_json TEXT NOT NULL,
    backend TEXT NOT NULL,
    stage TEXT NOT NULL CHECK (stage IN ('search', 'interaction', 'final', 'done') OR stage LIKE 'repair:%'),
    created_at TEXT NOT NULL
  );
  CREATE TABLE mlplab_trials (
    id SERIAL PRIMARY KEY,
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
    lease_until TIMESTAMPTZ,
    progress_epoch INTEGER NOT NULL DEFAULT 0,
    result_json TEXT,
    error TEXT,
    output_json TEXT,
    queued_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    UNIQUE (study_id, key)
  );
  CREATE INDEX mlplab_trials_queue ON mlplab_trials (study_id, status, position);
  CREATE TABLE mlplab_epochs (
    trial_id INTEGER NOT NULL REFERENCES mlplab_trials(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    train_loss DOUBLE PRECISION, val_loss DOUBLE PRECISION, train_accuracy DOUBLE PRECISION,
    val_accuracy DOUBLE PRECISION, seconds DOUBLE PRECISION, learning_rate DOUBLE PRECISION,
    PRIMARY KEY (trial_id, epoch)
  );
`;

const TRIAL_COLUMNS = 'id, key, position, config_key, seed, phase, label, levels_json, params_json, epochs, status, attempt, worker, progress_epoch, result_json, error, finished_at';

type Queryable = pg.Pool | pg.PoolClient | pg.Client;

/** Is `url` a PostgreSQL connection URL? */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** The URL without its password, for messages and the live view. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
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
    if (!isPostgresUrl(url)) throw new ConfigError('--storage', url, 'a PostgreSQL URL such as postgresql://user:password@host:5432/database');
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
    const r = await this.query<StudyRow>('SELECT * FROM mlplab_studies WHERE name = $1', [name]);
    return r.rows[0] ? studyFromRow(r.rows[0]) : undefined;
  }

  async unfinishedStudies(): Promise<StudyRecord[]> {
    if (!(await this.tablesExist())) return [];
    const r = await this.query<StudyRow>("SELECT * FROM mlplab_studies WHERE stage <> 'done' ORDER BY id");
    return r.rows.map(studyFromRow);
  }

  /** Studies in the database, by name (for messages). */
  async studyNames(): Promise<string[]> {
    if (!(await this.tablesExist())) return [];
    return (await this.query<{ name: string }>('SELECT name FROM mlplab_studies ORDER BY id')).rows.map((r) => r.name);
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
        await c.query(SCHEMA);
        await c.query("INSERT INTO mlplab_meta (key, value) VALUES ('schema_version', $1)", [String(STORAGE_SCHEMA_VERSION)]);
      }
      const existing = (await c.query<StudyRow>('SELECT * FROM mlplab_studies WHERE name = $1 FOR UPDATE', [study.name])).rows[0];
      if (existing) {
        if (existing.config_hash !== study.hash) throw studyConflict(this.where, study.name, existing.config_hash, study.hash);
        return { study: studyFromRow(existing), created: false };
      }
      const ins = await c.query<StudyRow>(
        `INSERT INTO mlplab_studies (name, config_hash, config_json, fingerprint_json, backend, stage, created_at)
         VALUES ($1, $2, $3, $4, $5, 'search', ${NOW_ISO}) RETURNING *`,
        [study.name, study.hash, JSON.stringify(study.config), JSON.stringify(study.fingerprint), study.backend],
      );
      await insertTrials(c, ins.rows[0].id, trials);
      return { study: studyFromRow(ins.rows[0]), created: true };
    });
    this.hasTables = true;
    return out;
  }

  async study(studyId: number): Promise<StudyRecord> {
    const r = await this.query<StudyRow>('SELECT * FROM mlplab_studies WHERE id = $1', [studyId]);
    if (!r.rows[0]) throw new StorageError(this.where, `holds no study with id ${studyId} (was it deleted?)`);
    return studyFromRow(r.rows[0]);
  }

  async advance(studyId: number, from: StudyStage, to: StudyStage, trials: TrialSpec[]): Promise<boolean> {
    return this.tx(async (c) => {
      const r = await c.query('UPDATE mlplab_studies SET stage = $1 WHERE id = $2 AND stage = $3', [to, studyId, from]);
      if (r.rowCount !== 1) return false;
      await insertTrials(c, studyId, trials);
      return true;
    });
  }

  async claim(studyId: number, worker: string, leaseSeconds: number): Promise<Claim | null> {
    const r = await this.query<TrialRow>(
      `UPDATE mlplab_trials t SET status = 'running', attempt = t.attempt + 1, worker = $2, lease_until = now() + $3 * interval '1 second',
         progress_epoch = 0, started_at = ${NOW_ISO}
       WHERE t.status = 'queued' AND t.id = (
         SELECT id FROM mlplab_trials WHERE study_id = $1 AND status = 'queued' ORDER BY position LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING ${TRIAL_COLUMNS}`,
      [studyId, worker, leaseSeconds],
    );
    return r.rows[0] ? { studyId, trial: trialFromRow(r.rows[0]) } : null;
  }

  async heartbeat(claims: { claim: Claim; epoch: number }[], leaseSeconds: number): Promise<number[]> {
    if (claims.length === 0) return [];
    const r = await this.query<{ id: number }>(
      `UPDATE mlplab_trials t SET lease_until = now() + $1 * interval '1 second', progress_epoch = v.epoch
       FROM unnest($2::int[], $3::int[], $4::int[]) AS v(id, attempt, epoch)
       WHERE t.id = v.id AND t.attempt = v.attempt AND t.status = 'running' AND t.lease_until >= now()
       RETURNING t.id`,
      [leaseSeconds, claims.map((c) => c.claim.trial.id), claims.map((c) => c.claim.trial.attempt), claims.map((c) => c.epoch)],
    );
    const kept = new Set(r.rows.map((x) => Number(x.id)));
    return claims.map((c) => c.claim.trial.id).filter((id) => !kept.has(id));
  }

  async finish(claim: Claim, outcome: TrialFinish): Promise<boolean> {
    const t = claim.trial;
    return this.tx(async (c) => {
      const upd = await c.query(
        `UPDATE mlplab_trials SET status = $1, result_json = $2, error = $3, output_json = $4, lease_until = NULL, progress_epoch = $5, finished_at = ${NOW_ISO}
         WHERE id = $6 AND attempt = $7 AND status = 'running' AND lease_until >= now()`,
        [
          outcome.status,
          outcome.result ? JSON.stringify(outcome.result) : null,
          outcome.error,
          outcome.output ? JSON.stringify(outcome.output) : null,
          outcome.history.length,
          t.id,
          t.attempt,
        ],
      );
      if (upd.rowCount !== 1) {
        // A retried call whose first try committed finds its own result; anything else lost its lease.
        const now = (await c.query<{ status: TrialStatus; attempt: number }>('SELECT status, attempt FROM mlplab_trials WHERE id = $1', [t.id])).rows[0];
        return now !== undefined && now.attempt === t.attempt && isFinished(now.status);
      }
      const h = outcome.history;
      if (h.length > 0) {
        await c.query(
          `INSERT INTO mlplab_epochs (trial_id, epoch, train_loss, val_loss, train_accuracy, val_accuracy, seconds, learning_rate)
           SELECT $1, * FROM unnest($2::int[], $3::float8[], $4::float8[], $5::float8[], $6::float8[], $7::float8[], $8::float8[])`,
          [
            t.id,
            h.map((e) => e.epoch),
            h.map((e) => finiteOrNull(e.trainLoss)),
            h.map((e) => finiteOrNull(e.valLoss)),
            h.map((e) => finiteOrNull(e.trainAccuracy)),
            h.map((e) => finiteOrNull(e.valAccuracy)),
            h.map((e) => finiteOrNull(e.seconds)),
            h.map((e) => finiteOrNull(e.learningRate)),
          ],
        );
      }
      return true;
    });
  }

  async release(claim: Claim): Promise<void> {
    await this.query(
      "UPDATE mlplab_trials SET status = 'queued', worker = NULL, lease_until = NULL, progress_epoch = 0 WHERE id = $1 AND attempt = $2 AND status = 'running'",
      [claim.trial.id, claim.trial.attempt],
    );
  }

  async reap(studyId: number): Promise<StoredTrial[]> {
    const cols = TRIAL_COLUMNS.split(', ')
      .map((c) => (c === 'worker' ? 'stale.worker' : `t.${c}`))
      .join(', ');
    const r = await this.query<TrialRow>(
      `WITH stale AS (
         SELECT id, worker FROM mlplab_trials WHERE study_id = $1 AND status = 'running' AND lease_until < now() FOR UPDATE SKIP LOCKED)
       UPDATE mlplab_trials t SET status = 'queued', worker = NULL, lease_until = NULL, progress_epoch = 0
       FROM stale WHERE t.id = stale.id RETURNING ${cols}`,
      [studyId],
    );
    return r.rows.map(trialFromRow);
  }

  async trials(studyId: number): Promise<StoredTrial[]> {
    const r = await this.query<TrialRow>(`SELECT ${TRIAL_COLUMNS} FROM mlplab_trials WHERE study_id = $1 ORDER BY position`, [studyId]);
    return r.rows.map(trialFromRow);
  }

  async counts(studyId: number): Promise<TrialCounts> {
    const out = noTrials();
    const r = await this.query<{ status: TrialStatus; n: string }>('SELECT status, COUNT(*) AS n FROM mlplab_trials WHERE study_id = $1 GROUP BY status', [studyId]);
    for (const row of r.rows) out[row.status] = Number(row.n);
    return out;
  }

  async epochs(trialId: number): Promise<EpochRecord[]> {
    const r = await this.query<EpochRow>('SELECT * FROM mlplab_epochs WHERE trial_id = $1 ORDER BY epoch', [trialId]);
    return r.rows.map(epochFromRow);
  }

  async finalTrials(studyId: number): Promise<{ trial: StoredTrial; output: FinalOutput | null }[]> {
    const r = await this.query<TrialRow & { output_json: string | null }>(
      `SELECT ${TRIAL_COLUMNS}, output_json FROM mlplab_trials WHERE study_id = $1 AND phase = 'final' ORDER BY position`,
      [studyId],
    );
    return r.rows.map(finalFromRow);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end().catch(() => undefined);
  }
}

/** A study name that exists with another config: refused, both kept apart. */
export function studyConflict(where: string, name: string, theirs: string, ours: string): StorageError {
  return new StorageError(
    where,
    `holds a study named "${name}" with a different config (hash ${theirs}, this config ${ours}); its trials are kept and not mixed with these. ` +
      'help: give this study another "name", or run the config that created it to join it',
  );
}

async function checkVersion(c: Queryable, where: string): Promise<void> {
  const r = await c.query<{ value: string }>("SELECT value FROM mlplab_meta WHERE key = 'schema_version'");
  const v = r.rows[0]?.value;
  if (Number(v) !== STORAGE_SCHEMA_VERSION) {
    throw new StorageError(
      where,
      `holds mlplab tables of schema version ${v ?? 'unknown'}, and this mlplab uses version ${STORAGE_SCHEMA_VERSION}; nothing was changed. ` +
        'help: run the mlplab version that wrote them, or give this version a database of its own',
    );
  }
}

async function insertTrials(c: pg.PoolClient, studyId: number, trials: TrialSpec[]): Promise<void> {
  const start = Number((await c.query<{ p: number }>('SELECT COALESCE(MAX(position), -1) + 1 AS p FROM mlplab_trials WHERE study_id = $1', [studyId])).rows[0].p);
  const chunk = 2000;
  for (let i = 0; i < trials.length; i += chunk) {
    const part = trials.slice(i, i + chunk);
    await c.query(
      `INSERT INTO mlplab_trials (study_id, key, position, config_key, seed, phase, label, levels_json, params_json, epochs, status, queued_at)
       SELECT $1, k, $2 + ord - 1, ck, s, ph, l, lv, pj, e, 'queued', ${NOW_ISO}
       FROM unnest($3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[], $10::int[]) WITH ORDINALITY AS x(k, ck, s, ph, l, lv, pj, e, ord)
       ON CONFLICT (study_id, key) DO NOTHING`,
      [
        studyId,
        start + i,
        part.map((t) => t.key),
        part.map((t) => t.configKey),
        part.map((t) => t.seed),
        part.map((t) => t.phase),
        part.map((t) => t.label),
        part.map((t) => JSON.stringify(t.levels)),
        part.map((t) => (t.params ? JSON.stringify(t.params) : null)),
        part.map((t) => t.epochs),
      ],
    );
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
