/**
 * The tables of Strata's store as Kysely sees them. Columns are snake_case as in SQL; repositories map rows
 * to the domain types of `src/core/model.ts`. `bigint` columns are read as JS numbers (see `open.ts`: the
 * int8 parser is set per pool), which is exact for counters below 2^53.
 */
import type { ColumnType, Generated, Insertable, Kysely, Selectable, Transaction } from 'kysely';

/** A JSONB column: written as a JSON value (serialised by the repository), read as parsed JSON. */
export type Json<T> = ColumnType<T, string, string>;
/** A timestamptz column: read as Date, written as Date or SQL `now()`. */
export type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** A nullable timestamptz column. */
export type NullableTimestamp = ColumnType<
  Date | null,
  Date | string | null | undefined,
  Date | string | null
>;

/** `packs`: built-in and user-registered packs; the whole pack is one document. */
export interface PacksTable {
  name: string;
  version: string;
  layer: string;
  source: 'builtin' | 'user';
  doc: Json<unknown>;
  resource_version: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** `pack_contents`: the archives of chart, manifest and kustomize packs, addressed by their sha256 digest. */
export interface PackContentsTable {
  digest: string;
  media: string;
  size: number;
  data: Buffer;
  created_at: Timestamp;
}

/** `registry_credentials`: how Strata signs in to a chart registry (by host); never sent to any client. */
export interface RegistryCredentialsTable {
  host: string;
  username: string;
  password: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** `profile_versions`: one row per profile version, pointing at its current revision. */
export interface ProfileVersionsTable {
  name: string;
  version: string;
  revision: number;
  resource_version: Generated<number>;
  type: string;
  cloud_type: string;
  description: Generated<string>;
  created_at: Timestamp;
  created_by: string;
  updated_at: Timestamp;
}

/** `profile_revisions`: every revision of every profile version, kept for history and diffs. */
export interface ProfileRevisionsTable {
  name: string;
  version: string;
  revision: number;
  description: string;
  layers: Json<unknown>;
  created_at: Timestamp;
  created_by: string;
}

/** `clusters`: spec and status as documents plus the columns queries filter on. */
export interface ClustersTable {
  name: string;
  cloud_type: string;
  spec: Json<unknown>;
  /** Bumped on every spec change (Kubernetes' `metadata.generation`). */
  generation: Generated<number>;
  /** Version of the spec; status writes never change it. */
  resource_version: Generated<number>;
  status: Json<unknown>;
  /** Version of the status; separate so a status write never conflicts with a spec edit. */
  status_version: Generated<number>;
  observed_generation: Generated<number>;
  phase: string;
  health: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** The cluster's API document as JSON text, written by a trigger on every insert and update (never by code). */
  doc: Generated<string>;
  /** The cluster's list item (`clusterSummary`) as JSON text, written by the same trigger. */
  summary: Generated<string>;
  /** `status.kubernetesVersion`, written by a trigger (never by code), for the list's filter. */
  kubernetes_version: Generated<string | null>;
  /** The notices the status carries (`update-available`, `drift`, …), written by the same trigger. */
  notices: Generated<string[]>;
}

/** `cluster_profiles`: the profile versions attached to each cluster (the index for "who uses X"). */
export interface ClusterProfilesTable {
  cluster: string;
  profile: string;
  version: string;
  revision: number;
}

/** `node_pools`: one row per pool of a cluster, with its observed status. */
export interface NodePoolsTable {
  cluster: string;
  name: string;
  role: string;
  desired_count: number;
  status: ColumnType<unknown, string | undefined, string>;
  updated_at: Timestamp;
}

/** `nodes`: the machines of a cluster's pools. */
export interface NodesTable {
  cluster: string;
  name: string;
  pool: string;
  doc: Json<unknown>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** `inventory`: every object Strata applied, per cluster and layer. */
export interface InventoryTable {
  cluster: string;
  api_version: string;
  kind: string;
  namespace: string;
  name: string;
  pack: string;
  hash: string;
  unused: Generated<boolean>;
  updated_at: Timestamp;
}

/** Operation states. */
export type OperationState = 'pending' | 'running' | 'done' | 'failed' | 'cancelled';
/** Step states: `waiting` until the previous step is done, then `pending`, `running` while leased. */
export type StepState = 'waiting' | 'pending' | 'running' | 'done' | 'failed' | 'cancelled';

/** `operations`: durable units of work (e.g. "reconcile cluster X"), split into ordered steps. */
export interface OperationsTable {
  id: string;
  kind: string;
  target: string;
  queue: string;
  state: OperationState;
  dedupe_key: string | null;
  step_count: number;
  steps_done: Generated<number>;
  error: string | null;
  created_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** `steps`: the steps of operations, claimed with leases. */
export interface StepsTable {
  operation_id: string;
  seq: number;
  queue: string;
  kind: string;
  payload: Json<unknown>;
  state: StepState;
  attempts: Generated<number>;
  max_attempts: number;
  /** When the step may next be claimed: its retry time while pending, its lease expiry while running. */
  available_at: Timestamp;
  lease_owner: string | null;
  last_error: string | null;
  completed_at: NullableTimestamp;
}

/** `events`: what happened to a cluster, for people (the cluster's event feed). */
export interface EventsTable {
  id: Generated<number>;
  cluster: string;
  type: string;
  reason: string;
  message: string;
  details: ColumnType<unknown, string | undefined, string>;
  at: Timestamp;
}

/** `audit_log`: who changed what, when, with a before/after summary. */
export interface AuditLogTable {
  id: Generated<number>;
  at: Timestamp;
  actor: string;
  action: string;
  target_kind: string;
  target: string;
  before: Json<unknown> | null;
  after: Json<unknown> | null;
}

/** `api_tokens`: API tokens, stored as SHA-256 hashes only. */
export interface ApiTokensTable {
  id: string;
  name: string;
  token_hash: string;
  role: string;
  created_at: Timestamp;
  created_by: string;
  revoked_at: NullableTimestamp;
  last_used_at: NullableTimestamp;
}

/** `sim_objects`: the simulated clusters' Kubernetes objects. */
export interface SimObjectsTable {
  cluster: string;
  api_group: string;
  resource: string;
  namespace: string;
  name: string;
  resource_version: number;
  object: Json<unknown>;
}

/** `sim_clusters`: per simulated cluster, the highest resourceVersion ever issued. */
export interface SimClustersTable {
  cluster: string;
  last_resource_version: number;
}

/** `cluster_credentials`: the kubeconfig of an `existing` cluster (never part of its status). */
export interface ClusterCredentialsTable {
  cluster: string;
  kubeconfig: string;
  updated_at: Timestamp;
}

/** Rollout states (see `src/engine/rollout.ts`). */
export type RolloutState = 'Running' | 'Soaking' | 'Paused' | 'Halted' | 'Cancelled' | 'Completed';
/** States of a cluster within a rollout. */
export type RolloutMemberState = 'waiting' | 'applying' | 'healthy' | 'failed' | 'skipped' | 'repave-pending';

/** `rollouts`: one fleet rollout of a profile change, its wave policy and progress. */
export interface RolloutsTable {
  id: string;
  from_profile: string;
  from_version: string;
  to_profile: string;
  to_version: string;
  to_revision: number;
  selector: Json<Record<string, string>>;
  canary: number;
  growth: number;
  soak_seconds: number;
  progress_deadline_seconds: number;
  max_failures: number;
  state: RolloutState;
  wave_count: number;
  current_wave: number;
  wave_sizes: Json<number[]>;
  soak_until: NullableTimestamp;
  halt_reason: string | null;
  halt_cluster: string | null;
  created_by: string;
  resource_version: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: NullableTimestamp;
}

/** `rollout_members`: a cluster of a rollout, its wave (0: skipped before the waves) and state. */
export interface RolloutMembersTable {
  rollout_id: string;
  cluster: string;
  wave: number;
  state: RolloutMemberState;
  error_code: string | null;
  message: string | null;
  applied_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  updated_at: Timestamp;
}

/** `rollout_member_counts`: how many members of a rollout are in each wave and state (kept by triggers). */
export interface RolloutMemberCountsTable {
  rollout_id: string;
  wave: number;
  state: RolloutMemberState;
  n: Generated<number>;
}

/** Every table of the store. */
export interface Database {
  packs: PacksTable;
  pack_contents: PackContentsTable;
  registry_credentials: RegistryCredentialsTable;
  profile_versions: ProfileVersionsTable;
  profile_revisions: ProfileRevisionsTable;
  clusters: ClustersTable;
  cluster_profiles: ClusterProfilesTable;
  node_pools: NodePoolsTable;
  nodes: NodesTable;
  inventory: InventoryTable;
  operations: OperationsTable;
  steps: StepsTable;
  events: EventsTable;
  audit_log: AuditLogTable;
  api_tokens: ApiTokensTable;
  sim_objects: SimObjectsTable;
  sim_clusters: SimClustersTable;
  cluster_credentials: ClusterCredentialsTable;
  rollouts: RolloutsTable;
  rollout_members: RolloutMembersTable;
  rollout_member_counts: RolloutMemberCountsTable;
}

/** Anything queries can run on: the database or an open transaction. Repositories take this first. */
export type Executor = Kysely<Database> | Transaction<Database>;

/** A selected row of a table. */
export type Row<T extends keyof Database> = Selectable<Database[T]>;
/** An insertable row of a table. */
export type NewRow<T extends keyof Database> = Insertable<Database[T]>;
