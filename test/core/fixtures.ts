/** Shared fixtures for core tests: the built-in catalog and small builders for profiles and clusters. */
import { loadBuiltinCatalog } from '../../src/catalog/load.ts';
import type { ClusterSpec, NodePoolSpec, ProfileVersion } from '../../src/core/model.ts';
import { type ProfileDocument, validateProfileVersion } from '../../src/core/profile.ts';

/** The built-in catalog, loaded once per test file. */
export const catalog = await loadBuiltinCatalog();

type LayerInput = ProfileDocument['layers'][number];

/** Returns a validated full profile version; `overrides` replace layers by pack name or add new ones. */
export function fullProfile(
  version: string,
  changes: {
    layers?: Record<string, Partial<LayerInput> | null>;
    name?: string;
    cloudType?: ProfileDocument['cloudType'];
  } = {},
): ProfileVersion {
  const base: LayerInput[] = [
    { pack: 'ubuntu', version: '22.4.5' },
    { pack: 'kubernetes', version: '1.30.10' },
    { pack: 'calico', version: '3.28.2' },
    { pack: 'csi-hostpath', version: '1.14.1' },
    { pack: 'hello-universe', version: '1.2.0' },
  ];
  const layers: LayerInput[] = [];
  for (const layer of base) {
    const change = changes.layers?.[layer.pack];
    if (change === null) continue;
    layers.push({ ...layer, ...(change ?? {}) } as LayerInput);
  }
  for (const [pack, change] of Object.entries(changes.layers ?? {})) {
    if (change && !base.some((l) => l.pack === pack))
      layers.push({ pack, version: '', ...change } as LayerInput);
  }
  return validateProfileVersion(
    {
      name: changes.name ?? 'hello-universe-aws',
      version,
      type: 'full',
      cloudType: changes.cloudType ?? 'sim',
      layers,
    },
    catalog,
  );
}

/** The seed's walkthrough profiles: 1.0.0 with the API preset off, 1.1.0 with it on. */
export function seedProfiles(): { v100: ProfileVersion; v110: ProfileVersion } {
  return {
    v100: fullProfile('1.0.0'),
    v110: fullProfile('1.1.0', { layers: { 'hello-universe': { presets: ['enable-api'] } } }),
  };
}

/** Default pools: one control-plane node and two workers, expand-first. */
export function defaultPools(): NodePoolSpec[] {
  return [
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
  ];
}

/** Returns a cluster spec attached to `profiles`. */
export function clusterSpec(
  name: string,
  profiles: ProfileVersion[],
  cloudType: ClusterSpec['cloudType'] = 'sim',
): ClusterSpec {
  return {
    name,
    cloudType,
    profiles: profiles.map((p) => ({ name: p.name, version: p.version, revision: p.revision })),
    overrides: {},
    pools: defaultPools(),
    settings: { repave: 'manual', prune: false, selfHeal: true },
    labels: {},
  };
}
