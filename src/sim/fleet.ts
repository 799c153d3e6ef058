/**
 * Every simulated cluster of one process: loads a cluster's objects from persistence on first use, evicts idle
 * ones, persists writes in batches (one group write for the clusters with pending writes), runs the controllers
 * after changes and when the scheduler wakes a cluster. Only clusters in use are in memory, so a fleet of
 * 100,000 fits.
 */
import type { Clock } from '../core/clock.ts';
import { StrataError } from '../core/errors.ts';
import { reconcileCluster } from './controllers/reconcile.ts';
import { ClusterObjectStore } from './object-store.ts';
import type { SimClusterWrite, SimObjectPersistence } from './persistence.ts';
import { WakeScheduler } from './scheduler.ts';
import { SimCluster } from './sim-cluster.ts';
import type { SimTiming } from './timing.ts';

/** Counters the benchmark and operators read. */
export interface FleetStats {
  loadedClusters: number;
  loads: number;
  evictions: number;
  flushes: number;
  pendingWakeups: number;
}

/** The loaded clusters, their persistence and their controllers. */
export class SimFleet {
  private readonly loaded = new Map<string, SimCluster>();
  private readonly loading = new Map<string, Promise<SimCluster | undefined>>();
  private readonly persistChain = new Map<string, Promise<void>>();
  /** The group write being assembled (`pending`, `next`) and the one in flight (`running`); see `persistCluster`. */
  private readonly group: {
    pending: Map<string, SimClusterWrite & { before: Promise<void> | undefined }>;
    next: Promise<void> | undefined;
    running: Promise<void>;
  } = { pending: new Map(), next: undefined, running: Promise.resolve() };
  private readonly dirtyClusters = new Set<string>();
  private readonly toReconcile = new Set<string>();
  private readonly scheduler: WakeScheduler;
  private flushTimer: NodeJS.Timeout | undefined;
  private reconcileQueued = false;
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly counters = { loads: 0, evictions: 0, flushes: 0 };
  /** Set when a background persistence write failed; surfaced by `flush()` and `stop()`. */
  private persistError: unknown;

  constructor(
    private readonly persistence: SimObjectPersistence,
    readonly clock: Clock,
    readonly timing: SimTiming,
    /** Clusters beyond this many in memory are evicted least-recently-used first, when idle. */
    private readonly maxLoaded = 10_000,
  ) {
    this.scheduler = new WakeScheduler(clock, (name) => void this.wake(name));
    this.sweepTimer = setInterval(
      () => this.evictIdle(),
      Math.max(1000, Math.min(60_000, timing.idleEvictMs / 2)),
    );
    this.sweepTimer.unref();
  }

  /** Returns a loaded cluster, loading it from persistence if needed; undefined when it does not exist. */
  async get(name: string): Promise<SimCluster | undefined> {
    const hit = this.loaded.get(name);
    if (hit) {
      hit.lastUsed = this.clock.now();
      return hit;
    }
    let pending = this.loading.get(name);
    if (!pending) {
      pending = this.load(name);
      this.loading.set(name, pending);
      void pending.finally(() => this.loading.delete(name)).catch(() => undefined);
    }
    return pending;
  }

  /** Returns a loaded cluster or throws NotFound; what request handlers call. */
  async require(name: string): Promise<SimCluster> {
    const c = await this.get(name);
    if (!c)
      throw new StrataError('NotFound', `simulated cluster "${name}" does not exist`, { cluster: name });
    return c;
  }

  /** Creates an empty cluster in memory (the caller adds its first objects); AlreadyExists if it exists. */
  async create(name: string): Promise<SimCluster> {
    if (await this.get(name)) {
      throw new StrataError('AlreadyExists', `simulated cluster "${name}" already exists`, { cluster: name });
    }
    const cluster = this.adopt(name, new ClusterObjectStore(name, 0));
    return cluster;
  }

  /** Removes a cluster from memory and from persistence. */
  async delete(name: string): Promise<void> {
    await this.get(name);
    const cluster = this.loaded.get(name);
    cluster?.store.takeDirty();
    this.loaded.delete(name);
    this.dirtyClusters.delete(name);
    this.toReconcile.delete(name);
    await this.enqueuePersist(name, () => this.persistence.deleteCluster(name));
  }

  /** Asks for the controllers to run on a cluster soon (after the current request). */
  reconcileSoon(name: string): void {
    this.toReconcile.add(name);
    if (this.reconcileQueued || this.stopped) return;
    this.reconcileQueued = true;
    setImmediate(() => this.runReconciles());
  }

  /** Asks the scheduler to wake a cluster's controllers at `at` (epoch ms). */
  wakeAt(name: string, at: number): void {
    this.scheduler.wakeAt(name, at);
  }

  /** Runs due wake-ups now (for tests that move a manual clock). */
  runDue(): number {
    return this.scheduler.runDue();
  }

  /** Writes every pending change to persistence; resolves when all batches are stored. */
  async flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const names = [...this.dirtyClusters];
    this.dirtyClusters.clear();
    await Promise.all(names.map((n) => this.persistCluster(n)));
    await Promise.all([...this.persistChain.values()]);
    if (this.persistError) {
      const e = this.persistError;
      this.persistError = undefined;
      throw e;
    }
  }

  /** Evicts idle clusters (no watchers, no pending work, nothing unsaved); returns how many left memory. */
  evictIdle(now = this.clock.now()): number {
    const candidates = [...this.loaded.values()].filter((c) => this.evictable(c, now));
    const overCap = Math.max(0, this.loaded.size - this.maxLoaded);
    candidates.sort((a, b) => a.lastUsed - b.lastUsed);
    let evicted = 0;
    for (const [i, c] of candidates.entries()) {
      if (i >= overCap && now - c.lastUsed < this.timing.idleEvictMs) break;
      this.loaded.delete(c.name);
      evicted += 1;
    }
    this.counters.evictions += evicted;
    return evicted;
  }

  /** Returns how many clusters are in memory and how often they were loaded, evicted and flushed. */
  stats(): FleetStats {
    return {
      loadedClusters: this.loaded.size,
      ...this.counters,
      pendingWakeups: this.scheduler.pendingCount,
    };
  }

  /** Stops timers and persists what is pending. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.scheduler.stop();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.flush();
  }

  private evictable(c: SimCluster, now: number): boolean {
    // A wake-up further off than the idle time (a CronJob's next run, a Job's TTL) does not pin the cluster: the
    // wake-up reloads it, and its controllers derive everything else from what is stored.
    const wakeAt = this.scheduler.pendingAt(c.name);
    return (
      c.store.listenerCount <= 1 &&
      !c.store.hasDirty &&
      (wakeAt === undefined || wakeAt - now > this.timing.idleEvictMs) &&
      !this.toReconcile.has(c.name) &&
      c.podStartDue.size === 0 &&
      c.podFinishDue.size === 0
    );
  }

  private async load(name: string): Promise<SimCluster | undefined> {
    await this.persistChain.get(name);
    const { objects, lastResourceVersion } = await this.persistence.loadCluster(name);
    const already = this.loaded.get(name);
    if (already) return already;
    if (objects.length === 0) return undefined;
    const store = new ClusterObjectStore(name, lastResourceVersion);
    for (const r of objects) store.restore(r);
    this.counters.loads += 1;
    const cluster = this.adopt(name, store);
    this.reconcileSoon(name);
    return cluster;
  }

  private adopt(name: string, store: ClusterObjectStore): SimCluster {
    const cluster = new SimCluster(name, store, this.clock);
    store.onDirty = () => this.markDirty(name);
    // The fleet's own listener: any change may give a controller work.
    store.subscribe(() => this.reconcileSoon(name));
    this.loaded.set(name, cluster);
    return cluster;
  }

  private async wake(name: string): Promise<void> {
    const cluster = await this.get(name);
    if (cluster) this.reconcileSoon(name);
  }

  private runReconciles(): void {
    this.reconcileQueued = false;
    const names = [...this.toReconcile];
    this.toReconcile.clear();
    for (const name of names) {
      const cluster = this.loaded.get(name);
      if (!cluster) continue;
      try {
        const next = reconcileCluster(cluster, { timing: this.timing });
        if (next !== undefined) this.scheduler.wakeAt(name, next);
      } catch (e) {
        // A controller bug must not take the whole API server down; it is reported loudly and retried later.
        console.error(`sim: controllers of cluster ${name} failed:`, e);
        this.scheduler.wakeAt(name, this.clock.now() + 1000);
      }
    }
  }

  private markDirty(name: string): void {
    this.dirtyClusters.add(name);
    if (this.flushTimer || this.stopped) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      const names = [...this.dirtyClusters];
      this.dirtyClusters.clear();
      for (const n of names) void this.persistCluster(n);
    }, this.timing.flushDelayMs);
    this.flushTimer.unref();
  }

  /**
   * Hands a cluster's pending writes to the next group write: every cluster whose writes were taken while the
   * previous group write ran goes into one `writeMany` (one statement for the store), so sixteen reconcile
   * passes flushing at once cost one round trip, not sixteen. Per cluster, writes stay in order: a group write
   * waits for the cluster's earlier persistence work, and the cluster's later work (load, delete, the next
   * group) waits for it.
   */
  private persistCluster(name: string): Promise<void> {
    const cluster = this.loaded.get(name);
    if (!cluster?.store.hasDirty) return Promise.resolve();
    const writes = cluster.store.takeDirty();
    const rv = cluster.store.resourceVersion;
    this.counters.flushes += 1;
    const waiting = this.group.pending.get(name);
    if (waiting) {
      waiting.writes.push(...writes);
      waiting.lastResourceVersion = Math.max(waiting.lastResourceVersion, rv);
      return this.group.next as Promise<void>;
    }
    const before = this.persistChain.get(name);
    this.group.pending.set(name, { cluster: name, writes, lastResourceVersion: rv, before });
    if (!this.group.next) {
      const next = this.group.running.then(async () => {
        const batch = [...this.group.pending.values()];
        this.group.pending.clear();
        this.group.next = undefined;
        await Promise.all(batch.map((b) => b.before));
        await this.persistence.writeMany(batch);
      });
      this.group.next = next.catch((e: unknown) => {
        this.persistError = e;
      });
      this.group.running = this.group.next;
    }
    return this.track(name, this.group.next as Promise<void>);
  }

  /** Runs `op` after the cluster's earlier persistence work and tracks it. */
  private enqueuePersist(name: string, op: () => Promise<void>): Promise<void> {
    const prev = this.persistChain.get(name) ?? Promise.resolve();
    return this.track(
      name,
      prev.then(op).catch((e: unknown) => {
        this.persistError = e;
      }),
    );
  }

  /** Makes `next` (which never rejects) the cluster's latest persistence work until it settles. */
  private track(name: string, next: Promise<void>): Promise<void> {
    this.persistChain.set(name, next);
    void next.then(() => {
      if (this.persistChain.get(name) === next) this.persistChain.delete(name);
    });
    return next;
  }
}
