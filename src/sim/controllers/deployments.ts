/**
 * The Deployment controller: one ReplicaSet per pod template (`<deployment>-<pod-template-hash>`), a rolling
 * update within maxSurge/maxUnavailable (or Recreate), and the status `kubectl rollout status` reads
 * (observedGeneration, replicas, updatedReplicas, readyReplicas, availableReplicas, Available/Progressing).
 */
import { defaultedPodTemplate } from '../defaults.ts';
import { recordEvent } from '../events.ts';
import type { KubeObject } from '../kube-object.ts';
import { cloneJson, isJsonObject, jsonEqual, kubeTime } from '../kube-object.ts';
import type { SimCluster } from '../sim-cluster.ts';
import type { Controller } from './controller-writes.ts';
import {
  condition,
  controllerRef,
  derivedOnce,
  intOrPercent,
  isControlledBy,
  KINDS,
  listAll,
  section,
  templateHash,
  writeChange,
  writeStatus,
} from './controller-writes.ts';

const REVISION = 'deployment.kubernetes.io/revision';
const HASH_LABEL = 'pod-template-hash';

function replicasOf(obj: KubeObject): number {
  return Number(section(obj, 'spec')['replicas'] ?? 0);
}

function statusNumber(obj: KubeObject, field: string): number {
  return Number(section(obj, 'status')[field] ?? 0);
}

function revisionOf(obj: KubeObject): number {
  return Number(obj.metadata.annotations?.[REVISION] ?? 0);
}

function newReplicaSet(deploy: KubeObject, hash: string, replicas: number, revision: number): KubeObject {
  const spec = section(deploy, 'spec');
  const template = cloneJson(isJsonObject(spec['template']) ? spec['template'] : {});
  const tmeta = isJsonObject(template['metadata']) ? template['metadata'] : {};
  tmeta['labels'] = { ...(isJsonObject(tmeta['labels']) ? tmeta['labels'] : {}), [HASH_LABEL]: hash };
  template['metadata'] = tmeta;
  const selector = cloneJson(isJsonObject(spec['selector']) ? spec['selector'] : {});
  selector['matchLabels'] = {
    ...(isJsonObject(selector['matchLabels']) ? selector['matchLabels'] : {}),
    [HASH_LABEL]: hash,
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${deploy.metadata.name}-${hash}`,
      namespace: deploy.metadata.namespace,
      labels: { ...((tmeta['labels'] as Record<string, string>) ?? {}) },
      annotations: {
        [REVISION]: String(revision),
        'deployment.kubernetes.io/desired-replicas': String(replicasOf(deploy)),
        'deployment.kubernetes.io/max-replicas': String(replicasOf(deploy) + 1),
      },
      ownerReferences: [controllerRef(KINDS.deployments, deploy)],
    },
    spec: { replicas, minReadySeconds: 0, selector, template },
  };
}

/** Records the deployment controller's `ScalingReplicaSet` event. */
function recordScaling(cluster: SimCluster, rs: KubeObject, from: number, to: number): void {
  const owner = cluster.store.get(
    `apps/${KINDS.deployments.plural}`,
    rs.metadata.namespace,
    rs.metadata.ownerReferences?.find((r) => r.controller)?.name ?? '',
  );
  if (!owner || from === to) return;
  recordEvent(cluster, {
    regarding: owner,
    type: 'Normal',
    reason: 'ScalingReplicaSet',
    message: `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.metadata.name} from ${from} to ${to}`,
    component: 'deployment-controller',
  });
}

/**
 * True when a ReplicaSet runs a Deployment's pod template: equal once the ReplicaSet's pod-template-hash label is
 * set aside (Kubernetes' `EqualIgnoreHash`). The Deployment's ReplicaSet is found this way, never by recomputing
 * the hash into a name, so one made under another hash (or another Strata version) is still recognised.
 */
function runsTemplate(rs: KubeObject, wanted: unknown): boolean {
  return jsonEqual(comparableTemplate(rs), wanted);
}

const comparable = new WeakMap<object, unknown>();

/** An object's pod template as compared: defaulted, without the hash label (derived once per stored object). */
function comparableTemplate(obj: KubeObject): unknown {
  return derivedOnce(comparable, obj, () => withoutHashLabel(section(obj, 'spec')['template']));
}

/** Returns a copy of a pod template without the pod-template-hash label (and without metadata left empty). */
function withoutHashLabel(template: unknown): unknown {
  if (!isJsonObject(template)) return template;
  const copy = defaultedPodTemplate(template);
  const meta = copy['metadata'];
  if (!isJsonObject(meta)) return copy;
  const labels = meta['labels'];
  if (isJsonObject(labels)) {
    delete labels[HASH_LABEL];
    if (Object.keys(labels).length === 0) delete meta['labels'];
  }
  if (Object.keys(meta).length === 0) delete copy['metadata'];
  return copy;
}

function setReplicas(cluster: SimCluster, rs: KubeObject, replicas: number): KubeObject {
  recordScaling(cluster, rs, replicasOf(rs), replicas);
  return writeChange(cluster, KINDS.replicaSets, rs, (r) => {
    (r['spec'] as Record<string, unknown>)['replicas'] = replicas;
  });
}

function reconcileOne(cluster: SimCluster, deploy: KubeObject): void {
  const spec = section(deploy, 'spec');
  const desired = Number(spec['replicas'] ?? 1);
  const wanted = comparableTemplate(deploy);
  const owned = cluster.store
    .list(`apps/${KINDS.replicaSets.plural}`, deploy.metadata.namespace)
    .filter((rs) => isControlledBy(rs, deploy));
  // The oldest ReplicaSet running the template is the current one, as in Kubernetes.
  let current = owned
    .filter((rs) => runsTemplate(rs, wanted))
    .sort((a, b) =>
      (a.metadata.creationTimestamp ?? '') === (b.metadata.creationTimestamp ?? '')
        ? a.metadata.name < b.metadata.name
          ? -1
          : 1
        : (a.metadata.creationTimestamp ?? '') < (b.metadata.creationTimestamp ?? '')
          ? -1
          : 1,
    )[0];
  const olds = owned.filter((rs) => rs !== current);
  const maxRevision = Math.max(0, ...owned.map(revisionOf));
  const strategy = isJsonObject(spec['strategy']) ? spec['strategy'] : {};
  const recreate = strategy['type'] === 'Recreate';
  const rolling = isJsonObject(strategy['rollingUpdate']) ? strategy['rollingUpdate'] : {};
  const maxSurge = recreate ? 0 : intOrPercent(rolling['maxSurge'] ?? '25%', desired, true);
  let maxUnavailable = recreate ? desired : intOrPercent(rolling['maxUnavailable'] ?? '25%', desired, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  const oldActive = olds.filter((rs) => replicasOf(rs) > 0 || statusNumber(rs, 'replicas') > 0);

  if (!current) {
    const total = olds.reduce((n, rs) => n + replicasOf(rs), 0);
    const start =
      oldActive.length === 0
        ? desired
        : recreate
          ? 0
          : Math.max(0, Math.min(desired, desired + maxSurge - total));
    const hash = templateHash(defaultedPodTemplate(spec['template']));
    current = cluster.createObject(KINDS.replicaSets, newReplicaSet(deploy, hash, start, maxRevision + 1));
    recordScaling(cluster, current, 0, start);
  } else if (revisionOf(current) < maxRevision) {
    // A rollback to an older template: it becomes the newest revision again.
    current = writeChange(cluster, KINDS.replicaSets, current, (r) => {
      r.metadata.annotations = { ...(r.metadata.annotations ?? {}), [REVISION]: String(maxRevision + 1) };
    });
  }

  if (oldActive.length === 0) {
    if (replicasOf(current) !== desired) current = setReplicas(cluster, current, desired);
  } else if (recreate) {
    for (const rs of oldActive) if (replicasOf(rs) > 0) setReplicas(cluster, rs, 0);
    const oldPods = oldActive.reduce((n, rs) => n + statusNumber(rs, 'replicas'), 0);
    if (oldPods === 0 && replicasOf(current) !== desired) current = setReplicas(cluster, current, desired);
  } else {
    const all = [current, ...oldActive];
    const total = all.reduce((n, rs) => n + replicasOf(rs), 0);
    const room = desired + maxSurge - total;
    if (room > 0 && replicasOf(current) < desired) {
      current = setReplicas(cluster, current, Math.min(desired, replicasOf(current) + room));
    }
    const available = all.reduce((n, rs) => n + statusNumber(rs, 'availableReplicas'), 0);
    let canRemove = available - (desired - maxUnavailable);
    // Replicas of old sets that are not available can always go: they serve nothing.
    for (const rs of [...oldActive].sort((a, b) => revisionOf(a) - revisionOf(b))) {
      const unavailable = Math.max(0, replicasOf(rs) - statusNumber(rs, 'availableReplicas'));
      const remove = Math.min(replicasOf(rs), unavailable + Math.max(0, canRemove));
      if (remove > 0) {
        setReplicas(cluster, rs, replicasOf(rs) - remove);
        canRemove -= Math.max(0, remove - unavailable);
      }
    }
  }

  const fresh = cluster.store
    .list(`apps/${KINDS.replicaSets.plural}`, deploy.metadata.namespace)
    .filter((rs) => isControlledBy(rs, deploy));
  const newest = fresh.find((rs) => rs.metadata.uid === current.metadata.uid);
  const sum = (f: string) => fresh.reduce((n, rs) => n + statusNumber(rs, f), 0);
  const replicas = sum('replicas');
  const updated = newest ? statusNumber(newest, 'replicas') : 0;
  const ready = sum('readyReplicas');
  const availableNow = sum('availableReplicas');
  const latest = cluster.store.get(
    `apps/${KINDS.deployments.plural}`,
    deploy.metadata.namespace,
    deploy.metadata.name,
  );
  if (!latest) return;
  const complete =
    updated === desired &&
    replicas === desired &&
    availableNow === desired &&
    newest !== undefined &&
    replicasOf(newest) === desired;
  const time = kubeTime(cluster.now());
  const previous = Array.isArray(section(latest, 'status')['conditions'])
    ? (section(latest, 'status')['conditions'] as Record<string, unknown>[])
    : [];
  const keepTime = (c: ReturnType<typeof condition>) => {
    const before = previous.find((p) => p['type'] === c.type);
    if (before && before['status'] === c.status && before['reason'] === c.reason) {
      return {
        ...c,
        lastUpdateTime: before['lastUpdateTime'],
        lastTransitionTime: before['lastTransitionTime'],
      };
    }
    return c;
  };
  const availableOk = availableNow >= desired - maxUnavailable;
  const conditions = [
    keepTime(
      availableOk
        ? condition(
            'Available',
            'True',
            'MinimumReplicasAvailable',
            'Deployment has minimum availability.',
            time,
          )
        : condition(
            'Available',
            'False',
            'MinimumReplicasUnavailable',
            'Deployment does not have minimum availability.',
            time,
          ),
    ),
    keepTime(
      complete
        ? condition(
            'Progressing',
            'True',
            'NewReplicaSetAvailable',
            `ReplicaSet "${newest?.metadata.name ?? ''}" has successfully progressed.`,
            time,
          )
        : condition(
            'Progressing',
            'True',
            'ReplicaSetUpdated',
            `ReplicaSet "${newest?.metadata.name ?? ''}" is progressing.`,
            time,
          ),
    ),
  ];
  const status: Record<string, unknown> = {
    observedGeneration: latest.metadata.generation ?? 1,
    replicas,
    updatedReplicas: updated,
    readyReplicas: ready,
    availableReplicas: availableNow,
    conditions,
  };
  if (replicas - availableNow > 0) status['unavailableReplicas'] = replicas - availableNow;
  const revision = newest ? revisionOf(newest) : 0;
  let target = latest;
  if (revision > 0 && latest.metadata.annotations?.[REVISION] !== String(revision)) {
    target = writeChange(cluster, KINDS.deployments, latest, (d) => {
      d.metadata.annotations = { ...(d.metadata.annotations ?? {}), [REVISION]: String(revision) };
    });
  }
  writeStatus(cluster, KINDS.deployments, target, status);
  pruneHistory(cluster, deploy, newest);
}

/** Deletes the oldest scaled-down ReplicaSets beyond `revisionHistoryLimit`, as Kubernetes' cleanup does. */
function pruneHistory(cluster: SimCluster, deploy: KubeObject, newest: KubeObject | undefined): void {
  const limit = section(deploy, 'spec')['revisionHistoryLimit'];
  if (typeof limit !== 'number') return;
  const idle = cluster.store
    .list(`apps/${KINDS.replicaSets.plural}`, deploy.metadata.namespace)
    .filter(
      (rs) =>
        isControlledBy(rs, deploy) &&
        rs.metadata.uid !== newest?.metadata.uid &&
        replicasOf(rs) === 0 &&
        statusNumber(rs, 'replicas') === 0,
    )
    .sort((a, b) => revisionOf(a) - revisionOf(b));
  for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
    cluster.removeNow(KINDS.replicaSets, rs, 'Background');
  }
}

/** Reconciles every Deployment of a cluster. */
export const reconcileDeployments: Controller = (cluster) => {
  for (const d of listAll(cluster, KINDS.deployments)) {
    if (!d.metadata.deletionTimestamp) reconcileOne(cluster, d);
  }
  return undefined;
};
