/**
 * Identity and content of Kubernetes objects: references, stable keys, content hashes and the scope of
 * the common kinds. Pure computation, shared by rendering, inventory and drift.
 */
import { createHash } from 'node:crypto';
import type { KubeObject, ObjectRef } from './model.ts';

/**
 * Built-in kinds that live outside namespaces. Anything else (including unknown custom kinds) is treated
 * as namespaced, which is what the vast majority of custom resources are.
 */
const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'StorageClass',
  'CSIDriver',
  'CSINode',
  'VolumeAttachment',
  'PriorityClass',
  'RuntimeClass',
  'IngressClass',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'CertificateSigningRequest',
  'FlowSchema',
  'PriorityLevelConfiguration',
  'ComponentStatus',
]);

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

/** Returns the sha256 (hex) of an object's canonical JSON, to tell a changed object from an unchanged one. */
export function hashObject(obj: KubeObject): string {
  return createHash('sha256').update(canonicalJson(obj)).digest('hex');
}
