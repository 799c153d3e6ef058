/**
 * One simulated cluster held in memory: its object store, the kinds its CRDs add, and the object life-cycle
 * rules every writer shares (uid, creation time, generation, owner-reference garbage collection, namespace
 * termination). API requests and controllers both write through here.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { recordContainersKilled, recordNodeRemoved } from './events.ts';
import type { KubeObject } from './kube-object.ts';
import { isJsonObject, jsonEqual, kubeTime } from './kube-object.ts';
import type { ClusterObjectStore } from './object-store.ts';
import { splitResourceKey } from './object-store.ts';
import type { ResourceType } from './resources.ts';
import { CRD_GROUP, ResourceRegistry, resourceKey, typesFromCrd } from './resources.ts';

/** How dependents of a deleted object are treated (`propagationPolicy`). */
export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

/** The resource key of CRDs (their objects define kinds). */
export const CRD_RESOURCE = `${CRD_GROUP}/customresourcedefinitions`;
/** The resource key of namespaces. */
export const NAMESPACE_RESOURCE = '/namespaces';

/** A simulated cluster's in-memory state and the rules shared by all its writers. */
export class SimCluster {
  readonly registry = new ResourceRegistry();
  /** When each pending pod's containers start (epoch ms), keyed `namespace/name`; rebuilt after a load. */
  readonly podStartDue = new Map<string, number>();
  /** When each running run-to-completion pod's containers exit (epoch ms), keyed `namespace/name`; rebuilt after a load. */
  readonly podFinishDue = new Map<string, number>();
  /** When each finished Job with `ttlSecondsAfterFinished` is deleted (epoch ms), keyed `namespace/name`. */
  readonly jobExpiryDue = new Map<string, number>();
  /** Last time a request or controller used the cluster (for eviction). */
  lastUsed: number;

  constructor(
    readonly name: string,
    readonly store: ClusterObjectStore,
    private readonly clock: Clock,
  ) {
    this.lastUsed = clock.now();
    for (const crd of store.list(CRD_RESOURCE)) this.registry.setCrd(crd.metadata.name, typesFromCrd(crd));
  }

  /** Current time as epoch ms. */
  now(): number {
    return this.clock.now();
  }

  /** Returns true when a namespace exists and is not terminating. */
  namespaceActive(namespace: string): boolean {
    const ns = this.store.get(NAMESPACE_RESOURCE, undefined, namespace);
    return ns !== undefined && ns.metadata.deletionTimestamp === undefined;
  }

  /**
   * Stores a new object, filling what the server owns (uid, creationTimestamp, generation); returns it.
   * The caller has checked that the name is free; it passes the uid when defaults needed it first (a Job's selector).
   */
  createObject(type: ResourceType, obj: KubeObject, uid: string = randomUUID()): KubeObject {
    obj.metadata.uid = uid;
    obj.metadata.creationTimestamp = kubeTime(this.now());
    if (hasSpec(obj)) obj.metadata.generation = 1;
    delete obj.metadata.deletionTimestamp;
    const stored = this.store.put(resourceKey(type), obj);
    this.afterWrite(type, stored);
    return stored;
  }

  /** Stores a changed object, bumping `generation` when its spec changed; returns it. */
  replaceObject(type: ResourceType, before: KubeObject, after: KubeObject): KubeObject {
    after.metadata.uid = before.metadata.uid;
    after.metadata.creationTimestamp = before.metadata.creationTimestamp;
    if (before.metadata.deletionTimestamp)
      after.metadata.deletionTimestamp = before.metadata.deletionTimestamp;
    else delete after.metadata.deletionTimestamp;
    const generation = before.metadata.generation;
    if (generation !== undefined) {
      const specChanged = !jsonEqual(withoutMetaAndStatus(before), withoutMetaAndStatus(after));
      after.metadata.generation = specChanged ? generation + 1 : generation;
    }
    const stored = this.store.put(resourceKey(type), after);
    this.afterWrite(type, stored);
    // An object waiting for its finalizers to clear goes away once they are gone.
    if (stored.metadata.deletionTimestamp && (stored.metadata.finalizers ?? []).length === 0) {
      this.removeNow(type, stored, 'Background');
    }
    return stored;
  }

  /**
   * Deletes an object: namespaces and objects with finalizers are marked (deletionTimestamp) and go away later;
   * others are removed at once with their dependents per `propagation`. Returns the object as last seen.
   */
  deleteObject(type: ResourceType, obj: KubeObject, propagation: PropagationPolicy): KubeObject {
    const isNamespace = resourceKey(type) === NAMESPACE_RESOURCE;
    if (isNamespace || (obj.metadata.finalizers ?? []).length > 0) {
      if (obj.metadata.deletionTimestamp) return obj;
      const marked: KubeObject = {
        ...obj,
        metadata: { ...obj.metadata, deletionTimestamp: kubeTime(this.now()) },
      };
      if (isNamespace) marked['status'] = { phase: 'Terminating' };
      return this.store.put(resourceKey(type), marked);
    }
    return this.removeNow(type, obj, propagation);
  }

  /** Removes an object now and collects its dependents (owner references) unless orphaned. */
  removeNow(type: ResourceType, obj: KubeObject, propagation: PropagationPolicy): KubeObject {
    const removed = this.store.remove(resourceKey(type), obj.metadata.namespace, obj.metadata.name) ?? obj;
    if (resourceKey(type) === CRD_RESOURCE) this.forgetCrd(obj);
    if (resourceKey(type) === '/pods') {
      this.podStartDue.delete(`${obj.metadata.namespace}/${obj.metadata.name}`);
      this.podFinishDue.delete(`${obj.metadata.namespace}/${obj.metadata.name}`);
      recordContainersKilled(this, removed);
    }
    if (resourceKey(type) === '/nodes') recordNodeRemoved(this, removed);
    if (resourceKey(type) === 'batch/jobs')
      this.jobExpiryDue.delete(`${obj.metadata.namespace}/${obj.metadata.name}`);
    this.collectDependents(obj, propagation);
    return removed;
  }

  /** Returns the served type of a resource key (first served version), for controllers deleting by key. */
  typeOfKey(key: string): ResourceType | undefined {
    const { group, plural } = splitResourceKey(key);
    return this.registry.all().find((t) => t.group === group && t.plural === plural);
  }

  private collectDependents(owner: KubeObject, propagation: PropagationPolicy): void {
    const uid = owner.metadata.uid;
    if (!uid) return;
    for (const key of this.store.resourceKeys()) {
      const type = this.typeOfKey(key);
      if (!type) continue;
      for (const dep of this.store.list(key)) {
        const refs = dep.metadata.ownerReferences ?? [];
        if (!refs.some((r) => r.uid === uid)) continue;
        const remaining = refs.filter((r) => r.uid !== uid);
        if (propagation === 'Orphan' || remaining.length > 0) {
          const next: KubeObject = { ...dep, metadata: { ...dep.metadata, ownerReferences: remaining } };
          if (remaining.length === 0) delete next.metadata.ownerReferences;
          this.store.put(key, next);
        } else {
          this.deleteObject(type, dep, 'Background');
        }
      }
    }
  }

  private afterWrite(type: ResourceType, obj: KubeObject): void {
    if (resourceKey(type) === CRD_RESOURCE) this.registry.setCrd(obj.metadata.name, typesFromCrd(obj));
  }

  private forgetCrd(crd: KubeObject): void {
    const types = typesFromCrd(crd);
    this.registry.removeCrd(crd.metadata.name);
    // Custom objects of a deleted CRD go with it, as in Kubernetes.
    for (const t of types) {
      for (const o of this.store.list(resourceKey(t)))
        this.store.remove(resourceKey(t), o.metadata.namespace, o.metadata.name);
    }
  }
}

function hasSpec(obj: KubeObject): boolean {
  return isJsonObject(obj['spec']);
}

function withoutMetaAndStatus(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}
