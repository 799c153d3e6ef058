/**
 * Routes of fleet rollouts: list, preview or start, read with wave counts and a page of members, pause, resume,
 * cancel. Validation is the schemas'; every action goes through the engine's rollout commands (503 while the
 * engine is not running) and publishes `rollout.changed` on the live event bus.
 */
import { StrataError } from '../../core/errors.ts';
import type { RolloutCommands, StoredRollout } from '../../engine/contract.ts';
import { auditOf } from '../auth.ts';
import { type ApiApp, callerOf, type RouteContext } from '../route-context.ts';
import {
  rolloutActionSchema,
  rolloutGetQuery,
  rolloutListQuery,
  rolloutParams,
  rolloutStartSchema,
} from '../schemas.ts';
import { retryTransient } from '../transient.ts';

function requireRollouts(ctx: RouteContext): RolloutCommands {
  if (ctx.engine?.rollouts) return ctx.engine.rollouts;
  throw new StrataError(
    'Unavailable',
    'The engine is not running in this server, so rollouts cannot be read or started.',
    { reason: 'EngineNotRunning' },
  );
}

function publish(ctx: RouteContext, rollout: StoredRollout, action: string): void {
  ctx.events.publish({
    kind: 'rollout.changed',
    data: {
      id: rollout.id,
      action,
      state: rollout.state,
      currentWave: rollout.currentWave,
      waveCount: rollout.waveCount,
    },
  });
}

/** Registers the rollout routes. */
export function registerRolloutRoutes(app: ApiApp, ctx: RouteContext): void {
  const tags = ['rollouts'];
  app.get(
    '/v1/rollouts',
    {
      schema: { tags, summary: 'List rollouts, newest first (paginated)', querystring: rolloutListQuery },
      config: { access: 'viewer' },
    },
    async (request) => requireRollouts(ctx).list(request.query),
  );
  app.post(
    '/v1/rollouts',
    {
      schema: {
        tags,
        summary: 'Preview (preview: true, changes nothing) or start a rollout of a profile change',
        body: rolloutStartSchema,
      },
      config: { access: 'operator' },
    },
    async (request, reply) => {
      const { preview, ...input } = request.body;
      const rollouts = requireRollouts(ctx);
      if (preview) return retryTransient(() => rollouts.preview(input));
      const started = await retryTransient(() => rollouts.start(auditOf(callerOf(request)), input));
      publish(ctx, started, 'start');
      return reply.code(201).send(started);
    },
  );
  app.get(
    '/v1/rollouts/:id',
    {
      schema: {
        tags,
        summary:
          'A rollout: settings, state, halt reason, waves with cluster counts by state, a page of members',
        params: rolloutParams,
        querystring: rolloutGetQuery,
      },
      config: { access: 'viewer' },
    },
    async (request) => requireRollouts(ctx).get(request.params.id, request.query),
  );
  for (const action of ['pause', 'resume', 'cancel'] as const) {
    app.post(
      `/v1/rollouts/:id/${action}`,
      {
        schema: {
          tags,
          summary: `${action[0]!.toUpperCase()}${action.slice(1)} a rollout (422 RolloutNotActive when it cannot be)`,
          params: rolloutParams,
          body: rolloutActionSchema,
        },
        config: { access: 'operator' },
      },
      async (request) => {
        const rollouts = requireRollouts(ctx);
        const audit = auditOf(callerOf(request));
        const id = (request.params as { id: string }).id;
        const view = await retryTransient(() =>
          action === 'pause'
            ? rollouts.pause(audit, id)
            : action === 'resume'
              ? rollouts.resume(audit, id)
              : rollouts.cancel(audit, id),
        );
        publish(ctx, view, action);
        return view;
      },
    );
  }
}
