/**
 * Resources the simulated API server answers without storing them: the access and identity reviews, the
 * metrics API, and the pod subresources kubectl's tools use (log, exec, portforward, eviction). Discovery lists them
 * so kubectl finds them as on a real cluster; tool-routes.ts serves them.
 */

/** One entry of an APIResourceList that is not backed by the object store. */
export interface VirtualResource {
  group: string;
  version: string;
  name: string;
  singularName: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
  /** The group and version of a subresource's kind when it is another API's (`pods/eviction` takes policy/v1). */
  kindGroupVersion?: { group: string; version: string };
}

const review = (group: string, name: string, kind: string, namespaced = false): VirtualResource => ({
  group,
  version: 'v1',
  name,
  singularName: '',
  namespaced,
  kind,
  verbs: ['create'],
});

/** What discovery adds to the stored kinds. */
export const VIRTUAL_RESOURCES: readonly VirtualResource[] = [
  {
    group: '',
    version: 'v1',
    name: 'pods/log',
    singularName: '',
    namespaced: true,
    kind: 'Pod',
    verbs: ['get'],
  },
  {
    group: '',
    version: 'v1',
    name: 'pods/eviction',
    singularName: '',
    namespaced: true,
    kind: 'Eviction',
    verbs: ['create'],
    kindGroupVersion: { group: 'policy', version: 'v1' },
  },
  {
    group: '',
    version: 'v1',
    name: 'pods/exec',
    singularName: '',
    namespaced: true,
    kind: 'PodExecOptions',
    verbs: ['create', 'get'],
  },
  {
    group: '',
    version: 'v1',
    name: 'pods/portforward',
    singularName: '',
    namespaced: true,
    kind: 'PodPortForwardOptions',
    verbs: ['create', 'get'],
  },
  review('authorization.k8s.io', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview'),
  review('authorization.k8s.io', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview'),
  review('authentication.k8s.io', 'selfsubjectreviews', 'SelfSubjectReview'),
  {
    group: 'metrics.k8s.io',
    version: 'v1beta1',
    name: 'nodes',
    singularName: '',
    namespaced: false,
    kind: 'NodeMetrics',
    verbs: ['get', 'list'],
  },
  {
    group: 'metrics.k8s.io',
    version: 'v1beta1',
    name: 'pods',
    singularName: '',
    namespaced: true,
    kind: 'PodMetrics',
    verbs: ['get', 'list'],
  },
];

/** Returns the virtual resources of one group/version. */
export function virtualResourcesOf(group: string, version: string): VirtualResource[] {
  return VIRTUAL_RESOURCES.filter((r) => r.group === group && r.version === version);
}

/** Returns the APIResourceList entry of a virtual resource. */
export function virtualResourceEntry(r: VirtualResource): Record<string, unknown> {
  return {
    name: r.name,
    singularName: r.singularName,
    namespaced: r.namespaced,
    ...(r.kindGroupVersion ?? {}),
    kind: r.kind,
    verbs: r.verbs,
  };
}
