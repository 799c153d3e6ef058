/**
 * What every reconciler and command shares: the store, the pack catalog, the infrastructure provider, the clock,
 * the caches (profile revisions, proposals, Kubernetes clients) and the engine's timings.
 */
import DataLoader from 'dataloader';
import type { Catalog } from '../core/catalog.ts';
import type { Clock } from '../core/clock.ts';
import { StrataError } from '../core/errors.ts';
import { KubeClient } from '../kube/client.ts';
import type { Renderer } from '../render/renderer.ts';
import { getClusterKubeconfig } from '../store/cluster-credentials.ts';
import { type ClusterWithRecords, getClustersWithRecords } from '../store/clusters.ts';
import type { Store } from '../store/open.ts';
import type { Infrastructure, SimulatorAccess } from './infrastructure.ts';
import { ProfileCache } from './profile-cache.ts';
import { ProposalCache } from './proposals.ts';

/** Delays the engine waits between reconcile steps. */
export interface EngineTimings {
  /** While waiting for something that takes time (nodes booting, pods starting): how soon to look again. */
  pollMs: number;
  /** Between periodic drift checks of every Running cluster (the backstop behind watches). */
  resyncMs: number;
  /** First retry delay after a failed step (doubles per attempt). */
  retryBaseMs: number;
}

/** The most clusters one batched read (`readCluster`) asks for. */
const READ_BATCH = 64;

/** Default timings: poll every second, resync every minute. */
export const DEFAULT_TIMINGS: EngineTimings = { pollMs: 1000, resyncMs: 60_000, retryBaseMs: 1000 };

/** The shared state of one engine process. */
export interface EngineContext {
  store: Store;
  catalog: Catalog;
  /** The simulated infrastructure and API server, when this process runs them. */
  sim: SimulatorAccess | null;
  infra: Infrastructure | null;
  clock: Clock;
  profiles: ProfileCache;
  /** Renders stacks (in the sandbox, cached). */
  renderer: Renderer;
  proposals: ProposalCache;
  /** Clusters a drift watch of this process saw changed: their next pass reads every managed kind. */
  driftSuspects: Set<string>;
  /**
   * Generations of objects this process just applied (`cluster/apiVersion/kind/namespace/name` → generation), so
   * its drift watch does not take Strata's own write for a change out of band. Bounded; oldest dropped first.
   */
  ownWrites: Map<string, number>;
  /**
   * Per cluster of a rollout in flight: the status version its driver last read and found still in flight, so a
   * gate step re-reads only clusters whose status moved since (or whose deadline passed). Bounded; a miss only
   * means one more read.
   */
  gateSeen: Map<string, number>;
  timings: EngineTimings;
  /**
   * Reads a cluster with its records for a reconcile pass. The reads the passes a worker starts together ask
   * for in one turn of the event loop go out as one statement (at most `READ_BATCH` names), not one each.
   */
  readCluster(name: string): Promise<ClusterWithRecords | undefined>;
  /** Returns the Kubernetes client of a cluster (cached per cluster). */
  kube(cluster: { name: string; spec: { cloudType: string } }): Promise<KubeClient>;
  /** Returns the admin kubeconfig Strata reaches a cluster with. */
  adminKubeconfig(cluster: { name: string; spec: { cloudType: string } }): Promise<string>;
  /** Forgets a cluster's cached client (after it is deleted). */
  forgetKube(name: string): void;
}

/** Builds the context. */
export function createEngineContext(options: {
  store: Store;
  catalog: Catalog;
  sim: SimulatorAccess | null;
  clock: Clock;
  renderer: Renderer;
  timings?: Partial<EngineTimings>;
}): EngineContext {
  const clients = new Map<string, KubeClient>();
  const adminKubeconfig = async (cluster: { name: string; spec: { cloudType: string } }): Promise<string> => {
    if (cluster.spec.cloudType === 'existing') {
      const text = await getClusterKubeconfig(options.store.db, cluster.name);
      if (!text) {
        throw new StrataError('NotFound', `Cluster ${cluster.name} has no stored kubeconfig.`, {
          cluster: cluster.name,
        });
      }
      return text;
    }
    if (!options.sim) {
      throw new StrataError(
        'Unavailable',
        `Cluster ${cluster.name} runs on the simulated infrastructure, which this process does not run.`,
        { cluster: cluster.name },
      );
    }
    return options.sim.kubeconfig(cluster.name, 'admin');
  };
  const reads = new DataLoader<string, ClusterWithRecords | undefined>(
    async (names) => {
      const found = await getClustersWithRecords(options.store.db, names);
      return names.map((n) => found.get(n));
    },
    { cache: false, maxBatchSize: READ_BATCH, batchScheduleFn: (run) => setImmediate(run) },
  );
  return {
    store: options.store,
    catalog: options.catalog,
    sim: options.sim,
    infra: options.sim ? options.sim.infra : null,
    clock: options.clock,
    profiles: new ProfileCache(options.store.db),
    renderer: options.renderer,
    proposals: new ProposalCache(options.renderer),
    driftSuspects: new Set(),
    ownWrites: new Map(),
    gateSeen: new Map(),
    timings: { ...DEFAULT_TIMINGS, ...(options.timings ?? {}) },
    adminKubeconfig,
    readCluster: (name) => reads.load(name),
    async kube(cluster) {
      let client = clients.get(cluster.name);
      if (!client) {
        client = KubeClient.fromKubeconfig(await adminKubeconfig(cluster));
        clients.set(cluster.name, client);
        if (clients.size > 20_000) clients.delete(clients.keys().next().value as string);
      }
      return client;
    },
    forgetKube(name) {
      clients.delete(name);
    },
  };
}
