/**
 * Bearer tokens of the simulated clusters, derived from one secret (HMAC-SHA256 of `cluster:role`) so that
 * nothing per cluster is stored, and checked in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a token may do: everything, or only get/list/watch. */
export type SimTokenRole = 'admin' | 'read-only';

/** Returns the bearer token of a role on a cluster. */
export function tokenFor(secret: string, cluster: string, role: SimTokenRole): string {
  return `sim.${createHmac('sha256', secret).update(`${cluster}:${role}`).digest('base64url')}`;
}

function same(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** Returns the role a presented token grants on a cluster, or undefined when it grants none. */
export function roleOfToken(
  secret: string,
  cluster: string,
  token: string | undefined,
): SimTokenRole | undefined {
  if (!token) return undefined;
  if (same(token, tokenFor(secret, cluster, 'admin'))) return 'admin';
  if (same(token, tokenFor(secret, cluster, 'read-only'))) return 'read-only';
  return undefined;
}
