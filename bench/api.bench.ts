/**
 * API benchmark: latency and throughput of `GET /v1/clusters/{name}`, `GET /v1/clusters?limit=100` (summaries),
 * `GET /v1/clusters?limit=100&view=full` and the fleet page's filtered lists (a mix of label + counts, health, name
 * prefix, search, descending order and notice + counts, as the console asks) with 100,000 clusters stored — running clusters, their status
 * shaped as the engine writes it (conditions, applied state, node templates in force) — measured from a separate load process (`node:http` with keep-alive on loopback, after
 * 2 s of unrecorded warm-up at the same load) — first at a fixed 500 requests/s (open loop: latency includes
 * queueing), then flat out with 32 requests in flight. Goal: p99 < 20 ms at 500 requests/s.
 * `STRATA_BENCH_DRIVERS=postgres` (or `pglite`) runs one driver; `STRATA_BENCH_VERBOSE=1` adds the server's
 * event-loop delay and the slow requests' timeline. Runs on embedded PGlite (on disk) and on PostgreSQL
 * (`STRATA_BENCH_DATABASE_URL`, default the local test server; skipped with a line when unreachable).
 * `STRATA_BENCH_SCALE=0.1` scales the fleet and the durations down; `STRATA_BENCH_API_KINDS=list,list-filtered`
 * measures only those kinds (`get`, `list`, `list-full`, `list-filtered`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sql } from 'kysely';
import { ensureAdminToken } from '../src/api/admin-token.ts';
import { createApiServer } from '../src/api/server.ts';
import { loadBuiltinCatalog } from '../src/catalog/load.ts';
import type { Catalog } from '../src/core/catalog.ts';
import type { ClusterSpec } from '../src/core/model.ts';
import { createClusters } from '../src/store/clusters.ts';
import { openStore, type Store } from '../src/store/open.ts';
import {
  benchDrivers,
  benchScale,
  benchDatabaseUrl as databaseUrl,
  percentile,
  postgresReachable,
  reportFigure,
  scaled,
} from './report.ts';

function spec(i: number): ClusterSpec {
  return {
    name: `bench-${String(i).padStart(6, '0')}`,
    cloudType: 'sim',
    profiles: [{ name: 'web', version: '1.0.0', revision: 1 }],
    overrides: {},
    pools: [
      {
        name: 'control-plane',
        role: 'control-plane',
        count: 1,
        machine: { instanceType: 'sim.medium', diskGiB: 40 },
        strategy: { type: 'expand-first' },
        pauseSeconds: 0,
      },
      {
        name: 'workers',
        role: 'worker',
        count: 3,
        machine: { instanceType: 'sim.large', diskGiB: 80 },
        strategy: { type: 'expand-first' },
        pauseSeconds: 0,
      },
    ],
    settings: { repave: 'manual', prune: false, selfHeal: true },
    labels: { env: i % 2 === 0 ? 'prod' : 'staging' },
  };
}

/**
 * The status of a running cluster as the engine leaves it (the shape of a demo cluster's, same sizes):
 * eight conditions, applied profiles and pools (filled per cluster from its spec), and the engine's notes —
 * the OS and Kubernetes layers nodes run, as their values text, and a template per pool.
 */
function runningStatus(catalog: Catalog, pools: ClusterSpec['pools']): Record<string, unknown> {
  const at = '2026-12-01T00:00:00.000Z';
  const condition = (type: string, status: 'True' | 'False', reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastTransitionTime: at,
  });
  const layer = (pack: string, kind: string) => {
    const version = catalog.versions(pack)[0]!;
    return {
      profile: 'web',
      pack,
      version,
      layer: kind,
      values: catalog.require(pack, version).values,
      presets: [],
    };
  };
  return {
    phase: 'Running',
    health: 'Healthy',
    observedGeneration: 1,
    kubernetesVersion: '1.30.4',
    repave: { state: 'None' },
    appliedOverrides: {},
    conditions: [
      condition('Ready', 'True', 'Running', 'Running web@1.0.0.'),
      condition('InfrastructureReady', 'True', 'NodesReady', '4 node(s) Ready.'),
      condition('RepavePending', 'False', 'NotRequired', 'Nodes run the desired configuration.'),
      condition('AddonsApplied', 'True', 'Applied', '8 object(s) of 5 layer(s) applied.'),
      condition(
        'UnusedResources',
        'False',
        'None',
        'Every managed object is part of the current configuration.',
      ),
      condition('AddonsHealthy', 'True', 'Available', 'Every managed Deployment is available.'),
      condition(
        'UpdateAvailable',
        'False',
        'UpToDate',
        'The cluster runs the latest revision of its profiles.',
      ),
      condition('Drifted', 'False', 'InSync', 'Every managed object matches what was applied.'),
    ],
    engine: {
      nodes: {
        pools,
        layers: [layer('ubuntu', 'os'), layer('kubernetes', 'k8s')],
        templates: Object.fromEntries(
          pools.map((p) => [
            p.name,
            { image: 'ubuntu-22.04', kubelet: '1.30.4', machine: p.machine, hash: 'f'.repeat(64) },
          ]),
        ),
      },
      lastReplacedAt: {},
    },
  };
}

/** The load process: requests at a fixed rate (or flat out), reporting per-request latencies in ms as JSON. */
const LOAD_SCRIPT = `
import http from 'node:http';
const [url, token, kind, fleet, rate, seconds, inFlight, warmup] = process.argv.slice(1);
// node:http with keep-alive rather than fetch: half the CPU per request, and this process shares the 2 cores
// with the server and the database, so a heavier client would inflate the latencies it measures.
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(inFlight) });
const { hostname, port } = new URL(url);
const n = Number(fleet);
const pathOf = () => {
  const i = Math.floor(Math.random() * n);
  const name = 'bench-' + String(i).padStart(6, '0');
  if (kind === 'get') return '/v1/clusters/' + name;
  if (kind === 'list-filtered') {
    // The console's fleet page: a first page with counts, or a next page, under one of its filters.
    const cursor = '&cursor=' + Buffer.from(name).toString('base64url');
    const filters = ['label=env%3Dprod&counts=phase', 'health=Healthy' + cursor, 'namePrefix=bench-0' + String(i).slice(0, 2),
      'search=' + String(i).padStart(4, '0').slice(-4), 'sort=-name' + cursor, 'notice=update-available&counts=phase'];
    return '/v1/clusters?limit=100&' + filters[i % filters.length];
  }
  const view = kind === 'list-full' ? '&view=full' : '';
  return '/v1/clusters?limit=100' + view + '&cursor=' + Buffer.from(name).toString('base64url');
};
const headers = { authorization: 'Bearer ' + token };
const latencies = [];
const starts = [];
let errors = 0;
let dropped = 0;
let active = 0;
const request = () => new Promise((resolve) => {
  const req = http.get({ hostname, port, path: pathOf(), headers, agent }, (res) => {
    res.on('data', () => {});
    res.on('end', () => resolve(res.statusCode));
  });
  req.on('error', () => resolve(0));
});
const one = async () => {
  active++;
  const start = performance.now();
  if ((await request()) !== 200) errors++;
  if (start >= started) {
    latencies.push(performance.now() - start);
    starts.push(start - started);
  }
  active--;
};
// The first \`warmup\` seconds run the same load unrecorded: this process's connections and JIT warm up first.
const started = performance.now() + Number(warmup) * 1000;
const end = started + Number(seconds) * 1000;
const limit = Number(inFlight);
if (Number(rate) > 0) {
  const interval = 1000 / Number(rate);
  let next = performance.now();
  const pending = [];
  while (performance.now() < end) {
    if (performance.now() >= next) {
      if (active < limit) pending.push(one()); else dropped++;
      next += interval;
    } else {
      await new Promise((r) => setTimeout(r, Math.max(0, Math.min(1, next - performance.now()))));
    }
  }
  await Promise.all(pending);
} else {
  const worker = async () => { while (performance.now() < end) await one(); };
  await Promise.all(Array.from({ length: limit }, worker));
}
const elapsed = (performance.now() - started) / 1000;
process.stdout.write(JSON.stringify({ latencies, starts, errors, dropped, elapsed }));
`;

type Kind = 'get' | 'list' | 'list-full' | 'list-filtered';
const LABEL: Record<Kind, string> = {
  get: 'GET /v1/clusters/{name}',
  list: 'GET /v1/clusters?limit=100',
  'list-full': 'GET /v1/clusters?limit=100&view=full',
  'list-filtered':
    'GET /v1/clusters?limit=100 filtered (label + counts, health, name prefix, search, descending, notice + counts)',
};

async function runLoad(
  url: string,
  token: string,
  kind: Kind,
  fleet: number,
  rate: number,
  seconds: number,
  inFlight: number,
  warmupSeconds = 2,
): Promise<{ latencies: number[]; starts: number[]; errors: number; dropped: number; elapsed: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        LOAD_SCRIPT,
        url,
        token,
        kind,
        String(fleet),
        String(rate),
        String(seconds),
        String(inFlight),
        String(warmupSeconds),
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load process exited ${code}`)),
    );
  });
}

async function benchDriver(driver: 'pglite' | 'postgres', store: Store): Promise<void> {
  const fleet = scaled(100_000);
  const t0 = performance.now();
  const batch = 10_000;
  for (let i = 0; i < fleet; i += batch) {
    const specs = Array.from({ length: Math.min(batch, fleet - i) }, (_, k) => spec(i + k));
    await createClusters(store.db, { actor: 'bench' }, specs);
  }
  const catalog = await loadBuiltinCatalog();
  const status = runningStatus(catalog, spec(0).pools);
  await sql`UPDATE clusters SET phase = 'Running', health = 'Healthy', observed_generation = 1,
    status = ${JSON.stringify(status)}::jsonb
      || jsonb_build_object('appliedProfiles', spec->'profiles', 'appliedPools', spec->'pools')`.execute(
    store.db,
  );
  const insertSeconds = (performance.now() - t0) / 1000;
  console.log(`  ${driver}: stored ${fleet} running clusters in ${insertSeconds.toFixed(1)} s`);
  // Steady state before measuring: the bulk load's statistics and dead tuples settled (PostgreSQL's autovacuum
  // would otherwise start in the middle of the run), and this process's garbage from building the specs gone.
  for (const table of ['clusters', 'cluster_profiles', 'node_pools'])
    await sql`VACUUM ANALYZE ${sql.table(table)}`.execute(store.db);
  (globalThis as { gc?: () => void }).gc?.();
  const home = mkdtempSync(join(tmpdir(), 'strata-bench-api-'));
  const app = createApiServer({ store, catalog, engine: null, home });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const token = (await ensureAdminToken(store, home)).token;
  const seconds = Math.max(3, Math.round(10 * Math.min(1, benchScale * 10)));
  try {
    const kinds = (['get', 'list', 'list-full', 'list-filtered'] as const).filter(
      (k) => !process.env.STRATA_BENCH_API_KINDS || process.env.STRATA_BENCH_API_KINDS.split(',').includes(k),
    );
    for (const kind of kinds) {
      const label = LABEL[kind];
      const sample = await fetch(
        `${url}${kind === 'get' ? '/v1/clusters/bench-000000' : `/v1/clusters?limit=100${kind === 'list-full' ? '&view=full' : kind === 'list-filtered' ? '&label=env%3Dprod&counts=phase' : ''}`}`,
        {
          headers: { authorization: `Bearer ${token}` },
        },
      );
      const bytes = (await sample.arrayBuffer()).byteLength;
      const eld = monitorEventLoopDelay({ resolution: 5 });
      eld.enable();
      const fixed = await runLoad(url, token, kind, fleet, 500, seconds, 256);
      eld.disable();
      if (process.env.STRATA_BENCH_VERBOSE) {
        console.log(
          `  server event-loop delay: p50 ${(eld.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(eld.percentile(99) / 1e6).toFixed(1)} ms, max ${(eld.max / 1e6).toFixed(1)} ms`,
        );
        const slow = fixed.latencies.flatMap((l, i) =>
          l > 20 ? [[Math.round(fixed.starts[i] ?? 0), Math.round(l)]] : [],
        );
        console.log(
          `  ${slow.length} requests over 20 ms (start ms, latency ms): ${JSON.stringify(slow.slice(0, 60))}`,
        );
      }
      const sorted = fixed.latencies.sort((a, b) => a - b);
      const p50 = percentile(sorted, 50);
      const p99 = percentile(sorted, 99);
      reportFigure(
        `api.${kind.replaceAll('-', '')}.${driver}.500rps`,
        {
          clusters: fleet,
          responseBytes: bytes,
          requests: sorted.length,
          errors: fixed.errors,
          dropped: fixed.dropped,
          p50Ms: +p50.toFixed(2),
          p99Ms: +p99.toFixed(2),
          goalP99Ms: 20,
        },
        `${label} (${Math.round(bytes / 1024)} KiB) on ${driver} at 500 req/s for ${seconds} s: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (goal < 20 ms), ${fixed.errors} errors, ${fixed.dropped} not sent (over 256 in flight)`,
      );
      const flat = await runLoad(url, token, kind, fleet, 0, seconds, 32);
      const flatSorted = flat.latencies.sort((a, b) => a - b);
      const rps = flatSorted.length / flat.elapsed;
      reportFigure(
        `api.${kind.replaceAll('-', '')}.${driver}.max`,
        {
          clusters: fleet,
          requestsPerSecond: Math.round(rps),
          p50Ms: +percentile(flatSorted, 50).toFixed(2),
          p99Ms: +percentile(flatSorted, 99).toFixed(2),
          errors: flat.errors,
        },
        `${label} on ${driver} flat out (32 in flight): ${Math.round(rps)} req/s, p99 ${percentile(flatSorted, 99).toFixed(1)} ms`,
      );
    }
  } finally {
    await app.close();
    rmSync(home, { recursive: true, force: true });
  }
}

if (benchDrivers.includes('pglite')) {
  const dataHome = mkdtempSync(join(tmpdir(), 'strata-bench-api-db-'));
  const pglite = await openStore({ home: dataHome, databaseUrl: null });
  try {
    await benchDriver('pglite', pglite);
  } finally {
    await pglite.close();
    rmSync(dataHome, { recursive: true, force: true });
  }
}
if (benchDrivers.includes('postgres') && (await postgresReachable())) {
  const schema = `bench_api_${process.pid}`;
  const store = await openStore({ databaseUrl, schema });
  try {
    await benchDriver('postgres', store);
  } finally {
    await store.db.schema
      .dropSchema(schema)
      .ifExists()
      .cascade()
      .execute()
      .catch(() => {});
    await store.close();
  }
} else if (benchDrivers.includes('postgres')) {
  console.log(`  postgres: skipped (${databaseUrl} unreachable)`);
}
