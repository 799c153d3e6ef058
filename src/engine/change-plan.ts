/**
 * A user's change planned for a cluster as read: the core request it makes (profile references resolved, pools
 * validated), an override checked against its chart's values schema, and the proposal (shared renders and plans,
 * `ProposalCache`). The change commands and the rollout preview plan through it.
 */
import { StrataError } from '../core/errors.ts';
import type { InventoryEntry } from '../core/model.ts';
import { requireDnsLabel } from '../core/names.ts';
import { proposeUpdateTarget, type UpdateRequest } from '../core/workflows.ts';
import { checkValuesSchema } from '../render/values-schema.ts';
import type { StoredCluster } from '../store/clusters.ts';
import { resolveRefs, validatePools } from './cluster-input.ts';
import type { EngineContext } from './context.ts';
import type { ClusterChangeInput } from './contract.ts';

/** Returns the core update request for a user's change. */
async function toRequest(ctx: EngineContext, change: ClusterChangeInput): Promise<UpdateRequest> {
  switch (change.kind) {
    case 'profiles':
      return {
        kind: 'profiles',
        target: await resolveRefs(ctx, change.profiles),
        ...(change.resolutions ? { resolutions: change.resolutions } : {}),
        ...(change.chain ? { chain: true } : {}),
      };
    case 'override':
      requireDnsLabel(change.pack, 'pack');
      return {
        kind: 'override',
        pack: change.pack,
        values: change.values,
        ...(change.presets ? { presets: change.presets } : {}),
        ...(change.replace ? { replace: true } : {}),
      };
    case 'pools':
      validatePools(change.pools);
      return { kind: 'pools', pools: change.pools };
    default:
      throw new StrataError('ValidationFailed', 'kind must be profiles, override or pools.', {
        field: 'kind',
      });
  }
}

/** Plans `change` for a cluster as read (spec, phase, inventory); returns the proposal and the current stack. */
export async function proposeFor(
  ctx: EngineContext,
  cluster: StoredCluster,
  inventory: readonly InventoryEntry[],
  change: ClusterChangeInput,
  fieldPaths = false,
) {
  const name = cluster.name;
  if (cluster.status.phase === 'Deleted') {
    throw new StrataError('NotFound', `Cluster ${name} was deleted.`, { cluster: name });
  }
  const request = await toRequest(ctx, change);
  const current = await ctx.profiles.all(cluster.spec.profiles);
  const observed = { spec: cluster.spec, phase: cluster.status.phase, inventory };
  if (request.kind === 'override' && request.values !== null) {
    // An override is checked against the chart's values schema before it is planned (rendered) or stored.
    const target = proposeUpdateTarget(observed, current, request, ctx.catalog);
    const layer = target.pending.stack.find((l) => l.pack === request.pack);
    if (layer) {
      await checkValuesSchema(
        ctx.renderer,
        ctx.catalog.require(layer.pack, layer.version),
        layer.values,
        `overrides.${layer.pack}`,
      );
    }
  }
  const proposal = await ctx.proposals.propose(observed, current, request, ctx.catalog, { fieldPaths });
  return { proposal, current };
}
