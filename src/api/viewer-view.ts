/**
 * What callers below admin are sent: credentials are write-only for them. Every JSON answer to a viewer or an
 * operator passes through `answerAsSeenBy` (one `onSend` hook, and each event-stream frame), which hides
 *  - by path: in every values text the answer carries (a pack's defaults and preset fragments, a profile's
 *    layers, a cluster's overrides, a plan's current and pending values) the value of every credential key reads
 *    `(hidden)`, comments and layout kept; in value diffs (plans, revision diffs, merge conflicts) a change of a
 *    credential path keeps its path and kind but not its values;
 *  - by value: any string of the answer holding a value known to be secret (`KnownSecrets`: from a credential
 *    key of any pack default or preset fragment, or of a values text this server handled) has it replaced by
 *    `(hidden)` — in events, audit entries, diffs, descriptions, wherever.
 * Admins see everything. A `(hidden)` written back by a client that was shown one keeps the value it hides
 * (hidden-values.ts), so editing what was read never overwrites a credential with the placeholder.
 */
import type { Catalog } from '../core/catalog.ts';
import type { SecretPaths } from '../core/secret-paths.ts';
import { HIDDEN_VALUE, hideCredentialValues, isCredentialPath } from '../core/values.ts';
import type { Principal } from './auth.ts';
import { type KnownSecrets, mayHoldCredentials } from './known-secrets.ts';

/** Keys whose string value is a values text (YAML): layer values, a plan's sides, a preset's fragment. */
const VALUES_TEXT_KEYS = new Set(['values', 'current', 'pending', 'add']);
/** Keys of a diff entry (one with a `path`) that carry the values themselves. */
const DIFF_VALUE_KEYS = new Set(['from', 'to', 'base', 'ours', 'theirs']);

/** True when the caller is shown credentials: admins only. */
export function seesCredentials(caller: Principal): boolean {
  return caller.role === 'admin';
}

/** Returns `payload` as `caller` may see it by path: unchanged for admins, credential values hidden otherwise. */
export function asSeenBy<T>(caller: Principal, payload: T): T {
  return seesCredentials(caller) ? payload : (hideCredentials(payload) as T);
}

/**
 * Returns an answer's text as `caller` may see it (see the file comment): JSON by path and by value, CSV by
 * value, anything else (a kubeconfig) unchanged. Answers holding neither a credential word nor a known secret —
 * most of them — are returned as they are, unparsed.
 */
export function answerAsSeenBy(
  caller: Principal | null,
  secrets: KnownSecrets,
  catalog: Catalog,
  contentType: string,
  text: string,
): string {
  if (caller === null || seesCredentials(caller)) return text;
  secrets.learnCatalog(catalog);
  if (contentType.includes('json')) {
    if (!mayHoldCredentials(text) && !secrets.declared.mayMatch(text)) {
      const masked = secrets.maskText(text);
      if (masked === text) return text;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      return secrets.maskText(text);
    }
    learnFromValuesTexts(secrets, data);
    return JSON.stringify(secrets.maskData(hideCredentials(data, secrets.declared)));
  }
  if (contentType.startsWith('text/csv') || contentType.startsWith('text/event-stream')) {
    return secrets.maskText(text);
  }
  return text;
}

/** Learns the secrets of every values text in an answer, so they are masked wherever else it holds them. */
function learnFromValuesTexts(secrets: KnownSecrets, value: unknown, key?: string): void {
  if (typeof value === 'string') {
    if (key !== undefined && VALUES_TEXT_KEYS.has(key)) secrets.learnValues(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) learnFromValuesTexts(secrets, item);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) learnFromValuesTexts(secrets, v, k);
}

function hideCredentials(value: unknown, declared?: SecretPaths, key?: string): unknown {
  if (typeof value === 'string')
    return key && VALUES_TEXT_KEYS.has(key) ? hideCredentialValues(value, declared) : value;
  if (Array.isArray(value)) return value.map((v) => hideCredentials(v, declared));
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const record = value as Record<string, unknown>;
  const credentialDiff =
    typeof record.path === 'string' &&
    (isCredentialPath(record.path) || declared?.covers(record.path) === true);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    out[k] =
      credentialDiff && DIFF_VALUE_KEYS.has(k) && v !== undefined
        ? HIDDEN_VALUE
        : hideCredentials(v, declared, k);
  }
  return out;
}
