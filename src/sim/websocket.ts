/**
 * Upgraded connections of the simulated API server: `pods/<name>/exec` and `pods/<name>/portforward` over
 * WebSockets (the `ws` library), authenticated and routed like any request. Failures before the upgrade are
 * answered as plain HTTP with a `Status` body, which kubectl prints as it would a real server's.
 */
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { StrataError } from '../core/errors.ts';
import { userOf } from './access-review.ts';
import { getObject } from './api-operations.ts';
import { containerView } from './container-view.ts';
import { EXEC_PROTOCOLS, execRequestOf, serveExec } from './exec.ts';
import type { SimFleet } from './fleet.ts';
import type { KubeObject } from './kube-object.ts';
import { isJsonObject } from './kube-object.ts';
import { statusFor } from './kube-status.ts';
import { chooseContainer } from './logs.ts';
import { PORTFORWARD_PROTOCOLS, portForwardPortsOf, servePortForward } from './portforward.ts';
import { parsePath, splitClusterPath } from './request-target.ts';
import type { SimTokenRole } from './tokens.ts';
import { podTarget } from './tool-routes.ts';

/** The part of a `ws` WebSocket the simulator uses. */
export interface WebSocketLike {
  readonly protocol: string;
  send(data: Buffer): void;
  close(code?: number): void;
  on(event: 'message', listener: (data: Buffer) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

interface WebSocketServerLike {
  on(event: 'headers', listener: (headers: string[], req: IncomingMessage) => void): unknown;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, done: (ws: WebSocketLike) => void): void;
}

type WebSocketServerClass = new (options: {
  noServer: true;
  handleProtocols: (offered: Set<string>, req: IncomingMessage) => string | false;
  perMessageDeflate: false;
}) => WebSocketServerLike;

// `ws` ships no type declarations (@types/ws is not installed), so its constructor is typed here.
const { WebSocketServer } = createRequire(import.meta.url)('ws') as { WebSocketServer: WebSocketServerClass };

/** What the upgrade handler needs from the server. */
export interface UpgradeContext {
  fleet: SimFleet;
  /** Returns the role a request's bearer token grants on a cluster. */
  roleOf: (cluster: string, req: IncomingMessage) => SimTokenRole | undefined;
}

/**
 * Subprotocols with characters RFC 6455 does not allow in a token (`SPDY/3.1+portforward.k8s.io`, which
 * kubectl sends) are refused by `ws`; they are renamed to a token for `ws` and named as sent in the answer.
 */
const PROTOCOL_ALIASES = new Map(PORTFORWARD_PROTOCOLS.map((p) => [p, p.replace(/[^A-Za-z0-9.-]/g, '-')]));

function aliasProtocols(req: IncomingMessage): void {
  const header = req.headers['sec-websocket-protocol'];
  if (typeof header !== 'string') return;
  req.headers['sec-websocket-protocol'] = header
    .split(',')
    .map((p) => PROTOCOL_ALIASES.get(p.trim()) ?? p.trim())
    .join(', ');
}

function protocolFor(req: IncomingMessage, offered: Set<string>): string | false {
  const wanted = /\/portforward(\?|$)/.test(req.url ?? '') ? PORTFORWARD_PROTOCOLS : EXEC_PROTOCOLS;
  const found = wanted.find((p) => offered.has(PROTOCOL_ALIASES.get(p) ?? p));
  return found === undefined ? false : (PROTOCOL_ALIASES.get(found) ?? found);
}

const wss = new WebSocketServer({
  noServer: true,
  handleProtocols: (offered, req) => protocolFor(req, offered),
  perMessageDeflate: false,
});
wss.on('headers', (headers) => {
  for (const [i, line] of headers.entries()) {
    for (const [real, alias] of PROTOCOL_ALIASES) {
      if (line === `Sec-WebSocket-Protocol: ${alias}`) headers[i] = `Sec-WebSocket-Protocol: ${real}`;
    }
  }
});

function reject(socket: Duplex, error: unknown): void {
  const status = statusFor(error);
  const body = JSON.stringify(status);
  const reason =
    { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }[status.code] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${status.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function runningContainer(pod: KubeObject, container: string): void {
  const status = isJsonObject(pod['status']) ? pod['status'] : {};
  const statuses = Array.isArray(status['containerStatuses']) ? status['containerStatuses'] : [];
  const s = statuses.find((c) => isJsonObject(c) && c['name'] === container);
  const state = isJsonObject(s) && isJsonObject(s['state']) ? s['state'] : {};
  if (!isJsonObject(state['running'])) {
    throw new StrataError(
      'BadRequest',
      `container ${container} is not valid for pod ${pod.metadata.name}: container not running`,
    );
  }
}

/** Handles an HTTP upgrade: exec and port-forward over WebSockets; anything else is refused. */
export async function handleUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  ctx: UpgradeContext,
): Promise<void> {
  socket.on('error', () => socket.destroy());
  try {
    const url = new URL(req.url ?? '/', 'https://sim.invalid');
    const split = splitClusterPath(url.pathname);
    if (!split)
      throw new StrataError('NotFound', `the server could not find the requested resource (${url.pathname})`);
    const role = ctx.roleOf(split.cluster, req);
    if (!role) throw new StrataError('Unauthorized', 'Unauthorized');
    const cluster = await ctx.fleet.require(split.cluster);
    const path = parsePath(split.rest);
    const segments =
      path?.kind === 'resource' && path.group === '' && path.version === 'v1' ? path.segments : [];
    const [first, namespace, third, name, sub, ...extra] = segments;
    if (
      first !== 'namespaces' ||
      third !== 'pods' ||
      !namespace ||
      !name ||
      extra.length > 0 ||
      (sub !== 'exec' && sub !== 'portforward')
    ) {
      throw new StrataError('NotFound', `the server could not find the requested resource (${split.rest})`);
    }
    if (role !== 'admin') {
      throw new StrataError(
        'Forbidden',
        `pods "${name}" is forbidden: User "${userOf(role).username}" cannot create resource "pods/${sub}" in API group "" in the namespace "${namespace}"`,
      );
    }
    const pod = getObject(cluster, podTarget(namespace, name));
    const websocket = String(req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    // kubectl falls back to a plain SPDY upgrade only when the WebSocket one fails: the same errors come first.
    const notWebSocket = () =>
      new StrataError(
        'BadRequest',
        `the simulator serves pods/${sub} over WebSockets only, not ${req.headers.upgrade ?? 'a plain request'}`,
      );
    if (sub === 'exec') {
      const request = execRequestOf(url.searchParams);
      if (request.command.length === 0)
        throw new StrataError('BadRequest', 'you must specify at least 1 command');
      const container = chooseContainer(pod, url.searchParams.get('container') ?? undefined);
      runningContainer(pod, container);
      if (!websocket) throw notWebSocket();
      const view = containerView(cluster, pod, container, request.tty);
      wss.handleUpgrade(req, socket, head, (ws) => serveExec(ws, view, request, () => cluster.now()));
      return;
    }
    const ports = portForwardPortsOf(url.searchParams);
    if (!websocket) throw notWebSocket();
    aliasProtocols(req);
    wss.handleUpgrade(req, socket, head, (ws) => servePortForward(ws, cluster, pod, ports));
  } catch (e) {
    reject(socket, e);
  }
}
