/**
 * The store writes of one reconcile step, gathered while the step runs and committed in the transaction that
 * finishes the step (fenced by its lease; runs finishing together share one, see `finish-group.ts`): the status
 * patch (conditional on the status version read, so a command's concurrent status write — an approval, a
 * delete — is never overwritten), events, inventory and node records. A step killed before it commits leaves no trace in the store; its external effects are
 * idempotent, so the retry converges.
 */
import type { Transaction } from 'kysely';
import type { InventoryEntry, ObjectRef } from '../core/model.ts';
import { updateClusterStatus, updateClusterStatusesFenced } from '../store/clusters.ts';
import type { EventInput, EventType } from '../store/events.ts';
import {
  removeInventory,
  setInventoryUnused,
  upsertInventory,
  upsertInventoryRows,
} from '../store/inventory.ts';
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

  constructor(
    readonly cluster: string,
    /** The status version the step read; the status write fails with `Conflict` if it moved. */
    readonly expectedStatusVersion: number,
  ) {}

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
 * Writes a step's records inside `trx` — all but its events, which the caller records with other steps' in one
 * statement. `Conflict` when the cluster's status changed since the step read it, thrown before anything is
 * written (the status is written first), so a group can skip this step and keep the others.
 */
export async function commitWrites(trx: Transaction<Database>, writes: StepWrites): Promise<void> {
  if (Object.keys(writes.status).length > 0) {
    await updateClusterStatus(trx, writes.cluster, storeStatus(writes.status), {
      expectedStatusVersion: writes.expectedStatusVersion,
    });
  }
  await upsertInventory(trx, writes.cluster, writes.inventoryUpserts);
  await setInventoryUnused(trx, writes.cluster, writes.inventoryUnused, true);
  await removeInventory(trx, writes.cluster, writes.inventoryRemovals);
  await upsertNodes(trx, writes.nodeUpserts);
  await deleteNodes(trx, writes.cluster, writes.nodeDeletes);
}

/**
 * `commitWrites` for the steps of many clusters at once, as a group commit ends them: one fenced status statement
 * for all, one inventory and one node statement for all, the rarer writes per cluster. A step whose status moved
 * since it read it writes nothing at all; those steps are returned (stale), the others are written.
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
      patch: storeStatus(w.status),
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
 * The group commit's `GroupEffect` for reconcile passes whose `grouped` data is their `StepWrites`: writes them
 * with `commitWritesBatch` and returns the indexes of the stale ones.
 */
export const commitGroupedWrites: GroupEffect = async (trx, grouped) => {
  const list = grouped as StepWrites[];
  const stale = await commitWritesBatch(trx, list);
  return new Set(list.flatMap((w, i) => (stale.has(w) ? [i] : [])));
};
