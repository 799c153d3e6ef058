/**
 * Chart registry credentials, by host (`HOST[:PORT]`): written by `strata registry login`, read only by pulls.
 * The password never leaves the server — lists return host, username and times — and audit rows name the host
 * and user only.
 */
import { sql } from 'kysely';
import { StrataError } from '../core/errors.ts';
import { type AuditContext, recordAudit } from './audit.ts';
import type { Executor } from './schema.ts';
import { withTransaction } from './transact.ts';

/** A registry login as lists show it (no password). */
export interface RegistryLogin {
  host: string;
  username: string;
  createdAt: string;
  updatedAt: string;
}

/** Stores (or replaces) the credentials of a host. */
export async function saveRegistryLogin(
  executor: Executor,
  audit: AuditContext,
  login: { host: string; username: string; password: string },
): Promise<RegistryLogin> {
  return withTransaction(executor, async (trx) => {
    const row = await trx
      .insertInto('registry_credentials')
      .values({ host: login.host, username: login.username, password: login.password })
      .onConflict((oc) =>
        oc.column('host').doUpdateSet({
          username: login.username,
          password: login.password,
          updated_at: sql`now()`,
        }),
      )
      .returning(['host', 'username', 'created_at', 'updated_at'])
      .executeTakeFirstOrThrow();
    await recordAudit(trx, audit, [
      {
        action: 'registry.login',
        targetKind: 'registry',
        target: login.host,
        before: null,
        after: { username: login.username },
      },
    ]);
    return toLogin(row);
  });
}

/** Returns every registry login, by host (no passwords). */
export async function listRegistryLogins(executor: Executor): Promise<RegistryLogin[]> {
  const rows = await executor
    .selectFrom('registry_credentials')
    .select(['host', 'username', 'created_at', 'updated_at'])
    .orderBy('host')
    .execute();
  return rows.map(toLogin);
}

/** Returns the credentials of a host, for a pull only; undefined when there are none. */
export async function registryCredentials(
  executor: Executor,
  host: string,
): Promise<{ username: string; password: string } | undefined> {
  const row = await executor
    .selectFrom('registry_credentials')
    .select(['username', 'password'])
    .where('host', '=', host)
    .executeTakeFirst();
  return row ?? undefined;
}

/** Forgets a host's credentials; `NotFound` when there were none. */
export async function deleteRegistryLogin(
  executor: Executor,
  audit: AuditContext,
  host: string,
): Promise<void> {
  await withTransaction(executor, async (trx) => {
    const row = await trx
      .deleteFrom('registry_credentials')
      .where('host', '=', host)
      .returning('username')
      .executeTakeFirst();
    if (!row) throw new StrataError('NotFound', `No registry login for ${host}.`, { host });
    await recordAudit(trx, audit, [
      {
        action: 'registry.logout',
        targetKind: 'registry',
        target: host,
        before: { username: row.username },
        after: null,
      },
    ]);
  });
}

function toLogin(row: { host: string; username: string; created_at: Date; updated_at: Date }): RegistryLogin {
  return {
    host: row.host,
    username: row.username,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
