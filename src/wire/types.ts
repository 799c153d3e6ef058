/**
 * The REST contract's shapes: what the console and the CLI read from and send to the API. This is the one module
 * through which they see the server's types — domain types from `src/core`, `src/engine`, `src/store` and
 * `src/api`, as types only (erased at build time); JSON turns their `Date` fields into ISO strings, which `Wire`
 * expresses. A change to a store or engine shape shows up here, in one place, rather than in every client file.
 */

import type { LiveEvent } from '../api/event-bus.ts';
import type { LayerRevisionDiff } from '../api/revision-diff.ts';
import type { PackSummary } from '../api/routes/packs.ts';
import type {
  AttachedProfile,
  CloudType,
  ClusterHealth,
  ClusterNotice,
  ClusterPhase,
  Condition,
  LayerKind,
  NodePoolSpec,
  ObjectRef,
  Pack,
  ProfileType,
  RepaveState,
} from '../core/model.ts';
import type { LayerPlan, Plan, PlanIssue } from '../core/plan-types.ts';
import type {
  ClusterChangeInput,
  ClusterPlanView,
  PruneResult,
  RolloutMemberState,
  RolloutPreview,
  RolloutView as RolloutViewServer,
  StoredRollout,
  WorkloadsView,
} from '../engine/contract.ts';
import type {
  ClusterCounts,
  ClusterDocument,
  ClusterStatus,
  ClusterSummary as ClusterSummaryServer,
} from '../store/clusters.ts';
import type { ClusterEvent } from '../store/events.ts';
import type { StoredProfileVersion } from '../store/profiles.ts';
import type { RolloutPage } from '../store/rollouts.ts';
import type { TokenRole } from '../store/tokens.ts';

/** A server type as JSON carries it: dates become ISO-8601 strings. */
export type Wire<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

export type {
  AttachedProfile,
  CloudType,
  ClusterChangeInput,
  ClusterCounts,
  ClusterHealth,
  ClusterNotice,
  ClusterPhase,
  ClusterPlanView,
  ClusterStatus,
  ClusterSummaryServer,
  Condition,
  LayerKind,
  LayerPlan,
  LayerRevisionDiff,
  LiveEvent,
  NodePoolSpec,
  ObjectRef,
  Pack,
  PackSummary,
  Plan,
  PlanIssue,
  ProfileType,
  PruneResult,
  RepaveState,
  RolloutMemberState,
  RolloutPreview,
  TokenRole,
  WorkloadsView,
};

/** The body of every error answer. */
export interface ApiErrorBody {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

/** A cluster as `GET /v1/clusters/{name}` returns it. */
export type Cluster = Wire<ClusterDocument>;

/** A cluster as `GET /v1/clusters` lists it: a row's fields and only the conditions that ask for attention. */
export type ClusterSummary = Wire<ClusterSummaryServer>;

/** One page of `GET /v1/clusters`; `counts` when asked for with `counts=phase`. */
export interface ClusterPage {
  items: ClusterSummary[];
  nextCursor: string | null;
  counts?: ClusterCounts;
}

/** A profile version in lists (`GET /v1/profiles`): layers without values. */
export interface ProfileSummary {
  name: string;
  version: string;
  revision: number;
  type: ProfileType;
  cloudType: CloudType;
  description: string;
  layers: Array<{ pack: string; version: string; presets: string[] }>;
  resourceVersion: number;
  updatedAt: string;
}

/** A profile version with its layers' values (`GET /v1/profiles/{name}/versions/{version}`). */
export type ProfileDetail = Wire<StoredProfileVersion> & { currentRevision?: number };

/** The answer of an in-place edit. */
export interface ProfileEditResult {
  profile: ProfileDetail;
  clustersUsing: number;
  warning: string;
}

/** One revision in a profile version's history. */
export interface ProfileRevisionItem {
  revision: number;
  description: string;
  layers: Array<{ pack: string; version: string; presets: string[] }>;
  createdAt: string;
  createdBy: string;
}

/** The per-layer diff between two revisions. */
export interface RevisionDiff {
  from: number;
  to: number;
  layers: LayerRevisionDiff[];
}

/** A pack version with values, presets and templates. */
export type PackDetail = Pack & { resourceVersion?: number };

/** A cluster event as `GET /v1/clusters/{name}/events` returns it. */
export type ClusterEventItem = Wire<ClusterEvent>;

/** Who the signed-in token is. */
export interface Identity {
  name: string;
  role: TokenRole;
}

/** The repave view of a cluster. */
export interface RepaveView {
  cluster: string;
  repave: RepaveState;
  settings?: { repave: 'manual' | 'auto-approve' };
}

/** `GET /v1/rollouts`: a page of rollouts, newest first. */
export type RolloutListPage = Wire<RolloutPage>;

/** A rollout in lists: settings and progress. */
export type StoredRolloutWire = Wire<StoredRollout>;

/** `GET /v1/rollouts/{id}` (and every rollout action): the rollout with wave counts and a page of members. */
export type RolloutView = Wire<RolloutViewServer>;

/** The phases a cluster can be in, in lifecycle order (for filters). */
export const CLUSTER_PHASES: readonly ClusterPhase[] = [
  'Pending',
  'Provisioning',
  'Running',
  'Updating',
  'Deleting',
  'Deleted',
  'Unknown',
];

/** The layer kinds in stack order, bottom first. */
export const LAYER_ORDER: readonly LayerKind[] = ['os', 'k8s', 'cni', 'csi', 'addon'];

/** The health a cluster can report, in the order filters offer them. */
export const CLUSTER_HEALTHS: readonly ClusterHealth[] = ['Healthy', 'Degraded', 'Unhealthy', 'Unknown'];

/** The notices a cluster list filters by, and the condition that is True while each applies. */
export { CLUSTER_NOTICES, NOTICE_CONDITION } from '../core/model.ts';
