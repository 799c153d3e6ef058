/** Routes of chart registry logins (admin): sign in, list (never a password), sign out. */
import { deleteRegistryLogin, listRegistryLogins, saveRegistryLogin } from '../../store/registries.ts';
import { auditOf } from '../auth.ts';
import { type ApiApp, callerOf, type RouteContext } from '../route-context.ts';
import { registryHostParams, registryLoginSchema } from '../schemas.ts';

/** Registers the registry routes. */
export function registerRegistryRoutes(app: ApiApp, ctx: RouteContext): void {
  app.get(
    '/v1/registries',
    {
      schema: { tags: ['registries'], summary: 'Registry logins (hosts and usernames; never passwords)' },
      config: { access: 'admin' },
    },
    async () => ({ items: await listRegistryLogins(ctx.store.db) }),
  );

  app.put(
    '/v1/registries/:host',
    {
      schema: {
        tags: ['registries'],
        summary: 'Sign in to a chart registry (stored for pulls; the password is never returned)',
        params: registryHostParams,
        body: registryLoginSchema,
      },
      config: { access: 'admin' },
    },
    async (request) =>
      saveRegistryLogin(ctx.store.db, auditOf(callerOf(request)), {
        host: request.params.host,
        username: request.body.username,
        password: request.body.password,
      }),
  );

  app.delete(
    '/v1/registries/:host',
    {
      schema: { tags: ['registries'], summary: 'Sign out of a chart registry', params: registryHostParams },
      config: { access: 'admin' },
    },
    async (request, reply) => {
      await deleteRegistryLogin(ctx.store.db, auditOf(callerOf(request)), request.params.host);
      return reply.code(204).send();
    },
  );
}
