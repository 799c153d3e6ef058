/**
 * Events, as the simulated scheduler, kubelets and controllers report them. One store, two views, as in
 * Kubernetes: events are stored once as core `v1` Events and `events.k8s.io/v1` reads and watches convert
 * them. A repeated event (same object, type, reason, message and reporter) is counted on the stored one
 * (`count`, `lastTimestamp`, and `series` in the events.k8s.io view) instead of stored again. Each cluster
 * keeps at most `EVENT_LIMIT` events and none older than `EVENT_TTL_MS` (Kubernetes' default `--event-ttl`),
 * pruned when events are written or read; events live in memory only (never persisted), so a fleet's store
 * does not grow with them and an evicted or restarted cluster starts with none.
 */
import { randomUUID } from 'node:crypto';
import type { JsonObject, KubeObject } from './kube-object.ts';
import { isJsonObject, kubeTime } from './kube-object.ts';
import type { SimCluster } from './sim-cluster.ts';

/** The resource key of core Events (both views read it). */
export const EVENT_RESOURCE = '/events';
/**
 * Most events one cluster keeps; the oldest go first. An event takes about 1.2 KB of memory, so a loaded
 * cluster holds at most ~120 KB of them (a small cluster's few pods make ~25 KB).
 */
export const EVENT_LIMIT = 100;
/** How long an event is kept after it was last seen (Kubernetes' default event TTL, one hour). */
export const EVENT_TTL_MS = 60 * 60 * 1000;

/** What a reporter says about an object. */
export interface EventReport {
  /** The object the event is about. */
  regarding: KubeObject;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** The reporting component (`default-scheduler`, `kubelet`, `replicaset-controller`, …). */
  component: string;
  /** The node of a kubelet's event. */
  host?: string;
  /** The part of the object (`spec.containers{web}`). */
  fieldPath?: string;
  /** What was done (events.k8s.io `action`); defaults to the reason. */
  action?: string;
}

let sequence = 0;

/** Returns an event name like Kubernetes': `<object>.<hex nanoseconds>`, unique within the process. */
function eventName(objectName: string, now: number): string {
  sequence = (sequence + 1) % 1_000_000;
  const nanos = BigInt(now) * 1_000_000n + BigInt(sequence);
  return `${objectName}.${nanos.toString(16)}`;
}

function microTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}.${String((ms % 1000) * 1000).padStart(6, '0')}Z`;
}

function sameReport(e: KubeObject, r: EventReport): boolean {
  const inv = isJsonObject(e['involvedObject']) ? e['involvedObject'] : {};
  const src = isJsonObject(e['source']) ? e['source'] : {};
  return (
    inv['uid'] === r.regarding.metadata.uid &&
    (inv['fieldPath'] ?? undefined) === r.fieldPath &&
    e['reason'] === r.reason &&
    e['message'] === r.message &&
    e['type'] === r.type &&
    src['component'] === r.component
  );
}

/** Records an event on a cluster, counting a repeat on the stored event. */
export function recordEvent(cluster: SimCluster, report: EventReport): void {
  const now = cluster.now();
  const regarding = report.regarding;
  const namespace = regarding.metadata.namespace ?? 'default';
  // As on a real API server, nothing is created in a missing or terminating namespace.
  if (!cluster.namespaceActive(namespace)) return;
  const time = kubeTime(now);
  const existing = cluster.store.list(EVENT_RESOURCE, namespace).find((e) => sameReport(e, report));
  if (existing) {
    const count = Number(existing['count'] ?? 1) + 1;
    cluster.store.put(EVENT_RESOURCE, {
      ...existing,
      metadata: { ...existing.metadata },
      count,
      lastTimestamp: time,
      series: { count, lastObservedTime: microTime(now) },
    });
    return;
  }
  const event: KubeObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: eventName(regarding.metadata.name, now),
      namespace,
      creationTimestamp: time,
      uid: randomUUID(),
    },
    involvedObject: {
      kind: regarding.kind,
      ...(regarding.metadata.namespace ? { namespace: regarding.metadata.namespace } : {}),
      name: regarding.metadata.name,
      uid: regarding.metadata.uid,
      apiVersion: regarding.apiVersion,
      resourceVersion: regarding.metadata.resourceVersion,
      ...(report.fieldPath ? { fieldPath: report.fieldPath } : {}),
    },
    reason: report.reason,
    message: report.message,
    source: { component: report.component, ...(report.host ? { host: report.host } : {}) },
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
    type: report.type,
    eventTime: null,
    action: report.action ?? report.reason,
    reportingComponent: report.component,
    reportingInstance: report.host ?? `${report.component}-${cluster.name}`,
  };
  cluster.store.put(EVENT_RESOURCE, event);
  pruneEvents(cluster);
}

function lastSeen(e: KubeObject): number {
  const t = e['lastTimestamp'] ?? e['eventTime'] ?? e.metadata.creationTimestamp;
  const ms = typeof t === 'string' ? Date.parse(t) : Number.NaN;
  return Number.isFinite(ms) ? ms : 0;
}

/** Removes events past their TTL and the oldest beyond `EVENT_LIMIT`; returns how many went. */
export function pruneEvents(cluster: SimCluster): number {
  const events = cluster.store.list(EVENT_RESOURCE);
  const cutoff = cluster.now() - EVENT_TTL_MS;
  const expired = events.filter((e) => lastSeen(e) < cutoff);
  const kept = events.filter((e) => lastSeen(e) >= cutoff);
  const surplus =
    kept.length > EVENT_LIMIT
      ? [...kept].sort((a, b) => lastSeen(a) - lastSeen(b)).slice(0, kept.length - EVENT_LIMIT)
      : [];
  for (const e of [...expired, ...surplus])
    cluster.store.remove(EVENT_RESOURCE, e.metadata.namespace, e.metadata.name);
  return expired.length + surplus.length;
}

/** Returns a stored core Event as an `events.k8s.io/v1` Event (Kubernetes' conversion between the two). */
export function toEventsV1(e: KubeObject): KubeObject {
  const { involvedObject, message, source, firstTimestamp, lastTimestamp, count, related, ...rest } = e;
  const src = isJsonObject(source) ? source : {};
  const n = Number(count ?? 1);
  const out: KubeObject = {
    ...rest,
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: e.metadata,
    eventTime:
      e['eventTime'] ?? (typeof firstTimestamp === 'string' ? firstTimestamp.replace('Z', '.000000Z') : null),
    reportingController: e['reportingComponent'] ?? src['component'] ?? '',
    reportingInstance: e['reportingInstance'] ?? '',
    regarding: involvedObject,
    ...(related ? { related } : {}),
    note: message,
    deprecatedSource: src,
    deprecatedFirstTimestamp: firstTimestamp,
    deprecatedLastTimestamp: lastTimestamp,
    deprecatedCount: n,
  };
  delete out['reportingComponent'];
  if (n <= 1) delete out['series'];
  return out;
}

/** Returns an `events.k8s.io/v1` Event as the core Event stored for it (for writes through that view). */
export function fromEventsV1(e: JsonObject): JsonObject {
  const {
    regarding,
    note,
    deprecatedSource,
    deprecatedFirstTimestamp,
    deprecatedLastTimestamp,
    deprecatedCount,
    reportingController,
    ...rest
  } = e;
  return {
    ...rest,
    apiVersion: 'v1',
    kind: 'Event',
    involvedObject: regarding ?? {},
    message: note,
    source: deprecatedSource ?? { component: reportingController },
    firstTimestamp: deprecatedFirstTimestamp ?? null,
    lastTimestamp: deprecatedLastTimestamp ?? null,
    count: deprecatedCount ?? 1,
    reportingComponent: reportingController,
  };
}

/** The container field path events name (`spec.containers{web}`). */
export function containerFieldPath(container: string): string {
  return `spec.containers{${container}}`;
}

function runningContainers(pod: KubeObject): string[] {
  const status = isJsonObject(pod['status']) ? pod['status'] : {};
  const statuses = Array.isArray(status['containerStatuses']) ? status['containerStatuses'] : [];
  return statuses
    .filter((s) => isJsonObject(s) && isJsonObject(s['state']) && isJsonObject(s['state']['running']))
    .map((s) => String((s as JsonObject)['name']));
}

/** Records the kubelet's `Killing` event for each running container of a pod that is going away. */
export function recordContainersKilled(cluster: SimCluster, pod: KubeObject): void {
  const spec = isJsonObject(pod['spec']) ? pod['spec'] : {};
  const host = typeof spec['nodeName'] === 'string' ? spec['nodeName'] : undefined;
  for (const name of runningContainers(pod)) {
    recordEvent(cluster, {
      regarding: pod,
      type: 'Normal',
      reason: 'Killing',
      message: `Stopping container ${name}`,
      component: 'kubelet',
      ...(host ? { host } : {}),
      fieldPath: containerFieldPath(name),
    });
  }
}

/** Records the node controller's `RemovingNode` for a Node that went away. */
export function recordNodeRemoved(cluster: SimCluster, node: KubeObject): void {
  const name = node.metadata.name;
  recordEvent(cluster, {
    regarding: node,
    type: 'Normal',
    reason: 'RemovingNode',
    message: `Node ${name} event: Removing Node ${name} from Controller`,
    component: 'node-controller',
  });
}
