/**
 * The store writes of one reconcile step, gathered while the step runs and committed in the transaction that
 * finishes the step (fenced by its lease; runs finishing together share one, see `finish-group.ts`): the status
 * patch (conditional on the status version read, so a command's concurrent status write — an approval, a
 * delete — is never overwritten), events, inventory and node records. A step killed before it commits leaves no trace in the store; its external effects are
 * idempotent, so the retry converges.
 */
import type { Transaction } from 'kysely';
import type { InventoryEntry, ObjectRef } from '../core/model.ts';
import { updateClusterStatus } from '../store/clusters.ts';
import type { EventInput, EventType } from '../store/events.ts';
import { removeInventory, setInventoryUnused, upsertInventory } from '../store/inventory.ts';
import { deleteNodes, type NodeInput, upsertNodes } from '../store/node-pools.ts';
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
