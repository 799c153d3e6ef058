/**
 * The inventory: every Kubernetes object Strata applied to a cluster, per layer (pack), with the hash of what
 * was applied. The engine diffs a new render against it to find changed and no-longer-used objects.
 */
import { sql } from 'kysely';
import type { InventoryEntry, ObjectRef } from '../core/model.ts';
import type { Executor, Row } from './schema.ts';
import { withTransaction } from './transact.ts';

const BATCH = 1000;

/** Returns a cluster's inventory ordered by pack, kind, namespace and name; only one layer's when `pack` is given. */
export async function listInventory(
  executor: Executor,
  cluster: string,
  pack?: string,
): Promise<InventoryEntry[]> {
  let q = executor.selectFrom('inventory').selectAll().where('cluster', '=', cluster);
  if (pack !== undefined) q = q.where('pack', '=', pack);
  const rows = await q.orderBy('pack').orderBy('kind').orderBy('namespace').orderBy('name').execute();
  return rows.map(entryOf);
}

function entryOf(r: Row<'inventory'>): InventoryEntry {
  return {
    apiVersion: r.api_version,
    kind: r.kind,
    namespace: r.namespace,
    name: r.name,
    pack: r.pack,
    hash: r.hash,
    unused: r.unused,
  };
}

/** Returns the inventories of many clusters in one query, each ordered as `listInventory` orders it. */
export async function listInventories(
  executor: Executor,
  clusters: readonly string[],
): Promise<Map<string, InventoryEntry[]>> {
  const out = new Map<string, InventoryEntry[]>(clusters.map((c) => [c, []]));
  if (clusters.length === 0) return out;
  const rows = await executor
    .selectFrom('inventory')
    .selectAll()
    .where('cluster', 'in', clusters)
    .orderBy('cluster')
    .orderBy('pack')
    .orderBy('kind')
    .orderBy('namespace')
    .orderBy('name')
    .execute();
  for (const r of rows) out.get(r.cluster)?.push(entryOf(r));
  return out;
}

/** Records applied objects (insert or replace by object identity) in batches; returns how many were written. */
export async function upsertInventory(
  executor: Executor,
  cluster: string,
  entries: readonly InventoryEntry[],
): Promise<number> {
  return upsertInventoryRows(
    executor,
    entries.map((e) => ({ ...e, cluster })),
  );
}

/** `upsertInventory` for the objects of many clusters at once (one statement per batch of rows). */
export async function upsertInventoryRows(
  executor: Executor,
  rows: ReadonlyArray<InventoryEntry & { cluster: string }>,
): Promise<number> {
  if (rows.length === 0) return 0;
  return withTransaction(executor, async (trx) => {
    for (let i = 0; i < rows.length; i += BATCH) {
      await trx
        .insertInto('inventory')
        .values(
          rows.slice(i, i + BATCH).map((e) => ({
            cluster: e.cluster,
            api_version: e.apiVersion,
            kind: e.kind,
            namespace: e.namespace,
            name: e.name,
            pack: e.pack,
            hash: e.hash,
            unused: e.unused,
          })),
        )
        .onConflict((oc) =>
          oc.columns(['cluster', 'api_version', 'kind', 'namespace', 'name']).doUpdateSet({
            pack: (eb) => eb.ref('excluded.pack'),
            hash: (eb) => eb.ref('excluded.hash'),
            unused: (eb) => eb.ref('excluded.unused'),
            updated_at: sql`now()`,
          }),
        )
        .execute();
    }
    return rows.length;
  });
}

/** Marks objects as unused (left the render, kept until pruned) or used again; returns how many rows changed. */
export async function setInventoryUnused(
  executor: Executor,
  cluster: string,
  refs: readonly ObjectRef[],
  unused: boolean,
): Promise<number> {
  if (refs.length === 0) return 0;
  const result = await sql`
    UPDATE inventory AS i SET unused = ${unused}, updated_at = now()
    FROM unnest(${refs.map((r) => r.apiVersion)}::text[], ${refs.map((r) => r.kind)}::text[],
      ${refs.map((r) => r.namespace)}::text[], ${refs.map((r) => r.name)}::text[]) AS u(api_version, kind, namespace, name)
    WHERE i.cluster = ${cluster} AND i.api_version = u.api_version AND i.kind = u.kind
      AND i.namespace = u.namespace AND i.name = u.name AND i.unused IS DISTINCT FROM ${unused}`.execute(
    executor,
  );
  return Number(result.numAffectedRows ?? 0);
}

/** Forgets objects (after they were pruned from the cluster); returns how many rows were removed. */
export async function removeInventory(
  executor: Executor,
  cluster: string,
  refs: readonly ObjectRef[],
): Promise<number> {
  if (refs.length === 0) return 0;
  const result = await sql`
    DELETE FROM inventory AS i
    USING unnest(${refs.map((r) => r.apiVersion)}::text[], ${refs.map((r) => r.kind)}::text[],
      ${refs.map((r) => r.namespace)}::text[], ${refs.map((r) => r.name)}::text[]) AS u(api_version, kind, namespace, name)
    WHERE i.cluster = ${cluster} AND i.api_version = u.api_version AND i.kind = u.kind
      AND i.namespace = u.namespace AND i.name = u.name`.execute(executor);
  return Number(result.numAffectedRows ?? 0);
}
