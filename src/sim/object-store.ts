/**
 * One simulated cluster's objects in memory: a map per resource, a resourceVersion counter, a short history of
 * changes so watches can resume from a resourceVersion, fan-out to watchers and controllers, and the set of
 * writes not yet persisted (flushed in batches by the fleet).
 */

import type { KubeObject } from './kube-object.ts';
import type { SimObjectRecord, SimObjectWrite } from './persistence.ts';

/** The kind of change a watch event reports. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One change in a cluster's store. */
export interface StoreEvent {
  type: WatchEventType;
  /** The resource key (`apps/deployments`). */
  resource: string;
  object: KubeObject;
  resourceVersion: number;
}

/** Receives every change of a cluster's store, in order. */
export type StoreListener = (event: StoreEvent) => void;

/** How many past events a cluster keeps so that a watch may resume from an older resourceVersion. */
const HISTORY_LIMIT = 1000;

/** Resources kept in memory only: Events are short-lived reports (bounded in events.ts), never persisted. */
const MEMORY_ONLY_RESOURCES: ReadonlySet<string> = new Set(['/events']);

/** Returns the key of an object inside a resource's map. */
export function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

/** Splits a resource key into group and plural. */
export function splitResourceKey(resource: string): { group: string; plural: string } {
  const slash = resource.lastIndexOf('/');
  return { group: resource.slice(0, slash), plural: resource.slice(slash + 1) };
}

/** The objects of one simulated cluster. Objects handed out are the stored ones: clone before changing them. */
export class ClusterObjectStore {
  private readonly resources = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<StoreListener>();
  private readonly dirty = new Map<string, SimObjectWrite>();
  private lastRv: number;
  /** Called when the first unpersisted write appears, so the owner can schedule a flush. */
  onDirty: (() => void) | undefined;

  constructor(
    readonly cluster: string,
    lastResourceVersion = 0,
  ) {
    this.lastRv = lastResourceVersion;
  }

  /** The highest resourceVersion issued in this cluster. */
  get resourceVersion(): number {
    return this.lastRv;
  }

  /** Returns the number of stored objects (for eviction and figures). */
  get size(): number {
    let n = 0;
    for (const m of this.resources.values()) n += m.size;
    return n;
  }

  /** Puts a persisted record back without events or writes (used when a cluster is loaded). */
  restore(record: SimObjectRecord): void {
    const resource = `${record.group}/${record.resource}`;
    this.mapOf(resource).set(
      objectKey(record.namespace || undefined, record.name),
      record.object as KubeObject,
    );
  }

  /** Returns a stored object or undefined. */
  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.resources.get(resource)?.get(objectKey(namespace, name));
  }

  /** Returns the objects of a resource, optionally of one namespace, sorted by namespace then name. */
  list(resource: string, namespace?: string): KubeObject[] {
    const map = this.resources.get(resource);
    if (!map) return [];
    const out: KubeObject[] = [];
    for (const obj of map.values()) {
      if (namespace === undefined || obj.metadata.namespace === namespace) out.push(obj);
    }
    return out.sort((a, b) =>
      a.metadata.namespace === b.metadata.namespace
        ? a.metadata.name < b.metadata.name
          ? -1
          : 1
        : (a.metadata.namespace ?? '') < (b.metadata.namespace ?? '')
          ? -1
          : 1,
    );
  }

  /** Returns the resource keys that hold objects. */
  resourceKeys(): string[] {
    return [...this.resources.keys()];
  }

  /** Stores an object under a new resourceVersion and tells watchers; returns the stored object. */
  put(resource: string, object: KubeObject): KubeObject {
    const map = this.mapOf(resource);
    const key = objectKey(object.metadata.namespace, object.metadata.name);
    const type: WatchEventType = map.has(key) ? 'MODIFIED' : 'ADDED';
    this.lastRv += 1;
    object.metadata.resourceVersion = String(this.lastRv);
    map.set(key, object);
    const { group, plural } = splitResourceKey(resource);
    this.markDirty(key, resource, {
      op: 'put',
      record: {
        cluster: this.cluster,
        group,
        resource: plural,
        namespace: object.metadata.namespace ?? '',
        name: object.metadata.name,
        resourceVersion: this.lastRv,
        object,
      },
    });
    this.emit({ type, resource, object, resourceVersion: this.lastRv });
    return object;
  }

  /** Removes an object and tells watchers; returns the removed object (with its final resourceVersion). */
  remove(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const map = this.resources.get(resource);
    const key = objectKey(namespace, name);
    const existing = map?.get(key);
    if (!map || !existing) return undefined;
    map.delete(key);
    this.lastRv += 1;
    const { group, plural } = splitResourceKey(resource);
    this.markDirty(key, resource, {
      op: 'delete',
      key: { cluster: this.cluster, group, resource: plural, namespace: namespace ?? '', name },
    });
    const object = { ...existing, metadata: { ...existing.metadata, resourceVersion: String(this.lastRv) } };
    this.emit({ type: 'DELETED', resource, object, resourceVersion: this.lastRv });
    return object;
  }

  /** Returns the events after `resourceVersion`, or 'expired' when the history no longer reaches back that far. */
  eventsSince(resourceVersion: number): StoreEvent[] | 'expired' {
    if (resourceVersion >= this.lastRv) return [];
    const first = this.history[0];
    if (!first || first.resourceVersion > resourceVersion + 1) return 'expired';
    return this.history.filter((e) => e.resourceVersion > resourceVersion);
  }

  /** Registers a listener for every future change; returns the function that removes it. */
  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Number of listeners (watch streams hold a cluster in memory). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** True when writes wait to be persisted. */
  get hasDirty(): boolean {
    return this.dirty.size > 0;
  }

  /** Returns and forgets the writes not yet persisted, in one batch. */
  takeDirty(): SimObjectWrite[] {
    const writes = [...this.dirty.values()];
    this.dirty.clear();
    return writes;
  }

  private markDirty(key: string, resource: string, write: SimObjectWrite): void {
    if (MEMORY_ONLY_RESOURCES.has(resource)) return;
    const wasClean = this.dirty.size === 0;
    this.dirty.set(`${resource}|${key}`, write);
    if (wasClean) this.onDirty?.();
  }

  private mapOf(resource: string): Map<string, KubeObject> {
    let map = this.resources.get(resource);
    if (!map) {
      map = new Map();
      this.resources.set(resource, map);
    }
    return map;
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > HISTORY_LIMIT) this.history.splice(0, this.history.length - HISTORY_LIMIT);
    for (const l of this.listeners) l(event);
  }
}
