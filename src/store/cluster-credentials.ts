/**
 * Credentials of `existing` clusters: the kubeconfig Strata reaches them with. Kept in their own table so the
 * cluster's status (which every viewer reads) never carries a secret; deleted with the cluster by cascade.
 */
import { sql } from 'kysely';
import type { Executor } from './schema.ts';

/** Stores (or replaces) a cluster's kubeconfig; returns nothing. Call it in the transaction creating the cluster. */
export async function putClusterKubeconfig(
  executor: Executor,
  cluster: string,
  kubeconfig: string,
): Promise<void> {
  await executor
    .insertInto('cluster_credentials')
    .values({ cluster, kubeconfig })
    .onConflict((oc) => oc.column('cluster').doUpdateSet({ kubeconfig, updated_at: sql`now()` }))
    .execute();
}

/** Returns a cluster's stored kubeconfig, or undefined when Strata holds none (simulated clusters). */
export async function getClusterKubeconfig(executor: Executor, cluster: string): Promise<string | undefined> {
  const row = await executor
    .selectFrom('cluster_credentials')
    .select('kubeconfig')
    .where('cluster', '=', cluster)
    .executeTakeFirst();
  return row?.kubeconfig;
}
