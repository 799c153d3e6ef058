/**
 * Health of applied workloads: a Deployment is healthy when it has observed its latest generation and every
 * desired replica is available; a DaemonSet when every scheduled pod is ready. Other kinds have no health.
 */
import type { KubeObject } from '../core/model.ts';

/** One unhealthy workload and why. */
export interface Unhealthy {
  kind: string;
  namespace: string;
  name: string;
  reason: string;
}

/** Kinds whose health is read. */
export const HEALTH_KINDS: ReadonlyArray<{ apiVersion: string; kind: string }> = [
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'apps/v1', kind: 'DaemonSet' },
];

/** Returns why a live workload is not healthy, or null when it is (or its kind has no health). */
export function unhealthyReason(live: KubeObject): string | null {
  const spec = (live['spec'] ?? {}) as Record<string, unknown>;
  const status = (live['status'] ?? {}) as Record<string, unknown>;
  const generation = Number((live.metadata as Record<string, unknown>)['generation'] ?? 0);
  const observed = Number(status['observedGeneration'] ?? 0);
  if (live.kind === 'Deployment') {
    const desired = spec['replicas'] === undefined ? 1 : Number(spec['replicas']);
    const available = Number(status['availableReplicas'] ?? 0);
    if (generation > observed) return 'its latest change is not rolled out yet';
    if (available < desired) return `${available}/${desired} replicas available`;
    return null;
  }
  if (live.kind === 'DaemonSet') {
    const desired = Number(status['desiredNumberScheduled'] ?? 0);
    const ready = Number(status['numberReady'] ?? 0);
    if (ready < desired) return `${ready}/${desired} pods ready`;
    return null;
  }
  return null;
}
