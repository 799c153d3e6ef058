/**
 * How the simulated Kubernetes API servers persist their objects. The simulator owns the objects' meaning;
 * the store (src/store) implements this interface on a table, so a restart of Strata keeps every simulated
 * cluster's objects, resource versions and container IDs.
 */

/** One stored object of one simulated cluster. */
export interface SimObjectRecord {
  cluster: string;
  /** API group ('' for core), e.g. 'apps'. */
  group: string;
  /** Plural resource name, e.g. 'deployments'. */
  resource: string;
  /** '' for cluster-scoped objects. */
  namespace: string;
  name: string;
  /** The object's resourceVersion as a number (monotonic per cluster). */
  resourceVersion: number;
  /** The full object as JSON. */
  object: Record<string, unknown>;
}

/** The key of a stored object. */
export type SimObjectKey = Pick<SimObjectRecord, 'cluster' | 'group' | 'resource' | 'namespace' | 'name'>;

/** A write to apply atomically with others of the same batch. */
export type SimObjectWrite = { op: 'put'; record: SimObjectRecord } | { op: 'delete'; key: SimObjectKey };

/** The writes of one cluster in a group write, in order, and the highest resourceVersion they reached. */
export interface SimClusterWrite {
  cluster: string;
  writes: SimObjectWrite[];
  lastResourceVersion: number;
}

/** Durable storage of simulated clusters' objects. Implementations apply one `writeMany` call atomically. */
export interface SimObjectPersistence {
  /** Returns every object of a cluster and the highest resourceVersion ever issued in it (0 if none). */
  loadCluster(cluster: string): Promise<{ objects: SimObjectRecord[]; lastResourceVersion: number }>;
  /**
   * Applies the puts and deletes of several clusters in one transaction, each cluster's in order (several
   * writes to one key: the last wins), and records each cluster's last resourceVersion.
   */
  writeMany(batch: readonly SimClusterWrite[]): Promise<void>;
  /** Removes every object of a cluster. */
  deleteCluster(cluster: string): Promise<void>;
  /** Names of clusters that have stored objects (for listing; not used on hot paths). */
  listClusters(): Promise<string[]>;
}

/** Keeps objects in memory only: for tests and for a store-less simulator. */
export class InMemorySimPersistence implements SimObjectPersistence {
  private readonly clusters = new Map<string, { objects: Map<string, SimObjectRecord>; last: number }>();

  private static keyOf(k: SimObjectKey): string {
    return `${k.group}/${k.resource}/${k.namespace}/${k.name}`;
  }

  async loadCluster(cluster: string): Promise<{ objects: SimObjectRecord[]; lastResourceVersion: number }> {
    const c = this.clusters.get(cluster);
    if (!c) return { objects: [], lastResourceVersion: 0 };
    return { objects: [...c.objects.values()].map((r) => structuredClone(r)), lastResourceVersion: c.last };
  }

  async writeMany(batch: readonly SimClusterWrite[]): Promise<void> {
    for (const { cluster, writes, lastResourceVersion } of batch) {
      let c = this.clusters.get(cluster);
      if (!c) {
        c = { objects: new Map(), last: 0 };
        this.clusters.set(cluster, c);
      }
      for (const w of writes) {
        if (w.op === 'put') c.objects.set(InMemorySimPersistence.keyOf(w.record), structuredClone(w.record));
        else c.objects.delete(InMemorySimPersistence.keyOf(w.key));
      }
      c.last = Math.max(c.last, lastResourceVersion);
    }
  }

  async deleteCluster(cluster: string): Promise<void> {
    this.clusters.delete(cluster);
  }

  async listClusters(): Promise<string[]> {
    return [...this.clusters.keys()];
  }
}
