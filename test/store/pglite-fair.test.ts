import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import pg from 'pg';
import { fairPglite } from '../../src/store/pglite-fair.ts';

let pglite: PGlite;
before(async () => {
  pglite = await PGlite.create('memory://');
});
after(async () => {
  await pglite.close();
});

/**
 * Keeps `workers` callers issuing statements back to back on a one-connection pool over `db` until a 5 ms timer
 * set at the start fires (or each has issued `cap` statements); returns how late the timer fired and whether the
 * statements were still running when it did.
 */
async function timerUnderLoad(db: PGlite, workers = 8, cap = 400) {
  const pool = new pg.Pool({ ...createPgConfig(db), max: 1, idleTimeoutMillis: 0 });
  const t0 = performance.now();
  let firedAt = -1;
  let loadEndedAt = -1;
  const timer = new Promise<void>((resolve) =>
    setTimeout(() => {
      firedAt = performance.now() - t0;
      resolve();
    }, 5),
  );
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let i = 0; i < cap && firedAt < 0; i++) await pool.query('SELECT 1');
    }),
  );
  loadEndedAt = performance.now() - t0;
  await timer;
  await pool.end();
  return { lateMs: firedAt - 5, firedDuringLoad: firedAt <= loadEndedAt, loadEndedAt };
}

it('without fairness (control), back-to-back statements starve timers until the load ends', async () => {
  const r = await timerUnderLoad(pglite);
  assert.equal(r.firedDuringLoad, false, `timer fired during the load: ${JSON.stringify(r)}`);
  assert.ok(r.loadEndedAt > 100, `the control load should last a while: ${JSON.stringify(r)}`);
});

it('fairPglite lets a timer fire within a slice while statements keep coming', async () => {
  const r = await timerUnderLoad(fairPglite(pglite));
  assert.equal(r.firedDuringLoad, true, `timer waited for the whole load: ${JSON.stringify(r)}`);
  // Within a slice (8 ms) on an idle machine; the bound leaves room for a loaded CI machine (seen: 107 ms at load 12).
  assert.ok(r.lateMs < 500, `timer fired ${r.lateMs.toFixed(1)} ms late`);
});

it('fairPglite keeps the database usable: results, errors and other members pass through', async () => {
  const db = fairPglite(pglite);
  const pool = new pg.Pool({ ...createPgConfig(db), max: 1, idleTimeoutMillis: 0 });
  const { rows } = await pool.query('SELECT $1::int + 1 AS n', [41]);
  assert.equal(rows[0].n, 42);
  await assert.rejects(pool.query('SELECT * FROM no_such_table'), /no_such_table/);
  assert.equal(db.closed, false);
  await pool.end();
});
