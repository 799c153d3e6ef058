/**
 * Child process for the crash test: drains the queue of the store given by argv (`pglite <home>` or
 * `postgres <schema>`), each step's effect inserting one row into `crash_effects` in the completing
 * transaction. Prints `ready` once the store is open and `committed <owner> <n>` after each commit (n: steps
 * this worker has committed so far); exits 0 when no work is left. The parent kills it with SIGKILL at random
 * points after its first commit.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { openStore } from '../../../src/store/open.ts';
import { claim, completeBatch } from '../../../src/store/queue.ts';

const [mode, where] = [process.argv[2], process.argv[3]!];
const store =
  mode === 'pglite'
    ? await openStore({ home: where, databaseUrl: null })
    : await openStore({
        databaseUrl: process.env.STRATA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
        schema: where,
      });
console.log('ready');
const owner = `worker-${process.pid}`;
let committed = 0;
for (;;) {
  const steps = await claim(store.db, { owner, limit: 5, leaseMs: 400 });
  if (steps.length === 0) {
    const left = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM steps WHERE state IN ('waiting', 'pending', 'running')`.execute(
      store.db,
    );
    if (left.rows[0]!.n === 0) break;
    await sleep(50);
    continue;
  }
  const { completed } = await completeBatch(store.db, steps, async (trx, owned) => {
    for (const s of owned) {
      await sql`INSERT INTO crash_effects (op, seq, worker) VALUES (${s.operationId}, ${s.seq}, ${owner})`.execute(
        trx,
      );
    }
  });
  committed += completed.length;
  if (completed.length > 0) console.log(`committed ${owner} ${committed}`);
  // Slow the worker down so random kills land in the middle of the work.
  await sleep(5);
}
await store.close();
