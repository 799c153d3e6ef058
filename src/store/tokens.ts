/**
 * API tokens with roles. Only a SHA-256 hash of each token is stored: a leaked database does not leak
 * usable tokens, and lookup by hash is one index probe. The plaintext is returned once, at creation.
 */
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { type IdSource, randomIds } from '../core/clock.ts';
import { StrataError } from '../core/errors.ts';
import { type AuditContext, recordAudit } from './audit.ts';
import type { Executor, Row } from './schema.ts';
import { withTransaction } from './transact.ts';

/** Roles, weakest first: `viewer` reads, `operator` changes clusters and profiles, `admin` also manages tokens. */
export const TOKEN_ROLES = ['viewer', 'operator', 'admin'] as const;
/** A token's role. */
export type TokenRole = (typeof TOKEN_ROLES)[number];

/** A stored token (never its plaintext). */
export interface TokenRecord {
  id: string;
  name: string;
  role: TokenRole;
  createdAt: Date;
  createdBy: string;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

/** A new token: the plaintext (shown once) and its record. */
export interface CreatedToken {
  token: string;
  record: TokenRecord;
}

/** Returns the hex SHA-256 of a token: the only form in which tokens are stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function fromRow(r: Row<'api_tokens'>): TokenRecord {
  return {
    id: r.id,
    name: r.name,
    role: r.role as TokenRole,
    createdAt: r.created_at,
    createdBy: r.created_by,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
  };
}

/**
 * Creates a token with a role and returns its plaintext (once) and record. Pass `token` to store a given
 * plaintext (the admin token written to `$STRATA_HOME/admin.token` on first start). Throws `AlreadyExists` when
 * an active token has the name (the database's unique index decides, so concurrent creations cannot both win).
 */
export async function createToken(
  executor: Executor,
  audit: AuditContext,
  input: { name: string; role: TokenRole; token?: string },
  ids: IdSource = randomIds,
): Promise<CreatedToken> {
  if (!TOKEN_ROLES.includes(input.role)) {
    throw new StrataError(
      'ValidationFailed',
      `Token role "${input.role}" must be one of ${TOKEN_ROLES.join(', ')}.`,
      {
        field: 'role',
      },
    );
  }
  const token = input.token ?? `strata_${randomBytes(32).toString('base64url')}`;
  try {
    return await insertToken(executor, audit, input, token, ids);
  } catch (error) {
    if (isUniqueViolation(error, 'api_tokens_active_name')) {
      throw new StrataError(
        'AlreadyExists',
        `An active token named ${input.name} exists; revoke it or pick another name.`,
        { field: 'name', name: input.name },
      );
    }
    throw error;
  }
}

/** True for PostgreSQL's unique violation (23505) of the named index or constraint. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const e = error as { code?: unknown; constraint?: unknown; message?: unknown } | null;
  if (e?.code !== '23505') return false;
  // pg names the constraint; PGlite's errors carry it in the message.
  return (
    e.constraint === constraint || (typeof e.message === 'string' && e.message.includes(`"${constraint}"`))
  );
}

function insertToken(
  executor: Executor,
  audit: AuditContext,
  input: { name: string; role: TokenRole },
  token: string,
  ids: IdSource,
): Promise<CreatedToken> {
  return withTransaction(executor, async (trx) => {
    const row = await trx
      .insertInto('api_tokens')
      .values({
        id: ids.next('tok-'),
        name: input.name,
        token_hash: hashToken(token),
        role: input.role,
        created_by: audit.actor,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, audit, [
      {
        action: 'token.create',
        targetKind: 'token',
        target: row.id,
        before: null,
        after: { name: row.name, role: row.role },
      },
    ]);
    return { token, record: fromRow(row) };
  });
}

/**
 * Returns the record of a valid (known, unrevoked) token, or undefined. Notes the last use at most once a
 * minute, so authenticating every request does not write every time.
 */
export async function verifyToken(executor: Executor, token: string): Promise<TokenRecord | undefined> {
  const row = await executor
    .selectFrom('api_tokens')
    .selectAll()
    .where('token_hash', '=', hashToken(token))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  await executor
    .updateTable('api_tokens')
    .set({ last_used_at: sql`now()` })
    .where('id', '=', row.id)
    .where((eb) =>
      eb.or([
        eb('last_used_at', 'is', null),
        eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`),
      ]),
    )
    .execute();
  return fromRow(row);
}

/** Returns every token record, newest first. */
export async function listTokens(executor: Executor): Promise<TokenRecord[]> {
  const rows = await executor.selectFrom('api_tokens').selectAll().orderBy('created_at', 'desc').execute();
  return rows.map(fromRow);
}

/** Revokes a token and returns its record; revoking twice keeps the first revocation time. */
export async function revokeToken(executor: Executor, audit: AuditContext, id: string): Promise<TokenRecord> {
  return withTransaction(executor, async (trx) => {
    const row = await trx
      .updateTable('api_tokens')
      .set({ revoked_at: sql`coalesce(revoked_at, now())` })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new StrataError('NotFound', `Token ${id} not found.`, { id });
    await recordAudit(trx, audit, [
      {
        action: 'token.revoke',
        targetKind: 'token',
        target: id,
        before: { revoked: false },
        after: { revoked: true },
      },
    ]);
    return fromRow(row);
  });
}
