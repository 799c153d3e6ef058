/**
 * What viewers are sent. Viewers read everything but credentials: in the values texts a response carries
 * (a cluster's overrides, a profile's layers, a plan's current and pending values) every credential key's
 * value reads `(hidden)`, and in value diffs (plans, revision diffs, merge conflicts) a change of a credential
 * path keeps its path and kind but not its values. Operators and admins, who may change those values, see them.
 */
import { HIDDEN_VALUE, hideCredentialValues, isCredentialPath } from '../core/values.ts';
import type { Principal } from './auth.ts';

/** Keys whose string value is a values text (YAML). */
const VALUES_TEXT_KEYS = new Set(['values', 'current', 'pending']);
/** Keys of a diff entry (one with a `path`) that carry the values themselves. */
const DIFF_VALUE_KEYS = new Set(['from', 'to', 'base', 'ours', 'theirs']);

/** True when the caller is shown credentials (operators and admins). */
export function seesCredentials(caller: Principal): boolean {
  return caller.role !== 'viewer';
}

/** Returns `payload` as `caller` may see it: unchanged for operators and admins, credentials hidden for viewers. */
export function asSeenBy<T>(caller: Principal, payload: T): T {
  return seesCredentials(caller) ? payload : (hideCredentials(payload) as T);
}

function hideCredentials(value: unknown, key?: string): unknown {
  if (typeof value === 'string')
    return key && VALUES_TEXT_KEYS.has(key) ? hideCredentialValues(value) : value;
  if (Array.isArray(value)) return value.map((v) => hideCredentials(v));
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const record = value as Record<string, unknown>;
  const credentialDiff = typeof record.path === 'string' && isCredentialPath(record.path);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    out[k] =
      credentialDiff && DIFF_VALUE_KEYS.has(k) && v !== undefined ? HIDDEN_VALUE : hideCredentials(v, k);
  }
  return out;
}
