/**
 * The StatefulSet controller: pods `<name>-0 … <name>-(n-1)` (with their `hostname`, the service's `subdomain` and
 * `apps.kubernetes.io/pod-index`), made in order — with `OrderedReady` each once the one before is Ready, with
 * `Parallel` all at once — and removed from the top; a template change rolls the pods from the highest ordinal
 * down to `partition`, one at a time, each once the others are Ready (`OnDelete`: only pods someone deleted); and
 * the status `kubectl rollout status sts` reads (current/update revisions, updated and ready replicas); each
 * template is a ControllerRevision (revisions.ts) for `kubectl rollout history` and `undo`.
 */
import { recordEvent } from '../events.ts';
import type { KubeObject } from '../kube-object.ts';
import { isJsonObject } from '../kube-object.ts';
import type { Controller } from './controller-writes.ts';
import { intOrPercent, KINDS, listAll, section, writeStatus } from './controller-writes.ts';
import { ownedPods, podFromTemplate, podReady } from './replicasets.ts';
import { currentRevisionHash, pruneRevisions } from './revisions.ts';

const REVISION_LABEL = 'controller-revision-hash';

function ordinalOf(sts: KubeObject, pod: KubeObject): number {
  const rest = pod.metadata.name.slice(sts.metadata.name.length + 1);
  return /^\d+$/.test(rest) ? Number(rest) : -1;
}

/** Reconciles every StatefulSet of a cluster. */
export const reconcileStatefulSets: Controller = (cluster) => {
  for (const sts of listAll(cluster, KINDS.statefulSets)) {
    if (sts.metadata.deletionTimestamp) continue;
    const spec = section(sts, 'spec');
    const want = Number(spec['replicas'] ?? 1);
    const revision = `${sts.metadata.name}-${currentRevisionHash(cluster, sts, KINDS.statefulSets)}`;
    const ordered = spec['podManagementPolicy'] !== 'Parallel';
    const strategy = isJsonObject(spec['updateStrategy']) ? spec['updateStrategy'] : {};
    const rolling = isJsonObject(strategy['rollingUpdate']) ? strategy['rollingUpdate'] : {};
    const partition = strategy['type'] === 'OnDelete' ? want : Number(rolling['partition'] ?? 0);
    const maxUnavailable = Math.max(1, intOrPercent(rolling['maxUnavailable'] ?? 1, want, false));
    const byOrdinal = new Map<number, KubeObject>();
    for (const p of ownedPods(cluster, sts)) {
      const ordinal = ordinalOf(sts, p);
      if (ordinal < 0 || byOrdinal.has(ordinal)) cluster.removeNow(KINDS.pods, p, 'Background');
      else byOrdinal.set(ordinal, p);
    }
    const allReady = () => [...byOrdinal.values()].every(podReady);
    // Scale down from the highest ordinal (one at a time once the rest is Ready, when ordered).
    for (const ordinal of [...byOrdinal.keys()].filter((o) => o >= want).sort((a, b) => b - a)) {
      if (ordered && !allReady()) break;
      cluster.removeNow(KINDS.pods, byOrdinal.get(ordinal)!, 'Background');
      byOrdinal.delete(ordinal);
      if (ordered) break;
    }
    // Scale up from the lowest missing ordinal.
    for (let ordinal = 0; ordinal < want; ordinal += 1) {
      if (byOrdinal.has(ordinal)) {
        if (ordered && !podReady(byOrdinal.get(ordinal)!)) break;
        continue;
      }
      const name = `${sts.metadata.name}-${ordinal}`;
      const pod = podFromTemplate(cluster, sts, KINDS.statefulSets, name, {
        [REVISION_LABEL]: revision,
        'statefulset.kubernetes.io/pod-name': name,
        'apps.kubernetes.io/pod-index': String(ordinal),
      });
      const podSpec = pod['spec'] as Record<string, unknown>;
      podSpec['hostname'] = name;
      if (typeof spec['serviceName'] === 'string' && spec['serviceName'] !== '')
        podSpec['subdomain'] = spec['serviceName'];
      byOrdinal.set(ordinal, cluster.createObject(KINDS.pods, pod));
      recordEvent(cluster, {
        regarding: sts,
        type: 'Normal',
        reason: 'SuccessfulCreate',
        message: `create Pod ${name} in StatefulSet ${sts.metadata.name} successful`,
        component: 'statefulset-controller',
      });
      if (ordered) break;
    }
    // Roll outdated pods from the top down to the partition, once every pod is there and Ready.
    const complete = [...Array(want).keys()].every((o) => byOrdinal.has(o));
    if (complete && allReady()) {
      const outdated = [...byOrdinal.entries()]
        .filter(([o, p]) => o >= partition && o < want && p.metadata.labels?.[REVISION_LABEL] !== revision)
        .sort(([a], [b]) => b - a)
        .slice(0, maxUnavailable);
      for (const [ordinal, p] of outdated) {
        cluster.removeNow(KINDS.pods, p, 'Background');
        byOrdinal.delete(ordinal);
      }
    }
    const pods = [...byOrdinal.values()];
    const prefix = `${sts.metadata.name}-`;
    pruneRevisions(
      cluster,
      sts,
      new Set(pods.map((p) => (p.metadata.labels?.[REVISION_LABEL] ?? '').slice(prefix.length))),
    );
    const updated = pods.filter((p) => p.metadata.labels?.[REVISION_LABEL] === revision).length;
    const current = cluster.store.get(
      `apps/${KINDS.statefulSets.plural}`,
      sts.metadata.namespace,
      sts.metadata.name,
    );
    if (!current) continue;
    const before = section(current, 'status');
    const rolledOut = updated === want && pods.length === want;
    const currentRevision = rolledOut ? revision : String(before['currentRevision'] ?? revision);
    const ready = pods.filter(podReady).length;
    writeStatus(cluster, KINDS.statefulSets, current, {
      observedGeneration: current.metadata.generation ?? 1,
      replicas: pods.length,
      readyReplicas: ready,
      availableReplicas: ready,
      currentReplicas: pods.filter((p) => p.metadata.labels?.[REVISION_LABEL] === currentRevision).length,
      updatedReplicas: updated,
      currentRevision,
      updateRevision: revision,
      collisionCount: 0,
    });
  }
  return undefined;
};
