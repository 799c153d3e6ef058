/**
 * Identity and content of Kubernetes objects: references, stable keys, content hashes and the scope of
 * the common kinds. Pure computation, shared by rendering, inventory and drift.
 */
import { createHash } from 'node:crypto';
import type { KubeObject, ObjectRef } from './model.ts';

/** A built-in kind as every Kubernetes API server serves it: its group/version, resource name and scope. */
export interface BuiltinKind {
  apiVersion: string;
  kind: string;
  /** The resource (plural) name in API paths. */
  plural: string;
  namespaced: boolean;
}

const ns = (apiVersion: string, kind: string, plural: string): BuiltinKind => ({
  apiVersion,
  kind,
  plural,
  namespaced: true,
});
const cluster = (apiVersion: string, kind: string, plural: string): BuiltinKind => ({
  apiVersion,
  kind,
  plural,
  namespaced: false,
});

/**
 * The GA built-in kinds of Kubernetes. Their resource names and scopes are fixed by the Kubernetes API (they have
 * not changed since each went GA), so a client can build their paths without asking the server's discovery first;
 * every other kind (custom resources, betas) is looked up. A kind's scope here is also what `isClusterScoped` says.
 */
export const BUILTIN_KINDS: readonly BuiltinKind[] = [
  cluster('v1', 'Namespace', 'namespaces'),
  cluster('v1', 'Node', 'nodes'),
  cluster('v1', 'PersistentVolume', 'persistentvolumes'),
  cluster('v1', 'ComponentStatus', 'componentstatuses'),
  ns('v1', 'Pod', 'pods'),
  ns('v1', 'Service', 'services'),
  ns('v1', 'ConfigMap', 'configmaps'),
  ns('v1', 'Secret', 'secrets'),
  ns('v1', 'ServiceAccount', 'serviceaccounts'),
  ns('v1', 'Event', 'events'),
  ns('v1', 'Endpoints', 'endpoints'),
  ns('v1', 'PersistentVolumeClaim', 'persistentvolumeclaims'),
  ns('v1', 'ResourceQuota', 'resourcequotas'),
  ns('v1', 'LimitRange', 'limitranges'),
  ns('v1', 'PodTemplate', 'podtemplates'),
  ns('v1', 'ReplicationController', 'replicationcontrollers'),
  ns('apps/v1', 'Deployment', 'deployments'),
  ns('apps/v1', 'ReplicaSet', 'replicasets'),
  ns('apps/v1', 'DaemonSet', 'daemonsets'),
  ns('apps/v1', 'StatefulSet', 'statefulsets'),
  ns('apps/v1', 'ControllerRevision', 'controllerrevisions'),
  ns('batch/v1', 'Job', 'jobs'),
  ns('batch/v1', 'CronJob', 'cronjobs'),
  ns('autoscaling/v1', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers'),
  ns('autoscaling/v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers'),
  ns('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets'),
  ns('coordination.k8s.io/v1', 'Lease', 'leases'),
  ns('discovery.k8s.io/v1', 'EndpointSlice', 'endpointslices'),
  ns('events.k8s.io/v1', 'Event', 'events'),
  ns('rbac.authorization.k8s.io/v1', 'Role', 'roles'),
  ns('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings'),
  cluster('rbac.authorization.k8s.io/v1', 'ClusterRole', 'clusterroles'),
  cluster('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'clusterrolebindings'),
  ns('networking.k8s.io/v1', 'Ingress', 'ingresses'),
  ns('networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies'),
  cluster('networking.k8s.io/v1', 'IngressClass', 'ingressclasses'),
  cluster('storage.k8s.io/v1', 'StorageClass', 'storageclasses'),
  cluster('storage.k8s.io/v1', 'CSIDriver', 'csidrivers'),
  cluster('storage.k8s.io/v1', 'CSINode', 'csinodes'),
  cluster('storage.k8s.io/v1', 'VolumeAttachment', 'volumeattachments'),
  ns('storage.k8s.io/v1', 'CSIStorageCapacity', 'csistoragecapacities'),
  cluster('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions'),
  cluster('apiregistration.k8s.io/v1', 'APIService', 'apiservices'),
  cluster('scheduling.k8s.io/v1', 'PriorityClass', 'priorityclasses'),
  cluster('node.k8s.io/v1', 'RuntimeClass', 'runtimeclasses'),
  cluster('certificates.k8s.io/v1', 'CertificateSigningRequest', 'certificatesigningrequests'),
  cluster('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations'),
  cluster(
    'admissionregistration.k8s.io/v1',
    'ValidatingWebhookConfiguration',
    'validatingwebhookconfigurations',
  ),
  cluster('admissionregistration.k8s.io/v1', 'ValidatingAdmissionPolicy', 'validatingadmissionpolicies'),
  cluster(
    'admissionregistration.k8s.io/v1',
    'ValidatingAdmissionPolicyBinding',
    'validatingadmissionpolicybindings',
  ),
  cluster('flowcontrol.apiserver.k8s.io/v1', 'FlowSchema', 'flowschemas'),
  cluster('flowcontrol.apiserver.k8s.io/v1', 'PriorityLevelConfiguration', 'prioritylevelconfigurations'),
];

const BUILTIN_BY_KEY: ReadonlyMap<string, BuiltinKind> = new Map(
  BUILTIN_KINDS.map((k) => [`${k.apiVersion}/${k.kind}`, k]),
);

/** Returns the built-in kind served at `apiVersion`, or undefined for any other (custom, beta) kind. */
export function builtinKind(apiVersion: string, kind: string): BuiltinKind | undefined {
  return BUILTIN_BY_KEY.get(`${apiVersion}/${kind}`);
}

/**
 * Built-in kinds that live outside namespaces. Anything else (including unknown custom kinds) is treated
 * as namespaced, which is what the vast majority of custom resources are.
 */
const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set(
  BUILTIN_KINDS.filter((k) => !k.namespaced).map((k) => k.kind),
);

/** True when objects of `kind` are cluster-scoped (have no namespace), for the common built-in kinds. */
export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED_KINDS.has(kind);
}

/** Returns the reference of an object; `namespace` is '' for cluster-scoped objects. */
export function refOf(obj: KubeObject): ObjectRef {
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    namespace: isClusterScoped(obj.kind) ? '' : (obj.metadata.namespace ?? ''),
    name: obj.metadata.name,
  };
}

/** Returns the stable key `apiVersion/kind/namespace/name` of a reference, for maps and inventory rows. */
export function refKey(ref: ObjectRef): string {
  return `${ref.apiVersion}/${ref.kind}/${ref.namespace}/${ref.name}`;
}

/** Returns JSON with object keys sorted at every level, so equal objects serialise identically. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/**
 * True when two JSON-shaped values have the same canonical JSON (`canonicalJson(a) === canonicalJson(b)`) —
 * key order ignored, properties holding `undefined` or functions absent, as JSON drops them — without building
 * either string.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    // What JSON writes for values that are not objects: numbers that are not finite become null.
    const scalar = (v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v);
    return scalar(a) === scalar(b);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    if (a.length !== other.length) return false;
    // In arrays JSON writes undefined and functions as null.
    const item = (v: unknown) => (v === undefined || typeof v === 'function' ? null : v);
    return a.every((v, i) => jsonEqual(item(v), item(other[i])));
  }
  if (
    typeof (a as { toJSON?: unknown }).toJSON === 'function' ||
    typeof (b as { toJSON?: unknown }).toJSON === 'function'
  )
    return canonicalJson(a) === canonicalJson(b);
  const present = (o: object) =>
    Object.keys(o).filter((k) => {
      const v = (o as Record<string, unknown>)[k];
      return v !== undefined && typeof v !== 'function';
    });
  const ka = present(a);
  const kb = present(b);
  if (ka.length !== kb.length) return false;
  const rb = b as Record<string, unknown>;
  return ka.every(
    (k) => Object.hasOwn(rb, k) && rb[k] !== undefined && jsonEqual((a as Record<string, unknown>)[k], rb[k]),
  );
}

/** Returns the sha256 (hex) of an object's canonical JSON, to tell a changed object from an unchanged one. */
export function hashObject(obj: KubeObject): string {
  return createHash('sha256').update(canonicalJson(obj)).digest('hex');
}
