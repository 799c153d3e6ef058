/**
 * Bearer-token authentication and role checks. Tokens are looked up by hash through a short-lived cache, so
 * authenticating a request costs a map lookup most of the time; a revocation made through this server clears
 * the cache at once, and one made by another process sharing the database takes effect within the cache TTL.
 */
import type { Clock } from '../core/clock.ts';
import { systemClock } from '../core/clock.ts';
import { StrataError } from '../core/errors.ts';
import type { AuditContext } from '../store/audit.ts';
import type { Store } from '../store/open.ts';
import { hashToken, TOKEN_ROLES, type TokenRecord, type TokenRole, verifyToken } from '../store/tokens.ts';

/** Who is calling: the token's name, id and role. */
export interface Principal {
  tokenId: string;
  name: string;
  role: TokenRole;
}

/** What a route demands: a role, or nothing at all (`public`: the OpenAPI document). */
export type RouteAccess = TokenRole | 'public';

/** Default time a verified token stays cached; also the bound on how late a revocation by another process bites. */
export const TOKEN_CACHE_TTL_MS = 5_000;

/** Returns true when `role` is at least `required` in viewer < operator < admin. */
export function roleAllows(role: TokenRole, required: TokenRole): boolean {
  return TOKEN_ROLES.indexOf(role) >= TOKEN_ROLES.indexOf(required);
}

/** Returns the audit context of a principal: changes are recorded under the token's name. */
export function auditOf(principal: Principal): AuditContext {
  return { actor: principal.name };
}

/** Verifies bearer tokens against the store, caching valid ones for a short TTL. */
export class TokenAuthenticator {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #cache = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(store: Store, options: { clock?: Clock; ttlMs?: number } = {}) {
    this.#store = store;
    this.#clock = options.clock ?? systemClock;
    this.#ttlMs = options.ttlMs ?? TOKEN_CACHE_TTL_MS;
  }

  /** Returns the principal of a valid token; throws `Unauthorized` for a missing, unknown or revoked one. */
  async authenticate(token: string | undefined): Promise<Principal> {
    if (token === undefined || token === '') {
      throw new StrataError(
        'Unauthorized',
        'A bearer token is required (Authorization: Bearer <token>); the admin token is in $STRATA_HOME/admin.token.',
      );
    }
    // Tokens are ASCII; anything long or odd is refused before hashing or touching the store.
    if (token.length > 512 || !/^[\x21-\x7e]+$/.test(token)) {
      throw new StrataError('Unauthorized', 'The bearer token is not valid.');
    }
    const key = hashToken(token);
    const now = this.#clock.now();
    const cached = this.#cache.get(key);
    if (cached && cached.expiresAt > now) return cached.principal;
    const record = await verifyToken(this.#store.db, token);
    if (!record) {
      this.#cache.delete(key);
      throw new StrataError('Unauthorized', 'The bearer token is not valid (unknown or revoked).');
    }
    const principal = principalOf(record);
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(key, { principal, expiresAt: now + this.#ttlMs });
    return principal;
  }

  /** Drops every cached token, so a revocation made here takes effect on the next request. */
  forgetAll(): void {
    this.#cache.clear();
  }
}

function principalOf(record: TokenRecord): Principal {
  return { tokenId: record.id, name: record.name, role: record.role };
}

/** Returns the token of an `Authorization: Bearer …` header, or undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Throws `Forbidden` unless the principal's role reaches `required`. */
export function requireRole(principal: Principal, required: TokenRole, what: string): void {
  if (!roleAllows(principal.role, required)) {
    throw new StrataError(
      'Forbidden',
      `${what} needs the ${required} role; token "${principal.name}" is ${principal.role}.`,
      { required, role: principal.role },
    );
  }
}
