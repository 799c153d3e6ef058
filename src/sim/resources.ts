/**
 * The kinds the simulated API server serves: built-in Kubernetes resources plus, per cluster, the kinds its
 * CustomResourceDefinitions declare. Discovery, routing and table printing all read this registry.
 */

import { builtin } from './builtin-resource.ts';
import type { KubeObject } from './kube-object.ts';
import { isJsonObject } from './kube-object.ts';
import { MORE_BUILTIN_RESOURCES } from './resources-more.ts';

export { builtin };

/** One servable resource type (one group/version/plural). */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  /** Subresources this type serves besides the object itself. */
  subresources: ('status' | 'scale')[];
  categories: string[];
}

/** The verbs every stored resource supports. */
export const RESOURCE_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

/** Returns the storage key of a resource type: versions of one group share the objects, as in Kubernetes. */
export function resourceKey(type: Pick<ResourceType, 'group' | 'plural'>): string {
  return `${type.group}/${type.plural}`;
}

/** Returns `deployments.apps` / `pods`: how Kubernetes names a resource in messages. */
export function qualifiedName(type: Pick<ResourceType, 'group' | 'plural'>): string {
  return type.group === '' ? type.plural : `${type.plural}.${type.group}`;
}

/** Returns the `apiVersion` string of a type (`v1`, `apps/v1`). */
export function apiVersionOf(type: Pick<ResourceType, 'group' | 'version'>): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

/** Built-in kinds every simulated cluster serves. */
export const BUILTIN_RESOURCES: readonly ResourceType[] = [
  builtin('', 'v1', 'Namespace', 'namespaces', { shortNames: ['ns'], cluster: true, status: true }),
  builtin('', 'v1', 'Node', 'nodes', { shortNames: ['no'], cluster: true, status: true }),
  builtin('', 'v1', 'Pod', 'pods', { shortNames: ['po'], status: true, all: true }),
  builtin('', 'v1', 'Service', 'services', { shortNames: ['svc'], status: true, all: true }),
  builtin('', 'v1', 'ConfigMap', 'configmaps', { shortNames: ['cm'] }),
  builtin('', 'v1', 'Secret', 'secrets'),
  builtin('', 'v1', 'ServiceAccount', 'serviceaccounts', { shortNames: ['sa'] }),
  builtin('', 'v1', 'Event', 'events', { shortNames: ['ev'] }),
  builtin('', 'v1', 'Endpoints', 'endpoints', { shortNames: ['ep'] }),
  builtin('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', { shortNames: ['pvc'], status: true }),
  builtin('', 'v1', 'PersistentVolume', 'persistentvolumes', {
    shortNames: ['pv'],
    cluster: true,
    status: true,
  }),
  builtin('', 'v1', 'ResourceQuota', 'resourcequotas', { shortNames: ['quota'], status: true }),
  builtin('', 'v1', 'LimitRange', 'limitranges', { shortNames: ['limits'] }),
  builtin('apps', 'v1', 'Deployment', 'deployments', {
    shortNames: ['deploy'],
    status: true,
    scale: true,
    all: true,
  }),
  builtin('apps', 'v1', 'ReplicaSet', 'replicasets', {
    shortNames: ['rs'],
    status: true,
    scale: true,
    all: true,
  }),
  builtin('apps', 'v1', 'DaemonSet', 'daemonsets', { shortNames: ['ds'], status: true, all: true }),
  builtin('apps', 'v1', 'StatefulSet', 'statefulsets', {
    shortNames: ['sts'],
    status: true,
    scale: true,
    all: true,
  }),
  builtin('apps', 'v1', 'ControllerRevision', 'controllerrevisions'),
  builtin('batch', 'v1', 'Job', 'jobs', { status: true, all: true }),
  builtin('batch', 'v1', 'CronJob', 'cronjobs', { shortNames: ['cj'], status: true, all: true }),
  builtin('rbac.authorization.k8s.io', 'v1', 'Role', 'roles'),
  builtin('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings'),
  builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', { cluster: true }),
  builtin('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', { cluster: true }),
  builtin('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', {
    shortNames: ['crd', 'crds'],
    cluster: true,
    status: true,
  }),
  builtin('networking.k8s.io', 'v1', 'Ingress', 'ingresses', { shortNames: ['ing'], status: true }),
  builtin('networking.k8s.io', 'v1', 'IngressClass', 'ingressclasses', { cluster: true }),
  builtin('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', { shortNames: ['netpol'] }),
  builtin('storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', { shortNames: ['sc'], cluster: true }),
  builtin('storage.k8s.io', 'v1', 'CSIDriver', 'csidrivers', { cluster: true }),
  builtin('apiregistration.k8s.io', 'v1', 'APIService', 'apiservices', { cluster: true, status: true }),
  builtin('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', {
    shortNames: ['pdb'],
    status: true,
  }),
  builtin('coordination.k8s.io', 'v1', 'Lease', 'leases'),
  builtin('events.k8s.io', 'v1', 'Event', 'events', { shortNames: ['ev'] }),
  builtin('autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', {
    shortNames: ['hpa'],
    status: true,
    all: true,
  }),
  builtin('scheduling.k8s.io', 'v1', 'PriorityClass', 'priorityclasses', {
    shortNames: ['pc'],
    cluster: true,
  }),
  ...MORE_BUILTIN_RESOURCES,
];

/** The group that holds CRDs; creating one of its objects registers a kind. */
export const CRD_GROUP = 'apiextensions.k8s.io';

/** Returns the resource types a CustomResourceDefinition object declares (one per served version). */
export function typesFromCrd(crd: KubeObject): ResourceType[] {
  const spec = crd['spec'];
  if (!isJsonObject(spec) || !isJsonObject(spec['names'])) return [];
  const names = spec['names'];
  const group = String(spec['group'] ?? '');
  const kind = String(names['kind'] ?? '');
  const plural = String(names['plural'] ?? '');
  if (!group || !kind || !plural) return [];
  const versions = Array.isArray(spec['versions']) ? spec['versions'] : [];
  const subresourcesOf = (v: unknown): ResourceType['subresources'] => {
    const sub = isJsonObject(v) && isJsonObject(v['subresources']) ? v['subresources'] : {};
    return [...(sub['status'] ? ['status' as const] : []), ...(sub['scale'] ? ['scale' as const] : [])];
  };
  return versions
    .filter((v) => isJsonObject(v) && v['served'] !== false && typeof v['name'] === 'string')
    .map((v) => ({
      group,
      version: String((v as Record<string, unknown>)['name']),
      kind,
      listKind: String(names['listKind'] ?? `${kind}List`),
      plural,
      singular: String(names['singular'] ?? kind.toLowerCase()),
      shortNames: Array.isArray(names['shortNames']) ? names['shortNames'].map(String) : [],
      namespaced: spec['scope'] !== 'Cluster',
      subresources: subresourcesOf(v),
      categories: Array.isArray(names['categories']) ? names['categories'].map(String) : [],
    }));
}

/** The built-in types and one cluster's CRD types, looked up by group/version/plural or by kind. */
export class ResourceRegistry {
  private readonly custom = new Map<string, ResourceType[]>();

  /** Registers (or replaces) the types of one CRD, keyed by the CRD's name. */
  setCrd(crdName: string, types: ResourceType[]): void {
    if (types.length === 0) this.custom.delete(crdName);
    else this.custom.set(crdName, types);
  }

  /** Forgets a deleted CRD's types. */
  removeCrd(crdName: string): void {
    this.custom.delete(crdName);
  }

  /** Returns every served type, built-ins first. */
  all(): ResourceType[] {
    return [...BUILTIN_RESOURCES, ...[...this.custom.values()].flat()];
  }

  /** Returns the type served at group/version/plural, if any. */
  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.all().find((t) => t.group === group && t.version === version && t.plural === plural);
  }

  /** Returns the type of an object's apiVersion and kind (used by server-side apply and owner references). */
  findKind(group: string, version: string, kind: string): ResourceType | undefined {
    return this.all().find((t) => t.group === group && t.version === version && t.kind === kind);
  }
}
