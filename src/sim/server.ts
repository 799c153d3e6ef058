/**
 * The simulated clusters' Kubernetes API: one HTTPS listener serving every cluster at `/clusters/<name>`,
 * authenticated with per-cluster bearer tokens (admin, read-only), answering discovery, the resource verbs and
 * watches in the JSON kubectl and client libraries expect, errors as `Status` objects.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { parse as parseYaml } from 'yaml';
import type { Clock } from '../core/clock.ts';
import { systemClock } from '../core/clock.ts';
import { StrataError } from '../core/errors.ts';
import type { ApiTarget, WriteOptions } from './api-operations.ts';
import {
  createObject,
  deleteCollection,
  deleteObject,
  getObject,
  listObjects,
  patchObject,
  updateObject,
} from './api-operations.ts';
import { apiGroup, apiGroupList, apiResourceList, coreApiVersions, versionInfo } from './discovery.ts';
import { fieldValidationOf, validateFields } from './field-validation.ts';
import { SimFleet } from './fleet.ts';
import { infraToken, isInfraCall, serveInfraCall } from './infra-rpc.ts';
import type { KubeObject } from './kube-object.ts';
import { isJsonObject } from './kube-object.ts';
import { kubeReasonError, statusFor, successStatus } from './kube-status.ts';
import { renderKubeconfig } from './kubeconfig.ts';
import { MACHINE_TYPE } from './machine-records.ts';
import { SimInfrastructure } from './machines.ts';
import type { PatchType } from './patch.ts';
import { patchTypeOf } from './patch.ts';
import type { SimObjectPersistence } from './persistence.ts';
import { loadOrCreatePki, loadOrCreateTokenSecret } from './pki.ts';
import { decodeKubeProtobuf, KubeProtobufError } from './protobuf.ts';
import { parsePath, resolveTarget, splitClusterPath } from './request-target.ts';
import { resourceKey } from './resources.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import type { PropagationPolicy, SimCluster } from './sim-cluster.ts';
import { CRD_RESOURCE } from './sim-cluster.ts';
import { toTable, wantsTable } from './tables.ts';
import { customResourceColumns } from './tables-workloads.ts';
import type { SimTiming } from './timing.ts';
import { resolveTiming } from './timing.ts';
import type { SimTokenRole } from './tokens.ts';
import { roleOfToken, tokenFor } from './tokens.ts';
import { serveOpenApi, serveToolRequest } from './tool-routes.ts';
import { requestTooLarge } from './validation.ts';
import { serveWatch } from './watch.ts';
import { handleUpgrade } from './websocket.ts';

/** Options of `startSimKubeServer`. */
export interface SimKubeServerOptions {
  /** Loopback address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 7443; 0 picks a free one). */
  port?: number;
  /** Directory of the CA, server certificate and (when `tokenSecret` is absent) the token secret. */
  pkiDir: string;
  /** Secret the cluster tokens derive from; read from or created in `pkiDir` when absent. */
  tokenSecret?: string;
  persistence: SimObjectPersistence;
  clock?: Clock;
  timing?: Partial<SimTiming>;
  /** Clusters kept in memory at most (idle ones beyond are evicted first); default 10,000. */
  maxLoadedClusters?: number;
  /** Called with each request's method and path as it arrives (to count what clients ask). */
  onRequest?: (method: string, path: string) => void;
}

/** A running simulated API server. */
export interface SimKubeServer {
  /** `https://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Simulated machines, pools and clusters: the engine's hooks. */
  infra: SimInfrastructure;
  /** The loaded clusters (for figures, flushing, and tests that move a manual clock). */
  fleet: SimFleet;
  /** PEM of the CA that signed the server certificate. */
  caCertPem: string;
  /** Returns a cluster's API URL (`https://127.0.0.1:7443/clusters/<name>`). */
  clusterUrl(cluster: string): string;
  /** Returns the bearer token of a role on a cluster. */
  token(cluster: string, role: SimTokenRole): string;
  /** Returns a kubeconfig (YAML) for a cluster and role. */
  kubeconfig(cluster: string, role: SimTokenRole): string;
  /** Persists pending writes of every loaded cluster (resolves once they are in the store). */
  flush(): Promise<void>;
  /** Stops listening, closes watches and persists pending writes. */
  stop(): Promise<void>;
}

const ONE_MEBIBYTE = 1024 * 1024;
const MAX_BODY = 3 * ONE_MEBIBYTE;

/** Starts the HTTPS server; resolves once it listens. */
export async function startSimKubeServer(options: SimKubeServerOptions): Promise<SimKubeServer> {
  const host = options.host ?? '127.0.0.1';
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) {
    throw new StrataError(
      'ValidationFailed',
      `host "${host}" is not a loopback address; the simulator listens on loopback only`,
      {
        field: 'host',
      },
    );
  }
  const pki = await loadOrCreatePki(options.pkiDir);
  const secret = options.tokenSecret ?? (await loadOrCreateTokenSecret(options.pkiDir));
  const clock = options.clock ?? systemClock;
  const fleet = new SimFleet(
    options.persistence,
    clock,
    resolveTiming(options.timing),
    options.maxLoadedClusters,
  );
  const infra = new SimInfrastructure(fleet);
  const sockets = new Set<Socket>();
  const handler = new RequestHandler(fleet, secret, clock, infra);
  const onRequest = options.onRequest;
  const server: Server = createServer({ cert: pki.serverCertPem, key: pki.serverKeyPem }, (req, res) => {
    onRequest?.(req.method ?? 'GET', req.url ?? '/');
    handler.handle(req, res).catch((e: unknown) => sendError(res, e));
  });
  server.keepAliveTimeout = 60_000;
  // exec and port-forward arrive as upgrade requests (WebSockets).
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    onRequest?.(req.method ?? 'GET', req.url ?? '/');
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    void handleUpgrade(req, socket, head, {
      fleet,
      roleOf: (cluster, r) => roleOfToken(secret, cluster, bearerToken(r)),
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7443, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  handler.serverAddress = `${host}:${port}`;
  const clusterUrl = (cluster: string) => `${url}/clusters/${encodeURIComponent(cluster)}`;
  return {
    url,
    port,
    infra,
    fleet,
    caCertPem: pki.caCertPem,
    clusterUrl,
    token: (cluster, role) => tokenFor(secret, cluster, role),
    kubeconfig: (cluster, role) =>
      renderKubeconfig({
        cluster,
        server: clusterUrl(cluster),
        caCertPem: pki.caCertPem,
        token: tokenFor(secret, cluster, role),
        role,
      }),
    flush: () => fleet.flush(),
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
      await fleet.stop();
    },
  };
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = statusFor(error);
  if (status.code >= 500) console.error('sim: request failed:', error);
  sendJson(res, status.code, status);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw requestTooLarge(MAX_BODY);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseBody(body: Buffer, contentType: string | undefined): unknown {
  const type = contentType ?? '';
  const unsupported = (detail = '') =>
    kubeReasonError(
      'UnsupportedMediaType',
      415,
      `the body of the request was in an unknown format (${type}) - accepted media types include: application/json, application/yaml, application/merge-patch+json, application/strategic-merge-patch+json, application/json-patch+json, application/apply-patch+yaml${detail}`,
    );
  if (type.includes('cbor')) throw unsupported();
  if (type.includes('protobuf')) {
    // kubectl's typed clients send protobuf and do not fall back to JSON on 415: decode what the schema covers.
    try {
      return decodeKubeProtobuf(body);
    } catch (e) {
      if (!(e instanceof KubeProtobufError)) throw e;
      if (e.unsupported) throw unsupported(`; ${e.message}`);
      throw new StrataError('BadRequest', `the request body is not valid protobuf: ${e.message}`);
    }
  }
  const text = body.toString('utf8');
  if (text.trim() === '') return undefined;
  const isYaml = type.includes('yaml');
  try {
    // An apply body is YAML by media type but JSON as most clients send it (JSON is YAML): JSON.parse first,
    // ~10× cheaper than the YAML parser; anything it rejects goes to the YAML parser.
    if (isYaml && /^\s*\{/.test(text)) {
      try {
        return JSON.parse(text);
      } catch {}
    }
    return isYaml ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new StrataError(
      'BadRequest',
      `the request body is not valid ${isYaml ? 'YAML' : 'JSON'}: ${(e as Error).message}`,
    );
  }
}

function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (!h?.startsWith('Bearer ')) return undefined;
  return h.slice('Bearer '.length).trim();
}

function propagationOf(query: URLSearchParams, body: unknown): PropagationPolicy {
  const fromBody = isJsonObject(body) ? body['propagationPolicy'] : undefined;
  const orphan = isJsonObject(body) ? body['orphanDependents'] : undefined;
  const text = query.get('propagationPolicy') ?? (typeof fromBody === 'string' ? fromBody : undefined);
  if (text === 'Orphan' || orphan === true || query.get('orphanDependents') === 'true') return 'Orphan';
  if (text === 'Foreground') return 'Foreground';
  return 'Background';
}

function isDryRun(query: URLSearchParams, body: unknown): boolean {
  const fromBody = isJsonObject(body) && Array.isArray(body['dryRun']) ? body['dryRun'] : [];
  return query.getAll('dryRun').includes('All') || fromBody.includes('All');
}

/** Routes one request: authentication, discovery, then the resource verbs. */
class RequestHandler {
  serverAddress = '127.0.0.1:7443';

  constructor(
    private readonly fleet: SimFleet,
    private readonly secret: string,
    private readonly clock: Clock,
    private readonly infra: SimInfrastructure,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://sim.invalid');
    if (isInfraCall(req, url.pathname)) {
      const presented = Buffer.from(bearerToken(req) ?? '');
      const expected = Buffer.from(infraToken(this.secret));
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
        throw new StrataError('Unauthorized', 'Unauthorized');
      }
      return serveInfraCall(this.infra, this.fleet, parseBody(await readBody(req), 'application/json'), res);
    }
    const split = splitClusterPath(url.pathname);
    if (!split)
      throw new StrataError(
        'NotFound',
        `the server could not find the requested resource (${url.pathname}); clusters are served under /clusters/<name>`,
      );
    const role = roleOfToken(this.secret, split.cluster, bearerToken(req));
    if (!role) throw new StrataError('Unauthorized', 'Unauthorized');
    const cluster = await this.fleet.require(split.cluster);
    const path = parsePath(split.rest);
    if (!path)
      throw new StrataError('NotFound', `the server could not find the requested resource (${split.rest})`);
    const types = () => cluster.registry.all();
    const tool = {
      req,
      res,
      query: url.searchParams,
      cluster,
      role,
      readBody: async () => parseBody(await readBody(req), req.headers['content-type']),
      sendJson: (code: number, body: unknown) => sendJson(res, code, body),
    };
    if (await serveToolRequest(path, tool)) return;
    switch (path.kind) {
      case 'version':
        return sendJson(res, 200, versionInfo(serverVersion(cluster)));
      case 'health':
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('ok');
        return;
      case 'openapi-v2':
      case 'openapi-v3':
        return serveOpenApi(split.rest, tool, serverVersion(cluster));
      case 'api':
        return sendJson(res, 200, coreApiVersions(this.serverAddress));
      case 'apis':
        return sendJson(res, 200, apiGroupList(types()));
      case 'group': {
        const doc = apiGroup(types(), path.group);
        if (!doc)
          throw new StrataError(
            'NotFound',
            `the server could not find the requested resource (apis/${path.group})`,
          );
        return sendJson(res, 200, doc);
      }
      case 'resource-list': {
        const doc = apiResourceList(types(), path.group, path.version);
        if (!doc)
          throw new StrataError(
            'NotFound',
            `the server could not find the requested resource (${path.group}/${path.version})`,
          );
        return sendJson(res, 200, doc);
      }
      case 'resource': {
        const target = resolveTarget(cluster.registry, path.group, path.version, path.segments);
        return this.handleResource(req, res, url.searchParams, cluster, target, role);
      }
    }
  }

  private async handleResource(
    req: IncomingMessage,
    res: ServerResponse,
    query: URLSearchParams,
    cluster: SimCluster,
    target: ApiTarget,
    role: SimTokenRole,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    const reading = method === 'GET' || method === 'HEAD';
    const watching = method === 'GET' && (query.get('watch') === '1' || query.get('watch') === 'true');
    // Read-only is Kubernetes' `view` role: every read but Secrets (their data is credentials), no writes.
    if (role === 'read-only' && (!reading || target.type.plural === 'secrets')) {
      const verb = reading
        ? target.name
          ? 'get'
          : watching
            ? 'watch'
            : 'list'
        : ({ POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[method] ??
          method.toLowerCase());
      throw new StrataError(
        'Forbidden',
        `${target.type.plural} is forbidden: User "read-only" cannot ${verb} resource "${target.type.plural}" in API group "${target.type.group}"${target.namespace ? ` in the namespace "${target.namespace}"` : ''}`,
      );
    }
    const table = wantsTable(req.headers.accept);
    const includeObject = (query.get('includeObject') ?? 'Metadata') as 'None' | 'Metadata' | 'Object';
    const columns = table
      ? customResourceColumns(
          cluster.store.list(CRD_RESOURCE),
          target.type.group,
          target.type.version,
          target.type.plural,
        )
      : undefined;
    const render = (obj: KubeObject, listMeta: Record<string, unknown> = {}) =>
      table
        ? toTable(resourceKey(target.type), [obj], listMeta, this.clock.now(), includeObject, columns)
        : obj;
    const body = reading ? undefined : parseBody(await readBody(req), req.headers['content-type']);
    if ((method === 'POST' || method === 'PUT' || method === 'PATCH') && !target.subresource) {
      const patchType = method === 'PATCH' ? patchTypeOf(req.headers['content-type']) : undefined;
      if (patchType !== 'json') {
        const warnings = validateFields(
          target.type,
          body,
          patchType === 'apply' ? 'apply' : patchType ? 'patch' : 'object',
          fieldValidationOf(query),
          { crds: () => cluster.store.list(CRD_RESOURCE) },
        );
        if (warnings.length > 0)
          res.setHeader(
            'Warning',
            warnings.map((w) => `299 - ${JSON.stringify(w)}`),
          );
      }
    }
    const write: WriteOptions = {
      fieldManager: query.get('fieldManager'),
      userAgent: req.headers['user-agent'],
      dryRun: isDryRun(query, body),
      force: query.get('force') === 'true',
    };
    const selectors = () => ({
      labelSelector: parseLabelSelector(query.get('labelSelector')),
      fieldSelector: parseFieldSelector(query.get('fieldSelector')),
    });

    if (watching) {
      const timeout = query.get('timeoutSeconds');
      serveWatch(res, cluster, target, {
        resourceVersion: query.get('resourceVersion') ?? undefined,
        sendInitialEvents: query.get('sendInitialEvents') === 'true',
        ...selectors(),
        timeoutSeconds: timeout ? Number(timeout) : undefined,
        render: (o) => render(o, { resourceVersion: o.metadata.resourceVersion }),
      });
      return;
    }
    if (method === 'GET' && target.name !== undefined) {
      return sendJson(
        res,
        200,
        target.subresource === 'scale' ? getObject(cluster, target) : render(getObject(cluster, target)),
      );
    }
    if (method === 'GET') {
      const limit = query.get('limit');
      const list = listObjects(cluster, target, {
        ...selectors(),
        limit: limit ? Number(limit) : undefined,
        continueToken: query.get('continue') ?? undefined,
      });
      if (table) {
        return sendJson(
          res,
          200,
          toTable(
            resourceKey(target.type),
            list.items,
            list.metadata,
            this.clock.now(),
            includeObject,
            columns,
          ),
        );
      }
      return sendJson(res, 200, list);
    }
    if (method === 'POST') {
      if (target.name !== undefined)
        throw kubeReasonError('MethodNotAllowed', 405, 'POST is not allowed on a named object');
      return sendJson(res, write.dryRun ? 200 : 201, createObject(cluster, target, body, write));
    }
    if (method === 'PUT') {
      if (target.name === undefined)
        throw kubeReasonError('MethodNotAllowed', 405, 'PUT needs an object name');
      return sendJson(res, 200, updateObject(cluster, target, body, write));
    }
    if (method === 'PATCH') {
      if (target.name === undefined)
        throw kubeReasonError('MethodNotAllowed', 405, 'PATCH needs an object name');
      const patchType: PatchType | undefined = patchTypeOf(req.headers['content-type']);
      if (!patchType) {
        throw kubeReasonError(
          'UnsupportedMediaType',
          415,
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
        );
      }
      const existed =
        patchType === 'apply' &&
        cluster.store.get(
          resourceKey(target.type),
          target.type.namespaced ? target.namespace : undefined,
          target.name,
        ) !== undefined;
      const result = patchObject(cluster, target, patchType, body, write);
      return sendJson(res, patchType === 'apply' && !existed && !write.dryRun ? 201 : 200, result);
    }
    if (method === 'DELETE') {
      const propagation = propagationOf(query, body);
      if (target.name === undefined) {
        return sendJson(
          res,
          200,
          deleteCollection(cluster, target, {
            ...selectors(),
            limit: undefined,
            continueToken: undefined,
            propagation,
            dryRun: write.dryRun,
          }),
        );
      }
      const preconditions =
        isJsonObject(body) && isJsonObject(body['preconditions']) ? body['preconditions'] : {};
      const deleted = deleteObject(cluster, target, {
        propagation,
        dryRun: write.dryRun,
        ...(typeof preconditions['uid'] === 'string' ? { preconditionUid: preconditions['uid'] } : {}),
        ...(typeof preconditions['resourceVersion'] === 'string'
          ? { preconditionRv: preconditions['resourceVersion'] }
          : {}),
      });
      // Kubernetes answers 200 with the object for most kinds, 202 while it is only marked for deletion.
      if (deleted.metadata.deletionTimestamp && !write.dryRun) return sendJson(res, 202, deleted);
      if (target.type.kind === 'Pod' || target.type.group !== '' || target.type.kind === 'Namespace') {
        return sendJson(res, 200, deleted);
      }
      return sendJson(res, 200, {
        ...successStatus({ group: target.type.group, kind: target.type.plural, name: target.name }),
        details: {
          name: target.name,
          group: target.type.group,
          kind: target.type.plural,
          uid: deleted.metadata.uid,
        },
      });
    }
    throw kubeReasonError('MethodNotAllowed', 405, `method ${method} is not allowed`);
  }
}

/** Returns the Kubernetes version a cluster reports: its control plane's newest kubelet version. */
function serverVersion(cluster: SimCluster): string {
  const versions = cluster.store
    .list(resourceKey(MACHINE_TYPE))
    .filter((m) => (m['spec'] as { role?: string }).role === 'control-plane')
    .map((m) => String((m['spec'] as { kubeletVersion?: string }).kubeletVersion ?? ''))
    .filter((v) => /^v?\d+\.\d+\.\d+/.test(v))
    .map((v) => (v.startsWith('v') ? v : `v${v}`))
    .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }));
  return versions[0] ?? 'v1.33.0';
}
