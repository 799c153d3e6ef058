/**
 * The resource metrics API (`metrics.k8s.io/v1beta1`, what metrics-server serves and `kubectl top` reads):
 * NodeMetrics and PodMetrics computed on request from deterministic seeds, never sampled or stored.
 *
 * A container uses a small idle amount (derived from its pod's uid) plus its share of its workload's demand:
 * a Deployment, StatefulSet or DaemonSet offers a fixed CPU demand (derived from its name, or set with the
 * `sim.strata.dev/cpu-demand` annotation, e.g. `400m`) spread over its running pods, so more replicas use less
 * each and a node's usage follows the pods it runs. Usage wobbles by a few percent per minute.
 */
import { createHash } from 'node:crypto';
import { StrataError } from '../core/errors.ts';
import type { KubeObject } from './kube-object.ts';
import { isJsonObject, kubeTime } from './kube-object.ts';
import type { ObjectMatcher } from './selectors.ts';
import type { SimCluster } from './sim-cluster.ts';

/** The annotation that sets a workload's total CPU demand (a Kubernetes quantity). */
export const CPU_DEMAND_ANNOTATION = 'sim.strata.dev/cpu-demand';

const METRICS_API = 'metrics.k8s.io/v1beta1';
const POD_WINDOW = '15.004s';
const NODE_WINDOW = '20.031s';

function seedNumber(seed: string): number {
  return createHash('sha256').update(seed).digest().readUInt32BE(0);
}

/** Parses a Kubernetes quantity (`250m`, `1.5`, `128Mi`, `1G`) to its base unit; NaN if unreadable. */
export function parseQuantity(text: unknown): number {
  const m = /^([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)([a-zA-Z]*)$/.exec(String(text ?? '').trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  const factors: Record<string, number> = {
    '': 1,
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
  };
  const f = factors[m[2] ?? ''];
  return f === undefined ? Number.NaN : n * f;
}

/** Usage of one container: CPU in cores, memory in bytes. */
export interface Usage {
  cpu: number;
  memory: number;
}

function wobble(seed: string, now: number): number {
  const minute = Math.floor(now / 60_000);
  return 0.95 + (seedNumber(`${seed}@${minute}`) % 1000) / 10_000;
}

function isRunning(pod: KubeObject): boolean {
  return (
    isJsonObject(pod['status']) && pod['status']['phase'] === 'Running' && !pod.metadata.deletionTimestamp
  );
}

function containersOf(pod: KubeObject): Record<string, unknown>[] {
  const spec = isJsonObject(pod['spec']) ? pod['spec'] : {};
  return Array.isArray(spec['containers']) ? spec['containers'].filter(isJsonObject) : [];
}

/** Returns the workload a pod belongs to (`Deployment/ns/name`, following a ReplicaSet to its Deployment). */
export function workloadOf(cluster: SimCluster, pod: KubeObject): { key: string; object?: KubeObject } {
  const ref = pod.metadata.ownerReferences?.find((r) => r.controller);
  const ns = pod.metadata.namespace ?? '';
  if (!ref) return { key: `Pod/${ns}/${pod.metadata.name}` };
  if (ref.kind === 'ReplicaSet') {
    const rs = cluster.store.get('apps/replicasets', ns, ref.name);
    const deploy = rs?.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'Deployment');
    if (deploy) {
      const object = cluster.store.get('apps/deployments', ns, deploy.name);
      return { key: `Deployment/${ns}/${deploy.name}`, ...(object ? { object } : {}) };
    }
    return { key: `ReplicaSet/${ns}/${ref.name}`, ...(rs ? { object: rs } : {}) };
  }
  const plural = ref.kind === 'StatefulSet' ? 'statefulsets' : ref.kind === 'DaemonSet' ? 'daemonsets' : '';
  const object = plural ? cluster.store.get(`apps/${plural}`, ns, ref.name) : undefined;
  return { key: `${ref.kind}/${ns}/${ref.name}`, ...(object ? { object } : {}) };
}

/** Returns a workload's total CPU demand in cores. */
function demandOf(key: string, object: KubeObject | undefined): number {
  const set = parseQuantity(object?.metadata.annotations?.[CPU_DEMAND_ANNOTATION]);
  if (Number.isFinite(set) && set >= 0) return set;
  return (10 + (seedNumber(key) % 41)) / 1000;
}

/** Computes every running pod's container usage in one pass (workload demand split over its running pods). */
export function podUsages(cluster: SimCluster, namespace?: string): Map<KubeObject, Map<string, Usage>> {
  const now = cluster.now();
  const pods = cluster.store.list('/pods', namespace).filter(isRunning);
  const workloads = new Map<string, { demand: number; pods: number }>();
  const workloadKeys = new Map<KubeObject, string>();
  for (const pod of pods) {
    const w = workloadOf(cluster, pod);
    workloadKeys.set(pod, w.key);
    const entry = workloads.get(w.key) ?? { demand: demandOf(w.key, w.object), pods: 0 };
    entry.pods += 1;
    workloads.set(w.key, entry);
  }
  const out = new Map<KubeObject, Map<string, Usage>>();
  for (const pod of pods) {
    const w = workloads.get(workloadKeys.get(pod) ?? '')!;
    const containers = containersOf(pod);
    const usage = new Map<string, Usage>();
    for (const [i, c] of containers.entries()) {
      const name = String(c['name'] ?? '');
      const seed = `${pod.metadata.uid}/${name}`;
      const idle = (1 + (seedNumber(seed) % 4)) / 1000;
      const share = i === 0 ? w.demand / w.pods : 0;
      const memory = (16 + (seedNumber(`${seed}:mem`) % 112)) * 1024 * 1024;
      usage.set(name, {
        cpu: (idle + share) * wobble(seed, now),
        memory: Math.round(memory * (0.98 + (wobble(seed, now) - 0.95) * 0.4)),
      });
    }
    out.set(pod, usage);
  }
  return out;
}

function cpuText(cores: number): string {
  return `${Math.round(cores * 1e9)}n`;
}

function memoryText(bytes: number): string {
  return `${Math.round(bytes / 1024)}Ki`;
}

function podMetricsOf(cluster: SimCluster, pod: KubeObject, usage: Map<string, Usage>): KubeObject {
  const now = cluster.now();
  return {
    kind: 'PodMetrics',
    apiVersion: METRICS_API,
    metadata: {
      name: pod.metadata.name,
      namespace: pod.metadata.namespace,
      creationTimestamp: kubeTime(now),
      ...(pod.metadata.labels ? { labels: pod.metadata.labels } : {}),
    },
    timestamp: kubeTime(now - 7000),
    window: POD_WINDOW,
    containers: [...usage].map(([name, u]) => ({
      name,
      usage: { cpu: cpuText(u.cpu), memory: memoryText(u.memory) },
    })),
  };
}

/** Returns the PodMetricsList of a namespace (or every namespace). */
export function podMetricsList(
  cluster: SimCluster,
  namespace: string | undefined,
  labelSelector: ObjectMatcher,
): Record<string, unknown> {
  const items = [...podUsages(cluster, namespace)]
    .filter(([pod]) => labelSelector(pod))
    .map(([pod, usage]) => podMetricsOf(cluster, pod, usage));
  return { kind: 'PodMetricsList', apiVersion: METRICS_API, metadata: {}, items };
}

/** Returns one pod's PodMetrics; NotFound when the pod is not running, as metrics-server answers. */
export function podMetrics(cluster: SimCluster, namespace: string, name: string): KubeObject {
  for (const [pod, usage] of podUsages(cluster, namespace)) {
    if (pod.metadata.name === name) return podMetricsOf(cluster, pod, usage);
  }
  throw new StrataError('NotFound', `podmetrics.metrics.k8s.io "${namespace}/${name}" not found`, {
    subject: { group: 'metrics.k8s.io', kind: 'pods', name },
  });
}

function nodeReady(node: KubeObject): boolean {
  const status = isJsonObject(node['status']) ? node['status'] : {};
  const conditions = Array.isArray(status['conditions']) ? status['conditions'] : [];
  return conditions.some((c) => isJsonObject(c) && c['type'] === 'Ready' && c['status'] === 'True');
}

function nodeMetricsItems(cluster: SimCluster): KubeObject[] {
  const now = cluster.now();
  const byNode = new Map<string, Usage>();
  for (const [pod, usage] of podUsages(cluster)) {
    const node = String((isJsonObject(pod['spec']) ? pod['spec']['nodeName'] : '') ?? '');
    const total = byNode.get(node) ?? { cpu: 0, memory: 0 };
    for (const u of usage.values()) {
      total.cpu += u.cpu;
      total.memory += u.memory;
    }
    byNode.set(node, total);
  }
  return cluster.store
    .list('/nodes')
    .filter(nodeReady)
    .map((node) => {
      const name = node.metadata.name;
      const pods = byNode.get(name) ?? { cpu: 0, memory: 0 };
      // The node's own share: kubelet, container runtime and system daemons.
      const systemCpu = (60 + (seedNumber(`${name}:cpu`) % 90)) / 1000;
      const systemMemory = (700 + (seedNumber(`${name}:mem`) % 500)) * 1024 * 1024;
      const w = wobble(name, now);
      return {
        kind: 'NodeMetrics',
        apiVersion: METRICS_API,
        metadata: {
          name,
          creationTimestamp: kubeTime(now),
          ...(node.metadata.labels ? { labels: node.metadata.labels } : {}),
        },
        timestamp: kubeTime(now - 9000),
        window: NODE_WINDOW,
        usage: {
          cpu: cpuText(systemCpu * w + pods.cpu),
          memory: memoryText(systemMemory * (0.99 + (w - 0.95) * 0.2) + pods.memory),
        },
      };
    });
}

/** Returns the NodeMetricsList of the cluster's Ready nodes. */
export function nodeMetricsList(cluster: SimCluster, labelSelector: ObjectMatcher): Record<string, unknown> {
  return {
    kind: 'NodeMetricsList',
    apiVersion: METRICS_API,
    metadata: {},
    items: nodeMetricsItems(cluster).filter(labelSelector),
  };
}

/** Returns one node's NodeMetrics (NotFound for an unknown or NotReady node). */
export function nodeMetrics(cluster: SimCluster, name: string): KubeObject {
  const found = nodeMetricsItems(cluster).find((n) => n.metadata.name === name);
  if (!found) {
    throw new StrataError('NotFound', `nodemetrics.metrics.k8s.io "${name}" not found`, {
      subject: { group: 'metrics.k8s.io', kind: 'nodes', name },
    });
  }
  return found;
}
