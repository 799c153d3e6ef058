/**
 * The engine's own bookkeeping in a cluster's status (`status.engine`): the node templates in force (what nodes
 * are meant to run now — the applied infrastructure, which moves only when a repave is approved), a requested
 * prune, and per-pool pacing of node replacements. Read and written whole, with the status version as guard.
 */
import type { NodePoolSpec, ObjectRef, ResolvedLayer } from '../core/model.ts';
import type { ClusterStatus } from '../store/clusters.ts';
import type { ReleaseProgress } from './hooks.ts';
import type { NodeTemplate } from './node-template.ts';

/** The infrastructure in force: node layers, pools and the template each pool's nodes must match. */
export interface NodesInForce {
  /** The OS and Kubernetes layers nodes run (for repave reasons). */
  layers: ResolvedLayer[];
  /** The pools as last approved (machine shapes, for repave reasons). */
  pools: NodePoolSpec[];
  templates: Record<string, NodeTemplate>;
}

/** A prune a user asked for, done by the reconciler. */
export interface PruneRequest {
  objects: ObjectRef[];
  requestedAt: string;
  requestedBy: string;
}

/** The engine's part of a cluster's status. */
export interface EngineState {
  nodes?: NodesInForce;
  prune?: PruneRequest;
  /**
   * When a step last read the provider's nodes and found every pool complete, Ready and matching the templates in
   * force (epoch ms), and for which pools and templates (`key`). Later steps trust that for half of `resyncMs`
   * while the pools and templates keep that key and the node records all say Ready; the periodic resync reads
   * the provider again.
   */
  nodesSeen?: { at: number; key: string };
  /** Per pool: when its last node was replaced (epoch ms), to honour `pauseSeconds`. */
  lastReplacedAt?: Record<string, number>;
  /** Per chart layer with Helm hooks: where its release (hooks, then objects, then hooks) is. */
  releases?: Record<string, ReleaseProgress>;
  /**
   * The last step applied or deleted objects: the passes that follow wait for health by reading the health kinds
   * only (one labelled list each), not every managed kind; the drift watch and the periodic resync, which find
   * this unset, read everything.
   */
  settling?: boolean;
  /**
   * The generation whose update the rules let through when its first pass re-planned it. The plan's rules judge
   * the applied stack against the desired one and the catalog's packs, none of which move until the update
   * converges, so later passes of the same generation (the ones that wait for health) do not re-plan it.
   */
  updateChecked?: number;
  /** While settling: the workloads (refKeys) the last apply changed, whose health is read (the others were healthy). */
  settlingWorkloads?: string[];
}

/**
 * A cluster's status as the engine writes it: the store's, with `engine` typed. The store keeps that field opaque
 * (it does not know the engine's types), so the engine reads it with `engineStateOf` and writes it through
 * `storeStatus`, the two places the types meet.
 */
export type EngineClusterStatus = Omit<ClusterStatus, 'engine'> & { engine?: EngineState };

/** Returns the engine state stored in a status (empty when none). */
export function engineStateOf(status: ClusterStatus): EngineState {
  return (status.engine ?? {}) as EngineState;
}

/** Returns a status patch of the engine as the store takes it. */
export function storeStatus(patch: Partial<EngineClusterStatus>): Partial<ClusterStatus> {
  return patch as Partial<ClusterStatus>;
}
