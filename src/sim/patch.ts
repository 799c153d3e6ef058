/**
 * The three classic patch flavours of the Kubernetes API: JSON merge patch (RFC 7386), strategic merge patch
 * (lists of named things merged by key, with `$patch` directives, as `kubectl apply` and `kubectl edit` send),
 * and JSON patch (RFC 6902, through fast-json-patch).
 */
import fastJsonPatch from 'fast-json-patch';
import { StrataError } from '../core/errors.ts';
import type { JsonObject } from './kube-object.ts';
import { cloneJson, isJsonObject, jsonEqual } from './kube-object.ts';

/** The patch content types the server accepts. */
export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

/** Returns the patch flavour of a request's Content-Type, or undefined if it is not a patch type. */
export function patchTypeOf(contentType: string | undefined): PatchType | undefined {
  const ct = (contentType ?? '').split(';')[0]!.trim();
  if (ct === 'application/merge-patch+json') return 'merge';
  if (ct === 'application/strategic-merge-patch+json') return 'strategic';
  if (ct === 'application/json-patch+json') return 'json';
  if (ct === 'application/apply-patch+yaml' || ct === 'application/apply-patch+cbor') return 'apply';
  return undefined;
}

/** Returns `target` with a JSON merge patch applied (null deletes, objects merge, everything else replaces). */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const out: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

/** Returns `target` with a JSON patch (list of operations) applied; a failed `test` or bad path is a 422. */
export function applyJsonPatch(target: JsonObject, operations: unknown): JsonObject {
  if (!Array.isArray(operations)) {
    throw new StrataError('BadRequest', 'a JSON patch must be an array of operations');
  }
  try {
    const result = fastJsonPatch.applyPatch(
      cloneJson(target),
      operations as fastJsonPatch.Operation[],
      true,
      false,
    );
    return result.newDocument as JsonObject;
  } catch (e) {
    throw new StrataError('ValidationFailed', `the JSON patch cannot be applied: ${(e as Error).message}`);
  }
}

/**
 * The merge key of a list field, by field name, as Kubernetes' built-in types declare them (`patchMergeKey`).
 * `ports` is keyed by `containerPort` in containers and by `port` in services, so it is decided per item.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  conditions: 'type',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
  ownerReferences: 'uid',
};

/** Returns the merge key of a list field, or undefined when the list is replaced atomically. */
export function mergeKeyOf(field: string, items: readonly unknown[]): string | undefined {
  if (field === 'ports') {
    const first = items.find(isJsonObject);
    if (first && 'containerPort' in first) return 'containerPort';
    if (first && 'port' in first) return 'port';
    return undefined;
  }
  return MERGE_KEYS[field];
}

function mergeList(field: string, current: unknown, patch: unknown[]): unknown[] {
  const base = Array.isArray(current) ? current : [];
  const key = mergeKeyOf(field, [...patch, ...base]);
  if (!key)
    return patch.filter((p) => !(isJsonObject(p) && p['$patch'] !== undefined)).map((p) => cloneJson(p));
  if (patch.some((p) => isJsonObject(p) && p['$patch'] === 'replace')) {
    return patch.filter((p) => !(isJsonObject(p) && p['$patch'] === 'replace')).map((p) => cloneJson(p));
  }
  const out = base.map((b) => cloneJson(b));
  for (const p of patch) {
    if (!isJsonObject(p)) continue;
    const idx = out.findIndex((o) => isJsonObject(o) && jsonEqual(o[key], p[key]));
    if (p['$patch'] === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = applyStrategicMergePatch(out[idx], p);
    else out.push(applyStrategicMergePatch({}, p));
  }
  return out;
}

function orderBy(list: unknown[], key: string, order: unknown[]): unknown[] {
  const rank = (item: unknown): number => {
    const i = order.findIndex((o) => isJsonObject(o) && isJsonObject(item) && jsonEqual(o[key], item[key]));
    return i < 0 ? order.length : i;
  };
  return [...list].sort((a, b) => rank(a) - rank(b));
}

/**
 * Returns `target` with a strategic merge patch applied: like a merge patch, except that lists of keyed items
 * (containers by name, ports by port, …) merge item by item, and `$patch`, `$setElementOrder/…`,
 * `$deleteFromPrimitiveList/…` and `$retainKeys` directives are honoured.
 */
export function applyStrategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return cloneJson(patch);
  if (patch['$patch'] === 'replace') {
    const { $patch: _, ...rest } = patch;
    return cloneJson(rest);
  }
  if (patch['$patch'] === 'delete') return undefined;
  const out: JsonObject = isJsonObject(target) ? { ...target } : {};
  const retain = patch['$retainKeys'];
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const drop = Array.isArray(v) ? v : [];
      const cur = out[field];
      if (Array.isArray(cur)) out[field] = cur.filter((x) => !drop.some((d) => jsonEqual(d, x)));
      continue;
    }
    if (v === null) delete out[k];
    else if (Array.isArray(v)) out[k] = mergeList(k, out[k], v);
    else if (isJsonObject(v)) {
      const merged = applyStrategicMergePatch(out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else out[k] = v;
  }
  for (const [k, order] of Object.entries(patch)) {
    if (!k.startsWith('$setElementOrder/') || !Array.isArray(order)) continue;
    const field = k.slice('$setElementOrder/'.length);
    const list = out[field];
    const key = Array.isArray(list) ? mergeKeyOf(field, list) : undefined;
    if (Array.isArray(list) && key) out[field] = orderBy(list, key, order);
  }
  if (Array.isArray(retain)) {
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  return out;
}
