/**
 * The horizontal pod autoscaler, for `autoscaling/v2` HorizontalPodAutoscalers that scale a Deployment on CPU
 * or memory (Utilization of the pods' requests, or AverageValue), from the simulated metrics (metrics.ts).
 * Like Kubernetes': a sync every 15 s per autoscaler, a 10 % tolerance, scale-up of at most max(100 %, 4 pods)
 * per sync, scale-down to the highest recommendation of the last 5 minutes (the default stabilization window,
 * or the one in `behavior.scaleDown`), within min/maxReplicas; each change is a `SuccessfulRescale` event.
 * The autoscaler objects are only read (their status is not written here); the Deployment's replicas are.
 * The sync times and recommendations are kept in memory: a reloaded cluster starts them afresh.
 */
import { recordEvent } from '../events.ts';
import type { KubeObject } from '../kube-object.ts';
import { isJsonObject } from '../kube-object.ts';
import { parseQuantity, podUsages, workloadOf } from '../metrics.ts';
import type { SimCluster } from '../sim-cluster.ts';
import type { Controller } from './controller-writes.ts';
import { KINDS, section, writeChange } from './controller-writes.ts';

/** How often an autoscaler is evaluated. */
export const HPA_SYNC_MS = 15_000;
const TOLERANCE = 0.1;
const DEFAULT_SCALE_DOWN_WINDOW_S = 300;

interface AutoscalerMemory {
  lastSync: number;
  recommendations: { at: number; replicas: number }[];
}

const memory = new WeakMap<SimCluster, Map<string, AutoscalerMemory>>();

interface Target {
  resource: 'cpu' | 'memory';
  utilization?: number;
  averageValue?: number;
}

function targetsOf(hpa: KubeObject): Target[] {
  const metrics = section(hpa, 'spec')['metrics'];
  if (!Array.isArray(metrics) || metrics.length === 0) return [{ resource: 'cpu', utilization: 80 }];
  const out: Target[] = [];
  for (const m of metrics.filter(isJsonObject)) {
    const r = isJsonObject(m['resource']) ? m['resource'] : undefined;
    if (m['type'] !== 'Resource' || !r || (r['name'] !== 'cpu' && r['name'] !== 'memory')) continue;
    const target = isJsonObject(r['target']) ? r['target'] : {};
    if (target['type'] === 'Utilization' && typeof target['averageUtilization'] === 'number') {
      out.push({ resource: r['name'], utilization: target['averageUtilization'] });
    } else if (target['type'] === 'AverageValue') {
      const v = parseQuantity(target['averageValue']);
      if (Number.isFinite(v) && v > 0) out.push({ resource: r['name'], averageValue: v });
    }
  }
  return out;
}

function requestOf(pod: KubeObject, container: string, resource: 'cpu' | 'memory'): number {
  const containers = section(pod, 'spec')['containers'];
  const c = Array.isArray(containers)
    ? containers.filter(isJsonObject).find((x) => x['name'] === container)
    : undefined;
  const resources = c && isJsonObject(c['resources']) ? c['resources'] : {};
  const requests = isJsonObject(resources['requests']) ? resources['requests'] : {};
  return parseQuantity(requests[resource]);
}

/** Returns the replicas one metric asks for, and the reason a change would give; undefined without data. */
function proposal(
  target: Target,
  pods: [KubeObject, Map<string, { cpu: number; memory: number }>][],
): { ratio: number; reason: string } | undefined {
  let used = 0;
  let requested = 0;
  for (const [pod, usage] of pods) {
    for (const [name, u] of usage) {
      used += u[target.resource];
      requested += requestOf(pod, name, target.resource);
    }
  }
  if (pods.length === 0) return undefined;
  if (target.utilization !== undefined) {
    if (!Number.isFinite(requested) || requested <= 0) return undefined;
    const ratio = ((used / requested) * 100) / target.utilization;
    return { ratio, reason: `${target.resource} resource utilization (percentage of request)` };
  }
  const ratio = used / pods.length / (target.averageValue ?? 1);
  return { ratio, reason: `${target.resource} resource` };
}

function reconcileOne(cluster: SimCluster, hpa: KubeObject, mem: AutoscalerMemory): void {
  const spec = section(hpa, 'spec');
  const ref = isJsonObject(spec['scaleTargetRef']) ? spec['scaleTargetRef'] : {};
  if (ref['kind'] !== 'Deployment') return;
  const namespace = hpa.metadata.namespace ?? '';
  const deploy = cluster.store.get(`apps/${KINDS.deployments.plural}`, namespace, String(ref['name'] ?? ''));
  if (!deploy || deploy.metadata.deletionTimestamp) return;
  const current = Number(section(deploy, 'spec')['replicas'] ?? 1);
  if (current === 0) return; // Kubernetes leaves a Deployment scaled to zero alone.
  const min = Number(spec['minReplicas'] ?? 1);
  const max = Number(spec['maxReplicas'] ?? current);
  const key = `Deployment/${namespace}/${deploy.metadata.name}`;
  const pods = [...podUsages(cluster, namespace)].filter(([pod]) => workloadOf(cluster, pod).key === key);
  let desired = current;
  let reason = '';
  for (const t of targetsOf(hpa)) {
    const p = proposal(t, pods);
    if (!p || Math.abs(p.ratio - 1) <= TOLERANCE) continue;
    const wanted = Math.ceil(p.ratio * pods.length);
    if (reason === '' || wanted > desired) {
      desired = wanted;
      reason = `${p.reason} ${p.ratio > 1 ? 'above' : 'below'} target`;
    }
  }
  const now = cluster.now();
  const scaleDown =
    isJsonObject(spec['behavior']) && isJsonObject(spec['behavior']['scaleDown'])
      ? spec['behavior']['scaleDown']
      : {};
  const windowS = Number(scaleDown['stabilizationWindowSeconds'] ?? DEFAULT_SCALE_DOWN_WINDOW_S);
  mem.recommendations = mem.recommendations.filter((r) => r.at > now - windowS * 1000);
  mem.recommendations.push({ at: now, replicas: desired });
  // Kubernetes' stabilization: go up to the newest recommendation, down only to the highest in the window.
  const downTo = Math.max(...mem.recommendations.map((r) => r.replicas));
  desired = Math.min(Math.max(current, desired), downTo);
  if (desired > current) desired = Math.min(desired, Math.max(current * 2, current + 4));
  desired = Math.min(max, Math.max(min, desired));
  if (desired === current) return;
  writeChange(cluster, KINDS.deployments, deploy, (d) => {
    (d['spec'] as Record<string, unknown>)['replicas'] = desired;
  });
  recordEvent(cluster, {
    regarding: hpa,
    type: 'Normal',
    reason: 'SuccessfulRescale',
    message: `New size: ${desired}; reason: ${reason || (desired < min ? 'Current number of replicas below Spec.MinReplicas' : 'Current number of replicas above Spec.MaxReplicas')}`,
    component: 'horizontal-pod-autoscaler',
  });
}

/** Evaluates each autoscaler whose sync is due; returns when the next one is. */
export const reconcileAutoscalers: Controller = (cluster) => {
  const hpas = cluster.store.list('autoscaling/horizontalpodautoscalers');
  if (hpas.length === 0) return undefined;
  let state = memory.get(cluster);
  if (!state) {
    state = new Map();
    memory.set(cluster, state);
  }
  const now = cluster.now();
  let next = Number.POSITIVE_INFINITY;
  const live = new Set<string>();
  for (const hpa of hpas) {
    const key = `${hpa.metadata.namespace}/${hpa.metadata.name}/${hpa.metadata.uid}`;
    live.add(key);
    const mem = state.get(key) ?? { lastSync: Number.NEGATIVE_INFINITY, recommendations: [] };
    state.set(key, mem);
    if (now - mem.lastSync >= HPA_SYNC_MS) {
      mem.lastSync = now;
      reconcileOne(cluster, hpa, mem);
    }
    next = Math.min(next, mem.lastSync + HPA_SYNC_MS);
  }
  for (const key of state.keys()) if (!live.has(key)) state.delete(key);
  return next;
};
