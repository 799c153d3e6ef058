/**
 * The REST API server: Fastify with zod request schemas (which also generate `/v1/openapi.json`), bearer-token
 * auth with roles, YAML and JSON bodies, one error mapping, and the route modules under `routes/`. It does not
 * listen: `strata up` (or a test) calls `listen` or `inject`.
 */
import { stat } from 'node:fs/promises';
import { join, posix, resolve, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Catalog } from '../core/catalog.ts';
import { type IdSource, randomIds } from '../core/clock.ts';
import { StrataError } from '../core/errors.ts';
import type { EngineCommands } from '../engine/contract.ts';
import { Renderer } from '../render/renderer.ts';
import type { Store } from '../store/open.ts';
import { storeContentSource } from '../store/pack-contents.ts';
import { ensureAdminToken } from './admin-token.ts';
import { AdmissionControl, type ClassLimits, type RouteClass } from './admission.ts';
import { bearerToken, requireRole, TokenAuthenticator } from './auth.ts';
import { checkRequestText, registerBodyParsers } from './body-parsers.ts';
import { redactUrl, sendError } from './errors.ts';
import { LiveEventBus } from './event-bus.ts';
import { KnownSecrets } from './known-secrets.ts';
import type { ApiApp, RouteContext } from './route-context.ts';
import { registerAuditRoutes } from './routes/audit.ts';
import { registerClusterRoutes } from './routes/clusters.ts';
import { registerEventRoutes } from './routes/events.ts';
import { registerPackRoutes } from './routes/packs.ts';
import { registerProfileRoutes } from './routes/profiles.ts';
import { registerRegistryRoutes } from './routes/registries.ts';
import { registerRolloutRoutes } from './routes/rollouts.ts';
import { registerTokenRoutes } from './routes/tokens.ts';
import { SSE_HEARTBEAT_MS, SseStreams } from './sse.ts';
import { answerClientError, drainRejectedBody } from './transport.ts';
import { answerAsSeenBy } from './viewer-view.ts';

/** What the API server is built from. */
export interface ApiServerDeps {
  store: Store;
  /** The live pack catalog (built-in + user packs); registered packs are added to it. */
  catalog: Catalog;
  /** The engine, or null while it is not running: cluster actions then answer 503 `Unavailable`. */
  engine: EngineCommands | null;
  /** `$STRATA_HOME`: where the admin token file is written on first start. */
  home: string;
  /**
   * Log every request (pino, tokens and kubeconfigs redacted) to stdout. Default false: then only server-side
   * failures (5xx, with their cause and request ID) are logged, to `errorLog`.
   */
  logger?: boolean;
  /** Where failures are logged while `logger` is off (default: stderr); tests pass a collector. */
  errorLog?: { write(line: string): void };
  /** Limits of concurrent and waiting requests per class (defaults: `defaultAdmissionLimits`). */
  admission?: Partial<Record<RouteClass, Partial<ClassLimits>>>;
  /** Request IDs (`req-…`, also the `X-Request-Id` header and a 5xx body's `details.requestId`). */
  ids?: IdSource;
  /** The live event bus the engine publishes into; a new one when absent. */
  events?: LiveEventBus;
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Largest request body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** How long a verified token is cached (default 5 s): the bound on cross-process revocation delay. */
  tokenCacheTtlMs?: number;
  /** Interval of SSE heartbeat comments (default 15 s). */
  heartbeatMs?: number;
  /** The built web console served at `/` (default `DEFAULT_WEB_DIR`, i.e. `<repo>/dist/web`). */
  webDir?: string;
  /** Renders packs being registered (default: the server's own, stopped with it). */
  renderer?: Renderer;
}

/** Where `npm run build` puts the console: `<repo>/dist/web`, resolved from this module's location. */
export const DEFAULT_WEB_DIR = resolve(import.meta.dirname, '..', '..', 'dist', 'web');

/**
 * Headers of every console answer. The token lives in the browser's storage, so scripts may come from this
 * server only (no inline or foreign script); CodeMirror injects its styles, hence inline styles are allowed.
 */
const CONSOLE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** How long browsers may keep the console's content-hashed `/assets/*` files (one year, immutable). */
const ASSET_CACHE = 'public, max-age=31536000, immutable';

/** The page `/` answers while the console is not built: what happened and the one command that fixes it. */
export const CONSOLE_NOT_BUILT_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Strata: console not built</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1d2433}
code{background:#eef1f6;padding:.1rem .35rem;border-radius:4px}</style></head>
<body><h1>The Strata console is not built yet</h1>
<p>The REST API is running at <a href="/v1/openapi.json"><code>/v1</code></a>, but there is no built console
to serve here.</p>
<p>Build it once with <code>npm run build</code> (or start Strata with <code>npm start</code>, which builds it
when needed), then reload this page.</p></body></html>
`;

/** The default request body limit: profiles and packs are text well below it. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/**
 * Returns the API server, ready to `listen` or `inject` (nothing listens yet). The admin token file is made
 * when the server becomes ready, if missing.
 */
export function createApiServer(deps: ApiServerDeps): FastifyInstance {
  const bodyLimit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const serializers = {
    req: (req: { method: string; url: string; ip?: string }) => ({
      method: req.method,
      url: redactUrl(req.url),
      remoteAddress: req.ip,
    }),
  };
  const redact = { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '***' };
  // Failures are always logged: a 500 whose cause is nowhere cannot be diagnosed (its body names the request ID).
  // Every log line has the values known to be secret masked (an error's cause may quote one).
  const secrets = new KnownSecrets();
  const out = deps.logger ? process.stdout : (deps.errorLog ?? process.stderr);
  const stream = {
    write: (line: string) => {
      secrets.learnCatalog(deps.catalog);
      out.write(secrets.maskText(line));
    },
  };
  const logger = deps.logger
    ? { level: 'info', redact, serializers, stream }
    : { level: 'error', redact, serializers, stream };
  const ids = deps.ids ?? randomIds;
  const options = {
    logger,
    bodyLimit,
    genReqId: () => ids.next('req-'),
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    // SSE streams and keep-alive sockets must not hold a closing server open.
    forceCloseConnections: true,
    return503OnClosing: true,
    clientErrorHandler: answerClientError,
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => {
      sendError(request, reply, error);
    },
  };
  const base = deps.tls
    ? (Fastify({
        ...options,
        https: { cert: deps.tls.cert, key: deps.tls.key },
      }) as unknown as FastifyInstance)
    : Fastify(options);
  const app = base.withTypeProvider<ZodTypeProvider>() as unknown as ApiApp;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // The embedded store runs one query at a time; a PostgreSQL store's pool holds 10 connections by default.
  const admission = new AdmissionControl(deps.store.driver === 'pglite' ? 1 : 10, deps.admission);
  const ctx: RouteContext = {
    store: deps.store,
    catalog: deps.catalog,
    engine: deps.engine,
    renderer: deps.renderer ?? new Renderer({ content: storeContentSource(deps.store.db) }),
    events: deps.events ?? new LiveEventBus(),
    auth: new TokenAuthenticator(deps.store, { ttlMs: deps.tokenCacheTtlMs }),
    streams: new SseStreams(),
    heartbeatMs: deps.heartbeatMs ?? SSE_HEARTBEAT_MS,
    secrets,
  };

  registerBodyParsers(app as unknown as FastifyInstance, bodyLimit);

  app.decorate('admission', admission);
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (request.is404) return;
    const access = request.routeOptions.config.access ?? 'admin';
    if (access === 'public') return;
    // Before authentication, which may read the store: an overloaded server refuses at once, cheaply.
    await admission.admit(request, reply);
    const query = request.query as Record<string, unknown> | undefined;
    const fromQuery =
      request.routeOptions.config.queryToken && typeof query?.token === 'string' ? query.token : undefined;
    const principal = await ctx.auth.authenticate(bearerToken(request.headers.authorization) ?? fromQuery);
    requireRole(principal, access, `${request.method} ${request.routeOptions.url ?? ''}`);
    request.principal = principal;
  });
  app.addHook('preValidation', async (request) => checkRequestText(request));
  // Credentials are write-only below admin: one place filters every answer (event streams filter each frame).
  app.addHook('onSend', async (request, reply, payload) =>
    typeof payload === 'string'
      ? answerAsSeenBy(
          request.principal,
          ctx.secrets,
          ctx.catalog,
          String(reply.getHeader('content-type') ?? ''),
          payload,
        )
      : payload,
  );
  app.setErrorHandler((error, request, reply) => {
    if ((error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') drainRejectedBody(request, reply);
    return sendError(request, reply, error);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!.slice(0, 200);
    sendError(request, reply, new StrataError('NotFound', `No route ${request.method} ${path}.`, { path }));
  });
  app.addHook('onReady', async () => {
    await ensureAdminToken(deps.store, deps.home);
  });
  app.addHook('preClose', async () => {
    ctx.streams.closeAll();
  });
  if (!deps.renderer) app.addHook('onClose', () => ctx.renderer.close());

  app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Strata REST API',
        description:
          'Layered cluster profiles and safe updates of live Kubernetes clusters. Errors are {code, message, details}.',
        version: '1.0.0',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  app.register(async (scope) => {
    const api = scope as unknown as ApiApp;
    api.get('/v1/openapi.json', { schema: { hide: true }, config: { access: 'public' } }, async () =>
      app.swagger(),
    );
    registerPackRoutes(api, ctx);
    registerProfileRoutes(api, ctx);
    registerClusterRoutes(api, ctx);
    registerEventRoutes(api, ctx);
    registerRolloutRoutes(api, ctx);
    registerAuditRoutes(api, ctx);
    registerTokenRoutes(api, ctx);
    registerRegistryRoutes(api, ctx);
  });
  registerConsole(app, deps.webDir ?? DEFAULT_WEB_DIR);
  return app as unknown as FastifyInstance;
}

/** True when `path` is an existing regular file. */
async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Serves the built console at `/` on the API's own port: a file of `webDir` when the path names one, else
 * `index.html` (the console's routes), never anything under `/v1` (an unknown API path stays a JSON 404).
 * Hashed `/assets/*` are cached for a year; `index.html` is revalidated on every load, so a rebuild shows at
 * once. Without a build, `/` answers a short page saying how to build it.
 */
function registerConsole(app: ApiApp, webDir: string): void {
  const root = resolve(webDir);
  app.register(fastifyStatic, { root, serve: false });
  app.get(
    '/*',
    { schema: { hide: true }, config: { access: 'public' } },
    async (request: FastifyRequest, reply: FastifyReply) => {
      const pathname = request.url.split('?')[0]!;
      if (pathname === '/v1' || pathname.startsWith('/v1/')) {
        throw new StrataError('NotFound', `No route ${request.method} ${pathname.slice(0, 200)}.`, {
          path: pathname.slice(0, 200),
        });
      }
      reply.headers(CONSOLE_HEADERS);
      let relative: string;
      try {
        relative = posix.normalize(decodeURIComponent(pathname)).replace(/^\/+/, '');
      } catch {
        relative = '';
      }
      const file = join(root, relative);
      const inside = file.startsWith(root + sep) && !relative.split('/').includes('..');
      if (inside && relative !== 'index.html' && (await isFile(file))) {
        const hashed = relative.startsWith('assets/');
        reply.header('cache-control', hashed ? ASSET_CACHE : 'no-cache');
        return reply.sendFile(relative, { cacheControl: false });
      }
      if (relative.startsWith('assets/')) {
        // A missing hashed asset (an old page after a rebuild) must fail plainly, not come back as HTML.
        throw new StrataError('NotFound', `No console file ${pathname.slice(0, 200)}.`, {
          path: pathname.slice(0, 200),
        });
      }
      reply.header('cache-control', 'no-cache');
      if (await isFile(join(root, 'index.html')))
        return reply.sendFile('index.html', { cacheControl: false });
      return reply.code(200).type('text/html; charset=utf-8').send(CONSOLE_NOT_BUILT_HTML);
    },
  );
}
