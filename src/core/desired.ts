/**
 * Desired objects: what a stack renders to, with a hash per object to tell changed from unchanged.
 *
 * Renders are cached per (pack, version, profile, values) with a placeholder cluster name, because most
 * clusters of a fleet share their configuration; the cluster's own label is stamped on afterwards. Hashes
 * are taken on the shared render, so they are equal across clusters with equal configuration.
 */
import type { Catalog } from './catalog.ts';
import type { InventoryEntry, KubeObject, ObjectRef, ResolvedLayer } from './model.ts';
import { hashObject, refKey, refOf } from './objects.ts';
import { renderLayer, STRATA_LABELS } from './render.ts';

/** One object a layer wants on the cluster. */
export interface DesiredObject {
  ref: ObjectRef;
  key: string;
  hash: string;
  pack: string;
  object: KubeObject;
}

/** The placeholder cluster name shared renders carry until `forCluster` stamps the real one. */
const SHARED_CLUSTER = 'shared';
const CLUSTER_LABEL = STRATA_LABELS.cluster;
const CACHE_LIMIT = 4096;
const renderCache = new Map<string, DesiredObject[]>();

/** Returns the objects one layer renders to (shared across clusters; do not mutate). */
export function desiredObjectsOfLayer(layer: ResolvedLayer, catalog: Catalog): DesiredObject[] {
  const pack = catalog.require(layer.pack, layer.version);
  if (pack.manifests.length === 0) return [];
  const cacheKey = `${layer.pack}@${layer.version}\u0000${layer.profile}\u0000${layer.values}`;
  const cached = renderCache.get(cacheKey);
  if (cached) {
    // Refresh recency so hot configurations stay cached.
    renderCache.delete(cacheKey);
    renderCache.set(cacheKey, cached);
    return cached;
  }
  const objects = renderLayer(pack, layer.values, { cluster: SHARED_CLUSTER, profile: layer.profile }).map(
    (object) => {
      const ref = refOf(object);
      return { ref, key: refKey(ref), hash: hashObject(object), pack: layer.pack, object };
    },
  );
  renderCache.set(cacheKey, objects);
  if (renderCache.size > CACHE_LIMIT) renderCache.delete(renderCache.keys().next().value as string);
  return objects;
}

/** Returns every object a stack renders to, layer by layer in stack order. */
export function desiredObjectsOfStack(stack: readonly ResolvedLayer[], catalog: Catalog): DesiredObject[] {
  return stack.flatMap((layer) => desiredObjectsOfLayer(layer, catalog));
}

/** Returns a copy of a shared desired object labelled for one cluster, ready to apply. */
export function forCluster(desired: DesiredObject, cluster: string): KubeObject {
  const object = structuredClone(desired.object);
  object.metadata.labels = { ...(object.metadata.labels ?? {}), [CLUSTER_LABEL]: cluster };
  return object;
}

/** Returns inventory entries for what was applied from `desired` (none unused). */
export function inventoryOf(desired: readonly DesiredObject[]): InventoryEntry[] {
  return desired.map((d) => ({ ...d.ref, pack: d.pack, hash: d.hash, unused: false }));
}
