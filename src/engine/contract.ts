/**
 * The engine's contract with its callers (the REST API, `strata up`, tests): commands that change desired
 * state in one transaction and queue durable work, and reads that compose store and cluster state.
 * The API layer stays thin by calling only this.
 */
import type { StrataError } from '../core/errors.ts';
import type { ClusterSpec, NodePoolSpec, ObjectRef, ProfileVersion } from '../core/model.ts';
import type { PendingConfiguration } from '../core/pending.ts';
import type { Plan } from '../core/plan-types.ts';
import type { AuditContext } from '../store/audit.ts';
import type { StoredCluster } from '../store/clusters.ts';
import type {
  RolloutMember,
  RolloutMemberState,
  RolloutPage,
  RolloutState,
  StoredRollout,
} from '../store/rollouts.ts';

export type { RolloutMember, RolloutMemberState, RolloutState, StoredRollout } from '../store/rollouts.ts';

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
  | { kind: 'override'; pack: string; values: string | null; presets?: string[]; replace?: boolean }
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

/** A request to roll a profile change across the fleet (REST body of `POST /v1/rollouts`). */
export interface RolloutInput {
  /** `NAME@VERSION` the clusters run now. */
  from: string;
  /** `NAME@VERSION` to move them to (equal to `from` for an in-place revision: its current revision). */
  to: string;
  /** Only clusters with all these labels: `k=v,k2=v2`. */
  selector?: string;
  /** Clusters in the first (canary) wave; default 1. */
  canary?: number;
  /** Each wave after the canary is this many times the previous one; default 4. */
  growth?: number;
  /** Wait after each wave before the next; default 300. */
  soakSeconds?: number;
  /** Time a cluster has to pass the health gate after its change is applied; default 600. */
  progressDeadlineSeconds?: number;
  /** Failed clusters tolerated; one more halts the rollout. Default 0. */
  maxFailures?: number;
}

/** A wave of a preview. */
export interface RolloutPreviewWave {
  wave: number;
  size: number;
  /** The first clusters of the wave (at most 20), by name. */
  clusters: string[];
}

/** One distinct plan of a preview, shared by every cluster with the same configuration. */
export interface RolloutPreviewPlan {
  clusters: number;
  /** How many distinct cluster configurations make this same change (each planned once). */
  configurations: number;
  /** A cluster that has this plan (for `strata cluster plan`). */
  example: string;
  changed: boolean;
  repave: boolean;
  summary: string;
  errors: Array<{ code: string; message: string }>;
  warnings: Array<{ code: string; message: string }>;
}

/** What a rollout would do, computed without changing anything. */
export interface RolloutPreview {
  from: { profile: string; version: string };
  to: { profile: string; version: string; revision: number };
  selector: Record<string, string>;
  totals: {
    /** Clusters on `from` matching the selector. */
    matched: number;
    /** Clusters that will move, in waves. */
    eligible: number;
    /** Clusters whose plan has errors: skipped, listed. */
    skipped: number;
    /** Clusters already at the target (nothing to do). */
    unchanged: number;
    /** Eligible clusters whose change replaces nodes (each waits for repave approval per its setting). */
    repave: number;
  };
  waves: RolloutPreviewWave[];
  /** Distinct changes, most clusters first: a plan is computed once per distinct configuration, and
   * configurations whose plans make the same change share one entry. */
  plans: RolloutPreviewPlan[];
  /** Skipped clusters with their error (the first 100). */
  skipped: Array<{ cluster: string; code: string; message: string }>;
}

/** A wave of a rollout with its clusters counted by state. */
export interface RolloutWaveView {
  wave: number;
  size: number;
  counts: Partial<Record<RolloutMemberState, number>>;
}

/** A rollout as the API shows it: settings, progress, waves with counts, and a page of members. */
export interface RolloutView extends StoredRollout {
  waves: RolloutWaveView[];
  /** Totals over all waves (skipped ones included). */
  counts: Partial<Record<RolloutMemberState, number>>;
  members: { items: RolloutMember[]; nextCursor: string | null };
}

/** Fleet rollouts: preview, start, read, pause, resume, cancel. */
export interface RolloutCommands {
  /** Returns the waves and aggregate plan of a rollout; changes nothing. */
  preview(input: RolloutInput): Promise<RolloutPreview>;
  /** Stores the rollout with its members, marks waiting clusters and queues its driver; returns it. */
  start(audit: AuditContext, input: RolloutInput): Promise<RolloutView>;
  /** Returns a page of rollouts, newest first. */
  list(query: { limit?: number; cursor?: string | null; state?: RolloutState }): Promise<RolloutPage>;
  /** Returns a rollout with wave counts and a page of members (filter by wave/state). */
  get(
    id: string,
    query?: { wave?: number; state?: RolloutMemberState; limit?: number; cursor?: string | null },
  ): Promise<RolloutView>;
  /** Stops starting new clusters (in-flight ones finish); `RolloutNotActive` unless Running or Soaking. */
  pause(audit: AuditContext, id: string): Promise<RolloutView>;
  /** Continues a paused rollout; `RolloutNotActive` unless Paused. */
  resume(audit: AuditContext, id: string): Promise<RolloutView>;
  /** Ends a rollout for good (applied clusters stay applied); `RolloutNotActive` once finished. */
  cancel(audit: AuditContext, id: string): Promise<RolloutView>;
}

/** Commands of the engine's own fleet-wide work (rollouts), beside the ones the API calls. */
export interface FleetCommands {
  /**
   * `applyChange` for many clusters at once (a rollout's batch): plans each, stores every applicable change in
   * one transaction (specs, audit, events, queued reconciles) and returns, per cluster, null when it is applied
   * (or had nothing to change) or the error it was refused with — `Conflict` when its spec moved meanwhile,
   * `NotFound`, or its plan's first error. Errors other than refusals (the store failing) are thrown.
   */
  applyChanges(
    audit: AuditContext,
    items: ReadonlyArray<{ cluster: string; change: ClusterChangeInput }>,
    options?: {
      /** The clusters as the caller just read them (not read again); a missing one is read. */
      read?: ReadonlyMap<string, import('../store/clusters.ts').StoredCluster>;
      /**
       * Runs in the transaction that stores the new specs, with the clusters stored — before their reconciles can
       * read them (a rollout clears its waiting condition there, so no pass reads a status about to move).
       */
      alsoWrite?(
        trx: import('kysely').Transaction<import('../store/schema.ts').Database>,
        stored: string[],
      ): Promise<void>;
      /**
       * A condition type removed from the stored clusters' status in the row write that stores the spec (a
       * rollout's `RolloutWaiting`): one write of each row instead of two.
       */
      dropCondition?: string;
    },
  ): Promise<Map<string, StrataError | null>>;
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
  /** Fleet rollouts (absent: the API answers 503 for them). */
  rollouts?: RolloutCommands;
}
