/**
 * Node pools and nodes as observed. A pool's desired shape lives in the cluster spec (`clusters.ts` mirrors
 * name, role and count here); this file holds what the engine observes: pool status and the nodes themselves.
 */
import { sql } from 'kysely';
import type { PoolRole } from '../core/model.ts';
import type { Executor } from './schema.ts';
import { toJson } from './transact.ts';

/** A pool as stored: desired role and count (from the spec) and observed status. */
export interface StoredNodePool {
  cluster: string;
  name: string;
  role: PoolRole;
  desiredCount: number;
  status: Record<string, unknown>;
  updatedAt: Date;
}

/** A node of a pool; `info` is what the infrastructure reports (OS image, kubelet version, runtime, readiness). */
export interface StoredNode {
  cluster: string;
  name: string;
  pool: string;
  info: Record<string, unknown>;
  createdAt: Date;
}

/** A node to record. */
export type NodeInput = Omit<StoredNode, 'createdAt'>;

const BATCH = 1000;

/** Returns a cluster's pools by name. */
export async function listNodePools(executor: Executor, cluster: string): Promise<StoredNodePool[]> {
  const rows = await executor
    .selectFrom('node_pools')
    .selectAll()
    .where('cluster', '=', cluster)
    .orderBy('name')
    .execute();
  return rows.map((r) => ({
    cluster: r.cluster,
    name: r.name,
    role: r.role as PoolRole,
    desiredCount: r.desired_count,
    status: r.status as Record<string, unknown>,
    updatedAt: r.updated_at,
  }));
}

/** Merges fields into a pool's observed status; returns false when the pool does not exist. */
export async function updateNodePoolStatus(
  executor: Executor,
  cluster: string,
  pool: string,
  patch: Record<string, unknown>,
): Promise<boolean> {
  const row = await executor
    .updateTable('node_pools')
    .set({ status: sql`status || ${toJson(patch)}::jsonb`, updated_at: sql`now()` })
    .where('cluster', '=', cluster)
    .where('name', '=', pool)
    .returning('name')
    .executeTakeFirst();
  return row !== undefined;
}

/** Records nodes (insert or replace `info` and `pool`), in batches; returns how many were written. */
export async function upsertNodes(executor: Executor, nodes: readonly NodeInput[]): Promise<number> {
  for (let i = 0; i < nodes.length; i += BATCH) {
    await executor
      .insertInto('nodes')
      .values(
        nodes
          .slice(i, i + BATCH)
          .map((n) => ({ cluster: n.cluster, name: n.name, pool: n.pool, doc: toJson(n.info) })),
      )
      .onConflict((oc) =>
        oc.columns(['cluster', 'name']).doUpdateSet({
          pool: (eb) => eb.ref('excluded.pool'),
          doc: (eb) => eb.ref('excluded.doc'),
          updated_at: sql`now()`,
        }),
      )
      .execute();
  }
  return nodes.length;
}

/** Removes nodes of a cluster by name; returns how many were removed. */
export async function deleteNodes(
  executor: Executor,
  cluster: string,
  names: readonly string[],
): Promise<number> {
  if (names.length === 0) return 0;
  const result = await executor
    .deleteFrom('nodes')
    .where('cluster', '=', cluster)
    .where('name', 'in', names)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Returns a cluster's nodes ordered by pool and name; one pool's when `pool` is given. */
export async function listNodes(executor: Executor, cluster: string, pool?: string): Promise<StoredNode[]> {
  let q = executor.selectFrom('nodes').selectAll().where('cluster', '=', cluster);
  if (pool !== undefined) q = q.where('pool', '=', pool);
  const rows = await q.orderBy('pool').orderBy('name').execute();
  return rows.map((r) => ({
    cluster: r.cluster,
    name: r.name,
    pool: r.pool,
    info: r.doc as Record<string, unknown>,
    createdAt: r.created_at,
  }));
}
