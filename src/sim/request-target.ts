/**
 * Parsing of Kubernetes API paths below `/clusters/<name>`: discovery documents or a resource path
 * (`/api/v1/namespaces/<ns>/pods/<name>/status`, `/apis/apps/v1/deployments`, …) resolved against a cluster's
 * registry of kinds.
 */
import { StrataError } from '../core/errors.ts';
import type { ApiTarget } from './api-operations.ts';
import type { ResourceRegistry } from './resources.ts';

/** What a path below a cluster addresses. */
export type ParsedPath =
  | { kind: 'version' | 'health' | 'api' | 'apis' | 'openapi-v2' | 'openapi-v3' }
  | { kind: 'group'; group: string }
  | { kind: 'resource-list'; group: string; version: string }
  | { kind: 'resource'; group: string; version: string; segments: string[] };

/** Returns the cluster name and the rest of a `/clusters/<name>/…` path, or undefined for other paths. */
export function splitClusterPath(pathname: string): { cluster: string; rest: string } | undefined {
  const m = /^\/clusters\/([^/]+)(\/.*)?$/.exec(pathname);
  if (!m) return undefined;
  return { cluster: decodeURIComponent(m[1]!), rest: m[2] ?? '/' };
}

/** Classifies a path below a cluster. */
export function parsePath(rest: string): ParsedPath | undefined {
  const parts = rest
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  const [first, second, third] = parts;
  if (first === 'version' && parts.length === 1) return { kind: 'version' };
  if ((first === 'healthz' || first === 'livez' || first === 'readyz') && parts.length <= 2)
    return { kind: 'health' };
  if (first === 'openapi') return { kind: second === 'v2' ? 'openapi-v2' : 'openapi-v3' };
  if (first === 'swagger.json') return { kind: 'openapi-v2' };
  if (first === 'api') {
    if (parts.length === 1) return { kind: 'api' };
    if (parts.length === 2) return { kind: 'resource-list', group: '', version: second! };
    return { kind: 'resource', group: '', version: second!, segments: parts.slice(2) };
  }
  if (first === 'apis') {
    if (parts.length === 1) return { kind: 'apis' };
    if (parts.length === 2) return { kind: 'group', group: second! };
    if (parts.length === 3) return { kind: 'resource-list', group: second!, version: third! };
    return { kind: 'resource', group: second!, version: third!, segments: parts.slice(3) };
  }
  return undefined;
}

/** Resolves resource path segments to a target (type, namespace, name, subresource); NotFound if unknown. */
export function resolveTarget(
  registry: ResourceRegistry,
  group: string,
  version: string,
  segments: string[],
): ApiTarget {
  const notServed = (what: string) =>
    new StrataError('NotFound', `the server could not find the requested resource (${what})`);
  let namespace: string | undefined;
  let rest = segments;
  // `/namespaces/<ns>/<plural>…` addresses namespaced objects; `/namespaces/<name>[/status]` the namespace itself.
  if (
    segments[0] === 'namespaces' &&
    segments.length >= 3 &&
    segments[2] !== 'status' &&
    segments[2] !== 'finalize'
  ) {
    namespace = segments[1];
    rest = segments.slice(2);
  }
  const [plural, name, sub, ...extra] = rest;
  const type = registry.find(group, version, plural ?? '');
  if (!type || extra.length > 0) throw notServed(`${group || 'core'}/${version} ${rest.join('/')}`);
  if (namespace !== undefined && !type.namespaced) throw notServed(`${plural} is not namespaced`);
  let subresource: ApiTarget['subresource'];
  if (sub !== undefined) {
    if (sub === 'finalize' && plural === 'namespaces') subresource = 'status';
    else if ((sub === 'status' || sub === 'scale') && type.subresources.includes(sub)) subresource = sub;
    else throw notServed(`${plural}/${sub}`);
  }
  return { type, namespace, name, subresource };
}
