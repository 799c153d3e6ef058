/**
 * Watch streams (`?watch=1`): newline-delimited `{type, object}` events of one resource, starting from a
 * resourceVersion (replayed from the cluster's recent history), from the current state, or with the initial
 * state followed by a BOOKMARK marking its end (`sendInitialEvents=true`, used by client-go's watch-list).
 */
import type { ServerResponse } from 'node:http';
import type { ApiTarget } from './api-operations.ts';
import type { KubeObject } from './kube-object.ts';
import type { StoreEvent } from './object-store.ts';
import { apiVersionOf, resourceKey } from './resources.ts';
import type { ObjectMatcher } from './selectors.ts';
import type { SimCluster } from './sim-cluster.ts';

/** Parameters of a watch request. */
export interface WatchOptions {
  resourceVersion: string | undefined;
  sendInitialEvents: boolean;
  labelSelector: ObjectMatcher;
  fieldSelector: ObjectMatcher;
  timeoutSeconds: number | undefined;
  /** Turns an object into what the client asked for (the object itself, or a one-row Table). */
  render: (obj: KubeObject) => unknown;
}

/** Longest a watch stays open when the client gives no timeout (clients re-watch, as with a real server). */
const MAX_WATCH_SECONDS = 1800;

/** Streams watch events to `res` until the client leaves, the timeout passes, or the server stops. */
export function serveWatch(
  res: ServerResponse,
  cluster: SimCluster,
  target: ApiTarget,
  options: WatchOptions,
): void {
  const key = resourceKey(target.type);
  const namespace = target.type.namespaced ? target.namespace : undefined;
  const apiVersion = apiVersionOf(target.type);
  const matches = (o: KubeObject) =>
    (namespace === undefined || o.metadata.namespace === namespace) &&
    (target.name === undefined || o.metadata.name === target.name) &&
    options.labelSelector(o) &&
    options.fieldSelector(o);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  // Clients wait for the headers before reading events; an empty watch must not keep them waiting.
  res.flushHeaders();
  const send = (type: string, obj: unknown) => res.write(`${JSON.stringify({ type, object: obj })}\n`);
  const sendObject = (type: string, obj: KubeObject) =>
    send(type, options.render(obj.apiVersion === apiVersion ? obj : { ...obj, apiVersion }));

  const rvText = options.resourceVersion;
  const fromRv = rvText && rvText !== '0' ? Number(rvText) : undefined;
  if (fromRv !== undefined && !options.sendInitialEvents) {
    const past = Number.isFinite(fromRv) ? cluster.store.eventsSince(fromRv) : 'expired';
    if (past === 'expired') {
      send('ERROR', {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `too old resource version: ${rvText} (${cluster.store.resourceVersion})`,
        reason: 'Expired',
        code: 410,
      });
      res.end();
      return;
    }
    for (const e of past) if (e.resource === key && matches(e.object)) sendObject(e.type, e.object);
  } else {
    const list = cluster.store.list(key, namespace);
    for (const o of list) if (matches(o)) sendObject('ADDED', o);
    if (options.sendInitialEvents) {
      send('BOOKMARK', {
        kind: target.type.kind,
        apiVersion,
        metadata: {
          resourceVersion: String(cluster.store.resourceVersion),
          annotations: { 'k8s.io/initial-events-end': 'true' },
        },
      });
    }
  }
  const unsubscribe = cluster.store.subscribe((e: StoreEvent) => {
    if (e.resource === key && matches(e.object)) sendObject(e.type, e.object);
  });
  const seconds = Math.min(options.timeoutSeconds ?? MAX_WATCH_SECONDS, MAX_WATCH_SECONDS);
  const timer = setTimeout(() => res.end(), seconds * 1000);
  timer.unref();
  res.on('close', () => {
    clearTimeout(timer);
    unsubscribe();
  });
}
