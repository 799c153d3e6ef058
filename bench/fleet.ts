/**
 * The Strata the engine and rollout benchmarks drive: a store (given), the built-in catalog with the
 * walkthrough's profile (hello-universe-aws 1.0.0 without, 1.1.0 with the API preset), the simulator over HTTPS
 * with every cluster kept loaded (in this process, or in another one), and the engine without drift watches. `stop()` undoes it all, dropping the
 * PostgreSQL schema when one is named.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { loadBuiltinCatalog } from '../src/catalog/load.ts';
import type { Catalog } from '../src/core/catalog.ts';
import type { EngineTimings } from '../src/engine/context.ts';
import { type RunningEngine, startEngine } from '../src/engine/engine.ts';
import type { SimulatorAccess } from '../src/engine/infrastructure.ts';
import { destroySharedAgents } from '../src/kube/agents.ts';
import { setUpDemo } from '../src/main/demo.ts';
import { type SimKubeServer, startSimKubeServer } from '../src/sim/server.ts';
import type { Store } from '../src/store/open.ts';
import { StoreSimPersistence } from '../src/store/sim-objects.ts';

const errorCounts = new Map<string, number>();
/** Engine errors: dropped, unless `STRATA_BENCH_VERBOSE` is set — then counted by message and printed now and then. */
export function benchErrorSink(error: unknown): void {
  if (!process.env.STRATA_BENCH_VERBOSE) return;
  const key = String(error instanceof Error ? error.message : error)
    .replace(/[0-9a-f]{8,}|\d+/g, '#')
    .slice(0, 160);
  const n = (errorCounts.get(key) ?? 0) + 1;
  errorCounts.set(key, n);
  if ((n & (n - 1)) === 0) process.stderr.write(`\n  engine error ×${n}: ${key}\n`);
}

export interface BenchStrata {
  catalog: Catalog;
  /** The simulator's HTTPS address. */
  sim: { url: string };
  running: RunningEngine;
  pkiDir: string;
  /** The requests the simulator has counted so far, wherever it runs. */
  simRequests(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

/** A simulator in another process, reached over HTTPS like any infrastructure. */
export interface SimProcess {
  access: SimulatorAccess & { url: string };
  /** The requests the simulator process has counted so far (`simRequests` there). */
  requests(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

/** The simulator as the benchmarks run it: every cluster kept loaded, quick boots. */
export function startBenchSim(store: Store, pkiDir: string, fleet: number): Promise<SimKubeServer> {
  return startSimKubeServer({
    port: 0,
    pkiDir,
    persistence: new StoreSimPersistence(store.db),
    timing: { nodeBootMs: 20, podStartMs: 15, flushDelayMs: 20 },
    maxLoadedClusters: Math.min(fleet + 10, MAX_LOADED),
    onRequest: countRequest,
  });
}

/** Requests the benchmark's simulator received, by method and what they addressed (cumulative). */
export const simRequests = new Map<string, number>();

/** Counts one request as `GET discovery`, `GET list`, `GET item`, `PATCH item`, `GET watch`, … */
function countRequest(method: string, url: string): void {
  const [path = '', query = ''] = url.split('?');
  const parts = path.split('/').filter(Boolean);
  if (parts[0] !== 'clusters') return;
  const rest = parts.slice(2);
  const api = rest[0] === 'api' ? rest.slice(2) : rest[0] === 'apis' ? rest.slice(3) : null;
  let what = 'other';
  if (api) {
    const resource = api[0] === 'namespaces' && api.length >= 3 ? api.slice(2) : api;
    what =
      resource.length === 0
        ? 'discovery'
        : /(^|&)watch=(true|1)/.test(query)
          ? 'watch'
          : resource.length === 1
            ? 'list'
            : 'item';
  }
  const key = `${method} ${what}`;
  simRequests.set(key, (simRequests.get(key) ?? 0) + 1);
}

/** Returns the requests counted since `before` (a copy of `simRequests` taken then), per cluster. */
export function requestsPerCluster(
  now: ReadonlyMap<string, number>,
  before: ReadonlyMap<string, number>,
  clusters: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  let total = 0;
  for (const [key, n] of now) {
    const d = n - (before.get(key) ?? 0);
    if (d <= 0) continue;
    out[key] = Math.round((d / clusters) * 100) / 100;
    total += d;
  }
  out['total'] = Math.round((total / clusters) * 100) / 100;
  return out;
}

/**
 * Clusters the benchmark's simulator keeps in memory at most: every one up to 20,000; beyond that the least
 * recently used idle ones are evicted and reloaded from the store on their next request, as `strata up` does.
 */
const MAX_LOADED = 20_000;

/**
 * Copies one provisioned cluster (`template`) to `count` new ones named `nameOf(i)` for i in [from, from+count),
 * straight in the store, in every table a running cluster has rows in: the engine's (cluster, profiles, node
 * pools, nodes, inventory) and the simulator's (objects, resource-version counter). The template's name is
 * replaced in every document, so node and machine names and labels follow. Names must be `prefix` + a six-digit
 * index (`ro-000123`), the same width as the template's. Each chunk of clusters is one transaction.
 */
export async function cloneStoredClusters(
  store: Store,
  template: string,
  prefix: string,
  from: number,
  count: number,
  onProgress?: (done: number) => void,
): Promise<void> {
  const chunk = 2_000;
  for (let start = from; start < from + count; start += chunk) {
    const end = Math.min(from + count, start + chunk) - 1;
    const nameOf = sql`${prefix} || lpad(g::text, 6, '0')`;
    const series = sql`generate_series(${start}::int, ${end}::int) AS g`;
    const swap = (column: string) => sql`replace(${sql.ref(column)}::text, ${template}, ${nameOf})::jsonb`;
    await store.db.transaction().execute(async (tx) => {
      await sql`INSERT INTO clusters (name, cloud_type, spec, generation, resource_version, status, status_version,
          observed_generation, phase, health)
        SELECT ${nameOf}, c.cloud_type, ${swap('c.spec')}, c.generation, c.resource_version, ${swap('c.status')},
          c.status_version, c.observed_generation, c.phase, c.health
        FROM clusters c CROSS JOIN ${series} WHERE c.name = ${template}`.execute(tx);
      await sql`INSERT INTO cluster_profiles (cluster, profile, version, revision)
        SELECT ${nameOf}, p.profile, p.version, p.revision
        FROM cluster_profiles p CROSS JOIN ${series} WHERE p.cluster = ${template}`.execute(tx);
      await sql`INSERT INTO node_pools (cluster, name, role, desired_count, status)
        SELECT ${nameOf}, p.name, p.role, p.desired_count, ${swap('p.status')}
        FROM node_pools p CROSS JOIN ${series} WHERE p.cluster = ${template}`.execute(tx);
      await sql`INSERT INTO nodes (cluster, name, pool, doc)
        SELECT ${nameOf}, replace(n.name, ${template}, ${nameOf}), n.pool, ${swap('n.doc')}
        FROM nodes n CROSS JOIN ${series} WHERE n.cluster = ${template}`.execute(tx);
      await sql`INSERT INTO inventory (cluster, api_version, kind, namespace, name, pack, hash, unused)
        SELECT ${nameOf}, i.api_version, i.kind, i.namespace, i.name, i.pack, i.hash, i.unused
        FROM inventory i CROSS JOIN ${series} WHERE i.cluster = ${template}`.execute(tx);
      await sql`INSERT INTO sim_objects (cluster, api_group, resource, namespace, name, resource_version, object)
        SELECT ${nameOf}, o.api_group, o.resource, o.namespace, replace(o.name, ${template}, ${nameOf}),
          o.resource_version, ${swap('o.object')}
        FROM sim_objects o CROSS JOIN ${series} WHERE o.cluster = ${template}`.execute(tx);
      await sql`INSERT INTO sim_clusters (cluster, last_resource_version)
        SELECT ${nameOf}, s.last_resource_version
        FROM sim_clusters s CROSS JOIN ${series} WHERE s.cluster = ${template}`.execute(tx);
    });
    onProgress?.(end - from + 1);
  }
}

/** Starts catalog, simulator and engine on `store` for a fleet of `fleet` clusters. */
export async function startBenchStrata(
  store: Store,
  options: {
    fleet: number;
    timings: EngineTimings;
    schema?: string;
    /** Starts the simulator in another process instead of this one (PostgreSQL only). */
    simProcess?: (pkiDir: string) => Promise<SimProcess>;
  },
): Promise<BenchStrata> {
  const catalog = await loadBuiltinCatalog();
  const pkiDir = await mkdtemp(join(tmpdir(), 'strata-bench-pki-'));
  const remote = options.simProcess ? await options.simProcess(pkiDir) : null;
  const sim = remote ? remote.access : await startBenchSim(store, pkiDir, options.fleet);
  const running = startEngine({
    store,
    catalog,
    sim,
    watchDrift: false,
    timings: options.timings,
    ...(process.env.STRATA_BENCH_CONCURRENCY
      ? { concurrency: Number(process.env.STRATA_BENCH_CONCURRENCY) }
      : {}),
    onError: benchErrorSink,
  });
  const stop = async () => {
    await running.stop();
    await (remote ?? (sim as SimKubeServer)).stop();
    if (options.schema) await store.db.schema.dropSchema(options.schema).ifExists().cascade().execute();
    await store.close();
    destroySharedAgents();
    await rm(pkiDir, { recursive: true, force: true });
  };
  try {
    await setUpDemo(store, catalog, null);
  } catch (error) {
    await stop();
    throw error;
  }
  const requests = () => (remote ? remote.requests() : Promise.resolve(new Map(simRequests)));
  return { catalog, sim, running, pkiDir, simRequests: requests, stop };
}
