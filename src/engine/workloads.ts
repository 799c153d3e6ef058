/**
 * The workloads view: pods (phase, readiness, container IDs), deployments (flagging the unused ones from the
 * inventory) and services of a cluster, grouped by namespace, read through its Kubernetes API.
 */
import type { InventoryEntry, KubeObject } from '../core/model.ts';
import type { KubeClient } from '../kube/client.ts';
import type { WorkloadsView } from './contract.ts';

type Namespaced = WorkloadsView['namespaces'][number];

function field<T>(obj: unknown, ...path: string[]): T | undefined {
  let current = obj;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current as T | undefined;
}

/** Returns a cluster's pods, deployments and services by namespace (namespaces sorted, names sorted). */
export async function readWorkloads(
  client: KubeClient,
  inventory: readonly InventoryEntry[],
): Promise<WorkloadsView> {
  const [pods, deployments, services] = await Promise.all([
    client.list('v1', 'Pod'),
    client.list('apps/v1', 'Deployment'),
    client.list('v1', 'Service'),
  ]);
  const unused = new Set(
    inventory.filter((e) => e.unused && e.kind === 'Deployment').map((e) => `${e.namespace}/${e.name}`),
  );
  const namespaces = new Map<string, Namespaced>();
  const ns = (obj: KubeObject): Namespaced => {
    const name = obj.metadata.namespace ?? 'default';
    let entry = namespaces.get(name);
    if (!entry) {
      entry = { namespace: name, pods: [], deployments: [], services: [] };
      namespaces.set(name, entry);
    }
    return entry;
  };
  for (const pod of pods) {
    const statuses = field<Array<Record<string, unknown>>>(pod, 'status', 'containerStatuses') ?? [];
    const containers = field<Array<{ name: string; image: string }>>(pod, 'spec', 'containers') ?? [];
    ns(pod).pods.push({
      name: pod.metadata.name,
      phase: field<string>(pod, 'status', 'phase') ?? 'Unknown',
      ready: (field<Array<{ type: string; status: string }>>(pod, 'status', 'conditions') ?? []).some(
        (c) => c.type === 'Ready' && c.status === 'True',
      ),
      node: field<string>(pod, 'spec', 'nodeName') ?? null,
      containers: containers.map((c) => {
        const s = statuses.find((x) => x['name'] === c.name);
        return {
          name: c.name,
          image: c.image,
          containerID: (s?.['containerID'] as string | undefined) ?? null,
          restartCount: Number(s?.['restartCount'] ?? 0),
        };
      }),
    });
  }
  for (const d of deployments) {
    ns(d).deployments.push({
      name: d.metadata.name,
      replicas: Number(field(d, 'spec', 'replicas') ?? 0),
      readyReplicas: Number(field(d, 'status', 'readyReplicas') ?? 0),
      unused: unused.has(`${d.metadata.namespace}/${d.metadata.name}`),
    });
  }
  for (const s of services) {
    const ingress =
      field<Array<{ ip?: string; hostname?: string }>>(s, 'status', 'loadBalancer', 'ingress') ?? [];
    ns(s).services.push({
      name: s.metadata.name,
      type: field<string>(s, 'spec', 'type') ?? 'ClusterIP',
      clusterIP: field<string>(s, 'spec', 'clusterIP') ?? null,
      externalIP: ingress[0]?.ip ?? ingress[0]?.hostname ?? null,
      ports: (field<Array<{ port: number }>>(s, 'spec', 'ports') ?? []).map((p) => p.port),
    });
  }
  const byName = (a: { name: string }, b: { name: string }) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  return {
    namespaces: [...namespaces.values()]
      .sort((a, b) => (a.namespace < b.namespace ? -1 : 1))
      .map((n) => ({
        ...n,
        pods: n.pods.sort(byName),
        deployments: n.deployments.sort(byName),
        services: n.services.sort(byName),
      })),
  };
}
