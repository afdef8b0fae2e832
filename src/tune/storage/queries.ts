/**
 * The statements both study stores run, written once with `?` for parameters and the
 * dialect's pieces (markers, clock, row locking) filled in per database.
 */
import { columnsOf, createTables, type Dialect } from './schema.js';

/** The trial columns a stored trial is read from (TrialRow). */
export const TRIAL_COLUMNS = [
  'id',
  'key',
  'position',
  'config_key',
  'seed',
  'phase',
  'label',
  'levels_json',
  'params_json',
  'epochs',
  'status',
  'attempt',
  'worker',
  'progress_epoch',
  'result_json',
  'error',
  'finished_at',
] as const;

/** The columns a trial is enqueued with (after them: its status and queued_at), in the order of `trialValues`. */
export const TRIAL_INSERT_COLUMNS = ['study_id', 'position', 'key', 'config_key', 'seed', 'phase', 'label', 'levels_json', 'params_json', 'epochs'] as const;

/** The columns of an epoch's row, in the order of `epochValues`. */
export const EPOCH_COLUMNS = columnsOf('mlplab_epochs');

/** What a trial given back to the queue is set to: no worker, no lease, no progress (its attempt count is kept). */
export const REQUEUE = "status = 'queued', worker = NULL, lease_until = NULL, progress_epoch = 0";

const marks = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

/** Every statement of the study stores in `d`'s SQL. */
export function queries(d: Dialect) {
  const q = d.params;
  const trialColumns = TRIAL_COLUMNS.join(', ');
  const running = `status = 'running' AND lease_until >= ${d.now}`;
  return {
    createTables: createTables(d),
    setVersion: q("INSERT INTO mlplab_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO NOTHING"),
    version: "SELECT value FROM mlplab_meta WHERE key = 'schema_version'",

    studyByName: q('SELECT * FROM mlplab_studies WHERE name = ?'),
    studyById: q('SELECT * FROM mlplab_studies WHERE id = ?'),
    firstStudy: 'SELECT * FROM mlplab_studies ORDER BY id LIMIT 1',
    studyNames: 'SELECT name FROM mlplab_studies ORDER BY id',
    unfinishedStudies: "SELECT * FROM mlplab_studies WHERE stage <> 'done' ORDER BY id",
    insertStudy: q(`INSERT INTO mlplab_studies (name, config_hash, config_json, fingerprint_json, backend, stage, created_at) VALUES (?, ?, ?, ?, ?, 'search', ${d.nowIso}) RETURNING *`),
    advance: q('UPDATE mlplab_studies SET stage = ? WHERE id = ? AND stage = ?'),

    nextPosition: q('SELECT COALESCE(MAX(position), -1) + 1 AS p FROM mlplab_trials WHERE study_id = ?'),
    insertTrial: q(
      `INSERT INTO mlplab_trials (${TRIAL_INSERT_COLUMNS.join(', ')}, status, queued_at) VALUES (${marks(TRIAL_INSERT_COLUMNS.length)}, 'queued', ${d.nowIso}) ON CONFLICT (study_id, key) DO NOTHING`,
    ),
    claim: q(
      `UPDATE mlplab_trials SET status = 'running', attempt = attempt + 1, worker = ?, lease_until = ${d.later('?')}, progress_epoch = 0, started_at = ${d.nowIso}
       WHERE status = 'queued' AND id = (SELECT id FROM mlplab_trials WHERE study_id = ? AND status = 'queued' ORDER BY position LIMIT 1${d.skipLocked})
       RETURNING ${trialColumns}`,
    ),
    heartbeat: q(`UPDATE mlplab_trials SET lease_until = ${d.later('?')}, progress_epoch = ? WHERE id = ? AND attempt = ? AND ${running}`),
    finish: q(
      `UPDATE mlplab_trials SET status = ?, result_json = ?, error = ?, output_json = ?, lease_until = NULL, progress_epoch = ?, finished_at = ${d.nowIso}
       WHERE id = ? AND attempt = ? AND ${running}`,
    ),
    trialState: q('SELECT status, attempt FROM mlplab_trials WHERE id = ?'),
    insertEpoch: q(`INSERT INTO mlplab_epochs (${EPOCH_COLUMNS.join(', ')}) VALUES (${marks(EPOCH_COLUMNS.length)})`),
    release: q(`UPDATE mlplab_trials SET ${REQUEUE} WHERE id = ? AND attempt = ? AND status = 'running'`),
    requeueRunning: `UPDATE mlplab_trials SET ${REQUEUE} WHERE status = 'running'`,
    staleTrials: q(`SELECT ${trialColumns} FROM mlplab_trials WHERE study_id = ? AND status = 'running' AND lease_until < ${d.now} ORDER BY position`),
    requeue: q(`UPDATE mlplab_trials SET ${REQUEUE} WHERE id = ?`),

    trials: q(`SELECT ${trialColumns} FROM mlplab_trials WHERE study_id = ? ORDER BY position`),
    finalTrials: q(`SELECT ${trialColumns}, output_json FROM mlplab_trials WHERE study_id = ? AND phase = 'final' ORDER BY position`),
    counts: q('SELECT status, COUNT(*) AS n FROM mlplab_trials WHERE study_id = ? GROUP BY status'),
    epochs: q('SELECT * FROM mlplab_epochs WHERE trial_id = ? ORDER BY epoch'),
  };
}

export type Queries = ReturnType<typeof queries>;
