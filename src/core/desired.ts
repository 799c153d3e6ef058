/**
 * Desired objects: what a stack renders to, with a hash per object to tell changed from unchanged.
 *
 * Renders (src/render/) are shared by clusters with equal configuration, so they carry a placeholder cluster
 * label; `forCluster` stamps the real one. Hashes are taken on the shared render, so they are equal across
 * clusters with equal configuration.
 */
import type { InventoryEntry, KubeObject, ObjectRef } from './model.ts';
import { STRATA_LABELS, toLabelValue } from './render.ts';

/** One object a layer wants on the cluster. */
export interface DesiredObject {
  ref: ObjectRef;
  key: string;
  hash: string;
  pack: string;
  object: KubeObject;
}

/** The placeholder cluster name shared renders carry until `forCluster` stamps the real one. */
export const SHARED_CLUSTER = 'shared';
const CLUSTER_LABEL = STRATA_LABELS.cluster;

/** Returns a copy of a shared desired object labelled for one cluster, ready to apply. */
export function forCluster(desired: DesiredObject, cluster: string): KubeObject {
  const object = structuredClone(desired.object);
  object.metadata.labels = { ...(object.metadata.labels ?? {}), [CLUSTER_LABEL]: toLabelValue(cluster) };
  return object;
}

/** Returns inventory entries for what was applied from `desired` (none unused). */
export function inventoryOf(desired: readonly DesiredObject[]): InventoryEntry[] {
  return desired.map((d) => ({ ...d.ref, pack: d.pack, hash: d.hash, unused: false }));
}
