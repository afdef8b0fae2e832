/**
 * The study tables, written once for both databases, and what differs between the two (the
 * dialect): three column types, parameter markers, the database's clock, and row locking. The
 * tables are the same in both (their version is STORAGE_SCHEMA_VERSION), except the folder's
 * holder, which only the SQLite store has.
 */

/** What the SQL of the study stores writes differently in SQLite and PostgreSQL. */
export interface Dialect {
  readonly name: 'sqlite' | 'postgresql';
  /** Column types: an auto-numbered primary key, a double, a point in time (a lease's end, compared with `now`). */
  readonly types: { readonly key: string; readonly real: string; readonly clock: string };
  /** Create tables only if missing: two SQLite processes opening a new folder at once may both create them. */
  readonly ifNotExists: boolean;
  /** A statement written with `?` for its parameters, in this database's markers (`?`, or `$1`, `$2`, ... by order). */
  params(text: string): string;
  /** The database's clock now, as a `clock` value. */
  readonly now: string;
  /** The `clock` value `seconds` (an SQL expression) from now. */
  later(seconds: string): string;
  /** The database's clock now as ISO 8601 text in UTC with milliseconds (the TEXT time columns). */
  readonly nowIso: string;
  /** Appended to the query that picks the next queued trial: concurrent claims skip each other's row instead of waiting. */
  readonly skipLocked: string;
}

/** A column: its name, its type (SQL, or one of the dialect's types), and its constraints. */
type Column = readonly [name: string, type: 'TEXT' | 'INTEGER' | keyof Dialect['types'], constraints?: string];

interface Table {
  readonly name: string;
  readonly columns: readonly Column[];
  /** Table constraints after the columns. */
  readonly keys?: readonly string[];
  /** Indexes created with the table: name, then `ON table (columns)`. */
  readonly indexes?: readonly string[];
  /** Only in this database. */
  readonly only?: Dialect['name'];
}

/** The study tables, in the order they are created. */
export const TABLES: readonly Table[] = [
  { name: 'mlplab_meta', columns: [['key', 'TEXT', 'PRIMARY KEY'], ['value', 'TEXT', 'NOT NULL']] },
  {
    // Which process holds a study folder (one row); PostgreSQL stores are shared, not held.
    name: 'mlplab_holder',
    only: 'sqlite',
    columns: [
      ['id', 'INTEGER', 'PRIMARY KEY CHECK (id = 1)'],
      ['pid', 'INTEGER', 'NOT NULL'],
      ['host', 'TEXT', 'NOT NULL'],
      ['since', 'TEXT', 'NOT NULL'],
      ['lease_until', 'clock', 'NOT NULL'],
    ],
  },
  {
    name: 'mlplab_studies',
    columns: [
      ['id', 'key'],
      ['name', 'TEXT', 'NOT NULL UNIQUE'],
      ['config_hash', 'TEXT', 'NOT NULL'],
      ['config_json', 'TEXT', 'NOT NULL'],
      ['fingerprint_json', 'TEXT', 'NOT NULL'],
      ['backend', 'TEXT', 'NOT NULL'],
      ['stage', 'TEXT', "NOT NULL CHECK (stage IN ('search', 'interaction', 'final', 'done') OR stage LIKE 'repair:%')"],
      ['created_at', 'TEXT', 'NOT NULL'],
    ],
  },
  {
    name: 'mlplab_trials',
    columns: [
      ['id', 'key'],
      ['study_id', 'INTEGER', 'NOT NULL REFERENCES mlplab_studies(id) ON DELETE CASCADE'],
      ['key', 'TEXT', 'NOT NULL'],
      ['position', 'INTEGER', 'NOT NULL'],
      ['config_key', 'TEXT', 'NOT NULL'],
      ['seed', 'INTEGER', 'NOT NULL'],
      ['phase', 'TEXT', "NOT NULL CHECK (phase IN ('search', 'interaction', 'repair', 'final'))"],
      ['label', 'TEXT', 'NOT NULL'],
      ['levels_json', 'TEXT', 'NOT NULL'],
      ['params_json', 'TEXT'],
      ['epochs', 'INTEGER', 'NOT NULL'],
      ['status', 'TEXT', "NOT NULL CHECK (status IN ('queued', 'running', 'done', 'pruned', 'failed'))"],
      ['attempt', 'INTEGER', 'NOT NULL DEFAULT 0'],
      ['worker', 'TEXT'],
      ['lease_until', 'clock'],
      ['progress_epoch', 'INTEGER', 'NOT NULL DEFAULT 0'],
      ['result_json', 'TEXT'],
      ['error', 'TEXT'],
      ['output_json', 'TEXT'],
      ['queued_at', 'TEXT', 'NOT NULL'],
      ['started_at', 'TEXT'],
      ['finished_at', 'TEXT'],
    ],
    keys: ['UNIQUE (study_id, key)'],
    indexes: ['mlplab_trials_queue ON mlplab_trials (study_id, status, position)'],
  },
  {
    name: 'mlplab_epochs',
    columns: [
      ['trial_id', 'INTEGER', 'NOT NULL REFERENCES mlplab_trials(id) ON DELETE CASCADE'],
      ['epoch', 'INTEGER', 'NOT NULL'],
      ['train_loss', 'real'],
      ['val_loss', 'real'],
      ['train_accuracy', 'real'],
      ['val_accuracy', 'real'],
      ['seconds', 'real'],
      ['learning_rate', 'real'],
    ],
    keys: ['PRIMARY KEY (trial_id, epoch)'],
  },
];

/** The tables of `d`'s database, with their column names in order. */
export function tablesOf(d: Dialect): { name: string; columns: string[] }[] {
  return TABLES.filter((t) => !t.only || t.only === d.name).map((t) => ({ name: t.name, columns: t.columns.map(([name]) => name) }));
}

/** The column names of `table`, in order. */
export function columnsOf(table: string): string[] {
  const t = TABLES.find((x) => x.name === table);
  if (!t) throw new Error(`no study table ${table}`);
  return t.columns.map(([name]) => name);
}

/** The statements creating every table and index of `d`'s database, as one script. */
export function createTables(d: Dialect): string {
  const ine = d.ifNotExists ? 'IF NOT EXISTS ' : '';
  const type = (t: Column[1]): string => (t === 'TEXT' || t === 'INTEGER' ? t : d.types[t]);
  const out: string[] = [];
  for (const t of TABLES) {
    if (t.only && t.only !== d.name) continue;
    const lines = [...t.columns.map(([name, ty, rest]) => [name, type(ty), rest].filter(Boolean).join(' ')), ...(t.keys ?? [])];
    out.push(`CREATE TABLE ${ine}${t.name} (\n  ${lines.join(',\n  ')}\n);`);
    for (const ix of t.indexes ?? []) out.push(`CREATE INDEX ${ine}${ix};`);
  }
  return out.join('\n');
}
