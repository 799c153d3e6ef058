import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { openStore } from '../../src/store/open.ts';
import { createProfileVersion, getProfileVersion } from '../../src/store/profiles.ts';
import {
  dropSchema,
  postgresUnavailableReason,
  testPostgresUrl,
  uniqueSchemaName,
} from '../support/postgres.ts';
import { requireOrSkip } from '../support/requirements.ts';
import { layers, rejection } from './fixtures.ts';

const child = new URL('./children/open-home.ts', import.meta.url).pathname;
const homes: string[] = [];

function tempHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'strata-store-'));
  homes.push(home);
  return home;
}

after(() => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

/** Starts the child on `home`; resolves with its first output line and the process (still running if held). */
function startChild(home: string, hold: boolean) {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, home, ...(hold ? ['hold'] : [])], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const firstLine = new Promise<Record<string, unknown>>((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as Record<string, unknown>);
    });
    proc.on('exit', (code) => reject(new Error(`child exited (${code}) before reporting`)));
  });
  return { proc, firstLine };
}

it('keeps embedded data in $STRATA_HOME across a restart', async () => {
  const home = tempHome();
  const first = await openStore({ home, databaseUrl: null });
  assert.equal(first.driver, 'pglite');
  assert.equal(first.dataDir, join(home, 'db'));
  await createProfileVersion(
    first.db,
    { actor: 'alice' },
    {
      name: 'kept',
      version: '1.0.0',
      type: 'full',
      cloudType: 'sim',
      description: '',
      layers: layers(),
    },
  );
  await first.close();
  assert.equal(existsSync(join(home, 'db.lock')), false, 'closing releases the lock');
  const second = await openStore({ home, databaseUrl: null });
  try {
    assert.equal((await getProfileVersion(second.db, 'kept', '1.0.0'))?.revision, 1);
  } finally {
    await second.close();
  }
});

it('refuses a second process on the same embedded data directory, naming the holder', async () => {
  const home = tempHome();
  const holder = startChild(home, true);
  try {
    assert.deepEqual((await holder.firstLine).ok, true);
    const second = startChild(home, false);
    const refused = await second.firstLine;
    assert.equal(refused.code, 'LockHeld');
    assert.match(String(refused.message), new RegExp(`process ${holder.proc.pid}`));
    assert.match(String(refused.message), new RegExp(join(home, 'db').replaceAll('/', '\\/')));
    assert.deepEqual((refused.details as { pid: number }).pid, holder.proc.pid);
    // The same process opening it twice is refused too.
    const inProcess = await rejection(openStore({ home, databaseUrl: null }));
    assert.equal(inProcess.code, 'LockHeld');
  } finally {
    holder.proc.stdin.end();
    await new Promise((resolve) => holder.proc.on('exit', resolve));
  }
});

it('takes over a lock left by a killed process', async () => {
  const home = tempHome();
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  const deadPid = Number(dead.stdout.trim());
  writeFileSync(join(home, 'db.lock'), `${deadPid}\n`);
  const store = await openStore({ home, databaseUrl: null });
  try {
    assert.equal(readFileSync(join(home, 'db.lock'), 'utf8').trim(), String(process.pid));
  } finally {
    await store.close();
  }
});

it('runs migrations once, idempotently, and refuses a schema newer than the code', async (t) => {
  if (!requireOrSkip(t, 'PostgreSQL', await postgresUnavailableReason())) return;
  const schema = uniqueSchemaName('m');
  try {
    const [a, b] = await Promise.all([
      openStore({ databaseUrl: testPostgresUrl, schema }),
      openStore({ databaseUrl: testPostgresUrl, schema }),
    ]);
    const applied = await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(
      a.db,
    );
    assert.deepEqual(
      applied.rows.map((r) => r.name),
      [
        '0001_initial',
        '0002_cluster_credentials',
        '0003_rollouts',
        '0004_cluster_document',
        '0005_cluster_summary',
        '0006_rollout_member_counts',
        '0007_claim_by_queue',
        '0008_unique_token_names',
      ],
    );
    await sql`INSERT INTO kysely_migration (name, timestamp) VALUES ('9999_from_the_future', now()::text)`.execute(
      a.db,
    );
    await a.close();
    await b.close();
    const refused = await rejection(openStore({ databaseUrl: testPostgresUrl, schema }));
    assert.equal(refused.code, 'Unavailable');
    assert.match(refused.message, /newer than this Strata/);
    assert.deepEqual(refused.details?.unknownMigrations, ['9999_from_the_future']);
  } finally {
    await dropSchema(schema);
  }
});

it('opens and migrates while other schemas on the server are created and dropped', async (t) => {
  if (!requireOrSkip(t, 'PostgreSQL', await postgresUnavailableReason())) return;
  // Several Strata databases (or test files) share one server. Kysely's stock introspector read every schema's
  // tables and failed with `schema "…" does not exist` when one was dropped meanwhile (about 1 call in 17 here).
  const schema = uniqueSchemaName('m');
  const churnSchema = uniqueSchemaName('churn');
  const churn = new pg.Client({ connectionString: testPostgresUrl });
  await churn.connect();
  let stop = false;
  let churned = 0;
  const churner = (async () => {
    while (!stop) {
      await churn.query(`CREATE SCHEMA ${churnSchema}; CREATE TABLE ${churnSchema}.t (a int, b text)`);
      await churn.query(`DROP SCHEMA ${churnSchema} CASCADE`);
      churned++;
    }
  })();
  try {
    const store = await openStore({ databaseUrl: testPostgresUrl, schema });
    try {
      let calls = 0;
      const until = Date.now() + 1500;
      while (Date.now() < until) {
        const tables = await store.db.introspection.getTables({ withInternalKyselyTables: true });
        // Only the store's own schema: its bookkeeping table is there, the churned schema never is.
        assert.ok(tables.some((table) => table.name === 'kysely_migration' && table.schema === schema));
        assert.ok(tables.every((table) => table.schema === schema));
        calls++;
      }
      assert.ok(calls > 50 && churned > 20, `the race was exercised (${calls} reads, ${churned} drops)`);
    } finally {
      await store.close();
    }
  } finally {
    stop = true;
    await churner;
    await churn.end();
    await dropSchema(schema);
  }
});

it('explains an unreachable DATABASE_URL', async () => {
  const error = await rejection(
    openStore({ databaseUrl: 'postgres://nobody:secret@127.0.0.1:1/none', schema: 'x' }),
  );
  assert.equal(error.code, 'Unavailable');
  assert.doesNotMatch(error.message, /secret/, 'the password is not echoed');
});
