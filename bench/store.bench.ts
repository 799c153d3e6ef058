/**
 * Store benchmark: batched writes of a fleet of clusters with their pools, point reads, and queue throughput
 * (claim + complete) with 1 and 4 workers — on embedded PGlite (on disk) and on PostgreSQL
 * (`STRATA_BENCH_DATABASE_URL`, default the local test server; skipped with a line when unreachable).
 * Goals: 100,000 clusters stored in under 10 s on PostgreSQL; at least 5,000 steps/s claimed and completed.
 * Also: one run of the fleet's resync walker (a page of 1,000 Running clusters queued for resync) among them all.
 * `STRATA_BENCH_SCALE=0.1` scales the sizes down.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SequentialIds } from '../src/core/clock.ts';
import type { ClusterSpec } from '../src/core/model.ts';
import { type ResyncWalk, resyncPage } from '../src/engine/resync.ts';
import { RESYNC_QUEUE } from '../src/engine/work.ts';
import { createClusters, getCluster, updateClusterStatuses } from '../src/store/clusters.ts';
import { openStore, type Store } from '../src/store/open.ts';
import { claim, completeBatch, enqueue } from '../src/store/queue.ts';
import { benchDatabaseUrl as databaseUrl, postgresReachable, reportFigure, scaled } from './report.ts';

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

async function benchClusterWrites(store: Store, scenario: string, n: number, writers: number): Promise<void> {
  const specs = Array.from({ length: n }, (_, i) => spec(i));
  const chunk = 5_000;
  const chunks: ClusterSpec[][] = [];
  for (let i = 0; i < specs.length; i += chunk) chunks.push(specs.slice(i, i + chunk));
  const start = performance.now();
  // One transaction per chunk, `writers` chunks at a time on separate connections (PGlite queues them).
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let next = chunks.shift(); next; next = chunks.shift())
        await createClusters(store.db, { actor: 'bench' }, next);
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  // Per cluster: the cluster row, one attached-profile row, two pool rows, one audit row.
  const rows = n * 5;
  reportFigure(
    scenario,
    {
      figure: 'cluster_writes',
      clusters: n,
      rows,
      seconds: round(seconds),
      clustersPerSecond: Math.round(n / seconds),
      rowsPerSecond: Math.round(rows / seconds),
    },
    `${scenario}: stored ${n} clusters (${rows} rows) in ${seconds.toFixed(2)} s with ${writers} writer(s) — ${Math.round(n / seconds)} clusters/s, ${Math.round(rows / seconds)} rows/s`,
  );
}

async function benchPointReads(
  store: Store,
  scenario: string,
  clusters: number,
  reads: number,
  concurrency: number,
): Promise<void> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < reads) {
        next += 1;
        const found = await getCluster(store.db, spec(Math.floor(Math.random() * clusters)).name);
        if (!found) throw new Error('bench: a stored cluster was not found');
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  reportFigure(
    scenario,
    {
      figure: 'point_reads',
      reads,
      concurrency,
      seconds: round(seconds),
      readsPerSecond: Math.round(reads / seconds),
    },
    `${scenario}: ${Math.round(reads / seconds)} point reads/s (getCluster by name, ${concurrency} concurrent)`,
  );
}

async function benchQueue(
  store: Store,
  scenario: string,
  steps: number,
  workers: number,
  batch: number,
): Promise<void> {
  const ids = new SequentialIds();
  const prefix = `w${workers}-`;
  const items = Array.from({ length: steps }, (_, i) => ({
    id: ids.next(prefix),
    kind: 'bench',
    target: `t${i}`,
    steps: [{ kind: 'noop' }],
  }));
  for (let i = 0; i < items.length; i += 10_000) await enqueue(store.db, items.slice(i, i + 10_000));
  let done = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (;;) {
        const claimed = await claim(store.db, { owner: `bench-${w}`, limit: batch, leaseMs: 60_000 });
        if (claimed.length === 0) return;
        const result = await completeBatch(store.db, claimed);
        done += result.completed.length;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  if (done !== steps) throw new Error(`bench: completed ${done} of ${steps} steps`);
  reportFigure(
    scenario,
    {
      figure: 'queue_claim_complete',
      steps,
      workers,
      batch,
      seconds: round(seconds),
      stepsPerSecond: Math.round(steps / seconds),
    },
    `${scenario}: ${Math.round(steps / seconds)} steps/s claimed+completed (${workers} worker(s), batches of ${batch})`,
  );
}

async function benchResyncWalker(store: Store, scenario: string, clusters: number): Promise<void> {
  for (let i = 0; i < clusters; i += 5_000) {
    const names = Array.from({ length: Math.min(5_000, clusters - i) }, (_, k) => spec(i + k).name);
    await updateClusterStatuses(
      store.db,
      names.map((name) => ({ name, patch: { phase: 'Running' as const } })),
    );
  }
  const runs: number[] = [];
  let walk: ResyncWalk | null = null;
  for (let run = 0; run < 10; run++) {
    const start = performance.now();
    const result = await resyncPage(store.db, walk, {
      resyncMs: 60_000,
      now: Date.now(),
      backlogWaitMs: 1000,
    });
    runs.push(performance.now() - start);
    if (result.waited) throw new Error('bench: the resync walker found a backlog');
    walk = result.next;
    // The workers' part, not timed: work off the page so the walker takes the next one.
    for (;;) {
      const claimed = await claim(store.db, {
        owner: 'bench',
        limit: 1000,
        leaseMs: 60_000,
        queues: [RESYNC_QUEUE],
      });
      if (claimed.length === 0) break;
      await completeBatch(store.db, claimed);
    }
  }
  runs.sort((a, b) => a - b);
  const median = runs[Math.floor(runs.length / 2)]!;
  reportFigure(
    scenario,
    {
      figure: 'resync_walker_page',
      clusters,
      runs: runs.length,
      medianMs: round(median),
      maxMs: round(runs.at(-1)!),
    },
    `${scenario}: one resync walker run (1,000 of ${clusters} Running clusters queued) median ${median.toFixed(1)} ms, max ${runs.at(-1)!.toFixed(1)} ms`,
  );
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

async function runScenario(
  scenario: string,
  store: Store,
  clusters: number,
  queueSteps: number,
): Promise<void> {
  await benchClusterWrites(store, scenario, clusters, Number(process.env.STRATA_BENCH_WRITERS ?? '2'));
  await benchPointReads(store, scenario, clusters, scaled(5000), 1);
  await benchPointReads(store, scenario, clusters, scaled(5000), 8);
  await benchQueue(store, scenario, queueSteps, 1, 100);
  await benchQueue(store, scenario, queueSteps, 4, 100);
  await benchResyncWalker(store, scenario, clusters);
}

const clusters = scaled(100_000);
const queueSteps = scaled(20_000);

if (await postgresReachable()) {
  const schema = `bench_${process.pid}`;
  const store = await openStore({ databaseUrl, schema, poolSize: 10 });
  try {
    await runScenario('store-postgres', store, clusters, queueSteps);
  } finally {
    await store.db.schema.dropSchema(schema).ifExists().cascade().execute();
    await store.close();
  }
} else {
  console.log(`  store-postgres: skipped — no PostgreSQL at ${databaseUrl}`);
}

const home = mkdtempSync(join(tmpdir(), 'strata-bench-'));
try {
  const store = await openStore({ home, databaseUrl: null });
  try {
    await runScenario('store-pglite', store, clusters, queueSteps);
  } finally {
    await store.close();
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}
