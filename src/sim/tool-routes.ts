/**
 * The requests behind kubectl's tools that are not plain stored objects: access and identity reviews
 * (`auth can-i`, `auth whoami`), pod logs, the metrics API (`top`), the `events.k8s.io` view of Events, and
 * the plain-HTTP answer to exec/port-forward requests that did not upgrade. The server asks here first;
 * anything not served here goes on to the object verbs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StrataError } from '../core/errors.ts';
import {
  selfSubjectAccessReview,
  selfSubjectReview,
  selfSubjectRulesReview,
  userOf,
} from './access-review.ts';
import type { ApiTarget, WriteOptions } from './api-operations.ts';
import { createObject, deleteObject, getObject, listObjects, updateObject } from './api-operations.ts';
import { EVENT_RESOURCE, fromEventsV1, pruneEvents, toEventsV1 } from './events.ts';
import { evictPod } from './eviction.ts';
import type { KubeObject } from './kube-object.ts';
import { isJsonObject } from './kube-object.ts';
import { kubeReasonError } from './kube-status.ts';
import { logOptionsOf, serveLogs } from './logs.ts';
import { nodeMetrics, nodeMetricsList, podMetrics, podMetricsList } from './metrics.ts';
import { openApiV2Json, openApiV3Document, openApiV3Index } from './openapi.ts';
import type { ParsedPath } from './request-target.ts';
import type { ResourceType } from './resources.ts';
import { BUILTIN_RESOURCES } from './resources.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import type { SimCluster } from './sim-cluster.ts';
import { CRD_RESOURCE } from './sim-cluster.ts';
import { toTable, wantsTable } from './tables.ts';
import type { SimTokenRole } from './tokens.ts';
import { serveWatch } from './watch.ts';

/** What a tool request is handled with. */
export interface ToolRequest {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  cluster: SimCluster;
  role: SimTokenRole;
  /** Reads and parses the request body (JSON, YAML or protobuf, as for any write). */
  readBody: () => Promise<unknown>;
  sendJson: (code: number, body: unknown) => void;
}

const CORE_EVENTS = BUILTIN_RESOURCES.find((t) => t.group === '' && t.plural === 'events') as ResourceType;

function forbidden(
  role: SimTokenRole,
  verb: string,
  resource: string,
  group: string,
  namespace?: string,
  name?: string,
) {
  return new StrataError(
    'Forbidden',
    `${resource.split('/')[0]}${name ? ` "${name}"` : ''} is forbidden: User "${userOf(role).username}" cannot ${verb} resource "${resource}" in API group "${group}"${namespace ? ` in the namespace "${namespace}"` : ''}`,
  );
}

function requirePost(req: IncomingMessage, what: string): void {
  if (req.method !== 'POST')
    throw kubeReasonError(
      'MethodNotAllowed',
      405,
      `the server does not allow this method on the requested resource (${what})`,
    );
}

/** Serves a tool request; returns false when the path is not one of them (the caller serves it). */
export async function serveToolRequest(path: ParsedPath, r: ToolRequest): Promise<boolean> {
  if (path.kind !== 'resource') return false;
  const { group, version, segments } = path;
  const [first, second, third, fourth, fifth, ...extra] = segments;
  if (group === 'authorization.k8s.io' && version === 'v1' && segments.length === 1) {
    if (first === 'selfsubjectaccessreviews') {
      requirePost(r.req, first);
      r.sendJson(201, selfSubjectAccessReview(r.role, await r.readBody()));
      return true;
    }
    if (first === 'selfsubjectrulesreviews') {
      requirePost(r.req, first);
      r.sendJson(201, selfSubjectRulesReview(r.role, await r.readBody(), r.cluster.registry.all()));
      return true;
    }
  }
  if (
    group === 'authentication.k8s.io' &&
    version === 'v1' &&
    first === 'selfsubjectreviews' &&
    segments.length === 1
  ) {
    requirePost(r.req, first);
    await r.readBody();
    r.sendJson(201, selfSubjectReview(r.role));
    return true;
  }
  if (group === 'metrics.k8s.io' && version === 'v1beta1') return serveMetrics(segments, r);
  if (group === 'events.k8s.io' && version === 'v1') {
    await serveEventsV1(segments, r);
    return true;
  }
  if (group === '' && version === 'v1') {
    // `/api/v1/namespaces/<ns>/pods/<name>/<log|exec|portforward|attach>`
    if (first === 'namespaces' && third === 'pods' && fourth && fifth && extra.length === 0) {
      const namespace = second ?? '';
      if (fifth === 'log') {
        if (r.req.method !== 'GET')
          throw kubeReasonError(
            'MethodNotAllowed',
            405,
            'the server does not allow this method on the requested resource (pods/log)',
          );
        const pod = getObject(r.cluster, podTarget(namespace, fourth));
        serveLogs(r.res, r.cluster, pod, logOptionsOf(r.query));
        return true;
      }
      if (fifth === 'eviction') {
        requirePost(r.req, 'pods/eviction');
        if (r.role !== 'admin') throw forbidden(r.role, 'create', 'pods/eviction', '', namespace, fourth);
        await serveEviction(r, namespace, fourth);
        return true;
      }
      if (fifth === 'exec' || fifth === 'portforward' || fifth === 'attach') {
        if (r.role !== 'admin') throw forbidden(r.role, 'create', `pods/${fifth}`, '', namespace);
        getObject(r.cluster, podTarget(namespace, fourth));
        throw new StrataError('BadRequest', 'Upgrade request required');
      }
    }
    // Expired events leave before any read of them.
    if (r.req.method === 'GET' && (first === 'events' || (first === 'namespaces' && third === 'events'))) {
      pruneEvents(r.cluster);
    }
  }
  return false;
}

/** Evicts a pod (policy/v1 Eviction): 201 Success, or the disruption budget's 429 refusal. */
async function serveEviction(r: ToolRequest, namespace: string, name: string): Promise<void> {
  const body = await r.readBody();
  const meta = isJsonObject(body) && isJsonObject(body['metadata']) ? body['metadata'] : {};
  if (typeof meta['name'] === 'string' && meta['name'] !== '' && meta['name'] !== name)
    throw new StrataError('BadRequest', 'name in URL does not match name in Eviction object');
  const options = isJsonObject(body) && isJsonObject(body['deleteOptions']) ? body['deleteOptions'] : {};
  const dryRun =
    r.query.getAll('dryRun').includes('All') ||
    (Array.isArray(options['dryRun']) && options['dryRun'].includes('All'));
  const pod = getObject(r.cluster, podTarget(namespace, name));
  const preconditions = isJsonObject(options['preconditions']) ? options['preconditions'] : {};
  if (typeof preconditions['uid'] === 'string' && preconditions['uid'] !== pod.metadata.uid)
    throw new StrataError(
      'Conflict',
      `Precondition failed: UID in precondition: ${preconditions['uid']}, UID in object meta: ${pod.metadata.uid ?? ''}`,
    );
  evictPod(r.cluster, r.cluster.store.get('/pods', namespace, name) ?? pod, { dryRun });
  r.sendJson(201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}

/** Serves `/openapi/v2` (JSON when asked for JSON, else an empty body) and `/openapi/v3[/<gv path>]`. */
export function serveOpenApi(rest: string, r: ToolRequest, serverVersion: string): void {
  const source = { crds: () => r.cluster.store.list(CRD_RESOURCE) };
  const types = r.cluster.registry.all();
  const path = rest.replace(/^\/+|\/+$/g, '');
  if (path === 'openapi/v2' || path === 'swagger.json') {
    if ((r.req.headers.accept ?? '').includes('application/json')) {
      const text = openApiV2Json(serverVersion);
      r.res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      r.res.end(text);
      return;
    }
    // kubectl asks for protobuf, which the simulator does not encode: an empty document makes it skip
    // client-side validation (the server validates fields itself, see field-validation.ts).
    r.res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': 0 });
    r.res.end();
    return;
  }
  if (path === 'openapi/v3') {
    r.sendJson(200, openApiV3Index(types, source, serverVersion));
    return;
  }
  const m = /^openapi\/v3\/(?:api\/([^/]+)|apis\/([^/]+)\/([^/]+))$/.exec(path);
  const group = m ? (m[1] !== undefined ? '' : m[2]!) : undefined;
  const version = m ? (m[1] ?? m[3]!) : undefined;
  const doc =
    group !== undefined && version !== undefined
      ? openApiV3Document(types, group, version, source, serverVersion)
      : undefined;
  if (!doc) throw new StrataError('NotFound', `the server could not find the requested resource (${path})`);
  r.res.writeHead(200, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(doc.text),
    ETag: `"${doc.hash}"`,
    'Cache-Control': r.query.get('hash') === doc.hash ? 'public, immutable' : 'no-cache, private',
  });
  r.res.end(doc.text);
}

/** Returns the target of one pod. */
export function podTarget(namespace: string, name: string): ApiTarget {
  const type = BUILTIN_RESOURCES.find((t) => t.group === '' && t.plural === 'pods') as ResourceType;
  return { type, namespace, name, subresource: undefined };
}

function serveMetrics(segments: string[], r: ToolRequest): boolean {
  if (r.req.method !== 'GET')
    throw kubeReasonError(
      'MethodNotAllowed',
      405,
      'the server does not allow this method on the requested resource',
    );
  const labelSelector = parseLabelSelector(r.query.get('labelSelector'));
  const [first, second, third, fourth] = segments;
  if (first === 'nodes') {
    if (segments.length === 1) r.sendJson(200, nodeMetricsList(r.cluster, labelSelector));
    else if (segments.length === 2) r.sendJson(200, nodeMetrics(r.cluster, second ?? ''));
    else return false;
    return true;
  }
  if (first === 'pods' && segments.length === 1) {
    r.sendJson(200, podMetricsList(r.cluster, undefined, labelSelector));
    return true;
  }
  if (first === 'namespaces' && third === 'pods') {
    if (segments.length === 3) r.sendJson(200, podMetricsList(r.cluster, second, labelSelector));
    else if (segments.length === 4) r.sendJson(200, podMetrics(r.cluster, second ?? '', fourth ?? ''));
    else return false;
    return true;
  }
  throw new StrataError(
    'NotFound',
    `the server could not find the requested resource (metrics.k8s.io/v1beta1 ${segments.join('/')})`,
  );
}

/** The `events.k8s.io/v1` view: reads and watches convert the stored core Events; writes convert back. */
async function serveEventsV1(segments: string[], r: ToolRequest): Promise<void> {
  let namespace: string | undefined;
  let rest = segments;
  if (segments[0] === 'namespaces' && segments.length >= 3) {
    namespace = segments[1];
    rest = segments.slice(2);
  }
  const [plural, name, ...more] = rest;
  if (plural !== 'events' || more.length > 0) {
    throw new StrataError(
      'NotFound',
      `the server could not find the requested resource (events.k8s.io/v1 ${segments.join('/')})`,
    );
  }
  const core: ApiTarget = { type: CORE_EVENTS, namespace, name, subresource: undefined };
  const method = r.req.method ?? 'GET';
  if (r.role !== 'admin' && method !== 'GET') {
    const verb =
      { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[method] ?? method.toLowerCase();
    throw forbidden(r.role, verb, 'events', 'events.k8s.io', namespace);
  }
  const table = wantsTable(r.req.headers.accept);
  const view = (o: KubeObject) => toEventsV1(o);
  if (method === 'GET') {
    pruneEvents(r.cluster);
    const selectors = {
      labelSelector: parseLabelSelector(r.query.get('labelSelector')),
      fieldSelector: eventsV1FieldSelector(r.query.get('fieldSelector')),
    };
    const watch = r.query.get('watch');
    if (watch === '1' || watch === 'true') {
      const timeout = r.query.get('timeoutSeconds');
      serveWatch(r.res, r.cluster, core, {
        resourceVersion: r.query.get('resourceVersion') ?? undefined,
        sendInitialEvents: r.query.get('sendInitialEvents') === 'true',
        ...selectors,
        timeoutSeconds: timeout ? Number(timeout) : undefined,
        render: (o) =>
          table
            ? toTable(
                EVENT_RESOURCE,
                [o],
                { resourceVersion: o.metadata.resourceVersion },
                r.cluster.now(),
                'Metadata',
              )
            : view(o),
      });
      return;
    }
    if (name !== undefined) {
      const obj = getObject(r.cluster, core);
      r.sendJson(200, table ? toTable(EVENT_RESOURCE, [obj], {}, r.cluster.now(), 'Metadata') : view(obj));
      return;
    }
    const limit = r.query.get('limit');
    const list = listObjects(r.cluster, core, {
      ...selectors,
      limit: limit ? Number(limit) : undefined,
      continueToken: r.query.get('continue') ?? undefined,
    });
    if (table) {
      r.sendJson(200, toTable(EVENT_RESOURCE, list.items, list.metadata, r.cluster.now(), 'Metadata'));
      return;
    }
    r.sendJson(200, {
      ...list,
      kind: 'EventList',
      apiVersion: 'events.k8s.io/v1',
      items: list.items.map(view),
    });
    return;
  }
  const write: WriteOptions = {
    fieldManager: r.query.get('fieldManager'),
    userAgent: r.req.headers['user-agent'],
    dryRun: r.query.getAll('dryRun').includes('All'),
    force: false,
  };
  if (method === 'DELETE') {
    r.sendJson(200, view(deleteObject(r.cluster, core, { propagation: 'Background', dryRun: write.dryRun })));
    return;
  }
  const body = await r.readBody();
  if (!isJsonObject(body))
    throw new StrataError('BadRequest', 'the body of an Event request must be an object');
  if (method === 'POST' && name === undefined) {
    r.sendJson(write.dryRun ? 200 : 201, view(createObject(r.cluster, core, fromEventsV1(body), write)));
    return;
  }
  if (method === 'PUT' && name !== undefined) {
    r.sendJson(200, view(updateObject(r.cluster, core, fromEventsV1(body), write)));
    return;
  }
  throw kubeReasonError(
    'MethodNotAllowed',
    405,
    `${method} is not served for events.k8s.io/v1 events by the simulator`,
  );
}

/** Field selectors of the events.k8s.io view name its fields; the stored core Events use the core names. */
function eventsV1FieldSelector(text: string | null) {
  if (!text) return parseFieldSelector(text);
  return parseFieldSelector(
    text
      .replace(/\bregarding\./g, 'involvedObject.')
      .replace(/\breportingController\b/g, 'reportingComponent')
      .replace(/\bnote\b/g, 'message'),
  );
}
