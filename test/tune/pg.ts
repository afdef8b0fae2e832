/**
 * The PostgreSQL server the tests use: MLPLAB_TEST_PG names it (scripts/pg-test-server.sh
 * start prints it; .ci/run starts one). Without it the PostgreSQL tests are skipped, saying
 * why, unless MLPLAB_TEST_PG_REQUIRED is set (as in CI), when they fail instead.
 * MLPLAB_TEST_PG_DIR, the folder the script made, lets a test restart the server.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ROOT } from '../cli/helpers.js';

export const PG_URL = process.env.MLPLAB_TEST_PG ?? '';
const REQUIRED = Boolean(process.env.MLPLAB_TEST_PG_REQUIRED);

/** `skip` for PostgreSQL tests: false when a server is configured, else the reason. */
export const pgSkip: false | string =
  PG_URL || REQUIRED ? false : 'no PostgreSQL server for the tests: run eval "$(scripts/pg-test-server.sh start)" to start one (it sets MLPLAB_TEST_PG)';

/** Fail, rather than skip, when CI asked for PostgreSQL tests and no server is configured. */
export function requireServer(): void {
  if (!PG_URL) throw new Error('MLPLAB_TEST_PG_REQUIRED is set but MLPLAB_TEST_PG is not: CI must start a PostgreSQL server (scripts/pg-test-server.sh start)');
}

/** `skip` for the test that restarts the server: it needs the script's folder too. */
export const restartSkip: false | string = pgSkip || (process.env.MLPLAB_TEST_PG_DIR ? false : 'restarting the server needs MLPLAB_TEST_PG_DIR (printed by scripts/pg-test-server.sh start)');

/** Stop the test server (fast shutdown: every connection is cut), keep it down `downSeconds`, start it again. */
export function restartServer(downSeconds = 0): void {
  const r = spawnSync('bash', [`${ROOT}scripts/pg-test-server.sh`, 'restart', process.env.MLPLAB_TEST_PG_DIR!, String(downSeconds)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`restarting PostgreSQL failed: ${r.stderr}`);
}

/** `url` naming another database on the same server. */
export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** A new, empty database for one test; `drop` removes it (cutting any connection left). */
export async function freshDatabase(): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  requireServer();
  const name = `mlplab_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(PG_URL, name),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        // FORCE may not cut the server's own autovacuum worker (not the test role's process: 42501);
        // it is gone within moments, so the drop is tried again.
        for (let attempt = 1; ; attempt++) {
          try {
            await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
            break;
          } catch (e) {
            if ((e as { code?: string }).code !== '42501' || attempt === 20) throw e;
            await new Promise((r) => setTimeout(r, 250));
          }
        }
      } finally {
        await c.end();
      }
    },
  };
}

/** Run one query on `url` (a test looking at, or tampering with, the tables). */
export async function sql<R extends pg.QueryResultRow = Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<R>(text, values)).rows;
  } finally {
    await c.end();
  }
}
