/** Small hand-made domain objects for the store's tests (independent of the packs/ catalog). */
import type { ClusterSpec, Pack, ProfileLayer } from '../../src/core/model.ts';

/** Returns a minimal pack. */
export function pack(name: string, version: string, layer: Pack['layer'] = 'addon'): Pack {
  return {
    name,
    version,
    layer,
    displayName: name,
    description: `${name} for tests`,
    values: `# ${name} defaults\nreplicas: 1\n`,
    presets: [],
    nodeImpactPaths: [],
    manifests: [],
    kind: 'strata',
    source: 'user',
  };
}

/** Returns profile layers: an OS, a Kubernetes and an add-on layer. */
export function layers(replicas = 1): ProfileLayer[] {
  return [
    { pack: 'ubuntu', version: '22.4.0', values: 'os: ubuntu\n', presets: [] },
    { pack: 'kubernetes', version: '1.30.2', values: 'kubelet: {}\n', presets: [] },
    { pack: 'hello', version: '1.0.0', values: `replicas: ${replicas}\n`, presets: [] },
  ];
}

/** Returns a cluster spec attached to `profile@version#revision` with a control-plane and a worker pool. */
export function clusterSpec(name: string, profile = 'web', version = '1.0.0', revision = 1): ClusterSpec {
  return {
    name,
    cloudType: 'sim',
    profiles: [{ name: profile, version, revision }],
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
        count: 2,
        machine: { instanceType: 'sim.large', diskGiB: 80 },
        strategy: { type: 'expand-first' },
        pauseSeconds: 0,
      },
    ],
    settings: { repave: 'manual', prune: false, selfHeal: true },
    labels: {},
  };
}

/** Returns the error a promise rejects with (fails when it resolves). */
export async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string; details?: Record<string, unknown> };
  }
  throw new Error('expected the promise to reject, but it resolved');
}
