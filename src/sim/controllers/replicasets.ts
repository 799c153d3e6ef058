/**
 * The ReplicaSet controller: keeps `spec.replicas` pods (named `<replicaset>-<5 chars>`) from the template, removes
 * the surplus (unready and newest first) and reports replicas, readyReplicas and availableReplicas.
 */

import { randomSuffix } from '../api-operations.ts';
import { recordEvent } from '../events.ts';
import type { KubeObject } from '../kube-object.ts';
import { cloneJson, isJsonObject } from '../kube-object.ts';
import type { SimCluster } from '../sim-cluster.ts';
import type { Controller } from './controller-writes.ts';
import { controllerRef, isControlledBy, KINDS, listAll, section, writeStatus } from './controller-writes.ts';

/** True when a pod is Running with every container ready. */
export function podReady(pod: KubeObject): boolean {
  const status = section(pod, 'status');
  if (status['phase'] !== 'Running') return false;
  const conditions = Array.isArray(status['conditions']) ? status['conditions'] : [];
  return conditions.some((c) => isJsonObject(c) && c['type'] === 'Ready' && c['status'] === 'True');
}

/** Returns a new pod for a workload's pod template, controlled by `owner`. */
export function podFromTemplate(
  _cluster: SimCluster,
  owner: KubeObject,
  ownerType: Parameters<typeof controllerRef>[0],
  name: string,
  extraLabels: Record<string, string> = {},
): KubeObject {
  const template = section(owner, 'spec')['template'];
  const t = isJsonObject(template) ? cloneJson(template) : {};
  const meta = isJsonObject(t['metadata']) ? t['metadata'] : {};
  const labels = isJsonObject(meta['labels']) ? (meta['labels'] as Record<string, string>) : {};
  const annotations = isJsonObject(meta['annotations'])
    ? (meta['annotations'] as Record<string, string>)
    : undefined;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: owner.metadata.namespace,
      labels: { ...labels, ...extraLabels },
      ...(annotations ? { annotations } : {}),
      ownerReferences: [controllerRef(ownerType, owner)],
    },
    spec: isJsonObject(t['spec']) ? t['spec'] : { containers: [] },
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  };
}

/** Returns the pods a workload controls (not being deleted). */
export function ownedPods(cluster: SimCluster, owner: KubeObject): KubeObject[] {
  return cluster.store
    .list(`/${KINDS.pods.plural}`, owner.metadata.namespace)
    .filter((p) => isControlledBy(p, owner) && !p.metadata.deletionTimestamp);
}

/** Reconciles every ReplicaSet: pod count and status. */
export const reconcileReplicaSets: Controller = (cluster) => {
  for (const rs of listAll(cluster, KINDS.replicaSets)) {
    if (rs.metadata.deletionTimestamp) continue;
    const spec = section(rs, 'spec');
    const want = Number(spec['replicas'] ?? 1);
    let pods = ownedPods(cluster, rs);
    if (pods.length < want) {
      for (let i = pods.length; i < want; i += 1) {
        const pod = cluster.createObject(
          KINDS.pods,
          podFromTemplate(cluster, rs, KINDS.replicaSets, `${rs.metadata.name}-${randomSuffix(5)}`),
        );
        recordEvent(cluster, {
          regarding: rs,
          type: 'Normal',
          reason: 'SuccessfulCreate',
          message: `Created pod: ${pod.metadata.name}`,
          component: 'replicaset-controller',
        });
      }
    } else if (pods.length > want) {
      const surplus = [...pods]
        .sort(
          (a, b) =>
            Number(podReady(a)) - Number(podReady(b)) ||
            ((b.metadata.creationTimestamp ?? '') < (a.metadata.creationTimestamp ?? '') ? -1 : 1),
        )
        .slice(0, pods.length - want);
      for (const p of surplus) {
        cluster.removeNow(KINDS.pods, p, 'Background');
        recordEvent(cluster, {
          regarding: rs,
          type: 'Normal',
          reason: 'SuccessfulDelete',
          message: `Deleted pod: ${p.metadata.name}`,
          component: 'replicaset-controller',
        });
      }
    }
    pods = ownedPods(cluster, rs);
    const ready = pods.filter(podReady).length;
    const current = cluster.store.get(
      `apps/${KINDS.replicaSets.plural}`,
      rs.metadata.namespace,
      rs.metadata.name,
    );
    if (!current) continue;
    writeStatus(cluster, KINDS.replicaSets, current, {
      replicas: pods.length,
      fullyLabeledReplicas: pods.length,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: current.metadata.generation ?? 1,
    });
  }
  return undefined;
};
