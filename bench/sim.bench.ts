/**
 * Simulator figures: resident memory with 100,000 stored clusters of ~20 objects (clusters load on demand and
 * idle ones are evicted), requests per second for a pod list and for server-side apply on one core, and the time
 * for 1,000 clusters to boot their nodes. `STRATA_BENCH_SCALE` scales the counts down.
 * Run: `node --import tsx --expose-gc bench/sim.bench.ts`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { InMemorySimPersistence } from '../src/sim/persistence.ts';
import type { SimKubeServer } from '../src/sim/server.ts';
import { startSimKubeServer } from '../src/sim/server.ts';
import { openStore, type Store } from '../src/store/open.ts';
import { StoreSimPersistence } from '../src/store/sim-objects.ts';
import { reportFigure, rssMiB, scaled } from './report.ts';

const BENCH_SCHEMA = `strata_bench_sim_${process.pid}`;

/**
 * Opens the store the fleet's objects live in: PostgreSQL (`DATABASE_URL`, else the local server) in a
 * schema of its own, or embedded PGlite on disk when no server answers.
 */
async function openBenchStore(dir: string): Promise<{ store: Store; where: string }> {
  const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  try {
    const store = await openStore({ databaseUrl: url, schema: BENCH_SCHEMA });
    return { store, where: 'PostgreSQL (server memory not in the RSS figure)' };
  } catch {
    return {
      store: await openStore({ home: dir, databaseUrl: null }),
      where: 'embedded PGlite (in the RSS figure)',
    };
  }
}

/** Drops the bench schema (PostgreSQL) and closes the store. */
async function closeBenchStore(store: Store): Promise<void> {
  if (store.driver === 'postgres') await sql`DROP SCHEMA ${sql.id(BENCH_SCHEMA)} CASCADE`.execute(store.db);
  await store.close();
}

const DEPLOYMENT = (name: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default' },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
    },
  },
});

async function makeCluster(server: SimKubeServer, name: string): Promise<void> {
  await server.infra.createCluster(name);
  await server.infra.createPool(name, {
    name: 'cp',
    role: 'control-plane',
    machine: { instanceType: 'm5.large' },
  });
  await server.infra.createPool(name, { name: 'w', role: 'worker', machine: { instanceType: 'm5.large' } });
  const spec = { osImage: 'Ubuntu 22.04.5 LTS', kubeletVersion: 'v1.33.2' };
  await server.infra.addNode(name, 'cp', spec);
  await server.infra.addNode(name, 'w', spec);
  await server.infra.addNode(name, 'w', spec);
}

async function allReady(server: SimKubeServer, names: string[]): Promise<boolean> {
  for (const n of names)
    if (!(await server.infra.listNodes(n)).every((x) => x.state === 'Ready')) return false;
  return true;
}

function call(
  agent: Agent,
  server: SimKubeServer,
  cluster: string,
  method: string,
  path: string,
  body?: string,
  contentType?: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.clusterUrl(cluster)}${path}`,
      {
        method,
        agent,
        ca: server.caCertPem,
        headers: {
          authorization: `Bearer ${server.token(cluster, 'admin')}`,
          accept: 'application/json',
          ...(body
            ? { 'content-type': contentType ?? 'application/json', 'content-length': Buffer.byteLength(body) }
            : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function throughput(
  seconds: number,
  concurrency: number,
  one: () => Promise<number>,
): Promise<{ rps: number; errors: number }> {
  const end = Date.now() + seconds * 1000;
  let done = 0;
  let errors = 0;
  const start = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        const code = await one();
        if (code >= 400) errors += 1;
        done += 1;
      }
    }),
  );
  return { rps: Math.round((done * 1000) / (Date.now() - start)), errors };
}

async function benchBoot(pkiDir: string): Promise<void> {
  const count = scaled(1000);
  const nodeBootMs = 1000;
  const server = await startSimKubeServer({
    port: 0,
    pkiDir,
    persistence: new InMemorySimPersistence(),
    timing: { nodeBootMs, podStartMs: 100 },
  });
  try {
    const names = Array.from({ length: count }, (_, i) => `boot-${String(i).padStart(5, '0')}`);
    const start = Date.now();
    for (const n of names) await makeCluster(server, n);
    const created = Date.now() - start;
    while (!(await allReady(server, names))) await new Promise((r) => setTimeout(r, 50));
    const total = Date.now() - start;
    reportFigure(
      'sim-boot',
      {
        clusters: count,
        nodes: count * 3,
        nodeBootMs,
        createMs: created,
        allReadyMs: total,
        rssMiB: rssMiB(),
      },
      `${count} clusters (${count * 3} nodes, boot delay ${nodeBootMs} ms) created in ${created} ms, all nodes Ready after ${total} ms; RSS ${rssMiB()} MiB`,
    );
  } finally {
    await server.stop();
  }
}

async function benchRequests(pkiDir: string): Promise<void> {
  const server = await startSimKubeServer({
    port: 0,
    pkiDir,
    persistence: new InMemorySimPersistence(),
    timing: { nodeBootMs: 10, podStartMs: 10 },
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  try {
    await makeCluster(server, 'rps');
    while (!(await allReady(server, ['rps']))) await new Promise((r) => setTimeout(r, 20));
    await call(
      agent,
      server,
      'rps',
      'POST',
      '/apis/apps/v1/namespaces/default/deployments',
      JSON.stringify(DEPLOYMENT('web')),
    );
    await new Promise((r) => setTimeout(r, 300));
    const seconds = Math.max(1, Math.round(5 * Math.min(1, scaled(100) / 100)));
    const list = await throughput(seconds, 32, () =>
      call(agent, server, 'rps', 'GET', '/api/v1/namespaces/default/pods'),
    );
    reportFigure(
      'sim-rps-list-pods',
      { rps: list.rps, errors: list.errors, pods: 3, seconds },
      `GET pod list (3 pods): ${list.rps} requests/s on one core (client in the same process), ${list.errors} errors`,
    );
    let i = 0;
    const ssa = await throughput(seconds, 32, () => {
      i += 1;
      const cm = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `cm-${i % 50}`, namespace: 'default' },
        data: { value: String(i) },
      };
      return call(
        agent,
        server,
        'rps',
        'PATCH',
        `/api/v1/namespaces/default/configmaps/cm-${i % 50}?fieldManager=bench&force=true`,
        JSON.stringify(cm),
        'application/apply-patch+yaml',
      );
    });
    reportFigure(
      'sim-rps-server-side-apply',
      { rps: ssa.rps, errors: ssa.errors, seconds },
      `server-side apply of a ConfigMap: ${ssa.rps} requests/s on one core (client in the same process), ${ssa.errors} errors`,
    );
  } finally {
    agent.destroy();
    await server.stop();
  }
}

async function benchMemory(pkiDir: string): Promise<void> {
  const count = scaled(100_000);
  const touches = scaled(20_000);
  const dir = await mkdtemp(join(tmpdir(), 'strata-sim-bench-store-'));
  try {
    // One real cluster is built, then copied under other names straight into the store (as a fleet would be).
    const template = new InMemorySimPersistence();
    const builder = await startSimKubeServer({
      port: 0,
      pkiDir,
      persistence: template,
      timing: { nodeBootMs: 5, podStartMs: 5, flushDelayMs: 1 },
    });
    await makeCluster(builder, 'tpl-000000');
    while (!(await allReady(builder, ['tpl-000000']))) await new Promise((r) => setTimeout(r, 10));
    const agent = new Agent({ keepAlive: true });
    await call(
      agent,
      builder,
      'tpl-000000',
      'POST',
      '/apis/apps/v1/namespaces/default/deployments',
      JSON.stringify(DEPLOYMENT('web')),
    );
    await call(
      agent,
      builder,
      'tpl-000000',
      'POST',
      '/api/v1/namespaces/default/services',
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web' },
        spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80 }] },
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
    agent.destroy();
    await builder.stop();
    const stored = await template.loadCluster('tpl-000000');
    const { store, where } = await openBenchStore(dir);
    const persistence = new StoreSimPersistence(store.db);
    await persistence.writeMany([
      {
        cluster: 'tpl-000000',
        writes: stored.objects.map((record) => ({ op: 'put', record })),
        lastResourceVersion: stored.lastResourceVersion,
      },
    ]);
    const writeStart = Date.now();
    // Clone the template cluster in the database, as a fleet's clusters would have been written over time.
    const chunk = 10_000;
    for (let from = 1; from < count; from += chunk) {
      const to = Math.min(count - 1, from + chunk - 1);
      const nameOf = sql`'tpl-' || lpad(g::text, 6, '0')`;
      await sql`INSERT INTO sim_objects (cluster, api_group, resource, namespace, name, resource_version, object)
        SELECT ${nameOf}, o.api_group, o.resource, o.namespace, replace(o.name, 'tpl-000000', ${nameOf}),
               o.resource_version, replace(o.object::text, 'tpl-000000', ${nameOf})::jsonb
        FROM sim_objects o CROSS JOIN generate_series(${from}::int, ${to}::int) AS g
        WHERE o.cluster = 'tpl-000000'`.execute(store.db);
      await sql`INSERT INTO sim_clusters (cluster, last_resource_version)
        SELECT ${nameOf}, ${stored.lastResourceVersion} FROM generate_series(${from}::int, ${to}::int) AS g`.execute(
        store.db,
      );
    }
    const storeMs = Date.now() - writeStart;
    (globalThis as { gc?: () => void }).gc?.();
    const server = await startSimKubeServer({
      port: 0,
      pkiDir,
      persistence,
      timing: { nodeBootMs: 5, podStartMs: 5, idleEvictMs: 2000 },
      maxLoadedClusters: 2000,
    });
    const client = new Agent({ keepAlive: true, maxSockets: 64 });
    let peak = rssMiB();
    const start = Date.now();
    try {
      let next = 0;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (next < touches) {
            const i = Math.floor(Math.random() * count);
            next += 1;
            const code = await call(
              client,
              server,
              `tpl-${String(i).padStart(6, '0')}`,
              'GET',
              '/api/v1/namespaces/default/pods',
            );
            if (code !== 200) throw new Error(`GET pods answered ${code}`);
            if (next % 1000 === 0) {
              server.fleet.evictIdle();
              peak = Math.max(peak, rssMiB());
            }
          }
        }),
      );
      const elapsed = Date.now() - start;
      const stats = server.fleet.stats();
      peak = Math.max(peak, rssMiB());
      reportFigure(
        'sim-memory',
        {
          storedClusters: count,
          objectsPerCluster: stored.objects.length,
          requests: touches,
          loads: stats.loads,
          evictions: stats.evictions,
          loadedAtEnd: stats.loadedClusters,
          peakRssMiB: peak,
          requestsPerSecond: Math.round((touches * 1000) / elapsed),
          storeWriteMs: storeMs,
          store: where,
        },
        `${count} stored clusters of ${stored.objects.length} objects: ${touches} GETs on random clusters (each a load from the store: ${where}), ${stats.loads} loads, ${stats.evictions} evictions, ${stats.loadedClusters} in memory at the end; peak RSS ${peak} MiB`,
      );
    } finally {
      client.destroy();
      await server.stop();
      await closeBenchStore(store);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const pkiDir = await mkdtemp(join(tmpdir(), 'strata-sim-bench-pki-'));
try {
  await benchRequests(pkiDir);
  await benchBoot(pkiDir);
  await benchMemory(pkiDir);
} finally {
  await rm(pkiDir, { recursive: true, force: true });
}
