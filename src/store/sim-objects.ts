/**
 * Durable storage of the simulated clusters' Kubernetes objects, so a restart of Strata keeps every simulated
 * cluster's objects and resourceVersions. The simulator owns the port (`SimObjectPersistence` in
 * src/sim/persistence.ts); the store does not import it. It describes the rows it keeps in its own terms below,
 * and the composition root (src/main/up.ts) hands this class to the simulator as that port, where the compiler
 * checks that the two agree.
 */

import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from './schema.ts';
import { toJson } from './transact.ts';

/** One stored object of one simulated cluster: its identity, resourceVersion (monotonic per cluster) and JSON. */
export interface SimObjectRecord {
  cluster: string;
  /** API group ('' for core). */
  group: string;
  /** Plural resource name. */
  resource: string;
  /** '' for cluster-scoped objects. */
  namespace: string;
  name: string;
  resourceVersion: number;
  object: Record<string, unknown>;
}

type SimObjectKey = Pick<SimObjectRecord, 'cluster' | 'group' | 'resource' | 'namespace' | 'name'>;
type SimObjectWrite = { op: 'put'; record: SimObjectRecord } | { op: 'delete'; key: SimObjectKey };

/** One cluster's writes of a batch, in order, and the highest resourceVersion they reached. */
export interface SimClusterWrite {
  cluster: string;
  writes: SimObjectWrite[];
  lastResourceVersion: number;
}

const BATCH = 500;

function keyOf(k: SimObjectKey): string {
  return JSON.stringify([k.cluster, k.group, k.resource, k.namespace, k.name]);
}

/** The simulator's object persistence on the store's `sim_objects` and `sim_clusters` tables. */
export class StoreSimPersistence {
  constructor(private readonly db: Kysely<Database>) {}

  /** Returns a cluster's objects (one index range on the primary key) and its last resourceVersion. */
  async loadCluster(cluster: string): Promise<{ objects: SimObjectRecord[]; lastResourceVersion: number }> {
    const [rows, last] = await Promise.all([
      this.db.selectFrom('sim_objects').selectAll().where('cluster', '=', cluster).execute(),
      this.db
        .selectFrom('sim_clusters')
        .select('last_resource_version')
        .where('cluster', '=', cluster)
        .executeTakeFirst(),
    ]);
    return {
      objects: rows.map((r) => ({
        cluster: r.cluster,
        group: r.api_group,
        resource: r.resource,
        namespace: r.namespace,
        name: r.name,
        resourceVersion: r.resource_version,
        object: r.object as Record<string, unknown>,
      })),
      lastResourceVersion: last?.last_resource_version ?? 0,
    };
  }

  /**
   * Applies the clusters' puts and deletes atomically: the usual group fits one statement (atomic on its own, one
   * round trip however many clusters); a larger one is the same statement per slice, in one transaction.
   * Several writes to one key collapse to the last, as if applied in order.
   */
  async writeMany(batch: readonly SimClusterWrite[]): Promise<void> {
    const finalByKey = new Map<string, SimObjectWrite>();
    for (const { writes } of batch)
      for (const w of writes) finalByKey.set(keyOf(w.op === 'put' ? w.record : w.key), w);
    const puts: SimObjectRecord[] = [];
    const deletes: SimObjectKey[] = [];
    for (const w of finalByKey.values()) {
      if (w.op === 'put') puts.push(w.record);
      else deletes.push(w.key);
    }
    const counters = new Map<string, number>();
    for (const { cluster, lastResourceVersion } of batch)
      counters.set(cluster, Math.max(counters.get(cluster) ?? 0, lastResourceVersion));
    const slices = Math.max(1, Math.ceil(Math.max(puts.length, deletes.length) / BATCH));
    const writeSlice = (executor: Kysely<Database>, i: number) =>
      this.writeInOneStatement(
        executor,
        puts.slice(i * BATCH, (i + 1) * BATCH),
        deletes.slice(i * BATCH, (i + 1) * BATCH),
        i === 0 ? counters : new Map(),
      );
    if (slices === 1) {
      await writeSlice(this.db, 0);
      return;
    }
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < slices; i++) await writeSlice(trx, i);
    });
  }

  /**
   * Puts, deletes and the counters in one statement: data-modifying CTEs see one snapshot, keys are distinct.
   * Rows carry their cluster, so one statement serves any number of clusters.
   */
  private async writeInOneStatement(
    executor: Kysely<Database>,
    puts: readonly SimObjectRecord[],
    deletes: readonly SimObjectKey[],
    counters: ReadonlyMap<string, number>,
  ): Promise<void> {
    await sql`
      WITH put AS (
        INSERT INTO sim_objects AS o (cluster, api_group, resource, namespace, name, resource_version, object)
        SELECT u.cluster, u.api_group, u.resource, u.namespace, u.name, u.rv, u.object
        FROM unnest(${puts.map((r) => r.cluster)}::text[], ${puts.map((r) => r.group)}::text[],
          ${puts.map((r) => r.resource)}::text[], ${puts.map((r) => r.namespace)}::text[],
          ${puts.map((r) => r.name)}::text[], ${puts.map((r) => r.resourceVersion)}::bigint[],
          ${puts.map((r) => toJson(r.object))}::jsonb[])
          AS u(cluster, api_group, resource, namespace, name, rv, object)
        ON CONFLICT (cluster, api_group, resource, namespace, name)
          DO UPDATE SET resource_version = excluded.resource_version, object = excluded.object
      ), del AS (
        DELETE FROM sim_objects AS o
        USING unnest(${deletes.map((k) => k.cluster)}::text[], ${deletes.map((k) => k.group)}::text[],
          ${deletes.map((k) => k.resource)}::text[], ${deletes.map((k) => k.namespace)}::text[],
          ${deletes.map((k) => k.name)}::text[])
          AS u(cluster, api_group, resource, namespace, name)
        WHERE o.cluster = u.cluster AND o.api_group = u.api_group AND o.resource = u.resource
          AND o.namespace = u.namespace AND o.name = u.name
      )
      INSERT INTO sim_clusters AS c (cluster, last_resource_version)
      SELECT * FROM unnest(${[...counters.keys()]}::text[], ${[...counters.values()]}::bigint[])
      ON CONFLICT (cluster) DO UPDATE
        SET last_resource_version = greatest(c.last_resource_version, excluded.last_resource_version)`.execute(
      executor,
    );
  }

  /** Removes every object of a cluster and its resourceVersion counter. */
  async deleteCluster(cluster: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('sim_objects').where('cluster', '=', cluster).execute();
      await trx.deleteFrom('sim_clusters').where('cluster', '=', cluster).execute();
    });
  }

  /** Returns the names of simulated clusters with stored state, sorted. */
  async listClusters(): Promise<string[]> {
    const rows = await this.db.selectFrom('sim_clusters').select('cluster').orderBy('cluster').execute();
    return rows.map((r) => r.cluster);
  }
}
