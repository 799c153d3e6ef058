/**
 * Core planning figures: the time to plan one cluster update (p50/p99 over 10,000 distinct plans), and
 * planning one profile change for a fleet of 100,000 clusters where 1% carry their own overrides — with
 * identical inputs planned once.
 */
import { performance } from 'node:perf_hooks';
import YAML from 'yaml';
import { loadBuiltinCatalog } from '../src/catalog/load.ts';
import { inventoryOf } from '../src/core/desired.ts';
import type { ClusterSpec, ProfileVersion } from '../src/core/model.ts';
import { validateProfileVersion } from '../src/core/profile.ts';
import { resolveStack } from '../src/core/stack.ts';
import type { ClusterForUpdate } from '../src/core/workflows.ts';
import { ProposalCache, proposeClusterUpdate } from '../src/engine/proposals.ts';
import { demoProfileDocument } from '../src/main/demo.ts';
import { Renderer } from '../src/render/renderer.ts';
import { percentile, reportFigure, rssMiB, scaled } from './report.ts';

const catalog = await loadBuiltinCatalog();
const renderer = new Renderer();

/** The walkthrough's profile (hello-universe-aws) at a version, with or without the API preset. */
function profile(version: string, api: boolean): ProfileVersion {
  return validateProfileVersion(demoProfileDocument(version, api), catalog);
}

const v100 = profile('1.0.0', false);
const v110 = profile('1.1.0', true);
const huValues = v100.layers[4]!.values;
const baseInventory = inventoryOf(await renderer.stack(resolveStack([v100], {}, catalog), catalog));

function withReplicas(n: number): string {
  const doc = YAML.parseDocument(huValues);
  doc.setIn(['helloUniverse', 'ui', 'replicas'], n);
  return doc.toString();
}

function cluster(name: string, overrideReplicas: number | null): ClusterForUpdate {
  const spec: ClusterSpec = {
    name,
    cloudType: 'sim',
    profiles: [{ name: v100.name, version: v100.version, revision: 1 }],
    overrides:
      overrideReplicas === null
        ? {}
        : { 'hello-universe': { pack: 'hello-universe', values: withReplicas(overrideReplicas) } },
    pools: [
      {
        name: 'control-plane',
        role: 'control-plane',
        count: 1,
        machine: { instanceType: 'sim.large', diskGiB: 60 },
        strategy: { type: 'expand-first' },
        pauseSeconds: 0,
      },
      {
        name: 'workers',
        role: 'worker',
        count: 2,
        machine: { instanceType: 'sim.large', diskGiB: 60 },
        strategy: { type: 'expand-first' },
        pauseSeconds: 0,
      },
    ],
    settings: { repave: 'manual', prune: false, selfHeal: true },
    labels: {},
  };
  return { spec, phase: 'Running', inventory: baseInventory };
}

// 1. One plan at a time, every input distinct (an override per cluster), so nothing is served from a cache.
{
  const n = scaled(10_000);
  const clusters = Array.from({ length: n }, (_, i) => cluster(`c${i}`, 2 + i));
  for (let i = 0; i < 200; i += 1)
    await proposeClusterUpdate(
      clusters[i % n]!,
      [v100],
      { kind: 'profiles', target: [v110] },
      catalog,
      renderer,
      {},
    );
  const times: number[] = [];
  for (const c of clusters) {
    const t0 = performance.now();
    const { plan } = await proposeClusterUpdate(
      c,
      [v100],
      { kind: 'profiles', target: [v110] },
      catalog,
      renderer,
      {},
    );
    times.push(performance.now() - t0);
    if (!plan.applicable) throw new Error('bench plan is not applicable');
  }
  times.sort((a, b) => a - b);
  const p50 = percentile(times, 50);
  const p99 = percentile(times, 99);
  reportFigure(
    'core.plan-one-cluster',
    { plans: n, p50_ms: +p50.toFixed(3), p99_ms: +p99.toFixed(3), goal_p99_ms: 5 },
    `plan one cluster update as a rollout plans it (3-way merge of an override, render in the sandbox, diff, rules): p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms over ${n} distinct plans (goal p99 < 5 ms)`,
  );
}

// 2. A fleet: 100,000 clusters, 1% with their own override; plans for identical inputs computed once.
{
  const n = scaled(100_000);
  const fleet = Array.from({ length: n }, (_, i) => cluster(`fleet-${i}`, i % 100 === 0 ? 3 + i : null));
  const cache = new ProposalCache(renderer);
  const t0 = performance.now();
  let repaves = 0;
  let blocked = 0;
  for (const c of fleet) {
    const { plan } = await cache.propose(c, [v100], { kind: 'profiles', target: [v110] }, catalog);
    if (plan.repave.required) repaves += 1;
    if (!plan.applicable) blocked += 1;
  }
  const seconds = (performance.now() - t0) / 1000;
  reportFigure(
    'core.plan-fleet',
    {
      clusters: n,
      seconds: +seconds.toFixed(2),
      distinct_plans: cache.misses,
      cache_hits: cache.hits,
      repaves,
      blocked,
      rss_mib: rssMiB(),
      goal_seconds: 10,
    },
    `plan a profile change for ${n} clusters (1% overridden): ${seconds.toFixed(2)} s, ${cache.misses} distinct plans, ${Math.round(n / seconds)} clusters/s (goal < 10 s)`,
  );
}
await renderer.close();
