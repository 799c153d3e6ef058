/**
 * Issue 25's run, repeatable: a rollout over a fleet of Running clusters on PostgreSQL, started and followed by the
 * real CLI — `strata rollout start --from A --to B --canary 1 --soak 0s --yes --wait` — `STRATA_BENCH_TRIES` times
 * (default 3; the issue asks for 10), alternating 1.0.0 → 1.1.0 and back; a try fails on a non-zero exit or any
 * failure the server logged. One cluster is provisioned through the simulator and copied
 * in the store up to the fleet size (`STRATA_BENCH_ROLLOUT_API_SIZE`, default 2,000, × `STRATA_BENCH_SCALE`);
 * the engine runs with `strata up`'s resync interval (60 s). Reports, per try, the start's status and time, the
 * polls that did not answer 200, the final state and the failures the server logged (with their causes).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { ensureAdminToken } from '../src/api/admin-token.ts';
import { createApiServer } from '../src/api/server.ts';
import { openStore } from '../src/store/open.ts';
import { runStrata } from '../test/e2e/support.ts';
import { cloneStoredClusters, startBenchStrata } from './fleet.ts';
import { benchDatabaseUrl, postgresReachable, reportFigure, scaled } from './report.ts';

const SIZE = scaled(Number(process.env.STRATA_BENCH_ROLLOUT_API_SIZE ?? 2_000));
const TRIES = Number(process.env.STRATA_BENCH_TRIES ?? 3);

async function run(): Promise<void> {
  const schema = `bench_rollout_api_${process.pid}`;
  const store = await openStore({ databaseUrl: benchDatabaseUrl, schema });
  const { running, catalog, stop } = await startBenchStrata(store, {
    fleet: SIZE,
    timings: { pollMs: 1_000, resyncMs: 60_000, retryBaseMs: 1_000 },
    schema,
  });
  const home = mkdtempSync(join(tmpdir(), 'strata-bench-rollout-api-'));
  const logged: string[] = [];
  const app = createApiServer({
    store,
    catalog,
    engine: running.engine,
    home,
    errorLog: { write: (line) => logged.push(line) },
  });
  try {
    await running.engine.createCluster(
      { actor: 'bench' },
      { name: 'ro-000000', profiles: ['hello-universe-aws@1.0.0'], workers: 1 },
    );
    for (;;) {
      const c = await store.db
        .selectFrom('clusters')
        .select('phase')
        .where('name', '=', 'ro-000000')
        .executeTakeFirst();
      if (c?.phase === 'Running') break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await cloneStoredClusters(store, 'ro-000000', 'ro-', 1, SIZE - 1);
    await sql`ANALYZE`.execute(store.db);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const token = (await ensureAdminToken(store, home)).token;
    let failedTries = 0;
    const env = { ...process.env, STRATA_URL: url, STRATA_TOKEN: token, STRATA_HOME: home };
    for (let t = 1; t <= TRIES; t++) {
      const [from, to] = t % 2 === 1 ? ['1.0.0', '1.1.0'] : ['1.1.0', '1.0.0'];
      const t0 = performance.now();
      const before = logged.length;
      // As the issue ran it: the real CLI, a canary, no soak, confirmed, followed to the end.
      const r = await runStrata(
        [
          'rollout',
          'start',
          '--from',
          `hello-universe-aws@${from}`,
          '--to',
          `hello-universe-aws@${to}`,
          '--canary',
          '1',
          '--soak',
          '0s',
          '--yes',
          '--wait',
          '--timeout',
          '30m',
        ],
        env,
        { timeoutMs: 40 * 60_000 },
      );
      const ok = r.code === 0 && /Completed/.test(r.stdout + r.stderr) && logged.length === before;
      if (!ok) failedTries++;
      const last = (r.stdout + r.stderr).trim().split('\n').slice(-1)[0] ?? '';
      reportFigure(
        'rolloutApi.try',
        {
          clusters: SIZE,
          try: t,
          exitCode: r.code,
          serverFailures: logged.length - before,
          totalMs: Math.round(performance.now() - t0),
        },
        `try ${t} (${from} → ${to}, ${SIZE} clusters, strata rollout start … --yes --wait): exit ${r.code} after ${Math.round((performance.now() - t0) / 1000)} s, ${logged.length - before} server failure(s) logged — ${last.slice(0, 200)}`,
      );
    }
    reportFigure(
      'rolloutApi',
      { clusters: SIZE, tries: TRIES, failedTries, serverFailuresLogged: logged.length },
      `${TRIES - failedTries} of ${TRIES} rollouts over ${SIZE} clusters started and followed without an error answer; the server logged ${logged.length} failure(s)`,
    );
    for (const line of logged.slice(0, 5)) console.log(`  logged: ${line.slice(0, 2_000)}`);
  } finally {
    await app.close();
    await stop();
    rmSync(home, { recursive: true, force: true });
  }
}

if (await postgresReachable()) await run();
else console.log(`  postgres: skipped, ${benchDatabaseUrl} is not reachable`);
