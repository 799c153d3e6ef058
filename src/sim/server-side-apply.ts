/**
 * Server-side apply: merges a manager's applied configuration into the live object, refuses to take fields
 * another manager set to a different value unless forced (409 Conflict), removes fields the manager applied
 * before and no longer applies (when nobody else owns them), and records ownership in `managedFields`.
 */
import { StrataError } from '../core/errors.ts';
import type { JsonObject, KubeObject, ManagedFieldsEntry } from './kube-object.ts';
import { cloneJson, isJsonObject, jsonEqual } from './kube-object.ts';
import {
  entryId,
  fieldPathsOf,
  ownershipOf,
  pathOf,
  removeFieldPath,
  toManagedFields,
  valueAtFieldPath,
} from './managed-fields.ts';
import { mergeKeyOf } from './patch.ts';

/** What an apply request carries besides the configuration. */
export interface ApplyRequest {
  manager: string;
  force: boolean;
  apiVersion: string;
  time: string;
  /** False for the main resource of kinds with a status subresource: status is not applied there. */
  withStatus: boolean;
  subresource?: string;
}

/** Merges an applied configuration into a live value: maps field by field, keyed lists item by item. */
function mergeApplied(live: unknown, applied: unknown, field: string): unknown {
  if (Array.isArray(applied)) {
    const key = mergeKeyOf(field, applied);
    if (!key || !Array.isArray(live)) return cloneJson(applied);
    const out = live.map((x) => cloneJson(x));
    for (const item of applied) {
      if (!isJsonObject(item)) continue;
      const idx = out.findIndex((o) => isJsonObject(o) && jsonEqual(o[key], item[key]));
      if (idx >= 0) out[idx] = mergeApplied(out[idx], item, '');
      else out.push(cloneJson(item));
    }
    return out;
  }
  if (isJsonObject(applied)) {
    const out: JsonObject = isJsonObject(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(applied)) out[k] = mergeApplied(out[k], v, k);
    return out;
  }
  return cloneJson(applied);
}

function describePath(id: string): string {
  return pathOf(id)
    .filter((p) => p !== '.')
    .map((p) => (p.startsWith('f:') ? `.${p.slice(2)}` : `[${p.slice(2)}]`))
    .join('');
}

/**
 * Returns the object after `manager` applies `config` to `live` (undefined when the object does not exist
 * yet). Throws Conflict when another manager owns a field the config sets to a different value, unless forced.
 */
export function serverSideApply(
  live: KubeObject | undefined,
  config: KubeObject,
  req: ApplyRequest,
): KubeObject {
  const applied = cloneJson(config);
  if (!req.withStatus) delete applied['status'];
  delete applied.metadata.managedFields;
  const appliedPaths = fieldPathsOf(applied, req.withStatus);
  const ownership = live
    ? ownershipOf(live)
    : new Map<string, { entry: ManagedFieldsEntry; paths: Set<string> }>();
  const selfId = entryId({ manager: req.manager, operation: 'Apply', subresource: req.subresource });

  const conflicts: { manager: string; path: string }[] = [];
  for (const [id, own] of ownership) {
    if (id === selfId) continue;
    for (const p of own.paths) {
      if (!appliedPaths.has(p)) continue;
      const path = pathOf(p);
      if (path[path.length - 1] === '.') continue;
      if (jsonEqual(valueAtFieldPath(applied, path), valueAtFieldPath(live, path))) continue;
      conflicts.push({ manager: own.entry.manager, path: p });
    }
  }
  if (conflicts.length > 0 && !req.force) {
    const lines = conflicts.map((c) => `conflict with "${c.manager}": ${describePath(c.path)}`);
    throw new StrataError(
      'Conflict',
      `Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}: ${lines.join('\n')}`,
      { causes: conflicts },
    );
  }
  if (req.force) {
    for (const c of conflicts) {
      for (const [id, own] of ownership) if (id !== selfId) own.paths.delete(c.path);
    }
  }

  let result: KubeObject = live ? (mergeApplied(cloneJson(live), applied, '') as KubeObject) : applied;
  // Fields this manager applied before and no longer applies go away, unless another manager still owns them.
  const previous = ownership.get(selfId)?.paths ?? new Set<string>();
  const ownedByOthers = new Set<string>();
  for (const [id, own] of ownership) if (id !== selfId) for (const p of own.paths) ownedByOthers.add(p);
  const dropped = [...previous].filter((p) => !appliedPaths.has(p) && !ownedByOthers.has(p));
  dropped.sort((a, b) => pathOf(b).length - pathOf(a).length);
  for (const p of dropped) {
    const path = pathOf(p);
    if (path[path.length - 1] === '.') {
      const prefix = p.slice(0, p.length - 1);
      if ([...ownedByOthers].some((o) => o.startsWith(prefix))) continue;
    }
    removeFieldPath(result, path);
  }
  result = { ...result, metadata: { ...result.metadata } };

  ownership.set(selfId, {
    entry: {
      manager: req.manager,
      operation: 'Apply',
      apiVersion: req.apiVersion,
      time: req.time,
      fieldsType: 'FieldsV1',
      fieldsV1: {},
      ...(req.subresource ? { subresource: req.subresource } : {}),
    },
    paths: appliedPaths,
  });
  result.metadata.managedFields = toManagedFields(ownership);
  return result;
}
