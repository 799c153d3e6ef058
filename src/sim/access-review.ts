/**
 * Who the caller is and what it may do, as `kubectl auth can-i` and `kubectl auth whoami` ask it: the
 * `authorization.k8s.io/v1` SelfSubjectAccessReview and SelfSubjectRulesReview, and the
 * `authentication.k8s.io/v1` SelfSubjectReview, answered from the kubeconfig's role. Admin is Kubernetes'
 * `cluster-admin`; read-only is its `view` role: get/list/watch on everything but Secrets, no exec or
 * port-forward, plus the discovery paths every authenticated user may read.
 */
import { StrataError } from '../core/errors.ts';
import type { JsonObject } from './kube-object.ts';
import { isJsonObject } from './kube-object.ts';
import type { ResourceType } from './resources.ts';
import type { SimTokenRole } from './tokens.ts';

/** What a request wants to do, as in a SubjectAccessReview's `resourceAttributes`/`nonResourceAttributes`. */
export type AccessAttributes =
  | {
      verb: string;
      group: string;
      resource: string;
      subresource?: string;
      namespace?: string;
      name?: string;
    }
  | { verb: string; path: string };

/** The user a role's token authenticates as (`kubectl auth whoami`). */
export interface SimUserInfo {
  username: string;
  groups: string[];
}

const READ_VERBS = ['get', 'list', 'watch'];
/** Subresources that act on a running container: not part of the `view` role. */
const CONTAINER_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'proxy']);
/** Non-resource paths every authenticated user may GET (Kubernetes' system:discovery and public-info roles). */
const DISCOVERY_PATHS = [
  '/api',
  '/api/*',
  '/apis',
  '/apis/*',
  '/healthz',
  '/livez',
  '/readyz',
  '/version',
  '/version/',
  '/openapi',
  '/openapi/*',
];
/** Resources anyone may create: the self reviews themselves. */
const SELF_REVIEWS = [
  { group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews' },
  { group: 'authorization.k8s.io', resource: 'selfsubjectrulesreviews' },
  { group: 'authentication.k8s.io', resource: 'selfsubjectreviews' },
];

/** Returns the user a role authenticates as. */
export function userOf(role: SimTokenRole): SimUserInfo {
  return role === 'admin'
    ? { username: 'admin', groups: ['system:masters', 'system:authenticated'] }
    : { username: 'read-only', groups: ['strata:read-only', 'system:authenticated'] };
}

function pathAllowed(pattern: string, path: string): boolean {
  return pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : path === pattern;
}

/** True when a role may do what the attributes describe. */
export function roleAllows(role: SimTokenRole, attrs: AccessAttributes): boolean {
  if (role === 'admin') return true;
  if ('path' in attrs) {
    return attrs.verb === 'get' && DISCOVERY_PATHS.some((p) => pathAllowed(p, attrs.path));
  }
  if (
    attrs.verb === 'create' &&
    !attrs.subresource &&
    SELF_REVIEWS.some((r) => r.group === attrs.group && r.resource === attrs.resource)
  ) {
    return true;
  }
  if (attrs.group === '' && attrs.resource === 'secrets') return false;
  if (attrs.subresource && CONTAINER_SUBRESOURCES.has(attrs.subresource)) return false;
  return READ_VERBS.includes(attrs.verb);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function specOf(body: unknown, kind: string): JsonObject {
  if (!isJsonObject(body) || !isJsonObject(body['spec'])) {
    throw new StrataError('BadRequest', `the body of a ${kind} must be an object with a spec`);
  }
  return body['spec'];
}

/** Returns the answered SelfSubjectAccessReview for a request body. */
export function selfSubjectAccessReview(role: SimTokenRole, body: unknown): JsonObject {
  const spec = specOf(body, 'SelfSubjectAccessReview');
  const resource = isJsonObject(spec['resourceAttributes']) ? spec['resourceAttributes'] : undefined;
  const nonResource = isJsonObject(spec['nonResourceAttributes']) ? spec['nonResourceAttributes'] : undefined;
  let allowed: boolean;
  if (resource) {
    allowed = roleAllows(role, {
      verb: str(resource['verb']) ?? '',
      group: str(resource['group']) ?? '',
      resource: str(resource['resource']) ?? '',
      ...(str(resource['subresource']) ? { subresource: str(resource['subresource']) } : {}),
      ...(str(resource['namespace']) ? { namespace: str(resource['namespace']) } : {}),
      ...(str(resource['name']) ? { name: str(resource['name']) } : {}),
    });
  } else if (nonResource) {
    allowed = roleAllows(role, {
      verb: str(nonResource['verb']) ?? '',
      path: str(nonResource['path']) ?? '',
    });
  } else {
    throw new StrataError(
      'ValidationFailed',
      'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
  }
  return {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    metadata: { creationTimestamp: null },
    spec,
    status: allowed
      ? {
          allowed: true,
          reason:
            role === 'admin'
              ? 'RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters"'
              : 'RBAC: allowed by ClusterRoleBinding "strata:read-only" of ClusterRole "view" to Group "strata:read-only"',
        }
      : { allowed: false },
  };
}

/** Returns the read rules of the `view` role over the served kinds, one rule per API group. */
function viewRules(types: readonly ResourceType[]): JsonObject[] {
  const byGroup = new Map<string, Set<string>>();
  for (const t of types) {
    if (t.group === '' && t.plural === 'secrets') continue;
    const set = byGroup.get(t.group) ?? new Set<string>();
    set.add(t.plural);
    for (const sub of t.subresources) set.add(`${t.plural}/${sub}`);
    if (t.group === '' && t.plural === 'pods') set.add('pods/log');
    byGroup.set(t.group, set);
  }
  return [...byGroup].map(([group, resources]) => ({
    verbs: READ_VERBS,
    apiGroups: [group],
    resources: [...resources].sort(),
  }));
}

/** Returns the answered SelfSubjectRulesReview (`kubectl auth can-i --list`) of a namespace. */
export function selfSubjectRulesReview(
  role: SimTokenRole,
  body: unknown,
  types: readonly ResourceType[],
): JsonObject {
  const spec = specOf(body, 'SelfSubjectRulesReview');
  const selfReviews: JsonObject[] = [
    {
      verbs: ['create'],
      apiGroups: ['authorization.k8s.io'],
      resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
    },
    { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] },
  ];
  const status =
    role === 'admin'
      ? {
          resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, ...selfReviews],
          nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
          incomplete: false,
        }
      : {
          resourceRules: [...selfReviews, ...viewRules(types)],
          nonResourceRules: [{ verbs: ['get'], nonResourceURLs: DISCOVERY_PATHS }],
          incomplete: false,
        };
  return {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectRulesReview',
    metadata: { creationTimestamp: null },
    spec,
    status,
  };
}

/** Returns the answered SelfSubjectReview (`kubectl auth whoami`). */
export function selfSubjectReview(role: SimTokenRole): JsonObject {
  return {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
    metadata: { creationTimestamp: null },
    status: { userInfo: userOf(role) },
  };
}
