/**
 * The verbs of the Kubernetes API on one simulated cluster — get, list, create, update, patch (four flavours),
 * delete — with the checks Kubernetes makes (names, namespaces, resourceVersion conflicts, dry runs) and the
 * `scale` and `status` subresources. The HTTP layer parses requests into these calls.
 */
import { randomUUID } from 'node:crypto';
import { StrataError } from '../core/errors.ts';
import { applyCreateDefaults, applyUpdateDefaults, foldStringData } from './defaults.ts';
import type { JsonObject, KubeObject } from './kube-object.ts';
import { cloneJson, isJsonObject, kubeTime } from './kube-object.ts';
import { alreadyExists, notFound, staleConflict } from './kube-status.ts';
import { managerName, recordUpdate } from './managed-fields.ts';
import type { PatchType } from './patch.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patch.ts';
import type { ResourceType } from './resources.ts';
import { apiVersionOf, qualifiedName, resourceKey } from './resources.ts';
import type { ObjectMatcher } from './selectors.ts';
import { selectorText } from './selectors.ts';
import { serverSideApply } from './server-side-apply.ts';
import type { PropagationPolicy, SimCluster } from './sim-cluster.ts';
import { NAMESPACE_RESOURCE } from './sim-cluster.ts';
import { validateMetadata, validateObject } from './validation.ts';

/** Which object (or collection) a request addresses. */
export interface ApiTarget {
  type: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: 'status' | 'scale' | undefined;
}

/** Who writes and how (query parameters of a write). */
export interface WriteOptions {
  fieldManager: string | null;
  userAgent: string | undefined;
  dryRun: boolean;
  force: boolean;
}

/** Parameters of a list. */
export interface ListOptions {
  labelSelector: ObjectMatcher;
  fieldSelector: ObjectMatcher;
  limit: number | undefined;
  continueToken: string | undefined;
}

/** A list response body. */
export interface KubeList {
  kind: string;
  apiVersion: string;
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: KubeObject[];
}

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** Returns `n` random characters of the alphabet Kubernetes uses for generated names. */
export function randomSuffix(n: number): string {
  let s = '';
  for (let i = 0; i < n; i += 1) s += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
  return s;
}

function subjectOf(type: ResourceType, name: string | undefined) {
  return { group: type.group, kind: type.plural, ...(name !== undefined ? { name } : {}) };
}

function requireObject(
  type: ResourceType,
  cluster: SimCluster,
  namespace: string | undefined,
  name: string,
): KubeObject {
  const obj = cluster.store.get(resourceKey(type), type.namespaced ? namespace : undefined, name);
  if (!obj) throw notFound(qualifiedName(type), subjectOf(type, name));
  return obj;
}

/** Returns a stored object with apiVersion/kind of the version asked for (kinds are stored once per group). */
function asVersion(type: ResourceType, obj: KubeObject): KubeObject {
  const apiVersion = apiVersionOf(type);
  return obj.apiVersion === apiVersion ? obj : { ...obj, apiVersion };
}

/** Returns the object a GET returns (an `autoscaling/v1` Scale for the scale subresource). */
export function getObject(cluster: SimCluster, target: ApiTarget): KubeObject {
  const obj = requireObject(target.type, cluster, target.namespace, target.name ?? '');
  return target.subresource === 'scale' ? scaleOf(obj) : asVersion(target.type, obj);
}

/** Returns a Scale object for a scalable object. */
export function scaleOf(obj: KubeObject): KubeObject {
  const spec = isJsonObject(obj['spec']) ? obj['spec'] : {};
  const status = isJsonObject(obj['status']) ? obj['status'] : {};
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: Number(spec['replicas'] ?? 0) },
    status: { replicas: Number(status['replicas'] ?? 0), selector: selectorText(spec['selector']) },
  };
}

/** Returns a list of objects with pagination (`limit`, `continue`) and selectors applied. */
export function listObjects(cluster: SimCluster, target: ApiTarget, options: ListOptions): KubeList {
  const all = cluster.store
    .list(resourceKey(target.type), target.type.namespaced ? target.namespace : undefined)
    .filter((o) => options.labelSelector(o) && options.fieldSelector(o));
  let start = 0;
  if (options.continueToken) {
    let after: string;
    try {
      after = String(JSON.parse(Buffer.from(options.continueToken, 'base64url').toString('utf8')).after);
    } catch {
      throw new StrataError('BadRequest', 'the continue token is not valid');
    }
    start = all.findIndex((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}` > after);
    if (start < 0) start = all.length;
  }
  const end = options.limit && options.limit > 0 ? Math.min(all.length, start + options.limit) : all.length;
  const items = all.slice(start, end).map((o) => asVersion(target.type, o));
  const metadata: KubeList['metadata'] = { resourceVersion: String(cluster.store.resourceVersion) };
  if (end < all.length) {
    const last = items[items.length - 1]!;
    metadata.continue = Buffer.from(
      JSON.stringify({ after: `${last.metadata.namespace ?? ''}/${last.metadata.name}` }),
    ).toString('base64url');
    metadata.remainingItemCount = all.length - end;
  }
  return { kind: target.type.listKind, apiVersion: apiVersionOf(target.type), metadata, items };
}

function checkBody(target: ApiTarget, body: unknown): KubeObject {
  if (!isJsonObject(body) || !isJsonObject(body['metadata'])) {
    throw new StrataError(
      'BadRequest',
      `the body of a ${target.type.kind} request must be an object with metadata`,
    );
  }
  const obj = cloneJson(body) as KubeObject;
  if (obj.kind !== undefined && obj.kind !== target.type.kind) {
    throw new StrataError(
      'BadRequest',
      `the kind "${String(obj.kind)}" of the object does not match the kind "${target.type.kind}" of the URL`,
    );
  }
  obj.kind = target.type.kind;
  obj.apiVersion = apiVersionOf(target.type);
  if (target.type.namespaced) {
    if (obj.metadata.namespace && target.namespace && obj.metadata.namespace !== target.namespace) {
      throw new StrataError(
        'BadRequest',
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    obj.metadata.namespace = target.namespace;
  } else delete obj.metadata.namespace;
  return obj;
}

function validateName(type: ResourceType, obj: KubeObject): void {
  validateMetadata(type, obj);
}

function checkNamespace(cluster: SimCluster, type: ResourceType, namespace: string | undefined): void {
  if (!type.namespaced) return;
  if (!namespace) throw new StrataError('BadRequest', `a ${type.kind} needs a namespace`);
  const ns = cluster.store.get(NAMESPACE_RESOURCE, undefined, namespace);
  if (!ns) throw notFound('namespaces', { group: '', kind: 'namespaces', name: namespace });
  if (ns.metadata.deletionTimestamp) {
    throw new StrataError(
      'Forbidden',
      `${type.kind.toLowerCase()} "${namespace}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
    );
  }
}

function timeNow(cluster: SimCluster): string {
  return kubeTime(cluster.now());
}

/** Creates an object (POST); returns it as stored (or as it would be, for a dry run). */
export function createObject(
  cluster: SimCluster,
  target: ApiTarget,
  body: unknown,
  options: WriteOptions,
): KubeObject {
  const obj = checkBody(target, body);
  if (!obj.metadata.name && obj.metadata.generateName)
    obj.metadata.name = `${obj.metadata.generateName}${randomSuffix(5)}`;
  validateName(target.type, obj);
  checkNamespace(cluster, target.type, obj.metadata.namespace);
  const key = resourceKey(target.type);
  if (cluster.store.get(key, obj.metadata.namespace, obj.metadata.name)) {
    throw alreadyExists(qualifiedName(target.type), subjectOf(target.type, obj.metadata.name));
  }
  delete obj.metadata.resourceVersion;
  if (target.type.subresources.includes('status')) delete obj['status'];
  const uid = randomUUID();
  applyCreateDefaults(
    obj,
    `${cluster.name}/${key}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`,
    uid,
  );
  validateObject(target.type, obj);
  obj.metadata.managedFields = recordUpdate(
    undefined,
    obj,
    managerName(options.fieldManager, options.userAgent),
    {
      apiVersion: obj.apiVersion,
      time: timeNow(cluster),
      withStatus: !target.type.subresources.includes('status'),
    },
  );
  if (options.dryRun) return { ...obj, metadata: { ...obj.metadata, creationTimestamp: timeNow(cluster) } };
  return cluster.createObject(target.type, obj, uid);
}

/** Returns the object after a write to `subresource`: status writes keep the spec, main writes keep the status. */
function mergeSubresource(
  type: ResourceType,
  current: KubeObject,
  proposed: KubeObject,
  subresource: string | undefined,
): KubeObject {
  if (subresource === 'status')
    return {
      ...current,
      metadata: { ...current.metadata, ...pickMetaForStatus(proposed) },
      status: proposed['status'],
    };
  if (type.subresources.includes('status')) {
    const out = { ...proposed };
    if (current['status'] !== undefined) out['status'] = current['status'];
    else delete out['status'];
    return out;
  }
  return proposed;
}

function pickMetaForStatus(proposed: KubeObject): Record<string, unknown> {
  return proposed.metadata.resourceVersion ? { resourceVersion: proposed.metadata.resourceVersion } : {};
}

function finishWrite(
  cluster: SimCluster,
  target: ApiTarget,
  current: KubeObject,
  next: KubeObject,
  options: WriteOptions,
  skipManagedFields = false,
): KubeObject {
  foldStringData(next);
  next.metadata.name = current.metadata.name;
  if (target.subresource !== 'status') {
    applyUpdateDefaults(
      current,
      next,
      `${cluster.name}/${resourceKey(target.type)}/${current.metadata.namespace ?? ''}/${current.metadata.name}`,
    );
  }
  if (target.type.namespaced) next.metadata.namespace = current.metadata.namespace;
  next.apiVersion = apiVersionOf(target.type);
  next.kind = target.type.kind;
  if (!skipManagedFields) {
    next.metadata.managedFields = recordUpdate(
      current,
      next,
      managerName(options.fieldManager, options.userAgent),
      {
        apiVersion: next.apiVersion,
        time: timeNow(cluster),
        withStatus: target.subresource === 'status' || !target.type.subresources.includes('status'),
        ...(target.subresource ? { subresource: target.subresource } : {}),
      },
    );
  }
  validateObject(target.type, next);
  if (options.dryRun)
    return { ...next, metadata: { ...next.metadata, resourceVersion: current.metadata.resourceVersion } };
  return cluster.replaceObject(target.type, current, next);
}

/** Replaces an object (PUT); a stale `metadata.resourceVersion` is a 409 Conflict. Returns the stored object. */
export function updateObject(
  cluster: SimCluster,
  target: ApiTarget,
  body: unknown,
  options: WriteOptions,
): KubeObject {
  const current = requireObject(target.type, cluster, target.namespace, target.name ?? '');
  if (target.subresource === 'scale') return writeScale(cluster, target, current, body, options);
  const obj = checkBody(target, body);
  if (obj.metadata.name !== current.metadata.name) {
    throw new StrataError(
      'BadRequest',
      `the name of the object (${obj.metadata.name}) does not match the name on the URL (${current.metadata.name})`,
    );
  }
  if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== current.metadata.resourceVersion) {
    throw staleConflict(qualifiedName(target.type), subjectOf(target.type, current.metadata.name));
  }
  const next = mergeSubresource(target.type, current, obj, target.subresource);
  return finishWrite(cluster, target, current, next, options);
}

/** Applies a patch of any flavour (server-side apply included); returns the stored object. */
export function patchObject(
  cluster: SimCluster,
  target: ApiTarget,
  patchType: PatchType,
  body: unknown,
  options: WriteOptions,
): KubeObject {
  const key = resourceKey(target.type);
  const namespace = target.type.namespaced ? target.namespace : undefined;
  const current = cluster.store.get(key, namespace, target.name ?? '');
  if (patchType === 'apply') return applyObject(cluster, target, current, body, options);
  if (!current) throw notFound(qualifiedName(target.type), subjectOf(target.type, target.name));
  if (target.subresource === 'scale') {
    const patched = patchJson(scaleOf(current), patchType, body);
    return writeScale(cluster, target, current, patched, options);
  }
  const patched = patchJson(cloneJson(asVersion(target.type, current)), patchType, body) as KubeObject;
  if (!isJsonObject(patched) || !isJsonObject(patched.metadata)) {
    throw new StrataError('ValidationFailed', 'the patched object has no metadata');
  }
  if (
    patched.metadata.resourceVersion &&
    patched.metadata.resourceVersion !== current.metadata.resourceVersion
  ) {
    throw staleConflict(qualifiedName(target.type), subjectOf(target.type, current.metadata.name));
  }
  const next = mergeSubresource(target.type, current, patched, target.subresource);
  return finishWrite(cluster, target, current, next, options);
}

function patchJson(current: JsonObject, patchType: PatchType, body: unknown): JsonObject {
  if (patchType === 'json') return applyJsonPatch(current, body);
  if (!isJsonObject(body)) throw new StrataError('BadRequest', 'a merge patch must be a JSON object');
  const out =
    patchType === 'merge' ? applyMergePatch(current, body) : applyStrategicMergePatch(current, body);
  return out as JsonObject;
}

function applyObject(
  cluster: SimCluster,
  target: ApiTarget,
  current: KubeObject | undefined,
  body: unknown,
  options: WriteOptions,
): KubeObject {
  if (!options.fieldManager) {
    throw new StrataError('BadRequest', 'PATCH /apply requires the fieldManager query parameter');
  }
  const config = checkBody(target, body);
  if (config.metadata.name !== (target.name ?? '')) {
    throw new StrataError(
      'BadRequest',
      `the name of the object (${config.metadata.name}) does not match the name on the URL (${target.name ?? ''})`,
    );
  }
  const request = {
    manager: options.fieldManager,
    force: options.force,
    apiVersion: apiVersionOf(target.type),
    time: timeNow(cluster),
    withStatus: target.subresource === 'status' || !target.type.subresources.includes('status'),
    ...(target.subresource ? { subresource: target.subresource } : {}),
  };
  if (!current) {
    if (target.subresource) throw notFound(qualifiedName(target.type), subjectOf(target.type, target.name));
    validateName(target.type, config);
    checkNamespace(cluster, target.type, config.metadata.namespace);
    const obj = serverSideApply(undefined, config, request);
    const uid = randomUUID();
    applyCreateDefaults(
      obj,
      `${cluster.name}/${resourceKey(target.type)}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`,
      uid,
    );
    foldStringData(obj);
    validateObject(target.type, obj);
    if (options.dryRun) return obj;
    return cluster.createObject(target.type, obj, uid);
  }
  const next = serverSideApply(asVersion(target.type, current), config, request);
  const merged = mergeSubresource(target.type, current, next, target.subresource);
  merged.metadata.managedFields = next.metadata.managedFields;
  return finishWrite(cluster, target, current, merged, options, true);
}

function writeScale(
  cluster: SimCluster,
  target: ApiTarget,
  current: KubeObject,
  scale: unknown,
  options: WriteOptions,
): KubeObject {
  const spec = isJsonObject(scale) && isJsonObject(scale['spec']) ? scale['spec'] : {};
  const replicas = Number(spec['replicas']);
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new StrataError(
      'ValidationFailed',
      `Scale is invalid: spec.replicas: must be a non-negative integer`,
    );
  }
  const next = cloneJson(current);
  next['spec'] = { ...(isJsonObject(next['spec']) ? next['spec'] : {}), replicas };
  const stored = finishWrite(cluster, { ...target, subresource: undefined }, current, next, options);
  return scaleOf(stored);
}

/** Deletes an object; returns it as last seen (namespaces and finalized objects are only marked). */
export function deleteObject(
  cluster: SimCluster,
  target: ApiTarget,
  options: {
    propagation: PropagationPolicy;
    dryRun: boolean;
    preconditionUid?: string;
    preconditionRv?: string;
  },
): KubeObject {
  const current = requireObject(target.type, cluster, target.namespace, target.name ?? '');
  if (options.preconditionUid && options.preconditionUid !== current.metadata.uid) {
    throw new StrataError(
      'Conflict',
      `Precondition failed: UID in precondition: ${options.preconditionUid}, UID in object meta: ${current.metadata.uid ?? ''}`,
    );
  }
  if (options.preconditionRv && options.preconditionRv !== current.metadata.resourceVersion) {
    throw staleConflict(qualifiedName(target.type), subjectOf(target.type, current.metadata.name));
  }
  if (options.dryRun) return asVersion(target.type, current);
  return asVersion(target.type, cluster.deleteObject(target.type, current, options.propagation));
}

/** Deletes every object of a collection matching the selectors; returns the list of deleted objects. */
export function deleteCollection(
  cluster: SimCluster,
  target: ApiTarget,
  options: ListOptions & { propagation: PropagationPolicy; dryRun: boolean },
): KubeList {
  const list = listObjects(cluster, target, { ...options, limit: undefined, continueToken: undefined });
  if (!options.dryRun) {
    list.items = list.items.map((o) => cluster.deleteObject(target.type, o, options.propagation));
  }
  return list;
}
