/**
 * The StatefulSet controller, simplified: pods `<name>-0 … <name>-(n-1)`, surplus ordinals removed from the top,
 * pods of an older template replaced, and the status `kubectl rollout status sts` reads.
 */
import { recordEvent } from '../events.ts';
import type { Controller } from './controller-writes.ts';
import { KINDS, listAll, section, templateHash, writeStatus } from './controller-writes.ts';
import { ownedPods, podFromTemplate, podReady } from './replicasets.ts';

const REVISION_LABEL = 'controller-revision-hash';

/** Reconciles every StatefulSet of a cluster. */
export const reconcileStatefulSets: Controller = (cluster) => {
  for (const sts of listAll(cluster, KINDS.statefulSets)) {
    if (sts.metadata.deletionTimestamp) continue;
    const want = Number(section(sts, 'spec')['replicas'] ?? 1);
    const revision = `${sts.metadata.name}-${templateHash(section(sts, 'spec')['template'])}`;
    const names = new Set(Array.from({ length: want }, (_, i) => `${sts.metadata.name}-${i}`));
    for (const p of ownedPods(cluster, sts)) {
      if (!names.has(p.metadata.name) || p.metadata.labels?.[REVISION_LABEL] !== revision) {
        cluster.removeNow(KINDS.pods, p, 'Background');
      }
    }
    const existing = new Set(ownedPods(cluster, sts).map((p) => p.metadata.name));
    for (const name of names) {
      if (existing.has(name)) continue;
      cluster.createObject(
        KINDS.pods,
        podFromTemplate(cluster, sts, KINDS.statefulSets, name, {
          [REVISION_LABEL]: revision,
          'statefulset.kubernetes.io/pod-name': name,
        }),
      );
      recordEvent(cluster, {
        regarding: sts,
        type: 'Normal',
        reason: 'SuccessfulCreate',
        message: `create Pod ${name} in StatefulSet ${sts.metadata.name} successful`,
        component: 'statefulset-controller',
      });
    }
    const pods = ownedPods(cluster, sts);
    const ready = pods.filter(podReady).length;
    const current = cluster.store.get(
      `apps/${KINDS.statefulSets.plural}`,
      sts.metadata.namespace,
      sts.metadata.name,
    );
    if (!current) continue;
    writeStatus(cluster, KINDS.statefulSets, current, {
      replicas: pods.length,
      readyReplicas: ready,
      availableReplicas: ready,
      currentReplicas: pods.length,
      updatedReplicas: pods.length,
      currentRevision: revision,
      updateRevision: revision,
      observedGeneration: current.metadata.generation ?? 1,
    });
  }
  return undefined;
};
