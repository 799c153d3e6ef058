/** The prune command: delete a cluster's unused objects (all, or the ones named), within a cap unless forced. */
import { StrataError } from '../../core/errors.ts';
import type { InventoryEntry, ObjectRef } from '../../core/model.ts';
import { refKey } from '../../core/objects.ts';
import { listInventory } from '../../store/inventory.ts';
import type { EngineCommands, PruneResult } from '../contract.ts';
import { engineStateOf } from '../engine-state.ts';
import { type CommandDeps, commitStatusIntent, requireCluster } from './intent.ts';

/** How many unused objects a prune deletes without `force`: 25, and never more than a quarter of the managed ones. */
export function pruneCap(managed: number): number {
  return Math.max(1, Math.min(25, Math.floor(managed / 4)));
}

/** Returns the objects a prune would delete: every unused one, or those named (each must be unused). */
function objectsToPrune(
  name: string,
  inventory: readonly InventoryEntry[],
  named?: ObjectRef[],
): ObjectRef[] {
  const unused = inventory.filter((e) => e.unused);
  if (!named) {
    return unused.map((e) => ({
      apiVersion: e.apiVersion,
      kind: e.kind,
      namespace: e.namespace,
      name: e.name,
    }));
  }
  const unusedKeys = new Set(unused.map((e) => refKey(e)));
  named.forEach((ref, i) => {
    if (!unusedKeys.has(refKey(ref))) {
      throw new StrataError(
        'ValidationFailed',
        `objects[${i}] (${ref.kind} ${ref.namespace}/${ref.name}) is not an unused object of cluster ${name}; only unused objects are pruned.`,
        { field: `objects[${i}]` },
      );
    }
  });
  return named.map((r) => ({ apiVersion: r.apiVersion, kind: r.kind, namespace: r.namespace, name: r.name }));
}

/** Returns `prune`. */
export function pruneCommands(deps: CommandDeps): Pick<EngineCommands, 'prune'> {
  const { ctx } = deps;
  return {
    async prune(audit, name, options): Promise<PruneResult> {
      const cluster = await requireCluster(ctx, name);
      const inventory = await listInventory(ctx.store.db, name);
      const objects = objectsToPrune(name, inventory, options.objects);
      const cap = pruneCap(inventory.length);
      const overCap = objects.length > cap && !options.force;
      if (options.dryRun) return { dryRun: true, objects, refused: overCap };
      if (overCap) {
        throw new StrataError(
          'PruneCapExceeded',
          `Pruning ${objects.length} objects exceeds the cap of ${cap} (25, at most a quarter of the ${inventory.length} managed objects); review the preview and pass force to prune them.`,
          { count: objects.length, cap, managed: inventory.length },
        );
      }
      if (objects.length === 0) return { dryRun: false, objects, refused: false };
      if (cluster.status.phase === 'Deleting' || cluster.status.phase === 'Deleted') {
        throw new StrataError(
          'ClusterNotUpdatable',
          `Cluster ${name} is ${cluster.status.phase}; nothing is pruned.`,
          { phase: cluster.status.phase },
        );
      }
      await commitStatusIntent(
        deps,
        audit,
        name,
        (c) => {
          // Added to a prune already requested and not yet done.
          const state = engineStateOf(c.status);
          const already = state.prune?.objects ?? [];
          const keys = new Set(already.map(refKey));
          const merged = [...already, ...objects.filter((o) => !keys.has(refKey(o)))];
          return {
            engine: {
              ...state,
              prune: { objects: merged, requestedAt: deps.now(), requestedBy: audit.actor },
            },
          };
        },
        () => ({
          audit: [
            {
              action: 'cluster.prune',
              targetKind: 'cluster',
              target: name,
              before: null,
              after: { objects: objects.map(refKey) },
            },
          ],
          events: [
            {
              cluster: name,
              type: 'Normal',
              reason: 'PruneRequested',
              message: `${audit.actor} asked to prune ${objects.length} unused object(s).`,
              details: { objects },
            },
          ],
          reconcile: [name],
        }),
      );
      return { dryRun: false, objects, refused: false };
    },
  };
}
