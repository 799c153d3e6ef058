import { getCluster, type StoredCluster } from '../src/store/clusters.ts';
import { openStore } from '../src/store/open.ts';
import { startBenchStrata } from './fleet.ts';
import { percentile, reportFigure, sampleRss, scaled } from './report.ts';

const ACTOR = { actor: 'bench' };
const FLEET = scaled(1000);
const LATENCY_SAMPLE = Math.min(FLEET, scaled(200));
const USERS = 10;

const converged = (c: StoredCluster | undefined) =>
  c !== undefined && c.status.phase === 'Running' && c.status.observedGeneration === c.generation;

async function main(): Promise<void> {
  const databaseUrl = process.env.STRATA_BENCH_DATABASE_URL;
  const schema = databaseUrl ? `bench_engine_${process.pid}` : undefined;
  const store = await openStore(databaseUrl ? { databaseUrl, schema } : { memory: true });
  const { catalog, running, stop } = await startBenchStrata(store, {
    fleet: FLEET,
    timings: { pollMs: 100, resyncMs: 3_600_000, retryBaseMs: 200 },
    schema,
  });
  const engine = running.engine;
  const driver = databaseUrl ? 'postgres' : 'pglite';
  const rss = sampleRss();
  let peakRss = 0;
  try {
    const names = Array.from({ length: FLEET }, (_, i) => `bench-${String(i).padStart(6, '0')}`);

    // 1. Provision the fleet.
    let t0 = performance.now();
    for (const name of names) {
      await engine.createCluster(ACTOR, { name, profiles: ['hello-universe-aws@1.0.0'], workers: 1 });
    }
    const requestedMs = performance.now() - t0;
    await waitAll(store, names, (c) => converged(c));
    const provisionMs = performance.now() - t0;
    peakRss = rss.peak();
    reportFigure(
      'engine.provision',
      {
        driver,
        clusters: FLEET,
        requestMs: Math.round(requestedMs),
        totalMs: Math.round(provisionMs),
        clustersPerSecond: Math.round((FLEET / provisionMs) * 1000),
        peakRssMiB: peakRss,
      },
      `${driver}: ${FLEET} clusters provisioned to Running in ${(provisionMs / 1000).toFixed(1)} s (${Math.round((FLEET / provisionMs) * 1000)}/s), peak RSS ${peakRss} MiB`,
    );

    // 2. Update latency, one cluster at a time per user.
    const latencies: number[] = [];
    const queue = names.slice(0, LATENCY_SAMPLE);
    // An override carries the layer's whole values, as the console's editor does: the defaults, two UI pods.
    const twoReplicas = catalog.get('hello-universe', '1.2.0')!.values.replace('replicas: 1', 'replicas: 2');
    const user = async () => {
      for (let name = queue.shift(); name; name = queue.shift()) {
        const start = performance.now();
        await engine.applyChange(ACTOR, name, {
          kind: 'override',
          pack: 'hello-universe',
          values: twoReplicas,
        });
        for (;;) {
          const c = await getCluster(store.db, name);
          if (converged(c) && c?.status.appliedOverrides?.['hello-universe']) break;
          await new Promise((r) => setTimeout(r, 5));
        }
        latencies.push(performance.now() - start);
      }
    };
    t0 = performance.now();
    await Promise.all(Array.from({ length: USERS }, user));
    latencies.sort((a, b) => a - b);
    reportFigure(
      'engine.update-latency',
      {
        driver,
        clusters: LATENCY_SAMPLE,
        users: USERS,
        p50Ms: Math.round(percentile(latencies, 50)),
        p99Ms: Math.round(percentile(latencies, 99)),
        totalMs: Math.round(performance.now() - t0),
      },
      `${driver}: update requested → applied, ${LATENCY_SAMPLE} clusters by ${USERS} users: p50 ${Math.round(percentile(latencies, 50))} ms, p99 ${Math.round(percentile(latencies, 99))} ms`,
    );

    // 3. An add-on change across the whole fleet at once.
    t0 = performance.now();
    for (const name of names) {
      await engine.applyChange(ACTOR, name, { kind: 'profiles', profiles: ['hello-universe-aws@1.1.0'] });
    }
    const fleetRequestMs = performance.now() - t0;
    await waitAll(store, names, (c) => converged(c) && c?.status.appliedProfiles[0]?.version === '1.1.0');
    const fleetMs = performance.now() - t0;
    peakRss = rss.peak();
    reportFigure(
      'engine.fleet-addon-change',
      {
        driver,
        clusters: FLEET,
        requestMs: Math.round(fleetRequestMs),
        totalMs: Math.round(fleetMs),
        clustersPerSecond: Math.round((FLEET / fleetMs) * 1000),
        peakRssMiB: peakRss,
      },
      `${driver}: hello-universe API preset on, ${FLEET} clusters in ${(fleetMs / 1000).toFixed(1)} s (${Math.round((FLEET / fleetMs) * 1000)}/s; requests took ${Math.round(fleetRequestMs)} ms), peak RSS ${peakRss} MiB`,
    );
  } finally {
    rss.stop();
    await stop();
  }
}

/** Waits until every named cluster passes `check`, reading them in pages (the bench's own polling). */
async function waitAll(
  store: Awaited<ReturnType<typeof openStore>>,
  names: readonly string[],
  check: (c: StoredCluster | undefined) => boolean,
): Promise<void> {
  let left = [...names];
  const deadline = Date.now() + Number(process.env.STRATA_BENCH_WAIT_MS ?? 30 * 60_000);
  while (left.length > 0) {
    const next: string[] = [];
    for (const name of left) if (!check(await getCluster(store.db, name))) next.push(name);
    left = next;
    if (left.length === 0) return;
    process.stderr.write(`  … ${names.length - left.length}/${names.length}\r`);
    if (Date.now() > deadline) {
      const c = await getCluster(store.db, left[0]!);
      throw new Error(
        `${left.length} clusters did not get there, e.g. ${left[0]}: ${c?.status.phase} ${JSON.stringify(c?.status.conditions)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

await main();
