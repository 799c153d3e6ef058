/**
 * The REST API server: Fastify with zod request schemas (which also generate `/v1/openapi.json`), bearer-token
 * auth with roles, YAML and JSON bodies, one error mapping, and the route modules under `routes/`. It does not
 * listen: `strata up` (or a test) calls `listen` or `inject`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import fastifySwagger from '@fastify/swagger';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type RawServerDefault,
} from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Catalog } from '../core/catalog.ts';
import { StrataError } from '../core/errors.ts';
import { documentData, parseValues } from '../core/values.ts';
import type { EngineCommands } from '../engine/contract.ts';
import type { Store } from '../store/open.ts';
import { ensureAdminToken } from './admin-token.ts';
import { bearerToken, type Principal, type RouteAccess, requireRole, TokenAuthenticator } from './auth.ts';
import { sendError } from './errors.ts';
import { LiveEventBus } from './event-bus.ts';
import { registerAuditRoutes } from './routes/audit.ts';
import { registerClusterRoutes } from './routes/clusters.ts';
import { registerEventRoutes } from './routes/events.ts';
import { registerPackRoutes } from './routes/packs.ts';
import { registerProfileRoutes } from './routes/profiles.ts';
import { registerRolloutRoutes } from './routes/rollouts.ts';
import { registerTokenRoutes } from './routes/tokens.ts';
import { SSE_HEARTBEAT_MS, SseStreams } from './sse.ts';

/** What the API server is built from. */
export interface ApiServerDeps {
  store: Store;
  /** The live pack catalog (built-in + user packs); registered packs are added to it. */
  catalog: Catalog;
  /** The engine, or null while it is not running: cluster actions then answer 503 `Unavailable`. */
  engine: EngineCommands | null;
  /** `$STRATA_HOME`: where the admin token file is written on first start. */
  home: string;
  /** Log requests (pino, tokens and kubeconfigs redacted). Default false. */
  logger?: boolean;
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
}

/** The Fastify instance routes are registered on, typed by the zod provider. */
export type ApiApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** What route modules share. */
export interface RouteContext {
  store: Store;
  catalog: Catalog;
  engine: EngineCommands | null;
  events: LiveEventBus;
  auth: TokenAuthenticator;
  streams: SseStreams;
  heartbeatMs: number;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least role the route needs, or `public`. Routes without it are refused to all but admins. */
    access?: RouteAccess;
    /** Accept the token as `?token=` too (EventSource cannot send headers). */
    queryToken?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The default request body limit: profiles and packs are text well below it. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

const YAML_TYPES = ['application/yaml', 'text/yaml', 'application/x-yaml'];

/** Returns the caller of an authenticated route (every route but `public` ones has one). */
export function callerOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new StrataError('Unauthorized', 'This route needs a bearer token.');
  return request.principal;
}

/** Returns a URL with any `token=` query value masked, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&]*/gi, '$1***');
}

/**
 * Returns the API server, ready to `listen` or `inject` (nothing listens yet). The admin token file is made
 * when the server becomes ready, if missing.
 */
export function createApiServer(deps: ApiServerDeps): FastifyInstance {
  const bodyLimit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const logger = deps.logger
    ? {
        level: 'info',
        redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '***' },
        serializers: {
          req: (req: { method: string; url: string; ip?: string }) => ({
            method: req.method,
            url: redactUrl(req.url),
            remoteAddress: req.ip,
          }),
        },
      }
    : false;
  const options = {
    logger,
    bodyLimit,
    // SSE streams and keep-alive sockets must not hold a closing server open.
    forceCloseConnections: true,
    return503OnClosing: true,
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

  const ctx: RouteContext = {
    store: deps.store,
    catalog: deps.catalog,
    engine: deps.engine,
    events: deps.events ?? new LiveEventBus(),
    auth: new TokenAuthenticator(deps.store, { ttlMs: deps.tokenCacheTtlMs }),
    streams: new SseStreams(),
    heartbeatMs: deps.heartbeatMs ?? SSE_HEARTBEAT_MS,
  };

  // Bodies are JSON or YAML documents; Fastify's default text/plain parser would hand handlers a bare string.
  app.removeContentTypeParser('text/plain');
  for (const type of YAML_TYPES) {
    app.addContentTypeParser(type, { parseAs: 'string', bodyLimit }, (_request, body, done) => {
      try {
        // Safe YAML only: no custom tags, bounded aliases, a mapping at the top (every body is an object).
        done(null, documentData(parseValues(body as string, 'body')));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
  }

  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    if (request.is404) return;
    const access = request.routeOptions.config.access ?? 'admin';
    if (access === 'public') return;
    const query = request.query as Record<string, unknown> | undefined;
    const fromQuery =
      request.routeOptions.config.queryToken && typeof query?.token === 'string' ? query.token : undefined;
    const principal = await ctx.auth.authenticate(bearerToken(request.headers.authorization) ?? fromQuery);
    requireRole(principal, access, `${request.method} ${request.routeOptions.url ?? ''}`);
    request.principal = principal;
  });
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error));
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
  });
  return app as unknown as FastifyInstance;
}
