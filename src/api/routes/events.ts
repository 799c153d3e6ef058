/** The fleet-wide live event stream (server-sent events). */

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiApp, RouteContext } from '../route-context.ts';
import { streamQuery } from '../schemas.ts';
import { answerAsSeenBy } from '../viewer-view.ts';

/** Registers `GET /v1/events/stream`. */
export function registerEventRoutes(app: ApiApp, ctx: RouteContext): void {
  app.get(
    '/v1/events/stream',
    {
      schema: {
        tags: ['events'],
        summary: 'Live events (server-sent events): cluster phases, conditions, operation progress, changes',
        description:
          'Authenticate with Authorization: Bearer, or ?token= for EventSource (which cannot set headers). Heartbeat comments every 15 s. Filter with ?cluster=NAME.',
        querystring: streamQuery,
      },
      config: { access: 'viewer', queryToken: true },
    },
    async (request, reply) => {
      openLiveStream(ctx, request, reply, { cluster: request.query.cluster });
    },
  );
}

/** Opens a live event stream for `filter`, each event as the caller may see it (credentials hidden below admin). */
export function openLiveStream(
  ctx: RouteContext,
  request: FastifyRequest,
  reply: FastifyReply,
  filter: { cluster?: string },
): void {
  ctx.streams.open(request, reply, ctx.events, filter, ctx.heartbeatMs, (json) =>
    answerAsSeenBy(request.principal, ctx.secrets, ctx.catalog, 'application/json', json),
  );
}
