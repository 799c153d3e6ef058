/**
 * The DaemonSet controller: one pod per Ready node the template fits (`<daemonset>-<5 chars>`, bound to the
 * node), pods of an older template replaced within `maxUnavailable` (not at all with `OnDelete`), and the status
 * `kubectl rollout status ds` reads.
 */
import { randomSuffix } from '../api-operations.ts';
import { recordEvent } from '../events.ts';
import type { KubeObject } from '../kube-object.ts';
import { isJsonObject } from '../kube-object.ts';
import type { Controller } from './controller-writes.ts';
import { intOrPercent, KINDS, listAll, section, writeStatus } from './controller-writes.ts';
import { nodeIsReady } from './nodes.ts';
import { fits } from './pods.ts';
import { ownedPods, podFromTemplate, podReady } from './replicasets.ts';
import { currentRevisionHash, pruneRevisions } from './revisions.ts';

const REVISION_LABEL = 'controller-revision-hash';

/** Reconciles every DaemonSet of a cluster. */
export const reconcileDaemonSets: Controller = (cluster) => {
  const nodes = listAll(cluster, KINDS.nodes).filter(nodeIsReady);
  for (const ds of listAll(cluster, KINDS.daemonSets)) {
    if (ds.metadata.deletionTimestamp) continue;
    const hash = currentRevisionHash(cluster, ds, KINDS.daemonSets);
    const byNode = new Map<string, KubeObject[]>();
    for (const p of ownedPods(cluster, ds)) {
      const n = String(section(p, 'spec')['nodeName'] ?? '');
      byNode.set(n, [...(byNode.get(n) ?? []), p]);
    }
    const probe = podFromTemplate(cluster, ds, KINDS.daemonSets, 'probe');
    const eligible = nodes.filter((n) => fits(probe, n) || section(n, 'spec')['unschedulable'] === true);
    const eligibleNames = new Set(eligible.map((n) => n.metadata.name));
    // An outdated pod is replaced only while fewer than maxUnavailable eligible nodes lack a Ready pod.
    const updateStrategy = section(ds, 'spec')['updateStrategy'];
    const strategy = isJsonObject(updateStrategy) ? updateStrategy : {};
    const rolling = isJsonObject(strategy['rollingUpdate']) ? strategy['rollingUpdate'] : {};
    const maxUnavailable = Math.max(1, intOrPercent(rolling['maxUnavailable'] ?? 1, eligible.length, false));
    let unavailable = eligible.filter((n) => !(byNode.get(n.metadata.name) ?? []).some(podReady)).length;
    for (const [nodeName, pods] of byNode) {
      for (const [i, p] of pods.entries()) {
        const outdated = p.metadata.labels?.[REVISION_LABEL] !== hash;
        if (!eligibleNames.has(nodeName) || i > 0) cluster.removeNow(KINDS.pods, p, 'Background');
        else if (
          outdated &&
          strategy['type'] !== 'OnDelete' &&
          (!podReady(p) || unavailable < maxUnavailable)
        ) {
          if (podReady(p)) unavailable += 1;
          cluster.removeNow(KINDS.pods, p, 'Background');
        }
      }
    }
    for (const node of eligible) {
      const existing = ownedPods(cluster, ds).filter(
        (p) => section(p, 'spec')['nodeName'] === node.metadata.name,
      );
      if (existing.length > 0) continue;
      const pod = podFromTemplate(cluster, ds, KINDS.daemonSets, `${ds.metadata.name}-${randomSuffix(5)}`, {
        [REVISION_LABEL]: hash,
      });
      (pod['spec'] as Record<string, unknown>)['nodeName'] = node.metadata.name;
      const created = cluster.createObject(KINDS.pods, pod);
      recordEvent(cluster, {
        regarding: ds,
        type: 'Normal',
        reason: 'SuccessfulCreate',
        message: `Created pod: ${created.metadata.name}`,
        component: 'daemonset-controller',
      });
    }
    const pods = ownedPods(cluster, ds);
    pruneRevisions(cluster, ds, new Set(pods.map((p) => p.metadata.labels?.[REVISION_LABEL] ?? '')));
    const ready = pods.filter(podReady).length;
    const updated = pods.filter((p) => p.metadata.labels?.[REVISION_LABEL] === hash).length;
    const current = cluster.store.get(
      `apps/${KINDS.daemonSets.plural}`,
      ds.metadata.namespace,
      ds.metadata.name,
    );
    if (!current) continue;
    writeStatus(cluster, KINDS.daemonSets, current, {
      currentNumberScheduled: pods.length,
      desiredNumberScheduled: eligible.length,
      numberMisscheduled: 0,
      numberReady: ready,
      numberAvailable: ready,
      updatedNumberScheduled: updated,
      observedGeneration: current.metadata.generation ?? 1,
    });
  }
  return undefined;
};
