/**
 * The change commands: plan a change of a cluster's profiles, overrides or pools, and apply it (one cluster, or a
 * rollout's batch) — the new spec stored with its event and the update queued.
 */
import { isErrorCode, isStrataError, StrataError } from '../../core/errors.ts';
import { jsonEqual } from '../../core/objects.ts';
import { summarizePlan } from '../../core/plan-summary.ts';
import { resolveStack } from '../../core/stack.ts';
import type { UpdateProposal } from '../../core/workflows.ts';
import type { AuditContext } from '../../store/audit.ts';
import { getClusters, type StoredCluster, updateClusterSpecs } from '../../store/clusters.ts';
import { listInventories, listInventory } from '../../store/inventory.ts';
import { staleWriteError } from '../../store/transact.ts';
import { proposeFor } from '../change-plan.ts';
import type { EngineContext } from '../context.ts';
import type {
  ApplyOptions,
  ClusterChangeInput,
  ClusterPlanView,
  EngineCommands,
  FleetCommands,
} from '../contract.ts';
import { type CommandDeps, commitIntent, requireCluster, type Trx } from './intent.ts';

/** A change planned for a cluster as read, ready to be stored. */
interface PlannedChange {
  cluster: StoredCluster;
  proposal: UpdateProposal;
  change: ClusterChangeInput;
}

/** Returns the error a non-applicable plan is refused with: its first error's code, the plan in details. */
function planRefusal(proposal: UpdateProposal): StrataError {
  const first = proposal.plan.errors[0];
  if (!first) {
    return new StrataError('PlanHasErrors', 'The plan cannot be applied.', { plan: proposal.plan });
  }
  const code = isErrorCode(first.code) ? first.code : 'PlanHasErrors';
  return new StrataError(code, first.message, { ...first.details, plan: proposal.plan });
}

/** True when a proposal changes nothing: no plan change and the same spec. */
function unchanged(cluster: StoredCluster, proposal: UpdateProposal): boolean {
  return !proposal.plan.changed && jsonEqual(proposal.spec, cluster.spec);
}

/** Plans a change of one cluster; returns the cluster as read, the proposal and the plan as the API shows it. */
async function propose(ctx: EngineContext, name: string, change: ClusterChangeInput, fieldPaths = false) {
  const cluster = await requireCluster(ctx, name);
  const { proposal, current } = await proposeFor(
    ctx,
    cluster,
    await listInventory(ctx.store.db, name),
    change,
    fieldPaths,
  );
  const currentStack = resolveStack(current, cluster.spec.overrides, ctx.catalog);
  const packs = [
    ...new Set([...currentStack.map((l) => l.pack), ...proposal.pending.stack.map((l) => l.pack)]),
  ];
  const view: ClusterPlanView = {
    cluster: name,
    plan: proposal.plan,
    layers: packs.map((pack) => ({
      pack,
      current: currentStack.find((l) => l.pack === pack)?.values ?? null,
      pending: proposal.pending.stack.find((l) => l.pack === pack)?.values ?? null,
    })),
    pending: proposal.pending,
    resourceVersion: cluster.resourceVersion,
  };
  return { cluster, proposal, view };
}

/**
 * Stores applicable proposals in one transaction: the new specs (each only if its cluster's resourceVersion is
 * still the one planned from), an `UpdateRequested` event per stored cluster and their reconciles. Returns what
 * `updateClusterSpecs` returns.
 */
async function storeProposals(
  deps: CommandDeps,
  audit: AuditContext,
  entries: readonly PlannedChange[],
  options: { alsoWrite?: (trx: Trx, stored: string[]) => Promise<void>; dropCondition?: string } = {},
) {
  const { alsoWrite, dropCondition } = options;
  if (entries.length === 0) return { updated: [], current: new Map<string, number>() };
  return commitIntent(deps, audit, async (trx) => {
    const r = await updateClusterSpecs(
      trx,
      audit,
      entries.map((e) => ({
        spec: { ...e.proposal.spec, name: e.cluster.name },
        expectedResourceVersion: e.cluster.resourceVersion,
      })),
      dropCondition === undefined ? {} : { dropCondition },
    );
    const stored = new Map(r.updated.map((c) => [c.name, c]));
    if (alsoWrite) await alsoWrite(trx, [...stored.keys()]);
    return {
      result: r,
      events: entries.flatMap(({ cluster, proposal, change }) => {
        const updated = stored.get(cluster.name);
        if (!updated) return [];
        return [
          {
            cluster: cluster.name,
            type: 'Normal' as const,
            reason: 'UpdateRequested',
            message: `${audit.actor} requested an update (${change.kind}): ${summarizePlan(proposal.plan)}.`,
            details: { generation: updated.generation, change: change.kind },
          },
        ];
      }),
      reconcile: [...stored.keys()],
    };
  });
}

/** Returns `planChange`, `applyChange` and the fleet's `applyChanges`. */
export function changeCommands(
  deps: CommandDeps,
): Pick<EngineCommands, 'planChange' | 'applyChange'> & FleetCommands {
  const { ctx } = deps;
  return {
    async planChange(name, change) {
      return (await propose(ctx, name, change, true)).view;
    },

    async applyChange(audit, name, change, options: ApplyOptions = {}) {
      const { cluster, proposal, view } = await propose(ctx, name, change);
      if (
        options.expectedResourceVersion !== undefined &&
        options.expectedResourceVersion !== cluster.resourceVersion
      ) {
        throw new StrataError(
          'Conflict',
          `Cluster ${name} changed since the plan was shown (resourceVersion ${cluster.resourceVersion}, you sent ${options.expectedResourceVersion}); review the new plan.`,
          { cluster: name, expected: options.expectedResourceVersion, actual: cluster.resourceVersion },
        );
      }
      if (!proposal.plan.applicable) throw planRefusal(proposal);
      if (unchanged(cluster, proposal)) return view;
      const { updated, current } = await storeProposals(deps, audit, [{ cluster, proposal, change }]);
      const stored = updated[0];
      if (!stored) {
        throw staleWriteError(`Cluster ${name}`, { name }, cluster.resourceVersion, current.get(name));
      }
      return { ...view, resourceVersion: stored.resourceVersion };
    },

    async applyChanges(audit, items, options = {}) {
      const names = items.map((i) => i.cluster);
      const db = ctx.store.db;
      const unread = names.filter((n) => !options.read?.has(n));
      const [clusters, inventories] = await Promise.all([
        getClusters(db, unread),
        listInventories(db, names),
      ]);
      const byName = new Map(clusters.map((c) => [c.name, c]));
      for (const n of names) {
        const known = options.read?.get(n);
        if (known) byName.set(n, known);
      }
      const results = new Map<string, StrataError | null>();
      const entries: PlannedChange[] = [];
      for (const { cluster: name, change } of items) {
        const cluster = byName.get(name);
        try {
          if (!cluster) throw new StrataError('NotFound', `Cluster ${name} not found.`, { cluster: name });
          const { proposal } = await proposeFor(ctx, cluster, inventories.get(name) ?? [], change);
          if (!proposal.plan.applicable) throw planRefusal(proposal);
          if (unchanged(cluster, proposal)) results.set(name, null);
          else entries.push({ cluster, proposal, change });
        } catch (error) {
          if (!isStrataError(error)) throw error;
          results.set(name, error);
        }
      }
      const { updated, current } = await storeProposals(deps, audit, entries, options);
      const stored = new Set(updated.map((c) => c.name));
      for (const { cluster } of entries) {
        const name = cluster.name;
        results.set(
          name,
          stored.has(name)
            ? null
            : staleWriteError(`Cluster ${name}`, { name }, cluster.resourceVersion, current.get(name)),
        );
      }
      return results;
    },
  };
}
