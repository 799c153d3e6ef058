/**
 * The engine's contract with its callers (the REST API, `strata up`, tests): commands that change desired
 * state in one transaction and queue durable work, and reads that compose store and cluster state.
 * The API layer stays thin by calling only this.
 */
import type { ClusterSpec, NodePoolSpec, ObjectRef, ProfileVersion } from '../core/model.ts';
import type { PendingConfiguration } from '../core/pending.ts';
import type { Plan } from '../core/plan-types.ts';
import type { AuditContext } from '../store/audit.ts';
import type { StoredCluster } from '../store/clusters.ts';

/** A request to create a cluster (REST body of `POST /v1/clusters`). */
export interface CreateClusterInput {
  name: string;
  /** `NAME@VERSION` references: one full/infra profile (none for `existing`) plus any add-on profiles. */
  profiles: string[];
  cloudType?: ClusterSpec['cloudType'];
  /** Control-plane nodes: 1, 3 or 5 (default 1). */
  controlPlane?: 1 | 3 | 5;
  /** Worker nodes (default 2). */
  workers?: number;
  /** Full pool definitions; replaces `controlPlane`/`workers` when given. */
  pools?: NodePoolSpec[];
  settings?: Partial<ClusterSpec['settings']>;
  labels?: Record<string, string>;
  /** For `existing` clusters: the kubeconfig Strata reaches the cluster with. */
  kubeconfig?: string;
}

/** What a user asks of a running cluster (REST bodies of `plan` and `update`). */
export type ClusterChangeInput =
  | {
      kind: 'profiles';
      /** `NAME@VERSION` references; the current revision of each version is used. */
      profiles: string[];
      /** Values settled on per pack in the editor. */
      resolutions?: Record<string, string>;
      chain?: boolean;
    }
  | { kind: 'override'; pack: string; values: string | null; presets?: string[] }
  | { kind: 'pools'; pools: NodePoolSpec[] };

/** A plan as shown to a user, with the pending configuration the editor displays. */
export interface ClusterPlanView {
  cluster: string;
  plan: Plan;
  /** Per pack: current values (left) and pending values (right) for the editor. */
  layers: Array<{ pack: string; current: string | null; pending: string | null }>;
  pending: PendingConfiguration;
  /** The spec resourceVersion the plan was computed from; pass it back to `applyChange`. */
  resourceVersion: number;
}

/** Options of `applyChange`. */
export interface ApplyOptions {
  /** Refuse with `Conflict` when the cluster changed since the plan was shown. */
  expectedResourceVersion?: number;
}

/** The outcome of a prune request. */
export interface PruneResult {
  dryRun: boolean;
  objects: ObjectRef[];
  /** Objects refused (over the cap without `force`). */
  refused: boolean;
}

/** Pods of a cluster grouped by namespace, as the workloads view shows them. */
export interface WorkloadsView {
  namespaces: Array<{
    namespace: string;
    pods: Array<{
      name: string;
      phase: string;
      ready: boolean;
      node: string | null;
      containers: Array<{ name: string; image: string; containerID: string | null; restartCount: number }>;
    }>;
    deployments: Array<{ name: string; replicas: number; readyReplicas: number; unused: boolean }>;
    services: Array<{
      name: string;
      type: string;
      clusterIP: string | null;
      externalIP: string | null;
      ports: number[];
    }>;
  }>;
}

/** The engine as its callers see it. Every command writes an audit row in the transaction that changes state. */
export interface EngineCommands {
  /** Validates, stores the cluster as `Pending` and queues its provisioning; returns it. */
  createCluster(audit: AuditContext, input: CreateClusterInput): Promise<StoredCluster>;
  /** Marks the cluster `Deleting` and queues the release of its infrastructure. */
  deleteCluster(audit: AuditContext, name: string): Promise<StoredCluster>;
  /** Returns the plan of a change without changing anything. */
  planChange(name: string, change: ClusterChangeInput): Promise<ClusterPlanView>;
  /**
   * Re-plans, refuses with the plan's first error (`PlanHasErrors` details carry the plan) when it is not
   * applicable, stores the new spec (generation + 1) and queues the update; returns the plan applied.
   */
  applyChange(
    audit: AuditContext,
    name: string,
    change: ClusterChangeInput,
    options?: ApplyOptions,
  ): Promise<ClusterPlanView>;
  /** Approves a pending repave (`RepaveNotPending` otherwise). */
  approveRepave(audit: AuditContext, name: string): Promise<StoredCluster>;
  /** Deletes unused objects (all, or the ones named), refusing more than the cap without `force`. */
  prune(
    audit: AuditContext,
    name: string,
    options: { dryRun: boolean; force: boolean; objects?: ObjectRef[] },
  ): Promise<PruneResult>;
  /** Returns pods, deployments and services by namespace, read from the cluster's API. */
  workloads(name: string): Promise<WorkloadsView>;
  /** Returns the cluster's kubeconfig (admin or read-only). */
  kubeconfig(name: string, role: 'admin' | 'read-only'): Promise<string>;
  /** Profile versions currently attached to a cluster, at the revisions it runs. */
  attachedProfiles(name: string): Promise<ProfileVersion[]>;
  /**
   * Tells the engine a profile version got a new revision (call it after `editProfileVersion`): queues one work
   * item that pages through the clusters on that version and has each report `UpdateAvailable` with its plan.
   */
  markUpdateAvailable?(profile: string, version: string, revision: number): Promise<void>;
}
