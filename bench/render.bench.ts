/**
 * Render figures: the time to render one layer of each kind (a Strata template pack in the sandbox, upstream
 * charts with `helm template`, a kustomize base with `kubectl kustomize`), cold and from the cache; and how many
 * renders a 1,000-cluster rollout of a chart upgrade takes when 1% of the clusters carry their own override
 * (every plan computed, as a rollout computes them, through the proposal cache and the render cache).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadBuiltinCatalog } from '../src/catalog/load.ts';
import { inventoryOf } from '../src/core/desired.ts';
import type { ClusterSpec, Pack, ProfileVersion, ResolvedLayer } from '../src/core/model.ts';
import { chartPack, overlayPack } from '../src/core/pack-kinds.ts';
import { resolveStack } from '../src/core/stack.ts';
import type { ClusterForUpdate } from '../src/core/workflows.ts';
import { ProposalCache } from '../src/engine/proposals.ts';
import { packKustomization, readChartArchive } from '../src/render/chart.ts';
import { Renderer } from '../src/render/renderer.ts';
import { contentDigest } from '../src/store/pack-contents.ts';
import { percentile, reportFigure, scaled } from './report.ts';

const fixtures = new URL('../test/fixtures/', import.meta.url).pathname;
const blobs = new Map<string, Buffer>();
const renderer = new Renderer({ content: { get: async (digest) => blobs.get(digest) } });
const catalog = await loadBuiltinCatalog();

async function chart(file: string): Promise<Pack> {
  const data = readFileSync(join(fixtures, 'charts', file));
  const digest = contentDigest(data);
  blobs.set(digest, data);
  const pack = chartPack(
    await readChartArchive(data),
    { digest, media: 'helm-chart', size: data.length },
    { type: 'upload' },
  );
  catalog.add(pack);
  return pack;
}

const podinfo1 = await chart('podinfo-6.11.2.tgz');
const podinfo2 = await chart('podinfo-6.14.1.tgz');
const ingress = await chart('ingress-nginx-4.15.1.tgz');
const kustomizeFiles = new Map(
  readdirSync(join(fixtures, 'kustomize', 'podinfo')).map((f) => [
    f,
    readFileSync(join(fixtures, 'kustomize', 'podinfo', f)),
  ]),
);
const kustomizeArchive = await packKustomization(kustomizeFiles);
blobs.set(contentDigest(kustomizeArchive), kustomizeArchive);
const kustomize = overlayPack(
  'kustomize',
  { digest: contentDigest(kustomizeArchive), media: 'kustomize', size: kustomizeArchive.length },
  { type: 'upload' },
  { name: 'podinfo-k', version: '1.0.0' },
);

function layerOf(pack: Pack, values = pack.values): ResolvedLayer {
  return { profile: 'bench', pack: pack.name, version: pack.version, layer: pack.layer, values, presets: [] };
}

// 1. One layer of each kind: the first render (cold) and renders of distinct values (the cost a cache miss pays).
const hello = catalog.require('hello-universe', '1.2.0');
for (const [label, pack] of [
  ['strata hello-universe 1.2.0', hello],
  ['helm podinfo 6.14.1', podinfo2],
  ['helm ingress-nginx 4.15.1', ingress],
  ['kustomize podinfo base', kustomize],
] as const) {
  const caps = { kubeVersion: '1.30.10' };
  const t0 = performance.now();
  const objects = await renderer.layer(layerOf(pack), pack, caps);
  const cold = performance.now() - t0;
  const times: number[] = [];
  const n = scaled(20);
  for (let i = 0; i < n; i += 1) {
    const values =
      pack.kind === 'strata'
        ? pack.values.replace(/replicas: 1/, `replicas: ${i + 2}`)
        : pack.kind === 'kustomize'
          ? `replicas: [{name: podinfo, count: ${i + 2}}]\n`
          : `${pack.values}\nbenchDistinct${i}: ${i}\n`;
    const s = performance.now();
    await renderer.layer(layerOf(pack, values), pack, caps);
    times.push(performance.now() - s);
  }
  const h = performance.now();
  await renderer.layer(layerOf(pack), pack, caps);
  const hit = performance.now() - h;
  times.sort((a, b) => a - b);
  reportFigure(
    `render.${pack.kind}.${pack.name}`,
    {
      objects: objects.length,
      cold_ms: +cold.toFixed(1),
      p50_ms: +percentile(times, 50).toFixed(1),
      p99_ms: +percentile(times, 99).toFixed(1),
      cached_ms: +hit.toFixed(3),
    },
    `render ${label} (${objects.length} objects): first ${cold.toFixed(0)} ms, distinct values p50 ${percentile(times, 50).toFixed(0)} ms / p99 ${percentile(times, 99).toFixed(0)} ms over ${n}, cached ${hit.toFixed(3)} ms`,
  );
}

// 2. A rollout of podinfo 6.11.2 → 6.14.1 to 1,000 clusters, 1% with their own replicaCount.
{
  const infra = catalog.list().filter((p) => ['ubuntu', 'kubernetes', 'calico'].includes(p.name));
  const base = (version: string, pack: Pack): ProfileVersion => ({
    name: 'bench-fleet',
    version,
    revision: 1,
    type: 'full',
    cloudType: 'sim',
    description: '',
    layers: [
      ...['ubuntu@22.4.5', 'kubernetes@1.30.10', 'calico@3.28.2'].map((ref) => {
        const [name, v] = ref.split('@') as [string, string];
        const p = infra.find((x) => x.name === name && x.version === v) ?? catalog.require(name, v);
        return { pack: p.name, version: p.version, values: p.values, presets: [] };
      }),
      { pack: pack.name, version: pack.version, values: pack.values, presets: [] },
    ],
  });
  const from = base('1.0.0', podinfo1);
  const to = base('1.1.0', podinfo2);
  const inventory = inventoryOf(await renderer.stack(resolveStack([from], {}, catalog), catalog));
  const n = scaled(1000);
  const clusters: ClusterForUpdate[] = Array.from({ length: n }, (_, i) => {
    const overrides: ClusterSpec['overrides'] =
      i % 100 === 0
        ? {
            podinfo: {
              pack: 'podinfo',
              values: podinfo1.values.replace('replicaCount: 1', `replicaCount: ${3 + i}`),
            },
          }
        : {};
    return {
      spec: {
        name: `c${i}`,
        cloudType: 'sim',
        profiles: [{ name: from.name, version: from.version, revision: 1 }],
        overrides,
        pools: [],
        settings: { repave: 'manual', prune: false, selfHeal: true },
        labels: {},
      },
      phase: 'Running',
      inventory,
    };
  });
  const before = { ...renderer.stats };
  const proposals = new ProposalCache(renderer);
  const t0 = performance.now();
  for (const c of clusters) await proposals.propose(c, [from], { kind: 'profiles', target: [to] }, catalog);
  const seconds = (performance.now() - t0) / 1000;
  const renders = renderer.stats.renders - before.renders;
  reportFigure(
    'render.rollout-1000',
    { clusters: n, renders, distinct_plans: proposals.misses, seconds: +seconds.toFixed(2) },
    `plan a chart upgrade (podinfo 6.11.2 → 6.14.1) for ${n} clusters, 1% overridden: ${renders} renders, ${proposals.misses} distinct plans, ${seconds.toFixed(2)} s`,
  );
}

await renderer.close();
