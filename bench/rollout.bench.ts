/**
 * Fleet rollout benchmark, the real path (engine → `kube/` client → simulated Kubernetes API over HTTPS →
 * store), per fleet size and store driver:
 * 1. provision N simulated clusters to Running (`rollout.provision`);
 * 2. roll the hello-universe API preset change (1.0.0 → 1.1.0) to the N clusters: a canary of one, then a single
 *    wave of the rest, no soak (`rollout.fleet`): total time, clusters/s, p50/p99 time per cluster (change
 *    applied → health gate passed, as the driver recorded it), peak RSS, the heap left after a full collection,
 *    database size, and the requests per cluster the simulator answered, by kind (`requestsPerCluster`).
 * `STRATA_BENCH_STORED=100000` copies the first provisioned cluster straight in the store until that many clusters
 * exist before the roll (`rollout.stored`), so the roll covers a fleet far larger than this machine provisions in
 * an hour; the simulator then keeps at most 20,000 clusters in memory and loads the others on their first request.
 * Sizes: `STRATA_BENCH_ROLLOUT_SIZES` (default `1000`, each × `STRATA_BENCH_SCALE`); drivers: embedded PGlite (in
 * memory) and PostgreSQL (`STRATA_BENCH_DATABASE_URL`, default the local test server; skipped with a line when
 * unreachable). `STRATA_BENCH_DRIVERS=pglite` (or `postgres`) runs one. `STRATA_BENCH_WORKERS=2` (PostgreSQL only)
 * adds a second worker process — this file run with `--worker`: `startEngine` on the same database, reaching
 * the simulator of the first process over HTTPS — for both scenarios. `STRATA_BENCH_SIM=process` (PostgreSQL
 * only) runs the simulator in a child process (this file run with `--sim`), as real clusters run elsewhere: the
 * RSS figures are then Strata's alone, and the simulator's peak is reported beside them (`simPeakRssMiB`).
 * Each phase reports its cost per cluster: Strata's CPU, the simulator's (in its own process), PostgreSQL's (its
 * processes on this machine) and the SQL statements sent. `STRATA_BENCH_PROFILE=DIR` writes a CPU profile of
 * Strata over the one-object roll (`STRATA_BENCH_PROFILE_PHASE=provision`: over provisioning).
 * `STRATA_BENCH_CONCURRENCY` (engine steps at once, default the engine's 16) and `STRATA_BENCH_POOL` (PostgreSQL
 * connections, default 10) try other sizes; `STRATA_BENCH_ROLLS=one-object` times only the one-object roll (from
 * 1.0.0). Each roll also prints its timeline: per wave, when its first and last clusters were applied and when
 * the last passed the gate, in seconds after the start. `STRATA_BENCH_API_DURING=1` serves the REST API on the
 * same store and engine and measures 500 req/s (`STRATA_BENCH_API_RATE`) of mixed reads (a cluster, a list page, a plan, the rollout's
 * status) for `STRATA_BENCH_API_SECONDS` (default 20) while the one-object roll runs; with
 * `STRATA_BENCH_API_PROCESS=1` that API is served by a process of its own that runs no passes (`strata up
 * --no-work`, this file run with `--api`), as an installation that keeps its API quick under load deploys it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { ensureAdminToken } from '../src/api/admin-token.ts';
import { createApiServer } from '../src/api/server.ts';
import { loadBuiltinCatalog } from '../src/catalog/load.ts';
import { validateProfileVersion } from '../src/core/profile.ts';
import { overlayValues } from '../src/core/values-overlay.ts';
import { startEngine } from '../src/engine/engine.ts';
import { destroySharedAgents } from '../src/kube/agents.ts';
import { localEngine, startStrata } from '../src/main/up.ts';
import { connectRemoteSimulator } from '../src/sim/remote.ts';
import { openStore, type Store } from '../src/store/open.ts';
import { statementsSent } from '../src/store/prepared.ts';
import { createProfileVersion, getProfileVersion } from '../src/store/profiles.ts';
import {
  benchErrorSink,
  cloneStoredClusters,
  requestsPerCluster,
  type SimProcess,
  simRequests,
  startBenchSim,
  startBenchStrata,
} from './fleet.ts';
import { type LoadRequest, type LoadResult, runMixedLoad } from './mixed-load.ts';
import {
  benchDrivers,
  benchDatabaseUrl as databaseUrl,
  percentile,
  postgresReachable,
  reportFigure,
  sampleRss,
  scaled,
} from './report.ts';

const ACTOR = { actor: 'bench' };
const SIZES = (process.env.STRATA_BENCH_ROLLOUT_SIZES ?? '1000').split(',').map((s) => scaled(Number(s)));
const WAIT_MS = Number(process.env.STRATA_BENCH_WAIT_MS ?? 30 * 60_000);
const WORKERS = Number(process.env.STRATA_BENCH_WORKERS ?? 1);
/** `STRATA_BENCH_API_DURING=1`: 500 req/s of mixed REST reads during the one-object roll (see `apiDuringRollout`). */
const API_DURING = process.env.STRATA_BENCH_API_DURING === '1';
/** `STRATA_BENCH_API_PROCESS=1` (PostgreSQL only): that API runs in its own process without passes (`strata up --no-work`). */
const API_PROCESS = process.env.STRATA_BENCH_API_PROCESS === '1';
/**
 * `STRATA_BENCH_NICE=N` (with `API_PROCESS`): the simulator's process and this one (the engine) run at nice N once
 * the API process is up, as an operator gives the API the CPU first where workers share its machine (`nice -n 10
 * strata worker`); PostgreSQL's backends keep their priority.
 */
const NICE = process.env.STRATA_BENCH_NICE ? Number(process.env.STRATA_BENCH_NICE) : null;
/** Requests per second of that load (`STRATA_BENCH_API_RATE`, default the issue's 500). */
const API_RATE = Number(process.env.STRATA_BENCH_API_RATE ?? 500);
/** Seconds the load of `API_DURING` is recorded (after 2 s of warm-up). */
const API_SECONDS = Number(process.env.STRATA_BENCH_API_SECONDS ?? 20);
/** `STRATA_BENCH_PROFILE_PHASE=provision`: profile provisioning instead of the one-object roll. */
const PROFILE_PROVISION = process.env.STRATA_BENCH_PROFILE_PHASE === 'provision';
/** The rolls to time: `preset` (the API preset, 1.0.0 → 1.1.0) and `one-object` (default both). */
const ROLLS = (process.env.STRATA_BENCH_ROLLS ?? 'preset,one-object').split(',');
/** `process`: the simulator runs in its own process (PostgreSQL only), so the figures are Strata's alone. */
const SIM_PROCESS = process.env.STRATA_BENCH_SIM === 'process';
/**
 * Clusters in the store when the roll starts: the provisioned ones, then copies of the first straight in the
 * store up to this many (`STRATA_BENCH_STORED`, × `STRATA_BENCH_SCALE`; 0 = none) — a fleet that large would
 * take most of an hour to provision here, and how it got into the store does not change what the roll does.
 */
const STORED = process.env.STRATA_BENCH_STORED ? scaled(Number(process.env.STRATA_BENCH_STORED)) : 0;
let simPid: number | null = null;
/** Engine timings; the periodic resync every hour unless `STRATA_BENCH_RESYNC_MS` says otherwise. */
const TIMINGS = {
  pollMs: 250,
  resyncMs: Number(process.env.STRATA_BENCH_RESYNC_MS ?? 3_600_000),
  retryBaseMs: 200,
};

/** Node options of the child processes: this process's own (`--import tsx`, and `--cpu-prof` when profiling). */
const childArgs = process.execArgv.includes('tsx')
  ? process.execArgv
  : [...process.execArgv, '--import', 'tsx'];

/** Starts a second worker process on the same database and simulator; resolves once it claims work. */
function startWorker(schema: string, simUrl: string, pkiDir: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [...childArgs, new URL(import.meta.url).pathname, '--worker', schema, simUrl, pkiDir],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PGAPPNAME: DB_CLIENT.strata } },
  );
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('WORKER READY')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready`)));
  });
}

/** Starts the simulator in a child process (this file run with `--sim`) on the same database. */
async function startSimProcess(schema: string, fleet: number, pkiDir: string): Promise<SimProcess> {
  const child = spawn(
    process.execPath,
    [...childArgs, new URL(import.meta.url).pathname, '--sim', schema, String(fleet), pkiDir],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PGAPPNAME: DB_CLIENT.sim } },
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      const m = /SIM READY (\S+)/.exec(d.toString());
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`simulator process exited (${code}) before it was ready`)));
  });
  simPid = child.pid ?? null;
  const access = await connectRemoteSimulator({ url, pkiDir });
  return {
    access,
    requests: () =>
      new Promise((resolve) => {
        const onData = (d: Buffer) => {
          const m = /SIM REQUESTS (\{.*\})/.exec(d.toString());
          if (!m) return;
          child.stdout?.off('data', onData);
          resolve(new Map(Object.entries(JSON.parse(m[1]!) as Record<string, number>)));
        };
        child.stdout?.on('data', onData);
        child.kill('SIGUSR2');
      }),
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      simPid = null;
    },
  };
}

/** The `--sim` mode: the simulator alone, persisting to the shared database, until SIGTERM. */
async function runSim(schema: string, fleet: number, pkiDir: string): Promise<void> {
  const store = await openStore({ databaseUrl, schema });
  const sim = await startBenchSim(store, pkiDir, fleet);
  process.on('SIGUSR2', () =>
    process.stdout.write(`SIM REQUESTS ${JSON.stringify(Object.fromEntries(simRequests))}\n`),
  );
  process.stdout.write(`SIM READY ${sim.url}\n`);
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  await sim.stop();
  await store.close();
}

/** Peak RSS of another process so far (VmHWM), in MiB; 0 when unknown. */
async function peakRssOf(pid: number | null): Promise<number> {
  if (pid === null) return 0;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Math.round(Number(kb) / 1024) : 0;
}

/**
 * `STRATA_BENCH_PROFILE=DIR`: a V8 CPU profile of this process (Strata) over one phase, written as a
 * `.cpuprofile` (Chrome DevTools, or `node scripts/cpu-profile-top.mjs FILE` for the top functions).
 */
async function startProfile(phase: string) {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    async stop(): Promise<string> {
      const { profile } = await session.post('Profiler.stop');
      const { mkdir, writeFile } = await import('node:fs/promises');
      const dir = process.env.STRATA_BENCH_PROFILE!;
      await mkdir(dir, { recursive: true });
      const file = `${dir}/rollout-${phase}-${process.pid}.cpuprofile`;
      await writeFile(file, JSON.stringify(profile));
      session.disconnect();
      return file;
    },
  };
}

/**
 * When each wave's clusters were applied and passed the gate, in seconds after the rollout started: where a
 * roll's time goes (applying, or waiting for health).
 */
async function rolloutTimeline(
  store: Store,
  id: string,
  startedAt: Date,
): Promise<Array<Record<string, number>>> {
  const { rows } = await sql<{ wave: number; n: number; first: Date; last: Date; done: Date }>`
    SELECT wave, count(*)::int AS n, min(applied_at) AS first, max(applied_at) AS last, max(finished_at) AS done
    FROM rollout_members WHERE rollout_id = ${id} GROUP BY wave ORDER BY wave`.execute(store.db);
  const at = (d: Date) => Math.round((new Date(d).getTime() - startedAt.getTime()) / 100) / 10;
  return rows.map((r) => ({
    wave: r.wave,
    clusters: r.n,
    firstAppliedS: at(r.first),
    lastAppliedS: at(r.last),
    lastHealthyS: at(r.done),
  }));
}

/**
 * Serves the REST API on the bench's store and engine (as `strata up` does) — or, with `API_PROCESS`, in a process
 * of its own that runs no passes (as `strata up --no-work` does) — and runs 500 req/s of mixed reads against it
 * for `API_SECONDS`: a cluster, a page of the fleet list, a plan, the rollout's status — each on a random cluster
 * of the fleet. Resolves with the latencies (and, for an API process, its CPU over the load).
 */
async function apiDuringRollout(
  store: Store,
  catalog: Awaited<ReturnType<typeof loadBuiltinCatalog>>,
  running: ReturnType<typeof startEngine>,
  rolloutId: string,
  schema: string | undefined,
): Promise<LoadResult & { apiCpuMs?: number }> {
  const home = mkdtempSync(join(tmpdir(), 'strata-bench-api-during-'));
  const separate = API_PROCESS && schema ? await startApiProcess(schema, home) : null;
  if (separate && NICE !== null) {
    const { setPriority } = await import('node:os');
    setPriority(process.pid, NICE);
    if (simPid !== null) setPriority(simPid, NICE);
  }
  const app = separate ? null : createApiServer({ store, catalog, engine: running.engine, home });
  try {
    let url = separate?.url ?? '';
    if (app) {
      await app.listen({ port: 0, host: '127.0.0.1' });
      url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    }
    const token = separate?.token ?? (await ensureAdminToken(store, home)).token;
    const { rows } = await sql<{ name: string }>`
      SELECT name FROM clusters TABLESAMPLE SYSTEM (10) LIMIT 400`.execute(store.db);
    const names = rows.length > 0 ? rows.map((r) => r.name) : ['ro-000000'];
    const requests: LoadRequest[] = names.flatMap((name) => [
      { kind: 'cluster', method: 'GET' as const, path: `/v1/clusters/${name}` },
      {
        kind: 'list page',
        method: 'GET' as const,
        path: `/v1/clusters?limit=100&cursor=${Buffer.from(name).toString('base64url')}`,
      },
      {
        kind: 'plan',
        method: 'POST' as const,
        path: `/v1/clusters/${name}/plan`,
        body: { kind: 'profiles', profiles: ['hello-universe-aws@1.2.0'] },
      },
      { kind: 'rollout status', method: 'GET' as const, path: `/v1/rollouts/${rolloutId}` },
    ]);
    const cpu0 = await cpuMsOf(separate?.child.pid);
    const result = await runMixedLoad({ url, token, requests, rate: API_RATE, seconds: API_SECONDS });
    return separate ? { ...result, apiCpuMs: (await cpuMsOf(separate.child.pid)) - cpu0 } : result;
  } finally {
    await app?.close();
    if (separate) {
      const exited = new Promise((resolve) => separate.child.once('exit', resolve));
      separate.child.kill('SIGTERM');
      await exited;
    }
    rmSync(home, { recursive: true, force: true });
  }
}

/** Starts `strata up --no-work`'s composition in a child process (this file run with `--api`) on the same schema. */
function startApiProcess(
  schema: string,
  home: string,
): Promise<{ child: ChildProcess; url: string; token: string }> {
  const child = spawn(
    process.execPath,
    [...childArgs, new URL(import.meta.url).pathname, '--api', schema, home],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, PGAPPNAME: DB_CLIENT.api },
    },
  );
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      const m = /API READY (\S+) (\S+)/.exec(d.toString());
      if (m) resolve({ child, url: m[1]!, token: m[2]! });
    });
    child.on('exit', (code) => reject(new Error(`API process exited (${code}) before it was ready`)));
  });
}

/**
 * The `--api` mode: what `strata up --no-work` runs (API, console, an idle simulator of its own, engine commands
 * without passes) on the bench's schema, until SIGTERM.
 */
async function runApi(schema: string, home: string): Promise<void> {
  const strata = await startStrata({
    home,
    databaseUrl,
    schema,
    port: 0,
    kubePort: 0,
    createEngine: localEngine,
    work: false,
  });
  const profiler = process.env.STRATA_BENCH_PROFILE ? await startProfile('api') : null;
  // Whether answers waited for this process's event loop (its own work) or for something outside it.
  const { monitorEventLoopDelay } = await import('node:perf_hooks');
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  process.stdout.write(`API READY ${strata.apiUrl} ${strata.adminToken}\n`);
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  delay.disable();
  const ms = (ns: number) => (ns / 1e6).toFixed(1);
  process.stderr.write(
    `  the API process's event loop was late by p50 ${ms(delay.percentile(50))} ms, p99 ${ms(delay.percentile(99))} ms, at most ${ms(delay.max)} ms\n`,
  );
  if (profiler) process.stderr.write(`  CPU profile of the API process: ${await profiler.stop()}\n`);
  await strata.stop();
  destroySharedAgents();
}

/** Reports the API's latencies during the roll: p50/p99 per kind and over all (and whether the roll was shorter). */
function reportApiDuring(result: LoadResult & { apiCpuMs?: number }, clusters: number, rollMs: number): void {
  // The load process lists latencies as answers came; a percentile needs them sorted.
  const ascending = (a: number, b: number) => a - b;
  const all = Object.values(result.latencies).flat().sort(ascending);
  const byKind = Object.fromEntries(
    Object.entries(result.latencies).map(([k, unsorted]) => {
      const v = unsorted.sort(ascending);
      return [k, { p50: +percentile(v, 50).toFixed(1), p99: +percentile(v, 99).toFixed(1), n: v.length }];
    }),
  );
  const perAnswer = result.apiCpuMs === undefined ? null : +(result.apiCpuMs / all.length).toFixed(2);
  reportFigure(
    'rollout.api-during',
    {
      clusters,
      rate: API_RATE,
      seconds: API_SECONDS,
      p50Ms: +percentile(all, 50).toFixed(1),
      p99Ms: +percentile(all, 99).toFixed(1),
      requests: all.length,
      dropped: result.dropped,
      errors: result.errors as Record<string, number>,
      rollSeconds: +(rollMs / 1000).toFixed(1),
      apiWhere: perAnswer === null ? 'with the engine' : 'own process (--no-work)',
      ...(perAnswer === null ? {} : { apiCpuMsPerRequest: perAnswer }),
      ...(perAnswer === null || NICE === null ? {} : { engineAndSimulatorNice: NICE }),
      ...Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, v])),
    },
    `REST during the roll of ${clusters} clusters (${perAnswer === null ? "API in the engine's process" : `API in its own process, ${perAnswer} ms CPU per answer${NICE === null ? '' : `; engine and simulator at nice ${NICE}`}`}): ${API_RATE} req/s of mixed reads for ${API_SECONDS} s (cluster, list page, plan, rollout status): p50 ${percentile(all, 50).toFixed(1)} ms, p99 ${percentile(all, 99).toFixed(1)} ms; ${Object.entries(
      byKind,
    )
      .map(([k, v]) => `${k} p99 ${v.p99} ms`)
      .join(
        ', ',
      )} (answered requests); ${result.dropped} not sent, not answered 200: ${JSON.stringify(result.errors)}${rollMs / 1000 < API_SECONDS + 2 ? ` (the roll took ${(rollMs / 1000).toFixed(1)} s: part of the load ran after it)` : ''}`,
  );
}

/**
 * CPU time another process has used so far (user + system), in ms; 0 when unknown. With `children`, also that of
 * its children that have exited (and were waited for).
 */
async function cpuMsOf(pid: number | null | undefined, children = false): Promise<number> {
  if (pid === null || pid === undefined) return 0;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th, cutime and cstime
  // (exited children) the 14th and 15th, in clock ticks.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = [11, 12, ...(children ? [13, 14] : [])].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
  return ticks * (1000 / CLOCK_TICKS);
}
const CLOCK_TICKS = 100;

/**
 * CPU time of this machine's PostgreSQL processes (server and backends) so far, in ms; 0 when there are none
 * (the embedded store's is inside Strata's figure). Backends that have exited count through the server's
 * children time: the pool closes idle connections, and a backend gone between two readings would otherwise take
 * its CPU with it (the roll after provisioning read 0.1–1.7 ms per cluster that way). Only meaningful while
 * nothing else uses the server.
 */
async function databaseCpuMs(): Promise<number> {
  const { readdir } = await import('node:fs/promises');
  let total = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === 'postgres') total += await cpuMsOf(Number(pid), true);
  }
  return total;
}

/**
 * The names (`application_name`, which node-postgres takes from `PGAPPNAME`) the bench's PostgreSQL connections
 * go by, so the server's CPU can be split between Strata's statements and the simulator's (it persists its
 * clusters' objects in the same database). This process's pools are opened after this line runs.
 */
const DB_CLIENT = { strata: 'strata-bench', sim: 'strata-bench-sim', api: 'strata-bench-api' } as const;
if (!process.argv.includes('--sim') && !process.argv.includes('--api'))
  process.env.PGAPPNAME ??= DB_CLIENT.strata;

/**
 * Splits the CPU of PostgreSQL's backends over a phase by the client that opened them: every 250 ms it reads which
 * backend serves whom (`pg_stat_activity`) and each one's CPU so far. A backend that exits between two readings
 * takes its last interval with it, which the total (`databaseCpuMs`) still counts: the rest of the total is shown
 * as unattributed.
 */
function databaseCpuByClient(store: Store | null) {
  const seen = new Map<number, { client: string; first: number; last: number }>();
  let stopped = false;
  async function sample(initial: boolean): Promise<void> {
    if (store?.driver !== 'postgres') return;
    const rows = await sql<{ pid: number; client: string }>`
      SELECT pid, application_name AS client FROM pg_stat_activity
      WHERE backend_type = 'client backend'`.execute(store.db);
    for (const { pid, client } of rows.rows) {
      const ms = await cpuMsOf(pid);
      const known = seen.get(pid);
      if (known) known.last = Math.max(known.last, ms);
      else seen.set(pid, { client, first: initial ? ms : 0, last: ms });
    }
  }
  const ready = sample(true);
  const loop = (async () => {
    await ready;
    while (!stopped) {
      await new Promise((r) => setTimeout(r, 250));
      await sample(false).catch(() => {});
    }
  })();
  return async (): Promise<Record<string, number>> => {
    stopped = true;
    await loop;
    await sample(false).catch(() => {});
    const by: Record<string, number> = {};
    for (const { client, first, last } of seen.values()) by[client] = (by[client] ?? 0) + (last - first);
    return by;
  };
}

/**
 * What one phase of the run costs per cluster: Strata's CPU (this process and a second worker's), the
 * simulator's CPU (when it runs in its own process; otherwise it is inside Strata's figure) and the SQL
 * statements this process sent (a second worker's are not counted: with two workers the figure is a floor).
 */
async function costMeter(second: ChildProcess | null, store: Store | null = null) {
  const byClient = databaseCpuByClient(store);
  const cpu0 = process.cpuUsage();
  const worker0 = await cpuMsOf(second?.pid);
  const sim0 = await cpuMsOf(simPid);
  const db0 = await databaseCpuMs();
  const sql0 = statementsSent();
  return async (clusters: number) => {
    const cpu = process.cpuUsage(cpu0);
    const strata = (cpu.user + cpu.system) / 1000 + ((await cpuMsOf(second?.pid)) - worker0);
    const sim = simPid === null ? null : (await cpuMsOf(simPid)) - sim0;
    const db = (await databaseCpuMs()) - db0;
    const split = await byClient();
    const perCluster = (ms: number | undefined) => +((ms ?? 0) / clusters).toFixed(2);
    return {
      strataCpuMsPerCluster: +(strata / clusters).toFixed(2),
      ...(sim === null ? {} : { simCpuMsPerCluster: +(sim / clusters).toFixed(2) }),
      ...(db > 0 ? { databaseCpuMsPerCluster: +(db / clusters).toFixed(2) } : {}),
      ...(db > 0 && Object.keys(split).length > 0
        ? {
            databaseCpuMsPerClusterBy: {
              strata: perCluster(split[DB_CLIENT.strata]),
              simulator: perCluster(split[DB_CLIENT.sim]),
              ...(split[DB_CLIENT.api] === undefined ? {} : { api: perCluster(split[DB_CLIENT.api]) }),
              unattributed: perCluster(
                db - Object.values(split).reduce((a, b) => a + b, 0) + (split[''] ?? 0),
              ),
            },
          }
        : {}),
      sqlStatementsPerCluster: +((statementsSent() - sql0) / clusters).toFixed(1),
    };
  };
}

/** A cost meter's figures as a sentence. */
function costLine(cost: Awaited<ReturnType<Awaited<ReturnType<typeof costMeter>>>>): string {
  return `per cluster: Strata CPU ${cost.strataCpuMsPerCluster} ms${cost.simCpuMsPerCluster === undefined ? ' (simulator included)' : `, simulator CPU ${cost.simCpuMsPerCluster} ms`}${cost.databaseCpuMsPerCluster === undefined ? '' : `, PostgreSQL CPU ${cost.databaseCpuMsPerCluster} ms${cost.databaseCpuMsPerClusterBy ? ` (serving Strata ${cost.databaseCpuMsPerClusterBy.strata}, the simulator ${cost.databaseCpuMsPerClusterBy.simulator}${cost.databaseCpuMsPerClusterBy.api === undefined ? '' : `, the API process ${cost.databaseCpuMsPerClusterBy.api}`}, unattributed ${cost.databaseCpuMsPerClusterBy.unattributed})` : ''}`}, ${cost.sqlStatementsPerCluster} SQL statements`;
}

/** The `--worker` mode: an engine claiming from the shared queue until SIGTERM. */
async function runWorker(schema: string, simUrl: string, pkiDir: string): Promise<void> {
  const store = await openStore({ databaseUrl, schema });
  const sim = await connectRemoteSimulator({ url: simUrl, pkiDir });
  const running = startEngine({
    store,
    catalog: await loadBuiltinCatalog(),
    sim,
    watchDrift: false,
    timings: TIMINGS,
    onError: benchErrorSink,
  });
  process.stdout.write('WORKER READY\n');
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  await running.stop();
  await store.close();
  destroySharedAgents();
}

/** Bytes of the tables and indexes of the store's schema. */
async function databaseBytes(store: Store): Promise<number> {
  const { rows } = await sql<{ bytes: string | null }>`
    SELECT sum(pg_total_relation_size(c.oid))::bigint AS bytes FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind = 'r'`.execute(store.db);
  return Number(rows[0]?.bytes ?? 0);
}

/** Polls a count query until it reaches `n`, printing progress on stderr. */
async function waitCount(label: string, n: number, count: () => Promise<number>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const done = await count();
    process.stderr.write(`  … ${label} ${done}/${n}\r`);
    if (done >= n) return;
    if (Date.now() > deadline) throw new Error(`${label}: only ${done} of ${n} after ${WAIT_MS} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function run(driver: 'pglite' | 'postgres', fleet: number): Promise<void> {
  const schema = driver === 'postgres' ? `bench_rollout_${process.pid}_${fleet}` : undefined;
  const store = await openStore(
    driver === 'postgres'
      ? { databaseUrl, schema, poolSize: Number(process.env.STRATA_BENCH_POOL ?? 10) }
      : { memory: true },
  );
  const simProcess = SIM_PROCESS && schema ? schema : null;
  const total = Math.max(fleet, STORED);
  const {
    sim,
    catalog,
    running,
    pkiDir,
    simRequests: requestCounts,
    stop,
  } = await startBenchStrata(store, {
    fleet: total,
    timings: TIMINGS,
    ...(schema ? { schema } : {}),
    ...(simProcess ? { simProcess: (dir: string) => startSimProcess(simProcess, total, dir) } : {}),
  });
  const simWhere = simProcess ? 'simulator in its own process' : 'simulator in process';
  const engine = running.engine;
  const workers = driver === 'postgres' ? WORKERS : 1;
  const second = workers > 1 && schema ? await startWorker(schema, sim.url, pkiDir) : null;
  const rss = sampleRss();
  let peakRss = 0;
  try {
    const names = Array.from({ length: fleet }, (_, i) => `ro-${String(i).padStart(6, '0')}`);

    // 1. Provision the fleet through the simulator.
    const provisionProfiler =
      process.env.STRATA_BENCH_PROFILE && PROFILE_PROVISION ? await startProfile('provision') : null;
    let requestsBefore = await requestCounts();
    let cost = await costMeter(second, store);
    let t0 = performance.now();
    for (const name of names)
      await engine.createCluster(ACTOR, { name, profiles: ['hello-universe-aws@1.0.0'], workers: 1 });
    await waitCount('running', fleet, async () => {
      const rows = await store.db
        .selectFrom('clusters')
        .select(['phase', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('phase')
        .execute();
      if (process.env.STRATA_BENCH_VERBOSE) process.stderr.write(`${JSON.stringify(rows)}\n`);
      return Number(rows.find((r) => r.phase === 'Running')?.n ?? 0);
    });
    const provisionMs = performance.now() - t0;
    const provisionCost = await cost(fleet);
    if (provisionProfiler) console.log(`  CPU profile of provisioning: ${await provisionProfiler.stop()}`);
    peakRss = rss.peak();
    reportFigure(
      'rollout.provision',
      {
        driver,
        workers,
        sim: simProcess ? 'own-process' : 'in-process',
        clusters: fleet,
        totalMs: Math.round(provisionMs),
        clustersPerSecond: Math.round((fleet / provisionMs) * 1000),
        peakRssMiB: peakRss,
        ...(simProcess ? { simPeakRssMiB: await peakRssOf(simPid) } : {}),
        requestsPerCluster: requestsPerCluster(await requestCounts(), requestsBefore, fleet),
        ...provisionCost,
      },
      `${driver} (${workers} worker${workers > 1 ? 's' : ''}, ${simWhere}): ${fleet} simulated clusters provisioned to Running in ${(provisionMs / 1000).toFixed(1)} s (${Math.round((fleet / provisionMs) * 1000)}/s), peak RSS ${peakRss} MiB; ${costLine(provisionCost)}`,
    );

    // 1b. Copy the first cluster in the store up to `STORED` clusters.
    if (total > fleet) {
      const c0 = performance.now();
      await cloneStoredClusters(store, names[0]!, 'ro-', fleet, total - fleet, (done) =>
        process.stderr.write(`  … stored ${fleet + done}/${total}\r`),
      );
      const cloneMs = performance.now() - c0;
      await sql`ANALYZE`.execute(store.db);
      reportFigure(
        'rollout.stored',
        { driver, provisioned: fleet, copied: total - fleet, clusters: total, totalMs: Math.round(cloneMs) },
        `${driver}: ${total - fleet} copies of a provisioned cluster written to the store in ${(cloneMs / 1000).toFixed(1)} s (${total} clusters in all)`,
      );
    }

    // 2. Roll the API preset to the fleet: canary, then one wave of the rest. Skipped with `STRATA_BENCH_ROLLS=one-object`.
    if (ROLLS.includes('preset')) {
      requestsBefore = await requestCounts();
      rss.reset();
      cost = await costMeter(second, store);
      t0 = performance.now();
      const started = await engine.rollouts.start(ACTOR, {
        from: 'hello-universe-aws@1.0.0',
        to: 'hello-universe-aws@1.1.0',
        canary: 1,
        growth: 1_000_000,
        soakSeconds: 0,
        progressDeadlineSeconds: 3600,
      });
      const startMs = performance.now() - t0;
      let state = started.state;
      await waitCount('healthy', total, async () => {
        const r = await engine.rollouts.get(started.id, { limit: 1 });
        state = r.state;
        if (state === 'Halted') throw new Error(`rollout halted: ${r.haltReason}`);
        return r.counts.healthy ?? 0;
      });
      const rolloutMs = performance.now() - t0;
      const rolloutCost = await cost(total);
      const timeline = await rolloutTimeline(store, started.id, new Date(started.createdAt));
      const { rows } = await sql<{ ms: number }>`
        SELECT extract(epoch FROM (finished_at - applied_at)) * 1000 AS ms FROM rollout_members
        WHERE rollout_id = ${started.id} AND state = 'healthy' ORDER BY 1`.execute(store.db);
      const perCluster = rows.map((r) => Number(r.ms));
      const bytes = await databaseBytes(store);
      // No cluster changed twice, whichever process applied it (one `cluster.update` audit row per cluster).
      const doubled = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM (SELECT target FROM audit_log WHERE action = 'cluster.update'
        GROUP BY target HAVING count(*) > 1) AS d`.execute(store.db);
      peakRss = rss.peak();
      // What stays after a full collection (the rest of the peak is garbage the heap had not yet returned).
      (globalThis as { gc?: () => void }).gc?.();
      const retainedHeapMiB = Math.round(process.memoryUsage().heapUsed / 1048576);
      reportFigure(
        'rollout.fleet',
        {
          driver,
          workers,
          sim: simProcess ? 'own-process' : 'in-process',
          clusters: total,
          ...(total > fleet ? { provisioned: fleet, copied: total - fleet } : {}),
          waves: started.waveCount,
          startMs: Math.round(startMs),
          totalMs: Math.round(rolloutMs),
          clustersPerSecond: Math.round((total / rolloutMs) * 1000),
          p50MsPerCluster: Math.round(percentile(perCluster, 50)),
          p99MsPerCluster: Math.round(percentile(perCluster, 99)),
          peakRssMiB: peakRss,
          retainedHeapMiB,
          ...(simProcess ? { simPeakRssMiB: await peakRssOf(simPid) } : {}),
          databaseMiB: Math.round(bytes / 1048576),
          requestsPerCluster: requestsPerCluster(await requestCounts(), requestsBefore, total),
          clustersChangedTwice: Number(doubled.rows[0]?.n ?? 0),
          ...rolloutCost,
          timeline,
        },
        `${driver} (${workers} worker${workers > 1 ? 's' : ''}, ${simWhere}): API preset rolled to ${total} clusters${total > fleet ? ` (${total - fleet} of them copies in the store)` : ''} (canary + 1 wave) in ${(rolloutMs / 1000).toFixed(1)} s (${Math.round((total / rolloutMs) * 1000)}/s; start ${Math.round(startMs)} ms), per cluster p50 ${Math.round(percentile(perCluster, 50))} ms / p99 ${Math.round(percentile(perCluster, 99))} ms, peak RSS ${peakRss} MiB (heap after GC ${retainedHeapMiB} MiB), database ${Math.round(bytes / 1048576)} MiB; ${costLine(rolloutCost)}`,
      );
    }

    // 3. Roll a change that touches one object (the UI's replica count) to the same fleet: what the per-cluster
    // cost is when a chart or pack value changes, the common case of a fleet rollout.
    const base = ROLLS.includes('preset') ? '1.1.0' : '1.0.0';
    const v110 = await getProfileVersion(store.db, 'hello-universe-aws', base);
    const layers = v110!.layers.map((l) =>
      l.pack === 'hello-universe'
        ? { ...l, values: overlayValues(l.values, 'helloUniverse:\n  ui:\n    replicas: 2\n', 'bench') }
        : l,
    );
    const v120 = validateProfileVersion(
      {
        name: 'hello-universe-aws',
        version: '1.2.0',
        type: 'full',
        cloudType: 'sim',
        layers: layers.map((l) => ({
          pack: l.pack,
          version: l.version,
          values: l.values,
          presets: l.presets,
        })),
      },
      await loadBuiltinCatalog(),
    );
    const { revision: _r, ...doc120 } = v120;
    await createProfileVersion(store.db, ACTOR, doc120);
    requestsBefore = await requestCounts();
    const profiler =
      process.env.STRATA_BENCH_PROFILE && !PROFILE_PROVISION ? await startProfile('one-object') : null;
    cost = await costMeter(second, store);
    t0 = performance.now();
    const third = await engine.rollouts.start(ACTOR, {
      from: `hello-universe-aws@${base}`,
      to: 'hello-universe-aws@1.2.0',
      canary: 1,
      growth: 1_000_000,
      soakSeconds: 0,
      progressDeadlineSeconds: 3600,
    });
    // The REST API's reads while the roll runs (`STRATA_BENCH_API_DURING=1`), from a load process.
    const apiLoad = API_DURING ? apiDuringRollout(store, catalog, running, third.id, schema) : null;
    await waitCount('healthy', total, async () => {
      const r = await engine.rollouts.get(third.id, { limit: 1 });
      if (r.state === 'Halted') throw new Error(`rollout halted: ${r.haltReason}`);
      return r.counts.healthy ?? 0;
    });
    const oneMs = performance.now() - t0;
    if (apiLoad) reportApiDuring(await apiLoad, total, oneMs);
    const oneCost = await cost(total);
    const oneTimeline = await rolloutTimeline(store, third.id, new Date(third.createdAt));
    if (profiler) console.log(`  CPU profile of the one-object roll: ${await profiler.stop()}`);
    const oneRequests = requestsPerCluster(await requestCounts(), requestsBefore, total);
    reportFigure(
      'rollout.one-object',
      {
        driver,
        workers,
        sim: simProcess ? 'own-process' : 'in-process',
        clusters: total,
        totalMs: Math.round(oneMs),
        clustersPerSecond: Math.round((total / oneMs) * 1000),
        requestsPerCluster: oneRequests,
        ...oneCost,
        timeline: oneTimeline,
      },
      `${driver} (${workers} worker${workers > 1 ? 's' : ''}, ${simWhere}): a one-object change rolled to ${total} clusters in ${(oneMs / 1000).toFixed(1)} s (${Math.round((total / oneMs) * 1000)}/s); ${costLine(oneCost)}`,
    );
  } finally {
    rss.stop();
    if (second) {
      const exited = new Promise((resolve) => second.once('exit', resolve));
      second.kill('SIGTERM');
      await exited;
    }
    await stop();
  }
}

if (process.argv[2] === '--sim') {
  const [schema, fleet, pkiDir] = process.argv.slice(3) as [string, string, string];
  await runSim(schema, Number(fleet), pkiDir);
  process.exit(0);
}
if (process.argv[2] === '--api') {
  const [schema, home] = process.argv.slice(3) as [string, string];
  await runApi(schema, home);
  process.exit(0);
}
if (process.argv[2] === '--worker') {
  const [schema, simUrl, pkiDir] = process.argv.slice(3) as [string, string, string];
  await runWorker(schema, simUrl, pkiDir);
  process.exit(0);
}

for (const fleet of SIZES) {
  for (const driver of benchDrivers) {
    if (driver === 'postgres' && !(await postgresReachable())) {
      console.log(`  postgres: skipped, ${databaseUrl} is not reachable`);
      continue;
    }
    await run(driver as 'pglite' | 'postgres', fleet);
  }
}
