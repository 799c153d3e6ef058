import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { openStore, type Store } from '../../src/store/open.ts';
import { enqueue } from '../../src/store/queue.ts';
import {
  dropSchema,
  postgresUnavailableReason,
  testPostgresUrl,
  uniqueSchemaName,
} from '../support/postgres.ts';
import { requireOrSkip } from '../support/requirements.ts';

const worker = new URL('./children/queue-worker.ts', import.meta.url).pathname;

/** Enqueues `operations` operations of `steps` steps and creates the effects table (no unique key: doubles must show). */
async function prepare(store: Store, operations: number, steps: number): Promise<void> {
  await sql`CREATE TABLE crash_effects (op text NOT NULL, seq int NOT NULL, worker text NOT NULL)`.execute(
    store.db,
  );
  await enqueue(
    store.db,
    Array.from({ length: operations }, (_, i) => ({
      kind: 'crash',
      target: `c${i}`,
      steps: Array.from({ length: steps }, (_, s) => ({ kind: `s${s}` })),
    })),
  );
}

/** Runs the worker; kills it with SIGKILL `killAfterMs` after it is ready (null: lets it finish). Returns how it ended. */
function runWorker(
  args: string[],
  killAfterMs: number | null,
): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', worker, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    proc.stdout.on('data', (chunk: Buffer) => {
      if (killAfterMs !== null && chunk.toString().includes('ready')) {
        setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
      }
    });
    proc.on('error', reject);
    proc.on('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** Asserts every step ran its effect exactly once and every operation is done. */
async function assertExactlyOnce(store: Store, operations: number, steps: number): Promise<void> {
  const doubles = await sql<{ op: string; seq: number; n: number }>`
    SELECT op, seq, count(*)::int AS n FROM crash_effects GROUP BY op, seq HAVING count(*) > 1`.execute(
    store.db,
  );
  assert.deepEqual(doubles.rows, [], 'no step applied its effect twice');
  const total = await sql<{ n: number }>`SELECT count(*)::int AS n FROM crash_effects`.execute(store.db);
  assert.equal(total.rows[0]!.n, operations * steps, 'no step lost');
  const notDone = await store.db.selectFrom('operations').select('id').where('state', '<>', 'done').execute();
  assert.deepEqual(notDone, []);
  const workers = await sql<{
    n: number;
  }>`SELECT count(DISTINCT worker)::int AS n FROM crash_effects`.execute(store.db);
  assert.ok(workers.rows[0]!.n > 1, 'the work was really spread over killed and restarted workers');
}

it('loses and doubles no queue step when PostgreSQL workers are killed with SIGKILL at random points', async (t) => {
  if (!requireOrSkip(t, 'PostgreSQL', await postgresUnavailableReason())) return;
  const schema = uniqueSchemaName('crash');
  const store = await openStore({ databaseUrl: testPostgresUrl, schema });
  const [operations, steps] = [100, 3];
  try {
    await prepare(store, operations, steps);
    let killed = 0;
    for (let trial = 0; trial < 8; trial++) {
      const ended = await runWorker(['postgres', schema], 20 + Math.floor(Math.random() * 250));
      if (ended.signal === 'SIGKILL') killed += 1;
      else break;
    }
    assert.ok(killed >= 3, `workers were killed mid-work (${killed} kills)`);
    const last = await runWorker(['postgres', schema], null);
    assert.equal(last.code, 0);
    await assertExactlyOnce(store, operations, steps);
  } finally {
    await store.close();
    await dropSchema(schema);
  }
});

it('loses and doubles no queue step when an embedded (PGlite) worker is killed with SIGKILL', async () => {
  const home = mkdtempSync(join(tmpdir(), 'strata-crash-'));
  const [operations, steps] = [80, 2];
  try {
    const setup = await openStore({ home, databaseUrl: null });
    await prepare(setup, operations, steps);
    await setup.close();
    let killed = 0;
    for (let trial = 0; trial < 2; trial++) {
      const ended = await runWorker(['pglite', home], 50 + Math.floor(Math.random() * 250));
      if (ended.signal !== 'SIGKILL') break;
      killed += 1;
      // Leases of the killed worker must expire before the next one can take its steps.
      await sleep(400);
    }
    assert.ok(killed >= 1, 'a worker was killed mid-work');
    const last = await runWorker(['pglite', home], null);
    assert.equal(last.code, 0);
    const check = await openStore({ home, databaseUrl: null });
    try {
      await assertExactlyOnce(check, operations, steps);
    } finally {
      await check.close();
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
