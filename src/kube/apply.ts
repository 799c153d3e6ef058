/**
 * Applying a set of objects to one cluster in an order the API server accepts: namespaces and other
 * cluster-scoped kinds (CRDs, cluster roles) first, then namespaced objects, a bounded number at a time.
 */
import type { KubeObject } from '../core/model.ts';
import { isClusterScoped } from '../core/objects.ts';
import type { KubeClient } from './client.ts';

/** Requests in flight per cluster while applying namespaced objects. */
const APPLY_CONCURRENCY = 8;

/** Runs `fn` over `items` with at most `limit` at once; returns the results in input order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next;
      next += 1;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Applies objects with server-side apply, cluster-scoped ones first; returns the live objects in input order. */
export async function applyInOrder(
  client: KubeClient,
  objects: readonly KubeObject[],
): Promise<KubeObject[]> {
  const results = new Array<KubeObject>(objects.length);
  const indexed = objects.map((object, i) => ({ object, i }));
  const namespaces = indexed.filter((x) => x.object.kind === 'Namespace');
  const clusterScoped = indexed.filter(
    (x) => x.object.kind !== 'Namespace' && isClusterScoped(x.object.kind),
  );
  const namespaced = indexed.filter((x) => !isClusterScoped(x.object.kind));
  for (const group of [namespaces, clusterScoped, namespaced]) {
    await mapBounded(group, APPLY_CONCURRENCY, async ({ object, i }) => {
      results[i] = await client.apply(object);
    });
  }
  return results;
}
