/**
 * Drift detection by watch: for each Running cluster, watches of the kinds Strata manages there (label-selected
 * on the cluster), and a reconcile requested when a managed object is deleted or its spec changes out of band.
 * The reconciler decides what is drift (it compares fields Strata set); the watch only makes it look sooner.
 * The periodic resync stays the backstop: a watch that ends is restarted, and clusters beyond `limit` rely on
 * the resync alone.
 */
import { STRATA_LABELS } from '../core/render.ts';
import type { WatchHandle } from '../kube/client.ts';
import type { EngineContext } from './context.ts';

/** A kind to watch. */
export interface WatchedKind {
  apiVersion: string;
  kind: string;
}

const DEBOUNCE_MS = 50;
const RESTART_MS = 1000;

/** Watches managed objects of Running clusters and asks for a reconcile when one changes out of band. */
export class DriftWatcher {
  private readonly watches = new Map<string, Map<string, WatchHandle | null>>();
  private readonly generations = new Map<string, number>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly onDrift: (cluster: string) => void,
    private readonly limit = 500,
  ) {}

  /** Makes sure the cluster's managed kinds are watched (up to the cluster limit). */
  ensure(cluster: { name: string; spec: { cloudType: string } }, kinds: readonly WatchedKind[]): void {
    if (this.stopped) return;
    let byKind = this.watches.get(cluster.name);
    if (!byKind) {
      if (this.watches.size >= this.limit) return;
      byKind = new Map();
      this.watches.set(cluster.name, byKind);
    }
    for (const k of kinds) {
      const key = `${k.apiVersion}/${k.kind}`;
      if (byKind.has(key)) continue;
      byKind.set(key, null);
      void this.start(cluster, k, byKind, key);
    }
  }

  /** Stops watching a cluster (deleted). */
  forget(name: string): void {
    for (const handle of this.watches.get(name)?.values() ?? []) handle?.stop();
    this.watches.delete(name);
    const timer = this.pending.get(name);
    if (timer) clearTimeout(timer);
    this.pending.delete(name);
  }

  /** Stops every watch. */
  stop(): void {
    this.stopped = true;
    for (const name of [...this.watches.keys()]) this.forget(name);
  }

  private async start(
    cluster: { name: string; spec: { cloudType: string } },
    kind: WatchedKind,
    byKind: Map<string, WatchHandle | null>,
    key: string,
  ): Promise<void> {
    const restart = () => {
      if (this.stopped || this.watches.get(cluster.name) !== byKind) return;
      setTimeout(() => void this.start(cluster, kind, byKind, key), RESTART_MS).unref();
    };
    try {
      const client = await this.ctx.kube(cluster);
      const handle = await client.watch(
        kind.apiVersion,
        kind.kind,
        { labelSelector: `${STRATA_LABELS.cluster}=${cluster.name}` },
        (event) => {
          const meta = event.object?.metadata as
            | { name?: string; namespace?: string; generation?: number }
            | undefined;
          if (!meta?.name) return;
          const id = `${cluster.name}/${key}/${meta.namespace ?? ''}/${meta.name}`;
          const generation = Number(meta.generation ?? 0);
          const before = this.generations.get(id);
          this.generations.set(id, generation);
          // Strata's own apply bumps the generation too: that is not drift.
          const own = `${cluster.name}/${key}/${meta.namespace ?? ''}/${meta.name}`;
          if (event.type === 'MODIFIED' && this.ctx.ownWrites.get(own) === generation) {
            this.ctx.ownWrites.delete(own);
            return;
          }
          if (event.type === 'DELETED') this.nudge(cluster.name);
          // Status updates by controllers keep the generation; a spec change (kubectl edit, apply) bumps it.
          else if (
            event.type === 'MODIFIED' &&
            (generation === 0 || (before !== undefined && generation !== before))
          )
            this.nudge(cluster.name);
        },
        () => restart(),
      );
      if (this.stopped || this.watches.get(cluster.name) !== byKind) handle.stop();
      else {
        byKind.set(key, handle);
        // A change made before this watch began (between the apply and now, or while a watch was down) has
        // no event of its own: one reconcile now covers that gap; every later change arrives on the watch.
        this.nudge(cluster.name);
      }
    } catch {
      restart();
    }
  }

  private nudge(name: string): void {
    if (this.pending.has(name) || this.stopped) return;
    const timer = setTimeout(() => {
      this.pending.delete(name);
      this.onDrift(name);
    }, DEBOUNCE_MS);
    timer.unref();
    this.pending.set(name, timer);
  }
}
