/**
 * Routes of fleet rollouts. They are registered (roles, validation and the OpenAPI document are in place) but
 * answer 503 until the fleet engine runs.
 */
import { StrataError } from '../../core/errors.ts';
import { rolloutParams, rolloutStartSchema } from '../schemas.ts';
import type { ApiApp, RouteContext } from '../server.ts';

function notYet(): never {
  throw new StrataError(
    'Unavailable',
    'Rollouts arrive with the fleet engine; it is not running in this server.',
    {
      reason: 'FleetEngineNotRunning',
    },
  );
}

/** Registers the rollout routes. */
export function registerRolloutRoutes(app: ApiApp, _ctx: RouteContext): void {
  const tags = ['rollouts'];
  app.get(
    '/v1/rollouts',
    { schema: { tags, summary: 'List rollouts' }, config: { access: 'viewer' } },
    async () => notYet(),
  );
  app.post(
    '/v1/rollouts',
    {
      schema: { tags, summary: 'Start (or preview) a rollout', body: rolloutStartSchema },
      config: { access: 'operator' },
    },
    async () => notYet(),
  );
  app.get(
    '/v1/rollouts/:id',
    {
      schema: { tags, summary: 'A rollout with its waves', params: rolloutParams },
      config: { access: 'viewer' },
    },
    async () => notYet(),
  );
  for (const action of ['pause', 'resume', 'cancel'] as const) {
    app.post(
      `/v1/rollouts/:id/${action}`,
      {
        schema: {
          tags,
          summary: `${action[0]!.toUpperCase()}${action.slice(1)} a rollout`,
          params: rolloutParams,
        },
        config: { access: 'operator' },
      },
      async () => notYet(),
    );
  }
}
