/** The cluster commands: create (validated, stored `Pending`, provisioning queued), delete, and the reads of a live cluster. */
import { StrataError } from '../../core/errors.ts';
import type { ClusterSpec, NodePoolSpec, ProfileVersion } from '../../core/model.ts';
import { requireDnsLabel } from '../../core/names.ts';
import { checkAttachment, resolveStack } from '../../core/stack.ts';
import { KubeClient } from '../../kube/client.ts';
import { putClusterKubeconfig } from '../../store/cluster-credentials.ts';
import {
  getCluster,
  createCluster as storeCreateCluster,
  deleteCluster as storeDeleteCluster,
} from '../../store/clusters.ts';
import { listInventory } from '../../store/inventory.ts';
import { DEFAULT_SETTINGS, defaultPools, resolveRefs, validatePools } from '../cluster-input.ts';
import { CONDITION, setCondition } from '../conditions.ts';
import type { EngineContext } from '../context.ts';
import type { CreateClusterInput, EngineCommands } from '../contract.ts';
import { readWorkloads } from '../workloads.ts';
import { type CommandDeps, commitIntent, commitStatusIntent, requireCluster } from './intent.ts';

/** Returns the node pools of a new cluster: none for an existing one (its kubeconfig checked), else validated. */
function poolsOf(input: CreateClusterInput, cloudType: string): NodePoolSpec[] {
  if (cloudType === 'existing') {
    if (!input.kubeconfig) {
      throw new StrataError(
        'ValidationFailed',
        'An existing cluster needs the kubeconfig Strata reaches it with.',
        { field: 'kubeconfig' },
      );
    }
    KubeClient.fromKubeconfig(input.kubeconfig);
    return [];
  }
  const controlPlane = input.controlPlane ?? 1;
  if (![1, 3, 5].includes(controlPlane)) {
    throw new StrataError('ValidationFailed', `controlPlane must be 1, 3 or 5; got ${controlPlane}.`, {
      field: 'controlPlane',
    });
  }
  const workers = input.workers ?? 2;
  if (!Number.isInteger(workers) || workers < 0 || workers > 1000) {
    throw new StrataError(
      'ValidationFailed',
      `workers must be a whole number from 0 to 1000; got ${workers}.`,
      {
        field: 'workers',
      },
    );
  }
  const pools = input.pools ?? defaultPools(controlPlane, workers);
  validatePools(pools);
  return pools;
}

/** Validates a new cluster (name, profiles, cloud, pools; its profiles render) and returns its spec. */
async function newClusterSpec(ctx: EngineContext, input: CreateClusterInput): Promise<ClusterSpec> {
  const name = requireDnsLabel(input.name, 'name');
  const profiles: ProfileVersion[] = await resolveRefs(ctx, input.profiles);
  const infraProfile = profiles.find((p) => p.type !== 'addon');
  const cloudType = input.cloudType ?? (input.kubeconfig ? 'existing' : (infraProfile?.cloudType ?? 'sim'));
  if (!['sim', 'edge', 'existing'].includes(cloudType)) {
    throw new StrataError(
      'ValidationFailed',
      `cloudType must be sim, edge or existing; got ${JSON.stringify(cloudType)}.`,
      { field: 'cloudType' },
    );
  }
  checkAttachment(cloudType, profiles);
  const pools = poolsOf(input, cloudType);
  // Render once now: a profile that cannot render is refused before anything is stored.
  await ctx.renderer.stack(resolveStack(profiles, {}, ctx.catalog), ctx.catalog);
  return {
    name,
    cloudType,
    profiles: profiles.map((p) => ({ name: p.name, version: p.version, revision: p.revision })),
    overrides: {},
    pools,
    settings: { ...DEFAULT_SETTINGS, ...(input.settings ?? {}) },
    labels: input.labels ?? {},
  };
}

/** Returns `createCluster`, `deleteCluster`, `workloads` and `kubeconfig`. */
export function clusterCommands(
  deps: CommandDeps,
): Pick<EngineCommands, 'createCluster' | 'deleteCluster' | 'workloads' | 'kubeconfig'> {
  const { ctx } = deps;
  return {
    async createCluster(audit, input) {
      const spec = await newClusterSpec(ctx, input);
      const name = spec.name;
      const previous = await getCluster(ctx.store.db, name);
      return commitIntent(deps, audit, async (trx) => {
        // A deleted cluster's record stays visible until its name is reused.
        if (previous?.status.phase === 'Deleted')
          await storeDeleteCluster(trx, audit, name, previous.resourceVersion);
        const stored = await storeCreateCluster(trx, audit, spec);
        if (input.kubeconfig) await putClusterKubeconfig(trx, name, input.kubeconfig);
        return {
          result: stored,
          events: [
            {
              cluster: name,
              type: 'Normal',
              reason: 'ClusterCreated',
              message: `Created by ${audit.actor} from ${input.profiles.join(', ')}.`,
              details: { profiles: spec.profiles },
            },
          ],
          reconcile: [name],
        };
      });
    },

    async deleteCluster(audit, name) {
      const cluster = await requireCluster(ctx, name);
      if (cluster.status.phase === 'Deleting' || cluster.status.phase === 'Deleted') return cluster;
      return commitStatusIntent(
        deps,
        audit,
        name,
        (c) => ({
          phase: 'Deleting',
          conditions: setCondition(
            c.status.conditions,
            {
              type: CONDITION.ready,
              status: 'False',
              reason: 'Deleting',
              message: 'Releasing the infrastructure.',
            },
            deps.now(),
          ),
        }),
        (c) => ({
          audit: [
            {
              action: 'cluster.delete',
              targetKind: 'cluster',
              target: name,
              before: { phase: c.status.phase },
              after: { phase: 'Deleting' },
            },
          ],
          events: [
            {
              cluster: name,
              type: 'Normal',
              reason: 'ClusterDeleting',
              message: `Deletion requested by ${audit.actor}.`,
              details: { from: c.status.phase },
            },
          ],
          reconcile: [name],
        }),
      );
    },

    async workloads(name) {
      const cluster = await requireCluster(ctx, name);
      const inventory = await listInventory(ctx.store.db, name);
      return readWorkloads(await ctx.kube(cluster), inventory);
    },

    async kubeconfig(name, role) {
      const cluster = await requireCluster(ctx, name);
      if (cluster.status.phase === 'Deleted')
        throw new StrataError('NotFound', `Cluster ${name} was deleted.`, { cluster: name });
      if (cluster.spec.cloudType === 'existing') {
        if (role !== 'admin') {
          throw new StrataError(
            'BadRequest',
            `Strata holds only the kubeconfig cluster ${name} was registered with; ask for role admin.`,
            { field: 'role' },
          );
        }
        return ctx.adminKubeconfig(cluster);
      }
      if (!ctx.sim) return ctx.adminKubeconfig(cluster);
      if (!(await ctx.sim.infra.clusterExists(name))) {
        throw new StrataError(
          'Conflict',
          `Cluster ${name} has no API server yet (phase ${cluster.status.phase}); try again once it is Provisioning nodes.`,
          { cluster: name, phase: cluster.status.phase },
        );
      }
      return ctx.sim.kubeconfig(name, role);
    },
  };
}
