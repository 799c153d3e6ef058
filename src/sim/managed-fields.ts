/**
 * Field ownership for `metadata.managedFields`: the `FieldsV1` sets (`{"f:spec":{"f:replicas":{}}}`) that say
 * which manager set which field, how they are computed from an object, and how an ordinary write (create,
 * update, patch) moves ownership of the fields it changed to its manager.
 */
import type { JsonObject, KubeObject, ManagedFieldsEntry } from './kube-object.ts';
import { isJsonObject, jsonEqual } from './kube-object.ts';
import { mergeKeyOf } from './patch.ts';

/** A field path: FieldsV1 keys from the root (`f:spec`, `k:{"name":"web"}`, `.` for a list item itself). */
export type FieldPath = string[];

const SEP = '\u0000';

/** Returns a path's string form (for sets). */
export function pathId(path: FieldPath): string {
  return path.join(SEP);
}

/** Returns the path of a string form. */
export function pathOf(id: string): FieldPath {
  return id.split(SEP);
}

/** Metadata fields owned by the server, never by a manager. */
const SERVER_METADATA = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'managedFields',
  'generateName',
  'selfLink',
]);

function itemKey(key: string, item: JsonObject): string {
  return `k:${JSON.stringify({ [key]: item[key] })}`;
}

function collect(value: unknown, field: string, prefix: FieldPath, out: Set<string>): void {
  if (Array.isArray(value)) {
    const key = mergeKeyOf(field, value);
    if (!key || value.length === 0 || !value.every((v) => isJsonObject(v) && v[key] !== undefined)) {
      out.add(pathId(prefix));
      return;
    }
    for (const item of value as JsonObject[]) {
      const itemPath = [...prefix, itemKey(key, item)];
      out.add(pathId([...itemPath, '.']));
      for (const [k, v] of Object.entries(item)) collect(v, k, [...itemPath, `f:${k}`], out);
    }
    return;
  }
  if (isJsonObject(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) collect(v, k, [...prefix, `f:${k}`], out);
    return;
  }
  out.add(pathId(prefix));
}

/**
 * Returns the leaf field paths an object sets, leaving out what the server owns (identity metadata) and
 * `status` when `withStatus` is false (main-resource writes of kinds with a status subresource).
 */
export function fieldPathsOf(obj: JsonObject, withStatus: boolean): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    if (k === 'status' && !withStatus) continue;
    if (k === 'metadata' && isJsonObject(v)) {
      for (const [mk, mv] of Object.entries(v)) {
        if (!SERVER_METADATA.has(mk)) collect(mv, mk, ['f:metadata', `f:${mk}`], out);
      }
      continue;
    }
    collect(v, k, [`f:${k}`], out);
  }
  return out;
}

/** Returns the FieldsV1 tree of a set of paths. */
export function toFieldsV1(paths: Iterable<string>): JsonObject {
  const root: JsonObject = {};
  for (const id of paths) {
    let node = root;
    for (const part of pathOf(id)) {
      if (!isJsonObject(node[part])) node[part] = {};
      node = node[part] as JsonObject;
    }
  }
  return root;
}

/** Returns the leaf paths of a FieldsV1 tree. */
export function fromFieldsV1(tree: unknown, prefix: FieldPath = [], out = new Set<string>()): Set<string> {
  if (!isJsonObject(tree)) return out;
  for (const [k, v] of Object.entries(tree)) {
    const path = [...prefix, k];
    if (isJsonObject(v) && Object.keys(v).length > 0) fromFieldsV1(v, path, out);
    else out.add(pathId(path));
  }
  return out;
}

/** Returns the value at a field path, or undefined when the object does not set it. */
export function valueAtFieldPath(obj: unknown, path: FieldPath): unknown {
  let cur: unknown = obj;
  for (const part of path) {
    if (part === '.') return cur;
    if (part.startsWith('f:')) {
      if (!isJsonObject(cur)) return undefined;
      cur = cur[part.slice(2)];
    } else if (part.startsWith('k:')) {
      if (!Array.isArray(cur)) return undefined;
      const want = JSON.parse(part.slice(2)) as JsonObject;
      cur = cur.find(
        (item) => isJsonObject(item) && Object.entries(want).every(([k, v]) => jsonEqual(item[k], v)),
      );
    } else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** Removes the field at a path from an object in place (a list item for a `.` path). */
export function removeFieldPath(obj: JsonObject, path: FieldPath): void {
  const last = path[path.length - 1];
  if (last === '.') {
    const listPath = path.slice(0, -2);
    const list = valueAtFieldPath(obj, listPath);
    const item = valueAtFieldPath(obj, path.slice(0, -1));
    if (Array.isArray(list) && item !== undefined) list.splice(list.indexOf(item), 1);
    return;
  }
  const parent = valueAtFieldPath(obj, path.slice(0, -1));
  if (isJsonObject(parent) && last?.startsWith('f:')) delete parent[last.slice(2)];
}

/** Returns a manager's name for an ordinary write: the `fieldManager` parameter, else the client's product name. */
export function managerName(fieldManager: string | null, userAgent: string | undefined): string {
  if (fieldManager) return fieldManager;
  const product = (userAgent ?? 'unknown').split('/')[0]!.trim();
  return product || 'unknown';
}

/** Returns the managed paths of each entry, keyed by manager + operation + subresource. */
export function ownershipOf(obj: KubeObject): Map<string, { entry: ManagedFieldsEntry; paths: Set<string> }> {
  const out = new Map<string, { entry: ManagedFieldsEntry; paths: Set<string> }>();
  for (const entry of obj.metadata.managedFields ?? []) {
    out.set(entryId(entry), { entry, paths: fromFieldsV1(entry.fieldsV1) });
  }
  return out;
}

/** Returns the identity of a managedFields entry. */
export function entryId(entry: Pick<ManagedFieldsEntry, 'manager' | 'operation' | 'subresource'>): string {
  return `${entry.manager}|${entry.operation}|${entry.subresource ?? ''}`;
}

/** Returns managedFields entries from an ownership map, dropping empty ones. */
export function toManagedFields(
  ownership: Map<string, { entry: ManagedFieldsEntry; paths: Set<string> }>,
): ManagedFieldsEntry[] {
  const out: ManagedFieldsEntry[] = [];
  for (const { entry, paths } of ownership.values()) {
    if (paths.size === 0) continue;
    out.push({ ...entry, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(paths) });
  }
  return out;
}

/**
 * Returns the managedFields after an ordinary write by `manager`: the fields whose value changed (all of
 * them on create) become that manager's, other managers lose them, and fields that vanished are dropped.
 */
export function recordUpdate(
  before: KubeObject | undefined,
  after: KubeObject,
  manager: string,
  options: { apiVersion: string; time: string; subresource?: string; withStatus: boolean },
): ManagedFieldsEntry[] {
  const afterPaths = fieldPathsOf(after, options.withStatus);
  const ownership = before ? ownershipOf(before) : new Map();
  const changed = new Set<string>();
  for (const id of afterPaths) {
    const path = pathOf(id);
    if (!before || !jsonEqual(valueAtFieldPath(before, path), valueAtFieldPath(after, path))) changed.add(id);
  }
  const present = fieldPathsOf(after, true);
  for (const [, own] of ownership) {
    for (const id of [...own.paths]) if (changed.has(id) || !present.has(id)) own.paths.delete(id);
  }
  if (changed.size > 0) {
    const entry: ManagedFieldsEntry = {
      manager,
      operation: 'Update',
      apiVersion: options.apiVersion,
      time: options.time,
      fieldsType: 'FieldsV1',
      fieldsV1: {},
      ...(options.subresource ? { subresource: options.subresource } : {}),
    };
    const id = entryId(entry);
    const existing = ownership.get(id);
    const paths = existing ? existing.paths : new Set<string>();
    for (const c of changed) paths.add(c);
    ownership.set(id, { entry: { ...entry }, paths });
  }
  return toManagedFields(ownership);
}
