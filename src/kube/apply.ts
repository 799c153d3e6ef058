/**
 * Applying a set of objects to one cluster in an order the API server accepts: namespaces, CRDs (awaited before
 * their resources), other cluster-scoped kinds, then namespaced objects, a bounded number at a time.
 */

import { StrataError } from '../core/errors.ts';
import { installRank } from '../core/hooks.ts';
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

/** How long applying waits for new CustomResourceDefinitions to be `Established` before their resources. */
const CRD_ESTABLISHED_TIMEOUT_MS = 30_000;

/**
 * Applies objects with server-side apply in an order the API server accepts: namespaces, then
 * CustomResourceDefinitions (awaited `Established` when the same batch holds their resources), then other
 * cluster-scoped kinds, then namespaced ones — each group in Helm's install order. Returns the live objects in
 * input order.
 */
export async function applyInOrder(
  client: KubeClient,
  objects: readonly KubeObject[],
): Promise<KubeObject[]> {
  const results = new Array<KubeObject>(objects.length);
  const indexed = objects
    .map((object, i) => ({ object, i }))
    .sort((a, b) => installRank(a.object.kind) - installRank(b.object.kind) || a.i - b.i);
  const crds = indexed.filter((x) => x.object.kind === 'CustomResourceDefinition');
  const namespaces = indexed.filter((x) => x.object.kind === 'Namespace');
  const clusterScoped = indexed.filter(
    (x) =>
      x.object.kind !== 'Namespace' &&
      x.object.kind !== 'CustomResourceDefinition' &&
      (isClusterScoped(x.object.kind) || x.object.metadata.namespace === undefined),
  );
  const namespaced = indexed.filter(
    (x) => !isClusterScoped(x.object.kind) && x.object.metadata.namespace !== undefined,
  );
  const apply = (group: typeof indexed) =>
    mapBounded(group, APPLY_CONCURRENCY, async ({ object, i }) => {
      results[i] = await client.apply(object);
    });
  await apply(namespaces);
  await apply(crds);
  const defined = new Set(crds.map((x) => definedKind(x.object)));
  if (
    [...clusterScoped, ...namespaced].some((x) =>
      defined.has(`${groupOf(x.object.apiVersion)}/${x.object.kind}`),
    )
  ) {
    await waitEstablished(
      client,
      crds.map((x) => x.object),
    );
  }
  await apply(clusterScoped);
  await apply(namespaced);
  return results;
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '';
}

function definedKind(crd: KubeObject): string {
  const spec = (crd.spec ?? {}) as { group?: string; names?: { kind?: string } };
  return `${spec.group ?? ''}/${spec.names?.kind ?? ''}`;
}

/** Resolves once every CRD reports `Established`; throws `Unavailable` naming the ones that did not in time. */
async function waitEstablished(client: KubeClient, crds: readonly KubeObject[]): Promise<void> {
  const deadline = Date.now() + CRD_ESTABLISHED_TIMEOUT_MS;
  let waiting = [...crds];
  while (waiting.length > 0) {
    const states = await Promise.all(
      waiting.map(async (crd) => {
        const live = await client.get({
          apiVersion: crd.apiVersion,
          kind: crd.kind,
          namespace: '',
          name: crd.metadata.name,
        });
        const conditions = (
          (live?.status ?? {}) as { conditions?: Array<{ type?: string; status?: string }> }
        ).conditions;
        return conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true;
      }),
    );
    waiting = waiting.filter((_, i) => !states[i]);
    if (waiting.length === 0) return;
    if (Date.now() > deadline) {
      throw new StrataError(
        'Unavailable',
        `CustomResourceDefinition ${waiting.map((c) => c.metadata.name).join(', ')} not Established within ${CRD_ESTABLISHED_TIMEOUT_MS / 1000} s; its resources wait.`,
        { crds: waiting.map((c) => c.metadata.name) },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
