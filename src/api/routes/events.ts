/** The fleet-wide live event stream (server-sent events). */

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
      ctx.streams.open(
        request,
        reply,
        ctx.events,
        { cluster: request.query.cluster },
        ctx.heartbeatMs,
        (json) => answerAsSeenBy(request.principal, ctx.secrets, ctx.catalog, 'application/json', json),
      );
    },
  );
}
