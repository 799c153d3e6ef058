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

interface WorkerRun {
  code: number | null;
  signal: string | null;
  /** The worker's name in `crash_effects` and how many steps it said it had committed before it ended. */
  owner: string | null;
  committed: number;
}

/**
 * Runs the worker; kills it with SIGKILL `killAfterMs` after its first commit (null: lets it finish), so
 * every kill lands in the middle of work that has started to land. Returns how it ended.
 */
function runWorker(args: string[], killAfterMs: number | null): Promise<WorkerRun> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', worker, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const run: WorkerRun = { code: null, signal: null, owner: null, committed: 0 };
    let pending = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const m = /^committed (\S+) (\d+)$/.exec(line);
        if (!m) continue;
        if (run.owner === null && killAfterMs !== null) setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
        run.owner = m[1]!;
        run.committed = Number(m[2]);
      }
    });
    proc.on('error', reject);
    proc.on('exit', (code, signal) => resolve({ ...run, code, signal }));
  });
}

/** Asserts a killed worker's commits survived the kill: every step it reported committed has its effect. */
async function assertCommitsKept(store: Store, run: WorkerRun): Promise<void> {
  if (run.owner === null) return;
  const kept = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM crash_effects WHERE worker = ${run.owner}`.execute(store.db);
  assert.ok(
    kept.rows[0]!.n >= run.committed,
    `${run.owner} reported ${run.committed} steps committed before SIGKILL; ${kept.rows[0]!.n} kept`,
  );
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

/**
 * The kill -9 campaign's trials: 20 in every run (CI included); `STRATA_KILL_TRIALS=100` is the long mode
 * (docs/operating.md). The work grows with the trials so the last kill still lands mid-work.
 */
const KILL_TRIALS = Number(process.env.STRATA_KILL_TRIALS ?? 20);

it(`loses and doubles no queue step when PostgreSQL workers are killed with SIGKILL at random points (${KILL_TRIALS} trials)`, async (t) => {
  if (!requireOrSkip(t, 'PostgreSQL', await postgresUnavailableReason())) return;
  const schema = uniqueSchemaName('crash');
  const store = await openStore({ databaseUrl: testPostgresUrl, schema });
  const [operations, steps] = [Math.max(100, KILL_TRIALS * 30), 3];
  try {
    await prepare(store, operations, steps);
    let killed = 0;
    for (let trial = 0; trial < KILL_TRIALS; trial++) {
      const ended = await runWorker(['postgres', schema], Math.floor(Math.random() * 250));
      if (ended.signal !== 'SIGKILL') break;
      killed += 1;
      await assertCommitsKept(store, ended);
    }
    process.stdout.write(`# kill campaign: ${killed} of ${KILL_TRIALS} workers killed mid-work\n`);
    assert.ok(
      killed >= Math.ceil(KILL_TRIALS * 0.75),
      `workers were killed mid-work (${killed} of ${KILL_TRIALS})`,
    );
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
    const killedRuns: WorkerRun[] = [];
    for (let trial = 0; trial < 2; trial++) {
      const ended = await runWorker(['pglite', home], Math.floor(Math.random() * 250));
      if (ended.signal !== 'SIGKILL') break;
      killedRuns.push(ended);
      // Leases of the killed worker must expire before the next one can take its steps.
      await sleep(400);
    }
    assert.ok(killedRuns.length >= 1, 'a worker was killed mid-work');
    const last = await runWorker(['pglite', home], null);
    assert.equal(last.code, 0);
    const check = await openStore({ home, databaseUrl: null });
    try {
      for (const run of killedRuns) await assertCommitsKept(check, run);
      await assertExactlyOnce(check, operations, steps);
    } finally {
      await check.close();
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
