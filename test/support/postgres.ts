/**
 * The real PostgreSQL the store's tests run against: 127.0.0.1:5432, database `test`, trust auth (override
 * with `STRATA_TEST_DATABASE_URL`). Each test file works in its own fresh schema, dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The test server's URL. */
export const testPostgresUrl =
  process.env.STRATA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let availability: Promise<string | null> | undefined;

/** Returns null when the test server answers, else the reason it does not (for `requireOrSkip`). Cached. */
export function postgresUnavailableReason(): Promise<string | null> {
  availability ??= (async () => {
    const client = new pg.Client({ connectionString: testPostgresUrl, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return null;
    } catch (error) {
      return `cannot connect to ${testPostgresUrl} (${String(error)}); start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return availability;
}

/** Returns a new unique schema name for one test file (or one child process group). */
export function uniqueSchemaName(prefix = 't'): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Drops a test schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: testPostgresUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
