/**
 * ControllerRevisions of DaemonSets and StatefulSets, as their Kubernetes controllers keep them: one per pod
 * template (`<owner>-<hash>`, `data` the template as a strategic-merge patch, `revision` counting up), found again
 * by content — so a template read back from the store, or rolled back to, keeps its revision and its pods — and
 * pruned beyond `revisionHistoryLimit`. `kubectl rollout history` lists them and `kubectl rollout undo` applies
 * one's `data`.
 */
import { defaultedPodTemplate } from '../defaults.ts';
import type { KubeObject } from '../kube-object.ts';
import { isJsonObject, jsonEqual } from '../kube-object.ts';
import type { ResourceType } from '../resources.ts';
import type { SimCluster } from '../sim-cluster.ts';
import {
  controllerRef,
  isControlledBy,
  KINDS,
  section,
  templateHash,
  writeChange,
} from './controller-writes.ts';

/** The label naming a pod's (and a revision's) template hash. */
export const REVISION_HASH_LABEL = 'controller-revision-hash';

function templateOf(revision: KubeObject): unknown {
  const data = revision['data'];
  const spec = isJsonObject(data) && isJsonObject(data['spec']) ? data['spec'] : {};
  if (!isJsonObject(spec['template'])) return undefined;
  const { $patch: _, ...template } = spec['template'];
  return defaultedPodTemplate(template);
}

/** Returns an owner's revisions, oldest first. */
export function revisionsOf(cluster: SimCluster, owner: KubeObject): KubeObject[] {
  return cluster.store
    .list(`apps/${KINDS.controllerRevisions.plural}`, owner.metadata.namespace)
    .filter((r) => isControlledBy(r, owner))
    .sort((a, b) => Number(a['revision'] ?? 0) - Number(b['revision'] ?? 0));
}

/**
 * Returns the hash of the revision holding the owner's current template, making that revision (or, after a
 * rollback, renumbering it as the newest) as needed.
 */
export function currentRevisionHash(cluster: SimCluster, owner: KubeObject, ownerType: ResourceType): string {
  // The same stored owner has the same template: its revision's hash holds while that revision exists.
  const known = knownHash.get(owner);
  const revisionsKey = `apps/${KINDS.controllerRevisions.plural}`;
  if (known && cluster.store.get(revisionsKey, owner.metadata.namespace, `${owner.metadata.name}-${known}`)) {
    return known;
  }
  const hash = findOrMakeRevision(cluster, owner, ownerType);
  knownHash.set(owner, hash);
  return hash;
}

const knownHash = new WeakMap<object, string>();

function findOrMakeRevision(cluster: SimCluster, owner: KubeObject, ownerType: ResourceType): string {
  const template = defaultedPodTemplate(section(owner, 'spec')['template']);
  const revisions = revisionsOf(cluster, owner);
  const newest = Number(revisions.at(-1)?.['revision'] ?? 0);
  const match = revisions.find((r) => jsonEqual(templateOf(r), template));
  if (match) {
    if (Number(match['revision'] ?? 0) < newest) {
      writeChange(cluster, KINDS.controllerRevisions, match, (r) => {
        r['revision'] = newest + 1;
      });
    }
    return match.metadata.labels?.[REVISION_HASH_LABEL] ?? templateHash(template);
  }
  const hash = templateHash(template);
  const selector = section(owner, 'spec')['selector'];
  const matchLabels =
    isJsonObject(selector) && isJsonObject(selector['matchLabels'])
      ? (selector['matchLabels'] as Record<string, string>)
      : {};
  const raw = section(owner, 'spec')['template'];
  cluster.createObject(KINDS.controllerRevisions, {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${owner.metadata.name}-${hash}`,
      namespace: owner.metadata.namespace,
      labels: { ...matchLabels, [REVISION_HASH_LABEL]: hash },
      ownerReferences: [controllerRef(ownerType, owner)],
    },
    data: { spec: { template: { ...(isJsonObject(raw) ? raw : {}), $patch: 'replace' } } },
    revision: newest + 1,
  });
  return hash;
}

/** Deletes the oldest revisions beyond `revisionHistoryLimit` that no live pod runs. */
export function pruneRevisions(cluster: SimCluster, owner: KubeObject, inUse: ReadonlySet<string>): void {
  const limit = section(owner, 'spec')['revisionHistoryLimit'];
  if (typeof limit !== 'number') return;
  const revisions = revisionsOf(cluster, owner);
  const spare = revisions
    .slice(0, -1)
    .filter((r) => !inUse.has(r.metadata.labels?.[REVISION_HASH_LABEL] ?? ''));
  for (const r of spare.slice(0, Math.max(0, revisions.length - 1 - limit))) {
    cluster.removeNow(KINDS.controllerRevisions, r, 'Background');
  }
}
