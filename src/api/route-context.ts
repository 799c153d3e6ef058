/**
 * What route modules share with the server that registers them: the typed Fastify instance, the route context,
 * the request's principal and the route config Fastify is told about. Route modules import this, never
 * server.ts, so the server and its routes do not import each other.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Catalog } from '../core/catalog.ts';
import { StrataError } from '../core/errors.ts';
import type { EngineCommands } from '../engine/contract.ts';
import type { Renderer } from '../render/renderer.ts';
import type { Store } from '../store/open.ts';
import type { AdmissionControl } from './admission.ts';
import type { Principal, RouteAccess, TokenAuthenticator } from './auth.ts';
import type { LiveEventBus } from './event-bus.ts';
import type { KnownSecrets } from './known-secrets.ts';
import type { SseStreams } from './sse.ts';

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
  renderer: Renderer;
  events: LiveEventBus;
  auth: TokenAuthenticator;
  streams: SseStreams;
  heartbeatMs: number;
  /** Values known to be secret, masked in what callers below admin are sent (viewer-view.ts). */
  secrets: KnownSecrets;
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
  interface FastifyInstance {
    /** The server's admission control (how many requests of each class run and wait). */
    admission: AdmissionControl;
  }
}

/** Returns the caller of an authenticated route (every route but `public` ones has one). */
export function callerOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new StrataError('Unauthorized', 'This route needs a bearer token.');
  return request.principal;
}
