/**
 * Opens Strata's store: Kysely over `pg`, either against a PostgreSQL server (`DATABASE_URL`) or against
 * PGlite in-process through its node-postgres adapter — one set of migrations and queries for both.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Kysely, Migrator, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { StrataError } from '../core/errors.ts';
import { StoreDialect } from './introspect.ts';
import { acquireDirectoryLock, type DirectoryLock } from './lock.ts';
import { migrations } from './migrations.ts';
import { fairPglite } from './pglite-fair.ts';
import { namePreparedStatements } from './prepared.ts';
import type { Database } from './schema.ts';

/** How to reach the store. */
export interface StoreOptions {
  /** Strata's home; the embedded database lives in `<home>/db`. Default `$STRATA_HOME`, else `~/.strata`. */
  home?: string;
  /** A PostgreSQL URL. Default `$DATABASE_URL`; `null` forces the embedded database even when it is set. */
  databaseUrl?: string | null;
  /** Embedded, in memory only (tests): no directory, no lock. */
  memory?: boolean;
  /** PostgreSQL only: the schema to live in (created if missing), e.g. one per test file. */
  schema?: string;
  /** PostgreSQL only: connections in the pool (default 10). */
  poolSize?: number;
}

/** Which driver a store runs on. */
export type StoreDriver = 'pglite' | 'postgres';

/** An open store. */
export interface Store {
  readonly db: Kysely<Database>;
  readonly driver: StoreDriver;
  /** Where the embedded database lives, or null on PostgreSQL / in memory. */
  readonly dataDir: string | null;
  /** Runs `fn` in one transaction: all of its writes commit together or none do. */
  transaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  /** Closes connections (and the embedded database) and releases the directory lock. */
  close(): Promise<void>;
}

/** int8 arrives as text from `pg`; every bigint here is a counter far below 2^53, so read it as a number. */
const INT8_OID = 20;
const numericTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Returns `$STRATA_HOME`, else `~/.strata`: where embedded data, the CA and the admin token live. */
export function defaultStrataHome(): string {
  return resolve(process.env.STRATA_HOME ?? join(homedir(), '.strata'));
}

/** Returns true for a schema name safe to splice into `search_path` and DDL (letters, digits, underscore). */
function validSchemaName(schema: string): boolean {
  return /^[a-z_][a-z0-9_]{0,62}$/.test(schema);
}

/**
 * Opens the store and runs pending migrations; returns it ready for queries. Throws `LockHeld` when another
 * process uses the embedded data directory, and `Unavailable` when the database's schema is newer than this code.
 */
export async function openStore(options: StoreOptions = {}): Promise<Store> {
  const databaseUrl = options.databaseUrl === undefined ? process.env.DATABASE_URL : options.databaseUrl;
  if (!options.memory && databaseUrl) return openPostgres(databaseUrl, options);
  return openPglite(options);
}

async function openPostgres(url: string, options: StoreOptions): Promise<Store> {
  const schema = options.schema;
  if (schema !== undefined && !validSchemaName(schema)) {
    throw new StrataError(
      'BadRequest',
      `Store schema "${schema}" must be lowercase letters, digits and underscores.`,
      {
        schema,
      },
    );
  }
  if (schema !== undefined) {
    const bootstrap = new pg.Client({ connectionString: url });
    await connectOrExplain(bootstrap, url);
    try {
      await bootstrap.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } catch (error) {
      // Two processes starting together both pass IF NOT EXISTS; the loser's unique violation means "exists".
      if ((error as { code?: string }).code !== '23505') throw error;
    } finally {
      await bootstrap.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    types: numericTypes,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  namePreparedStatements(pool);
  const db = new Kysely<Database>({ dialect: new StoreDialect({ pool }) });
  try {
    await migrate(db, schema);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return makeStore(db, 'postgres', null, async () => {});
}

async function connectOrExplain(client: pg.Client, url: string): Promise<void> {
  try {
    await client.connect();
  } catch (error) {
    const where = url.replace(/\/\/[^@/]*@/, '//***@');
    throw new StrataError(
      'Unavailable',
      `Cannot reach the PostgreSQL server in DATABASE_URL (${where}): ${String(error)}`,
      {
        databaseUrl: where,
      },
    );
  }
}

async function openPglite(options: StoreOptions): Promise<Store> {
  let dataDir: string | null = null;
  let lock: DirectoryLock | null = null;
  if (!options.memory) {
    const home = resolve(options.home ?? defaultStrataHome());
    dataDir = join(home, 'db');
    mkdirSync(dataDir, { recursive: true });
    lock = acquireDirectoryLock(join(home, 'db.lock'), dataDir);
  }
  let pglite: PGlite | undefined;
  try {
    // pg_trgm: the fleet list's search (a part of a name or label) walks a trigram index, not every cluster.
    pglite = await PGlite.create(dataDir ?? 'memory://', { extensions: { pg_trgm } });
    // PGlite is one connection: a pool of one, never recycled, queues callers in order.
    const pool = new pg.Pool({
      ...createPgConfig(fairPglite(pglite)),
      max: 1,
      idleTimeoutMillis: 0,
      types: numericTypes,
    });
    namePreparedStatements(pool);
    const db = new Kysely<Database>({ dialect: new StoreDialect({ pool }) });
    await migrate(db, undefined);
    const instance = pglite;
    return makeStore(db, 'pglite', dataDir, async () => {
      await instance.close();
      lock?.release();
    });
  } catch (error) {
    if (pglite && !pglite.closed) await pglite.close();
    lock?.release();
    throw error;
  }
}

function makeStore(
  db: Kysely<Database>,
  driver: StoreDriver,
  dataDir: string | null,
  afterDestroy: () => Promise<void>,
): Store {
  let closed = false;
  return {
    db,
    driver,
    dataDir,
    transaction: (fn) => db.transaction().execute(fn),
    close: async () => {
      if (closed) return;
      closed = true;
      await db.destroy();
      await afterDestroy();
    },
  };
}

/** The migration names recorded in the database (empty before the first run). */
async function appliedMigrations(db: Kysely<Database>): Promise<string[]> {
  const exists = await sql<{
    present: boolean;
  }>`SELECT to_regclass('kysely_migration') IS NOT NULL AS present`.execute(db);
  if (!exists.rows[0]?.present) return [];
  const rows = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(db);
  return rows.rows.map((r) => r.name);
}

/** Session advisory-lock key serialising migrations of processes starting together (arbitrary, fixed). */
const MIGRATION_LOCK_KEY = 7_345_019_221;

/**
 * Runs pending migrations in order under an advisory lock held on one connection (so processes starting
 * together neither race to create the bookkeeping tables nor run a migration twice); refuses a database
 * migrated by newer code.
 */
async function migrate(db: Kysely<Database>, schema: string | undefined): Promise<void> {
  await db.connection().execute(async (conn) => {
    await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(conn);
    try {
      await migrateLocked(conn, schema);
    } finally {
      await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(conn);
    }
  });
}

async function migrateLocked(db: Kysely<Database>, schema: string | undefined): Promise<void> {
  const known = new Set(Object.keys(migrations));
  const unknown = (await appliedMigrations(db)).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new StrataError(
      'Unavailable',
      `The database schema is newer than this Strata (unknown migrations: ${unknown.join(', ')}); upgrade Strata to use it.`,
      { reason: 'SchemaTooNew', unknownMigrations: unknown, knownMigrations: [...known] },
    );
  }
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new StrataError('Unavailable', `Store migration ${failed} failed: ${String(error)}`, {
      migration: failed,
    });
  }
}
