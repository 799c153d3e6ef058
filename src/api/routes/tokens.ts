/** Routes of API tokens (admin): create (the token is shown once), list (never secrets), revoke by id or name. */
import { StrataError } from '../../core/errors.ts';
import { createToken, listTokens, revokeToken, type TokenRecord } from '../../store/tokens.ts';
import { auditOf } from '../auth.ts';
import { type ApiApp, callerOf, type RouteContext } from '../route-context.ts';
import { createTokenSchema, tokenRefParams } from '../schemas.ts';

/** Returns the token a `{ref}` names: the one with that id, else the one active token of that name. */
function resolveToken(tokens: readonly TokenRecord[], ref: string): TokenRecord {
  const byId = tokens.find((t) => t.id === ref);
  if (byId) return byId;
  const active = tokens.filter((t) => t.name === ref && t.revokedAt === null);
  if (active.length === 1) return active[0]!;
  if (active.length > 1) {
    throw new StrataError('Conflict', `Several active tokens are named ${ref}; revoke one by id.`, {
      ids: active.map((t) => t.id),
    });
  }
  throw new StrataError('NotFound', `No active token with id or name ${ref}.`, { ref });
}

/** Registers the token routes. */
export function registerTokenRoutes(app: ApiApp, ctx: RouteContext): void {
  const tags = ['tokens'];
  app.get(
    '/v1/tokens',
    { schema: { tags, summary: 'List tokens (no secrets)' }, config: { access: 'admin' } },
    async () => ({ items: await listTokens(ctx.store.db) }),
  );

  app.post(
    '/v1/tokens',
    {
      schema: { tags, summary: 'Create a token; the token is in this answer only', body: createTokenSchema },
      config: { access: 'admin' },
    },
    async (request, reply) => {
      const { name, role } = request.body;
      // One active token per name: the store's unique index answers AlreadyExists, also to concurrent requests.
      const created = await createToken(ctx.store.db, auditOf(callerOf(request)), { name, role });
      ctx.events.publish({ kind: 'token.changed', data: { name, role, action: 'create' } });
      return reply
        .code(201)
        .header('Cache-Control', 'no-store')
        .send({ token: created.token, ...created.record });
    },
  );

  app.delete(
    '/v1/tokens/:ref',
    {
      schema: { tags, summary: 'Revoke a token by id or name', params: tokenRefParams },
      config: { access: 'admin' },
    },
    async (request) => {
      const target = resolveToken(await listTokens(ctx.store.db), request.params.ref);
      const revoked = await revokeToken(ctx.store.db, auditOf(callerOf(request)), target.id);
      // Revocation bites on the next request to this server; other servers drop it within the cache TTL.
      ctx.auth.forgetAll();
      ctx.events.publish({ kind: 'token.changed', data: { name: revoked.name, action: 'revoke' } });
      return revoked;
    },
  );
}
