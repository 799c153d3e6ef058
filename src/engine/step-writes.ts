/**
 * The store writes of one reconcile step, gathered while the step runs and committed in the transaction that
 * finishes the step (fenced by its lease; runs finishing together share one, see `finish-group.ts`): the status
 * patch (conditional on the status version read, so a command's concurrent status write — an approval, a
 * delete — is never overwritten), events, inventory and node records. A step killed before it commits leaves no trace in the store; its external effects are
 * idempotent, so the retry converges.
 */
import type { Transaction } from 'kysely';
import type { InventoryEntry, ObjectRef } from '../core/model.ts';
import { jsonEqual } from '../core/objects.ts';
import { type ClusterStatus, type EngineMerge, updateClusterStatusesFenced } from '../store/clusters.ts';
import type { EventInput, EventType } from '../store/events.ts';
import { removeInventory, setInventoryUnused, upsertInventoryRows } from '../store/inventory.ts';
import { deleteNodes, type NodeInput, upsertNodes } from '../store/node-pools.ts';
import type { GroupEffect } from '../store/reconcile-queue.ts';
import type { Database } from '../store/schema.ts';
import { type EngineClusterStatus, storeStatus } from './engine-state.ts';

/** The writes of one step for one cluster. */
export class StepWrites {
  status: Partial<EngineClusterStatus> = {};
  readonly events: EventInput[] = [];
  readonly inventoryUpserts: InventoryEntry[] = [];
  readonly inventoryUnused: ObjectRef[] = [];
  readonly inventoryRemovals: ObjectRef[] = [];
  readonly nodeUpserts: NodeInput[] = [];
  readonly nodeDeletes: string[] = [];

  /** A copy of the status the step read, taken before the step could change it: what `changes` compares with. */
  private readonly read: EngineClusterStatus | undefined;

  constructor(
    readonly cluster: string,
    /** The status version the step read; the status write is skipped as stale if it moved. */
    readonly expectedStatusVersion: number,
    read?: ClusterStatus,
  ) {
    this.read = read ? (structuredClone(read) as EngineClusterStatus) : undefined;
  }

  /**
   * The status patch as the store writes it: only the fields that differ from the status the step read, and the
   * engine's bookkeeping key by key. The write is fenced on the version of that status, so a field left out is
   * one the row already holds — the nodes in force (~4.5 KB) are no longer sent by every pass.
   */
  changes(): { patch: Partial<ClusterStatus>; engine?: EngineMerge } {
    return statusChanges(this.read, this.status);
  }

  /** Records an event for the cluster. */
  event(type: EventType, reason: string, message: string, details: Record<string, unknown> = {}): void {
    this.events.push({ cluster: this.cluster, type, reason, message, details });
  }

  /** Merges fields into the status patch. */
  patch(fields: Partial<EngineClusterStatus>): void {
    this.status = { ...this.status, ...fields };
  }

  /** True when the step has nothing to write. */
  get empty(): boolean {
    return (
      Object.keys(this.status).length === 0 &&
      this.events.length + this.inventoryUpserts.length + this.inventoryUnused.length === 0 &&
      this.inventoryRemovals.length + this.nodeUpserts.length + this.nodeDeletes.length === 0
    );
  }
}

/**
 * Writes the steps of many clusters at once, as a group commit ends them (all but their events, which the caller
 * records with other steps' in one statement): one fenced status statement for all, one inventory and one node
 * statement for all, the rarer writes per cluster. A step whose status moved since it read it writes nothing at
 * all; those steps are returned (stale), the others are written.
 */
export async function commitWritesBatch(
  trx: Transaction<Database>,
  list: readonly StepWrites[],
): Promise<Set<StepWrites>> {
  const withStatus = list.filter((w) => Object.keys(w.status).length > 0);
  const written = await updateClusterStatusesFenced(
    trx,
    withStatus.map((w) => ({
      name: w.cluster,
      ...w.changes(),
      expectedStatusVersion: w.expectedStatusVersion,
    })),
  );
  const stale = new Set(withStatus.filter((w) => !written.has(w.cluster)));
  const fresh = list.filter((w) => !stale.has(w));
  await upsertInventoryRows(
    trx,
    fresh.flatMap((w) => w.inventoryUpserts.map((e) => ({ ...e, cluster: w.cluster }))),
  );
  await upsertNodes(
    trx,
    fresh.flatMap((w) => w.nodeUpserts),
  );
  for (const w of fresh) {
    await setInventoryUnused(trx, w.cluster, w.inventoryUnused, true);
    await removeInventory(trx, w.cluster, w.inventoryRemovals);
    await deleteNodes(trx, w.cluster, w.nodeDeletes);
  }
  return stale;
}

/**
 * Returns what `patch` changes in `read` (all of it without `read`): the top-level fields whose values differ,
 * and for `engine` the keys to set and to drop.
 */
function statusChanges(
  read: EngineClusterStatus | undefined,
  patch: Partial<EngineClusterStatus>,
): { patch: Partial<ClusterStatus>; engine?: EngineMerge } {
  if (!read) return { patch: storeStatus(patch) };
  const changed: Partial<EngineClusterStatus> = {};
  for (const [key, value] of Object.entries(patch) as [keyof EngineClusterStatus, unknown][]) {
    if (key === 'engine' || value === undefined) continue;
    if (!jsonEqual(value, read[key])) (changed as Record<string, unknown>)[key] = value;
  }
  if (!patch.engine) return { patch: storeStatus(changed) };
  const before = (read.engine ?? {}) as Record<string, unknown>;
  const after = patch.engine as Record<string, unknown>;
  const set: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(after))
    if (value !== undefined && !jsonEqual(value, before[key])) set[key] = value;
  const drop = Object.keys(before).filter((key) => before[key] !== undefined && after[key] === undefined);
  return { patch: storeStatus(changed), engine: { set, drop } };
}

/**
 * The group commit's `GroupEffect` for reconcile passes whose `grouped` data is their `StepWrites`: writes them
 * with `commitWritesBatch` and returns the indexes of the stale ones.
 */
export const commitGroupedWrites: GroupEffect = async (trx, grouped) => {
  const list = grouped as StepWrites[];
  const stale = await commitWritesBatch(trx, list);
  return new Set(list.flatMap((w, i) => (stale.has(w) ? [i] : [])));
};
