/**
 * The pure model of Strata: packs, presets, profiles, clusters, node pools, conditions and plans.
 * Types only — the functions that act on them live beside this file, one concept per file.
 */

/** The five kinds of layer a stack is built from, bottom to top. */
export const LAYER_KINDS = ['os', 'k8s', 'cni', 'csi', 'addon'] as const;
/** A layer kind: `os` | `k8s` | `cni` | `csi` | `addon`. */
export type LayerKind = (typeof LAYER_KINDS)[number];

/** Kubernetes distributions a `k8s` pack can ship. */
export const K8S_DISTRIBUTIONS = ['pxk', 'k3s', 'rke2'] as const;
/** `pxk` (kubeadm-based), `k3s` or `rke2`. */
export type K8sDistribution = (typeof K8S_DISTRIBUTIONS)[number];

/** A value path inside a layer's values, as segments: `['kubelet', 'extraArgs', 'max-pods']`. */
export type ValuePath = readonly (string | number)[];

/** A named switch on a pack; presets sharing a `group` are mutually exclusive. */
export interface Preset {
  name: string;
  displayName: string;
  group: string;
  /** A YAML fragment deep-merged into the layer's values when the preset is enabled. */
  add: string;
  /** Dotted paths removed from the layer's values when the preset is enabled. */
  remove: string[];
}

/** One manifest template of an add-on pack (Nunjucks over YAML, rendered with the layer's values). */
export interface ManifestTemplate {
  name: string;
  template: string;
}

/**
 * What a pack is made of: `strata` (Strata's own format: Nunjucks templates over YAML), `helm` (an upstream chart,
 * rendered by Helm's own engine), `manifest` (plain Kubernetes YAML), `kustomize` (a kustomization, built by
 * kustomize).
 */
export const PACK_KINDS = ['strata', 'helm', 'manifest', 'kustomize'] as const;
/** A pack kind. */
export type PackKind = (typeof PACK_KINDS)[number];

/** Where a pack's content came from, as recorded when it was added. */
export interface PackOrigin {
  /** Shipped with Strata, uploaded (`strata pack import`), or pulled from an HTTP chart repository or OCI registry. */
  type: 'builtin' | 'upload' | 'http' | 'oci';
  /** The repository URL (http) or `oci://host/path/chart` (oci); the file name for an upload. */
  url?: string;
  /** The chart's name in its repository. */
  chart?: string;
  /** The version asked for upstream. */
  version?: string;
  /** What was pulled: the OCI manifest digest, or the archive's sha256 for an HTTP repository. */
  digest?: string;
}

/** The archive of a chart, manifest or kustomize pack, stored in Strata by digest. */
export interface PackContent {
  /** `sha256:<hex>` of the archive. */
  digest: string;
  media: 'helm-chart' | 'kustomize' | 'manifest';
  size: number;
}

/** A versioned building block of a profile. */
export interface Pack {
  name: string;
  version: string;
  layer: LayerKind;
  displayName: string;
  description: string;
  /** Only for `k8s` packs: the distribution; the pack `version` is the Kubernetes version. */
  distribution?: K8sDistribution;
  /** Default values as YAML text; comments are part of the product and are kept. */
  values: string;
  presets: Preset[];
  /** Dotted value paths (prefixes) whose change alters what runs on nodes and so forces a repave. */
  nodeImpactPaths: string[];
  /**
   * Value paths whose values are secret besides the credential key names every pack gets (`secret-paths.ts`):
   * hidden below admin by path, and by value wherever they turn up. Strata-format packs list them in pack.yaml.
   */
  secretPaths?: string[];
  manifests: ManifestTemplate[];
  /** `builtin` for the shipped catalog, `user` for registered packs. */
  source: 'builtin' | 'user';
  /** What the pack is made of; its content is `manifests` (strata) or the stored archive `content` (the others). */
  kind: PackKind;
  /** Where it came from (charts, manifests and kustomize bases). */
  origin?: PackOrigin;
  /** The stored archive (charts, manifests and kustomize bases). */
  content?: PackContent;
  /** The chart's README, shown by `strata pack show`. */
  readme?: string;
  /** The chart's `values.schema.json` (JSON text): values are checked against it when a profile or override is saved. */
  valuesSchema?: string;
  /** The chart's `appVersion`. */
  appVersion?: string;
}

/** A pack's identity: `name@version`. */
export interface PackRef {
  name: string;
  version: string;
}

/** Profile types: a full stack, infrastructure only (os/k8s/cni/csi), or add-ons only. */
export type ProfileType = 'full' | 'infra' | 'addon';

/** Where clusters of a profile run: simulated, Edge-native on simulated hardware, or an existing cluster. */
export type CloudType = 'sim' | 'edge' | 'existing';

/** One layer of a profile version: a pack at a version with its values and enabled presets. */
export interface ProfileLayer {
  pack: string;
  version: string;
  /** The layer's values (YAML text). */
  values: string;
  /** Names of the enabled presets. */
  presets: string[];
  /**
   * Where a chart, manifest or kustomize layer's namespaced objects go when they name none (default: the pack's
   * name); also the Helm release namespace. Strata-format packs set their namespaces in their templates.
   */
  namespace?: string;
}

/** A profile version at one revision; editing a version in place makes the next revision. */
export interface ProfileVersion {
  name: string;
  version: string;
  /** 1 for the version as created; +1 for every in-place edit. */
  revision: number;
  type: ProfileType;
  cloudType: CloudType;
  description: string;
  layers: ProfileLayer[];
}

/** A profile version as attached to a cluster: which version, at which revision. */
export interface AttachedProfile {
  name: string;
  version: string;
  revision: number;
}

/** The cluster's own values for one layer (keyed by pack name), replacing the profile's. */
export interface LayerOverride {
  pack: string;
  values: string;
  /** When set, replaces the profile layer's enabled presets. */
  presets?: string[];
}

/** Node-pool roles. */
export type PoolRole = 'control-plane' | 'worker';

/** How a pool replaces nodes during a repave. */
export type UpdateStrategy =
  | { type: 'expand-first' }
  | { type: 'contract-first' }
  | { type: 'custom'; maxSurge: number; maxUnavailable: number };

/** The machine a pool's nodes run on; a change replaces the pool's nodes. */
export interface MachineShape {
  instanceType: string;
  diskGiB: number;
}

/** A cluster's node pool as desired. */
export interface NodePoolSpec {
  name: string;
  role: PoolRole;
  count: number;
  machine: MachineShape;
  strategy: UpdateStrategy;
  /** Seconds to wait between replacing two nodes (0: none). */
  pauseSeconds: number;
}

/** Per-cluster policies. */
export interface ClusterSettings {
  repave: 'manual' | 'auto-approve';
  prune: boolean;
  selfHeal: boolean;
}

/** Cluster lifecycle phases. */
export type ClusterPhase =
  | 'Pending'
  | 'Provisioning'
  | 'Running'
  | 'Updating'
  | 'Deleting'
  | 'Deleted'
  | 'Unknown';

/** Overall health as observed. */
export type ClusterHealth = 'Healthy' | 'Degraded' | 'Unhealthy' | 'Unknown';

/** A Kubernetes-style condition explaining one aspect of an object's state. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  /** ISO-8601 time the status last changed. */
  lastTransitionTime: string;
}

/**
 * Condition types whose normal state is `True` (Ready, …). For every other type (Drifted, RepavePending,
 * UpdateAvailable, a rollout's hold, …) `True` is the state that asks for attention.
 */
export const NORMAL_WHEN_TRUE: readonly string[] = [
  'Ready',
  'InfrastructureReady',
  'AddonsApplied',
  'AddonsHealthy',
];

/** True when a condition is not in its normal state: the ones a cluster list shows. */
export function conditionNeedsAttention(condition: Condition): boolean {
  return NORMAL_WHEN_TRUE.includes(condition.type)
    ? condition.status !== 'True'
    : condition.status === 'True';
}

/**
 * The notices a cluster list shows and filters by, each the condition that is True while it applies (a repave
 * waiting for approval also shows through `status.repave.state` = `Pending`).
 */
export const CLUSTER_NOTICES = ['update-available', 'repave-pending', 'drift', 'unused'] as const;
export type ClusterNotice = (typeof CLUSTER_NOTICES)[number];
export const NOTICE_CONDITION: Readonly<Record<ClusterNotice, string>> = {
  'update-available': 'UpdateAvailable',
  'repave-pending': 'RepavePending',
  drift: 'Drifted',
  unused: 'UnusedResources',
};

/** The desired state of a cluster, written by users. */
export interface ClusterSpec {
  name: string;
  cloudType: CloudType;
  /** Attached profile versions: at most one `full`/`infra` plus any `addon`. */
  profiles: AttachedProfile[];
  /** The cluster's own layer values, keyed by pack name. */
  overrides: Record<string, LayerOverride>;
  pools: NodePoolSpec[];
  settings: ClusterSettings;
  labels: Record<string, string>;
}

/** One resolved layer of a cluster's stack: the pack and the values the cluster runs it with. */
export interface ResolvedLayer {
  /** The profile the layer came from. */
  profile: string;
  pack: string;
  version: string;
  layer: LayerKind;
  values: string;
  presets: string[];
  /** The profile layer's namespace (see `ProfileLayer.namespace`). */
  namespace?: string;
}

/** Reference to a Kubernetes object. `namespace` is '' for cluster-scoped kinds. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

/** A Kubernetes object as rendered or read: plain JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

/** One object Strata applied, recorded per cluster and layer. */
export interface InventoryEntry extends ObjectRef {
  /** Pack (layer key) that rendered it. */
  pack: string;
  /** Hash of the applied object, to tell changed from unchanged. */
  hash: string;
  /** True once the object left the render: kept, listed as unused, until pruned. */
  unused: boolean;
}

/** The repave state machine of a cluster. */
export type RepaveState =
  | { state: 'None' }
  | { state: 'Pending'; reasons: RepaveReason[]; requestedAt: string }
  | { state: 'Approved'; reasons: RepaveReason[]; approvedAt: string; approvedBy: string }
  | { state: 'InProgress'; reasons: RepaveReason[]; startedAt: string }
  | { state: 'Reverted'; at: string };

/** Why nodes must be replaced. */
export type RepaveReasonCode =
  | 'OsPackChanged'
  | 'OsValuesChanged'
  | 'K8sVersionChanged'
  | 'K8sNodeValuesChanged'
  | 'MachineShapeChanged';

/** One reason a repave is needed, naming the pack change behind it. */
export interface RepaveReason {
  code: RepaveReasonCode;
  message: string;
  /** Pools this reason replaces. */
  pools: string[];
  packDiff: { pack: string; fromVersion: string | null; toVersion: string | null; paths: string[] };
}
