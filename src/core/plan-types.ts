/**
 * The plan: a typed summary of what would change on a cluster, shown before anything changes — by the
 * CLI, the API and the console alike.
 */
import type {
  AttachedProfile,
  K8sDistribution,
  LayerKind,
  ObjectRef,
  PoolRole,
  RepaveReason,
  RepaveReasonCode,
} from './model.ts';
import type { ValueChange } from './values.ts';
import type { MergeConflict } from './values-merge.ts';

/** The Kubernetes side of a plan: from/to and the versions the cluster passes through, in order. */
export interface KubernetesUpgrade {
  distribution: K8sDistribution;
  fromPack: string;
  toPack: string;
  from: string;
  to: string;
  /** Target versions in order; the last is `to`. One element for a direct upgrade. */
  steps: string[];
}

/** The codes of a plan's errors: the update rules (docs/rules.md, "Errors"); any one refuses the update. */
export const PLAN_ERROR_CODES = [
  'ClusterNotUpdatable',
  'K8sDowngradeNotSupported',
  'K8sMultiMinorUpgrade',
  'K8sDistributionChange',
  'EdgeCniChangeNotSupported',
  'ExistingClusterInfraLayer',
  'MergeConflict',
] as const;

/** The codes of a plan's warnings: risks that are allowed (docs/rules.md, "Warnings"). */
export const PLAN_WARNING_CODES = [
  'RepaveRequired',
  'UnusedResources',
  'K8sChainedUpgrade',
  'CniChange',
  'CsiChange',
  'PackDowngrade',
] as const;

/** The code of a plan error. */
export type PlanErrorCode = (typeof PLAN_ERROR_CODES)[number];
/** The code of a plan warning. */
export type PlanWarningCode = (typeof PLAN_WARNING_CODES)[number];
/** The code of any plan issue. */
export type PlanIssueCode = PlanErrorCode | PlanWarningCode;

/** A rule violation (error) or a risk worth telling (warning), with a machine-readable code. */
export interface PlanIssue<C extends PlanIssueCode = PlanIssueCode> {
  code: C;
  message: string;
  details: Record<string, unknown>;
}

/** How one layer changes. */
export type LayerChangeKind =
  | 'added'
  | 'removed'
  | 'upgraded'
  | 'downgraded'
  | 'replaced'
  | 'values'
  | 'unchanged';

/** One layer's part of a plan. */
export interface LayerPlan {
  pack: string;
  layer: LayerKind;
  profile: string;
  change: LayerChangeKind;
  fromVersion: string | null;
  toVersion: string | null;
  /** For `replaced`: the pack that this layer replaces (e.g. calico → cilium). */
  replaces?: string;
  /** Value paths that change. */
  values: ValueChange[];
  presets: { enabled: string[]; disabled: string[] };
  /** True when the target values carry a cluster override (kept by the 3-way merge). */
  overridden: boolean;
  /** Conflicts of the 3-way merge, to be resolved before apply. */
  conflicts: MergeConflict[];
}

/** The repave a plan causes: per pool, in the order pools would be replaced (control plane first). */
export interface RepavePlan {
  required: boolean;
  reasons: RepaveReason[];
  pools: Array<{ name: string; role: PoolRole; reasons: RepaveReasonCode[] }>;
}

/** The Kubernetes objects a plan creates, changes, leaves unused or deletes. */
export interface ObjectsPlan {
  create: ObjectRef[];
  /** Objects whose content changes; `paths` names the fields when what runs now is known. */
  change: Array<ObjectRef & { paths?: string[] }>;
  /** How many applied objects stay as they are. */
  unchanged: number;
  /** Applied objects no longer rendered by a layer still in the stack: kept, listed, prunable. */
  unused: ObjectRef[];
  /** Objects of layers removed from the stack: deleted with their layer. */
  delete: ObjectRef[];
}

/** What a cluster update would do. Computed once per distinct input and shared across a fleet. */
export interface Plan {
  from: AttachedProfile[];
  to: AttachedProfile[];
  layers: LayerPlan[];
  repave: RepavePlan;
  kubernetes: KubernetesUpgrade | null;
  objects: ObjectsPlan;
  errors: PlanIssue<PlanErrorCode>[];
  warnings: PlanIssue<PlanWarningCode>[];
  /** True when anything at all would change. */
  changed: boolean;
  /** True when there are no errors and no unresolved merge conflicts. */
  applicable: boolean;
}
