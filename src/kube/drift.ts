/**
 * Drift: whether a live object still carries what Strata applied. Only the fields Strata sets are compared —
 * fields other managers own or the server defaults (a replica count set by `kubectl scale` on a field Strata
 * does not set, a cluster IP) never count as drift.
 */
import type { KubeObject } from '../core/model.ts';

/** How a live object differs from what was applied: gone, or some applied fields changed (their paths). */
export type Drift = { kind: 'missing' } | { kind: 'changed'; paths: string[] };

/** Metadata the server owns or rewrites; never compared. */
const IGNORED_METADATA = new Set([
  'resourceVersion',
  'uid',
  'generation',
  'creationTimestamp',
  'managedFields',
]);

/** Returns how `live` drifted from `applied`, or null when every applied field still holds. */
export function driftOf(applied: KubeObject, live: KubeObject | undefined): Drift | null {
  if (!live) return { kind: 'missing' };
  const paths: string[] = [];
  const expected = normalise(applied);
  compare(expected, normalise(live), '', paths);
  return paths.length > 0 ? { kind: 'changed', paths } : null;
}

/** Folds a Secret's `stringData` into base64 `data`, as the API server does, so the two compare equal. */
function normalise(object: KubeObject): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...object };
  const metadata = { ...(object.metadata as Record<string, unknown>) };
  for (const key of IGNORED_METADATA) delete metadata[key];
  copy['metadata'] = metadata;
  if (object.kind === 'Secret' && object['stringData'] && typeof object['stringData'] === 'object') {
    const data = { ...((object['data'] as Record<string, string> | undefined) ?? {}) };
    for (const [k, v] of Object.entries(object['stringData'] as Record<string, unknown>)) {
      data[k] = Buffer.from(String(v)).toString('base64');
    }
    copy['data'] = data;
    delete copy['stringData'];
  }
  return copy;
}

function compare(expected: unknown, actual: unknown, path: string, out: string[]): void {
  if (out.length >= 20) return;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length < expected.length) {
      out.push(path || '.');
      return;
    }
    expected.forEach((item, i) => {
      compare(item, actual[i], `${path}[${i}]`, out);
    });
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      out.push(path || '.');
      return;
    }
    for (const [key, value] of Object.entries(expected)) {
      compare(value, (actual as Record<string, unknown>)[key], path ? `${path}.${key}` : key, out);
    }
    return;
  }
  // Scalars: the server may return a number the manifest wrote as a string (or the reverse) — equal by text.
  if (expected !== actual && String(expected) !== String(actual)) out.push(path);
}
