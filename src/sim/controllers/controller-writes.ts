/**
 * How controllers read and write: typed lookups of built-in kinds, status writes that happen only when the
 * status really changed (so reconciling a stable cluster writes nothing), and owner references.
 */
import type { KubeObject, OwnerReference } from '../kube-object.ts';
import { cloneJson, isJsonObject, jsonEqual } from '../kube-object.ts';
import type { ResourceType } from '../resources.ts';
import { apiVersionOf, BUILTIN_RESOURCES, resourceKey } from '../resources.ts';
import type { SimCluster } from '../sim-cluster.ts';

/** What every controller is given. */
export interface ControllerContext {
  timing: { nodeBootMs: number; podStartMs: number; podRunMs: number };
}

/** A controller: reconciles one cluster and returns when it next needs to run (epoch ms), if ever. */
export type Controller = (cluster: SimCluster, ctx: ControllerContext) => number | undefined;

function builtinType(group: string, plural: string): ResourceType {
  const t = BUILTIN_RESOURCES.find((r) => r.group === group && r.plural === plural);
  if (!t) throw new Error(`built-in resource ${group}/${plural} is not registered`);
  return t;
}

/** The built-in types controllers work with. */
export const KINDS = {
  pods: builtinType('', 'pods'),
  nodes: builtinType('', 'nodes'),
  namespaces: builtinType('', 'namespaces'),
  services: builtinType('', 'services'),
  serviceAccounts: builtinType('', 'serviceaccounts'),
  events: builtinType('', 'events'),
  deployments: builtinType('apps', 'deployments'),
  replicaSets: builtinType('apps', 'replicasets'),
  daemonSets: builtinType('apps', 'daemonsets'),
  statefulSets: builtinType('apps', 'statefulsets'),
  controllerRevisions: builtinType('apps', 'controllerrevisions'),
  jobs: builtinType('batch', 'jobs'),
  cronJobs: builtinType('batch', 'cronjobs'),
  podDisruptionBudgets: builtinType('policy', 'poddisruptionbudgets'),
  crds: builtinType('apiextensions.k8s.io', 'customresourcedefinitions'),
} as const;

/** Returns the objects of a built-in type in the whole cluster. */
export function listAll(cluster: SimCluster, type: ResourceType): KubeObject[] {
  return cluster.store.list(resourceKey(type));
}

/** Returns an object's spec or status as a record (empty when absent). */
export function section(obj: KubeObject, field: 'spec' | 'status'): Record<string, unknown> {
  const v = obj[field];
  return isJsonObject(v) ? v : {};
}

/** Writes a new status when it differs from the stored one; returns true when it wrote. */
export function writeStatus(
  cluster: SimCluster,
  type: ResourceType,
  obj: KubeObject,
  status: Record<string, unknown>,
): boolean {
  if (jsonEqual(obj['status'], status)) return false;
  const next = cloneJson(obj);
  next['status'] = status;
  cluster.replaceObject(type, obj, next);
  return true;
}

/** Writes a changed copy of an object (made by `change`) when it differs; returns the stored object. */
export function writeChange(
  cluster: SimCluster,
  type: ResourceType,
  obj: KubeObject,
  change: (o: KubeObject) => void,
): KubeObject {
  const next = cloneJson(obj);
  change(next);
  if (jsonEqual(next, obj)) return obj;
  return cluster.replaceObject(type, obj, next);
}

/** Returns the controller owner reference pointing at `owner`. */
export function controllerRef(type: ResourceType, owner: KubeObject): OwnerReference {
  return {
    apiVersion: apiVersionOf(type),
    kind: type.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** True when `obj` is controlled by `owner` (an ownerReference with its uid and `controller: true`). */
export function isControlledBy(obj: KubeObject, owner: KubeObject): boolean {
  return (obj.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid && r.controller);
}

/** Returns the kind of an object's controller (`ReplicaSet`, `DaemonSet`, …), if it has one. */
export function controllerKind(obj: KubeObject): string | undefined {
  return (obj.metadata.ownerReferences ?? []).find((r) => r.controller)?.kind;
}

/** Returns `n` hex characters of randomness (container IDs are 64). */
export function randomHex(n: number): string {
  let s = '';
  while (s.length < n)
    s += Math.floor(Math.random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return s.slice(0, n);
}

/**
 * Returns `compute()` for a stored object, computed once: stored objects are never changed in place (a write stores
 * a new object), so what is derived from one stays true while it is the stored one. Keeps steady-state controller
 * passes from re-deriving templates and hashes.
 */
export function derivedOnce<T>(cache: WeakMap<object, T>, obj: object, compute: () => T): T {
  const hit = cache.get(obj);
  if (hit !== undefined) return hit;
  const value = compute();
  cache.set(obj, value);
  return value;
}

/** Returns the earlier of two optional wake-up times. */
export function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/**
 * Returns JSON text of a value with object keys sorted, so equal values give equal text whatever their key
 * order: objects come back from the store (PostgreSQL `jsonb`) with their keys reordered.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/**
 * Returns Kubernetes' pod-template-hash of a template: FNV-1a 32 of its canonical JSON (key order does not
 * count, so a template read back from the store hashes the same), as decimal digits mapped onto the alphabet of
 * generated names (`6854947c67`), so ReplicaSet names look like the real ones.
 */
export function templateHash(template: unknown): string {
  const text = canonicalJson(template ?? {});
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return [...String(h)].map((c) => alphabet[c.charCodeAt(0) % alphabet.length]).join('');
}

/** Reads an int-or-percent (`25%` or `1`) against a total, rounding up or down. */
export function intOrPercent(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const text = String(value ?? '');
  if (text.endsWith('%')) {
    const v = (Number.parseFloat(text) * total) / 100;
    return roundUp ? Math.ceil(v) : Math.floor(v);
  }
  const n = Number.parseInt(text, 10);
  return Number.isFinite(n) ? n : 0;
}

/** Returns a condition object with the given fields. */
export function condition(
  type: string,
  status: 'True' | 'False' | 'Unknown',
  reason: string,
  message: string,
  time: string,
) {
  return { type, status, reason, message, lastUpdateTime: time, lastTransitionTime: time };
}
