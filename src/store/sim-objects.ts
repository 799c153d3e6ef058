/**
 * Durable storage of the simulated clusters' Kubernetes objects (the `SimObjectPersistence` the simulator
 * uses), so a restart of Strata keeps every simulated cluster's objects and resourceVersions.
 */

import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type {
  SimObjectKey,
  SimObjectPersistence,
  SimObjectRecord,
  SimObjectWrite,
} from '../sim/persistence.ts';
import type { Database } from './schema.ts';
import { toJson } from './transact.ts';

const BATCH = 500;

function keyOf(cluster: string, k: Omit<SimObjectKey, 'cluster'>): string {
  return JSON.stringify([cluster, k.group, k.resource, k.namespace, k.name]);
}

/** `SimObjectPersistence` on the store's `sim_objects` and `sim_clusters` tables. */
export class StoreSimPersistence implements SimObjectPersistence {
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
   * Applies puts and deletes atomically, in multi-row statements; returns nothing. Several writes to one key in
   * a batch collapse to the last, as if applied in order.
   */
  async write(cluster: string, writes: SimObjectWrite[], lastResourceVersion: number): Promise<void> {
    const finalByKey = new Map<string, SimObjectWrite>();
    for (const w of writes) finalByKey.set(keyOf(cluster, w.op === 'put' ? w.record : w.key), w);
    const puts: SimObjectRecord[] = [];
    const deletes: SimObjectKey[] = [];
    for (const w of finalByKey.values()) {
      if (w.op === 'put') puts.push(w.record);
      else deletes.push(w.key);
    }
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < puts.length; i += BATCH) {
        await trx
          .insertInto('sim_objects')
          .values(
            puts.slice(i, i + BATCH).map((r) => ({
              cluster,
              api_group: r.group,
              resource: r.resource,
              namespace: r.namespace,
              name: r.name,
              resource_version: r.resourceVersion,
              object: toJson(r.object),
            })),
          )
          .onConflict((oc) =>
            oc.columns(['cluster', 'api_group', 'resource', 'namespace', 'name']).doUpdateSet({
              resource_version: (eb) => eb.ref('excluded.resource_version'),
              object: (eb) => eb.ref('excluded.object'),
            }),
          )
          .execute();
      }
      for (let i = 0; i < deletes.length; i += BATCH) {
        const batch = deletes.slice(i, i + BATCH);
        await sql`
          DELETE FROM sim_objects AS o
          USING unnest(${batch.map((k) => k.group)}::text[], ${batch.map((k) => k.resource)}::text[],
            ${batch.map((k) => k.namespace)}::text[], ${batch.map((k) => k.name)}::text[]) AS u(api_group, resource, namespace, name)
          WHERE o.cluster = ${cluster} AND o.api_group = u.api_group AND o.resource = u.resource
            AND o.namespace = u.namespace AND o.name = u.name`.execute(trx);
      }
      await trx
        .insertInto('sim_clusters')
        .values({ cluster, last_resource_version: lastResourceVersion })
        .onConflict((oc) =>
          oc.column('cluster').doUpdateSet({
            last_resource_version: sql`greatest(sim_clusters.last_resource_version, excluded.last_resource_version)`,
          }),
        )
        .execute();
    });
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
